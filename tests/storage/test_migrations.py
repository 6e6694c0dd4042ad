"""The migrations build exactly the schema the models describe, and undo it, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.storage import migrate
from bot.storage.engine import create_engine
from bot.storage.models import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_matches_models_and_downgrade_removes_everything(database_url: str) -> None:
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            tables = await connection.run_sync(_tables)
            assert set(Base.metadata.tables) <= tables
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            assert version is not None
        await migrate.downgrade(database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        await migrate.upgrade(database_url)  # and up again, as after a rollback
        async with engine.connect() as connection:
            assert set(Base.metadata.tables) <= await connection.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_sqlite_enforces_foreign_keys(sqlite_url: str) -> None:
    await migrate.upgrade(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await engine.dispose()


async def test_dropping_the_event_file_id_keeps_events_and_their_deliveries(database_url: str) -> None:
    """0004 must not copy `events` on SQLite: dropping the old table would cascade into `deliveries`."""
    await migrate.upgrade(database_url, "0003")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO homes (id, name, timezone) VALUES ('h1', 'Home', 'UTC')",
                "INSERT INTO telegram_chats (id, type) VALUES (42, 'private')",
                "INSERT INTO events (id, home_id, event_id, subevent_id, type, time, source, data, "
                "snapshot_file_id) VALUES (1, 'h1', 'e1', '', 'movement', 1700000000, 'webhook', '{}', 'F1')",
                "INSERT INTO deliveries (id, event_pk, chat_id, state, silent, attempts, has_photo, "
                "telegram_file_id, next_attempt_at) VALUES (7, 1, 42, 'sent', false, 0, true, 'F1', "
                "CURRENT_TIMESTAMP)",
            ):
                await connection.execute(text(statement))
        await migrate.upgrade(database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            kept = await connection.execute(text("SELECT id, event_pk, telegram_file_id FROM deliveries"))
            assert kept.all() == [(7, 1, "F1")]
            assert (await connection.execute(text("SELECT event_id FROM events"))).scalars().all() == ["e1"]
        await migrate.downgrade(database_url, "0003")
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT event_id, snapshot_file_id FROM events"))).one()
            assert tuple(row) == ("e1", None)
            assert (await connection.execute(text("SELECT count(*) FROM deliveries"))).scalar() == 1
    finally:
        await engine.dispose()
