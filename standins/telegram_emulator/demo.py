"""Running the emulator on its own for the offline demo (``python -m bot demo`` wires this in)."""

from __future__ import annotations

import asyncio
import logging

from .emulator import BotApiEmulator

log = logging.getLogger(__name__)


async def start_playground(
    host: str = "127.0.0.1",
    port: int = 8082,
    token: str = "123456:TEST-TOKEN",
    bot_username: str = "netatmo_test_bot",
    *,
    seed: bool = True,
) -> BotApiEmulator:
    """Start an emulator with Alice, Bob and the Family group; the caller must ``await stop()`` it."""
    emulator = BotApiEmulator(token=token, bot_username=bot_username, host=host, port=port)
    if seed:
        emulator.seed_demo()
    await emulator.start()
    log.info("playground started url=%s/ bot_api=%s", emulator.base_url, emulator.api_url)
    return emulator


async def run_playground(
    host: str = "127.0.0.1",
    port: int = 8082,
    token: str = "123456:TEST-TOKEN",
    bot_username: str = "netatmo_test_bot",
    *,
    seed: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the emulator and its web chat page until ``stop`` is set or the task is cancelled."""
    emulator = await start_playground(host, port, token, bot_username, seed=seed)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await emulator.stop()
