"""Write operations on the world, with the validation and error codes of the real API.

`ActionError` carries the Netatmo error code and message; the REST layer turns it into the
HTTP 400 envelope. Per-module failures of setstate that the real API reports inside a 200
answer are returned as `ModuleError` values instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from standins.netatmo_sim.world import ids
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device, Home, Schedule, Zone
from standins.netatmo_sim.world.thermal import MAX_TEMP
from standins.netatmo_sim.world.world import World

THERM_MODES = ("schedule", "away", "hg")
ROOM_MODES = ("manual", "max", "home", "schedule")
_CHOICES: dict[str, tuple[str, ...]] = {
    "monitoring": ("on", "off"),
    "floodlight": ("on", "off", "auto"),
    "siren_status": ("sound", "no_sound"),
}


class ActionError(Exception):
    """A request the real API refuses with HTTP 400 (code 10 missing, 21 invalid, 9 not found)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ModuleError:
    """A per-module failure reported inside a 200 setstate answer (`body.errors`)."""

    code: int
    message: str
    id: str
    command: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The error object as the API writes it."""
        out: dict[str, Any] = {"code": self.code, "message": self.message, "id": self.id}
        if self.command:
            out["command"] = self.command
        return out


def set_therm_mode(
    world: World, home: Home, mode: str | None, endtime: int | None, schedule_id: str | None
) -> None:
    """setthermmode: switch the home between schedule, away and frost guard."""
    if not mode:
        raise ActionError(10, "mode is missing")
    if mode not in THERM_MODES:
        raise ActionError(21, "mode not authorized")
    if schedule_id is not None and mode == "schedule":
        switch_schedule(world, home, schedule_id, notify=False)
    previous = home.therm_mode
    world.advance(home)
    home.therm_mode = mode
    home.therm_mode_end = endtime if mode != "schedule" and endtime else 0
    world.notify("therm_mode", home, {"mode": mode, "previous_mode": previous})


def set_room_setpoint(
    world: World, home: Home, room_id: str | None, mode: str | None, temp: float | None, endtime: int | None
) -> None:
    """setroomthermpoint: a manual or max override, or back to the home mode."""
    if not room_id or not mode:
        raise ActionError(10, "Missing parameters")
    room = home.rooms.get(room_id)
    if room is None or room not in home.heating_rooms():
        raise ActionError(21, "Invalid room_id")
    if mode not in ROOM_MODES:
        raise ActionError(21, "Invalid mode")
    world.advance(home)
    now = world.now()
    if mode in ("home", "schedule"):
        room.override_mode, room.override_temp, room.override_start, room.override_end = None, None, 0, 0
        world.notify("cancel_set_point", home, {"room_id": room.id})
        return
    if mode == "manual":
        if temp is None:
            raise ActionError(10, "Missing temp")
        if not 5.0 <= temp <= MAX_TEMP:
            raise ActionError(21, "Invalid temp")
    room.override_mode = mode
    room.override_temp = temp if mode == "manual" else MAX_TEMP
    room.override_start = now
    room.override_end = endtime if endtime and endtime > now else now + home.default_duration * 60
    world.notify("set_point", home, {"room_id": room.id})


def find_schedule(home: Home, schedule_id: str) -> Schedule:
    """A therm schedule by id, or the real API's error."""
    sched = next((s for s in home.schedules if s.id == schedule_id), None)
    if sched is None or sched.type != "therm":
        raise ActionError(21, f"schedule <{schedule_id}> is not therm schedule")
    return sched


def switch_schedule(world: World, home: Home, schedule_id: str | None, notify: bool = True) -> None:
    """switchhomeschedule: select another heating schedule."""
    if not schedule_id:
        raise ActionError(10, "Missing schedule_id")
    target = find_schedule(home, schedule_id)
    world.advance(home)
    for sched in home.schedules:
        if sched.type == target.type:
            sched.selected = sched is target
    if notify:
        world.notify("schedule", home, {"schedule_id": target.id})


