"""Thermal rules: which setpoint applies to a room, how its temperature drifts, the boiler.

Rooms are advanced lazily: whenever the API reads a home, `advance(home, now)` integrates the
time elapsed since the last read. A room below its setpoint is heated (and the boiler runs);
otherwise it cools towards the outdoor temperature. Simple, monotonic and deterministic, so tests
can assert direction and bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from standins.netatmo_sim.world.model import Home, Room, Schedule

HEAT_RATE_PER_HOUR = 2.0
COOL_TIME_CONSTANT_HOURS = 12.0
MAX_TEMP = 30.0
FROST_GUARD = 7.0


@dataclass(frozen=True, slots=True)
class Setpoint:
    """The setpoint a room follows now, as homestatus reports it."""

    mode: str
    temperature: float
    start: int
    end: int


def week_minute(home: Home, now: float) -> int:
    """Minutes since Monday 00:00 in the home's time zone (the timetable's unit)."""
    local = datetime.fromtimestamp(now, ZoneInfo(home.timezone))
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def schedule_temp(schedule: Schedule, room_id: str, minute: int) -> float:
    """Temperature the schedule gives a room at a minute of the week."""
    zone_id = schedule.timetable[0][0] if schedule.timetable else 0
    for zid, offset in sorted(schedule.timetable, key=lambda pair: pair[1]):
        if offset <= minute:
            zone_id = zid
    zone = next((z for z in schedule.zones if z.id == zone_id), None)
    if zone is None or room_id not in zone.temps:
        return 19.0
    return zone.temps[room_id]


def expire_overrides(home: Home, now: float) -> None:
    """Drop room overrides and a home mode whose end time has passed."""
    if home.therm_mode != "schedule" and home.therm_mode_end and home.therm_mode_end <= now:
        home.therm_mode, home.therm_mode_end = "schedule", 0
    for room in home.rooms.values():
        if room.override_mode and room.override_end and room.override_end <= now:
            room.override_mode, room.override_temp = None, None
            room.override_start = room.override_end = 0


def setpoint(home: Home, room: Room, now: float) -> Setpoint:
    """The setpoint in force for a room: a manual/max override, else the home mode."""
    if room.override_mode == "max":
        return Setpoint("max", MAX_TEMP, room.override_start, room.override_end)
    if room.override_mode == "manual" and room.override_temp is not None:
        return Setpoint("manual", room.override_temp, room.override_start, room.override_end)
    schedule = home.selected_schedule()
    if home.therm_mode == "away":
        temp = schedule.away_temp if schedule else 12.0
        return Setpoint("away", temp, 0, home.therm_mode_end)
    if home.therm_mode == "hg":
        temp = schedule.hg_temp if schedule else FROST_GUARD
        return Setpoint("hg", temp, 0, home.therm_mode_end)
    temp = schedule_temp(schedule, room.id, week_minute(home, now)) if schedule else 19.0
    return Setpoint("schedule", temp, 0, 0)


def advance(home: Home, now: float) -> None:
    """Move every heating room's temperature forward to `now`."""
    expire_overrides(home, now)
    for room in home.heating_rooms():
        if room.updated_at <= 0:
            room.updated_at = now
            continue
        hours = min(max(now - room.updated_at, 0.0), 24 * 3600.0) / 3600.0
        if hours <= 0:
            continue
        target = setpoint(home, room, now).temperature
        if room.measured < target:
            room.measured = min(target + 0.2, room.measured + HEAT_RATE_PER_HOUR * hours)
        else:
            decay = math.exp(-hours / COOL_TIME_CONSTANT_HOURS)
            room.measured = home.outdoor_temp + (room.measured - home.outdoor_temp) * decay
        room.updated_at = now


def is_heating(home: Home, room: Room, now: float) -> bool:
    """A room calls for heat while it is below its setpoint."""
    return room.measured < setpoint(home, room, now).temperature


def boiler_on(home: Home, now: float) -> bool:
    """The boiler runs when any heating room is below its setpoint."""
    return any(is_heating(home, room, now) for room in home.heating_rooms())


def measured(room: Room) -> float:
    """Temperature as the API reports it (one decimal)."""
    return round(room.measured, 1)
