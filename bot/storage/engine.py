"""Engine and session factory: the one place that knows how to connect to the database."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; for SQLite also create the folder and turn on WAL and foreign keys.

    WAL lets the watcher write while commands read; SQLite ignores foreign keys unless told per connection.
    """
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        kwargs.setdefault("pool_reset_on_return", None)  # `_rollback_if_open` instead
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if kwargs["pool_reset_on_return"] is None:
            event.listen(engine.sync_engine, "reset", _rollback_if_open)
    return engine


def _rollback_if_open(dbapi_connection: Any, _record: Any, reset_state: PoolResetState) -> None:
    """Roll back a connection going back to the pool only when SQLite says a transaction is open.

    The pool's default reset rolls back every time, and through aiosqlite each rollback is a round trip
    to the connection's thread, while a session that only read has already ended its transaction and one
    that committed has nothing to roll back. A connection left in a transaction (an error mid-write) is
    still rolled back here, so it never keeps SQLite's write lock.
    """
    if not reset_state.terminate_only and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def ping(session: AsyncSession) -> None:
    """A round trip to the database; raises when it cannot answer (the health check)."""
    await session.execute(text("SELECT 1"))


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit, so handlers can read what they just wrote."""
    return async_sessionmaker(engine, expire_on_commit=False)


# One asyncio lock per SQLite engine (and event loop): see `hot_write`.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def hot_write(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Serialise this process's frequent write transactions on SQLite (a no-op on other databases).

    SQLite has one writer at a time; a writer that finds the lock taken sleeps in SQLite's busy handler
    (1, 2, 5, 10 … 100 ms per try), however soon the lock is free again. The alert path's own writers —
    intake's transaction and the delivery's sent records — queue on this lock instead and go the moment
    the other commits. Hold it around a whole `sessions.begin()` block that opens no other session.
    """
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        yield
        return
    engine = bind.sync_engine if isinstance(bind, AsyncEngine) else bind
    loop = asyncio.get_running_loop()
    found = _WRITE_LOCKS.get(engine)
    if found is None or found[0] is not loop:
        found = (loop, asyncio.Lock())
        _WRITE_LOCKS[engine] = found
    async with found[1]:
        yield
