"""Quiet hours by the home's wall clock: windows across midnight, unknown time zones, DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.schedule import in_quiet_hours, local_minutes


@pytest.mark.parametrize(
    ("hh", "mm", "quiet"),
    [
        (21, 59, False),
        (22, 0, True),
        (23, 59, True),
        (0, 0, True),
        (6, 59, True),
        (7, 0, False),
        (12, 0, False),
    ],
)
def test_quiet_hours_across_midnight(hh: int, mm: int, quiet: bool) -> None:
    now = datetime(2024, 1, 10, hh, mm, tzinfo=UTC)
    assert in_quiet_hours(22 * 60, 7 * 60, now, "UTC") is quiet


def test_quiet_hours_same_day_window_and_off() -> None:
    at = datetime(2024, 1, 10, 13, 0, tzinfo=UTC)
    assert in_quiet_hours(12 * 60, 14 * 60, at, "UTC")
    assert not in_quiet_hours(14 * 60, 16 * 60, at, "UTC")
    assert not in_quiet_hours(None, 7 * 60, at, "UTC")
    assert not in_quiet_hours(600, 600, at, "UTC")


def test_unknown_timezone_falls_back_to_utc() -> None:
    at = datetime(2024, 1, 10, 23, 0, tzinfo=UTC)
    assert in_quiet_hours(22 * 60, 7 * 60, at, "Mars/Olympus")
    assert in_quiet_hours(22 * 60, 7 * 60, at, "")


def test_dst_spring_forward_paris() -> None:
    # 2024-03-31: at 01:00 UTC Paris jumps from 02:00 CET to 03:00 CEST.
    before = datetime(2024, 3, 31, 0, 59, tzinfo=UTC)  # 01:59 CET
    after = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert local_minutes(before, "Europe/Paris") == 1 * 60 + 59
    assert local_minutes(after, "Europe/Paris") == 3 * 60
    # A 02:00–03:00 window never happens that night; 22:00–07:00 holds on both sides.
    assert not in_quiet_hours(2 * 60, 3 * 60, after, "Europe/Paris")
    assert in_quiet_hours(22 * 60, 7 * 60, after, "Europe/Paris")
    # 07:00 CEST = 05:00 UTC: quiet hours end by the wall clock, not 6 h after 01:00.
    assert in_quiet_hours(22 * 60, 7 * 60, datetime(2024, 3, 31, 4, 59, tzinfo=UTC), "Europe/Paris")
    assert not in_quiet_hours(22 * 60, 7 * 60, datetime(2024, 3, 31, 5, 0, tzinfo=UTC), "Europe/Paris")


def test_dst_fall_back_new_york() -> None:
    # 2024-11-03: 01:00–02:00 EDT happens twice in New York; both are inside 01:00–02:00 quiet hours.
    first = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)  # 01:30 EST
    for moment in (first, second):
        assert local_minutes(moment, "America/New_York") == 90
        assert in_quiet_hours(60, 120, moment, "America/New_York")
    assert not in_quiet_hours(60, 120, datetime(2024, 11, 3, 7, 0, tzinfo=UTC), "America/New_York")
