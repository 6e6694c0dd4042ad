"""One way to run the top-level coroutine of every entry point (bot, simulator, demo, benchmarks).

The bot spends its CPU on HTTP (webhooks in, snapshots and Telegram calls out) and small database
round trips, which is exactly the work uvloop's event loop and transports do more cheaply than the standard
loop. It is a dependency on the platforms it supports; elsewhere (Windows) the standard
loop runs, with the same behaviour, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop constructor when uvloop is installed, else None (the standard loop)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency wherever it builds
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on uvloop when available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