def _zones_from_body(home: Home, body: dict[str, Any]) -> tuple[list[Zone], list[tuple[int, int]]]:
    try:
        zones = []
        for z in body["zones"]:
            temps: dict[str, float] = {}
            for r in z.get("rooms", []) or [
                {"id": x["room_id"], "therm_setpoint_temperature": x["temp"]} for x in z.get("rooms_temp", [])
            ]:
                if r["id"] not in home.rooms:
                    raise ActionError(21, "Invalid rooms_temp: some rooms aren't controlled")
                temps[str(r["id"])] = float(r["therm_setpoint_temperature"])
            zones.append(Zone(int(z["id"]), str(z.get("name", "")), int(z.get("type", 4)), temps))
        timetable = [(int(t["zone_id"]), int(t["m_offset"])) for t in body["timetable"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ActionError(21, "Invalid array arg") from exc
    if not timetable or not zones:
        raise ActionError(10, "Missing parameters")
    return zones, timetable


def sync_schedule(
    world: World, home: Home, schedule_id: str | None, name: str | None, body: dict[str, Any]
) -> None:
    """synchomeschedule: replace a schedule's zones, timetable and away/frost temperatures."""
    if not schedule_id:
        raise ActionError(10, "Missing schedule_id")
    sched = find_schedule(home, schedule_id)
    sched.zones, sched.timetable = _zones_from_body(home, body)
    sched.hg_temp = float(body.get("hg_temp", sched.hg_temp))
    sched.away_temp = float(body.get("away_temp", sched.away_temp))
    if name:
        sched.name = name
    world.notify("schedule", home, {"schedule_id": sched.id})


def create_schedule(world: World, home: Home, name: str | None, body: dict[str, Any]) -> str:
    """createnewhomeschedule: add a (not selected) heating schedule; return its id."""
    if not name:
        raise ActionError(10, "Missing name")
    zones, timetable = _zones_from_body(home, body)
    sched = Schedule(
        ids.hex_id(world.rng),
        name,
        "therm",
        False,
        float(body.get("hg_temp", 7)),
        float(body.get("away_temp", 14)),
        timetable,
        zones,
    )
    home.schedules.append(sched)
    return sched.id


def _check_choice(dev: Device, key: str, value: Any) -> None:
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ActionError(21, f"Invalid value for {key}")
    if key == "on" and not isinstance(value, bool):
        raise ActionError(21, "Invalid value for on")
    if key in ("brightness", "target_position") and not isinstance(value, int):
        raise ActionError(21, f"Invalid value for {key}")


def set_module_state(world: World, home: Home, change: dict[str, Any]) -> list[ModuleError]:
    """One module of setstate: monitoring, floodlight, siren, Legrand on/brightness/position,
    or a scenario launch on the gateway."""
    dev_id = change.get("id")
    dev = home.devices.get(dev_id) if isinstance(dev_id, str) else None
    if dev is None:
        raise ActionError(21, f"Invalid device_id, {dev_id}")
    spec = DEVICE_TYPES[dev.type]
    keys = [k for k in change if k not in ("id", "bridge")]
    for key in keys:
        if key not in spec.settable:
            raise ActionError(21, f"cannot set property {key} for module {dev.id}")
        _check_choice(dev, key, change[key])
    if not dev.reachable:
        return [ModuleError(6, "Device is unreachable", dev.id)]
    errors: list[ModuleError] = []
    for key in keys:
        value = change[key]
        if key == "scenario":
            launch_scenario(world, home, str(value))
        elif key == "monitoring":
            if dev.state.get("monitoring") == value:
                errors.append(ModuleError(23, f"Already {value}", dev.id, "command/changestatus"))
            elif spec.is_camera:
                world.trigger_event(home.id, dev.id, value)
            else:
                dev.state["monitoring"] = value
        elif key == "floodlight":
            world.trigger_event(home.id, dev.id, "light_mode", sub_type=value)
        elif key == "target_position":
            position = 100 if value == -2 else dev.state.get("current_position", 0) if value == -1 else value
            if not -2 <= value <= 100:
                raise ActionError(21, "Invalid value for target_position")
            dev.state["target_position"] = dev.state["current_position"] = position
        else:
            dev.state[key] = value
    if any(k in ("on", "brightness", "target_position") for k in keys):
        world.notify("device_state", home, {"device": dev})
    return errors


def launch_scenario(world: World, home: Home, scenario: str) -> None:
    """Apply a Legrand scenario (matched by type or id) to the home's modules."""
    found = next((s for s in home.scenarios if scenario in (s.type, s.id)), None)
    if found is None:
        raise ActionError(21, f"Invalid scenario {scenario}")
    for dev_id, fields in found.actions.items():
        dev = home.devices.get(dev_id)
        if dev is None or not dev.reachable:
            continue
        dev.state.update(fields)
        if "target_position" in fields:
            dev.state["current_position"] = fields["target_position"]
        world.notify("device_state", home, {"device": dev})


def set_persons(world: World, home: Home, person_ids: list[str] | None, away: bool) -> None:
    """setpersonsaway / setpersonshome, with the matching person_away/person_home event."""
    known = {p.id: p for p in home.persons}
    targets = person_ids if person_ids else (list(known) if away else [])
    if not targets:
        raise ActionError(10, "Missing person_ids")
    for pid in targets:
        if pid not in known:
            raise ActionError(21, f"Invalid person_id {pid}")
    for pid in targets:
        known[pid].out_of_sight = away
        if not away:
            known[pid].last_seen = world.now()
    camera = next((d for d in home.devices.values() if d.type == "NACamera"), None)
    if camera is not None:
        world.trigger_event(home.id, camera.id, "person_away" if away else "person_home")
