"""Building the python-telegram-bot Application with every chat feature registered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.alerts import buttons as alert_buttons
from bot.chat import callbacks, fallback, start
from bot.chat.common import SERVICES_KEY
from bot.chat.telegram_request import AiohttpRequest
from bot.control import cameras, devices, events, heating, homes, security, status
from bot.control import log as audit_log
from bot.linking import chat as linking
from bot.services import Services
from bot.subscriptions import admins, mute, settings, subscribe

Registrar = Callable[[Application], None]

# Feature modules in the order their handlers are tried; fallback is always added last.
FEATURES: tuple[Registrar, ...] = (
    start.register,
    linking.register,
    homes.register,
    status.register,
    heating.register,
    security.register,
    cameras.register,
    events.register,
    devices.register,
    alert_buttons.register,
    subscribe.register,
    settings.register,
    mute.register,
    audit_log.register,
    admins.register,
)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def build_application(
    services: Services, *, webhook_mode: bool = False, features: Sequence[Registrar] = FEATURES
) -> Application:
    """An Application pointed at TELEGRAM_API_URL, with the rate limiter and every handler."""
    settings = services.settings
    api = settings.telegram_api_url
    # Proxies from the environment must not capture loopback traffic to a local Bot API.
    trust_env = not _is_loopback(api)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        # aiohttp rather than PTB's default httpx transport: see bot/chat/telegram_request.py.
        .request(AiohttpRequest(connection_pool_size=32, trust_env=trust_env))
        .get_updates_request(AiohttpRequest(read_timeout=40, trust_env=trust_env))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(32)
    )
    if webhook_mode:
        builder = builder.updater(None)
    application = builder.build()
    # Buttons are signed with a key only this bot (and its replicas, which share the token) can derive.
    callbacks.configure(settings.telegram_bot_token)
    application.bot_data[SERVICES_KEY] = services
    for register in features:
        register(application)
    fallback.register(application)
    return application
