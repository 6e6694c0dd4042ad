"""Intake's writes: the events of a batch and their outbox rows, each one multi-row INSERT.

The unique key (home, event id, sub-event id) decides which writer stores an event, so ON CONFLICT DO
NOTHING RETURNING tells the caller exactly which events of its batch were new; the outbox rows' own key
(event, chat) makes a repeated insert harmless. The statements are built once per dialect: run with a list
of rows, SQLAlchemy sends them as multi-row INSERTs ("insertmanyvalues", RETURNING included) from one
cached compilation, where a `.values([...])` of the rows would be compiled afresh for every batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.events import SecurityEvent, event_from_dict
from bot.storage.models import Delivery, Event

EventKey = tuple[str, str, str]  # (home id, event id, sub-event id)

_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(session: AsyncSession, name: str) -> Any:
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
            if name == "returning_deliveries":
                found = found.returning(deliveries.c.id, deliveries.c.event_pk, deliveries.c.chat_id)
        _STATEMENTS[(dialect, name)] = found
    return found


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[EventKey, int]:
    """Insert the rows that are not stored yet; returns the primary key of each one this call stored."""
    if not rows:
        return {}
    connection = await session.connection()  # Core statements: the ORM's execution path costs more
    inserted = await connection.execute(_statement(session, "events"), list(rows))
    return {(home_id, event_id, subevent_id): pk for pk, home_id, event_id, subevent_id in inserted}


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert outbox rows (columns of `Delivery`)."""
    if rows:
        connection = await session.connection()
        await connection.execute(_statement(session, "deliveries"), list(rows))


async def insert_deliveries_returning(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[tuple[int, int, int]]:
    """Insert outbox rows; returns (id, event pk, chat id) of each one inserted."""
    if not rows:
        return []
    connection = await session.connection()
    inserted = await connection.execute(_statement(session, "returning_deliveries"), list(rows))
    return [(int(row_id), int(event_pk), int(chat_id)) for row_id, event_pk, chat_id in inserted]


async def events_near(
    session: AsyncSession, home_ids: Sequence[str], devices: Sequence[str | None], start: int, end: int
) -> list[SecurityEvent]:
    """Stored events of these homes and devices with a time in [start, end]: what an alarm told twice
    (once by a push without an event id, once by polling) is looked for among them. Alarms are rare, so
    this read runs only for batches that hold one."""
    device_ids = [device for device in devices if device is not None]
    if not home_ids or not device_ids:
        return []
    rows = await session.scalars(
        select(Event.data).where(
            Event.home_id.in_(list(home_ids)),
            Event.device_id.in_(device_ids),
            Event.time.between(start, end),
        )
    )
    return [event_from_dict(dict(data)) for data in rows]
