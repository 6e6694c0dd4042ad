"""Alarms at once: smoke, CO, siren and doorbell pushes without an event id are alerted from the webhook
(home from `home_id` or from the device), loudly, ahead of other rows, and once per happening whether
the push or the poll comes first. And polled unknown faces reach the "unknown faces" filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.delivery import DeliveryWorker
from bot.alerts.inbox import Push
from bot.alerts.intake import ingest
from bot.alerts.watcher import IntakeWatcher
from bot.domain.events import Kind
from bot.storage import deliveries as outbox
from bot.storage.deliveries import Claimed
from bot.storage.models import Delivery, Event, HomeDevice, Mute, Subscription

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
SMOKE = "70:ee:50:00:00:5d"
CO = "70:ee:50:00:00:c0"
SIREN = "70:ee:50:00:00:51"
DOORBELL = "70:ee:50:00:00:db"
OWNER = 1001
GROUP = -100555
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
KNOWN_ID, STRANGER_ID = "person-anna", "person-stranger"

Sessions = async_sessionmaker[AsyncSession]
FIXTURE = Path(__file__).parents[1] / "fixtures" / "netatmo" / "webhook_alarms.json"
DEVICES = ((CAMERA, "NACamera"), (SMOKE, "NSD"), (CO, "NCO"), (SIREN, "NIS"), (DOORBELL, "NDB"))


def push_of(name: str, **changes: Any) -> Push:
    """A recorded alarm push with this test's home and device ids (None removes a field)."""
    payload = dict(json.loads(FIXTURE.read_text())["pushes"][name])
    payload["home_id"] = HOME
    payload["device_id"] = {"smoke": SMOKE, "hush": SMOKE, "co": CO, "siren": CAMERA, "doorbell": DOORBELL}[
        name
    ]
    if "module_id" in payload:
        payload["module_id"] = SIREN
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return Push(payload, NOW)


@dataclass
class Harness:
    watcher: IntakeWatcher
    gateway: Any
    sessions: Sessions


@pytest.fixture
async def harness(polled_home: Any) -> AsyncIterator[Harness]:
    async with polled_home(chats=(OWNER, GROUP), devices=DEVICES) as polled:
        async with polled.sessions.begin() as session:  # the siren talks through the camera
            await session.execute(
                update(HomeDevice).where(HomeDevice.device_id == SIREN).values(bridge=CAMERA)
            )
        watcher = IntakeWatcher(polled.services, clock=lambda: NOW)
        yield Harness(watcher, polled.gateway, polled.sessions)


async def rows(sessions: Sessions) -> list[tuple[str, str, int, bool]]:
    """(event id, kind, chat, silent) of every outbox row."""
    async with sessions() as session:
        found = await session.execute(
            select(Event.event_id, Event.data, Delivery.chat_id, Delivery.silent)
            .join(Event, Event.id == Delivery.event_pk)
            .order_by(Event.id, Delivery.chat_id)
        )
        return [(r[0], r[1]["kind"], r[2], r[3]) for r in found]


async def stored_events(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        found = await session.execute(select(Event.event_id, Event.source).order_by(Event.id))
        return [(r[0], r[1]) for r in found]


# -- pushed without an event id: alerted at once ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("smoke", "smoke"), ("co", "co"), ("siren", "siren_sounding"), ("doorbell", "doorbell_ring")],
)
async def test_an_alarm_pushed_without_event_id_is_alerted_at_once(
    harness: Harness, name: str, kind: str
) -> None:
    """Before: `webhook_incomplete` was logged and nothing sent until a poll that did not bring it."""
    assert await harness.watcher.handle([push_of(name)]) == 1
    found = await rows(harness.sessions)
    expected = [(kind, GROUP, False), (kind, OWNER, False)]
    assert [(k, chat, silent) for _id, k, chat, silent in found] == expected
    assert found[0][0].startswith("wh:")
    assert harness.watcher.forced == set()  # no poll was needed


async def test_an_alarm_naming_only_its_device_finds_its_home(harness: Harness) -> None:
    assert await harness.watcher.handle([push_of("smoke", home_id=None)]) == 1
    assert [(k, chat) for _id, k, chat, _s in await rows(harness.sessions)] == [
        ("smoke", GROUP),
        ("smoke", OWNER),
    ]


async def test_a_repeated_push_of_one_alarm_alerts_once(harness: Harness) -> None:
    later = Push(push_of("smoke").payload, NOW + timedelta(seconds=90))  # Netatmo pushes it again
    assert await harness.watcher.handle([push_of("smoke")]) == 1
    await harness.watcher.handle([later])
    assert len(await rows(harness.sessions)) == 2  # one per chat


