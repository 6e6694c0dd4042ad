"""Quiet hours and short durations: clock arithmetic in a home's own time zone.

Quiet hours are stored as minutes after local midnight so that "22:00–07:00" stays 22:00–07:00 on both
sides of a daylight-saving change; the current wall-clock time is computed from an aware UTC instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60

# (start, end) presets offered by /settings, in minutes after local midnight.
QUIET_PRESETS: tuple[tuple[int, int], ...] = ((22 * 60, 7 * 60), (23 * 60, 6 * 60), (0, 7 * 60))


def zone(name: str | None) -> tzinfo:
    """The named time zone, or UTC when the name is missing or unknown (never raises)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def local_minutes(now: datetime, timezone: str | None) -> int:
    """Minutes after local midnight of the aware instant `now` in the given zone."""
    local = now.astimezone(zone(timezone))
    return local.hour * 60 + local.minute


def in_quiet_hours(start: int | None, end: int | None, now: datetime, timezone: str | None) -> bool:
    """Whether `now` falls in [start, end) local time; the window may wrap midnight. Equal bounds = off."""
    if start is None or end is None or start == end:
        return False
    minute = local_minutes(now, timezone)
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def format_minutes(minutes: int) -> str:
    """HH:MM for minutes after midnight."""
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_window(start: int | None, end: int | None) -> str | None:
    """'22:00–07:00', or None when quiet hours are off."""
    if start is None or end is None or start == end:
        return None
    return f"{format_minutes(start)}–{format_minutes(end)}"


def local_clock(moment: datetime, timezone: str | None) -> str:
    """HH:MM of an aware instant in the home's zone, e.g. for "muted until 21:40"."""
    return moment.astimezone(zone(timezone)).strftime("%H:%M")
