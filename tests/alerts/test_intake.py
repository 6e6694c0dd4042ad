"""ingest/accept: each event stored once whichever source brings it, alerts queued with it, in one go."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update

from bot.alerts.intake import accept, ingest
from bot.domain.events import Kind, Severity, event_from_dict
from bot.netatmo.events import events_from_getevents, parse_webhook
from bot.storage.models import Delivery, Event, HomeDevice, Mute, NetatmoLink, Subscription

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001

GROUP = -100200300


async def test_new_event_stored_once_with_one_delivery_per_chat(
    database_url: str, count: Any, database: Any, delivery_rows: Any, make_event: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER, GROUP))
        event = make_event("e1")
        assert await ingest(sessions, [event], "webhook") == 1
        assert await ingest(sessions, [event], "poll") == 0
        assert await ingest(sessions, [event, event], "poll") == 0
        assert await count(sessions, Event) == 1
        assert await delivery_rows(sessions) == [("e1", "", GROUP, False), ("e1", "", OWNER, False)]
        async with sessions() as session:
            row = await session.scalar(select(Event))
            delivery = await session.scalar(select(Delivery))
        assert row is not None and delivery is not None
        assert (row.source, row.type, row.device_id, row.time) == ("webhook", "human", CAMERA, 1_700_000_000)
        assert event_from_dict(row.data) == replace(event, device_type="NACamera")  # type from topology
        assert (delivery.state, delivery.attempts) == ("pending", 0)


async def test_webhook_and_poll_of_the_same_event_give_one_row_and_one_delivery_per_chat(
    database_url: str,
    count: Any,
    database: Any,
    delivery_rows: Any,
    seed_home: Any,
) -> None:
    push = {
        "push_type": "NACamera-movement",
        "event_type": "movement",
        "event_id": "5d19bxxxxxxxxcca88",
        "home_id": HOME,
        "camera_id": CAMERA,
        "device_id": CAMERA,
        "snapshot_id": "s",
        "snapshot_key": "k",
    }
    polled = [{"id": "5d19bxxxxxxxxcca88", "type": "movement", "time": 1_700_000_100, "module_id": CAMERA}]
    outdoor_push = {
        "push_type": "NOC-outdoor",
        "event_type": "outdoor",
        "event_id": "out1",
        "home_id": HOME,
        "camera_id": CAMERA,
        "event_list": [{"id": "sub1", "type": "human"}, {"id": "sub2", "type": "vehicle"}],
    }
    outdoor_polled = {
        "id": "out1",
        "type": "outdoor",
        "time": 1_700_000_050,
        "module_id": CAMERA,
        "subevents": [{"id": "sub1", "type": "human"}, {"id": "sub2", "type": "vehicle"}, {"id": "sub3"}],
    }
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER, GROUP))
        from_webhook = [*parse_webhook(push, now=1).events, *parse_webhook(outdoor_push, now=1).events]
        assert len((await accept(sessions, from_webhook, "webhook")).events) == 3
        from_poll = events_from_getevents(HOME, [*polled, outdoor_polled])
        new = (await accept(sessions, from_poll, "poll")).events
        assert [(e.event_id, e.subevent_id) for e in new] == [("out1", "sub3")]
        assert await count(sessions, Event) == 4
        rows = await delivery_rows(sessions)
        assert len(rows) == 8 and len(set(rows)) == 8
        assert {(r[0], r[1]) for r in rows} == {
            ("5d19bxxxxxxxxcca88", ""),
            ("out1", "sub1"),
            ("out1", "sub2"),
            ("out1", "sub3"),
        }


async def test_homes_without_an_active_link_are_skipped(
    sqlite_url: str, count: Any, database: Any, make_event: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        async with sessions.begin() as session:
            await session.execute(update(NetatmoLink).values(state="broken"))
        assert await ingest(sessions, [make_event("e1")], "poll") == 0
        assert await count(sessions, Event) == 0
        assert await ingest(sessions, [make_event("e2", home_id="unknown-home")], "poll") == 0
        async with sessions.begin() as session:  # relinked: alerts resume
            await session.execute(update(NetatmoLink).values(state="active"))
        assert await ingest(sessions, [make_event("e1")], "poll") == 1


async def test_deliver_false_stores_history_without_alerts(
    sqlite_url: str, count: Any, database: Any, make_event: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        assert await ingest(sessions, [make_event("old1"), make_event("old2")], "poll", deliver=False) == 2
        assert (await count(sessions, Event), await count(sessions, Delivery)) == (2, 0)


async def test_routing_rules_apply(
    sqlite_url: str, database: Any, delivery_rows: Any, make_event: Any, seed_home: Any
) -> None:
    now = datetime.now(UTC)
    async with database(sqlite_url) as sessions:
        await seed_home(sessions, chats=(OWNER, GROUP))
        async with sessions.begin() as session:
            session.add(Mute(chat_id=GROUP, home_id=HOME, device_id=CAMERA, until=now + timedelta(hours=1)))
            await session.execute(
                update(Subscription).where(Subscription.chat_id == OWNER).values(active=False)
            )
        await ingest(sessions, [make_event("motion")], "webhook", now=now)
        assert await delivery_rows(sessions) == []  # owner paused, group muted this camera
        smoke = make_event("fire", kind=Kind.SMOKE, severity=Severity.ALARM, netatmo_type="NSD-smoke")
        await ingest(sessions, [smoke], "webhook", now=now)
        assert await delivery_rows(sessions) == [("fire", "", GROUP, False)]  # a mute never hides a fire


async def test_connection_events_are_stored_but_not_alerted(
    sqlite_url: str, count: Any, database: Any, make_event: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions)
        off = make_event("d1", kind=Kind.CAMERA_OFFLINE, severity=Severity.INFO, netatmo_type="disconnection")
        new = (await accept(sessions, [off], "poll")).events
        assert [e.event_id for e in new] == ["d1"]
        assert (await count(sessions, Event), await count(sessions, Delivery)) == (1, 0)
        async with sessions() as session:
            device = await session.get(HomeDevice, (HOME, CAMERA))
        assert device is not None and device.reachable is False


async def test_large_batches_across_homes(
    sqlite_url: str, count: Any, database: Any, make_event: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions, "h1", chats=(OWNER, GROUP))
        await seed_home(sessions, "h2", chats=(OWNER,))
        events = [make_event(f"e{i}", home_id="h1" if i % 2 else "h2") for i in range(1500)]
        started = time.perf_counter()
        assert await ingest(sessions, events, "poll") == 1500
        elapsed = time.perf_counter() - started
        assert await count(sessions, Event) == 1500
        assert await count(sessions, Delivery) == 750 * 2 + 750
        print(f"ingest: {1500 / elapsed:.0f} events/s")
        assert await ingest(sessions, events, "webhook") == 0


async def test_the_write_transaction_holds_only_writes(
    database_url: str, count: Any, database: Any, make_event: Any, seed_home: Any
) -> None:
    """The homes and routing are read before the transaction that stores the batch: on SQLite that
    transaction holds the only writer lock, and every read inside it would keep other writers waiting."""
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER, GROUP))
        engine = sessions.kw["bind"].sync_engine
        open_statements: dict[int, list[str]] = {}
        committed: list[list[str]] = []

        def begin(connection: Any) -> None:
            open_statements[id(connection)] = []

        def statement(connection: Any, cursor: Any, text: str, *_: Any) -> None:
            open_statements.setdefault(id(connection), []).append(text.split()[0].upper())

        def commit(connection: Any) -> None:
            committed.append(open_statements.pop(id(connection), []))

        event.listen(engine, "begin", begin)
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        try:
            assert await ingest(sessions, [make_event("w1"), make_event("w2")], "webhook") == 2
        finally:
            event.remove(engine, "begin", begin)
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "commit", commit)
        writes = [kinds for kinds in committed if "INSERT" in kinds]
        assert writes == [["INSERT", "INSERT"]]  # the events, then their outbox rows; no SELECT
        assert await count(sessions, Delivery) == 4


TAG = "70:ee:50:00:00:7a"


def _tag_open_both_ways(webhook_id: str, polled_id: str) -> list[Any]:
    """A door tag opening as its webhook says it (the camera as the device, the tag as the module) and
    as getevents lists it (only the tag)."""
    pushed = parse_webhook(
        {
            "user_id": "netatmo-user-1",
            "event_type": "tag_open",
            "event_id": webhook_id,
            "home_id": HOME,
            "camera_id": CAMERA,
            "device_id": CAMERA,
            "module_id": TAG,
            "message": "Back door open",
            "push_type": "NACamera-tag_open",
        },
        now=1_700_000_000,
    ).events
    polled = events_from_getevents(
        HOME, [{"id": polled_id, "type": "tag_open", "time": 1_700_000_001, "module_id": TAG}]
    )
    return [*pushed, *polled]


async def test_a_polled_door_tag_event_names_its_camera_like_the_webhook(
    database_url: str, database: Any, delivery_rows: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER, GROUP), devices=((CAMERA, "NACamera"), (TAG, "NACamDoorTag")))
        async with sessions.begin() as session:
            await session.execute(update(HomeDevice).where(HomeDevice.device_id == TAG).values(bridge=CAMERA))
            await session.execute(  # the group follows another camera only
                update(Subscription).where(Subscription.chat_id == GROUP).values(camera_ids=["other-camera"])
            )
        assert await ingest(sessions, _tag_open_both_ways("pushed", "polled"), "poll") == 2
        async with sessions() as session:
            stored = {row.event_id: event_from_dict(row.data) for row in await session.scalars(select(Event))}
        for event_id in ("pushed", "polled"):
            device = stored[event_id]
            assert (device.device_id, device.module_id, device.device_type) == (CAMERA, TAG, "NACamera")
        # Whichever source came first, the group's camera filter treats the event the same way.
        assert await delivery_rows(sessions) == [("polled", "", OWNER, False), ("pushed", "", OWNER, False)]


async def test_without_a_known_bridge_a_polled_tag_event_keeps_the_tag(
    sqlite_url: str, database: Any, seed_home: Any
) -> None:
    async with database(sqlite_url) as sessions:
        await seed_home(sessions, chats=(OWNER,), devices=((CAMERA, "NACamera"), (TAG, "NACamDoorTag")))
        assert await ingest(sessions, _tag_open_both_ways("pushed", "polled")[1:], "poll") == 1
        async with sessions() as session:
            row = await session.scalar(select(Event))
        assert row is not None
        polled = event_from_dict(row.data)
        assert (polled.device_id, polled.module_id, polled.device_type) == (TAG, TAG, "NACamDoorTag")
