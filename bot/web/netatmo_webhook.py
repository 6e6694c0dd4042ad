"""POST /netatmo/webhook: Netatmo's pushes, verified, acknowledged at once, processed by the intake watcher.

Netatmo bans an endpoint for 24 h when it answers slowly or with errors, so this handler does the least it
can: check the signature, decode the JSON, put it on the bounded in-memory queue `services.inbox`
(`bot.alerts.inbox`) and answer. Answers:
- 401 when `X-Netatmo-secret` is missing or wrong (or no client secret is configured): nothing is read
  further. Only a forger gets this; Netatmo always signs.
- 200 "ignored" for a correctly signed body that is not a JSON object: retrying cannot fix it, and a 4xx
  could count against the endpoint. A warning line says why.
- 200 "queued" otherwise; also when the queue is full (the push is dropped with a warning and polling
  reconciles within a minute) — a 5xx is never answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from aiohttp import web

from bot.alerts.inbox import Push
from bot.web.health import SERVICES

LOG = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Netatmo-secret"
PATH = "/netatmo/webhook"


def signature(body: bytes, secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the raw body keyed with the client secret, as Netatmo signs."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def netatmo_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    secret = services.settings.netatmo_client_secret
    body = await request.read()
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not secret or not given or not hmac.compare_digest(given, signature(body, secret)):
        reason = "no_client_secret" if not secret else ("missing_signature" if not given else "bad_signature")
        LOG.warning(
            "netatmo_webhook_rejected reason=%s bytes=%d remote=%s", reason, len(body), request.remote
        )
        return web.Response(status=401, text="unauthorized")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        LOG.warning(
            "netatmo_webhook_malformed reason=not_json error=%s bytes=%d", type(exc).__name__, len(body)
        )
        return web.Response(status=200, text="ignored")
    if not isinstance(payload, dict):
        LOG.warning("netatmo_webhook_malformed reason=not_an_object type=%s", type(payload).__name__)
        return web.Response(status=200, text="ignored")
    try:
        services.inbox.put_nowait(Push(payload, datetime.now(UTC)))
    except asyncio.QueueFull:
        LOG.warning(
            "netatmo_webhook_dropped reason=queue_full push_type=%s", str(payload.get("push_type"))[:64]
        )
        return web.Response(status=200, text="busy")
    return web.Response(status=200, text="queued")


def register_netatmo_webhook(app: web.Application) -> None:
    """Route registrar for `bot.wiring.default_routes`."""
    app.router.add_post(PATH, netatmo_webhook)
