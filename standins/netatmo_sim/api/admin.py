"""The admin API under `/_sim/` (JSON, no auth: the simulator only listens on loopback).

It scripts tests and the demo: trigger events, take devices offline, expire or revoke tokens,
inject faults, read the write log and the rate-limit counters, move the clock. See README.md.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from standins.netatmo_sim.api import render
from standins.netatmo_sim.api.limits import PRESETS, Fault
from standins.netatmo_sim.api.state import STATE, SimState
from standins.netatmo_sim.world import thermal
from standins.netatmo_sim.world.builder import HomeBuilder
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Home


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text='{"error": "body must be JSON"}', content_type="application/json"
        ) from exc
    return data if isinstance(data, dict) else {}


def counters(state: SimState, account_id: str) -> dict[str, int]:
    """Rate-limit counters plus token refreshes of an account."""
    return {**state.limiter.counters(account_id), "refreshes": state.tokens.refresh_counts[account_id]}


def home_summary(state: SimState, home: Home) -> dict[str, Any]:
    """A readable snapshot of a home for tests and the demo."""
    state.world.advance(home)
    now = state.world.clock()
    return {
        "id": home.id,
        "name": home.name,
        "account_id": home.account_id,
        "therm_mode": home.therm_mode,
        "boiler_on": thermal.boiler_on(home, now),
        "selected_schedule": (s.id if (s := home.selected_schedule()) else None),
        "schedules": [{"id": s.id, "name": s.name, "selected": s.selected} for s in home.schedules],
        "rooms": [
            {
                "id": r.id,
                "name": r.name,
                "type": r.type,
                "temperature": thermal.measured(r),
                **(
                    {
                        "setpoint": thermal.setpoint(home, r, now).temperature,
                        "setpoint_mode": thermal.setpoint(home, r, now).mode,
                    }
                    if r in home.heating_rooms()
                    else {}
                ),
            }
            for r in home.rooms.values()
        ],
        "devices": [
            {
                "id": d.id,
                "type": d.type,
                "name": d.name,
                "room_id": d.room_id,
                "bridge": d.bridge,
                "reachable": d.reachable,
                "state": {k: v for k, v in d.state.items() if not k.startswith("_")},
            }
            for d in home.devices.values()
        ],
        "persons": [{"id": p.id, "pseudo": p.pseudo, "out_of_sight": p.out_of_sight} for p in home.persons],
        "scenarios": [{"type": s.type, "id": s.id, "name": s.name} for s in home.scenarios],
    }


async def list_accounts(request: web.Request) -> web.Response:
    """GET /_sim/accounts?offset=&limit= : accounts with their home ids."""
    state = request.app[STATE]
    offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 50))
    ids = list(state.world.account_ids())
    out = []
    for account_id in ids[offset : offset + limit]:
        account = state.world.account(account_id)
        if account is not None:
            out.append(
                {
                    "id": account.id,
                    "email": account.email,
                    "display_name": account.display_name,
                    "home_ids": account.home_ids,
                }
            )
    return web.json_response({"accounts": out, "total": len(ids)})


async def get_home(request: web.Request) -> web.Response:
    """GET /_sim/homes/{home_id} : rooms, devices, persons, schedules."""
    state = request.app[STATE]
    home = state.world.home(request.match_info["home_id"])
    if home is None:
        return _json_error(404, "unknown home")
    return web.json_response(home_summary(state, home))


async def trigger_event(request: web.Request) -> web.Response:
    """POST /_sim/events {device_id, event_type, home_id?, person_id?, sub_type?, subevent_types?}."""
    state = request.app[STATE]
    body = await _body(request)
    device_id, event_type = body.get("device_id"), body.get("event_type")
    if not isinstance(device_id, str) or not isinstance(event_type, str):
        return _json_error(400, "device_id and event_type are required")
    found = state.world.find_device(device_id)
    home_id = body.get("home_id") or (found[0].id if found else "")
    kw = {k: body[k] for k in ("person_id", "sub_type", "subevent_types", "message") if k in body}
    try:
        event = state.world.trigger_event(str(home_id), device_id, event_type, **kw)
    except (ValueError, TypeError) as exc:
        return _json_error(400, str(exc))
    home = state.world.homes[event.home_id]
    return web.json_response({"event_id": event.id, "event": render.event_json(state.world, home, event)})


async def set_online(request: web.Request) -> web.Response:
    """POST /_sim/devices/{device_id}/online {"online": bool}."""
    state = request.app[STATE]
    body = await _body(request)
    try:
        event = state.world.set_device_online(request.match_info["device_id"], bool(body.get("online", True)))
    except ValueError as exc:
        return _json_error(404, str(exc))
    return web.json_response({"event_id": event.id if event else None})


async def tokens_action(request: web.Request) -> web.Response:
    """POST /_sim/accounts/{account_id}/revoke_tokens | expire_tokens."""
    state = request.app[STATE]
    account_id, action = request.match_info["account_id"], request.match_info["action"]
    if action == "revoke_tokens":
        count = state.tokens.revoke(account_id)
    elif action == "expire_tokens":
        count = state.tokens.expire(account_id)
    else:
        return _json_error(404, "unknown action")
    return web.json_response({"tokens": count})


def fault_from_json(body: dict[str, Any]) -> Fault:
    """A `Fault` from the admin API's JSON (see `faults`); ValueError when it names nothing usable."""
    if not isinstance(body.get("endpoint"), str):
        raise ValueError("endpoint is required")
    preset_name = body.get("preset")
    preset: dict[str, Any] = {}
    if preset_name is not None:
        if preset_name not in PRESETS:
            raise ValueError(f"unknown preset {preset_name}; one of {', '.join(sorted(PRESETS))}")
        preset = PRESETS[str(preset_name)]
    values = {**preset, **{k: v for k, v in body.items() if v is not None}}
    seconds = values.get("seconds")
    return Fault(
        body["endpoint"],
        int(values.get("status", 500)),
        int(values["code"]) if values.get("code") is not None else None,
        int(values.get("count", 1)),
        bool(values.get("hang", False)),
        str(values.get("message", "Simulated failure")),
        until=time.monotonic() + float(seconds) if seconds is not None else None,
        retry_after=float(values["retry_after"]) if values.get("retry_after") is not None else None,
        unreachable=bool(values.get("unreachable", False)),
        device_id=str(values["device_id"]) if values.get("device_id") is not None else None,
    )


