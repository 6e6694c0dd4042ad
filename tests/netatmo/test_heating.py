"""Parsing heating from homesdata + homestatus (every fixture) and measure answers (both shapes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.control import heating_screens as screens
from bot.domain.heating import SETROOMTHERMPOINT, SETSTATE
from bot.i18n import translator
from bot.netatmo.heating import parse_heating, parse_series

_ = translator("en")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _body(path: Path) -> object:
    return json.loads(path.read_text()).get("body")


def test_fixture_home_rooms_and_schedules(fixtures_dir: Path) -> None:
    topology = _body(fixtures_dir / "pyatmo" / "homesdata.json")
    status = _body(fixtures_dir / "pyatmo" / "homestatus_91763b24c43d3e344f424e8b.json")
    home = parse_heating(topology, status, "91763b24c43d3e344f424e8b")
    assert home is not None and home.rooms and home.schedules
    # the fixture's selected schedule is a cooling one: only the heating ("therm") schedule is offered
    assert [s.name for s in home.schedules] == ["Winter"] and home.selected_schedule is None
    assert {room.driver for room in home.rooms} <= {SETROOMTHERMPOINT, SETSTATE}
    assert any(room.measured is not None and room.setpoint is not None for room in home.rooms)
    text, _keyboard = screens.home_screen(_, home, NOW, several=True)
    assert home.name in text


def test_every_fixture_pair_renders(fixtures_dir: Path) -> None:
    homesdata = sorted((fixtures_dir / "pyatmo").glob("homesdata*.json"))
    statuses = [*sorted((fixtures_dir / "pyatmo").rglob("*status*.json")), None]
    rendered = 0
    for topology_file in homesdata:
        topology = _body(topology_file)
        homes = topology.get("homes", []) if isinstance(topology, dict) else []
        for raw_home in homes:
            for status_file in statuses:
                status = _body(status_file) if status_file is not None else None
                home = parse_heating(topology, status, raw_home["id"])
                assert home is not None
                screens.home_screen(_, home, NOW, several=False)
                for room in home.rooms:
                    screens.room_screen(_, home, room, NOW)
                    screens.target_screen(_, home, room, 20.0, NOW)
                screens.schedules_screen(_, home)
                rendered += 1
    assert rendered > 10
    assert parse_heating({"homes": []}, None, "nope") is None


def test_a_room_missing_from_homestatus_shows_without_readings(fixtures_dir: Path) -> None:
    topology = _body(fixtures_dir / "pyatmo" / "homesdata.json")
    home = parse_heating(topology, {"home": {"id": "x", "rooms": []}}, "91763b24c43d3e344f424e8b")
    assert home is not None and home.rooms and home.status_missing
    assert all(room.measured is None and not room.reachable for room in home.rooms)
    text, _keyboard = screens.home_screen(_, home, NOW, several=False)
    assert "no readings" in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            [{"beg_time": 100, "step_time": 10, "value": [[19.5, 20], [19.7, None]]}],
            [(100, [19.5, 20.0]), (110, [19.7, None])],
        ),
        ({"120": [18.0, 19.0], "100": [17.0]}, [(100, [17.0, None]), (120, [18.0, 19.0])]),
        ([], []),
        (None, []),
    ],
)
def test_measure_answers_in_both_shapes(body: object, expected: list[tuple[int, list[float | None]]]) -> None:
    assert parse_series(body, 2) == expected
