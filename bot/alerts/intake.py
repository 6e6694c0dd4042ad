"""Storing events once and queueing their alerts: the single door through which every event comes in.

Webhook and poll may both bring the same event, and several replicas may bring it at once; the unique key
(home, event id, sub-event id) decides which one stores it, and only the one that stored it writes the
outbox rows, in the same transaction. So an event is alerted at most once per chat whatever the race, and
never lost between "stored" and "queued".

Throughput matters (a busy home after an outage, a webhook burst, the bench): a batch of events of any
number of homes costs a fixed number of statements — two reads on one connection before the transaction
(`bot.storage.intake_reads`: the homes, with their active link, zone, names and devices; the routing,
subscriptions with their chats' languages and running mutes), then one write transaction with a multi-row
INSERT … ON CONFLICT DO NOTHING RETURNING and multi-row outbox inserts — no per-home or per-event round
trips and no Netatmo calls. What the reads say also travels with the rows handed to the local worker
(`bot.alerts.hints`), so their first send looks nothing up again.

Handoff. When the caller passes a `DeliveryHandoff` (the local delivery worker, when it runs and has
room), the outbox rows it has room for are inserted already leased to it — `lease_owner` = its owner,
`lease_until` = now + its lease — in the same transaction, and handed to it in memory once the transaction
has committed: no claim query and no wake-up stand between intake and the send. Rows it has no room for
are inserted unleased, as without a handoff, and the worker is woken to claim them. If the process dies
before the rows are sent, their leases expire and any replica claims them, exactly like claimed rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.hints import Expected
from bot.alerts.reachability import is_connection_event, observations_from_events, observe
from bot.domain.events import SecurityEvent, event_to_dict
from bot.domain.routing import recipients
from bot.storage.deliveries import PENDING, Claimed
from bot.storage.engine import hot_write
from bot.storage.intake_reads import HomeFacts, Routing, read_batch
from bot.storage.models import Delivery, Event

LOG = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]


class DeliveryHandoff(Protocol):
    """A delivery worker in this process that takes new outbox rows straight from intake.

    `reserve(n)` grants room for up to `n` rows (0 when full or stopping); intake inserts that many rows
    leased to `owner` for `lease_seconds` and, once its transaction is over, calls `adopt` exactly once
    per reservation with the rows it committed (none if it rolled back), so the reservation is returned.
    `wake()` asks the worker to claim rows that were inserted unleased, and `expect` gives it their hints
    first (`bot.alerts.hints`), after the commit.
    """

    @property
    def owner(self) -> str: ...

    @property
    def lease_seconds(self) -> float: ...

    def reserve(self, wanted: int) -> int: ...

    def adopt(self, rows: Sequence[Claimed], reserved: int) -> None: ...

    def expect(self, expected: Sequence[Expected]) -> None: ...

    def wake(self) -> None: ...


@dataclass
class _Handover:
    """What one intake transaction pre-leased to the handoff, settled after the transaction."""

    to: DeliveryHandoff | None
    reserved: int = 0
    rows: list[Claimed] = field(default_factory=list)
    unleased: list[Expected] = field(default_factory=list)

    def settle(self, committed: bool) -> None:
        if self.to is None:
            return
        reserved, self.reserved = self.reserved, 0
        if reserved:
            self.to.adopt(self.rows if committed else [], reserved)
        if committed and self.unleased:
            self.to.expect(self.unleased)
            self.to.wake()


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(session: AsyncSession, name: str) -> Any:
    """The INSERTs of a batch, built once per dialect: Core statements run with a list of rows, which
    SQLAlchemy sends as multi-row INSERTs ("insertmanyvalues", RETURNING included) from one cached
    compilation — a `.values([...])` of the rows themselves would be compiled afresh for every batch."""
    dialect = session.get_bind().dialect.name
    found = _STATEMENTS.get((dialect, name))
    if found is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        events, deliveries = cast(Table, Event.__table__), cast(Table, Delivery.__table__)
        if name == "events":
            found = (
                insert(events)
                .on_conflict_do_nothing(index_elements=["home_id", "event_id", "subevent_id"])
                .returning(events.c.id, events.c.home_id, events.c.event_id, events.c.subevent_id)
            )
        else:
            found = insert(deliveries).on_conflict_do_nothing(index_elements=["event_pk", "chat_id"])
            if name == "leased_deliveries":
                found = found.returning(deliveries.c.id, deliveries.c.event_pk, deliveries.c.chat_id)
        _STATEMENTS[(dialect, name)] = found
    return found


async def ingest(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
    handoff: DeliveryHandoff | None = None,
) -> int:
    """Store each event once and queue its alerts; returns how many events were new.

    `deliver=False` stores without alerting (the history a first poll finds, raw connection events that
    the reachability rules turn into alerts instead).
    """
    return len(await ingest_new(sessions, events, source, deliver=deliver, now=now, handoff=handoff))


async def ingest_new(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    now: datetime | None = None,
    handoff: DeliveryHandoff | None = None,
) -> list[SecurityEvent]:
    """Like `ingest`, returning the events that were new (the ones this call stored)."""
    now = now or datetime.now(UTC)
    by_home: dict[str, dict[tuple[str, str, str], SecurityEvent]] = defaultdict(dict)
    for event in events:
        by_home[event.home_id].setdefault(event.key, event)  # duplicates within one batch count once
    if not by_home:
        return []
    new: list[SecurityEvent] = []
    active, routing = await read_batch(sessions, list(by_home), now, deliver)
    skipped = set(by_home) - set(active)
    if skipped:
        LOG.info("intake_skipped reason=no_active_link homes=%d source=%s", len(skipped), source)
    batches = {home_id: list(by_home[home_id].values()) for home_id in sorted(active)}
    handover = _Handover(handoff if deliver else None)
    try:
        # One write transaction for the whole batch, all homes at once; in-process writers queue (SQLite).
        async with hot_write(sessions), sessions.begin() as session:
            new = await _ingest_homes(session, batches, active, routing, source, deliver, now, handover)
    except BaseException:
        handover.settle(committed=False)
        raise
    handover.settle(committed=True)
    return new


async def accept(
    sessions: Sessions,
    events: Sequence[SecurityEvent],
    source: str,
    *,
    deliver: bool = True,
    reachability: bool = True,
    now: datetime | None = None,
    handoff: DeliveryHandoff | None = None,
) -> list[SecurityEvent]:
    """The whole intake of a batch of normalised events; returns the new ones.

    Raw connection/disconnection events are stored without alerts and fed to the reachability rules, which
    alert only for outages longer than the threshold (see `bot.alerts.reachability`); a device coming back
    after such an outage is alerted here at once. With a `handoff`, the alerts go to the local delivery
    worker in memory (see the module docstring).
    """
    connections = [event for event in events if is_connection_event(event)]
    others = [event for event in events if not is_connection_event(event)]
    new = await ingest_new(sessions, others, source, deliver=deliver, now=now, handoff=handoff)
    new_connections = await ingest_new(sessions, connections, source, deliver=False, now=now)
    if reachability and new_connections:
        back = await observe(sessions, observations_from_events(new_connections))
        new += await ingest_new(sessions, back, "watcher", now=now, handoff=handoff)
    return new + new_connections


async def _ingest_homes(
    session: AsyncSession,
    batches: dict[str, list[SecurityEvent]],
    homes: dict[str, HomeFacts],
    routing: Routing,
    source: str,
    deliver: bool,
    now: datetime,
    handover: _Handover,
) -> list[SecurityEvent]:
    """Store the events of several homes and queue their alerts: a fixed number of statements per batch
    (event inserts, delivery inserts; `routing` was read before), not per home. The rows `handover` has
    room for are inserted leased to its worker and collected in `handover.rows`."""
    if not batches:
        return []
    home_ids = list(batches)
    events = [homes[home_id].complete(event) for home_id in home_ids for event in batches[home_id]]
    stored: dict[tuple[str, str, str], int] = {}
    connection = await session.connection()  # the inserts are Core statements: no ORM execution path
    if events:
        rows = [_event_row(event, source, now) for event in events]
        inserted_events = await connection.execute(_statement(session, "events"), rows)
        for pk, home_id, event_id, subevent_id in inserted_events:
            stored[(home_id, event_id, subevent_id)] = pk
    new = [event for event in events if (event.home_id, event.event_id, event.subevent_id) in stored]
    if not new or not deliver:
        return new
    deliveries: list[dict[str, Any]] = []
    queued: dict[tuple[int, int], tuple[SecurityEvent, bool]] = {}  # (event pk, chat) -> (event, silent)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for event in new:
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
                    "next_attempt_at": now,
                    "lease_owner": None,
                    "lease_until": None,
                }
            )
    leased = 0
    to = handover.to
    if to is not None and deliveries:
        leased = to.reserve(len(deliveries))
        handover.reserved += leased
        # Real time, not `now` (a caller's clock): leases are compared with the wall clock.
        lease_until = datetime.now(UTC) + timedelta(seconds=to.lease_seconds)
        for row in deliveries[:leased]:
            row["lease_owner"], row["lease_until"] = to.owner, lease_until
    if len(deliveries) > leased:
        await connection.execute(_statement(session, "deliveries"), deliveries[leased:])
        if to is not None:
            for row in deliveries[leased:]:
                event, _ = queued[(row["event_pk"], row["chat_id"])]
                hints = homes[event.home_id].hints(event, routing.languages.get(row["chat_id"]))
                handover.unleased.append((event, row["chat_id"], hints))
    if leased:
        inserted = await connection.execute(_statement(session, "leased_deliveries"), deliveries[:leased])
        for delivery_id, event_pk, chat_id in inserted:
            event, silent = queued[(event_pk, chat_id)]
            handover.rows.append(
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
    return new


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
