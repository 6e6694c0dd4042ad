"""Heating calls: read a home's rooms and schedules, change modes and setpoints, read measure history.

All of it goes through `NetatmoGateway.api`, so each call shares the link's budget, token refresh and
error mapping. pyatmo has setters for most of these, but they work on its cached topology (a renamed
room or a new schedule would not show) and it has no call for a room history; one path for everything
is simpler to follow and to test. Functions raise only `bot.netatmo.errors` types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.heating import SETROOMTHERMPOINT, room_driver
from bot.netatmo.errors import InvalidRequest, check_body_errors

HEATING_TYPES = frozenset({"NATherm1", "NRV", "BNS", "OTM", "NLC"})
RELAY_TYPES = frozenset({"NAPlug", "OTH", "BNS"})
SCOPE = "write_thermostat"


class Api(Protocol):
    """The part of NetatmoGateway these functions use (so tests may pass a stand-in)."""

    async def api(
        self,
        link_id: int,
        endpoint: str,
        params: dict[str, Any] | None = None,
        *,
        json: dict[str, Any] | None = None,
        scope_hint: str | None = None,
        max_wait: float | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HeatingRoom:
    id: str
    name: str
    module_types: frozenset[str]
    driver: str  # SETROOMTHERMPOINT or SETSTATE
    measured: float | None = None
    setpoint: float | None = None
    mode: str | None = None  # schedule / home / manual / max / away / hg / off
    end_time: int | None = None  # epoch seconds, None or 0: no end
    open_window: bool = False
    reachable: bool = True


@dataclass(frozen=True)
class HeatingSchedule:
    id: str
    name: str
    selected: bool
    offsets: tuple[int, ...]  # timetable minutes after Monday 00:00


@dataclass(frozen=True)
class HeatingHome:
    id: str
    name: str
    timezone: str
    mode: str  # schedule / away / hg
    mode_end: int | None
    default_minutes: int
    rooms: tuple[HeatingRoom, ...] = ()
    schedules: tuple[HeatingSchedule, ...] = ()
    relay_id: str | None = None  # the boiler relay (NAPlug, OTH...) when there is one
    relay_module_id: str | None = None  # the thermostat behind it, for getmeasure's module_id
    boiler_on: bool | None = None
    status_missing: bool = False  # homestatus gave no rooms (relay offline, no status at all)

    def room(self, room_id: str) -> HeatingRoom | None:
        return next((room for room in self.rooms if room.id == room_id), None)

    @property
    def selected_schedule(self) -> HeatingSchedule | None:
        return next((s for s in self.schedules if s.selected), None)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def parse_heating(topology: Any, status: Any, home_id: str) -> HeatingHome | None:
    """A home's heating from a homesdata body and a homestatus body; None when homesdata lacks it."""
    homes = _dicts(topology.get("homes")) if isinstance(topology, dict) else []
    home = next((h for h in homes if h.get("id") == home_id), None)
    if home is None:
        return None
    modules = _dicts(home.get("modules"))
    home_types = {str(m.get("type")) for m in modules}
    types_by_room: dict[str, set[str]] = {}
    for module in modules:
        if module.get("type") in HEATING_TYPES and module.get("room_id"):
            types_by_room.setdefault(str(module["room_id"]), set()).add(str(module["type"]))
    live = status.get("home") if isinstance(status, dict) else None
    live_rooms = {str(r.get("id")): r for r in _dicts(live.get("rooms") if isinstance(live, dict) else None)}
    live_modules = _dicts(live.get("modules") if isinstance(live, dict) else None)
    rooms = []
    for room in _dicts(home.get("rooms")):
        room_id = str(room.get("id"))
        types = types_by_room.get(room_id)
        if not types:
            continue
        state = live_rooms.get(room_id, {})
        end = state.get("therm_setpoint_end_time")
        rooms.append(
            HeatingRoom(
                id=room_id,
                name=str(room.get("name") or room_id),
                module_types=frozenset(types),
                driver=room_driver(types, home_types),
                measured=_number(state.get("therm_measured_temperature")),
                setpoint=_number(state.get("therm_setpoint_temperature")),
                mode=str(state["therm_setpoint_mode"]) if state.get("therm_setpoint_mode") else None,
                end_time=int(end) if isinstance(end, int | float) and end else None,
                open_window=state.get("open_window") is True,
                reachable=bool(state) and state.get("reachable") is not False,
            )
        )
    schedules = tuple(
        HeatingSchedule(
            id=str(s.get("id")),
            name=str(s.get("name") or s.get("id")),
            selected=s.get("selected") is True,
            offsets=tuple(int(t["m_offset"]) for t in _dicts(s.get("timetable")) if "m_offset" in t),
        )
        for s in _dicts(home.get("schedules"))
        if s.get("type", "therm") == "therm" and s.get("id")
    )
    relay = next((m for m in modules if m.get("type") in RELAY_TYPES), None)
    thermostat = next(
        (m for m in modules if m.get("type") == "NATherm1" and relay and m.get("bridge") == relay.get("id")),
        None,
    )
    boiler = [m.get("boiler_status") for m in live_modules if isinstance(m.get("boiler_status"), bool)]
    mode_end = home.get("therm_mode_endtime")
    return HeatingHome(
        id=home_id,
        name=str(home.get("name") or home_id),
        timezone=str(home.get("timezone") or "UTC"),
        mode=str(home.get("therm_mode") or "schedule"),
        mode_end=int(mode_end) if isinstance(mode_end, int | float) and mode_end else None,
        default_minutes=int(home.get("therm_setpoint_default_duration") or 180),
        rooms=tuple(rooms),
        schedules=schedules,
        relay_id=str(relay["id"]) if relay is not None else None,
        relay_module_id=str(thermostat["id"]) if thermostat is not None else None,
        boiler_on=any(boiler) if boiler else None,
        status_missing=bool(rooms) and not live_rooms,
    )


