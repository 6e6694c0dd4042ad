"""Offline detection: an outage longer than the threshold gives one alert and one back alert; a blip none."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.intake import accept, ingest
from bot.alerts.reachability import (
    Observation,
    ReachabilityConfig,
    observations_from_status,
    observe,
    tick,
)
from bot.domain.events import Kind, SecurityEvent, Severity
from bot.storage.models import Delivery, Event, HomeDevice

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
Sessions = async_sessionmaker[AsyncSession]

CONFIG = ReachabilityConfig(offline_after=300)
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _connection(event_id: str, online: bool, at: datetime, make_event: Any) -> SecurityEvent:
    return make_event(
        event_id,
        kind=Kind.CAMERA_ONLINE if online else Kind.CAMERA_OFFLINE,
        severity=Severity.INFO,
        netatmo_type="connection" if online else "disconnection",
        time=int(at.timestamp()),
    )


async def _device(sessions: Sessions, device_id: str = CAMERA) -> HomeDevice:
    async with sessions() as session:
        device = await session.get(HomeDevice, (HOME, device_id))
    assert device is not None
    return device


async def test_outage_longer_than_threshold_gives_one_offline_and_one_back_alert(
    database_url: str, database: Any, delivery_rows: Any, seed_home: Any, make_event: Any
) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions)
        await accept(sessions, [_connection("d1", False, T0, make_event)], "webhook")
        assert await tick(sessions, T0 + timedelta(seconds=299), CONFIG) == []
        alerts = await tick(sessions, T0 + timedelta(seconds=301), CONFIG)
        assert [(a.kind, a.event_id, a.device_type) for a in alerts] == [
            (Kind.CAMERA_OFFLINE, f"offline:{CAMERA}:{int(T0.timestamp())}", "NACamera")
        ]
        assert await ingest(sessions, alerts, "watcher") == 1
        assert await tick(sessions, T0 + timedelta(seconds=900), CONFIG) == []  # once, not a flood
        assert (await _device(sessions)).offline_alerted is True
        # the same disconnection polled later changes nothing
        await accept(sessions, [_connection("d1", False, T0, make_event)], "poll")
        back = T0 + timedelta(minutes=20)
        await accept(sessions, [_connection("c1", True, back, make_event)], "poll")
        await accept(sessions, [_connection("c1", True, back, make_event)], "webhook")
        rows = await delivery_rows(sessions)
        since = int(T0.timestamp())
        assert rows == [
            (f"offline:{CAMERA}:{since}", "", 1001, False),
            (f"online:{CAMERA}:{since}", "", 1001, False),
        ]
        device = await _device(sessions)
        assert (device.reachable, device.unreachable_since, device.offline_alerted) == (True, None, False)


async def test_blip_gives_nothing(
    sqlite_url: str, count: Any, database: Any, seed_home: Any, make_event: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        events = [
            _connection("d1", False, T0, make_event),
            _connection("c1", True, T0 + timedelta(seconds=90), make_event),
        ]
        await accept(sessions, events[::-1], "poll")  # newest first, as polled
        assert await tick(sessions, T0 + timedelta(hours=1), CONFIG) == []
        assert await count(sessions, Delivery) == 0
        assert await count(sessions, Event) == 2  # kept as history
        assert (await _device(sessions)).reachable is True


async def test_homestatus_code_6_drives_the_same_rules(
    sqlite_url: str, database: Any, seed_home: Any
) -> None:
    status_away = {"home": {"id": HOME, "modules": [{"id": "other"}]}, "errors": [{"code": 6, "id": CAMERA}]}
    status_back = {"home": {"id": HOME, "modules": [{"id": CAMERA, "monitoring": "on"}]}}
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        assert await observe(sessions, observations_from_status(HOME, status_away, T0)) == []
        # still away at the next poll: the outage keeps its first time
        await observe(sessions, observations_from_status(HOME, status_away, T0 + timedelta(minutes=1)))
        offline = await tick(sessions, T0 + timedelta(minutes=6), CONFIG)
        assert [a.event_id for a in offline] == [f"offline:{CAMERA}:{int(T0.timestamp())}"]
        back = await observe(sessions, observations_from_status(HOME, status_back, T0 + timedelta(minutes=9)))
        assert [(a.kind, a.time) for a in back] == [(Kind.CAMERA_ONLINE, int(T0.timestamp()) + 540)]


async def test_a_whole_home_going_away_gives_one_alert_each_way_not_one_per_device(
    sqlite_url: str, count: Any, database: Any, seed_home: Any
) -> None:
    devices = ((CAMERA, "NACamera"), ("70:ee:50:00:00:02", "NOC"), ("70:ee:50:00:00:03", "NSD"))
    ids = [device_id for device_id, _type in devices]
    status_away = {"home": {"id": HOME, "modules": []}, "errors": [{"code": 6, "id": d} for d in ids]}
    status_back = {"home": {"id": HOME, "modules": [{"id": d} for d in ids]}}
    async with database(sqlite_url) as sessions:
        await seed_home(sessions, devices=devices)
        await observe(sessions, observations_from_status(HOME, status_away, T0))
        (offline,) = await tick(sessions, T0 + timedelta(minutes=6), CONFIG)
        assert offline.kind is Kind.CAMERA_OFFLINE and offline.device_id is None
        assert offline.event_id == f"offline:home:{HOME}:{int(T0.timestamp())}"
        assert offline.message == ", ".join(sorted(ids))  # the seeded names are the ids
        assert await ingest(sessions, [offline], "watcher") == 1
        assert await tick(sessions, T0 + timedelta(minutes=20), CONFIG) == []
        (back,) = await observe(
            sessions, observations_from_status(HOME, status_back, T0 + timedelta(minutes=30))
        )
        assert back.kind is Kind.CAMERA_ONLINE and back.device_id is None and back.message == offline.message
        assert await ingest(sessions, [back], "watcher") == 1
        assert await count(sessions, Delivery) == 2  # one alert each way for the chat, not six


async def test_stale_connection_does_not_end_a_newer_outage(
    sqlite_url: str, database: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        await observe(sessions, [Observation(HOME, CAMERA, False, T0)])
        await observe(sessions, [Observation(HOME, CAMERA, True, T0 - timedelta(minutes=1))])
        assert (await _device(sessions)).reachable is False


async def test_concurrent_ticks_alert_once(sqlite_url: str, database: Any, seed_home: Any) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        await observe(sessions, [Observation(HOME, CAMERA, False, T0)])
        later = T0 + timedelta(minutes=10)
        first, second = await asyncio.gather(tick(sessions, later, CONFIG), tick(sessions, later, CONFIG))
        assert len(first) + len(second) == 1
        assert await ingest(sessions, first + second + first + second, "watcher") == 1


def test_status_parsing() -> None:
    body = {
        "home": {"id": HOME, "modules": [{"id": "a"}, {"id": "tag", "reachable": False}, {"nope": 1}, 3]},
        "errors": [{"code": 6, "id": "b"}, {"code": 2, "id": "c"}, "junk"],
    }
    found = {(o.device_id, o.reachable) for o in observations_from_status(HOME, body, T0)}
    assert found == {("a", True), ("tag", False), ("b", False)}
    assert observations_from_status(HOME, {}, T0) == []
