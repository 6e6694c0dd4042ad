"""Reading one home's full status: its topology (homesdata) joined with its live state (homestatus).

homesdata knows names, rooms and which module is what; homestatus knows values, and only for devices
that answer (an offline device is in `errors` or simply absent, a device behind an offline bridge is
absent). `parse_home` joins the two into `bot.domain.status.HomeState` as a pure function, so every
captured Netatmo answer can be checked in a unit test; `read_home` makes the two calls.
"""

from __future__ import annotations

from typing import Any

from bot.domain.status import (
    CameraState,
    HeatingState,
    HomeState,
    PersonState,
    RoomHeating,
    SensorState,
    SwitchState,
    WeatherState,
)
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.topology import CAMERA_TYPES

SENSOR_TYPES = ("NACamDoorTag", "NIS", "NSD", "NCO")
# Modules that measure or drive a room's temperature: their rooms are the heating rooms.
HEATING_TYPES = frozenset({"NATherm1", "NRV", "OTM", "BNS", "NAC", "NLC"})
WEATHER_TYPES = frozenset({"NAMain", "NAModule1", "NAModule4", "NHC"})
LIGHT_TYPES = frozenset({"NLL", "NLF", "NLFN", "NLFE", "NLM", "NLIS", "NLPT", "Z3L"})
PLUG_TYPES = frozenset({"NLP", "NLPM", "NLPO", "NLPD", "NLPC"})
SHUTTER_TYPES = frozenset({"NLV", "NLLV", "NBR", "NBO", "NBS", "Z3V", "NLJ"})
# Devices whose only job is to carry others: worth a line when they are offline.
BRIDGE_TYPES = frozenset({"NAPlug", "OTH", "NLG", "NLGS", "NBG"})
SD_OK = frozenset({2, 3, 4, "on"})  # inserted, formatted, working (legacy "on")
POWER_OK = frozenset({2, "on"})  # correct power (legacy "on")
LOW_BATTERY = frozenset({"low", "very_low"})


async def read_home(gateway: NetatmoGateway, link_id: int, home_id: str, name: str) -> HomeState:
    """The home's status now (two Netatmo calls); `name` is used when homesdata no longer lists it."""
    topology = await gateway.api(link_id, "api/homesdata", {"home_id": home_id})
    status = await gateway.home_status(link_id, home_id)
    return parse_home(topology.get("body"), status, home_id, name)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _find_home(body: Any, home_id: str) -> dict[str, Any]:
    for home in _dicts(body.get("homes") if isinstance(body, dict) else None):
        if home.get("id") == home_id:
            return home
    return {}


def parse_home(homesdata_body: Any, homestatus_body: Any, home_id: str, name: str = "") -> HomeState:
    """Join a homesdata body and a homestatus body (either may be empty) into the home's state."""
    topology = _find_home(homesdata_body, home_id)
    status_home = homestatus_body.get("home") if isinstance(homestatus_body, dict) else None
    status_home = status_home if isinstance(status_home, dict) else {}
    errors = _dicts(homestatus_body.get("errors") if isinstance(homestatus_body, dict) else None)
    status = {str(m.get("id")): m for m in _dicts(status_home.get("modules"))}
    failed = {str(e.get("id")) for e in errors}
    modules = _dicts(topology.get("modules"))
    has_status = bool(status or status_home.get("rooms") or status_home.get("persons"))

    def reachable(module_id: str) -> bool:
        found = status.get(module_id)
        return found is not None and found.get("reachable") is not False and module_id not in failed

    def label(module: dict[str, Any]) -> str:
        return str(module.get("name") or module.get("id") or "?")

    cameras: list[CameraState] = []
    sensors: list[SensorState] = []
    weather: list[WeatherState] = []
    switches: list[SwitchState] = []
    offline: list[str] = []
    for module in modules:
        module_id, kind = str(module.get("id", "")), str(module.get("type", ""))
        live = status.get(module_id, {})
        online = reachable(module_id)
        if kind in CAMERA_TYPES:
            monitoring = live.get("monitoring")
            floodlight = live.get("floodlight")
            cameras.append(
                CameraState(
                    label(module),
                    kind,
                    online,
                    monitoring=str(monitoring) if monitoring in ("on", "off") else None,
                    sd_problem="sd_status" in live and live["sd_status"] not in SD_OK,
                    power_problem="alim_status" in live and live["alim_status"] not in POWER_OK,
                    floodlight=str(floodlight) if isinstance(floodlight, str) else None,
                )
            )
        elif kind in SENSOR_TYPES:
            state = live.get("status")
            sensors.append(
                SensorState(
                    label(module),
                    kind,
                    online,
                    status=str(state) if isinstance(state, str) else None,
                    battery_low=live.get("battery_state") in LOW_BATTERY,
                )
            )
        elif kind in WEATHER_TYPES:
            weather.append(
                WeatherState(
                    label(module),
                    online,
                    temperature=_number(live.get("temperature")),
                    humidity=_number(live.get("humidity")),
                    co2=_number(live.get("co2")),
                    pressure=_number(live.get("pressure")),
                    noise=_number(live.get("noise")) if kind in ("NAMain", "NHC") else None,
                )
            )
        elif kind in LIGHT_TYPES | PLUG_TYPES | SHUTTER_TYPES:
            switch = _switch(module, live, online)
            if switch is not None:
                switches.append(switch)
        elif kind in BRIDGE_TYPES and not online and (has_status or module_id in failed):
            offline.append(label(module))
    return HomeState(
        id=home_id,
        name=str(topology.get("name") or name or home_id),
        timezone=str(topology.get("timezone") or "UTC"),
        has_status=has_status,
        cameras=tuple(cameras),
        sensors=tuple(sensors),
        persons=_persons(topology, status_home),
        heating=_heating(topology, status_home, status),
        weather=tuple(weather),
        switches=tuple(switches),
        offline=tuple(offline),
    )


