"""A Smarther (BNS) room: driven through setstate only, reported with mode "home", as Netatmo does."""

from __future__ import annotations

import random
from typing import Any

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world.builder import HomeBuilder
from standins.netatmo_sim.world.demo import FLAT_BEDROOM_ID, HOME_TWO_ID


async def test_smarther_room_refuses_setroomthermpoint_and_takes_setstate(sim: Simulator, api: Any) -> None:
    flat = sim.state.world.homes[HOME_TWO_ID]
    HomeBuilder(flat, random.Random(1)).device("00:03:50:00:00:01", "BNS", "Smarther", FLAT_BEDROOM_ID)

    status, body = await api("homestatus", data={"home_id": HOME_TWO_ID})
    assert status == 200
    (room,) = body["body"]["home"]["rooms"]
    assert room["id"] == FLAT_BEDROOM_ID and room["therm_setpoint_mode"] == "home"

    refused = await api(
        "setroomthermpoint",
        data={"home_id": HOME_TWO_ID, "room_id": FLAT_BEDROOM_ID, "mode": "manual", "temp": 20},
    )
    assert refused[0] == 500 and refused[1]["error"]["code"] == 11
    assert flat.rooms[FLAT_BEDROOM_ID].override_mode is None

    change = {"id": FLAT_BEDROOM_ID, "therm_setpoint_mode": "manual", "therm_setpoint_temperature": 20}
    status, _body = await api("setstate", json={"home": {"id": HOME_TWO_ID, "rooms": [change]}})
    assert status == 200
    status, body = await api("homestatus", data={"home_id": HOME_TWO_ID})
    (room,) = body["body"]["home"]["rooms"]
    assert room["therm_setpoint_mode"] == "manual" and room["therm_setpoint_temperature"] == 20
