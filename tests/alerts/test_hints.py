"""Intake's hints: the names, zone, link and language the first send of an alert needs, read in intake's
batch queries, must say exactly what the worker's own lookups would have said."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.alerts.intake import accept
from bot.alerts.render import load_alert_names
from bot.alerts.sending import ChatRenderer
from bot.storage.deliveries import LocalLease
from bot.storage.languages import chat_language
from bot.storage.models import (
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)
from bot.storage.subscriptions import load_routing_many

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001

GROUP = -100500600
MEMBER = 2002
TAG = "70:ee:50:00:00:7a"


def _lease() -> LocalLease:
    """Room for every row: all of them come back with their hints."""
    return LocalLease("test-owner", datetime.now(UTC) + timedelta(seconds=60), 1000)


async def _seed(sessions: Any, seed_home: Any) -> int:
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


async def test_hints_match_the_lookups_they_replace(
    database_url: str, database: Any, seed_home: Any, make_event: Any
) -> None:
    async with database(database_url) as sessions:
        owner_link = await _seed(sessions, seed_home)
        camera_event = make_event("e1")
        tag_event = replace(make_event("e2"), module_id=TAG)
        stored = await accept(sessions, [camera_event, tag_event], "webhook", lease=_lease())
        assert sorted((row.event.event_id, row.chat_id) for row in stored.rows) == [
            ("e1", GROUP),
            ("e1", OWNER),
            ("e2", GROUP),
            ("e2", OWNER),
        ]
        async with sessions() as session:
            for row in stored.rows:
                assert row.hints is not None
                names = await load_alert_names(session, row.event)
                assert (row.hints.home_name, row.hints.timezone, row.hints.device_name) == (
                    names.home_name,
                    names.timezone,
                    names.device_name,
                )
                assert row.hints.language == await chat_language(session, row.chat_id)
                assert row.hints.link_id == owner_link
        by_chat = {(row.event.event_id, row.chat_id): row.hints for row in stored.rows}
        assert by_chat[("e2", OWNER)].device_name == "Back door"  # type: ignore[union-attr]
        assert by_chat[("e1", OWNER)].language == "fr"  # type: ignore[union-attr]
        assert by_chat[("e1", GROUP)].language == "de"  # type: ignore[union-attr]


async def test_the_routing_read_tells_each_subscribed_chats_language(
    database_url: str, database: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        await _seed(sessions, seed_home)
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


async def test_primed_renderer_renders_the_same_alert_without_the_database(
    database_url: str, database: Any, seed_home: Any, make_event: Any
) -> None:
    async with database(database_url) as sessions:
        await _seed(sessions, seed_home)
        stored = await accept(sessions, [replace(make_event("e3"), module_id=TAG)], "webhook", lease=_lease())
        for row in stored.rows:
            assert row.hints is not None
            cold = ChatRenderer()
            async with sessions() as session:
                expected = await cold(session, [row.event], row.chat_id)
            primed = ChatRenderer()
            primed.prime(row.event, row.chat_id, row.hints)
            assert await primed(NoDatabase(), [row.event], row.chat_id) == expected  # type: ignore[arg-type]
            assert "Back door" in expected.text


async def test_rows_without_a_lease_carry_no_hints(
    database_url: str, database: Any, seed_home: Any, make_event: Any
) -> None:
    """Rows intake could not lease are claimed later, by whichever worker: the renderer looks them up."""
    async with database(database_url) as sessions:
        await _seed(sessions, seed_home)
        stored = await accept(sessions, [make_event("e4")], "webhook")
        assert stored.rows == [] and stored.queued == 2
