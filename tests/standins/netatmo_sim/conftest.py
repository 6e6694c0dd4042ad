"""Fixtures for the simulator tests: a fresh simulator on an ephemeral loopback port per test, tokens and
API calls as its demo account, and a local webhook endpoint that records what the simulator pushes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.world import demo
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT

TokenFactory = Callable[..., Awaitable[dict[str, Any]]]
REDIRECT = "http://127.0.0.1:9/callback"
ALL_SCOPES = (
    "read_station read_camera write_camera access_camera read_presence write_presence access_presence "
    "read_doorbell access_doorbell read_camerapro write_camerapro access_camerapro read_smokedetector "
    "read_carbonmonoxidedetector read_thermostat write_thermostat read_magellan write_magellan read_homecoach"
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(port=0, seed=7, webhook_timeout=1.0)) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as session:
        yield session


@pytest.fixture
def get_token(sim: Simulator, http: aiohttp.ClientSession) -> TokenFactory:
    """Run the code grant for an account and return the token JSON."""

    async def factory(account_id: str = DEMO_ACCOUNT, scope: str = ALL_SCOPES) -> dict[str, Any]:
        code = await sim.authorize(account_id, sim.config.client_id, REDIRECT, scope)
        form = {
            "grant_type": "authorization_code",
            "client_id": sim.config.client_id,
            "client_secret": sim.config.client_secret,
            "code": code,
            "redirect_uri": REDIRECT,
        }
        async with http.post(f"{sim.base_url}/oauth2/token", data=form) as resp:
            assert resp.status == 200, await resp.text()
            token: dict[str, Any] = await resp.json()
            return token

    return factory


@pytest.fixture
async def token(get_token: TokenFactory) -> str:
    """An access token of the demo account with every scope."""
    return str((await get_token())["access_token"])


@pytest.fixture
def api(sim: Simulator, http: aiohttp.ClientSession, token: str) -> Callable[..., Awaitable[tuple[int, Any]]]:
    """Call an API endpoint with the demo token; returns (status, json)."""

    async def call(
        endpoint: str, method: str = "POST", bearer: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {bearer or token}"}
        async with http.request(method, f"{sim.base_url}/api/{endpoint}", headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()

    return call


@pytest.fixture
def webrtc_offer() -> Callable[[Any], Awaitable[dict[str, str]]]:
    """`await webrtc_offer(pc)`: the aiortc peer `pc` offers to receive video; returns the form of
    POST /api/webrtc/offer for HOME_ONE's Advance camera with a fresh session id."""

    async def offer(pc: Any) -> dict[str, str]:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        return {
            "home_id": demo.HOME_ONE_ID,
            "device_id": demo.ADVANCE_CAMERA_ID,
            "session_id": str(uuid.uuid4()),
            "sdp": pc.localDescription.sdp,
        }

    return offer


# -- webhooks ---------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A local webhook endpoint that records pushes and answers as told."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def handle(request: web.Request) -> web.Response:
        rec.received.append((dict(request.headers), await request.read()))
        if rec.delay:
            await asyncio.sleep(rec.delay)
        return web.Response(status=rec.status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def every_push_kind(sim: Simulator, api: Any, receiver: Receiver) -> list[dict[str, Any]]:
    """What the simulator pushes to a registered webhook when every kind of event and write happens."""
    await api("addwebhook", data={"url": receiver.url})
    home = demo.HOME_ONE_ID
    await sim.trigger_event(home, demo.INDOOR_CAMERA_ID, "person")
    await sim.trigger_event(home, demo.INDOOR_CAMERA_ID, "movement")
    await sim.trigger_event(home, demo.OUTDOOR_CAMERA_ID, "outdoor")
    await sim.trigger_event(home, demo.DOOR_TAG_ID, "tag_open")
    await sim.trigger_event(home, demo.SMOKE_ALARM_ID, "smoke")
    await sim.trigger_event(home, demo.CO_ALARM_ID, "co_detected")
    await sim.set_device_online(demo.ADVANCE_CAMERA_ID, False)
    await sim.set_device_online(demo.ADVANCE_CAMERA_ID, True)
    for data in ({"monitoring": "off"}, {"monitoring": "on"}):
        await api("setstate", json={"home": {"id": home, "modules": [{"id": demo.INDOOR_CAMERA_ID, **data}]}})
    await api(
        "setstate",
        json={"home": {"id": home, "modules": [{"id": demo.OUTDOOR_CAMERA_ID, "floodlight": "on"}]}},
    )
    await api("setthermmode", data={"home_id": home, "mode": "away"})
    await api("switchhomeschedule", data={"home_id": home, "schedule_id": demo.SCHEDULE_HOLIDAYS_ID})
    await api(
        "setroomthermpoint",
        data={"home_id": home, "room_id": demo.LIVING_ROOM_ID, "mode": "manual", "temp": "22.5"},
    )
    await api("setroomthermpoint", data={"home_id": home, "room_id": demo.LIVING_ROOM_ID, "mode": "home"})
    await api(
        "setstate",
        json={
            "home": {
                "id": demo.HOME_TWO_ID,
                "modules": [{"id": demo.DIMMER_ID, "on": True, "brightness": 40, "bridge": demo.GATEWAY_ID}],
            }
        },
    )
    await sim.drain_webhooks()
    return receiver.payloads()
