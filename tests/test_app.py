"""Start-up against a Telegram that is down for a moment, or that refuses the token."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import BotRuntime
from bot.config import ConfigError
from bot.wiring import default_components, default_routes


async def test_start_waits_for_telegram_instead_of_dying(emulator: Any, make_settings: Any) -> None:
    emulator.fail_next("getMe", 502, count=2)
    runtime = BotRuntime(make_settings(emulator), routes=default_routes(), components=default_components())
    try:
        await runtime.start()
        assert runtime.services is not None and runtime.services.health.telegram_mode == "polling"
        assert len(emulator.calls("getMe")) == 3  # two refused, the third answered
        assert runtime.services.health.telegram_error is not None  # reported while it lasted
    finally:
        await runtime.stop()


async def test_a_refused_token_is_a_configuration_error(emulator: Any, make_settings: Any) -> None:
    runtime = BotRuntime(make_settings(emulator, telegram_bot_token="999999:NOT-THE-EMULATORS-TOKEN"))
    try:
        with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN was refused"):
            await runtime.start()
    finally:
        await runtime.stop()