async def faults(request: web.Request) -> web.Response:
    """POST /_sim/faults {endpoint, preset?, status?, code?, count?, seconds?, retry_after?, device_id?,
    hang?, message?}; GET lists; DELETE clears. `preset`: usage_limit (429 code 26), concurrency
    (429 code 11), unreachable (200 with body.errors code 6), server_error (500)."""
    state = request.app[STATE]
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        body = await _body(request)
        try:
            state.faults.add(fault_from_json(body))
        except (TypeError, ValueError) as exc:
            return _json_error(400, str(exc))
    return web.json_response({"faults": state.faults.pending()})


def _rename(items: Mapping[str, Any], change: object, what: str, touched: list[str]) -> None:
    """Apply a {id, name} rename of one of `items` (rooms or devices, by id) when asked; ValueError for an
    unknown id."""
    if not isinstance(change, dict):
        return
    key = str(change.get("id"))
    if key not in items:
        raise ValueError(f"unknown {what} {change.get('id')}")
    items[key].name = str(change.get("name", ""))
    touched.append(key)


def change_topology(state: SimState, home: Home, body: dict[str, Any]) -> list[str]:
    """Apply the topology changes of an admin request; the ids of the rooms and modules it touched.

    Keys: rename_home (a name), rename_room / rename_device ({id, name}), add_device ({id, type, name,
    room?, bridge?}, a type of device_types.DEVICE_TYPES). Raises ValueError for unknown ids or types.
    """
    touched: list[str] = []
    if isinstance(body.get("rename_home"), str):
        home.name = body["rename_home"]
    _rename(home.rooms, body.get("rename_room"), "room", touched)
    _rename(home.devices, body.get("rename_device"), "device", touched)
    added = body.get("add_device")
    if isinstance(added, dict):
        device_type, device_id = str(added.get("type")), str(added.get("id") or "")
        if device_type not in DEVICE_TYPES or not device_id or device_id in home.devices:
            raise ValueError("add_device needs a new id and a known type")
        room_id, bridge = added.get("room"), added.get("bridge")
        if (room_id is not None and room_id not in home.rooms) or (
            bridge is not None and bridge not in home.devices
        ):
            raise ValueError("unknown room or bridge")
        builder = HomeBuilder(home, random.Random(device_id))
        builder.device(device_id, device_type, str(added.get("name") or device_type), room_id, bridge)
        touched.append(device_id)
    return touched


