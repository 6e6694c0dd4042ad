"""The /status text of a home, from every captured Netatmo homesdata + homestatus answer we have.

The fixtures are real (redacted) answers in tests/fixtures/netatmo/; each pair is joined by
`bot.netatmo.status.parse_home` and rendered by `bot.domain.status.status_text`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.status import (
    MAX_TEXT,
    HeatingState,
    HomeState,
    RoomHeating,
    SwitchState,
    format_time,
    status_text,
)
from bot.i18n import translator
from bot.netatmo.status import parse_home

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netatmo"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MYHOME = "91763b24c43d3e344f424e8b"
BIG_HOME = "aaaaaaaaaaabbbbbbbbbbccc"
_ = translator(None)


PATHS = {path.name: path for path in FIXTURES.rglob("*.json")}  # names are unique across the folders


def body(name: str) -> Any:
    """The answer's body; an error answer has none, and must render as a home without status."""
    return json.loads(PATHS[name].read_text()).get("body") or {}


TOPOLOGIES = sorted(name for name in PATHS if name.startswith("home") and "data" in name)
STATUSES = sorted(name for name in PATHS if name.startswith("home") and "status" in name)


def render(topology: str, status: str, home_id: str) -> str:
    return status_text(_, parse_home(body(topology), body(status), home_id, "Fallback"), NOW)


def test_the_fixture_folder_holds_every_kind_of_answer() -> None:
    assert "homesdata.json" in TOPOLOGIES and "homesdata_multi.json" in TOPOLOGIES
    assert "homestatus_91763b24c43d3e344f424e8b.json" in STATUSES
    assert "home_multi_status_error_disconnected.json" in STATUSES and len(STATUSES) >= 7


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_fixture_pair_renders_within_telegram_limits(topology: str, status: str) -> None:
    homes = body(topology).get("homes") if isinstance(body(topology), dict) else None
    home_ids = [h["id"] for h in homes or []] + ["not-a-home"]
    for home_id in home_ids:
        for language in (None, "de", "fr"):
            text = status_text(
                translator(language), parse_home(body(topology), body(status), home_id, "Fallback"), NOW
            )
            assert text.startswith("🏠 <b>") and len(text) <= MAX_TEXT


def test_full_home_shows_security_people_heating_weather_and_home_control() -> None:
    text = render("homesdata.json", f"homestatus_{MYHOME}.json", MYHOME)
    assert text.startswith("🏠 <b>MYHOME</b>")
    assert "📷 Hall: monitoring on" in text
    assert "📷 Front: monitoring on (floodlight auto)" in text
    assert "🔔 Netatmo-Doorbell: online" in text
    assert "🚪 Window Hall: offline" in text  # the door tag says reachable: false
    assert "🚨 Sirene in hall: quiet (battery low)" in text
    assert "🏡 Home: Jane Doe" in text and "🚶 Away: John Doe, Richard Doe" in text
    assert "<b>Heating</b> — mode: schedule, boiler on" in text  # the Smarther's boiler runs
    assert "🌡 Livingroom: 19.8 °C → 12 °C (away)" in text
    assert "🌡 Cocina: 27 °C → 7 °C (frost guard)" in text
    assert "🌡 Bureau: no data" in text  # homesdata lists it, homestatus does not
    assert "🌡 Corridor: 22 °C → 22 °C (schedule)" in text
    assert "🌤 Villa: 18.9 °C, 33 %, CO₂ 498 ppm, 1034.8 mbar, 47 dB" in text
    assert "🌤 Outdoor: 5.8 °C, 65 %" in text
    assert "🔌 Prise: on (0 W)" in text and "🔌 Consumption meter: – (476 W)" in text
    assert "💡 NLPT: on" in text and "💡 Bathroom light: offline" in text
    assert "🪟 Garage door: open" in text and "🪟 Entrance Blinds: closed" in text
    # a module without a name nor a room (the first dimmer) is shown by its id
    assert "💡 00:11:22:33:00:11:45:fe: off" in text


def test_a_home_whose_devices_are_all_offline_says_so_in_two_lines() -> None:
    text = render("homesdata_multi.json", "home_multi_status_error_disconnected.json", BIG_HOME)
    assert text.splitlines() == [
        "🏠 <b>A BIG HOME</b>",
        "Netatmo has no status for this home right now: its devices may be offline.",
        "⚠️ Offline: Legrand Gateway",
    ]


def test_camera_missing_from_status_is_offline_and_errors_count() -> None:
    text = render("home_data_simple.json", "home_status_error_and_data.json", MYHOME)
    assert "📷 Hall: offline" in text
    assert "🌡 Livingroom: 19.8 °C → 12 °C (away)" in text


def test_home_with_no_modules_and_unknown_home() -> None:
    empty = render("homesdata_emtpy_home.json", "home_status_empty.json", "111111111111111111111401")
    assert empty.splitlines()[0] == "🏠 <b>Home with no modules</b>"
    unknown = render("homesdata_empty.json", "home_status_empty.json", "x")
    assert unknown.splitlines()[0] == "🏠 <b>Fallback</b>"


def test_manual_setpoint_end_time_is_in_the_home_time_zone() -> None:
    end = int(datetime(2026, 12, 4, 17, 0, tzinfo=UTC).timestamp())  # 18:00 in Berlin
    home = HomeState(
        "h",
        "Flat",
        timezone="Europe/Berlin",
        heating=HeatingState(
            rooms=(
                RoomHeating("Office", True, 19.5, 21, "manual", end, open_window=True, heating=True),
                RoomHeating("Attic", False),
            ),
            boiler_on=False,
            mode="away",
            mode_end=end + 86400,
            schedule="Week",
        ),
    )
    text = status_text(_, home, NOW)
    assert "<b>Heating</b> — mode: away until Sat 18:00, schedule: Week, boiler off" in text
    assert "🌡 Office: 19.5 °C → 21 °C (manual until 18:00) 🔥 🪟 window open" in text
    assert "🌡 Attic: no data" in text


def test_format_time_today_this_week_and_later() -> None:
    assert format_time(int(NOW.timestamp()) + 3600, "Europe/Paris", NOW) == "14:00"
    assert format_time(int(NOW.timestamp()) + 2 * 86400, "UTC", NOW) == "Sun 12:00"
    assert format_time(int(NOW.timestamp()) + 30 * 86400, "Bad/Zone", NOW) == "2027-01-03 12:00"


def test_names_are_escaped_and_long_homes_are_cut_at_a_line() -> None:
    switches = tuple(SwitchState(f"<Lamp {i}>", "light", True, on=True, brightness=50) for i in range(300))
    text = status_text(_, HomeState("h", "A & B", switches=switches), NOW)
    assert text.startswith("🏠 <b>A &amp; B</b>") and "💡 &lt;Lamp 0&gt;: on (50 %)" in text
    assert len(text) <= MAX_TEXT and text.endswith("… (shortened)")


def test_german_text() -> None:
    text = status_text(
        translator("de"), parse_home(body("homesdata.json"), body(f"homestatus_{MYHOME}.json"), MYHOME), NOW
    )
    assert "<b>Heizung</b>" in text
