"""Read endpoints: homesdata, homestatus, getevents, getscenarios, stations and home coaches."""

from __future__ import annotations

from typing import Any, NamedTuple

from aiohttp import web

from standins.netatmo_sim.api import render
from standins.netatmo_sim.api.common import (
    BadRequest,
    Caller,
    Params,
    api_routes,
    as_int,
    caller_of,
    check_scope,
    ok,
    params_of,
    require,
)
from standins.netatmo_sim.api.state import STATE, SimState
from standins.netatmo_sim.world.model import Home

CAMERA_READ = (
    "read_camera",
    "read_presence",
    "read_camerapro",
    "read_doorbell",
    "read_smokedetector",
    "read_carbonmonoxidedetector",
)
ANY_HOME_READ = (
    *CAMERA_READ,
    "read_thermostat",
    "read_magellan",
    "read_bubendorff",
    "read_station",
    "read_smarther",
)


def owned_home(state: SimState, caller: Caller, home_id: str) -> Home:
    """The caller's home with that id, or code 21 "Invalid id" (unknown or someone else's)."""
    home = state.world.home(home_id)
    if home is None or home.account_id != caller.account_id:
        raise BadRequest(21, "Invalid id")
    return home


class HomeRequest(NamedTuple):
    state: SimState
    caller: Caller
    params: Params
    home: Home


def home_request(request: web.Request, *scopes: str) -> HomeRequest:
    """A request about one home: its `home_id` required, one of `scopes` checked (in that order), and
    the caller's home with that id (see owned_home)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    (home_id,) = require(params, "home_id")
    check_scope(caller, *scopes)
    return HomeRequest(state, caller, params, owned_home(state, caller, home_id))


async def homesdata(request: web.Request) -> web.Response:
    """Topology of the caller's homes (optionally one home, optionally some gateway types)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    check_scope(caller, *ANY_HOME_READ)
    account = state.world.account(caller.account_id)
    if account is None:
        raise BadRequest(2, "Invalid access token", status=403)
    homes = state.world.homes_of(account.id)
    if (home_id := params.get("home_id")) is not None:
        homes = [owned_home(state, caller, home_id)]
    gateway_types = set(params.getall("gateway_types"))
    body_homes = []
    for home in homes:
        topo = render.home_topology(state.world, home, caller.scopes)
        if gateway_types:
            topo["modules"] = [m for m in topo["modules"] if m["type"] in gateway_types or m.get("bridge")]
        body_homes.append(topo)
    return ok({"homes": body_homes, "user": render.user_json(account)}, state.world.now())


