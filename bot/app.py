"""Wiring and lifecycle: storage, HTTP client, Telegram Application, web server and background parts.

Everything runs in one asyncio loop. Start order is chosen so that nothing receives work before what it
depends on is ready (migrations → database → web server → Telegram → watcher); stop is the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Sequence
from functools import partial

import aiohttp
from aiohttp import web
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.chat.application import FEATURES, Registrar, build_application
from bot.chat.commands import bot_commands
from bot.config import ConfigError, Settings
from bot.i18n import catalog_languages, translator
from bot.linking.chat import LinkNotifier, notify_broken
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.shared_budget import budget_for
from bot.services import Component, ComponentFactory, Services
from bot.storage import migrate
from bot.storage.crypto import TokenCipher, load_or_create_key
from bot.storage.engine import create_engine, create_session_factory
from bot.web.server import RouteRegistrar, build_web_app
from bot.web.telegram_webhook import TELEGRAM_APP

LOG = logging.getLogger(__name__)


class BotRuntime:
    """The running bot. `start()` returns once everything listens; `stop()` undoes it cleanly."""

    def __init__(
        self,
        settings: Settings,
        *,
        features: Sequence[Registrar] = FEATURES,
        routes: Sequence[RouteRegistrar] = (),
        components: Sequence[ComponentFactory] = (),
    ) -> None:
        self.settings = settings
        self._features = features
        self._routes = routes
        self._component_factories = components
        self._components: list[Component] = []
        self._engine: AsyncEngine | None = None
        self._runner: web.AppRunner | None = None
        self.services: Services | None = None
        self.application: Application | None = None
        self.web_port: int = settings.web_port
        self.database_wait = 60.0  # seconds to wait at start for the database to accept connections

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    async def start(self) -> None:
        settings = self.settings
        settings.require_telegram()
        url = settings.effective_database_url
        await self._migrate_when_reachable(url)
        self._engine = create_engine(url)
        cipher = TokenCipher(load_or_create_key(settings.token_encryption_key, settings.data_dir))
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        services = Services(settings, create_session_factory(self._engine), cipher, http)
        services.netatmo = NetatmoGateway(
            services.sessions,
            cipher,
            http,
            settings,
            notify_broken=partial(notify_broken, services),
            budget=budget_for(services.sessions),  # shared by the replicas on PostgreSQL
        )
        self.services = services
        application = build_application(services, webhook_mode=self.webhook_mode, features=self._features)
        self.application = application
        services.link_notifier = LinkNotifier(application.bot, services)

        web_app = build_web_app(services, self._routes)
        if self.webhook_mode:
            web_app[TELEGRAM_APP] = application
        self._runner = web.AppRunner(web_app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.web_host, settings.web_port)
        await site.start()
        self.web_port = self._bound_port(site)

        await self._initialize_telegram(application, services)
        services.bot_username = application.bot.username
        await self._set_commands(application)
        await application.start()
        if self.webhook_mode:
            await application.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=settings.effective_webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
            services.health.telegram_mode = "webhook"
        else:
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=services.health.telegram_failed
            )
            services.health.telegram_mode = "polling"

        for factory in self._component_factories:
            component = factory(services, application)
            await component.start()
            self._components.append(component)
        LOG.info(
            "bot_started username=%s mode=%s web=%s:%s",
            services.bot_username,
            services.health.telegram_mode,
            settings.web_host,
            self.web_port,
        )

    async def _migrate_when_reachable(self, url: str) -> None:
        """Apply migrations, waiting up to `database_wait` seconds for a database that is still starting
        (docker compose starts the bot and PostgreSQL together)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.database_wait
        delay = 0.5
        while True:
            try:
                await migrate.upgrade(url)
                return
            except (OperationalError, InterfaceError, OSError) as exc:
                if loop.time() + delay > deadline:
                    raise
                LOG.warning("database_unreachable error=%s retry_in=%.1f", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    @staticmethod
    async def _initialize_telegram(application: Application, services: Services) -> None:
        """getMe until Telegram answers: a bot started during a Telegram outage waits instead of dying.

        A refused token is a configuration mistake, not an outage, and stops the start at once.
        """
        delay = 1.0
        while True:
            try:
                await application.initialize()
                return
            except InvalidToken:
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN was refused by Telegram: copy the token again from @BotFather "
                    "(/mybots → your bot → API Token)"
                ) from None
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                services.health.telegram_failed(exc)
                LOG.warning("telegram_unreachable error=%r retry_in=%.0f", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    @staticmethod
    def _bound_port(site: web.TCPSite) -> int:
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else 0

    @staticmethod
    async def _set_commands(application: Application) -> None:
        # The default (English) menu, then one per catalog; Telegram takes two-letter codes only.
        languages = [code for code in catalog_languages() if len(code) == 2]
        for language in [None, *languages]:
            try:
                await application.bot.set_my_commands(
                    bot_commands(translator(language)), language_code=language
                )
            except TelegramError as exc:  # the menu is a convenience; the bot works without it
                LOG.warning("set_my_commands_failed language=%s error=%r", language, exc)

    async def stop(self) -> None:
        for component in reversed(self._components):
            try:
                await component.stop()
            except Exception:
                LOG.exception("component_stop_failed component=%s", type(component).__name__)
        self._components.clear()
        application = self.application
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            # A start that failed in getMe leaves the bot's HTTP clients open and the Application
            # uninitialised (so its shutdown skipped them); this is a no-op otherwise.
            await application.bot.shutdown()
            self.application = None
        if self.services is not None:
            self.services.health.telegram_mode = "stopped"
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.services is not None:
            await self.services.http.close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        LOG.info("bot_stopped")


async def run_until_signalled(runtime: BotRuntime) -> None:
    """Start, wait for SIGINT or SIGTERM, then stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        starting = asyncio.create_task(runtime.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():  # a signal while still starting (e.g. waiting for Telegram): give up
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            return
        stopping.cancel()
        starting.result()  # a failed start raises here
        # Everything built at start-up lives until exit: keep it out of the cyclic collector's full
        # passes, which otherwise stall the loop for tens of milliseconds every few seconds.
        gc.freeze()
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runtime.stop()
