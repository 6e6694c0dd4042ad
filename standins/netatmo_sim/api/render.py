"""Rendering world objects into the real API's JSON shapes (homesdata, homestatus, getevents).

Shapes follow captured responses of the real API; tests/standins/netatmo_sim/test_fidelity.py compares them.
Devices are filtered by the caller's scopes, as the real API hides what a token may not read.
"""

from __future__ import annotations

from typing import Any

from standins.netatmo_sim.world import thermal
from standins.netatmo_sim.world.device_fields import status_of, topology_of
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Account, Device, Event, Home, Room, Schedule, SubEvent
from standins.netatmo_sim.world.world import World


class View:
    """A StatusContext bound to the world and the public base URL for one response."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.now = world.now()

    def camera_url(self, device: Device) -> str:
        """vpn_url of a camera: served by the simulator, carrying its access token."""
        return f"{self.world.public_url}/_cam/{device.cam_token},,"

    def boiler_on(self, home_id: str) -> bool:
        """Whether the home's boiler runs now."""
        home = self.world.home(home_id)
        return bool(home and thermal.boiler_on(home, self.world.clock()))

    def weather(self, device: Device) -> dict[str, Any]:
        """Station readings."""
        return self.world.weather(device)


def visible(device: Device, scopes: frozenset[str]) -> bool:
    """A token sees a device when it holds the device type's read scope."""
    return DEVICE_TYPES[device.type].read_scope in scopes


def snapshot_url(world: World, event_id: str, key: str) -> str:
    """Absolute URL of an event snapshot (like the Azure blob URLs of the real API)."""
    return f"{world.public_url}/_snap/{event_id}/{key}.jpg"


def user_json(account: Account) -> dict[str, Any]:
    """homesdata `user` block."""
    return {
        "email": account.email,
        "language": account.language,
        "locale": account.language,
        "feel_like_algorithm": 0,
        "unit_pressure": 0,
        "unit_system": 0,
        "unit_wind": 0,
        "all_linked": False,
        "type": "netatmo",
        "id": account.id,
    }


def schedule_json(sched: Schedule) -> dict[str, Any]:
    """A therm schedule with both zone room shapes (`rooms` and `rooms_temp`)."""
    out: dict[str, Any] = {
        "zones": [
            {
                "type": z.type,
                "name": z.name,
                "id": z.id,
                "rooms": [{"id": r, "therm_setpoint_temperature": t} for r, t in z.temps.items()],
                "rooms_temp": [{"room_id": r, "temp": t} for r, t in z.temps.items()],
            }
            for z in sched.zones
        ],
        "timetable": [{"zone_id": zid, "m_offset": off} for zid, off in sched.timetable],
        "hg_temp": sched.hg_temp,
        "away_temp": sched.away_temp,
        "name": sched.name,
        "id": sched.id,
        "type": sched.type,
        "default": sched.default,
    }
    if sched.selected:
        out["selected"] = True
    return out


def room_topology(room: Room, devices: list[Device]) -> dict[str, Any]:
    """One homesdata room: the real API lists its modules twice, as `module_ids` and `modules`."""
    module_ids = [d.id for d in devices if d.room_id == room.id]
    return {
        "id": room.id,
        "name": room.name,
        "type": room.type,
        "module_ids": module_ids,
        "modules": list(module_ids),
    }


def home_topology(world: World, home: Home, scopes: frozenset[str]) -> dict[str, Any]:
    """One homesdata home."""
    view = View(world)
    devices = [d for d in home.devices.values() if visible(d, scopes)]
    shown = {d.id for d in devices}
    out: dict[str, Any] = {
        "id": home.id,
        "name": home.name,
        "altitude": home.altitude,
        "coordinates": list(home.coordinates),
        "country": home.country,
        "timezone": home.timezone,
        "rooms": [room_topology(r, devices) for r in home.rooms.values()],
        "modules": [],
        "therm_setpoint_default_duration": home.default_duration,
        "therm_mode": home.therm_mode,
    }
    for dev in devices:
        module = topology_of(dev, view)
        if "modules_bridged" in module:
            module["modules_bridged"] = [m for m in module["modules_bridged"] if m in shown]
        out["modules"].append(module)
    if "read_thermostat" in scopes and home.schedules:
        out["schedules"] = [schedule_json(s) for s in home.schedules]
        out["temperature_control_mode"] = "heating"
    if scopes & {"read_camera", "read_camerapro", "read_presence", "read_doorbell"} and home.persons:
        out["persons"] = [
            {
                "id": p.id,
                "url": f"{world.public_url}/_face/{p.id}/{p.face_key}.jpg",
                **({"pseudo": p.pseudo} if p.pseudo else {}),
            }
            for p in home.persons
        ]
    return out


