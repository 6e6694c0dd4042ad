"""The intake watcher: pushes and polls meet in one store; deactivation leads to re-registration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.inbox import Push
from bot.alerts.watcher import IntakeWatcher
from bot.storage.deliveries import LocalLease
from bot.storage.models import Delivery, Event, Home, NetatmoLink

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001
Sessions = async_sessionmaker[AsyncSession]

GROUP = -100555
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


@dataclass
class Harness:
    watcher: IntakeWatcher
    gateway: Any  # the `poll_gateway` fixture's fake Netatmo
    sessions: Sessions
    clock: list[datetime]


@pytest.fixture
async def harness(polled_home: Any) -> AsyncIterator[Harness]:
    async with polled_home(chats=(OWNER, GROUP)) as polled:
        clock = [NOW]
        watcher = IntakeWatcher(polled.services, clock=lambda: clock[0])
        assert watcher.register_webhooks  # https public URL
        yield Harness(watcher, polled.gateway, polled.sessions, clock)


def _push(payload: dict[str, Any]) -> Push:
    return Push(payload, NOW)


MOVEMENT = {
    "push_type": "NACamera-movement",
    "event_type": "movement",
    "event_id": "ev-1",
    "home_id": HOME,
    "camera_id": CAMERA,
    "device_id": CAMERA,
}


async def test_same_event_by_webhook_and_poll_is_alerted_once_per_chat(
    harness: Harness, count: Any, delivery_rows: Any
) -> None:
    assert await harness.watcher.run_once() == 0  # first poll: baseline
    assert await harness.watcher.handle([_push(MOVEMENT)]) == 1
    harness.gateway.events = [{"id": "ev-1", "type": "movement", "time": EPOCH, "module_id": CAMERA}]
    harness.watcher.poll_soon(HOME)
    assert await harness.watcher.run_once() == 0
    assert await count(harness.sessions, Event) == 1
    assert await delivery_rows(harness.sessions) == [("ev-1", "", GROUP, False), ("ev-1", "", OWNER, False)]
    async with harness.sessions() as session:
        home = await session.get(Home, HOME)
    assert home is not None and home.last_webhook_at == NOW


async def test_webhook_outage_is_covered_by_polling(harness: Harness, delivery_rows: Any) -> None:
    await harness.watcher.run_once()
    # the webhook is silent: three events only polling can see
    harness.gateway.events = [
        {"id": f"missed-{i}", "type": "human", "time": EPOCH + i, "module_id": CAMERA} for i in range(3)
    ][::-1]
    harness.clock[0] = NOW + timedelta(seconds=61)
    assert await harness.watcher.run_once() == 3
    assert len(await delivery_rows(harness.sessions)) == 6


async def test_push_without_home_is_resolved_by_its_camera(harness: Harness) -> None:
    payload = {
        "event_type": "off",
        "device_id": CAMERA,
        "camera_id": CAMERA,
        "event_id": "x1",
        "push_type": "NACamera-off",
    }
    assert await harness.watcher.handle([_push(payload)]) == 1
    async with harness.sessions() as session:
        event = await session.scalar(select(Event))
    assert event is not None and (event.home_id, event.type) == (HOME, "NACamera-off")


async def test_push_without_event_id_forces_a_poll(harness: Harness) -> None:
    payload = {"push_type": "NACamera-movement", "home_id": HOME, "camera_id": CAMERA}
    assert await harness.watcher.handle([_push(payload)]) == 0
    assert harness.watcher.forced == {HOME}


async def test_garbage_pushes_do_not_stop_the_batch(harness: Harness) -> None:
    pushes = [
        _push({"push_type": 5}),
        _push({"nothing": None}),
        _push({"push_type": "device_event"}),
        _push(MOVEMENT),
    ]
    assert await harness.watcher.handle(pushes) == 1


async def test_deactivation_leads_to_re_registration_with_backoff(harness: Harness) -> None:
    registrar = harness.watcher.registrar
    harness.gateway.refuse = 1
    assert await registrar.register_all(force=True) == 0  # refused: retry later
    assert await registrar.register_all() == 0  # too early
    harness.clock[0] = NOW + timedelta(seconds=40)
    assert await registrar.register_all() == 1
    assert harness.gateway.added == [1]

    deactivation = {"push_type": "webhook_deactivation", "user_id": "netatmo-user-1"}
    await harness.watcher.handle([_push(deactivation)])
    async with harness.sessions() as session:
        link = await session.scalar(select(NetatmoLink))
    assert link is not None and link.webhook_registered_at is None
    assert await registrar.register_all() == 0  # backs off first
    harness.clock[0] = NOW + timedelta(minutes=10)
    assert await registrar.register_all() == 1
    assert harness.gateway.added == [1, 1]


async def test_component_runs_and_reports_health(harness: Harness, count: Any) -> None:
    watcher = harness.watcher
    await watcher.start()
    try:
        watcher.inbox.put_nowait(_push(MOVEMENT))
        health = watcher.services.health.watcher
        for _ in range(500):  # up to 10 s on a busy machine; usually a few turns
            stored = await count(harness.sessions, Event)
            if stored and harness.gateway.added and health.get("state") == "ok" and health.get("homes"):
                break
            await asyncio.sleep(0.02)
        assert health["state"] == "ok" and health["homes"] == 1
        assert await count(harness.sessions, Event) == 1 and harness.gateway.added == [1]
    finally:
        await watcher.stop()
    assert watcher.services.health.watcher["state"] == "stopped"


async def test_webhook_arrival_is_written_to_the_home_at_most_once_a_minute(harness: Harness) -> None:
    async def last_webhook_at() -> datetime | None:
        await harness.watcher.note_webhooks()  # what the poll loop does before it picks due homes
        async with harness.sessions() as session:
            home = await session.get(Home, HOME)
            assert home is not None
            return home.last_webhook_at

    assert await harness.watcher.handle([_push(MOVEMENT)]) == 1
    async with harness.sessions() as session:
        home = await session.get(Home, HOME)
        assert home is not None and home.last_webhook_at is None  # not on the alert's path
    assert await last_webhook_at() == NOW
    harness.clock[0] = NOW + timedelta(seconds=30)
    assert await harness.watcher.handle([_push({**MOVEMENT, "event_id": "ev-2"})]) == 1
    assert await last_webhook_at() == NOW  # noted a moment ago: no write on this alert's path
    harness.watcher._webhook_noted[HOME] -= 61  # a minute later (the memo runs on the monotonic clock)
    assert await harness.watcher.handle([_push({**MOVEMENT, "event_id": "ev-3"})]) == 1
    assert await last_webhook_at() == NOW + timedelta(seconds=30)


class RecordingWorker:
    """Stands in for the delivery worker: grants `room` rows of lease and records what it is handed."""

    owner = "local-worker"

    def __init__(self, room: int) -> None:
        self.room = room
        self.submitted: list[Any] = []
        self.prefetched: list[str] = []
        self.woken = 0

    def intake_lease(self) -> LocalLease | None:
        until = datetime.now(UTC) + timedelta(seconds=60)
        return LocalLease(self.owner, until, self.room) if self.room else None

    def prefetch(self, events: Any) -> None:
        self.prefetched += [event.event_id for event in events]

    def submit(self, rows: Any) -> None:
        self.submitted += rows

    def wake(self) -> None:
        self.woken += 1


async def test_a_push_goes_from_intake_to_the_local_worker_in_one_direction(harness: Harness) -> None:
    worker = RecordingWorker(room=1)  # room for one of the two chats' rows
    harness.watcher.services.delivery = worker  # type: ignore[assignment]
    assert await harness.watcher.handle([_push(MOVEMENT)]) == 1
    assert worker.prefetched == ["ev-1"]  # the picture starts downloading while the event is stored
    (row,) = worker.submitted
    assert row.event.event_id == "ev-1" and row.hints is not None and row.hints.home_name == f"Home {HOME}"
    assert worker.woken == 1  # the other chat's row waits in the outbox: the worker is told to claim it
    async with harness.sessions() as session:
        leases = {
            chat: owner
            for chat, owner in await session.execute(select(Delivery.chat_id, Delivery.lease_owner))
        }
    assert leases == {row.chat_id: "local-worker", ({OWNER, GROUP} - {row.chat_id}).pop(): None}


async def test_without_room_every_row_waits_for_the_claim(harness: Harness) -> None:
    worker = RecordingWorker(room=0)
    harness.watcher.services.delivery = worker  # type: ignore[assignment]
    assert await harness.watcher.handle([_push(MOVEMENT)]) == 1
    assert worker.submitted == [] and worker.woken == 1
