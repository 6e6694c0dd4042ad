"""The security and Home+Control views built from real Netatmo answers (the shared fixtures), and the
screens drawn from them: every fixture pairing renders, and the known one reads as expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.control.devices import list_screen
from bot.control.security import security_screen
from bot.domain.events import SnapshotRef
from bot.i18n import translator
from bot.netatmo.devices import parse_devices
from bot.netatmo.security import Scenario, find_home, live_snapshot_url, parse_security, picture_url

_ = translator("en")
HOME = "91763b24c43d3e344f424e8b"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def homesdata_files(fixtures_dir: Path) -> list[Path]:
    return sorted(p for p in fixtures_dir.rglob("*.json") if "home_data" in p.name or "homesdata" in p.name)


def homestatus_files(fixtures_dir: Path) -> list[Path]:
    return sorted(
        p for p in fixtures_dir.rglob("*.json") if "home_status" in p.name or "homestatus" in p.name
    )


def test_every_fixture_pairing_renders(fixtures_dir: Path) -> None:
    statuses = [load(p).get("body") or {} for p in homestatus_files(fixtures_dir)] + [{}]
    homes = []
    for path in homesdata_files(fixtures_dir):
        body = load(path).get("body")
        homes += [h for h in (body or {}).get("homes") or [] if isinstance(h, dict)]
    assert homes and len(statuses) > 3
    for home in [*homes, {"id": "bare"}]:
        for status in statuses:
            view = parse_security(home, status)
            screen = security_screen(_, view, [Scenario("home", "Home")])
            assert screen.text and len(screen.text) < 4096
            for row in screen.keyboard.inline_keyboard if screen.keyboard else []:
                for key in row:
                    assert len(str(key.callback_data).encode()) <= 64
            devices = parse_devices(home, status)
            assert list_screen(_, str(home["id"]), devices).text


def test_the_known_home_reads_as_the_app_shows_it(fixtures_dir: Path) -> None:
    topology = find_home(load(fixtures_dir / "pyatmo" / "homesdata.json")["body"], HOME)
    status = load(fixtures_dir / "pyatmo" / f"homestatus_{HOME}.json")["body"]
    assert topology is not None
    view = parse_security(topology, status)
    cameras = {c.name: c for c in view.cameras}
    assert cameras["Front"].type == "NOC" and cameras["Front"].floodlight == "auto"
    assert cameras["Hall"].monitoring is True and cameras["Hall"].reachable
    assert cameras["Netatmo-Doorbell"].monitoring is None and not cameras["Netatmo-Doorbell"].can_monitor
    assert view.has_gateway
    text = security_screen(_, view, []).text
    assert "Front: monitoring on · floodlight automatic" in text
    devices = {d.name: d for d in parse_devices(topology, status)}
    assert devices["Prise"].kind == "plug" and devices["Prise"].on is True and devices["Prise"].power == 0
    assert devices["NLV"].kind == "shutter" and devices["NLV"].position == 0
    assert devices["Bathroom light"].dimmable


def test_disconnected_camera_and_missing_status(fixtures_dir: Path) -> None:
    topology = find_home(load(fixtures_dir / "pyatmo" / "homesdata.json")["body"], HOME)
    assert topology is not None
    status = load(fixtures_dir / "pyatmo" / "home_status_error_disconnected.json").get("body") or {}
    view = parse_security(topology, status)
    assert view.cameras and not any(c.reachable for c in view.cameras)  # no status: nothing claims online
    assert "offline" in security_screen(_, view, []).text
    # an offline camera offers no switch
    keyboard = security_screen(_, view, []).keyboard
    assert keyboard is not None
    assert not any(":mon:" in str(key.callback_data) for row in keyboard.inline_keyboard for key in row)


@pytest.mark.parametrize(
    ("ref", "camera_url", "expected"),
    [
        (SnapshotRef(url="https://x/1.jpg"), None, "https://x/1.jpg"),
        (SnapshotRef(image_id="a", key="b"), None, "https://api/api/getcamerapicture?image_id=a&key=b"),
        (
            SnapshotRef(filename="vod/1/snapshot.jpg"),
            "https://cam/token,,",
            "https://cam/token,,/vod/1/snapshot.jpg",
        ),
        (SnapshotRef(filename="vod/1/snapshot.jpg"), None, None),
        (None, None, None),
    ],
)
def test_picture_url_shapes(ref: SnapshotRef | None, camera_url: str | None, expected: str | None) -> None:
    assert picture_url(ref, "https://api/", camera_url) == expected


def test_live_snapshot_only_for_cameras_that_serve_one(fixtures_dir: Path) -> None:
    topology = find_home(load(fixtures_dir / "pyatmo" / "homesdata.json")["body"], HOME)
    assert topology is not None
    status = {"home": {"modules": [{"id": m["id"], "vpn_url": "https://vpn/x"} for m in topology["modules"]]}}
    urls = {c.type: live_snapshot_url(c) for c in parse_security(topology, status).cameras}
    assert urls["NACamera"] == "https://vpn/x/live/snapshot_720.jpg"
    assert urls["NOC"] == "https://vpn/x/live/snapshot_720.jpg"
    assert urls["NPC"] is None and urls["NDB"] is None
