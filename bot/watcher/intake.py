"""Storing events once and queueing their alerts: the single door through which every event comes in.

Webhook and poll may both bring the same event, and several replicas may bring it at once; the unique key
(home, event id, sub-event id) decides which one stores it, and only the one that stored it writes the
outbox rows, in the same transaction. So an event is alerted at most once per chat whatever the race, and
never lost between "stored" and "queued".

Throughput matters (a busy home after an outage, a webhook burst, the bench): a batch of events of any
number of homes is handled in one transaction with a fixed number of statements — one device-type read,
multi-row INSERT … ON CONFLICT DO NOTHING RETURNING, one routing read (three queries for all homes) and
multi-row outbox inserts — no per-home or per-event round trips and no Netatmo calls.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import SecurityEvent, event_to_dict
from bot.domain.routing import recipients
from bot.storage.models import Delivery, Event, HomeDevice, HomeMember, NetatmoLink
from bot.storage.subscriptions import load_routing_many
from bot.watcher.reachability import is_connection_event, observations_from_events, observe

LOG = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_CHUNK = 400  # rows per INSERT: well under SQLite's bound-parameter limit


def _insert(session: AsyncSession, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def homes_with_active_link(session: AsyncSession, home_ids: Iterable[str]) -> set[str]:
    """The homes among `home_ids` that at least one active Netatmo link still sees."""
    wanted = list(set(home_ids))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(HomeMember.home_id)
        .join(NetatmoLink, NetatmoLink.id == HomeMember.link_id)
        .where(HomeMember.home_id.in_(wanted), NetatmoLink.state == "active")
        .distinct()
    )
    return set(rows)


async def ingest(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
) -> int:
    """Store each event once and queue its alerts; returns how many events were new.

    `deliver=False` stores without alerting (the history a first poll finds, raw connection events that
    the reachability rules turn into alerts instead).
    """
    return len(await ingest_new(sessions, events, source, deliver=deliver, now=now))


async def ingest_new(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
) -> list[SecurityEvent]:
    """Like `ingest`, returning the events that were new (the ones this call stored)."""
    now = now or datetime.now(UTC)
    by_home: dict[str, dict[tuple[str, str, str], SecurityEvent]] = defaultdict(dict)
    for event in events:
        by_home[event.home_id].setdefault(event.key, event)  # duplicates within one batch count once
    if not by_home:
        return []
    async with sessions.begin() as session:  # one transaction for the whole batch, all homes at once
        active = await homes_with_active_link(session, by_home)
        skipped = set(by_home) - active
        if skipped:
            LOG.info("intake_skipped reason=no_active_link homes=%d source=%s", len(skipped), source)
        batches = {home_id: list(by_home[home_id].values()) for home_id in sorted(active)}
        return await _ingest_homes(session, batches, source, deliver, now)


async def accept(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    reachability: bool = True,
    now: datetime | None = None,
) -> list[SecurityEvent]:
    """The whole intake of a batch of normalised events; returns the new ones.

    Raw connection/disconnection events are stored without alerts and fed to the reachability rules, which
    alert only for outages longer than the threshold (see `bot.watcher.reachability`); a device coming back
    after such an outage is alerted here at once.
    """
    connections = [event for event in events if is_connection_event(event)]
    others = [event for event in events if not is_connection_event(event)]
    new = await ingest_new(sessions, others, source, deliver=deliver, now=now)
    new_connections = await ingest_new(sessions, connections, source, deliver=False, now=now)
    if reachability and new_connections:
        back = await observe(sessions, observations_from_events(new_connections))
        new += await ingest_new(sessions, back, "watcher", now=now)
    return new + new_connections


async def _ingest_homes(
    session: AsyncSession,
    batches: dict[str, list[SecurityEvent]],
    source: str,
    deliver: bool,
    now: datetime,
) -> list[SecurityEvent]:
    """Store the events of several homes and queue their alerts: a fixed number of statements per batch
    (device types, event inserts, routing, delivery inserts), not per home."""
    if not batches:
        return []
    home_ids = list(batches)
    types: dict[str, dict[str, str]] = defaultdict(dict)
    rows = await session.execute(
        select(HomeDevice.home_id, HomeDevice.device_id, HomeDevice.type).where(
            HomeDevice.home_id.in_(home_ids)
        )
    )
    for home_id, device_id, device_type in rows:
        types[home_id][device_id] = device_type
    events = [_with_device_type(event, types[home_id]) for home_id in home_ids for event in batches[home_id]]
    stored: dict[tuple[str, str, str], int] = {}
    for start in range(0, len(events), _CHUNK):
        chunk = events[start : start + _CHUNK]
        statement = (
            _insert(session, Event)
            .values([_event_row(event, source, now) for event in chunk])
            .on_conflict_do_nothing(index_elements=["home_id", "event_id", "subevent_id"])
            .returning(Event.id, Event.home_id, Event.event_id, Event.subevent_id)
        )
        for pk, home_id, event_id, subevent_id in await session.execute(statement):
            stored[(home_id, event_id, subevent_id)] = pk
    new = [event for event in events if (event.home_id, event.event_id, event.subevent_id) in stored]
    if not new or not deliver:
        return new
    routing = await load_routing_many(session, sorted({event.home_id for event in new}), now)
    deliveries: list[dict[str, Any]] = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for event in new:
        rules, mutes, timezone = routing[event.home_id]
        chats = recipients(event, rules, mutes, timezone, now)
        counts[event.home_id][0] += 1
        counts[event.home_id][1] += len(chats)
        deliveries.extend(
            {
                "event_pk": stored[(event.home_id, event.event_id, event.subevent_id)],
                "chat_id": recipient.chat_id,
                "state": "pending",
                "silent": recipient.silent,
                "next_attempt_at": now,
            }
            for recipient in chats
        )
    for start in range(0, len(deliveries), _CHUNK):
        await session.execute(
            _insert(session, Delivery)
            .values(deliveries[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["event_pk", "chat_id"])
        )
    for home_id, (stored_count, delivery_count) in counts.items():
        LOG.info(
            "intake_stored home=%s source=%s new=%d deliveries=%d",
            home_id,
            source,
            stored_count,
            delivery_count,
        )
    return new


def _with_device_type(event: SecurityEvent, types: dict[str, str]) -> SecurityEvent:
    """Fill the device type from the stored topology when the event did not say (getevents never does)."""
    if event.device_type is not None or event.device_id not in types:
        return event
    return replace(event, device_type=types[event.device_id])


def _event_row(event: SecurityEvent, source: str, now: datetime) -> dict[str, Any]:
    return {
        "home_id": event.home_id,
        "event_id": event.event_id,
        "subevent_id": event.subevent_id,
        "type": event.netatmo_type[:64],
        "device_id": event.source_device,
        "person_id": event.person_id,
        "time": event.time,
        "source": source[:16],
        "data": event_to_dict(event),
        "received_at": now,
    }
