"""Fault injection from the admin API: presets, counted and timed faults, Retry-After, unreachable."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID


async def _fault(sim: Simulator, http: aiohttp.ClientSession, **body: Any) -> tuple[int, Any]:
    async with http.post(f"{sim.base_url}/_sim/faults", json=body) as resp:
        return resp.status, await resp.json()


def _monitoring_off(camera: str = INDOOR_CAMERA_ID) -> dict[str, Any]:
    return {"json": {"home": {"id": HOME_ONE_ID, "modules": [{"id": camera, "monitoring": "off"}]}}}


async def test_usage_limit_preset_for_a_number_of_calls(
    sim: Simulator, http: aiohttp.ClientSession, api: Any
) -> None:
    status, listed = await _fault(
        sim, http, endpoint="setstate", preset="usage_limit", count=2, retry_after=1
    )
    assert status == 200 and listed["faults"][0]["code"] == 26
    for _ in range(2):
        refused = await api("setstate", **_monitoring_off())
        assert refused == (429, {"error": {"code": 26, "message": "Maximum api usage reached"}})
    # the two refused calls changed nothing and were not logged; the next one goes through
    assert (await api("setstate", **_monitoring_off()))[0] == 200
    assert [w["endpoint"] for w in await sim.write_log()] == ["setstate"]


async def test_throttled_answers_carry_code_and_retry_after(
    sim: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    await _fault(sim, http, endpoint="api/setstate", preset="concurrency", count=1, retry_after=2)
    async with http.post(
        f"{sim.base_url}/api/setstate",
        headers={"Authorization": f"Bearer {token}"},
        json=_monitoring_off()["json"],
    ) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "2"
        assert (await resp.json())["error"]["code"] == 11
    assert await sim.write_log() == []  # a refused write changed nothing


async def test_timed_fault_lasts_for_its_window_then_ends(
    sim: Simulator, http: aiohttp.ClientSession, api: Any
) -> None:
    await _fault(sim, http, endpoint="homestatus", preset="usage_limit", seconds=0.4)
    for _ in range(5):  # a window ignores the count
        assert (await api("homestatus", data={"home_id": HOME_ONE_ID}))[0] == 429
    async with http.get(f"{sim.base_url}/_sim/faults") as resp:
        pending = (await resp.json())["faults"]
    assert pending[0]["hits"] == 5 and 0 < pending[0]["seconds_left"] <= 0.4
    await asyncio.sleep(0.45)
    assert (await api("homestatus", data={"home_id": HOME_ONE_ID}))[0] == 200
    async with http.get(f"{sim.base_url}/_sim/faults") as resp:
        assert (await resp.json())["faults"] == []


async def test_unreachable_preset_answers_200_with_body_errors(
    sim: Simulator, http: aiohttp.ClientSession, api: Any
) -> None:
    await _fault(sim, http, endpoint="setstate", preset="unreachable", device_id=INDOOR_CAMERA_ID)
    status, payload = await api("setstate", **_monitoring_off())
    assert status == 200 and payload["status"] == "ok"
    assert payload["body"]["errors"] == [
        {"code": 6, "message": "Device is unreachable", "id": INDOOR_CAMERA_ID}
    ]
    async with http.get(f"{sim.base_url}/_sim/homes/{HOME_ONE_ID}") as resp:
        home = await resp.json()
    camera = next(d for d in home["devices"] if d["id"] == INDOOR_CAMERA_ID)
    assert camera["state"].get("monitoring") != "off"  # nothing changed


async def test_server_error_preset_and_bad_requests(
    sim: Simulator, http: aiohttp.ClientSession, api: Any
) -> None:
    await _fault(sim, http, endpoint="getevents", preset="server_error")
    assert (await api("getevents", data={"home_id": HOME_ONE_ID}))[0] == 500
    assert (await _fault(sim, http, endpoint="getevents", preset="nonsense"))[0] == 400
    assert (await _fault(sim, http, preset="usage_limit"))[0] == 400
    async with http.delete(f"{sim.base_url}/_sim/faults") as resp:
        assert (await resp.json())["faults"] == []
