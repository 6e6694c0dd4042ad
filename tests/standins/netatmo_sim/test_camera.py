"""Camera URLs and pictures: live still, event snapshots by colour, late snapshots, legacy picture
API, NOC sub-event files relative to the vpn_url, offline cameras."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from PIL import Image

from standins.netatmo_sim import Simulator, imaging
from standins.netatmo_sim.world import demo


async def _jpeg(http: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, bytes, str]:
    async with http.get(url, **kw) as resp:
        return resp.status, await resp.read(), resp.headers.get("Content-Type", "")


def _pixel(data: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixel = image.getpixel(imaging.sample_point(image.size))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 8 for x, y in zip(a, b, strict=True))


async def _vpn_url(api: Any, device_id: str) -> str:
    _, payload = await api("homestatus", data={"home_id": demo.HOME_ONE_ID})
    return str(next(m for m in payload["body"]["home"]["modules"] if m["id"] == device_id)["vpn_url"])


async def test_live_snapshot_and_ping(sim: Simulator, api: Any, http: aiohttp.ClientSession) -> None:
    vpn = await _vpn_url(api, demo.INDOOR_CAMERA_ID)
    assert vpn.startswith(f"{sim.base_url}/_cam/") and vpn.endswith(",,")
    status, data, ctype = await _jpeg(http, vpn + "/live/snapshot_720.jpg")
    assert status == 200 and ctype == "image/jpeg"
    assert _near(_pixel(data), imaging.camera_colour(demo.INDOOR_CAMERA_ID))
    async with http.post(vpn + "/command/ping") as resp:
        local = (await resp.json())["local_url"]
    status, _, _ = await _jpeg(http, local + "/live/snapshot_720.jpg")
    assert status == 200
    assert (await _jpeg(http, f"{sim.base_url}/_cam/{'0' * 32},,/live/snapshot_720.jpg"))[0] == 404


async def test_event_snapshots_have_their_own_colour(
    sim: Simulator, api: Any, http: aiohttp.ClientSession
) -> None:
    first = await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "movement")
    second = await sim.trigger_event(demo.HOME_ONE_ID, demo.DOORBELL_ID, "incoming_call")
    for event_id in (first, second):
        url = sim.event_json(demo.HOME_ONE_ID, event_id)["snapshot"]["url"]
        assert url.startswith(sim.base_url)
        status, data, ctype = await _jpeg(http, url)
        assert status == 200 and ctype == "image/jpeg"
        assert _near(_pixel(data), imaging.event_colour(event_id))
    assert imaging.event_colour(first) != imaging.event_colour(second)


async def test_late_snapshots_answer_404_until_ready(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.set_snapshot_delay(30)
    event_id = await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "human")
    url = sim.event_json(demo.HOME_ONE_ID, event_id)["snapshot"]["url"]
    assert (await _jpeg(http, url))[0] == 404
    sim.advance_clock(31)
    assert (await _jpeg(http, url))[0] == 200


async def test_legacy_getcamerapicture(sim: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    event_id = await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "person")
    key = sim.world.homes[demo.HOME_ONE_ID].events[0].snapshot_key
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{sim.base_url}/api/getcamerapicture"
    status, data, ctype = await _jpeg(http, url, params={"image_id": event_id, "key": key}, headers=headers)
    assert status == 200 and ctype == "image/jpeg" and _near(_pixel(data), imaging.event_colour(event_id))
    async with http.get(url, params={"image_id": event_id}, headers=headers) as resp:
        assert (resp.status, (await resp.json())["error"]["code"]) == (400, 10)


async def test_outdoor_subevent_files_are_relative_to_vpn_url(
    sim: Simulator, api: Any, http: aiohttp.ClientSession
) -> None:
    event_id = await sim.trigger_event(
        demo.HOME_ONE_ID, demo.OUTDOOR_CAMERA_ID, "outdoor", subevent_types=["human", "vehicle"]
    )
    subs = sim.event_json(demo.HOME_ONE_ID, event_id)["subevents"]
    assert "url" in subs[0]["snapshot"] and "filename" in subs[1]["snapshot"]
    vpn = await _vpn_url(api, demo.OUTDOOR_CAMERA_ID)
    status, data, _ = await _jpeg(http, f"{vpn}/{subs[1]['snapshot']['filename']}")
    assert status == 200 and _near(_pixel(data), imaging.event_colour(subs[1]["id"]))
    assert (await _jpeg(http, subs[0]["snapshot"]["url"]))[0] == 200


async def test_offline_camera_refuses_its_urls(sim: Simulator, api: Any, http: aiohttp.ClientSession) -> None:
    vpn = await _vpn_url(api, demo.INDOOR_CAMERA_ID)
    await sim.set_device_online(demo.INDOOR_CAMERA_ID, False)
    assert (await _jpeg(http, vpn + "/live/snapshot_720.jpg"))[0] == 503
