"""The outbox: the `deliveries` rows the delivery worker leases, and every state change it makes to them.

Intake inserts one `pending` row per (event, chat) in the same transaction as the event. This module is
the only writer after that. Rows move:

    pending ──send──▶ sent                        (photo or text, message id recorded)
    pending ──send text, picture not ready──▶ awaiting_photo ──edit with photo / give up──▶ sent
    pending ──403──▶ failed     pending ──too many tries / bad request──▶ failed

A row is worked on only under a lease (`lease_owner`, `lease_until`): claiming is one UPDATE whose WHERE
re-checks that the lease is free, so two replicas never both win it (on PostgreSQL the candidate rows are
also picked with `FOR UPDATE SKIP LOCKED`, so replicas do not queue behind each other's locks). The
message id is written in its own short transaction right after the send, which bounds a duplicate after a
hard kill to the one message that was in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import SecurityEvent, event_from_dict
from bot.storage.engine import hot_write
from bot.storage.models import Delivery, Event, Mute, Subscription, TelegramChat
from bot.storage.upsert import upsert

PENDING = "pending"
AWAITING_PHOTO = "awaiting_photo"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
WORKABLE = (PENDING, AWAITING_PHOTO)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Claimed:
    """One leased delivery with what sending it needs."""

    id: int
    event_pk: int
    chat_id: int
    state: str
    silent: bool
    attempts: int
    telegram_message_id: int | None
    event: SecurityEvent
    snapshot_file_id: str | None


@dataclass(frozen=True)
class GroupHead:
    """A message already in the chat that a new event of the same camera can be folded into."""

    message_id: int
    has_photo: bool
    silent: bool
    events: list[SecurityEvent]


def _now() -> datetime:
    return datetime.now(UTC)


async def claim_due(sessions: Sessions, owner: str, lease_seconds: float, limit: int) -> list[Claimed]:
    """Lease up to `limit` due rows (oldest first) for `owner`; returns them with their events."""
    now = _now()
    free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
    due = and_(Delivery.state.in_(WORKABLE), Delivery.next_attempt_at <= now, free)
    async with sessions.begin() as session:
        candidates = (
            select(Delivery.id).where(due).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(candidates.scalar_subquery()), due)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        ids = [row[0] for row in result]
        if not ids:
            return []
        rows = await session.execute(
            select(Delivery, Event)
            .join(Event, Event.id == Delivery.event_pk)
            .where(Delivery.id.in_(ids))
            .order_by(Event.time, Event.id, Delivery.id)
        )
        return [
            Claimed(
                id=d.id,
                event_pk=e.id,
                chat_id=d.chat_id,
                state=d.state,
                silent=d.silent,
                attempts=d.attempts,
                telegram_message_id=d.telegram_message_id,
                event=event_from_dict(e.data),
                snapshot_file_id=e.snapshot_file_id,
            )
            for d, e in rows
        ]


async def renew(sessions: Sessions, owner: str, ids: Sequence[int], lease_seconds: float) -> None:
    """Extend the leases this process still works on, so a slow send is not taken over mid-way."""
    if not ids:
        return
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(ids)), Delivery.lease_owner == owner)
            .values(lease_until=_now() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )


async def release_owner(sessions: Sessions, owner: str) -> None:
    """Drop every lease `owner` holds (clean stop): another replica can take the rows at once."""
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.lease_owner == owner, Delivery.state.in_(WORKABLE))
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


async def reclaim_all(sessions: Sessions) -> int:
    """Free every lease. Only for SQLite at start-up: one process per file, so any lease is a dead one's."""
    async with sessions.begin() as session:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.lease_owner.is_not(None), Delivery.state.in_(WORKABLE))
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def record_sent(
    sessions: Sessions,
    delivery_id: int,
    message_id: int,
    *,
    has_photo: bool,
    file_id: str | None = None,
    awaiting_photo_at: datetime | None = None,
    event_file_id: tuple[int, str] | None = None,
) -> None:
    """Record a message that went out. Not guarded by the lease: the send happened, so say so.

    `event_file_id` (event pk, file id) also remembers an uploaded snapshot's file id on the event, in
    the same transaction (see `record_file_id`).
    """
    async with sessions.begin() as session:
        await _record_sent(
            session,
            delivery_id,
            message_id,
            has_photo=has_photo,
            file_id=file_id,
            awaiting_photo_at=awaiting_photo_at,
            event_file_id=event_file_id,
        )


