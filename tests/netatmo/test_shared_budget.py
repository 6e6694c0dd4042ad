"""The request budget replicas share on PostgreSQL: the windows hold for all of them together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.netatmo.budget import RequestBudget
from bot.netatmo.errors import Throttled
from bot.netatmo.shared_budget import SharedRequestBudget, budget_for
from bot.storage.models import NetatmoRequest

MakeGateway = Callable[..., Awaitable[Any]]  # the `make_gateway` fixture

ACCOUNT = "netatmo:5c810d9c4d"


async def _taken(budgets: list[RequestBudget], attempts: int) -> int:
    """Requests granted at once (no waiting) when `attempts` are spread over the replicas in turn."""
    granted = 0
    for attempt in range(attempts):
        try:
            await budgets[attempt % len(budgets)].acquire(ACCOUNT, max_wait=0)
        except Throttled:
            continue
        granted += 1
    return granted


async def test_two_replicas_together_stay_inside_the_window(postgres_url: str, database: Any) -> None:
    async with database(postgres_url) as sessions:
        windows = ((5, 30.0),)
        alone = [RequestBudget(windows), RequestBudget(windows)]
        assert await _taken(alone, 8) == 8  # each process alone: 2 × the limit would go out
        shared = [SharedRequestBudget(sessions, windows), SharedRequestBudget(sessions, windows)]
        assert await _taken(shared, 8) == 5
        assert await shared[0].used_everywhere(ACCOUNT, 30.0) == 5
        assert await shared[1].used_everywhere("netatmo:someone-else", 30.0) == 0
        assert await _taken([SharedRequestBudget(sessions, windows)], 1) == 0  # a third replica too


async def test_concurrent_replicas_never_overdraw(postgres_url: str, database: Any) -> None:
    async with database(postgres_url) as sessions:
        windows = ((7, 30.0), (9, 3600.0))
        replicas = [SharedRequestBudget(sessions, windows) for _ in range(3)]

        async def one(budget: SharedRequestBudget) -> bool:
            try:
                await budget.acquire(ACCOUNT, max_wait=0)
            except Throttled:
                return False
            return True

        results = await asyncio.gather(*(one(replicas[i % 3]) for i in range(20)))
        assert sum(results) == 7
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(NetatmoRequest)) == 7


async def test_a_full_window_waits_for_room_then_goes(postgres_url: str, database: Any) -> None:
    async with database(postgres_url) as sessions:
        windows = ((2, 2.0),)
        first, second = SharedRequestBudget(sessions, windows), SharedRequestBudget(sessions, windows)
        await first.acquire(ACCOUNT)
        await first.acquire(ACCOUNT)
        started = time.monotonic()
        with pytest.raises(Throttled) as raised:  # the other replica's requests count
            await second.acquire(ACCOUNT, max_wait=0.1)
        retry_after = raised.value.retry_after
        assert retry_after is not None and 0 < retry_after <= 2.0
        await second.acquire(ACCOUNT, max_wait=5.0)
        assert time.monotonic() - started >= retry_after - 0.1  # it waited for the window to free


async def test_requests_older_than_the_longest_window_are_forgotten(postgres_url: str, database: Any) -> None:
    async with database(postgres_url) as sessions:
        old = datetime.now(UTC) - timedelta(hours=2)
        async with sessions.begin() as session:
            session.add_all(NetatmoRequest(account_key=ACCOUNT, at=old) for _ in range(3))
        budget = SharedRequestBudget(sessions, ((2, 10.0), (5, 3600.0)))
        await budget.acquire(ACCOUNT, max_wait=0)
        async with sessions() as session:
            kept = list(await session.scalars(select(NetatmoRequest.at)))
        assert len(kept) == 1 and kept[0] > old


async def test_the_budget_follows_the_database(sqlite_url: str, postgres_url: str, database: Any) -> None:
    async with database(sqlite_url) as sessions:
        assert type(budget_for(sessions)) is RequestBudget  # one process: its own windows suffice
    async with database(postgres_url) as sessions:
        assert isinstance(budget_for(sessions), SharedRequestBudget)


async def test_gateways_of_two_replicas_share_one_account_budget(
    make_gateway: MakeGateway, postgres_url: str
) -> None:
    """The real path: API calls of two gateways on one database (two replicas) draw on one budget."""
    linker = await make_gateway(database_url=postgres_url)
    link_id = await linker.link()
    windows = ((3, 60.0),)
    a = await make_gateway(database_url=postgres_url, budget=lambda s: SharedRequestBudget(s, windows))
    b = await make_gateway(database_url=postgres_url, budget=lambda s: SharedRequestBudget(s, windows))
    assert await a.gateway.homes(link_id)
    assert await a.gateway.homes(link_id)
    assert await b.gateway.homes(link_id)
    with pytest.raises(Throttled):
        await b.gateway.homes(link_id)
    async with a.sessions() as session:
        keys = list(await session.scalars(select(NetatmoRequest.account_key)))
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0].startswith("netatmo:")
