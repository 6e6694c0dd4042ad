"""Bad input and guard behaviour: error codes 1/2/3/9/10/13/21/26, faults, GET vs POST, write log."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world.demo import (
    ADVANCE_CAMERA_ID,
    DEMO_ACCOUNT,
    HOME_ONE_ID,
    INDOOR_CAMERA_ID,
    LIVING_ROOM_ID,
    SECOND_HOME_ID,
)


def _code(result: tuple[int, Any]) -> tuple[int, int]:
    status, body = result
    return status, body["error"]["code"]


async def test_missing_parameters_give_code_10(api: Any) -> None:
    assert await api("homestatus") == (400, {"error": {"code": 10, "message": "Missing home_id"}})
    assert _code(await api("getevents")) == (400, 10)
    assert _code(
        await api("setroomthermpoint", data={"home_id": HOME_ONE_ID, "room_id": LIVING_ROOM_ID})
    ) == (400, 10)
    assert await api("setthermmode", data={"home_id": HOME_ONE_ID}) == (
        400,
        {"error": {"code": 10, "message": "mode is missing"}},
    )
    assert _code(await api("setstate", json={"home": {"id": HOME_ONE_ID}})) == (400, 10)


async def test_malformed_parameters_give_code_21(api: Any) -> None:
    assert await api("setthermmode", data={"home_id": HOME_ONE_ID, "mode": "party"}) == (
        400,
        {"error": {"code": 21, "message": "mode not authorized"}},
    )
    assert _code(await api("getevents", data={"home_id": HOME_ONE_ID, "size": "lots"})) == (400, 21)
    bad_temp = {"home_id": HOME_ONE_ID, "room_id": LIVING_ROOM_ID, "mode": "manual", "temp": "warm"}
    assert _code(await api("setroomthermpoint", data=bad_temp)) == (400, 21)
    floodlight = {"home": {"id": HOME_ONE_ID, "modules": [{"id": INDOOR_CAMERA_ID, "floodlight": "on"}]}}
    assert await api("setstate", json=floodlight) == (
        400,
        {"error": {"code": 21, "message": f"cannot set property floodlight for module {INDOOR_CAMERA_ID}"}},
    )
    assert _code(await api("switchhomeschedule", data={"home_id": HOME_ONE_ID, "schedule_id": "nope"})) == (
        400,
        21,
    )


async def test_unknown_ids_give_21_or_9(api: Any) -> None:
    assert await api("homestatus", data={"home_id": "ffffffffffffffffffffffff"}) == (
        400,
        {"error": {"code": 21, "message": "Invalid id"}},
    )
    # Someone else's home is as unknown as a missing one.
    assert _code(await api("homestatus", data={"home_id": SECOND_HOME_ID})) == (400, 21)
    assert _code(await api("getevents", data={"home_id": HOME_ONE_ID, "device_id": "aa:bb:cc:dd:ee:ff"})) == (
        400,
        9,
    )
    assert _code(
        await api(
            "getmeasure", data={"device_id": "aa:bb:cc:dd:ee:ff", "scale": "1hour", "type": "sum_boiler_on"}
        )
    ) == (400, 9)
    offer = {"home_id": HOME_ONE_ID, "device_id": "aa:bb:cc:dd:ee:ff", "session_id": "s", "sdp": "v=0"}
    assert _code(await api("webrtc/offer", data=offer)) == (400, 9)


async def test_wrong_scope_gives_13(api: Any, get_token: Any) -> None:
    reader = (await get_token(scope="read_camera"))["access_token"]
    assert await api("setthermmode", bearer=reader, data={"home_id": HOME_ONE_ID, "mode": "away"}) == (
        403,
        {"error": {"code": 13, "message": "Application does not have the good scope rights"}},
    )
    monitoring = {"home": {"id": HOME_ONE_ID, "modules": [{"id": INDOOR_CAMERA_ID, "monitoring": "off"}]}}
    assert _code(await api("setstate", bearer=reader, json=monitoring)) == (403, 13)
    offer = {"home_id": HOME_ONE_ID, "device_id": ADVANCE_CAMERA_ID, "session_id": "s", "sdp": "v=0"}
    assert _code(await api("webrtc/offer", bearer=reader, data=offer)) == (403, 13)
    # A read_camera token does not see the thermostat at all.
    status, body = await api("homesdata", bearer=reader)
    types = {m["type"] for h in body["body"]["homes"] for m in h["modules"]}
    assert status == 200 and "NATherm1" not in types and "NACamera" in types


async def test_bad_missing_and_expired_tokens(sim: Simulator, api: Any) -> None:
    assert await api("homesdata", bearer="0" * 24 + "|" + "0" * 32) == (
        403,
        {"error": {"code": 2, "message": "Invalid access token"}},
    )
    async with (
        aiohttp.ClientSession(trust_env=False) as http,
        http.post(f"{sim.base_url}/api/homesdata") as resp,
    ):
        assert (resp.status, (await resp.json())["error"]["code"]) == (401, 1)
    await sim.expire_tokens(DEMO_ACCOUNT)
    assert _code(await api("homesdata")) == (403, 3)


async def test_get_query_and_post_form_are_equivalent(api: Any) -> None:
    status_get, body_get = await api("homestatus", method="GET", params={"home_id": HOME_ONE_ID})
    status_post, body_post = await api("homestatus", data={"home_id": HOME_ONE_ID})
    assert status_get == status_post == 200
    assert [m["id"] for m in body_get["body"]["home"]["modules"]] == [
        m["id"] for m in body_post["body"]["home"]["modules"]
    ]
    status, _ = await api("setthermmode", method="GET", params={"home_id": HOME_ONE_ID, "mode": "hg"})
    assert status == 200


async def test_rate_limit_answers_429_code_26(sim: Simulator, api: Any) -> None:
    for _ in range(50):
        assert (await api("homesdata"))[0] == 200
    assert await api("homesdata") == (429, {"error": {"code": 26, "message": "Maximum api usage reached"}})
    counters = await sim.counters(DEMO_ACCOUNT)
    assert counters["requests_10s"] == 50 and counters["rejected"] == 1
    sim.advance_clock(11)
    assert (await api("homesdata"))[0] == 200
    assert (await sim.counters(DEMO_ACCOUNT))["requests_hour"] == 51


async def test_hourly_limit(sim: Simulator, api: Any) -> None:
    for i in range(500):
        if i % 50 == 0:
            sim.advance_clock(10.5)
        sim.state.limiter.hit(DEMO_ACCOUNT)
    assert _code(await api("homesdata")) == (429, 26)
    sim.advance_clock(3600)
    assert (await api("homesdata"))[0] == 200


async def test_fault_injection_status_code_and_hang(sim: Simulator, api: Any, token: str) -> None:
    await sim.fail_next("homestatus", 500, code=11, count=2)
    assert _code(await api("homestatus", data={"home_id": HOME_ONE_ID})) == (500, 11)
    assert _code(await api("homestatus", data={"home_id": HOME_ONE_ID})) == (500, 11)
    assert (await api("homestatus", data={"home_id": HOME_ONE_ID}))[0] == 200
    await sim.fail_next("api/homesdata", 503, hang=True)
    async with aiohttp.ClientSession(trust_env=False) as http:
        with pytest.raises(asyncio.TimeoutError):
            async with http.post(
                f"{sim.base_url}/api/homesdata",
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass


async def test_write_log_records_write_calls_only(sim: Simulator, api: Any) -> None:
    await api("homesdata")
    await api("setthermmode", data={"home_id": HOME_ONE_ID, "mode": "away"})
    log = await sim.write_log()
    assert [entry["endpoint"] for entry in log] == ["setthermmode"]
    assert (
        log[0]["params"] == {"home_id": HOME_ONE_ID, "mode": "away"} and log[0]["account_id"] == DEMO_ACCOUNT
    )
