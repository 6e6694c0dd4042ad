"""Webhook registration and the pusher that POSTs world changes, like Netatmo does.

Each (account, app) pair may register one URL. Every push is a background task with a timeout,
signed with `X-Netatmo-secret` = hex HMAC-SHA256(raw body, client secret). Failures (non-2xx,
timeouts, connection errors) are counted; `max_failures` within `failure_window` seconds
deactivate the webhook: one `webhook_deactivation` push, then silence until addwebhook again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from standins.netatmo_sim.api import payloads
from standins.netatmo_sim.api.common import BadRequest, caller_of, ok, params_of
from standins.netatmo_sim.api.state import STATE
from standins.netatmo_sim.world.model import Home
from standins.netatmo_sim.world.world import World

LOG = logging.getLogger(__name__)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class Registration:
    """One registered webhook URL."""

    account_id: str
    client_id: str
    url: str
    active: bool = True
    failures: deque[float] = field(default_factory=deque)
    sent: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, Any]:
        """Admin representation (the URL is a capability: only its host is shown)."""
        parts = urlsplit(self.url)
        return {
            "account_id": self.account_id,
            "client_id": self.client_id,
            "host": parts.netloc,
            "active": self.active,
            "sent": self.sent,
            "failed": self.failed,
            "recent_failures": len(self.failures),
        }


class WebhookPusher:
    """Turns world notifications into signed webhook POSTs."""

    def __init__(
        self,
        world: World,
        secrets: dict[str, str],
        timeout: float,
        max_failures: int,
        failure_window: float,
        loopback_only: bool,
    ) -> None:
        self.world = world
        self.secrets = secrets
        self.timeout = timeout
        self.max_failures = max_failures
        self.failure_window = failure_window
        self.loopback_only = loopback_only
        self.registrations: dict[tuple[str, str], Registration] = {}
        self._clients: dict[str, set[str]] = {}  # account id -> client ids registered (keeps pushes O(1))
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=500)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        world.subscribe(self.on_change)

    async def close(self) -> None:
        """Cancel pending pushes and close the HTTP session."""
        self.world.unsubscribe(self.on_change)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def drain(self) -> None:
        """Wait for every push in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def add(self, account_id: str, client_id: str, url: str) -> Registration:
        """Register (or re-activate) a URL and send `webhook_activation`."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest(21, "Invalid url")
        if self.loopback_only and parts.hostname not in LOOPBACK_HOSTS:
            raise BadRequest(21, "Invalid url: the simulator only calls loopback addresses")
        reg = Registration(account_id, client_id, url)
        self.registrations[(account_id, client_id)] = reg
        self._clients.setdefault(account_id, set()).add(client_id)
        account = self.world.account(account_id)
        self._send(reg, payloads.activation(account_id, account.email if account else ""), force=True)
        return reg

    def drop(self, account_id: str, client_id: str) -> bool:
        """Unregister; False when nothing was registered."""
        self._clients.get(account_id, set()).discard(client_id)
        return self.registrations.pop((account_id, client_id), None) is not None

    def on_change(self, kind: str, home: Home, data: dict[str, Any]) -> None:
        """World listener: push the matching payload to the home owner's webhooks."""
        found = (self.registrations.get((home.account_id, c)) for c in self._clients.get(home.account_id, ()))
        regs = [r for r in found if r is not None and r.active]
        if not regs:
            return
        payload = payloads.for_change(self.world, kind, home, data)
        if payload is None:
            return
        for reg in regs:
            self._send(reg, payload)

    def _send(self, reg: Registration, payload: dict[str, Any], force: bool = False) -> None:
        if not reg.active and not force:
            return
        task = asyncio.get_running_loop().create_task(self._post(reg, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, reg: Registration, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        secret = self.secrets.get(reg.client_id, "")
        signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False)
        record: dict[str, Any] = {
            "time": time.time(),
            "push_type": payload.get("push_type"),
            "account_id": reg.account_id,
            "status": None,
            "ok": False,
        }
        try:
            async with self._session.post(
                reg.url,
                data=raw,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={
                    "Content-Type": "application/json",
                    "X-Netatmo-secret": signature,
                    "User-Agent": "NetatmoWebhookSimulator",
                },
            ) as resp:
                record["status"] = resp.status
                record["ok"] = 200 <= resp.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            record["error"] = type(exc).__name__
        self.deliveries.append(record)
        if payload.get("push_type") == "webhook_deactivation":
            return
        if record["ok"]:
            reg.sent += 1
            return
        self._count_failure(reg)

    def _count_failure(self, reg: Registration) -> None:
        reg.failed += 1
        now = time.monotonic()
        reg.failures.append(now)
        while reg.failures and reg.failures[0] < now - self.failure_window:
            reg.failures.popleft()
        if reg.active and len(reg.failures) >= self.max_failures:
            reg.active = False
            LOG.info("webhook deactivated account=%s failures=%d", reg.account_id, len(reg.failures))
            self._send(reg, payloads.deactivation(reg.account_id), force=True)


async def addwebhook(request: web.Request) -> web.Response:
    """Register the app's webhook URL for the caller (param `url`)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    url = params.get("url")
    if url is None:
        raise BadRequest(10, "Missing url")
    assert state.webhooks is not None
    state.webhooks.add(caller.account_id, caller.client_id, url)
    return ok(None, state.world.now())


async def dropwebhook(request: web.Request) -> web.Response:
    """Unregister the app's webhook for the caller."""
    state, caller = request.app[STATE], caller_of(request)
    assert state.webhooks is not None
    state.webhooks.drop(caller.account_id, caller.client_id)
    return ok(None, state.world.now())


async def webhooks_v1(request: web.Request) -> web.Response:
    """pyatmo 9.9's `webhooks/v1`: POST {url} registers, DELETE drops, GET lists."""
    state, caller = request.app[STATE], caller_of(request)
    assert state.webhooks is not None
    if request.method == "GET":
        reg = state.webhooks.registrations.get((caller.account_id, caller.client_id))
        return ok([{"url": reg.url}] if reg and reg.active else [], state.world.now())
    if request.method == "DELETE":
        state.webhooks.drop(caller.account_id, caller.client_id)
        return ok(None, state.world.now())
    return await addwebhook(request)


def routes() -> list[web.RouteDef]:
    """Webhook registration routes."""
    return [
        web.get("/api/addwebhook", addwebhook),
        web.post("/api/addwebhook", addwebhook),
        web.get("/api/dropwebhook", dropwebhook),
        web.post("/api/dropwebhook", dropwebhook),
        web.route("*", "/webhooks/v1", webhooks_v1),
    ]
