"""Everything the routes share, and the middleware that guards the REST API.

The guard runs, in order: scripted faults, bearer-token authentication (codes 1/2/3), the
per-user rate limit (429 code 26), then the handler; `BadRequest` and `ActionError` raised by
handlers become the real error envelope. Write calls are recorded for the admin write log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from standins.netatmo_sim.api.common import CALLER_KEY, PARAMS_KEY, BadRequest, Caller, error, read_params
from standins.netatmo_sim.api.limits import FaultPlan, RateLimiter, normalise_endpoint
from standins.netatmo_sim.api.tokens import OAuthError, TokenStore, parse_scopes
from standins.netatmo_sim.config import SimulatorConfig
from standins.netatmo_sim.world.actions import ActionError
from standins.netatmo_sim.world.world import World

if TYPE_CHECKING:
    from standins.netatmo_sim.api.webhooks import WebhookPusher
    from standins.netatmo_sim.api.webrtc import WebRTCSessions

LOG = logging.getLogger(__name__)

WRITE_ENDPOINTS = frozenset(
    {
        "setstate",
        "setthermmode",
        "setroomthermpoint",
        "switchhomeschedule",
        "synchomeschedule",
        "createnewhomeschedule",
        "setpersonsaway",
        "setpersonshome",
        "addwebhook",
        "dropwebhook",
        "webrtc/offer",
        "webrtc/terminate",
        "webhooks/v1",
    }
)
HANG_SECONDS = 120.0


@dataclass
class SimState:
    """The simulator's shared state, reachable from every handler as `request.app[STATE]`."""

    config: SimulatorConfig
    world: World
    tokens: TokenStore
    limiter: RateLimiter
    faults: FaultPlan = field(default_factory=FaultPlan)
    write_log: list[dict[str, Any]] = field(default_factory=list)
    webhooks: WebhookPusher | None = None
    webrtc: WebRTCSessions | None = None
    clock_offset: float = 0.0

    def clock(self) -> float:
        """Simulated time: wall clock plus the offset the admin API may add."""
        return time.time() + self.clock_offset

    def authorize(self, account_id: str, client_id: str, redirect_uri: str, scope: str) -> str:
        """The in-process equivalent of pressing Allow on the consent page; returns the code."""
        if self.world.account(account_id) is None:
            raise ValueError(f"unknown account {account_id}")
        try:
            self.tokens.check_client(client_id, secret=False)
        except OAuthError as exc:
            raise ValueError(f"unknown client {client_id}") from exc
        return self.tokens.new_code(account_id, client_id, redirect_uri, parse_scopes(scope))

    def log_write(self, endpoint: str, caller: Caller | None, params: dict[str, Any]) -> None:
        """Remember a write call (bounded to the last 1000)."""
        self.write_log.append(
            {
                "time": self.world.now(),
                "endpoint": endpoint,
                "account_id": caller.account_id if caller else None,
                "params": params,
            }
        )
        del self.write_log[:-1000]


STATE: web.AppKey[SimState] = web.AppKey("sim_state", SimState)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def endpoint_of(path: str) -> str | None:
    """The endpoint name of an API path ('api/homestatus' -> 'homestatus'), else None."""
    if path.startswith("/api/"):
        return normalise_endpoint(path)
    if path.startswith("/webhooks/v1"):
        return "webhooks/v1"
    if path == "/oauth2/token":
        return "oauth2/token"
    return None


async def apply_fault(state: SimState, endpoint: str) -> web.Response | None:
    """The scripted failure for this call, if one is queued (hangs first when asked to)."""
    fault = state.faults.take(endpoint)
    if fault is None:
        return None
    if fault.hang:
        await asyncio.sleep(HANG_SECONDS)
    if fault.unreachable:
        # The real API's answer for an offline device: HTTP 200, the failure per module in body.errors.
        item = {"code": fault.code or 6, "message": fault.message, "id": fault.device_id or ""}
        return web.json_response(
            {"status": "ok", "time_server": int(state.world.now()), "body": {"errors": [item]}},
            status=fault.status if fault.status < 400 else 200,
        )
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
    if fault.code is None:
        return web.json_response(
            {"error": {"code": 0, "message": fault.message}}, status=fault.status, headers=headers
        )
    return error(fault.status, fault.code, fault.message, headers=headers)


def authenticate(state: SimState, request: web.Request) -> Caller | web.Response:
    """Resolve the bearer token, or the real error (1 missing, 2 invalid, 3 expired)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return error(401, 1, "Access token is missing")
    token = header[7:].strip()
    record, problem = state.tokens.lookup(token)
    if record is None or problem == "invalid":
        return error(403, 2, "Invalid access token")
    if problem == "expired":
        return error(403, 3, "Access token expired")
    return Caller(record.account_id, record.client_id, frozenset(record.scopes), token)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Faults, auth, rate limit and error mapping for /api/* and /webhooks/v1."""
    state = request.app[STATE]
    endpoint = endpoint_of(request.path)
    if endpoint is None:
        return await handler(request)
    injected = await apply_fault(state, endpoint)
    if injected is not None:
        return injected
    if endpoint == "oauth2/token":
        return await handler(request)
    auth = authenticate(state, request)
    if isinstance(auth, web.Response):
        return auth
    if not state.limiter.hit(auth.account_id):
        return error(429, 26, "Maximum api usage reached", headers={"Retry-After": "10"})
    request[CALLER_KEY] = auth
    try:
        params = await read_params(request)
        request[PARAMS_KEY] = params
        if endpoint in WRITE_ENDPOINTS:
            state.log_write(endpoint, auth, params.as_dict())
        return await handler(request)
    except BadRequest as exc:
        return error(exc.status, exc.code, exc.message)
    except ActionError as exc:
        return error(400, exc.code, exc.message)
