"""Storing events once and queueing their alerts: the single door through which every event comes in.

Webhook and poll may both bring the same event, and several replicas may bring it at once; the unique key
(home, event id, sub-event id) decides which one stores it, and only the one that stored it writes the
outbox rows, in the same transaction. So an event is alerted at most once per chat whatever the race, and
never lost between "stored" and "queued".

A batch of events of any number of homes costs a fixed number of statements, because a webhook burst or a
busy home after an outage must not cost a round trip per event: two reads before the transaction
(`bot.storage.intake_reads`: the homes an active link sees, the routing), then one write transaction
(`bot.storage.events`). Intake only stores: it returns what it committed (`Stored`) and the caller decides
who sends it. A caller with a delivery worker in its process may pass a `LocalLease`; up to its `limit`
outbox rows are then inserted already leased to that worker and come back as `Stored.rows`, with what the
reads found about their home and chat (`AlertHints`), for the caller to hand over. The rest are inserted
unleased for any worker to claim. A process that dies before sending leased rows leaves leases that
expire like any claimed row's.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.reachability import is_connection_event, observations_from_events, observe
from bot.domain.events import ECHO_WINDOW, SecurityEvent, event_to_dict, is_urgent, same_happening
from bot.domain.routing import recipients
from bot.netatmo.topology import SENSOR_TYPES
from bot.storage import events as event_store
from bot.storage.deliveries import PENDING, Claimed, LocalLease
from bot.storage.engine import hot_write
from bot.storage.intake_reads import HomeFacts, Routing, read_batch

LOG = logging.getLogger(__name__)

# An alarm's outbox rows are due this much earlier than the others, so any claim (ordered by due time)
# takes them before the rest of a backlog.
URGENT_HEAD_START = timedelta(hours=1)

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Stored:
    """What one intake committed."""

    events: list[SecurityEvent] = field(default_factory=list)  # the new events, in batch order
    rows: list[Claimed] = field(default_factory=list)  # outbox rows inserted leased (`LocalLease`)
    queued: int = 0  # outbox rows inserted unleased, for any worker to claim

    def add(self, other: Stored) -> None:
        self.events += other.events
        self.rows += other.rows
        self.queued += other.queued


async def ingest(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
) -> int:
    """Store each event once and queue its alerts unleased; returns how many events were new.

    `deliver=False` stores without alerting (the history a first poll finds, raw connection events that
    the reachability rules turn into alerts instead).
    """
    return len((await store(sessions, events, source, deliver=deliver, now=now)).events)


async def store(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
    lease: LocalLease | None = None,
) -> Stored:
    """Store each event once and queue its alerts (up to `lease.limit` of them leased); returns what was
    committed. Nothing is returned for a transaction that rolled back: it raises."""
    now = now or datetime.now(UTC)
    by_home: dict[str, dict[tuple[str, str, str], SecurityEvent]] = defaultdict(dict)
    for event in events:
        by_home[event.home_id].setdefault(event.key, event)  # duplicates within one batch count once
    if not by_home:
        return Stored()
    active, routing = await read_batch(sessions, list(by_home), now, deliver)
    skipped = set(by_home) - set(active)
    if skipped:
        LOG.info("intake_skipped reason=no_active_link homes=%d source=%s", len(skipped), source)
    batches = {home_id: list(by_home[home_id].values()) for home_id in sorted(active)}
    if not batches:
        return Stored()
    # One write transaction for the whole batch, all homes at once; in-process writers queue (SQLite).
    async with hot_write(sessions), sessions.begin() as session:
        return await _store_homes(session, batches, active, routing, source, deliver, now, lease)


async def accept(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    reachability: bool = True,
    now: datetime | None = None,
    lease: LocalLease | None = None,
) -> Stored:
    """The whole intake of a batch of normalised events; returns what was committed.

    Raw connection/disconnection events are stored without alerts and fed to the reachability rules, which
    alert only for outages longer than the threshold (see `bot.alerts.reachability`); a device coming back
    after such an outage is alerted here at once. `lease`: see the module docstring.
    """
    connections = [event for event in events if is_connection_event(event)]
    others = [event for event in events if not is_connection_event(event)]
    stored = await store(sessions, others, source, deliver=deliver, now=now, lease=lease)
    stored_connections = await store(sessions, connections, source, deliver=False, now=now)
    if reachability and stored_connections.events:
        back = await observe(sessions, observations_from_events(stored_connections.events))
        if lease is not None:
            lease = LocalLease(lease.owner, lease.until, max(0, lease.limit - len(stored.rows)))
        stored.add(await store(sessions, back, "watcher", now=now, lease=lease))
    stored.events += stored_connections.events
    return stored


async def _store_homes(
    session: AsyncSession,
    batches: dict[str, list[SecurityEvent]],
    homes: dict[str, HomeFacts],
    routing: Routing,
    source: str,
    deliver: bool,
    now: datetime,
    lease: LocalLease | None,
) -> Stored:
    """Store the events of several homes and queue their alerts: a fixed number of statements per batch
    (event inserts, delivery inserts; `routing` was read before), not per home."""
    home_ids = list(batches)
    events = [_complete(homes[home_id], event) for home_id in home_ids for event in batches[home_id]]
    echoes = await _echoes(session, [event for event in events if is_urgent(event)]) if deliver else set()
    stored = await event_store.insert_events(session, [_event_row(event, source, now) for event in events])
    new = [event for event in events if (event.home_id, event.event_id, event.subevent_id) in stored]
    if not new or not deliver:
        return Stored(new)
    for event in new:
        if event.key in echoes:
            LOG.info("alarm_echo home=%s event=%s kind=%s", event.home_id, event.event_id, event.kind.value)
    deliveries: list[dict[str, Any]] = []
    queued: dict[tuple[int, int], tuple[SecurityEvent, bool]] = {}  # (event pk, chat) -> (event, silent)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for event in sorted(new, key=lambda e: not is_urgent(e)):  # alarms first: leased to the local worker
        if event.key in echoes:
            continue  # stored, so it is known, but its happening was alerted already
        rules, mutes, timezone = routing.by_home[event.home_id]
        chats = recipients(event, rules, mutes, timezone, now)
        counts[event.home_id][0] += 1
        counts[event.home_id][1] += len(chats)
        event_pk = stored[(event.home_id, event.event_id, event.subevent_id)]
        for recipient in chats:
            queued[(event_pk, recipient.chat_id)] = (event, recipient.silent)
            deliveries.append(
                {
                    "event_pk": event_pk,
                    "chat_id": recipient.chat_id,
                    "state": PENDING,
                    "silent": recipient.silent,
                    "next_attempt_at": now - URGENT_HEAD_START if is_urgent(event) else now,
                    "lease_owner": None,
                    "lease_until": None,
                }
            )
    leased = min(lease.limit, len(deliveries)) if lease is not None else 0
    for row in deliveries[:leased]:
        assert lease is not None
        row["lease_owner"], row["lease_until"] = lease.owner, lease.until
    await event_store.insert_deliveries(session, deliveries[leased:])
    result = Stored(new, queued=len(deliveries) - leased)
    for delivery_id, event_pk, chat_id in await event_store.insert_deliveries_returning(
        session, deliveries[:leased]
    ):
        event, silent = queued[(event_pk, chat_id)]
        result.rows.append(
            Claimed(
                id=delivery_id,
                event_pk=event_pk,
                chat_id=chat_id,
                state=PENDING,
                silent=silent,
                attempts=0,
                telegram_message_id=None,
                event=event,
                snapshot_file_id=None,
                hints=homes[event.home_id].hints(event, routing.languages.get(chat_id)),
            )
        )
    for home_id, (stored_count, delivery_count) in counts.items():
        LOG.info(
            "intake_stored home=%s source=%s new=%d deliveries=%d",
            home_id,
            source,
            stored_count,
            delivery_count,
        )
    return result


async def _echoes(session: AsyncSession, urgent: Sequence[SecurityEvent]) -> set[tuple[str, str, str]]:
    """Keys of the alarms of a batch that retell a happening already stored or earlier in the batch: a
    push without an event id and the poll that brings the same alarm under Netatmo's id (either order)."""
    if not urgent:
        return set()
    nearby = await event_store.events_near(
        session,
        sorted({event.home_id for event in urgent}),
        sorted({event.source_device or "" for event in urgent}),
        min(event.time for event in urgent) - ECHO_WINDOW,
        max(event.time for event in urgent) + ECHO_WINDOW,
    )
    echoes: set[tuple[str, str, str]] = set()
    for event in urgent:
        if any(same_happening(event, other) for other in nearby):
            echoes.add(event.key)
        else:
            nearby.append(event)
    return echoes


def _complete(home: HomeFacts, event: SecurityEvent) -> SecurityEvent:
    """The event as its webhook says it, from the stored topology. getevents names only the module: no
    device type, and for a door tag or siren not the camera it talks through, which the webhook gives as
    the device (camera filters and mutes apply to that camera whichever source came first)."""
    device = event.device_id or ""
    bridge = home.bridges.get(device)
    if bridge is not None and event.device_type in SENSOR_TYPES and event.module_id in (None, device):
        bridge_type = home.device_types.get(bridge, event.device_type)
        return replace(event, device_id=bridge, module_id=device, device_type=bridge_type)
    if event.device_type is None and device in home.device_types:
        return replace(event, device_type=home.device_types[device])
    return event


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