async def homestatus(request: web.Request) -> web.Response:
    """Live status of one home; unreachable devices come back as `errors` code 6."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id = params.get("home_id")
    if home_id is None:
        raise BadRequest(10, "Missing home_id")
    check_scope(caller, *ANY_HOME_READ)
    home = owned_home(state, caller, home_id)
    status, errors = render.home_status(state.world, home, caller.scopes, params.getall("device_types"))
    body: dict[str, Any] = {"home": status}
    if errors:
        body["errors"] = errors
    return ok(body, state.world.now())


async def getevents(request: web.Request) -> web.Response:
    """Events newest first; filters device_id/module_id/person_id/device_types; paging with
    event_id (older than that event), offset and size."""
    state, caller, params, home = home_request(request, *CAMERA_READ)
    events = [e for e in home.events if render.visible(home.devices[e.device_id], caller.scopes)]
    for name in ("device_id", "module_id"):
        if (wanted := params.get(name)) is not None:
            if wanted not in home.devices:
                raise BadRequest(9, "Device not found")
            events = [e for e in events if wanted in (e.device_id, e.module_id)]
    if (person := params.get("person_id")) is not None:
        events = [e for e in events if e.person_id == person]
    if types := params.getall("device_types"):
        events = [e for e in events if home.devices[e.device_id].type in types]
    if (event_id := params.get("event_id")) is not None:
        index = next((i for i, e in enumerate(events) if e.id == event_id), None)
        if index is None:
            raise BadRequest(21, "Invalid event_id")
        events = events[index + 1 :]
    offset = as_int(params.get("offset"), "offset") or 0
    size = as_int(params.get("size"), "size") or 30
    if offset < 0 or size <= 0:
        raise BadRequest(21, "Invalid size")
    page = events[offset : offset + size]
    body = {"home": {"id": home.id, "events": [render.event_json(state.world, home, e) for e in page]}}
    return ok(body, state.world.now())


async def getscenarios(request: web.Request) -> web.Response:
    """Legrand scenarios of a home."""
    state, _caller, _params, home = home_request(request, "read_magellan", "read_bubendorff")
    scenarios = [
        {"type": s.type, "id": s.id, "name": s.name, "editable": False, "customizable": False}
        for s in home.scenarios
    ]
    return ok({"home": {"id": home.id}, "scenarios": scenarios}, state.world.now())


def _dashboard(reading: dict[str, Any], now: int, outdoor: bool) -> dict[str, Any]:
    temp = reading["temperature"]
    base: dict[str, Any] = {"time_utc": now - 60, "Temperature": temp, "Humidity": reading["humidity"]}
    if not outdoor:
        base.update(
            CO2=reading["co2"],
            Noise=reading["noise"],
            Pressure=reading["pressure"],
            AbsolutePressure=reading["absolute_pressure"],
            pressure_trend="stable",
        )
    base.update(
        min_temp=round(temp - 2, 1),
        max_temp=round(temp + 2, 1),
        date_min_temp=now - 30000,
        date_max_temp=now - 9000,
        temp_trend="stable",
    )
    return base


async def getstationsdata(request: web.Request) -> web.Response:
    """Weather stations of the caller, in the legacy station shape."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    check_scope(caller, "read_station")
    account = state.world.account(caller.account_id)
    world, now = state.world, state.world.now()
    wanted = params.get("device_id")
    devices = []
    for home in world.homes_of(caller.account_id):
        for dev in home.devices.values():
            if dev.type != "NAMain" or (wanted and dev.id != wanted):
                continue
            reading = world.weather(dev)
            modules = []
            for mid in dev.bridged:
                mod = home.devices[mid]
                modules.append(
                    {
                        "_id": mod.id,
                        "type": mod.type,
                        "module_name": mod.name,
                        "data_type": ["Temperature", "Humidity"],
                        "last_setup": mod.setup_date,
                        "reachable": mod.reachable,
                        "dashboard_data": _dashboard(world.weather(mod), now, True),
                        "firmware": 46,
                        "last_message": now - 30,
                        "last_seen": now - 60,
                        "rf_status": 65,
                        "battery_vp": 5738,
                        "battery_percent": 87,
                    }
                )
            devices.append(
                {
                    "_id": dev.id,
                    "cipher_id": f"enc:16:{dev.cam_token or dev.id}",
                    "date_setup": dev.setup_date,
                    "last_setup": dev.setup_date,
                    "type": "NAMain",
                    "last_status_store": now - 60,
                    "module_name": dev.name,
                    "firmware": 137,
                    "last_upgrade": dev.setup_date,
                    "wifi_status": 45,
                    "reachable": dev.reachable,
                    "co2_calibrating": False,
                    "station_name": home.name,
                    "data_type": ["Temperature", "CO2", "Humidity", "Noise", "Pressure"],
                    "place": {
                        "altitude": home.altitude,
                        "city": home.name,
                        "country": home.country,
                        "timezone": home.timezone,
                        "location": list(home.coordinates),
                    },
                    "dashboard_data": _dashboard(reading, now, False),
                    "modules": modules,
                }
            )
    if wanted and not devices:
        raise BadRequest(9, "Device not found")
    return ok({"devices": devices, "user": _station_user(account.email if account else "")}, now)


def _station_user(email: str) -> dict[str, Any]:
    return {
        "mail": email,
        "administrative": {
            "lang": "en-US",
            "reg_locale": "en-US",
            "country": "FR",
            "unit": 0,
            "windunit": 0,
            "pressureunit": 0,
            "feel_like_algo": 0,
        },
    }


async def gethomecoachsdata(request: web.Request) -> web.Response:
    """Home coaches of the caller (the demo world has none)."""
    state, caller = request.app[STATE], caller_of(request)
    check_scope(caller, "read_homecoach")
    account = state.world.account(caller.account_id)
    return ok({"devices": [], "user": _station_user(account.email if account else "")}, state.world.now())


def routes() -> list[web.RouteDef]:
    """Read routes, each on GET and POST."""
    table = {
        "homesdata": homesdata,
        "homestatus": homestatus,
        "getevents": getevents,
        "getscenarios": getscenarios,
        "getstationsdata": getstationsdata,
        "gethomecoachsdata": gethomecoachsdata,
    }
    return api_routes(table)
