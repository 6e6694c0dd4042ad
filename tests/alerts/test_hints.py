"""Intake's hints: the names, zone, link and language the first send of an alert needs, read in intake's
batch queries, must say exactly what the worker's own lookups would have said."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.alerts.hints import Expected
from bot.alerts.intake import accept
from bot.alerts.render import load_alert_names
from bot.alerts.sending import ChatRenderer, chat_language
from bot.storage import deliveries as outbox
from bot.storage.deliveries import Claimed
from bot.storage.models import (
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)
from bot.storage.subscriptions import load_routing_many
from tests.alerts.intake_fixtures import CAMERA, HOME, OWNER, database, make_event, seed_home

GROUP = -100500600
MEMBER = 2002
TAG = "70:ee:50:00:00:7a"


class Collector:
    """A delivery handoff with `room` rows of room (unlimited by default) that keeps what intake hands over
    in memory (`rows`) and the hints of the rows it inserted unleased (`expected`)."""

    owner = "test-owner"
    lease_seconds = 60.0

    def __init__(self, room: int | None = None) -> None:
        self.room = room
        self.rows: list[Claimed] = []
        self.expected: list[Expected] = []
        self.woken = 0

    def reserve(self, wanted: int) -> int:
        return wanted if self.room is None else min(wanted, self.room)

    def adopt(self, rows: Sequence[Claimed], reserved: int) -> None:
        self.rows.extend(rows)

    def expect(self, expected: Sequence[Expected]) -> None:
        self.expected.extend(expected)

    def wake(self) -> None:
        self.woken += 1


async def _seed(sessions: Any) -> int:
    """HOME seen by OWNER (French) and later by MEMBER (German), who subscribed the group; a camera with a
    bridged tag. Returns OWNER's link id (the older link, the one pictures are fetched with)."""
    link_id = await seed_home(sessions, chats=(OWNER,), devices=((CAMERA, "NACamera"), (TAG, "NACamDoorTag")))
    async with sessions.begin() as session:
        await session.execute(update(TelegramUser).where(TelegramUser.id == OWNER).values(language_code="fr"))
        await session.execute(update(HomeDevice).where(HomeDevice.device_id == TAG).values(name="Back door"))
        await session.execute(update(HomeDevice).where(HomeDevice.device_id == CAMERA).values(name="Hall"))
        session.add(TelegramUser(id=MEMBER, first_name="Member", language_code="de"))
        await session.flush()
        session.add(
            NetatmoLink(
                telegram_user_id=MEMBER,
                netatmo_user_id="netatmo-user-2",
                access_token_enc=b"x",
                refresh_token_enc=b"x",
                expires_at=datetime.now(UTC) + timedelta(hours=3),
                linked_at=datetime.now(UTC) + timedelta(minutes=5),  # linked after OWNER
            )
        )
        await session.flush()
        member_link = await session.scalar(
            select(NetatmoLink.id).where(NetatmoLink.telegram_user_id == MEMBER)
        )
        session.add(TelegramChat(id=GROUP, type="group"))
        await session.flush()
        session.add(HomeMember(home_id=HOME, telegram_user_id=MEMBER, role="member", link_id=member_link))
        session.add(Subscription(chat_id=GROUP, home_id=HOME, active=True, created_by=MEMBER))
    return link_id


async def test_hints_match_the_lookups_they_replace(database_url: str) -> None:
    async with database(database_url) as sessions:
        owner_link = await _seed(sessions)
        camera_event = make_event("e1")
        tag_event = replace(make_event("e2"), module_id=TAG)
        collector = Collector()
        await accept(sessions, [camera_event, tag_event], "webhook", handoff=collector)
        assert sorted((row.event.event_id, row.chat_id) for row in collector.rows) == [
            ("e1", GROUP),
            ("e1", OWNER),
            ("e2", GROUP),
            ("e2", OWNER),
        ]
        async with sessions() as session:
            for row in collector.rows:
                assert row.hints is not None
                names = await load_alert_names(session, row.event)
                assert (row.hints.home_name, row.hints.timezone, row.hints.device_name) == (
                    names.home_name,
                    names.timezone,
                    names.device_name,
                )
                assert row.hints.language == await chat_language(session, row.chat_id)
                assert row.hints.link_id == owner_link
        by_chat = {(row.event.event_id, row.chat_id): row.hints for row in collector.rows}
        assert by_chat[("e2", OWNER)].device_name == "Back door"  # type: ignore[union-attr]
        assert by_chat[("e1", OWNER)].language == "fr"  # type: ignore[union-attr]
        assert by_chat[("e1", GROUP)].language == "de"  # type: ignore[union-attr]


async def test_the_routing_read_tells_each_subscribed_chats_language(database_url: str) -> None:
    async with database(database_url) as sessions:
        await _seed(sessions)
        languages: dict[int, str | None] = {}
        async with sessions() as session:
            routing = await load_routing_many(session, [HOME], datetime.now(UTC), languages=languages)
            assert sorted(rule.chat_id for rule in routing[HOME][0]) == [GROUP, OWNER]
            assert languages == {OWNER: "fr", GROUP: "de"}
            for chat_id, language in languages.items():
                assert language == await chat_language(session, chat_id)


class NoDatabase:
    """A session that fails the test if the renderer touches the database."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the primed renderer used the database ({name})")


async def test_primed_renderer_renders_the_same_alert_without_the_database(database_url: str) -> None:
    async with database(database_url) as sessions:
        await _seed(sessions)
        collector = Collector()
        await accept(sessions, [replace(make_event("e3"), module_id=TAG)], "webhook", handoff=collector)
        for row in collector.rows:
            assert row.hints is not None
            cold = ChatRenderer()
            async with sessions() as session:
                expected = await cold(session, [row.event], row.chat_id)
            primed = ChatRenderer()
            primed.prime(row.event, row.chat_id, row.hints)
            assert await primed(NoDatabase(), [row.event], row.chat_id) == expected  # type: ignore[arg-type]
            assert "Back door" in expected.text


async def test_rows_without_room_bring_their_hints_for_the_claim(database_url: str) -> None:
    """A worker with no room gets the rows in the database, unleased, and their hints in memory: its
    later claim renders them exactly as the lookups would, without the database."""
    async with database(database_url) as sessions:
        await _seed(sessions)
        collector = Collector(room=0)
        await accept(sessions, [replace(make_event("e4"), module_id=TAG)], "webhook", handoff=collector)
        assert collector.rows == []
        assert collector.woken == 1
        assert sorted(chat for _, chat, _ in collector.expected) == sorted([OWNER, GROUP])
        claimed = await outbox.claim_due(sessions, "worker", 60, 10)
        assert sorted(row.chat_id for row in claimed) == sorted([OWNER, GROUP])
        primed = ChatRenderer()
        for event, chat_id, hints in collector.expected:
            primed.prime(event, chat_id, hints)
        for row in claimed:
            assert row.hints is None  # a claim reads no hints: the renderer's caches carry them
            async with sessions() as session:
                expected = await ChatRenderer()(session, [row.event], row.chat_id)
            assert await primed(NoDatabase(), [row.event], row.chat_id) == expected  # type: ignore[arg-type]
