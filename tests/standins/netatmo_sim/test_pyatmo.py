"""pyatmo 9.9, the real client, against the simulator: topology, status, events, writes, WebRTC,
webhooks."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection
from pyatmo import AsyncAccount
from pyatmo.auth import AbstractAsyncAuth
from pyatmo.webhook import WebhookKind

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world import demo, thermal


class SimAuth(AbstractAsyncAuth):
    """pyatmo auth whose base URL is the simulator."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        super().__init__(session, base_url=base_url + "/")
        self.token = token

    async def async_get_access_token(self) -> str:
        return self.token


async def test_topology_status_and_events(sim: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "person", person_id=demo.PERSON_JOHN_ID)
    await sim.trigger_event(demo.HOME_ONE_ID, demo.OUTDOOR_CAMERA_ID, "outdoor")
    account = AsyncAccount(SimAuth(http, sim.base_url, token))
    await account.async_update_topology()
    assert set(account.homes) == {demo.HOME_ONE_ID, demo.HOME_TWO_ID}
    for home_id in account.homes:
        await account.async_update_status(home_id)
    await account.async_update_events(demo.HOME_ONE_ID)

    home = account.homes[demo.HOME_ONE_ID]
    world_home = sim.world.homes[demo.HOME_ONE_ID]
    living = world_home.rooms[demo.LIVING_ROOM_ID]
    assert home.rooms[demo.LIVING_ROOM_ID].therm_measured_temperature == thermal.measured(living)
    camera = home.modules[demo.INDOOR_CAMERA_ID]
    assert camera.monitoring is True  # type: ignore[attr-defined]
    assert camera.local_url and camera.local_url.startswith(sim.base_url)  # type: ignore[attr-defined]
    assert len(await camera.async_get_live_snapshot()) > 1000  # type: ignore[attr-defined]
    assert {e.event_type for e in home.events.values()} >= {"person", "outdoor"}
    person_event = next(e for e in home.events.values() if e.event_type == "person")
    assert person_event.person_id == demo.PERSON_JOHN_ID
    assert home.persons[demo.PERSON_JOHN_ID].pseudo == "John"
    flat = account.homes[demo.HOME_TWO_ID]
    assert flat.modules[demo.SHUTTER_LIVING_ID].current_position == 0  # type: ignore[attr-defined]


async def test_thermostat_schedule_and_monitoring_writes(
    sim: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    account = AsyncAccount(SimAuth(http, sim.base_url, token))
    await account.async_update_topology()
    home = account.homes[demo.HOME_ONE_ID]
    world_home = sim.world.homes[demo.HOME_ONE_ID]

    assert await home.async_set_thermmode("away")
    assert world_home.therm_mode == "away"
    end = sim.world.now() + 3600
    await home.rooms[demo.BEDROOM_ID].async_therm_set("manual", 23.5, end)
    bedroom = world_home.rooms[demo.BEDROOM_ID]
    assert (bedroom.override_mode, bedroom.override_temp, bedroom.override_end) == ("manual", 23.5, end)
    assert await home.async_switch_schedule(demo.SCHEDULE_HOLIDAYS_ID)
    assert world_home.selected_schedule().id == demo.SCHEDULE_HOLIDAYS_ID  # type: ignore[union-attr]

    camera = home.modules[demo.INDOOR_CAMERA_ID]
    assert await camera.async_monitoring_off()  # type: ignore[attr-defined]
    assert world_home.devices[demo.INDOOR_CAMERA_ID].state["monitoring"] == "off"
    assert await camera.async_monitoring_on()  # type: ignore[attr-defined]
    assert world_home.devices[demo.INDOOR_CAMERA_ID].state["monitoring"] == "on"

    await account.async_update_status(demo.HOME_ONE_ID)
    room = home.rooms[demo.BEDROOM_ID]
    assert (room.therm_setpoint_mode, room.therm_setpoint_temperature) == ("manual", 23.5)
    assert home.rooms[demo.LIVING_ROOM_ID].therm_setpoint_mode == "away"
    assert [e["endpoint"] for e in await sim.write_log()] == [
        "setthermmode",
        "setroomthermpoint",
        "switchhomeschedule",
        "setstate",
        "setstate",
    ]


async def test_offline_device_is_reported_unreachable(
    sim: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    await sim.set_device_online(demo.OUTDOOR_CAMERA_ID, False)
    account = AsyncAccount(SimAuth(http, sim.base_url, token))
    await account.async_update_topology()
    await account.async_update_status(demo.HOME_ONE_ID)
    module = account.homes[demo.HOME_ONE_ID].modules[demo.OUTDOOR_CAMERA_ID]
    assert module.reachable is False and module.error_code == 6


async def test_webrtc_start_and_stop_stream(sim: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    account = AsyncAccount(SimAuth(http, sim.base_url, token))
    await account.async_update_topology()
    await account.async_update_status(demo.HOME_ONE_ID)
    camera: Any = account.homes[demo.HOME_ONE_ID].modules[demo.ADVANCE_CAMERA_ID]
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        session_id = str(uuid.uuid4())
        answer = await camera.async_start_stream(session_id, pc.localDescription.sdp)
        assert answer.stream.session_id == session_id and "m=video" in answer.sdp
        assert session_id in sim.state.webrtc.sessions  # type: ignore[union-attr]
        await camera.async_stop_stream(answer.stream)
        assert session_id not in sim.state.webrtc.sessions  # type: ignore[union-attr]
    finally:
        await pc.close()


async def test_pyatmo_processes_every_payload(
    sim: Simulator, every_push_kind: list[dict[str, Any]], http: aiohttp.ClientSession, token: str
) -> None:
    payloads = every_push_kind
    account = AsyncAccount(SimAuth(http, sim.base_url, token))
    await account.async_update_topology()
    kinds = []
    for payload in payloads:
        result = await account.process_webhook(payload)
        kinds.append(result.kind)
    assert WebhookKind.UNKNOWN not in kinds
    home = account.homes[demo.HOME_ONE_ID]
    assert home.therm_mode == "away"
    assert home.modules[demo.OUTDOOR_CAMERA_ID].floodlight == "on"  # type: ignore[attr-defined]
    assert home.modules[demo.INDOOR_CAMERA_ID].monitoring is True  # type: ignore[attr-defined]
    dimmer = account.homes[demo.HOME_TWO_ID].modules[demo.DIMMER_ID]
    assert dimmer.brightness == 40 and dimmer.on is True  # type: ignore[attr-defined]
