"""Heating rules: setpoint validation and stepping, override and mode end times, the call per room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import heating as rules
from bot.i18n import translator

_ = translator("en")
PARIS = "Europe/Paris"


@pytest.mark.parametrize("value", [7.0, 7.5, 19.0, 21.5, 30.0])
def test_valid_setpoints(value: float) -> None:
    assert rules.setpoint_problem(_, value) is None


@pytest.mark.parametrize("value", [6.5, 30.5, -1.0, 100.0, float("nan")])
def test_setpoints_out_of_range_say_the_range(value: float) -> None:
    assert rules.setpoint_problem(_, value) == "A setpoint must be between 7 and 30 °C."


@pytest.mark.parametrize("value", [20.3, 20.25, 7.1])
def test_setpoints_off_the_half_degree_grid(value: float) -> None:
    assert "steps of 0.5 °C" in (rules.setpoint_problem(_, value) or "")


def test_stepping_stays_on_the_grid_and_within_bounds() -> None:
    assert rules.step_setpoint(20.0, 0.5) == 20.5
    assert rules.step_setpoint(20.3, -0.5) == 20.0  # a reading off the grid snaps back onto it
    assert rules.step_setpoint(30.0, 0.5) == 30.0
    assert rules.step_setpoint(7.0, -0.5) == 7.0
    assert rules.step_setpoint(5.0, 0.5) == 7.0


def test_tenths_round_trip_and_format() -> None:
    assert rules.to_tenths(21.5) == 215 and rules.from_tenths(215) == 21.5
    assert rules.format_temp(21.0) == "21" and rules.format_temp(20.5) == "20.5"


def test_room_end_times() -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Paris
    assert rules.room_end_time("d", now, 120, (), PARIS) == now + timedelta(minutes=120)
    assert rules.room_end_time("30", now, 120, (), PARIS) == now + timedelta(minutes=30)
    assert rules.room_end_time("180", now, 120, (), PARIS) == now + timedelta(hours=3)
    wednesday = 2 * 1440
    offsets = (0, wednesday + 360, wednesday + 960, wednesday + 1350)
    change = rules.room_end_time("n", now, 120, offsets, PARIS)
    assert change.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None) == datetime(2026, 12, 2, 16, 0)
    # without a timetable, "until the schedule changes" falls back on the home's default
    assert rules.room_end_time("n", now, 120, (), PARIS) == now + timedelta(minutes=120)


def test_next_schedule_change_wraps_to_next_week() -> None:
    sunday_night = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # Sunday 23:00 in Paris
    change = rules.next_schedule_change((360, 1440 + 360), sunday_night, PARIS)
    assert change is not None
    assert change.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None) == datetime(2026, 12, 7, 6, 0)
    assert rules.next_schedule_change((), sunday_night, PARIS) is None


def test_mode_end_times_in_the_home_zone() -> None:
    now = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    assert rules.mode_end_time("1h", now, PARIS) == now + timedelta(hours=1)
    assert rules.mode_end_time("3h", now, PARIS) == now + timedelta(hours=3)
    assert rules.mode_end_time("i", now, PARIS) is None
    morning = rules.mode_end_time("m", now, PARIS)
    assert morning is not None
    assert morning.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None) == datetime(2026, 12, 3, 7, 0)
    early = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 05:00 in Paris: this morning's 07:00 is still ahead
    this_morning = rules.mode_end_time("m", early, PARIS)
    assert this_morning is not None and this_morning - early == timedelta(hours=2)


def test_which_call_drives_a_room() -> None:
    assert rules.room_driver({"NATherm1"}, {"NAPlug", "NATherm1"}) == rules.SETROOMTHERMPOINT
    assert rules.room_driver({"NRV"}, {"NAPlug", "NRV"}) == rules.SETROOMTHERMPOINT
    assert rules.room_driver({"BNS"}, {"BNS"}) == rules.SETSTATE
    assert rules.room_driver({"NRV"}, {"BNS", "NRV"}) == rules.SETSTATE
    assert rules.room_driver({"OTM"}, {"OTH", "OTM"}) == rules.SETSTATE
