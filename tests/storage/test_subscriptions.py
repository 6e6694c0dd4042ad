"""Subscription and mute repository: routing view, subscribe/unsubscribe, filters, mutes, members."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.permissions import Membership
from bot.domain.routing import MuteRule, SubscriptionRule
from bot.storage import audit, migrate
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import (
    AuditEntry,
    Event,
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    TelegramChat,
    TelegramUser,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
HOME = "5f0000000000000000000001"
CAM = "70:ee:50:00:00:01"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        session.add_all(
            [
                TelegramUser(id=10, first_name="Anna"),
                TelegramUser(id=20, first_name="Bob"),
                TelegramChat(id=10, type="private"),
                TelegramChat(id=-100, type="group", title="Family"),
                Home(id=HOME, name="Villa", timezone="Europe/Paris"),
                Home(id="other", name="Cabin", timezone="UTC"),
            ]
        )
        await session.flush()
        link = NetatmoLink(
            telegram_user_id=10, access_token_enc=b"x", refresh_token_enc=b"y", expires_at=NOW, scopes=[]
        )
        session.add(link)
        await session.flush()
        session.add_all(
            [
                HomeMember(home_id=HOME, telegram_user_id=10, role="owner", link_id=link.id),
                HomeMember(home_id=HOME, telegram_user_id=20, role="member"),
                HomeDevice(home_id=HOME, device_id=CAM, type="NOC", name="Garden"),
                HomeDevice(home_id=HOME, device_id="sd", type="NSD", name="Hall smoke"),
            ]
        )
    try:
        yield factory
    finally:
        await engine.dispose()


async def test_subscribe_resume_exists_and_load_routing(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        assert await repo.subscribe(session, -100, HOME, 10) == "created"
        assert await repo.subscribe(session, -100, HOME, 10) == "exists"
        assert await repo.subscribe(session, 10, HOME, 10) == "created"
        sub = await repo.get_subscription(session, 10, HOME)
        assert sub is not None
        sub.active = False
        sub.paused_reason = "blocked"
    async with sessions.begin() as session:
        rules, mutes, tz = await repo.load_routing(session, HOME, NOW)
    assert tz == "Europe/Paris"
    assert mutes == []
    assert rules == [
        SubscriptionRule(-100, HOME, None, None, "all", frozenset(), None, None)
    ]  # the paused private chat is excluded
    async with sessions.begin() as session:
        assert await repo.subscribe(session, 10, HOME, 10) == "resumed"
        rules, _, _ = await repo.load_routing(session, HOME, NOW)
    assert sorted(r.chat_id for r in rules) == [-100, 10]


async def test_filters_update_and_rule_view(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await repo.subscribe(session, -100, HOME, 10)
        sub = await repo.get_subscription(session, -100, HOME)
        assert sub is not None
        await repo.update_filters(
            session,
            sub.id,
            event_kinds=["human", "vehicle"],
            camera_ids=[CAM],
            people_mode="chosen",
            person_ids=["p1"],
            quiet_start=1320,
            quiet_end=420,
        )
        with pytest.raises(ValueError):
            await repo.update_filters(session, sub.id, chat_id=5)
        assert await repo.update_filters(session, 999_999, quiet_start=1) is None
    async with sessions.begin() as session:
        rules, _, _ = await repo.load_routing(session, HOME, NOW)
    assert rules == [
        SubscriptionRule(
            -100,
            HOME,
            frozenset({"human", "vehicle"}),
            frozenset({CAM}),
            "chosen",
            frozenset({"p1"}),
            1320,
            420,
        )
    ]


async def test_mutes_live_replace_clear(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await mutes_repo.add_mute(session, -100, HOME, CAM, NOW + timedelta(hours=1), 20)
        await mutes_repo.add_mute(session, -100, HOME, CAM, NOW + timedelta(minutes=10), 20)  # replaces
        await mutes_repo.add_mute(session, -100, HOME, None, NOW - timedelta(minutes=1), 20)  # expired
        await mutes_repo.add_mute(session, 10, "other", None, NOW + timedelta(hours=8), 10)
    async with sessions.begin() as session:
        _, mutes, _ = await repo.load_routing(session, HOME, NOW)
        assert mutes == [MuteRule(-100, CAM, NOW + timedelta(minutes=10))]
        live = await mutes_repo.live_mutes(session, -100, NOW)
        assert [(m.device_id, m.until) for m in live] == [(CAM, NOW + timedelta(minutes=10))]
        assert await mutes_repo.clear_mutes(session, -100, mute_id=live[0].id) == 1
        assert await mutes_repo.live_mutes(session, -100, NOW) == []
        assert await mutes_repo.clear_mutes(session, 10) == 1


async def test_unsubscribe_drops_mutes_too(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await repo.subscribe(session, -100, HOME, 10)
        await mutes_repo.add_mute(session, -100, HOME, None, NOW + timedelta(hours=1), 10)
        assert await repo.unsubscribe(session, -100, HOME)
        assert not await repo.unsubscribe(session, -100, HOME)
        assert await mutes_repo.live_mutes(session, -100, NOW) == []
        assert await repo.chat_subscriptions(session, -100) == []


async def test_members_homes_devices_people_audit(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        anna = await homes_repo.membership(session, HOME, 10)
        assert anna is not None and anna.linked and anna.role == "owner"
        assert await homes_repo.membership(session, HOME, 20) == Membership("member", None)
        assert await homes_repo.membership(session, "other", 10) is None
        assert [h.id for h in await homes_repo.linked_homes(session, 10)] == [HOME]
        assert await homes_repo.linked_homes(session, 20) == []
        assert [d.name for d in await homes_repo.home_devices(session, HOME)] == ["Garden", "Hall smoke"]
        assert [d.device_id for d in await homes_repo.home_devices(session, HOME, ["NOC"])] == [CAM]
        assert await homes_repo.device_name(session, HOME, CAM) == "Garden"
        assert await homes_repo.device_name(session, HOME, "nope") is None
        for i, (pid, name, known) in enumerate(
            [("p1", "Léo", True), ("p1", "Leo old", True), ("u", None, False)]
        ):
            session.add(
                Event(
                    home_id=HOME,
                    event_id=f"e{i}",
                    type="person",
                    person_id=pid,
                    time=1000 - i,
                    source="poll",
                    data={"person_name": name, "person_known": known},
                )
            )
        await session.flush()
        assert await homes_repo.known_persons(session, HOME) == {"p1": "Léo"}
        await audit.record_audit(
            session, user_id=20, chat_id=-100, home_id=HOME, action="alert.monitoring", outcome="denied"
        )
    async with sessions.begin() as session:
        entry = await session.scalar(select(AuditEntry))
        assert entry is not None
        assert (entry.telegram_user_id, entry.action, entry.outcome) == (20, "alert.monitoring", "denied")
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 1


async def test_routing_many_reads_each_subscription_once_with_all_its_running_mutes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        assert await repo.subscribe(session, -100, HOME, 20) == "created"
        assert await repo.subscribe(session, 10, HOME, 10) == "created"
        await mutes_repo.add_mute(session, -100, HOME, CAM, NOW + timedelta(hours=1), 20)
        await mutes_repo.add_mute(session, -100, HOME, None, NOW + timedelta(minutes=30), 20)
        await mutes_repo.add_mute(session, 10, HOME, CAM, NOW - timedelta(minutes=1), 10)  # over
        await mutes_repo.add_mute(session, 10, "other", None, NOW + timedelta(hours=8), 10)  # another home
    async with sessions() as session:
        routing = await repo.load_routing_many(session, [HOME, "other"], NOW)
        old_style = await repo.load_routing(session, HOME, NOW)
    rules, mutes, zone = routing[HOME]
    assert sorted(rule.chat_id for rule in rules) == [-100, 10]  # once each, however many mutes
    assert sorted(mutes, key=lambda m: m.until) == [
        MuteRule(-100, None, NOW + timedelta(minutes=30)),
        MuteRule(-100, CAM, NOW + timedelta(hours=1)),
    ]
    assert zone == "Europe/Paris"
    assert (sorted(rules, key=lambda r: r.chat_id), sorted(mutes, key=lambda m: m.until)) == (
        sorted(old_style[0], key=lambda r: r.chat_id),
        sorted(old_style[1], key=lambda m: m.until),
    )
    assert routing["other"] == ([], [], "UTC")  # nobody subscribed: its mute does not matter