def _switch(module: dict[str, Any], live: dict[str, Any], online: bool) -> SwitchState | None:
    kind = str(module.get("type"))
    name = str(module.get("name") or module.get("id") or "?")
    if kind in SHUTTER_TYPES:
        position = live.get("current_position", live.get("target_position"))
        where = _number(position)
        return SwitchState(name, "shutter", online, position=int(where) if where is not None else None)
    on = live.get("on")
    power = _number(live.get("power"))
    if online and not isinstance(on, bool) and power is None:
        return None  # a double switch's parent, a channel that reports nothing: nothing to show
    brightness = _number(live.get("brightness"))
    return SwitchState(
        name,
        "light" if kind in LIGHT_TYPES else "plug",
        online,
        on=on if isinstance(on, bool) else None,
        brightness=int(brightness) if brightness is not None else None,
        power=power,
    )


def _persons(topology: dict[str, Any], status_home: dict[str, Any]) -> tuple[PersonState, ...]:
    """Known people (those with a name) whose presence homestatus reports."""
    names = {str(p.get("id")): str(p["pseudo"]) for p in _dicts(topology.get("persons")) if p.get("pseudo")}
    found = []
    for person in _dicts(status_home.get("persons")):
        name = names.get(str(person.get("id")))
        if name:
            found.append(PersonState(name, at_home=person.get("out_of_sight") is False))
    return tuple(found)


def _heating(
    topology: dict[str, Any], status_home: dict[str, Any], status: dict[str, dict[str, Any]]
) -> HeatingState:
    modules = _dicts(topology.get("modules"))
    heating_ids = {str(m.get("id")) for m in modules if m.get("type") in HEATING_TYPES}
    room_status = {str(r.get("id")): r for r in _dicts(status_home.get("rooms"))}
    rooms: list[RoomHeating] = []
    for room in _dicts(topology.get("rooms")):
        room_id = str(room.get("id"))
        module_ids = {str(m) for m in room.get("module_ids") or []}
        live = room_status.get(room_id)
        thermal = live is not None and (
            "therm_measured_temperature" in live or "therm_setpoint_temperature" in live
        )
        if not (module_ids & heating_ids) and not thermal:
            continue
        if live is None:
            rooms.append(RoomHeating(str(room.get("name") or room_id), has_status=False))
            continue
        end = _number(live.get("therm_setpoint_end_time"))
        mode = live.get("therm_setpoint_mode")
        rooms.append(
            RoomHeating(
                str(room.get("name") or room_id),
                has_status=True,
                measured=_number(live.get("therm_measured_temperature")),
                setpoint=_number(live.get("therm_setpoint_temperature")),
                mode=str(mode) if isinstance(mode, str) else None,
                end_time=int(end) if end else None,
                open_window=live.get("open_window") is True,
                heating=(_number(live.get("heating_power_request")) or 0) > 0,
                reachable=live.get("reachable") is not False,
            )
        )
    boilers = [m.get("boiler_status") for m in status.values() if isinstance(m.get("boiler_status"), bool)]
    therm_mode = topology.get("therm_mode") if heating_ids else None
    mode_end = _number(topology.get("therm_mode_endtime"))
    return HeatingState(
        rooms=tuple(rooms),
        boiler_on=any(boilers) if boilers else None,
        mode=str(therm_mode) if isinstance(therm_mode, str) else None,
        mode_end=int(mode_end) if mode_end else None,
        schedule=_active_schedule(topology) if heating_ids else None,
    )


def _active_schedule(topology: dict[str, Any]) -> str | None:
    schedules = [s for s in _dicts(topology.get("schedules")) if s.get("type", "therm") == "therm"]
    chosen = next((s for s in schedules if s.get("selected")), None)
    return str(chosen.get("name")) if chosen is not None and chosen.get("name") else None