async def heating_home(api: Api, link_id: int, home_id: str) -> HeatingHome | None:
    """The home's heating now: homesdata (names, schedules, modes) plus homestatus (readings)."""
    topology = await api.api(link_id, "api/homesdata", {"home_id": home_id})
    status = await api.api(link_id, "api/homestatus", {"home_id": home_id})
    return parse_heating(topology.get("body"), status.get("body"), home_id)


async def set_home_mode(api: Api, link_id: int, home_id: str, mode: str, end: int | None) -> None:
    """setthermmode: schedule, away or hg (frost guard), with an end time for the last two."""
    params: dict[str, Any] = {"home_id": home_id, "mode": mode}
    if end is not None and mode != "schedule":
        params["endtime"] = end
    await api.api(link_id, "api/setthermmode", params, scope_hint=SCOPE)


async def set_room(
    api: Api,
    link_id: int,
    home_id: str,
    room: HeatingRoom,
    mode: str,
    temp: float | None = None,
    end: int | None = None,
) -> None:
    """A room override (`manual` with `temp`, `max`) or back to the schedule (`home`), with the call
    the room's devices take."""
    if room.driver == SETROOMTHERMPOINT:
        params: dict[str, Any] = {"home_id": home_id, "room_id": room.id, "mode": mode}
        if temp is not None and mode == "manual":
            params["temp"] = temp
        if end is not None and mode != "home":
            params["endtime"] = end
        await api.api(link_id, "api/setroomthermpoint", params, scope_hint=SCOPE)
        return
    change: dict[str, Any] = {"id": room.id, "therm_setpoint_mode": mode}
    if temp is not None and mode == "manual":
        change["therm_setpoint_temperature"] = temp
    if end is not None and mode != "home":
        change["therm_setpoint_end_time"] = end
    reply = await api.api(
        link_id, "api/setstate", json={"home": {"id": home_id, "rooms": [change]}}, scope_hint=SCOPE
    )
    check_body_errors(reply.get("body"), endpoint="api/setstate")


async def switch_schedule(api: Api, link_id: int, home_id: str, schedule_id: str) -> None:
    await api.api(
        link_id, "api/switchhomeschedule", {"home_id": home_id, "schedule_id": schedule_id}, scope_hint=SCOPE
    )


def parse_series(body: Any, width: int) -> list[tuple[int, list[float | None]]]:
    """(time, values) rows of a measure answer, in either of Netatmo's shapes (optimized blocks of
    `beg_time` + `step_time`, or a timestamp-keyed object)."""
    rows: list[tuple[int, list[float | None]]] = []
    if isinstance(body, list):
        for block in _dicts(body):
            begin, step = block.get("beg_time"), block.get("step_time") or 0
            if not isinstance(begin, int | float):
                continue
            for index, values in enumerate(block.get("value") or []):
                rows.append((int(begin + index * step), _row(values, width)))
    elif isinstance(body, dict):
        for key, values in body.items():
            if str(key).isdigit():
                rows.append((int(key), _row(values, width)))
    rows.sort(key=lambda row: row[0])
    return rows


def _row(values: Any, width: int) -> list[float | None]:
    items = values if isinstance(values, list) else [values]
    out = [_number(v) for v in items[:width]]
    return out + [None] * (width - len(out))


async def room_history(
    api: Api, link_id: int, home_id: str, room_id: str, scale: str, begin: int, end: int
) -> list[tuple[int, float | None, float | None]]:
    """(time, measured, setpoint) of a room between `begin` and `end` (getroommeasure)."""
    reply = await api.api(
        link_id,
        "api/getroommeasure",
        {
            "home_id": home_id,
            "room_id": room_id,
            "scale": scale,
            "type": "temperature,sp_temperature",
            "date_begin": begin,
            "date_end": end,
            "optimize": "false",
        },
        scope_hint="read_thermostat",
    )
    return [(t, values[0], values[1]) for t, values in parse_series(reply.get("body"), 2)]


async def boiler_history(
    api: Api, link_id: int, relay_id: str, module_id: str | None, begin: int, end: int
) -> list[tuple[int, float]]:
    """(day, seconds the boiler ran) per day between `begin` and `end` (getmeasure sum_boiler_on)."""
    params: dict[str, Any] = {
        "device_id": relay_id,
        "scale": "1day",
        "type": "sum_boiler_on",
        "date_begin": begin,
        "date_end": end,
        "optimize": "false",
    }
    if module_id is not None:
        params["module_id"] = module_id
    reply = await api.api(link_id, "api/getmeasure", params, scope_hint="read_thermostat")
    body = reply.get("body")
    if body is not None and not isinstance(body, list | dict):
        raise InvalidRequest("getmeasure: unexpected body")
    return [(t, values[0] or 0.0) for t, values in parse_series(body, 1)]
