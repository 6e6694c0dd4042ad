"""Polling: interval rules, first-poll history, catch-up after an outage, budget, errors, homestatus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.poller import PollConfig, Poller, next_poll_delay
from bot.alerts.reachability import ReachabilityConfig
from bot.netatmo.errors import NetatmoUnavailable, Throttled
from bot.storage.models import Delivery, Event, Home, HomeDevice, HomeMember, NetatmoLink
from bot.storage.polling import due_homes

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
Sessions = async_sessionmaker[AsyncSession]

CONFIG = PollConfig()
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


def _delay(**kw: Any) -> float:
    values: dict[str, Any] = {
        "now": NOW,
        "webhook_registered": True,
        "last_webhook_at": NOW - timedelta(minutes=5),
        "last_missed_at": None,
        "homes_on_account": 1,
        "failures": 0,
        "config": CONFIG,
    }
    values.update(kw)
    return next_poll_delay(**values)


def test_poll_interval_long_when_webhooks_flow_short_otherwise() -> None:
    assert _delay() == 900
    assert _delay(last_webhook_at=None) == 60  # registered but never heard from
    assert _delay(last_webhook_at=NOW - timedelta(hours=4)) == 60  # silent
    assert _delay(webhook_registered=False) == 60
    assert _delay(last_missed_at=NOW - timedelta(minutes=10)) == 60  # polling caught what it missed
    assert _delay(last_missed_at=NOW - timedelta(hours=2)) == 900  # trusted again


def test_poll_interval_respects_the_account_budget_and_backs_off() -> None:
    # 240 polling requests/h shared by 6 homes at 2 requests a poll: one poll per home every 180 s
    assert _delay(webhook_registered=False, homes_on_account=6) == 180
    assert _delay(webhook_registered=False, failures=1) == 120
    assert _delay(webhook_registered=False, failures=3) == 480
    assert _delay(webhook_registered=False, failures=40) == 1800


def test_healthy_webhooks_stay_within_60_requests_per_home_per_hour() -> None:
    per_hour = 3600 / _delay() * CONFIG.requests_per_poll
    assert per_hour <= 60


def _raw(event_id: str, time: int, kind: str = "movement") -> dict[str, Any]:
    return {"id": event_id, "type": kind, "time": time, "module_id": CAMERA}


async def _poll(sessions: Sessions, poller: Poller) -> Any:
    homes, total = await due_homes(sessions, poller.clock(), forced={HOME})
    assert total == 1
    [home] = homes
    return await poller.poll(home)


def _poller(sessions: Sessions, gateway: Any, clock: list[datetime], **config: Any) -> Poller:
    return Poller(
        sessions,
        lambda: gateway,
        PollConfig(**config),
        ReachabilityConfig(offline_after=300),
        clock=lambda: clock[0],
    )


async def _home(sessions: Sessions) -> Home:
    async with sessions() as session:
        home = await session.get(Home, HOME)
    assert home is not None
    return home


async def test_first_poll_is_history_then_new_events_alert(
    sqlite_url: str, count: Any, database: Any, delivery_rows: Any, seed_home: Any, poll_gateway: Any
) -> None:
    gateway = poll_gateway(events=[_raw("e2", EPOCH - 100), _raw("e1", EPOCH - 200)])
    clock = [NOW]
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        poller = _poller(sessions, gateway, clock)
        first = await _poll(sessions, poller)
        assert first.new == [] and first.error is None
        assert (await count(sessions, Event), await count(sessions, Delivery)) == (2, 0)
        home = await _home(sessions)
        assert home.last_event_time == EPOCH - 100 and home.last_polled_at == NOW
        assert home.next_poll_at == NOW + timedelta(seconds=60)  # no webhook: short
        assert gateway.calls == ["getevents", "homestatus"]

        clock[0] = NOW + timedelta(seconds=60)
        gateway.events.insert(0, _raw("e3", EPOCH + 30))
        second = await _poll(sessions, poller)
        assert [e.event_id for e in second.new] == ["e3"]
        assert await delivery_rows(sessions) == [("e3", "", 1001, False)]
        assert (await _home(sessions)).last_event_time == EPOCH + 30


async def test_first_poll_alerts_events_that_happened_after_linking(
    sqlite_url: str, count: Any, database: Any, delivery_rows: Any, seed_home: Any, poll_gateway: Any
) -> None:
    """An event between linking and the first poll is news: only what came before the link is history."""
    gateway = poll_gateway(events=[_raw("after", EPOCH - 100), _raw("before", EPOCH - 200)])
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        async with sessions.begin() as session:
            linked_at = NOW - timedelta(seconds=150)
            await session.execute(update(HomeMember).values(created_at=linked_at))
        first = await _poll(sessions, _poller(sessions, gateway, [NOW]))
        assert [e.event_id for e in first.new] == ["after"]
        assert await delivery_rows(sessions) == [("after", "", 1001, False)]
        assert await count(sessions, Event) == 2  # the older one is kept as history, without an alert


async def test_catch_up_after_an_outage_pages_back_to_the_last_seen_event(
    sqlite_url: str, count: Any, database: Any, seed_home: Any, poll_gateway: Any
) -> None:
    events = [_raw(f"e{i:03d}", EPOCH - 10 * (100 - i)) for i in range(100)][::-1]  # newest first
    gateway = poll_gateway(events=events[70:])  # before the outage: the 30 oldest
    clock = [NOW]
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        poller = _poller(sessions, gateway, clock, page_size=10, max_pages=10)
        await _poll(sessions, poller)
        gateway.events = events  # 70 events happened while nobody looked
        gateway.calls.clear()
        clock[0] = NOW + timedelta(minutes=30)
        outcome = await _poll(sessions, poller)
        assert len(outcome.new) == 70 and outcome.pages == 8
        assert (
            gateway.calls[0] == "getevents" and len([c for c in gateway.calls if c.startswith("page:")]) == 7
        )
        assert await count(sessions, Delivery) == 70


async def test_catch_up_is_bounded(sqlite_url: str, database: Any, seed_home: Any, poll_gateway: Any) -> None:
    events = [_raw(f"e{i:03d}", EPOCH - 10 * (100 - i)) for i in range(100)][::-1]
    gateway = poll_gateway(events=events[95:])
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        clock = [NOW]
        poller = _poller(sessions, gateway, clock, page_size=10, max_pages=3)
        await _poll(sessions, poller)
        gateway.events = events
        outcome = await _poll(sessions, poller)
        assert outcome.pages == 3 and len(outcome.new) == 10 + 9 + 9  # each older page repeats its first id


async def test_events_missed_by_a_registered_webhook_shorten_the_interval(
    sqlite_url: str, database: Any, seed_home: Any, poll_gateway: Any
) -> None:
    gateway = poll_gateway(events=[_raw("e1", EPOCH - 1000)])
    clock = [NOW]
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        async with sessions.begin() as session:
            await session.execute(update(NetatmoLink).values(webhook_registered_at=NOW))
            await session.execute(update(Home).values(last_webhook_at=NOW))
        poller = _poller(sessions, gateway, clock)
        assert (await _poll(sessions, poller)).delay == 900  # flowing, nothing missed
        gateway.events.insert(0, _raw("e2", EPOCH - 600))  # ten minutes old, never pushed
        outcome = await _poll(sessions, poller)
        assert [e.event_id for e in outcome.new] == ["e2"] and outcome.delay == 60


async def test_throttling_and_errors_push_the_next_poll_back(
    sqlite_url: str, database: Any, seed_home: Any, poll_gateway: Any
) -> None:
    gateway = poll_gateway(fail=Throttled(retry_after=600))
    clock = [NOW]
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        poller = _poller(sessions, gateway, clock)
        outcome = await _poll(sessions, poller)
        assert (outcome.error, outcome.delay) == ("throttled", 600)
        assert (await _home(sessions)).next_poll_at == NOW + timedelta(seconds=600)
        assert await due_homes(sessions, NOW + timedelta(seconds=599)) == ([], 1)
        gateway.fail = NetatmoUnavailable("503")
        assert (await _poll(sessions, poller)).delay == 120
        assert (await _poll(sessions, poller)).delay == 240


async def test_homestatus_offline_then_back_alerts_once_each(
    sqlite_url: str, database: Any, delivery_rows: Any, seed_home: Any, poll_gateway: Any
) -> None:
    gateway = poll_gateway(events=[_raw("e1", EPOCH - 100)])
    gateway.status = {"home": {"id": HOME, "modules": []}, "errors": [{"code": 6, "id": CAMERA}]}
    clock = [NOW]
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        poller = _poller(sessions, gateway, clock)
        await _poll(sessions, poller)
        clock[0] = NOW + timedelta(minutes=2)
        assert (await _poll(sessions, poller)).new == []  # not long enough yet
        clock[0] = NOW + timedelta(minutes=6)
        assert [e.kind.value for e in (await _poll(sessions, poller)).new] == ["camera_offline"]
        clock[0] = NOW + timedelta(minutes=7)
        assert (await _poll(sessions, poller)).new == []
        gateway.status = {"home": {"id": HOME, "modules": [{"id": CAMERA}]}}
        clock[0] = NOW + timedelta(minutes=8)
        assert [e.kind.value for e in (await _poll(sessions, poller)).new] == ["camera_online"]
        assert [r[0].split(":")[0] for r in await delivery_rows(sessions)] == ["offline", "online"]
        async with sessions() as session:
            device = await session.get(HomeDevice, (HOME, CAMERA))
        assert device is not None and device.reachable


@pytest.mark.parametrize("state", ["broken"])
async def test_homes_without_active_link_are_not_polled(
    sqlite_url: str, state: str, database: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions, link_state=state)
        assert await due_homes(sessions, NOW, forced={HOME}) == ([], 0)


async def test_only_due_or_forced_homes_come_back_with_their_accounts_home_count(
    database_url: str, database: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        link_a = await seed_home(sessions, "h1", owner=1001, netatmo_user="account-a")
        await seed_home(sessions, "h2", owner=1001, chats=(), netatmo_user="account-a")
        await seed_home(sessions, "h3", owner=1001, chats=(), netatmo_user="account-a")
        link_b = await seed_home(sessions, "h4", owner=2002, chats=(), netatmo_user="account-b")
        async with sessions.begin() as session:
            later = NOW + timedelta(minutes=10)
            await session.execute(update(Home).where(Home.id.in_(["h2", "h3"])).values(next_poll_at=later))
            await session.execute(update(Home).where(Home.id == "h1").values(next_poll_at=NOW))
        due, total = await due_homes(sessions, NOW, forced={"h3"})
        assert total == 4
        assert sorted((h.home_id, h.link_id, h.homes_on_account) for h in due) == [
            ("h1", link_a, 3),  # due now; account a sees three homes
            ("h3", link_a, 3),  # not due, but forced
            ("h4", link_b, 1),  # never polled
        ]
        assert [h.home_id for h in (await due_homes(sessions, NOW - timedelta(seconds=1)))[0]] == ["h4"]
