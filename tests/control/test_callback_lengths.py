"""Every control feature's longest callback data fits in Telegram's 64 bytes, signed: built with the
real 24-hex home ids and the longest room, schedule, camera and device ids of the Netatmo fixtures
(Legrand modules carry a "#1" suffix: such ids travel as a digest)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import render as alert_render
from bot.chat import callbacks
from bot.control import cameras, devices, events, heating_screens, menu, security
from bot.control.security_common import pack
from bot.domain import heating as rules
from bot.netatmo.security import CAMERA_TYPES


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def _homes(fixtures_dir: Path) -> list[dict[str, Any]]:
    files = list(fixtures_dir.rglob("*.json"))
    found: list[dict[str, Any]] = []
    for path in files:
        if "home" not in path.name:
            continue
        try:
            body = json.loads(path.read_text())
        except ValueError:
            continue
        found += [d for d in _dicts(body) if isinstance(d.get("id"), str) and "modules" in d]
    return found


def _longest(values: Iterator[str]) -> str:
    return max(values, key=len)


@pytest.fixture
def ids(fixtures_dir: Path) -> dict[str, str]:
    homes = _homes(fixtures_dir)
    modules = [m for home in homes for m in _dicts(home.get("modules")) if isinstance(m.get("id"), str)]
    longest = {
        "home": _longest(h["id"] for h in homes if len(h["id"]) == 24),
        "room": _longest(
            r["id"] for h in homes for r in _dicts(h.get("rooms")) if isinstance(r.get("id"), str)
        ),
        "schedule": _longest(
            s["id"] for h in homes for s in _dicts(h.get("schedules")) if isinstance(s.get("id"), str)
        ),
        "camera": _longest(m["id"] for m in modules if m.get("type") in CAMERA_TYPES),
        "device": _longest(m["id"] for m in modules),
    }
    assert len(longest["home"]) == 24 and len(longest["schedule"]) == 24
    assert "#" in longest["device"]  # a Legrand module's id with its suffix: the longest kind
    return longest


def longest_data(ids: dict[str, str]) -> dict[str, str]:
    """The longest data of each feature, as its keyboards build it (the arguments of the widest button)."""
    home, room, camera = ids["home"], ids["room"], pack(ids["camera"])
    schedule, device = callbacks.digest(ids["schedule"]), callbacks.digest(ids["device"])
    tenths = rules.to_tenths(rules.MAX_SETPOINT)
    room_duration = max(rules.ROOM_DURATIONS, key=len)
    mode, mode_duration = max(rules.HOME_MODES, key=len), max(rules.MODE_DURATIONS, key=len)
    heat = heating_screens.FEATURE
    return {
        "status": callbacks.encode(menu.STATUS, menu.ENTRY, home),
        "heating set": callbacks.encode(heat, heating_screens.SET, home, room, tenths, room_duration),
        "heating mode": callbacks.encode(heat, heating_screens.SET_MODE, home, mode, mode_duration),
        "heating schedule": callbacks.encode(heat, heating_screens.SCHEDULE, home, schedule),
        "heating chart": callbacks.encode(heat, heating_screens.CHART, home, room, heating_screens.WEEK),
        "scenarios floodlight": callbacks.encode(security.FEATURE, "fl", home, camera, "auto"),
        "scenarios monitoring": callbacks.encode(security.FEATURE, "mon", home, camera, "off"),
        # a custom scenario's key is its id (24 hex like a schedule's)
        "scenarios launch": callbacks.encode(security.FEATURE, "go", home, schedule),
        "cameras monitoring": callbacks.encode(cameras.FEATURE, "mon", home, camera, "off"),
        "cameras snapshot": callbacks.encode(cameras.FEATURE, "snap", home, camera),
        "live": callbacks.encode(cameras.LIVE_FEATURE, "cam", home, camera),
        "events pictures": callbacks.encode(events.FEATURE, "pic", home, events.MAX_PAGES - 1),
        "devices position": callbacks.encode(devices.FEATURE, "pos", home, device, 100),
        "devices device": callbacks.encode(devices.FEATURE, "d", home, device),
        "alert monitoring": callbacks.encode(
            alert_render.FEATURE, alert_render.MONITORING_ON, home, alert_render.pack_device(ids["camera"])
        ),
    }


def test_the_longest_data_of_every_feature_fits(ids: dict[str, str]) -> None:
    for name, data in longest_data(ids).items():
        assert len(data.encode("utf-8")) <= callbacks.MAX_CALLBACK_BYTES, (name, data)
        assert callbacks.verify(data) is not None, name


def test_the_long_ids_themselves_would_not_fit(ids: dict[str, str]) -> None:
    """Why schedules and devices travel as digests: their own ids overflow the 64 bytes."""
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode(heating_screens.FEATURE, heating_screens.SCHEDULE, ids["home"], ids["schedule"])
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode(devices.FEATURE, "pos", ids["home"], pack(ids["device"]), 100)


def test_a_digest_finds_its_id_among_the_current_ones_only() -> None:
    schedules = ["591b54a2764ff4d50d8b5795", "b1b54a2f45795764f59d50d8"]
    wanted = callbacks.digest(schedules[1])
    assert callbacks.find_digest(schedules, wanted) == schedules[1]
    assert callbacks.find_digest(schedules[:1], wanted) is None  # gone since the button was made
    assert callbacks.find_digest([*schedules, schedules[1]], wanted) == schedules[1]