async def topology(request: web.Request) -> web.Response:
    """POST /_sim/homes/{home_id}/topology {rename_home?, rename_room?, rename_device?, add_device?}:
    change the home as the Netatmo app would; homesdata shows it and a topology_changed push follows."""
    state = request.app[STATE]
    home = state.world.home(request.match_info["home_id"])
    if home is None:
        return _json_error(404, "unknown home")
    try:
        touched = change_topology(state, home, await _body(request))
    except ValueError as exc:
        return _json_error(400, str(exc))
    state.world.notify("topology", home, {"ids": touched})
    return web.json_response(home_summary(state, home))


async def writes(request: web.Request) -> web.Response:
    """GET /_sim/writes : write calls received (DELETE clears)."""
    state = request.app[STATE]
    if request.method == "DELETE":
        state.write_log.clear()
    return web.json_response({"writes": state.write_log})


async def get_counters(request: web.Request) -> web.Response:
    """GET /_sim/counters/{account_id} (DELETE resets it; DELETE /_sim/counters resets all)."""
    state = request.app[STATE]
    account_id = request.match_info.get("account_id")
    if request.method == "DELETE":
        state.limiter.reset(account_id)
        if account_id is None:
            state.tokens.refresh_counts.clear()
        else:
            state.tokens.refresh_counts.pop(account_id, None)
        return web.json_response({"reset": account_id or "all"})
    if account_id is None:
        return _json_error(400, "account id required")
    return web.json_response(counters(state, account_id))


async def settings(request: web.Request) -> web.Response:
    """POST /_sim/settings {snapshot_delay?, clock_advance?} ; GET shows them."""
    state = request.app[STATE]
    if request.method == "POST":
        body = await _body(request)
        if "snapshot_delay" in body:
            state.world.snapshot_delay = float(body["snapshot_delay"])
        if "clock_advance" in body:
            state.clock_offset += float(body["clock_advance"])
    return web.json_response(
        {
            "snapshot_delay": state.world.snapshot_delay,
            "clock_offset": state.clock_offset,
            "now": state.world.now(),
        }
    )


async def webhooks(request: web.Request) -> web.Response:
    """GET /_sim/webhooks : registrations and the last deliveries."""
    pusher = request.app[STATE].webhooks
    if pusher is None:
        return web.json_response({"registrations": [], "deliveries": []})
    return web.json_response(
        {
            "registrations": [r.as_json() for r in pusher.registrations.values()],
            "deliveries": list(pusher.deliveries),
        }
    )


async def authorize(request: web.Request) -> web.Response:
    """POST /_sim/authorize {account_id, client_id, redirect_uri, scope, state?} -> {"code"}."""
    state = request.app[STATE]
    body = await _body(request)
    try:
        code = state.authorize(
            str(body["account_id"]),
            str(body["client_id"]),
            str(body["redirect_uri"]),
            str(body.get("scope", "")),
        )
    except (KeyError, ValueError) as exc:
        return _json_error(400, f"bad request: {exc}")
    return web.json_response({"code": code})


async def webrtc_sessions(request: web.Request) -> web.Response:
    """GET /_sim/webrtc : live WebRTC sessions."""
    sessions = request.app[STATE].webrtc
    items = (
        []
        if sessions is None
        else [
            {"session_id": s.session_id, "device_id": s.device_id, "state": s.pc.connectionState}
            for s in sessions.sessions.values()
        ]
    )
    return web.json_response({"sessions": items, "started_total": sessions.started_total if sessions else 0})


def routes() -> list[web.RouteDef]:
    """Admin routes."""
    return [
        web.get("/_sim/accounts", list_accounts),
        web.get("/_sim/homes/{home_id}", get_home),
        web.post("/_sim/homes/{home_id}/topology", topology),
        web.post("/_sim/events", trigger_event),
        web.post("/_sim/devices/{device_id}/online", set_online),
        web.post("/_sim/accounts/{account_id}/{action}", tokens_action),
        web.route("*", "/_sim/faults", faults),
        web.route("*", "/_sim/writes", writes),
        web.get("/_sim/counters/{account_id}", get_counters),
        web.delete("/_sim/counters/{account_id}", get_counters),
        web.delete("/_sim/counters", get_counters),
        web.route("*", "/_sim/settings", settings),
        web.get("/_sim/webhooks", webhooks),
        web.post("/_sim/authorize", authorize),
        web.get("/_sim/webrtc", webrtc_sessions),
    ]
