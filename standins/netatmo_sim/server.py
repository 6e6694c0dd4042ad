"""The Simulator: one aiohttp app serving OAuth, the REST API, camera URLs, WebRTC, webhooks
and the admin API, plus in-process shortcuts for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from types import TracebackType
from typing import Any

from aiohttp import web

from standins.netatmo_sim.api import admin, camera, measures, oauth, rest_read, rest_write, webhooks, webrtc
from standins.netatmo_sim.api.limits import Fault, RateLimiter
from standins.netatmo_sim.api.render import event_json
from standins.netatmo_sim.api.state import STATE, SimState, guard
from standins.netatmo_sim.api.tokens import TokenStore
from standins.netatmo_sim.config import SimulatorConfig
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.world import World

LOG = logging.getLogger(__name__)
_RANDOM_EVENTS = {
    "NACamera": ("person", "movement", "human", "animal"),
    "NOC": ("outdoor",),
    "NPC": ("person", "human", "animal", "movement"),
    "NDB": ("incoming_call", "missed_call", "human"),
    "NACamDoorTag": ("tag_open", "tag_small_move"),
}


class Simulator:
    """A running Netatmo simulator (see standins/netatmo_sim/README.md)."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        cfg = self.config
        self.state = SimState(
            config=cfg,
            world=World(cfg.seed, cfg.extra_homes),
            tokens=TokenStore({}, 0),
            limiter=RateLimiter(lambda: 0.0),
        )
        self.world: World = self.state.world
        self.world.clock = self.state.clock
        self.state.tokens = TokenStore(
            {cfg.client_id: cfg.client_secret}, cfg.token_lifetime, self.state.clock
        )
        self.state.limiter = RateLimiter(self.state.clock, cfg.rate_limit_10s, cfg.rate_limit_hour)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._generator: asyncio.Task[None] | None = None
        self._loopback: webrtc.LoopbackPatch | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application (exposed for aiohttp.test_utils users)."""
        app = web.Application(middlewares=[guard], client_max_size=4 * 1024 * 1024)
        app[STATE] = self.state
        for module in (oauth, rest_read, rest_write, measures, camera, webrtc, webhooks, admin):
            app.add_routes(module.routes())
        return app

    async def start(self) -> Simulator:
        """Bind and serve; returns self."""
        cfg = self.config
        if cfg.loopback_only:
            self._loopback = webrtc.LoopbackPatch().__enter__()
        self.state.webhooks = webhooks.WebhookPusher(
            self.world,
            dict(self.state.tokens.clients),
            cfg.webhook_timeout,
            cfg.webhook_max_failures,
            cfg.webhook_failure_window,
            cfg.loopback_only,
        )
        self.state.webrtc = webrtc.WebRTCSessions(
            list(cfg.ice_servers), cfg.webrtc_session_timeout, self.state.clock
        )
        self._runner = web.AppRunner(self.build_app(), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.host, cfg.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1] if sockets else cfg.port
        self.world.public_url = (cfg.public_url or f"http://{cfg.host}:{self._port}").rstrip("/")
        if cfg.events_every:
            self._generator = asyncio.create_task(self._generate_events(cfg.events_every))
        LOG.info("simulator listening url=%s extra_homes=%d", self.base_url, cfg.extra_homes)
        return self

    async def stop(self) -> None:
        """Stop generating, close WebRTC peers and webhook pushes, unbind."""
        if self._generator is not None:
            self._generator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generator
            self._generator = None
        if self.state.webrtc is not None:
            await self.state.webrtc.close_all()
        if self.state.webhooks is not None:
            await self.state.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._loopback is not None:
            self._loopback.__exit__(None, None, None)
            self._loopback = None

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """e.g. http://127.0.0.1:PORT (the public URL once bound)."""
        return self.world.public_url

    @property
    def port(self) -> int:
        """The bound port."""
        if self._port is None:
            raise RuntimeError("simulator not started")
        return self._port

    async def _generate_events(self, every: float) -> None:
        rng = random.Random(self.config.seed + 1)
        while True:
            await asyncio.sleep(every)
            homes = [h for h in (self.world.home(i) for i in list(self.world.homes)) if h]
            candidates = [
                (h, d) for h in homes for d in h.devices.values() if d.type in _RANDOM_EVENTS and d.reachable
            ]
            if not candidates:
                continue
            home, dev = rng.choice(candidates)
            try:
                self.world.trigger_event(home.id, dev.id, rng.choice(_RANDOM_EVENTS[dev.type]))
            except ValueError:
                LOG.exception("event generator failed")

    # --- in-process shortcuts mirroring the admin API -----------------------------------

    async def trigger_event(self, home_id: str, device_id: str, event_type: str, **kw: Any) -> str:
        """Create an event (with snapshot and webhook); return its id."""
        return self.world.trigger_event(home_id, device_id, event_type, **kw).id

    def event_json(self, home_id: str, event_id: str) -> dict[str, Any]:
        """The getevents representation of an event (tests)."""
        home = self.world.homes[home_id]
        return event_json(self.world, home, next(e for e in home.events if e.id == event_id))

    async def set_device_online(self, device_id: str, online: bool) -> None:
        """Take a device offline/online (with its connection/disconnection event)."""
        self.world.set_device_online(device_id, online)

    async def revoke_tokens(self, account_id: str) -> None:
        """Kill every token of an account."""
        self.state.tokens.revoke(account_id)

    async def expire_tokens(self, account_id: str) -> None:
        """Make an account's access tokens expired (code 3); refresh still works."""
        self.state.tokens.expire(account_id)

    async def fail_next(
        self, endpoint: str, status: int, code: int | None = None, count: int = 1, hang: bool = False
    ) -> None:
        """Make the next `count` calls of an endpoint fail (or hang past any client timeout)."""
        self.state.faults.add(Fault(endpoint, status, code, count, hang))

    async def counters(self, account_id: str) -> dict[str, int]:
        """requests_10s, requests_hour, total, rejected, refreshes of an account."""
        return admin.counters(self.state, account_id)

    async def write_log(self) -> list[dict[str, Any]]:
        """Write calls received so far."""
        return list(self.state.write_log)

    async def authorize(
        self, account_id: str, client_id: str, redirect_uri: str, scope: str, state: str = ""
    ) -> str:
        """Equivalent of pressing Allow on the consent page; returns the authorization code."""
        return self.state.authorize(account_id, client_id, redirect_uri, scope)

    def set_snapshot_delay(self, seconds: float) -> None:
        """Snapshots of new events answer 404 for this many seconds."""
        self.world.snapshot_delay = seconds

    def advance_clock(self, seconds: float) -> None:
        """Move simulated time forward (token expiry, thermal drift, rate windows)."""
        self.state.clock_offset += seconds

    async def drain_webhooks(self) -> None:
        """Wait until every webhook push in flight is done (tests)."""
        if self.state.webhooks is not None:
            await self.state.webhooks.drain()


def known_device_types() -> list[str]:
    """Device types the simulator can model."""
    return sorted(DEVICE_TYPES)


async def run_simulator(config: SimulatorConfig) -> None:
    """Run until cancelled (the CLI wraps this in asyncio.run)."""
    async with Simulator(config) as sim:
        print(f"Netatmo simulator on {sim.base_url} (admin API: {sim.base_url}/_sim/accounts)", flush=True)
        await asyncio.Event().wait()