async def _record_sent(
    session: AsyncSession,
    delivery_id: int,
    message_id: int,
    *,
    has_photo: bool,
    file_id: str | None = None,
    awaiting_photo_at: datetime | None = None,
    event_file_id: tuple[int, str] | None = None,
) -> None:
    values: dict[str, object] = {
        "telegram_message_id": message_id,
        "has_photo": has_photo,
        "telegram_file_id": file_id,
        "sent_at": _now(),
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
    }
    if awaiting_photo_at is not None:
        values.update(state=AWAITING_PHOTO, next_attempt_at=awaiting_photo_at, attempts=0)
    else:
        values["state"] = SENT
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state.in_(WORKABLE))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if event_file_id is not None:
        await _remember_file_id(session, *event_file_id)


_DELIVERIES = cast(Table, Delivery.__table__)
_EVENTS = cast(Table, Event.__table__)

# The plain "sent" record of many rows at once, as one executemany (see `_record_sent`).
_SENT_MANY = (
    update(_DELIVERIES)
    .where(  # not IN (…): an expanding parameter cannot be used with executemany
        _DELIVERIES.c.id == bindparam("b_id"),
        or_(*(_DELIVERIES.c.state == state for state in WORKABLE)),
    )
    .values(
        state=SENT,
        telegram_message_id=bindparam("b_message_id"),
        has_photo=bindparam("b_has_photo"),
        telegram_file_id=bindparam("b_file_id"),
        sent_at=bindparam("b_sent_at"),
        lease_owner=None,
        lease_until=None,
        last_error=None,
    )
)
_FILE_ID_MANY = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("b_id"), _EVENTS.c.snapshot_file_id.is_(None))
    .values(snapshot_file_id=bindparam("b_file_id"))
)


async def _record_sent_many(session: AsyncSession, records: Sequence[dict[str, Any]]) -> None:
    """`_record_sent` for each record, the plain ones (no late picture) as one statement per table."""
    plain = [r for r in records if r.get("awaiting_photo_at") is None]
    for record in records:
        if record.get("awaiting_photo_at") is not None:
            await _record_sent(session, **record)
    if not plain:
        return
    sent_at = _now()
    await session.execute(
        _SENT_MANY,
        [
            {
                "b_id": r["delivery_id"],
                "b_message_id": r["message_id"],
                "b_has_photo": r["has_photo"],
                "b_file_id": r.get("file_id"),
                "b_sent_at": sent_at,
            }
            for r in plain
        ],
    )
    file_ids = [r["event_file_id"] for r in plain if r.get("event_file_id") is not None]
    if file_ids:
        await session.execute(_FILE_ID_MANY, [{"b_id": pk, "b_file_id": fid} for pk, fid in file_ids])


