"""The write queue: throttled writes retried within the deadline, exactly once, ahead of reads."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from bot.netatmo.budget import PRIORITY, RequestBudget
from bot.netatmo.errors import DeviceUnreachable, Throttled, WriteGaveUp
from bot.netatmo.writes import WriteQueue, WriteWait
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID

ROOMY = ((10_000, 10.0), (100_000, 3600.0))


class Script:
    """A fake write: raises the scripted errors in turn, then succeeds; counts its calls."""

    def __init__(self, *errors: Exception, budget: RequestBudget | None = None) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.budget = budget

    async def __call__(self) -> str:
        self.calls += 1
        if self.budget is not None:
            await self.budget.acquire("acct")
        if self.errors:
            error = self.errors.pop(0)
            if isinstance(error, Throttled) and self.budget is not None:
                self.budget.penalize("acct", error.retry_after)
            raise error
        return "done"


async def test_throttled_tries_are_retried_and_progress_is_told_once() -> None:
    budget = RequestBudget(ROOMY)
    queue = WriteQueue(budget, deadline=5.0)
    script = Script(Throttled(retry_after=0.1), Throttled(retry_after=0.1), budget=budget)
    waits: list[WriteWait] = []

    async def progress(wait: WriteWait) -> None:
        waits.append(wait)

    started = time.monotonic()
    assert await queue.submit(1, "test", script, progress=progress) == "done"
    assert script.calls == 3
    assert time.monotonic() - started >= 0.2  # Netatmo's Retry-After was respected through the budget
    assert [(w.attempt, w.label) for w in waits] == [(1, "test")]
    assert queue.retried == 2 and queue.gave_up == 0


async def test_a_pause_longer_than_the_deadline_fails_at_once_without_another_try() -> None:
    queue = WriteQueue(RequestBudget(ROOMY), deadline=1.0)
    script = Script(Throttled(retry_after=60.0))
    started = time.monotonic()
    with pytest.raises(WriteGaveUp) as raised:
        await queue.submit(1, "test", script)
    assert script.calls == 1 and time.monotonic() - started < 0.5
    assert raised.value.kind == "write_gave_up" and raised.value.attempts == 1


async def test_other_errors_are_not_retried() -> None:
    queue = WriteQueue(RequestBudget(ROOMY))
    script = Script(DeviceUnreachable())
    with pytest.raises(DeviceUnreachable):
        await queue.submit(1, "test", script)
    assert script.calls == 1


async def test_writes_of_one_link_run_one_at_a_time_in_order() -> None:
    queue = WriteQueue(RequestBudget(ROOMY))
    order: list[str] = []

    def write(name: str) -> Any:
        async def call() -> None:
            order.append(f"{name}+")
            await asyncio.sleep(0.05)
            order.append(f"{name}-")

        return call

    await asyncio.gather(*(queue.submit(7, name, write(name)) for name in "abc"))
    assert order == ["a+", "a-", "b+", "b-", "c+", "c-"]


async def test_a_write_waiting_for_a_slot_goes_before_reads_queued_earlier() -> None:
    budget = RequestBudget(((1, 0.2), (1000, 3600.0)), max_wait=5.0)
    queue = WriteQueue(budget)
    await budget.acquire("acct")  # the window is full for 0.2 s
    order: list[str] = []

    async def read(name: str) -> None:
        await budget.acquire("acct")
        order.append(name)

    async def write() -> None:
        await budget.acquire("acct")
        order.append("write")

    reads = [asyncio.create_task(read(f"read{i}")) for i in range(2)]
    await asyncio.sleep(0.01)  # both reads are waiting now
    await queue.submit(1, "write", write)
    await asyncio.gather(*reads)
    assert order == ["write", "read0", "read1"]


# Against the simulator: the real transport, Retry-After and backoff, the simulator's write log -----------


async def _inject(simulator: Any, **fault: Any) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{simulator.base_url}/_sim/faults", json=fault) as resp:
            assert resp.status == 200


def _monitoring_writes(log: list[dict[str, Any]]) -> list[str]:
    return [
        module["monitoring"]
        for entry in log
        if entry["endpoint"] == "setstate"
        for module in entry["params"]["json"]["home"]["modules"]
    ]


async def test_429_storm_during_a_write_goes_through_once(make_gateway: Any) -> None:
    harness = await make_gateway(RequestBudget(ROOMY))
    link_id = await harness.link()
    gateway = harness.gateway
    await _inject(harness.simulator, endpoint="setstate", preset="usage_limit", count=4, retry_after=0.2)
    await _inject(harness.simulator, endpoint="setstate", preset="concurrency", count=2, retry_after=0.1)
    waits: list[WriteWait] = []

    async def progress(wait: WriteWait) -> None:
        waits.append(wait)

    await gateway.writes.submit(
        link_id,
        "monitoring off",
        lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, INDOOR_CAMERA_ID, False),
        deadline=10.0,
        progress=progress,
    )
    assert _monitoring_writes(await harness.simulator.write_log()) == ["off"]  # exactly once
    assert len(waits) == 1 and gateway.writes.retried == 6
    camera = harness.simulator.world.find_device(INDOOR_CAMERA_ID)[1]
    assert camera.state.get("monitoring") == "off"


async def test_a_storm_longer_than_the_deadline_ends_in_a_clear_failure(make_gateway: Any) -> None:
    harness = await make_gateway(RequestBudget(ROOMY))
    link_id = await harness.link()
    gateway = harness.gateway
    await _inject(harness.simulator, endpoint="setstate", preset="usage_limit", seconds=30, retry_after=0.2)
    started = time.monotonic()
    with pytest.raises(WriteGaveUp):
        await gateway.writes.submit(
            link_id,
            "monitoring off",
            lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, INDOOR_CAMERA_ID, False),
            deadline=1.0,
        )
    assert time.monotonic() - started < 1.5
    assert _monitoring_writes(await harness.simulator.write_log()) == []  # nothing was made
    camera = harness.simulator.world.find_device(INDOOR_CAMERA_ID)[1]
    assert camera.state.get("monitoring") != "off"


class RecordingBudget(RequestBudget):
    """Records, in order, whether each slot went to a write or a read."""

    def __init__(self) -> None:
        super().__init__(ROOMY, max_wait=10.0)
        self.taken: list[str] = []

    async def acquire(self, key: str, *, max_wait: float | None = None) -> None:
        await super().acquire(key, max_wait=max_wait)
        self.taken.append("write" if PRIORITY.get() is not None else "read")


async def test_a_press_during_a_backoff_goes_before_the_polls_already_waiting(make_gateway: Any) -> None:
    budget = RecordingBudget()
    harness = await make_gateway(budget)
    link_id = await harness.link()
    gateway = harness.gateway
    await _inject(harness.simulator, endpoint="homestatus", preset="usage_limit", count=1, retry_after=0.4)
    with pytest.raises(Throttled):  # a poll is refused: the account backs off for 0.4 s
        await gateway.home_status(link_id, HOME_ONE_ID)
    budget.taken.clear()
    polls = [asyncio.create_task(gateway.home_status(link_id, HOME_ONE_ID)) for _ in range(3)]
    await asyncio.sleep(0.05)  # the polls wait for the backoff to end
    await gateway.writes.submit(
        link_id,
        "monitoring off",
        lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, INDOOR_CAMERA_ID, False),
    )
    await asyncio.gather(*polls)
    assert budget.taken == ["write", "read", "read", "read"]
    assert _monitoring_writes(harness.simulator.state.write_log) == ["off"]


async def test_a_refusal_without_retry_after_is_retried_after_the_first_backoff_step(
    make_gateway: Any,
) -> None:
    harness = await make_gateway(RequestBudget(ROOMY))
    link_id = await harness.link()
    gateway = harness.gateway
    await _inject(harness.simulator, endpoint="setstate", preset="usage_limit", count=1)  # no Retry-After
    started = time.monotonic()
    await gateway.writes.submit(
        link_id,
        "monitoring off",
        lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, INDOOR_CAMERA_ID, False),
        deadline=10.0,
    )
    assert 4.9 < time.monotonic() - started < 7.0  # 5 s: the first step of the doubling backoff
    assert _monitoring_writes(harness.simulator.state.write_log) == ["off"]


async def test_an_unreachable_camera_fails_at_once_and_is_not_retried(make_gateway: Any) -> None:
    harness = await make_gateway(RequestBudget(ROOMY))
    link_id = await harness.link()
    gateway = harness.gateway
    await _inject(harness.simulator, endpoint="setstate", preset="unreachable", device_id=INDOOR_CAMERA_ID)
    with pytest.raises(DeviceUnreachable) as raised:
        await gateway.writes.submit(
            link_id,
            "monitoring off",
            lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, INDOOR_CAMERA_ID, False),
        )
    assert raised.value.device_id == INDOOR_CAMERA_ID
    assert gateway.writes.retried == 0
    assert harness.simulator.state.faults.pending() == []  # one try only: the fault was used once