async def test_what_is_not_an_alarm_still_waits_for_a_poll(harness: Harness) -> None:
    assert await harness.watcher.handle([push_of("hush")]) == 0
    assert harness.watcher.forced == {HOME}
    assert await rows(harness.sessions) == []


# -- the same alarm by push and by poll: one alert, whichever came first --------------------------------


def polled_smoke(offset: int = 20, event_id: str = "nsd-ev-1") -> dict[str, Any]:
    return {"id": event_id, "type": "smoke", "time": EPOCH + offset, "module_id": SMOKE, "sub_type": 1}


async def test_push_first_then_poll_alerts_once(harness: Harness) -> None:
    await harness.watcher.run_once()  # first poll: the baseline
    assert await harness.watcher.handle([push_of("smoke")]) == 1
    harness.gateway.events = [polled_smoke()]
    harness.watcher.poll_soon(HOME)
    assert await harness.watcher.run_once() == 1  # stored: the poller knows it, but not alerted again
    assert [e for e, _s in await stored_events(harness.sessions)][-1] == "nsd-ev-1"
    assert len(await rows(harness.sessions)) == 2
    assert {r[0][:3] for r in await rows(harness.sessions)} == {"wh:"}


async def test_poll_first_then_push_alerts_once(harness: Harness) -> None:
    await harness.watcher.run_once()
    harness.gateway.events = [polled_smoke(offset=-40)]
    harness.watcher.poll_soon(HOME)
    assert await harness.watcher.run_once() == 1
    await harness.watcher.handle([push_of("smoke")])
    assert [(e, chat) for e, _k, chat, _s in await rows(harness.sessions)] == [
        ("nsd-ev-1", GROUP),
        ("nsd-ev-1", OWNER),
    ]


async def test_a_later_alarm_of_the_same_device_is_a_new_alert(harness: Harness) -> None:
    await harness.watcher.run_once()
    await harness.watcher.handle([push_of("smoke")])
    harness.gateway.events = [polled_smoke(offset=3600)]  # an hour later: another fire
    harness.watcher.poll_soon(HOME)
    await harness.watcher.run_once()
    assert len(await rows(harness.sessions)) == 4


# -- ahead of any other pending message -------------------------------------------------------------------


async def test_claims_take_alarm_rows_before_an_older_backlog(harness: Harness, make_event: Any) -> None:
    backlog = [make_event(f"m{i}", time=EPOCH - 100 + i) for i in range(6)]
    await ingest(harness.sessions, backlog, "poll")
    await harness.watcher.handle([push_of("smoke")])  # arrives last, with no worker in this process
    claimed = await outbox.claim_due(harness.sessions, "worker-1", 60, limit=2)
    assert [row.event.kind for row in claimed] == [Kind.SMOKE, Kind.SMOKE]


async def test_alarms_ring_in_quiet_hours_and_smoke_comes_through_mute_all(harness: Harness) -> None:
    async with harness.sessions.begin() as session:
        await session.execute(update(Subscription).values(quiet_start=0, quiet_end=24 * 60 - 1))
        until = datetime.now(UTC) + timedelta(days=1)  # intake compares mutes with the wall clock
        session.add(Mute(chat_id=GROUP, home_id=HOME, device_id=None, until=until))
    await harness.watcher.handle([push_of("doorbell"), push_of("smoke")])
    found = [(kind, chat, silent) for _id, kind, chat, silent in await rows(harness.sessions)]
    # The doorbell respects the group's "mute all" (someone chose quiet there), never quiet hours.
    assert sorted(found) == [
        ("doorbell_ring", OWNER, False),
        ("smoke", GROUP, False),
        ("smoke", OWNER, False),
    ]


# -- unknown faces found by polling ------------------------------------------------------------------------


def person_event(event_id: str, person_id: str, offset: int) -> dict[str, Any]:
    message = "<b>Anna</b> seen by Hall" if person_id == KNOWN_ID else "Unknown face seen by Hall"
    return {
        "id": event_id,
        "type": "person",
        "time": EPOCH + offset,
        "module_id": CAMERA,
        "person_id": person_id,
        "message": message,
    }


def known_persons_account(harness: Harness) -> None:
    """The link's pyatmo account (homesdata): Anna has a name, the stranger only an id."""
    persons = {
        KNOWN_ID: SimpleNamespace(pseudo="Anna"),
        STRANGER_ID: SimpleNamespace(pseudo=None),
    }

    async def account(link_id: int) -> Any:
        return SimpleNamespace(homes={HOME: SimpleNamespace(persons=persons)})

    harness.gateway.account = account


