"""INSERT … ON CONFLICT for SQLite and PostgreSQL alike (both dialects support it, with the same API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def _insert(session: AsyncSession, model: type[DeclarativeBase]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    keys: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert a row, or update the `update` columns of the row with the same `keys`."""
    statement = _insert(session, model).values(**values)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(statement)


async def insert_ignore(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any], keys: Sequence[str]
) -> bool:
    """Insert a row unless one with the same keys exists; True when this call inserted it."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
