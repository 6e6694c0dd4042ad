"""WebRTC live view of NPC cameras: `/api/webrtc/offer` and `/api/webrtc/terminate`.

A real aiortc peer answers the client's (non-trickle) offer and streams a synthetic video of the
camera: its colour, name and clock. Sessions end on terminate, after a timeout, and on shutdown.
Errors come back inside a 200 body (`body.status: "error"`), like the real endpoint.

ICE: the answerer uses the configured ICE servers only (none by default) and, when
`loopback_only` is on, aioice's host-address discovery is patched to 127.0.0.1 so no packet can
leave the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import aioice.ice
import av
from aiohttp import web
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from standins.netatmo_sim import imaging
from standins.netatmo_sim.api.common import BadRequest, caller_of, check_scope, params_of, require
from standins.netatmo_sim.api.rest_read import owned_home
from standins.netatmo_sim.api.state import STATE
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device

LOG = logging.getLogger(__name__)


def _loopback_addresses(use_ipv4: bool = True, use_ipv6: bool = False) -> list[str]:
    return ["127.0.0.1"]


class LoopbackPatch:
    """Restrict aioice host candidates to 127.0.0.1 (process-wide; reference-counted so several
    simulators in one process restore the original only when the last one stops)."""

    _depth = 0
    _original: Callable[..., list[str]] | None = None

    def __enter__(self) -> LoopbackPatch:
        cls = type(self)
        if cls._depth == 0:
            cls._original = aioice.ice.get_host_addresses
            aioice.ice.get_host_addresses = _loopback_addresses
        cls._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        cls._depth = max(cls._depth - 1, 0)
        if cls._depth == 0 and cls._original is not None:
            if aioice.ice.get_host_addresses is _loopback_addresses:
                aioice.ice.get_host_addresses = cls._original
            cls._original = None


class CameraTrack(VideoStreamTrack):
    """Synthetic camera video: one picture per second of the clock, at the track's frame rate."""

    def __init__(self, device: Device, clock: Callable[[], float]) -> None:
        super().__init__()
        self.device = device
        self.clock = clock
        self._second = -1
        self._image: Any = None

    async def recv(self) -> av.VideoFrame:
        """Next frame (aiortc paces the calls)."""
        pts, time_base = await self.next_timestamp()
        now = self.clock()
        if int(now) != self._second or self._image is None:
            self._second = int(now)
            self._image = imaging.video_frame(self.device.id, self.device.name, now)
        frame = av.VideoFrame.from_image(self._image)
        frame.pts = pts
        frame.time_base = Fraction(time_base.numerator, time_base.denominator)
        return frame


@dataclass
class Session:
    """One live stream."""

    session_id: str
    tag_id: str
    device_id: str
    pc: RTCPeerConnection
    started: float
    timer: asyncio.Task[None] | None = None


class WebRTCSessions:
    """Live sessions by session id, with their timeouts."""

    def __init__(self, ice_servers: list[str], timeout: float, clock: Callable[[], float]) -> None:
        self.ice_servers = ice_servers
        self.timeout = timeout
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self.started_total = 0

    def configuration(self) -> RTCConfiguration:
        """Only the configured ICE servers: none means host candidates only."""
        return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in self.ice_servers])

    async def offer(self, device: Device, session_id: str, sdp: str) -> Session:
        """Answer an offer with a streaming peer."""
        if session_id in self.sessions:
            await self.close(session_id)
        pc = RTCPeerConnection(self.configuration())
        pc.addTrack(CameraTrack(device, self.clock))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await pc.close()
            raise
        session = Session(session_id, secrets.token_urlsafe(8), device.id, pc, time.monotonic())
        session.timer = asyncio.create_task(self._expire(session_id))
        self.sessions[session_id] = session
        self.started_total += 1
        return session

    async def _expire(self, session_id: str) -> None:
        await asyncio.sleep(self.timeout)
        await self.close(session_id, from_timer=True)

    async def close(self, session_id: str, from_timer: bool = False) -> bool:
        """End a session; False when there is none."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        if session.timer is not None and not from_timer:
            session.timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await session.timer
        await session.pc.close()
        return True

    async def close_all(self) -> None:
        """Close every session (shutdown)."""
        for session_id in list(self.sessions):
            await self.close(session_id)


def _body(status: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "type": "ack",
        "time_server": now,
        "correlation_id": str(secrets.randbits(63)),
        "status": status,
        **extra,
    }


def _answer(body: dict[str, Any]) -> web.Response:
    return web.json_response({"status": "ok", "time_server": body["time_server"], "body": body})


async def offer(request: web.Request) -> web.Response:
    """Start a stream: form home_id, device_id, session_id, sdp (complete, non-trickle)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, device_id, session_id, sdp = require(params, "home_id", "device_id", "session_id", "sdp")
    home = owned_home(state, caller, home_id)
    device = home.devices.get(device_id)
    if device is None:
        raise BadRequest(9, "Device not found")
    spec = DEVICE_TYPES[device.type]
    check_scope(caller, *(s for s in (spec.access_scope,) if s))
    if not spec.webrtc:
        return _answer(_body("error", error={"code": 21, "message": "Live stream not available"}))
    if not device.reachable or state.webrtc is None:
        return _answer(_body("error", error={"code": 41, "message": "Device is unreachable"}))
    if "v=0" not in sdp or "m=video" not in sdp:
        return _answer(_body("error", error={"code": 21, "message": "Invalid sdp"}))
    try:
        session = await state.webrtc.offer(device, session_id, sdp)
    except Exception as exc:  # aiortc raises plain ValueError/KeyError on bad SDP
        LOG.info("webrtc offer refused: %s", type(exc).__name__)
        return _answer(_body("error", error={"code": 21, "message": "Invalid sdp"}))
    return _answer(
        _body("ok", session_id=session_id, tag_id=session.tag_id, sdpAnswer=session.pc.localDescription.sdp)
    )


async def terminate(request: web.Request) -> web.Response:
    """End a stream: form home_id, device_id, session_id, tag_id."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, device_id, session_id = require(params, "home_id", "device_id", "session_id")
    owned_home(state, caller, home_id)
    session = state.webrtc.sessions.get(session_id) if state.webrtc else None
    tag = params.get("tag_id")
    if session is None or session.device_id != device_id or (tag is not None and tag != session.tag_id):
        return _answer(_body("error", error={"code": 21, "message": "Nil session"}))
    assert state.webrtc is not None
    await state.webrtc.close(session_id)
    return _answer(_body("ok"))


def routes() -> list[web.RouteDef]:
    """WebRTC routes (POST form; GET query accepted too)."""
    return [
        web.post("/api/webrtc/offer", offer),
        web.get("/api/webrtc/offer", offer),
        web.post("/api/webrtc/terminate", terminate),
        web.get("/api/webrtc/terminate", terminate),
    ]
