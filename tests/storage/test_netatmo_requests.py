"""The shared request table (PostgreSQL): a slot is recorded only when every window has room."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage import migrate
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import NetatmoRequest
from bot.storage.netatmo_requests import count_recent, take_slot

KEY = "netatmo:5c810d9c4d"


@pytest.fixture
async def sessions(postgres_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate.upgrade(postgres_url)
    engine = create_engine(postgres_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_slots_fill_the_tightest_window_then_say_how_long_to_wait(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    windows = ((3, 60.0), (5, 3600.0))
    for _ in range(3):
        async with sessions.begin() as session:
            assert await take_slot(session, KEY, windows, 3600.0) == 0.0
    async with sessions.begin() as session:
        wait = await take_slot(session, KEY, windows, 3600.0)
    assert 55.0 < wait <= 60.0  # the oldest of the three leaves the minute window in about a minute
    async with sessions() as session:
        assert await count_recent(session, KEY, 60.0) == 3  # the refused request was not recorded
        assert await count_recent(session, "netatmo:other", 60.0) == 0
        assert await take_slot(session, "netatmo:other", windows, 3600.0) == 0.0  # another account


async def test_requests_older_than_the_longest_window_are_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        old = await session.scalar(select(func.now() - func.make_interval(0, 0, 0, 0, 2)))
        session.add(NetatmoRequest(account_key=KEY, at=old))
    async with sessions.begin() as session:
        assert await take_slot(session, KEY, ((10, 60.0),), 3600.0) == 0.0
        kept = list(await session.scalars(select(NetatmoRequest.at).where(NetatmoRequest.account_key == KEY)))
    assert len(kept) == 1 and kept[0] != old
