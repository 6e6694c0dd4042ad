"""Recording what went out: message ids, photos added late, the file ids of the pictures sent.

Kept apart from the leasing and retry rules of `bot.storage.deliveries` because it is the one hot write of the
send path: `SentRecorder` group-commits the records of sends that finish close together, while each send
still waits until its own record is durable (so a hard kill can repeat at most the message in flight).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.deliveries import AWAITING_PHOTO, SENT, WORKABLE, Sessions
from bot.storage.engine import hot_write
from bot.storage.models import Delivery


def _now() -> datetime:
    return datetime.now(UTC)


async def record_sent(
    sessions: Sessions,
    delivery_id: int,
    message_id: int,
    *,
    has_photo: bool,
    file_id: str | None = None,
    awaiting_photo_at: datetime | None = None,
) -> None:
    """Record a message that went out. Not guarded by the lease: the send happened, so say so.

    `file_id` is the picture's id at Telegram: the event's other deliveries read it from this row
    (`outbox.claim_due`) and send the picture by id instead of uploading it again.
    """
    async with sessions.begin() as session:
        await _record_sent(
            session,
            delivery_id,
            message_id,
            has_photo=has_photo,
            file_id=file_id,
            awaiting_photo_at=awaiting_photo_at,
        )


async def _record_sent(
    session: AsyncSession,
    delivery_id: int,
    message_id: int,
    *,
    has_photo: bool,
    file_id: str | None = None,
    awaiting_photo_at: datetime | None = None,
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


_DELIVERIES = cast(Table, Delivery.__table__)

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


async def _record_sent_many(session: AsyncSession, records: Sequence[dict[str, Any]]) -> None:
    """`_record_sent` for each record, the plain ones (no late picture) as one statement per table."""
    plain = [r for r in records if r.get("awaiting_photo_at") is None]
    for record in records:
        if record.get("awaiting_photo_at") is not None:
            await _record_sent(session, **record)
    if not plain:
        return
    sent_at = _now()
    connection = await session.connection()  # Core statements: the ORM's execution path costs more
    await connection.execute(
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
