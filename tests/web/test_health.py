from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

StartBot = Callable[..., Awaitable[Any]]  # the `start_bot` fixture


async def _health(port: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession(trust_env=False) as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, await response.json()


async def test_healthz_reports_database_telegram_and_watcher(emulator: Any, start_bot: StartBot) -> None:
    runtime = await start_bot(emulator)
    status, body = await _health(runtime.web_port)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["telegram"]["mode"] == "polling"
    assert "watcher" in body


async def test_healthz_is_503_when_the_database_is_gone(emulator: Any, start_bot: StartBot) -> None:
    runtime = await start_bot(emulator)
    # Swap the sessions onto an engine that cannot connect; the real engine stays open (and is disposed
    # by the runtime at teardown) so no connection is orphaned under the running components.
    broken = _broken_engine()
    runtime.services.sessions.configure(bind=broken)
    try:
        status, body = await _health(runtime.web_port)
    finally:
        await broken.dispose()
    assert status == 503
    assert body["database"].startswith("error")


async def test_recent_telegram_error_makes_it_unhealthy(emulator: Any, start_bot: StartBot) -> None:
    runtime = await start_bot(emulator)
    runtime.services.health.telegram_failed(RuntimeError("network down"))
    status, body = await _health(runtime.web_port)
    assert status == 503 and "network down" in body["telegram"]["error"]


def _broken_engine() -> Any:
    from bot.storage.engine import create_engine

    # Nothing listens on port 1: every connection attempt is refused at once.
    return create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
