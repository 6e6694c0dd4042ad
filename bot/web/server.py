"""The aiohttp application of the bot: health, Telegram webhook, and routes that features add."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from bot.services import Services
from bot.web.health import SERVICES, healthz
from bot.web.telegram_webhook import WEBHOOK_SECRET, telegram_webhook

RouteRegistrar = Callable[[web.Application], None]


def build_web_app(services: Services, registrars: Sequence[RouteRegistrar] = ()) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app[WEBHOOK_SECRET] = services.settings.effective_webhook_secret
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/telegram/webhook", telegram_webhook)
    for register in registrars:
        register(app)
    return app
