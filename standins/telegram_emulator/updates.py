"""How updates reach the bot: getUpdates long polling, or webhook pushes with the secret header.

Exactly one of the two is active, as in Telegram: with a webhook set, getUpdates answers 409. The pusher
POSTs updates one at a time in order and retries a failing webhook with a short backoff, recording the
last error for getWebhookInfo (that is how a test sees that the bot rejected a wrong secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import aiohttp

from .params import ApiError, Params, bad_request
from .state import DEFAULT_ALLOWED_UPDATES, WebhookDelivery, World, now

JSON = dict[str, Any]
log = logging.getLogger(__name__)

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = ("http://127.0.0.1", "http://localhost", "https://127.0.0.1", "https://localhost")


def _set_allowed(world: World, params: Params) -> None:
    allowed = params.json_list("allowed_updates")
    if allowed is not None:
        world.allowed_updates = frozenset(str(a) for a in allowed) or DEFAULT_ALLOWED_UPDATES


async def get_updates(world: World, params: Params) -> list[JSON]:
    if world.webhook.url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = params.integer("offset")
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = max(params.number("timeout") or 0.0, 0.0)
    _set_allowed(world, params)
    if offset:
        world.confirm(offset)
        world.touch()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        updates = world.deliverable(limit)
        remaining = deadline - loop.time()
        if updates or remaining <= 0 or world.webhook.url:
            return updates
        await world.wait_changed(remaining)


async def set_webhook(world: World, params: Params) -> bool:
    url = params.text("url") or ""
    if url and not url.startswith(_LOOPBACK):
        raise bad_request("bad webhook: the emulator only delivers to 127.0.0.1")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    _set_allowed(world, params)
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    world.webhook.url = url
    world.webhook.secret_token = secret
    world.webhook.max_connections = params.integer("max_connections") or 40
    world.webhook.last_error_date = world.webhook.last_error_message = None
    world.touch()
    return True


async def delete_webhook(world: World, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        world.updates.clear()
    world.webhook.url = ""
    world.webhook.secret_token = None
    world.touch()
    return True


async def get_webhook_info(world: World, params: Params) -> JSON:
    hook = world.webhook
    info: JSON = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        if world.allowed_updates != DEFAULT_ALLOWED_UPDATES:
            info["allowed_updates"] = sorted(world.allowed_updates)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


class WebhookPusher:
    """Background task that POSTs pending updates to the webhook while one is set."""

    def __init__(self, world: World, retry_delay: float = 0.2, max_delay: float = 2.0) -> None:
        self.world = world
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="playground-webhook-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = self.retry_delay
        async with aiohttp.ClientSession() as session:
            while True:
                hook = self.world.webhook
                pending = self.world.deliverable(1) if hook.url else []
                if not pending:
                    await self.world.wait_changed(5.0)
                    continue
                update = pending[0]
                if await self._push(session, hook.url, hook.secret_token, update):
                    self.world.confirm(update["update_id"] + 1)
                    self.world.touch()
                    delay = self.retry_delay
                else:
                    await self.world.wait_changed(delay)
                    delay = min(delay * 2, self.max_delay)

    async def _push(self, session: aiohttp.ClientSession, url: str, secret: str | None, update: JSON) -> bool:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                status = response.status
                await response.read()
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        self.world.webhook_deliveries.append(WebhookDelivery(update["update_id"], url, secret, status, error))
        if error is not None:
            self.world.webhook.last_error_date = now()
            self.world.webhook.last_error_message = error
            log.info("webhook delivery failed update_id=%s error=%s", update["update_id"], error)
            self.world.touch()
            return False
        return True
