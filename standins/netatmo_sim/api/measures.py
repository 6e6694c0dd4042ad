"""Historical measures: getroommeasure (room temperatures) and getmeasure (boiler, energy, weather).

History is synthesised from a deterministic function of (id, type, time) so that two calls agree
and tests can reason about it; the last point of a room's temperature is its current reading.
Values are reported at the middle of each interval, as the real API does.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from aiohttp import web

from standins.netatmo_sim.api.common import BadRequest, as_int, caller_of, check_scope, ok, params_of, require
from standins.netatmo_sim.api.rest_read import owned_home
from standins.netatmo_sim.api.state import STATE
from standins.netatmo_sim.world import thermal

SCALES = {
    "max": 300,
    "5min": 300,
    "30min": 1800,
    "1hour": 3600,
    "3hours": 10800,
    "1day": 86400,
    "1week": 604800,
    "1month": 2592000,
}
MAX_POINTS = 1024
ROOM_TYPES = ("temperature", "sp_temperature", "min_temp", "max_temp", "heating_power_request")
BOILER_TYPES = ("sum_boiler_on", "sum_boiler_off", "boileron", "boileroff")


def _noise(key: str, t: int) -> float:
    digest = hashlib.blake2b(f"{key}:{t}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32


def _value(kind: str, key: str, t: int, step: int, base: float) -> float | int:
    wave = math.sin(t / 43200 * math.pi)
    if kind in ("temperature", "min_temp", "max_temp"):
        shift = {"min_temp": -0.8, "max_temp": 0.8}.get(kind, 0.0)
        return round(base + 1.5 * wave + shift + 0.4 * (_noise(key, t) - 0.5), 1)
    if kind == "sp_temperature":
        return base
    if kind == "heating_power_request":
        return int(100 * _noise(key, t) > 60) * 100
    if kind in ("sum_boiler_on", "boileron"):
        return int(step * max(0.0, 0.5 - 0.5 * wave) * _noise(key, t))
    if kind in ("sum_boiler_off", "boileroff"):
        return step - int(step * max(0.0, 0.5 - 0.5 * wave) * _noise(key, t))
    if kind.startswith("sum_energy"):
        return int(step / 3600 * (120 + 80 * _noise(key + kind, t)))
    return round(base + 2 * wave, 1)


def _series(params: Any, now: int, kinds: list[str], key: str, base: float) -> tuple[int, list[int]]:
    scale = params.get("scale") or "30min"
    if scale not in SCALES:
        raise BadRequest(21, "Invalid scale")
    step = SCALES[scale]
    end = as_int(params.get("date_end"), "date_end") or now
    limit = min(as_int(params.get("limit"), "limit") or MAX_POINTS, MAX_POINTS)
    begin = as_int(params.get("date_begin"), "date_begin")
    if begin is None:
        begin = end - step * min(limit, 48)
    if begin > end:
        raise BadRequest(25, "Invalid date")
    first = begin - begin % step
    times = [t + step // 2 for t in range(first, end, step)][:limit]
    times = [t for t in times if t <= now]
    return step, times


def _answer(params: Any, step: int, times: list[int], rows: list[list[Any]], now: int) -> web.Response:
    optimize = (params.get("optimize") or "true").lower() != "false"
    if not times:
        return ok([] if optimize else {}, now)
    if optimize:
        return ok([{"beg_time": times[0], "step_time": step, "value": rows}], now)
    return ok({str(t): row for t, row in zip(times, rows, strict=True)}, now)


async def getroommeasure(request: web.Request) -> web.Response:
    """Room temperature history (types: temperature, sp_temperature, min/max_temp, ...)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, room_id = require(params, "home_id", "room_id")
    check_scope(caller, "read_thermostat")
    home = owned_home(state, caller, home_id)
    room = home.rooms.get(room_id)
    if room is None or room not in home.heating_rooms():
        raise BadRequest(21, "Invalid room_id")
    kinds = params.getall("type") or ["temperature"]
    if any(k not in ROOM_TYPES for k in kinds):
        raise BadRequest(21, "Invalid type")
    state.world.advance(home)
    now = state.world.now()
    sp = thermal.setpoint(home, room, state.world.clock()).temperature
    step, times = _series(params, now, kinds, room.id, room.measured)
    rows = [
        [_value(k, room.id, t, step, sp if k == "sp_temperature" else room.measured) for k in kinds]
        for t in times
    ]
    if rows and "temperature" in kinds:
        rows[-1][kinds.index("temperature")] = thermal.measured(room)
    return _answer(params, step, times, rows, now)


async def getmeasure(request: web.Request) -> web.Response:
    """Device/module measures: boiler activity, energy sums, weather readings."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    device_id, _ = require(params, "device_id", "scale")
    check_scope(caller, "read_thermostat", "read_station", "read_magellan")
    found = state.world.find_device(device_id)
    if found is None or found[0].account_id != caller.account_id:
        raise BadRequest(9, "Device not found")
    home, _dev = found
    module_id = params.get("module_id") or device_id
    if module_id not in home.devices:
        raise BadRequest(9, "Device not found")
    kinds = params.getall("type")
    if not kinds:
        raise BadRequest(10, "Missing type")
    now = state.world.now()
    step, times = _series(params, now, kinds, module_id, 20.0)
    rows: list[list[Any]] = []
    for t in times:
        row: list[Any] = []
        for k in kinds:
            base = k.split("$")[0]
            # Tariff-split energy columns ($0, $1, ...) are mostly empty, like the fixtures.
            row.append(
                None
                if "$" in k and int(k.split("$")[1]) != t // step % 2
                else _value(base, module_id, t, step, 20.0)
            )
        rows.append(row)
    return _answer(params, step, times, rows, now)


def routes() -> list[web.RouteDef]:
    """Measure routes on GET and POST."""
    return [
        web.get("/api/getroommeasure", getroommeasure),
        web.post("/api/getroommeasure", getroommeasure),
        web.get("/api/getmeasure", getmeasure),
        web.post("/api/getmeasure", getmeasure),
    ]
