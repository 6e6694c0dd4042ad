"""Start-up against a Telegram that is down for a moment or refuses the token; what the wiring builds."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.alerts.delivery import DeliveryWorker
from bot.alerts.watcher import IntakeWatcher
from bot.app import BotRuntime
from bot.config import ConfigError
from bot.linking.chat import LinkNotifier
from bot.linking.topology import TopologyRefresher
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


async def test_start_waits_for_the_database_then_gives_up_with_the_error(
    emulator: Any, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: the database "is still starting" for the whole (shortened) wait.
    settings = make_settings(emulator, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    runtime = BotRuntime(settings)
    runtime.database_wait = 1.0
    try:
        with pytest.raises((OSError, OperationalError, InterfaceError)):
            await runtime.start()
        retries = [r for r in caplog.records if "database_unreachable" in r.getMessage()]
        assert len(retries) >= 1
    finally:
        await runtime.stop()


async def test_the_wiring_gives_every_part_its_typed_services(emulator: Any, make_settings: Any) -> None:
    runtime = BotRuntime(make_settings(emulator), routes=default_routes(), components=default_components())
    try:
        await runtime.start()
        services = runtime.services
        assert services is not None
        worker, watcher, topology = runtime._components
        assert isinstance(worker, DeliveryWorker) and isinstance(watcher, IntakeWatcher)
        assert isinstance(topology, TopologyRefresher)
        assert services.delivery is worker  # the watcher hands the rows intake stored to this worker
        assert watcher.inbox is services.inbox  # the queue the webhook route fills
        assert isinstance(services.link_notifier, LinkNotifier)
        assert services.netatmo is not None
    finally:
        await runtime.stop()
