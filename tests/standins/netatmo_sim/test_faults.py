"""Fault injection from the admin API: presets, counted and timed faults, Retry-After, unreachable."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID, LIVING_ROOM_ID


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


# Topology changes (the app renames a room, adds a camera) ------------------------------------------------


async def test_topology_changes_show_in_homesdata_and_push_topology_changed(
    sim: Simulator, http: aiohttp.ClientSession, api: Any, receiver: Any
) -> None:
    assert (await api("addwebhook", data={"url": receiver.url}))[0] == 200
    body = {
        "rename_home": "Beach house",
        "rename_room": {"id": LIVING_ROOM_ID, "name": "Lounge"},
        "rename_device": {"id": INDOOR_CAMERA_ID, "name": "Hall cam"},
        "add_device": {"id": "70:ee:50:09:00:09", "type": "NOC", "name": "Garage", "room": LIVING_ROOM_ID},
    }
    async with http.post(f"{sim.base_url}/_sim/homes/{HOME_ONE_ID}/topology", json=body) as resp:
        assert resp.status == 200
    status, payload = await api("homesdata", data={"home_id": HOME_ONE_ID})
    assert status == 200
    home = next(h for h in payload["body"]["homes"] if h["id"] == HOME_ONE_ID)
    assert home["name"] == "Beach house"
    assert next(r for r in home["rooms"] if r["id"] == LIVING_ROOM_ID)["name"] == "Lounge"
    modules = {m["id"]: m for m in home["modules"]}
    assert modules[INDOOR_CAMERA_ID]["name"] == "Hall cam"
    assert modules["70:ee:50:09:00:09"]["type"] == "NOC"
    status, payload = await api("homestatus", data={"home_id": HOME_ONE_ID})
    assert status == 200
    assert "70:ee:50:09:00:09" in {m["id"] for m in payload["body"]["home"]["modules"]}
    await sim.drain_webhooks()
    push = receiver.payloads()[-1]
    assert push["push_type"] == "topology_changed" and push["home_id"] == HOME_ONE_ID
    assert {m["id"] for m in push["home"]["modules"]} == {INDOOR_CAMERA_ID, "70:ee:50:09:00:09"}


async def test_topology_changes_refuse_unknown_ids(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = f"{sim.base_url}/_sim/homes/{HOME_ONE_ID}/topology"
    for body in (
        {"rename_room": {"id": "nope", "name": "x"}},
        {"rename_device": {"id": "nope", "name": "x"}},
        {"add_device": {"id": "aa", "type": "NotAType"}},
        {"add_device": {"id": INDOOR_CAMERA_ID, "type": "NOC"}},
    ):
        async with http.post(base, json=body) as resp:
            assert resp.status == 400
    async with http.post(f"{sim.base_url}/_sim/homes/nope/topology", json={}) as resp:
        assert resp.status == 404