async def set_people(sessions: Sessions, mode: str, chosen: list[str]) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Subscription).values(people_mode=mode, person_ids=chosen))


@pytest.mark.parametrize(("mode", "chosen"), [("unknown", []), ("chosen", [KNOWN_ID])])
async def test_an_unknown_face_found_by_polling_passes_the_person_filters(
    harness: Harness, mode: str, chosen: list[str]
) -> None:
    """Before: polled person events had person_known None and wants() refused them."""
    known_persons_account(harness)
    await harness.watcher.run_once()
    await set_people(harness.sessions, mode, chosen)
    harness.gateway.events = [person_event("p2", STRANGER_ID, 30), person_event("p1", KNOWN_ID, 20)]
    harness.watcher.poll_soon(HOME)
    assert await harness.watcher.run_once() == 2
    got = {e for e, *_rest in await rows(harness.sessions)}
    assert got == ({"p2"} if mode == "unknown" else {"p1", "p2"})


async def test_polled_faces_are_kept_as_is_when_the_known_persons_cannot_be_read(harness: Harness) -> None:
    await harness.watcher.run_once()  # the fake gateway has no account: nothing can be known
    await set_people(harness.sessions, "unknown", [])
    harness.gateway.events = [person_event("p2", STRANGER_ID, 30)]
    harness.watcher.poll_soon(HOME)
    await harness.watcher.run_once()
    assert {e for e, *_rest in await rows(harness.sessions)} == {"p2"}  # unsure counts as unknown


@pytest.mark.parametrize(("is_known", "delivered"), [(False, True), (True, False)])
async def test_person_filters_on_pushed_faces(harness: Harness, is_known: bool, delivered: bool) -> None:
    await set_people(harness.sessions, "unknown", [])
    payload = {
        "push_type": "NACamera-person",
        "event_type": "person",
        "event_id": "push-face",
        "home_id": HOME,
        "camera_id": CAMERA,
        "device_id": CAMERA,
        "persons": [{"id": KNOWN_ID if is_known else STRANGER_ID, "is_known": is_known}],
    }
    await harness.watcher.handle([Push(payload, NOW)])
    assert bool(await rows(harness.sessions)) is delivered


# -- a doorbell ring is a message of its own ---------------------------------------------------------------


async def test_a_ring_after_motion_at_the_door_is_a_new_message_not_a_fold(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    """Folding edits a message, and Telegram does not notify on edits: a ring must ring."""
    user = emulator.add_user("Door")
    chat = emulator.private_chat(user).id
    async with running_worker(emulator, database_url) as worker:
        await seed_chats(worker.sessions, [(chat, "private")])
        t = 1_700_000_000
        await add_event(worker.sessions, delivery_event("motion", time=t), [chat])
        await add_event(worker.sessions, delivery_event("ring", time=t + 10, kind=Kind.DOORBELL_RING), [chat])
        async with asyncio.timeout(10):
            while not (found := await deliveries(worker.sessions)) or any(
                r.state in outbox.WORKABLE for r in found
            ):
                worker.worker.wakeup.set()
                await asyncio.sleep(0.05)
    assert sorted(m.text or "" for m in emulator.messages(chat)) == ["alert motion", "alert ring"]
    assert emulator.calls("editMessageText") == []


class GatedSender:
    """Records the order of sends; the first send of the test waits until `gate` is set."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.order: list[str] = []

    def prime(self, rows: Any) -> None:
        pass

    async def deliver(self, row: Any) -> None:
        self.order.append(row.event.event_id)
        if len(self.order) == 1:
            await self.gate.wait()


async def test_an_alarm_goes_ahead_of_rows_already_waiting_for_its_chat(make_event: Any) -> None:
    def claimed(row_id: int, event_id: str, kind: Kind = Kind.HUMAN, chat: int = OWNER) -> Claimed:
        event = make_event(event_id, kind=kind, time=EPOCH + row_id)
        return Claimed(row_id, row_id, chat, "pending", False, 0, None, event, None)

    sender = GatedSender()
    worker = DeliveryWorker(SimpleNamespace(sessions=None), sender)  # type: ignore[arg-type]
    worker._running = True  # no claim loop: only rows handed over in memory
    worker.submit([claimed(i, f"m{i}") for i in range(4)])
    await asyncio.sleep(0.01)  # m0 is being sent, m1..m3 wait for the chat
    worker.submit([claimed(9, "smoke", Kind.SMOKE)])
    await asyncio.sleep(0.01)
    sender.gate.set()
    await worker.drain(timeout=5)
    assert sender.order == ["m0", "smoke", "m1", "m2", "m3"]
    assert worker._alarms_waiting == {} and worker._chat_locks == {}
