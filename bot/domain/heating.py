"""Heating rules: which setpoints are allowed, how long an override lasts, which call drives a room.

Plain values in and out, so every rule is unit-tested without Netatmo or Telegram. Times are aware
datetimes; the home's own time zone decides what "tomorrow morning" means, not the server's.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from bot.domain.schedule import zone
from bot.i18n import Translate

MIN_SETPOINT = 7.0
MAX_SETPOINT = 30.0
SETPOINT_STEP = 0.5
# Quick choices on a room's screen: the temperatures people pick most often.
PRESETS: tuple[float, ...] = (17.0, 19.0, 20.0, 21.0, 22.0)
# Boost uses Netatmo's own "max" mode (what the thermostat's boost button does): the valves open fully
# for a short time and the room then falls back to its schedule by itself, with no setpoint to undo.
BOOST_MINUTES = 30
MORNING_HOUR = 7

# Room override durations (the codes travel in callback data).
ROOM_DEFAULT = "d"  # the home's own default duration (therm_setpoint_default_duration)
ROOM_NEXT_CHANGE = "n"  # until the weekly schedule next changes
ROOM_DURATIONS: tuple[str, ...] = (ROOM_DEFAULT, "30", "60", "180", ROOM_NEXT_CHANGE)
# Home mode durations.
MODE_1H, MODE_3H, MODE_MORNING, MODE_FOREVER = "1h", "3h", "m", "i"
MODE_DURATIONS: tuple[str, ...] = (MODE_1H, MODE_3H, MODE_MORNING, MODE_FOREVER)
HOME_MODES: tuple[str, ...] = ("schedule", "away", "hg")

SETROOMTHERMPOINT = "setroomthermpoint"
SETSTATE = "setstate"
MINUTES_PER_WEEK = 7 * 24 * 60


def setpoint_problem(_: Translate, value: float) -> str | None:
    """Why `value` cannot be a room setpoint, in a sentence; None when it is fine."""
    if math.isnan(value) or not MIN_SETPOINT <= value <= MAX_SETPOINT:
        return _("A setpoint must be between {low} and {high} °C.").format(
            low=format_temp(MIN_SETPOINT), high=format_temp(MAX_SETPOINT)
        )
    if not math.isclose(value / SETPOINT_STEP, round(value / SETPOINT_STEP)):
        return _("A setpoint goes in steps of 0.5 °C (for example 20.5 °C).")
    return None


def step_setpoint(current: float, delta: float) -> float:
    """`current` moved by `delta`, on the 0.5 grid and kept within the allowed range."""
    moved = round((current + delta) / SETPOINT_STEP) * SETPOINT_STEP
    return min(MAX_SETPOINT, max(MIN_SETPOINT, moved))


def format_temp(value: float) -> str:
    """21 → "21", 20.5 → "20.5": the way people write setpoints."""
    return f"{value:.1f}".removesuffix(".0")


def to_tenths(value: float) -> int:
    """A setpoint as whole tenths of a degree, for callback data (no dot, no rounding surprises)."""
    return round(value * 10)


def from_tenths(tenths: int) -> float:
    return tenths / 10


def next_schedule_change(offsets: Sequence[int], now: datetime, timezone: str | None) -> datetime | None:
    """The next moment the weekly timetable switches zone after `now`, None without a timetable.

    `offsets` are the timetable's minutes after Monday 00:00 local time.
    """
    if not offsets:
        return None
    local = now.astimezone(zone(timezone))
    week_start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    later = sorted(o % MINUTES_PER_WEEK for o in offsets if o % MINUTES_PER_WEEK > minute)
    # Past the week's last change, the next one is the first of next week.
    target = later[0] if later else min(o % MINUTES_PER_WEEK for o in offsets) + MINUTES_PER_WEEK
    # Wall-clock arithmetic, then back to an aware instant: a DST change in between keeps "07:00" 07:00.
    naive = week_start.replace(tzinfo=None) + timedelta(minutes=target)
    return naive.replace(tzinfo=zone(timezone))


def room_end_time(
    choice: str, now: datetime, default_minutes: int, offsets: Sequence[int], timezone: str | None
) -> datetime:
    """When a room override chosen as `choice` (one of ROOM_DURATIONS) ends."""
    if choice == ROOM_DEFAULT:
        return now + timedelta(minutes=default_minutes or 180)
    if choice == ROOM_NEXT_CHANGE:
        change = next_schedule_change(offsets, now, timezone)
        return change if change is not None else now + timedelta(minutes=default_minutes or 180)
    return now + timedelta(minutes=int(choice))


def mode_end_time(choice: str, now: datetime, timezone: str | None) -> datetime | None:
    """When a home mode chosen for `choice` (one of MODE_DURATIONS) ends; None: until changed."""
    if choice == MODE_1H:
        return now + timedelta(hours=1)
    if choice == MODE_3H:
        return now + timedelta(hours=3)
    if choice == MODE_MORNING:
        local = now.astimezone(zone(timezone))
        morning = local.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0, tzinfo=None)
        if morning <= local.replace(tzinfo=None):
            morning += timedelta(days=1)
        return morning.replace(tzinfo=zone(timezone))
    return None


def room_driver(room_types: Collection[str], home_types: Collection[str]) -> str:
    """The call that changes a room's setpoint, as Netatmo's devices require.

    Netatmo's own thermostat (NATherm1) and valves (NRV, unless a Smarther drives the home) take
    setroomthermpoint; Smarther (BNS), OpenTherm (OTM) and pilot-wire (NLC) rooms refuse it and are
    driven with setstate's `rooms` instead.
    """
    if "NATherm1" in room_types:
        return SETROOMTHERMPOINT
    if "NRV" in room_types and "BNS" not in home_types:
        return SETROOMTHERMPOINT
    return SETSTATE
