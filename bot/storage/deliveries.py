"""The outbox: the `deliveries` rows the delivery worker leases, and every state change it makes to them.

Intake inserts one `pending` row per (event, chat) in the same transaction as the event. After that only
this module and `bot.storage.sent_records` (the records of what went out) write them. Rows move:

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

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Executable, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.domain.events import SecurityEvent, event_from_dict, is_urgent
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
class AlertHints:
    """What intake read about a new row's home and chat that its first send needs too (the caption's
    names and zone, the chat's language, the link to fetch the picture with), so that a row handed
    straight to the local worker costs no lookups; rows claimed from the table carry none."""

    home_name: str
    timezone: str
    device_name: str | None  # the reporting module's name, else its device's (as `load_alert_names`)
    link_id: int | None  # the link to fetch the home's pictures with
    language: str | None  # the chat's language


@dataclass(frozen=True)
class LocalLease:
    """Up to `limit` new outbox rows may be inserted already leased to `owner` until `until`: the local
    delivery worker's room, given to intake as plain data by the caller (see `bot.alerts.intake`)."""

    owner: str
    until: datetime
    limit: int


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
    hints: AlertHints | None = None  # on rows intake inserted leased (see `AlertHints`)


@dataclass(frozen=True)
class GroupHead:
    """A message already in the chat that a new event of the same camera can be folded into."""

    message_id: int
    has_photo: bool
    silent: bool
    events: list[SecurityEvent]


def _now() -> datetime:
    return datetime.now(UTC)


# Telegram's id of the event's picture, once any chat has been sent it: a claimed row sends it by id.
# Read from the sibling deliveries (the send that uploaded it records it on its own row, in the write it
# makes anyway), rather than written to the event too: one statement less on every upload.
_SIBLING = aliased(Delivery)
_SENT_FILE_ID = (
    select(_SIBLING.telegram_file_id)
    .where(_SIBLING.event_pk == Event.id, _SIBLING.telegram_file_id.is_not(None))
    .limit(1)
    .correlate(Event)
    .scalar_subquery()
    .label("snapshot_file_id")
)


async def claim_due(sessions: Sessions, owner: str, lease_seconds: float, limit: int) -> list[Claimed]:
    """Lease up to `limit` due rows (oldest first; intake makes alarms due earlier) for `owner`; returns
    them with their events, alarms first."""
    now = _now()
    free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
    due = and_(Delivery.state.in_(WORKABLE), Delivery.next_attempt_at <= now, free)
    async with hot_write(sessions), sessions.begin() as session:
        candidates = (
            select(Delivery.id).where(due).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        # Two statements, not `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`: PostgreSQL
        # may run such a subquery again for each row the UPDATE visits, and each run skips the rows the
        # UPDATE has just changed, so one claim of n leased every due row. The picked rows stay locked
        # (PostgreSQL) or write-locked by `hot_write` (SQLite) until the commit; `due` is checked again.
        picked = list((await session.execute(candidates)).scalars())
        if not picked:
            return []
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(picked), due)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        ids = [row[0] for row in result]
        if not ids:
            return []
        rows = await session.execute(
            select(Delivery, Event, _SENT_FILE_ID)
            .join(Event, Event.id == Delivery.event_pk)
            .where(Delivery.id.in_(ids))
            .order_by(Event.time, Event.id, Delivery.id)
        )
        claimed = [
            Claimed(
                id=d.id,
                event_pk=e.id,
                chat_id=d.chat_id,
                state=d.state,
                silent=d.silent,
                attempts=d.attempts,
                telegram_message_id=d.telegram_message_id,
                event=event_from_dict(e.data),
                snapshot_file_id=file_id,
            )
            for d, e, file_id in rows
        ]
        # Alarms first, then in the order things happened: the worker starts them in this order.
        return sorted(claimed, key=lambda row: not is_urgent(row.event))


async def renew(sessions: Sessions, owner: str, ids: Sequence[int], lease_seconds: float) -> None:
    """Extend the leases this process still works on, so a slow send is not taken over mid-way."""
    if not ids:
        return
    async with hot_write(sessions), sessions.begin() as session:
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
    async with hot_write(sessions), sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def finish(sessions: Sessions, delivery_id: int, state: str, error: str | None = None) -> None:
    """Put a row in a final state (failed, skipped, or sent without the late picture)."""
    async with hot_write(sessions), sessions.begin() as session:
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


@functools.cache
def _latest_camera_message() -> Executable:
    """The newest message in a chat about one camera's events within a time span: asked before every
    alert, so built once (building it cost more than running it)."""
    return (
        select(Delivery.telegram_message_id)
        .join(Event, Event.id == Delivery.event_pk)
        .where(
            Delivery.chat_id == bindparam("chat_id"),
            Delivery.telegram_message_id.is_not(None),
            Delivery.state.in_((SENT, AWAITING_PHOTO)),
            Event.home_id == bindparam("home_id"),
            Event.device_id == bindparam("device_id"),
            Event.time >= bindparam("since"),
            Event.time <= bindparam("until"),
        )
        .order_by(Delivery.telegram_message_id.desc())
        .limit(1)
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
        _latest_camera_message(),
        {
            "chat_id": chat_id,
            "home_id": event.home_id,
            "device_id": event.device_id,
            "since": event.time - int(window),
            "until": event.time + int(window),
        },
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
    if any(e.key == event.key for e in events) or any(e.severity == "alarm" or is_urgent(e) for e in events):
        return None  # an alarm's message keeps telling the alarm (and its buttons) alone
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
