"""Write endpoints: setstate, thermostat modes and setpoints, schedules, persons."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from standins.netatmo_sim.api.common import (
    BadRequest,
    api_routes,
    as_float,
    as_int,
    caller_of,
    check_scope,
    ok,
    params_of,
    require,
)
from standins.netatmo_sim.api.rest_read import home_request, owned_home
from standins.netatmo_sim.api.state import STATE
from standins.netatmo_sim.world import actions
from standins.netatmo_sim.world.device_types import DEVICE_TYPES


async def setstate(request: web.Request) -> web.Response:
    """JSON `{"home": {"id", "modules": [...], "rooms": [...]}}`; per-module failures come back
    in a 200 answer under `body.errors`, like the real API."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    payload = params.json
    if payload is None and (raw := params.get("json")) is not None:
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(40, "JSON given has an invalid encoding") from exc
    home_data = payload.get("home") if isinstance(payload, dict) else None
    if not isinstance(home_data, dict) or not home_data.get("id"):
        raise BadRequest(10, "Missing parameters")
    home = owned_home(state, caller, str(home_data["id"]))
    modules: list[Any] = home_data.get("modules") or []
    rooms: list[Any] = home_data.get("rooms") or []
    if not isinstance(modules, list) or not isinstance(rooms, list) or not (modules or rooms):
        raise BadRequest(10, "Missing parameters")
    for change in modules:
        dev = home.devices.get(str(change.get("id"))) if isinstance(change, dict) else None
        if dev is None:
            raise BadRequest(
                21, f"Invalid device_id, {change.get('id') if isinstance(change, dict) else change}"
            )
        write_scope = DEVICE_TYPES[dev.type].write_scope
        if write_scope is not None:
            check_scope(caller, write_scope)
    if rooms:
        check_scope(caller, "write_thermostat")
    errors: list[dict[str, Any]] = []
    for change in modules:
        errors += [e.as_json() for e in actions.set_module_state(state.world, home, change)]
    for room in rooms:
        if not isinstance(room, dict):
            raise BadRequest(21, "Invalid array arg")
        mode = room.get("therm_setpoint_mode")
        end = room.get("therm_setpoint_end_time")
        temp = room.get("therm_setpoint_temperature")
        actions.set_room_setpoint(
            state.world,
            home,
            str(room.get("id")),
            "home" if mode == "schedule" else mode,
            float(temp) if temp is not None else None,
            int(end) if end else None,
        )
    if errors:
        return ok({"home": {"id": home.id}, "errors": errors}, state.world.now())
    return ok(None, state.world.now())


async def setthermmode(request: web.Request) -> web.Response:
    """Home heating mode: schedule, away or hg, with optional endtime and schedule_id."""
    state, _caller, params, home = home_request(request, "write_thermostat")
    actions.set_therm_mode(
        state.world,
        home,
        params.get("mode"),
        as_int(params.get("endtime"), "endtime"),
        params.get("schedule_id"),
    )
    return ok(None, state.world.now())


async def setroomthermpoint(request: web.Request) -> web.Response:
    """Room override: manual (temp), max, or home (back to the schedule)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, room_id, mode = require(params, "home_id", "room_id", "mode")
    check_scope(caller, "write_thermostat")
    home = owned_home(state, caller, home_id)
    if home.setstate_only(room_id):
        # What Netatmo answers for a Smarther room: its devices only take setstate.
        raise BadRequest(11, "device.setThermPoint is not a function", status=500)
    actions.set_room_setpoint(
        state.world,
        home,
        room_id,
        mode,
        as_float(params.get("temp"), "temp"),
        as_int(params.get("endtime"), "endtime"),
    )
    return ok(None, state.world.now())


async def switchhomeschedule(request: web.Request) -> web.Response:
    """Select another heating schedule."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, schedule_id = require(params, "home_id", "schedule_id")
    check_scope(caller, "write_thermostat")
    actions.switch_schedule(state.world, owned_home(state, caller, home_id), schedule_id)
    return ok(None, state.world.now())


def _schedule_body(params: Any) -> dict[str, Any]:
    body = params.json if isinstance(params.json, dict) else {}
    if not body:
        for key in ("zones", "timetable"):
            if (raw := params.get(key)) is not None:
                try:
                    body[key] = json.loads(raw)
                except ValueError as exc:
                    raise BadRequest(21, "Invalid array arg") from exc
        for key in ("hg_temp", "away_temp"):
            if (raw := params.get(key)) is not None:
                body[key] = raw
    if "zones" not in body or "timetable" not in body:
        raise BadRequest(10, "Missing parameters")
    return body


async def synchomeschedule(request: web.Request) -> web.Response:
    """Replace a schedule (query home_id/schedule_id/name, JSON zones/timetable)."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, schedule_id = require(params, "home_id", "schedule_id")
    check_scope(caller, "write_thermostat")
    home = owned_home(state, caller, home_id)
    actions.sync_schedule(state.world, home, schedule_id, params.get("name"), _schedule_body(params))
    return ok(None, state.world.now())


async def createnewhomeschedule(request: web.Request) -> web.Response:
    """Add a schedule; the body carries its new id."""
    state, caller, params = request.app[STATE], caller_of(request), params_of(request)
    home_id, name = require(params, "home_id", "name")
    check_scope(caller, "write_thermostat")
    home = owned_home(state, caller, home_id)
    schedule_id = actions.create_schedule(state.world, home, name, _schedule_body(params))
    return ok({"schedule_id": schedule_id}, state.world.now())


async def setpersonsaway(request: web.Request) -> web.Response:
    """Mark one person (or, without person_id, everybody) away."""
    state, _caller, params, home = home_request(request, "write_camera")
    person = params.get("person_id")
    actions.set_persons(state.world, home, [person] if person else None, away=True)
    return ok(None, state.world.now())


async def setpersonshome(request: web.Request) -> web.Response:
    """Mark persons home (`person_ids[]` form values or a JSON array)."""
    state, _caller, params, home = home_request(request, "write_camera")
    ids = params.getall("person_ids")
    if not ids:
        raise BadRequest(10, "Missing person_ids")
    actions.set_persons(state.world, home, ids, away=False)
    return ok(None, state.world.now())


def routes() -> list[web.RouteDef]:
    """Write routes, each on GET and POST."""
    table = {
        "setstate": setstate,
        "setthermmode": setthermmode,
        "setroomthermpoint": setroomthermpoint,
        "switchhomeschedule": switchhomeschedule,
        "synchomeschedule": synchomeschedule,
        "createnewhomeschedule": createnewhomeschedule,
        "setpersonsaway": setpersonsaway,
        "setpersonshome": setpersonshome,
    }
    return api_routes(table)