class SentRecorder:
    """Group commit of `record_sent`: the records of sends that finish within `window` seconds of each
    other are written in one transaction, and each caller returns only once its record is committed.

    So a message id is as durable as with one transaction per send when its caller goes on (the chat's
    next alert waits for it, the lease is far from expiring), while a burst costs one commit per window
    instead of one per message, and the records no longer compete with each other for SQLite's write
    lock. A hard kill loses at most the records of the sends then in flight — one per chat at most, as
    before, since a chat sends one message at a time.
    """

    def __init__(self, sessions: Sessions, window: float = 0.005) -> None:
        self._sessions = sessions
        self.window = window
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.commits = 0  # transactions written (tests, bench)

    async def record_sent(self, delivery_id: int, message_id: int, **kwargs: Any) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(({"delivery_id": delivery_id, "message_id": message_id, **kwargs}, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-sent-recorder")
        # Shielded: a caller cancelled now (stop) must not take its record out of the batch.
        await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(self.window)
            batch, self._pending = self._pending, []
            try:
                async with hot_write(self._sessions), self._sessions.begin() as session:
                    await _record_sent_many(session, [record for record, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                self.commits += 1
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


async def record_photo_added(sessions: Sessions, delivery_id: int, file_id: str | None) -> None:
    """The late picture was put into the text alert: the row is done."""
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                state=SENT,
                has_photo=file_id is not None,
                telegram_file_id=file_id,
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )


async def record_file_id(sessions: Sessions, event_pk: int, file_id: str) -> None:
    """Remember Telegram's id of the uploaded snapshot, so other chats (and replicas) send it by id."""
    async with sessions.begin() as session:
        await _remember_file_id(session, event_pk, file_id)


async def _remember_file_id(session: AsyncSession, event_pk: int, file_id: str) -> None:
    await session.execute(
        update(Event)
        .where(Event.id == event_pk, Event.snapshot_file_id.is_(None))
        .values(snapshot_file_id=file_id)
        .execution_options(synchronize_session=False)
    )


async def reschedule(
    sessions: Sessions, delivery_id: int, owner: str, delay: float, error: str, *, count: bool = True
) -> None:
    """Try again after `delay` seconds (the lease is dropped so any replica may do it)."""
    values: dict[str, object] = {
        "next_attempt_at": _now() + timedelta(seconds=delay),
        "last_error": error[:500],
        "lease_owner": None,
        "lease_until": None,
    }
    if count:
        values["attempts"] = Delivery.attempts + 1
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def finish(sessions: Sessions, delivery_id: int, state: str, error: str | None = None) -> None:
    """Put a row in a final state (failed, skipped, or sent without the late picture)."""
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                state=state, last_error=error[:500] if error else None, lease_owner=None, lease_until=None
            )
            .execution_options(synchronize_session=False)
        )


async def pause_chat(sessions: Sessions, chat_id: int, reason: str, error: str) -> None:
    """The bot may no longer write to `chat_id` (blocked, removed): pause its subscriptions and fail its
    other waiting deliveries, so the outbox does not keep knocking on a closed door."""
    async with sessions.begin() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == chat_id, Subscription.active.is_(True))
            .values(active=False, paused_reason=reason)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(TelegramChat)
            .where(TelegramChat.id == chat_id)
            .values(bot_blocked_at=_now())
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == chat_id, Delivery.state == PENDING)
            .values(state=FAILED, last_error=error[:500], lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


async def follow_migration(sessions: Sessions, old_id: int, new_id: int) -> None:
    """A group became a supergroup: record it, and move subscriptions, mutes and waiting deliveries."""
    async with sessions.begin() as session:
        old = await session.get(TelegramChat, old_id)
        title = old.title if old is not None else None
        await upsert(session, TelegramChat, {"id": new_id, "type": "supergroup", "title": title}, ["id"])
        await session.execute(
            update(TelegramChat)
            .where(TelegramChat.id == old_id)
            .values(migrated_to=new_id)
            .execution_options(synchronize_session=False)
        )
        taken = select(Subscription.home_id).where(Subscription.chat_id == new_id)
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == old_id, Subscription.home_id.not_in(taken))
            .values(chat_id=new_id)
            .execution_options(synchronize_session=False)
        )
        await session.execute(delete(Subscription).where(Subscription.chat_id == old_id))
        await session.execute(
            update(Mute)
            .where(Mute.chat_id == old_id)
            .values(chat_id=new_id)
            .execution_options(synchronize_session=False)
        )
        have = select(Delivery.event_pk).where(Delivery.chat_id == new_id)
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == old_id, Delivery.state == PENDING, Delivery.event_pk.not_in(have))
            .values(chat_id=new_id, next_attempt_at=_now(), lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.chat_id == old_id, Delivery.state == PENDING)
            .values(state=SKIPPED, last_error="chat migrated", lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


async def group_head(
    session: AsyncSession, chat_id: int, event: SecurityEvent, window: float, max_events: int
) -> GroupHead | None:
    """The message in `chat_id` that already tells of the same camera within `window` seconds, if any.

    A group is anchored at its first event, so a camera that keeps firing starts a new message every
    `window` seconds instead of growing one message for ever.
    """
    if event.device_id is None:
        return None
    latest = await session.execute(
        select(Delivery.telegram_message_id)
        .join(Event, Event.id == Delivery.event_pk)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.telegram_message_id.is_not(None),
            Delivery.state.in_((SENT, AWAITING_PHOTO)),
            Event.home_id == event.home_id,
            Event.device_id == event.device_id,
            Event.time >= event.time - int(window),
            Event.time <= event.time + int(window),
        )
        .order_by(Delivery.telegram_message_id.desc())
        .limit(1)
    )
    message_id = latest.scalar_one_or_none()
    if message_id is None:
        return None
    rows = await session.execute(
        select(Delivery, Event)
        .join(Event, Event.id == Delivery.event_pk)
        .where(Delivery.chat_id == chat_id, Delivery.telegram_message_id == message_id)
        .order_by(Event.time, Delivery.id)
    )
    members = list(rows)
    events = [event_from_dict(e.data) for _, e in members]
    if not events or len(events) >= max_events or event.time - events[0].time > window:
        return None
    if any(e.key == event.key for e in events) or any(e.severity == "alarm" for e in events):
        return None
    first = members[0][0]
    return GroupHead(message_id, any(d.has_photo for d, _ in members), first.silent, events)


async def group_events(session: AsyncSession, chat_id: int, message_id: int) -> list[SecurityEvent]:
    """Every event told in one message (one, or several folded together), oldest first."""
    rows = await session.execute(
        select(Event.data)
        .join(Delivery, Delivery.event_pk == Event.id)
        .where(Delivery.chat_id == chat_id, Delivery.telegram_message_id == message_id)
        .order_by(Event.time, Delivery.id)
    )
    return [event_from_dict(data) for data in rows.scalars()]


async def counts_by_state(session: AsyncSession) -> dict[str, int]:
    """How many rows are in each state (health and tests)."""
    rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state: int(count) for state, count in rows}
