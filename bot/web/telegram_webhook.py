"""POST /telegram/webhook: Telegram's pushes in webhook mode, checked against the secret header."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

LOG = logging.getLogger(__name__)

TELEGRAM_APP = web.AppKey("telegram_application", Application)
WEBHOOK_SECRET = web.AppKey("telegram_webhook_secret", str)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def telegram_webhook(request: web.Request) -> web.Response:
    secret = request.app[WEBHOOK_SECRET]
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        LOG.warning("telegram_webhook_rejected reason=bad_secret remote=%s", request.remote)
        return web.Response(status=403, text="forbidden")
    application = request.app.get(TELEGRAM_APP)
    if application is None:
        return web.Response(status=503, text="not in webhook mode")
    try:
        payload = json.loads(await request.read())
        update = Update.de_json(payload, application.bot)
    except (ValueError, TypeError, KeyError) as exc:
        # A malformed body will not get better on retry: acknowledge so Telegram moves on.
        LOG.warning("telegram_webhook_malformed error=%r", exc)
        return web.Response(status=200, text="ignored")
    await application.update_queue.put(update)
    return web.Response(status=200, text="ok")