def room_status(world: World, home: Home, room_id: str) -> dict[str, Any]:
    """One homestatus room (heating rooms only)."""
    room = home.rooms[room_id]
    sp = thermal.setpoint(home, room, world.clock())
    heating = thermal.is_heating(home, room, world.clock())
    return {
        "id": room.id,
        "reachable": True,
        "therm_measured_temperature": thermal.measured(room),
        "heating_power_request": 100 if heating else 0,
        "therm_setpoint_temperature": sp.temperature,
        # Smarther rooms say "home" where Netatmo's own thermostats say "schedule".
        "therm_setpoint_mode": "home" if sp.mode == "schedule" and home.setstate_only(room.id) else sp.mode,
        "therm_setpoint_start_time": sp.start,
        "therm_setpoint_end_time": sp.end,
        "anticipating": False,
        "open_window": False,
    }


def home_status(
    world: World, home: Home, scopes: frozenset[str], device_types: list[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One homestatus home plus the `errors` list (code 6 for each unreachable device)."""
    world.advance(home)
    view = View(world)
    out: dict[str, Any] = {"id": home.id}
    modules: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for dev in home.devices.values():
        if not visible(dev, scopes) or (device_types and dev.type not in device_types):
            continue
        bridge = home.devices.get(dev.bridge) if dev.bridge else None
        if not dev.reachable or (bridge is not None and not bridge.reachable):
            if not dev.reachable:
                errors.append({"code": 6, "id": dev.id})
            continue
        modules.append(status_of(dev, view))
    if modules:
        out["modules"] = modules
    if "read_thermostat" in scopes:
        # A Smarther talks to Netatmo over its own wifi, with no relay in between.
        relay_ok = any(d.type in ("NAPlug", "BNS") and d.reachable for d in home.devices.values())
        rooms = [room_status(world, home, r.id) for r in home.heating_rooms()] if relay_ok else []
        if rooms:
            out["rooms"] = rooms
    if scopes & {"read_camera", "read_camerapro", "read_presence"} and home.persons:
        out["persons"] = [
            {"id": p.id, "last_seen": p.last_seen, "out_of_sight": p.out_of_sight} for p in home.persons
        ]
    return out, errors


def _snapshot(world: World, event_id: str, key: str) -> dict[str, Any]:
    return {"url": snapshot_url(world, event_id, key)}


def _subevent_json(world: World, home: Home, event: Event, sub: SubEvent) -> dict[str, Any]:
    if sub.on_camera:
        base = f"vod/{event.video_id}/events/{event.id}"
        snapshot: dict[str, Any] = {"filename": f"{base}/snapshot_{sub.id}.jpg"}
        vignette: dict[str, Any] = {"filename": f"{base}/vignette_{sub.id}.jpg"}
    else:
        snapshot = _snapshot(world, sub.id, sub.snapshot_key)
        vignette = {"url": snapshot_url(world, sub.id, sub.snapshot_key + "v")}
    return {
        "id": sub.id,
        "type": sub.type,
        "time": sub.time,
        "verified": True,
        "offset": sub.offset,
        "snapshot": snapshot,
        "vignette": vignette,
        "message": sub.message,
    }


def event_json(world: World, home: Home, event: Event) -> dict[str, Any]:
    """One getevents event."""
    out: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "time": event.time,
        "module_id": event.module_id,
    }
    if event.type != "outdoor":  # outdoor events carry their messages in the sub-events
        out["message"] = event.message
    if event.video_id:
        out["video_id"] = event.video_id
        out["video_status"] = "available"
    if event.type == "outdoor":
        out["subevents"] = [_subevent_json(world, home, event, s) for s in event.subevents]
    elif event.snapshot_key:
        out["snapshot"] = _snapshot(world, event.id, event.snapshot_key)
    if event.type == "person":
        out["person_id"] = event.person_id
        out["out_of_sight"] = False
    if event.sub_type is not None and event.type not in ("light_mode",):
        out["sub_type"] = event.sub_type
    return out
