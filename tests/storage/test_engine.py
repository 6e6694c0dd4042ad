"""The engine's SQLite set-up: the pool rolls a connection back only when a transaction is still open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_engine, create_session_factory, ping


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each rollback that reaches aiosqlite (a round trip to its thread), with whether one was open."""
    seen: list[bool] = []
    original = aiosqlite.Connection.rollback

    async def rollback(self: aiosqlite.Connection) -> None:
        seen.append(self.in_transaction)
        await original(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", rollback)
    return seen


async def test_connections_go_back_to_the_pool_without_a_second_rollback(
    engine: AsyncEngine, rollbacks: list[bool]
) -> None:
    """A session that read ends its transaction with one rollback (SQLAlchemy's); the pool adds none,
    and a committed session needs none at all (the pool's default reset costs one round trip each)."""
    sessions = create_session_factory(engine)
    for _ in range(3):
        async with sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    assert rollbacks == [False, False, False]
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
    assert rollbacks == [False, False, False]


async def test_a_transaction_left_open_is_rolled_back_and_frees_the_write_lock(
    engine: AsyncEngine, rollbacks: list[bool], sqlite_url: str
) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))  # never committed
    assert rollbacks == [True]
    # Another connection writes at once: with the lock still held it would wait out its busy timeout.
    other = create_engine(sqlite_url, connect_args={"timeout": 0.1})
    try:
        async with other.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (2)"))
        async with other.connect() as connection:
            assert (await connection.execute(text("SELECT x FROM t"))).scalars().all() == [2]
    finally:
        await other.dispose()


async def test_ping_is_a_round_trip_inside_the_session(engine: AsyncEngine) -> None:
    async with create_session_factory(engine)() as session:
        await ping(session)
        assert session.in_transaction()  # it really reached the database
