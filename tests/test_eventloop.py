"""Every entry point runs its coroutine through `bot.eventloop.run`, on uvloop where it is installed."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot import eventloop


def test_run_returns_the_result_on_uvloop() -> None:
    async def which_loop() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    module = eventloop.run(which_loop())
    if sys.platform == "win32":  # pragma: no cover - uvloop does not build there
        assert module.startswith("asyncio")
    else:
        assert module.startswith("uvloop")


def test_run_propagates_errors() -> None:
    async def fail() -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        eventloop.run(fail())
