"""Our view of homesdata: the security devices of each home, and the camera each door tag or siren uses."""

from __future__ import annotations

import json
from pathlib import Path

from bot.netatmo.topology import parse_homes


def test_the_fixture_homes_with_their_bridges(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "pyatmo" / "homesdata.json").read_text())["body"]
    homes = {home.id: home for home in parse_homes(body)}
    devices = {device.id: device for home in homes.values() for device in home.devices}
    assert devices["12:34:56:00:f1:62"].type == "NACamera"
    assert devices["12:34:56:00:f1:62"].bridge is None
    assert (devices["12:34:56:00:86:99"].type, devices["12:34:56:00:86:99"].bridge) == (
        "NACamDoorTag",
        "12:34:56:00:f1:62",
    )
    assert devices["12:34:56:00:e3:9b"].bridge == "12:34:56:00:f1:62"  # the siren too


def test_malformed_bridges_and_devices_are_ignored() -> None:
    body = {
        "homes": [
            {
                "id": "h",
                "modules": [
                    {"id": "t", "type": "NACamDoorTag", "bridge": 7},
                    {"id": "", "type": "NACamera"},
                    "junk",
                    {"id": "x", "type": "NATherm1"},
                ],
            },
            {"name": "no id"},
        ]
    }
    (home,) = parse_homes(body)
    assert [(d.id, d.type, d.bridge) for d in home.devices] == [("t", "NACamDoorTag", None)]
    assert (home.name, home.timezone) == ("Home", "UTC")
