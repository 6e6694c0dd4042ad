"""The request budget on a fake clock: sliding windows, waiting, refusing, backoff."""

from __future__ import annotations

import asyncio

import pytest

from bot.netatmo.budget import RequestBudget
from bot.netatmo.errors import Throttled


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_windows_allow_up_to_the_limit_then_refuse_beyond_max_wait() -> None:
    clock = FakeClock()
    budget = RequestBudget(((3, 10.0), (5, 3600.0)), max_wait=1.0, clock=clock)
    for _ in range(3):
        await budget.acquire("a")
    with pytest.raises(Throttled) as raised:
        await budget.acquire("a")
    assert 9.0 < raised.value.retry_after <= 10.0
    await budget.acquire("b")  # accounts are independent
    clock.now += 10.0
    await budget.acquire("a")
    await budget.acquire("a")
    with pytest.raises(Throttled) as raised:  # the hourly window is full now
        await budget.acquire("a")
    assert raised.value.retry_after > 3000
    assert budget.used("a", 3600) == 5


async def test_waits_when_a_slot_frees_within_max_wait() -> None:
    budget = RequestBudget(((2, 0.2), (100, 3600.0)), max_wait=1.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(4):
        await budget.acquire("a")
    assert loop.time() - started >= 0.2


async def test_penalize_backs_off_exponentially_and_success_resets() -> None:
    clock = FakeClock()
    budget = RequestBudget(max_wait=0.0, clock=clock)
    assert budget.penalize("a") == 5.0
    assert budget.penalize("a") == 10.0
    with pytest.raises(Throttled):
        await budget.acquire("a")
    clock.now += 11
    await budget.acquire("a")
    budget.succeeded("a")
    assert budget.penalize("a") == 5.0
    assert budget.penalize("a", retry_after=42.0) == 42.0


async def test_concurrent_waiters_never_exceed_the_window() -> None:
    budget = RequestBudget(((5, 0.3), (1000, 3600.0)), max_wait=2.0)
    loop = asyncio.get_running_loop()
    stamps: list[float] = []

    async def call() -> None:
        await budget.acquire("a")
        stamps.append(loop.time())

    await asyncio.gather(*(call() for _ in range(15)))
    stamps.sort()
    for index in range(len(stamps) - 5):
        assert stamps[index + 5] - stamps[index] >= 0.29
