"""Camera URLs and pictures: vpn_url commands, live stills, event snapshots, faces.

A camera's vpn_url is `{base}/_cam/<token>,,` — the token is the access part, as in the real
URLs, so a URL leaked in logs grants access and must be scrubbed by the bot. The local URL the
ping returns is `{base}/_cam/<token>/local`. Event snapshots live at `{base}/_snap/<id>/<key>.jpg`
and answer 404 until `snapshot_delay` seconds after the event (late snapshots).
"""

from __future__ import annotations

import re

from aiohttp import web

from standins.netatmo_sim import imaging
from standins.netatmo_sim.api.common import BadRequest, caller_of, check_scope, params_of, require
from standins.netatmo_sim.api.rest_read import CAMERA_READ
from standins.netatmo_sim.api.state import STATE, SimState
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device, Event, Home

_VOD = re.compile(
    r"^vod/(?P<video>[^/]+)/events/(?P<event>[^/]+)/(?P<kind>snapshot|vignette)_(?P<sub>[^/]+)\.jpg$"
)
_PRODUCT = {
    "NACamera": "Welcome Netatmo",
    "NOC": "Presence Netatmo",
    "NPC": "Indoor Camera Advance",
    "NDB": "Doorbell Netatmo",
}


def _jpeg(data: bytes) -> web.Response:
    return web.Response(body=data, content_type="image/jpeg")


def _not_found(message: str = "Not found") -> web.Response:
    return web.json_response({"error": {"code": 404, "message": message}}, status=404)


def find_camera(state: SimState, token: str) -> tuple[Home, Device] | None:
    """The camera whose vpn_url carries this token."""
    return state.world.camera_by_token(token.removesuffix(",,"))


def snapshot_ready(state: SimState, event: Event) -> bool:
    """Whether the snapshot of an event can be fetched yet."""
    return state.world.clock() >= float(event.extra.get("ready_at", 0.0))


def _event_picture(state: SimState, picture_id: str, key: str | None) -> web.Response:
    found = state.world.find_event(picture_id)
    if found is None:
        return _not_found("Unknown picture")
    home, event, sub = found
    expected = sub.snapshot_key if sub else event.snapshot_key
    vignette = key is not None and expected is not None and key == expected + "v"
    if key is not None and key != expected and not vignette:
        return _not_found("Unknown picture")
    if not snapshot_ready(state, event):
        return _not_found("Snapshot not ready yet")
    camera = home.devices.get(event.device_id)
    name = camera.name if camera else event.device_id
    kind = sub.type if sub else event.type
    return _jpeg(imaging.event_snapshot(picture_id, name, kind, sub.time if sub else event.time, vignette))


async def camera_url(request: web.Request) -> web.StreamResponse:
    """Everything under a camera's vpn_url (and its local_url)."""
    state = request.app[STATE]
    token = request.match_info["token"]
    tail = request.match_info["tail"].removeprefix("local/")
    found = find_camera(state, token)
    if found is None:
        return _not_found("Unknown camera")
    _home, dev = found
    if not dev.reachable:
        return web.json_response({"error": {"code": 41, "message": "Device is unreachable"}}, status=503)
    if tail == "command/ping":
        base = f"{state.world.public_url}/_cam/{dev.cam_token}"
        return web.json_response(
            {"local_url": f"{base}/local", "product_name": _PRODUCT.get(dev.type, dev.type)}
        )
    if tail == "live/snapshot_720.jpg":
        return _jpeg(imaging.live_snapshot(dev.id, dev.name, state.world.clock()))
    if (match := _VOD.match(tail)) is not None:
        found_event = state.world.find_event(match["sub"])
        sub = found_event[2] if found_event else None
        if found_event is None or sub is None or found_event[1].device_id != dev.id:
            return _not_found("Unknown picture")
        event = found_event[1]
        if not snapshot_ready(state, event):
            return _not_found("Snapshot not ready yet")
        vignette = match["kind"] == "vignette"
        return _jpeg(imaging.event_snapshot(sub.id, dev.name, sub.type, sub.time, vignette))
    if tail.startswith("live/files/") and tail.endswith("index.m3u8") and DEVICE_TYPES[dev.type].hls:
        return web.Response(
            text="#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n",
            content_type="application/vnd.apple.mpegurl",
        )
    return _not_found()


async def snapshot(request: web.Request) -> web.StreamResponse:
    """Event snapshot by absolute URL (no bearer needed, like the real blob URLs)."""
    return _event_picture(request.app[STATE], request.match_info["picture"], request.match_info["key"])


async def face_picture(request: web.Request) -> web.StreamResponse:
    """A person's face thumbnail."""
    state = request.app[STATE]
    person_id = request.match_info["person"]
    for home in state.world.homes.values():
        for person in home.persons:
            if person.id == person_id and person.face_key == request.match_info["key"]:
                return _jpeg(imaging.face(person.id, person.pseudo or "Unknown"))
    return _not_found()


async def getcamerapicture(request: web.Request) -> web.StreamResponse:
    """Legacy `/api/getcamerapicture?image_id&key` (ids as in webhook snapshot_id/snapshot_key)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    image_id, key = require(params, "image_id", "key")
    check_scope(caller, *CAMERA_READ)
    found = state.world.find_event(image_id)
    if found is None or found[0].account_id != caller.account_id:
        raise BadRequest(21, "Invalid image_id")
    return _event_picture(state, image_id, key)


def routes() -> list[web.RouteDef]:
    """Camera, snapshot and picture routes."""
    return [
        web.route("*", "/_cam/{token}/{tail:.*}", camera_url),
        web.get("/_snap/{picture}/{key}.jpg", snapshot),
        web.get("/_face/{person}/{key}.jpg", face_picture),
        web.get("/api/getcamerapicture", getcamerapicture),
        web.post("/api/getcamerapicture", getcamerapicture),
    ]
