"""Storing events once and queueing their alerts: the single door through which every event comes in.

Webhook and poll may both bring the same event, and several replicas may bring it at once; the unique key
(home, event id, sub-event id) decides which one stores it, and only the one that stored it writes the
outbox rows, in the same transaction. So an event is alerted at most once per chat whatever the race, and
never lost between "stored" and "queued".

Throughput matters (a busy home after an outage, the bench): events are handled in one batch per home with
one transaction, a multi-row INSERT … ON CONFLICT DO NOTHING RETURNING, one routing read and one multi-row
outbox insert — no per-event round trips and no Netatmo calls.
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
from bot.storage.subscriptions import load_routing
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
    async with sessions() as session:
        active = await homes_with_active_link(session, by_home)
    skipped = set(by_home) - active
    if skipped:
        LOG.info("intake_skipped reason=no_active_link homes=%d source=%s", len(skipped), source)
    new: list[SecurityEvent] = []
    for home_id in sorted(active):
        batch = list(by_home[home_id].values())
        async with sessions.begin() as session:
            new.extend(await _ingest_home(session, home_id, batch, source, deliver, now))
    return new


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


async def _ingest_home(
    session: AsyncSession,
    home_id: str,
    events: list[SecurityEvent],
    source: str,
    deliver: bool,
    now: datetime,
) -> list[SecurityEvent]:
    types = dict(
        (
            await session.execute(
                select(HomeDevice.device_id, HomeDevice.type).where(HomeDevice.home_id == home_id)
            )
        ).all()
    )
    events = [_with_device_type(event, types) for event in events]
    stored: dict[tuple[str, str], int] = {}
    for start in range(0, len(events), _CHUNK):
        chunk = events[start : start + _CHUNK]
        statement = (
            _insert(session, Event)
            .values([_event_row(event, source, now) for event in chunk])
            .on_conflict_do_nothing(index_elements=["home_id", "event_id", "subevent_id"])
            .returning(Event.id, Event.event_id, Event.subevent_id)
        )
        for pk, event_id, subevent_id in await session.execute(statement):
            stored[(event_id, subevent_id)] = pk
    new = [event for event in events if (event.event_id, event.subevent_id) in stored]
    if not new or not deliver:
        return new
    rules, mutes, timezone = await load_routing(session, home_id, now)
    rows = [
        {
            "event_pk": stored[(event.event_id, event.subevent_id)],
            "chat_id": recipient.chat_id,
            "state": "pending",
            "silent": recipient.silent,
            "next_attempt_at": now,
        }
        for event in new
        for recipient in recipients(event, rules, mutes, timezone, now)
    ]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(
            _insert(session, Delivery)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["event_pk", "chat_id"])
        )
    LOG.info("intake_stored home=%s source=%s new=%d deliveries=%d", home_id, source, len(new), len(rows))
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
