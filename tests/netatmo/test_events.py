"""Normalisation of getevents events and webhook payloads: every fixture, every kind, every snapshot shape."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.domain.events import Kind, SecurityEvent, Severity, SnapshotRef, same_happening, synthetic_event_id
from bot.netatmo.events import (
    ParseError,
    WebhookParsed,
    classify,
    events_from_getevents,
    parse_webhook,
    parse_webhook_body,
)
from bot.netatmo.persons import with_known_persons

NOW = 1_700_000_000
HOME = "91763b24c43d3e344f424e8b"


def _webhooks(fixtures_dir: Path) -> dict[str, dict[str, Any]]:
    items = json.loads((fixtures_dir / "webhooks" / "webhook_payloads.json").read_text())
    return {item["name"]: item["payload"] for item in items}


def _one(parsed: WebhookParsed) -> SecurityEvent:
    assert parsed.control is None
    assert len(parsed.events) == 1
    return parsed.events[0]


# -- getevents fixture ------------------------------------------------------------------------------


def test_getevents_fixture_every_event(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "pyatmo" / "getevents.json").read_text())["body"]["home"]
    events = events_from_getevents(body["id"], body["events"], now=NOW)
    summary = [(e.event_id[-6:], e.subevent_id[-6:], e.kind, e.severity) for e in events]
    assert summary == [
        ("763a6d", "107fce", Kind.HUMAN, Severity.ALERT),
        ("763a6d", "62df43", Kind.VEHICLE, Severity.ALERT),
        ("763a6d", "195968", Kind.HUMAN, Severity.ALERT),
        ("763a6d", "e4f24e", Kind.HUMAN, Severity.ALERT),
        ("40c353", "", Kind.CAMERA_ONLINE, Severity.INFO),
        ("115860", "", Kind.OTHER, Severity.INFO),  # boot: device chatter
        ("4049ca", "", Kind.CAMERA_OFFLINE, Severity.INFO),
        ("147ffd", "3ccc38", Kind.HUMAN, Severity.ALERT),
        ("3d2de6", "", Kind.PERSON_HOME, Severity.ALERT),
        ("1b3628", "", Kind.PERSON, Severity.ALERT),
        ("6b1283", "", Kind.DOOR_OPEN, Severity.ALERT),
    ]
    outdoor = events[0]
    assert outdoor.home_id == HOME
    assert outdoor.event_id == "11111111111111111f7763a6d"
    assert outdoor.subevent_id == "11111111-2222-3333-4444-013560107fce"
    assert outdoor.netatmo_type == "outdoor/human"
    assert outdoor.device_id == "12:34:56:10:b9:0e" and outdoor.device_type == "NOC"
    assert outdoor.time == 1645794709 and outdoor.message == "Person erfasst"
    assert outdoor.snapshot == SnapshotRef(
        url="https://netatmocameraimage.blob.core.windows.net/production/000000a722374"
    )
    on_camera = events[2]  # each sub-event keeps its own snapshot, here a file on the camera
    assert on_camera.snapshot == SnapshotRef(filename="vod/11111/events/22222/snapshot_129e72195968.jpg")
    assert on_camera.time == 1645794716
    person = events[9]
    assert person.person_id == "91827374-7e04-5298-83ad-a0cb8372dff1"
    assert person.person_name == "John Doe" and person.person_known is True
    assert person.message == "John Doe gesehen"  # HTML stripped
    tag = events[10]
    assert tag.device_type == "NACamDoorTag" and tag.module_id == "12:34:56:00:86:99"
    assert len({e.key for e in events}) == len(events)  # sub-events are distinct keys


def test_legacy_event_list_and_snapshot_id_key() -> None:
    raw = {
        "id": "ev1",
        "type": "outdoor",
        "time": 100,
        "camera_id": "cam",
        "event_list": [
            {"id": "s1", "type": "animal", "time": 101, "snapshot": {"id": "img", "version": 1, "key": "k"}},
            {"id": "s2", "type": "vehicle", "snapshot": {"url": "https://x/y"}},
        ],
    }
    events = events_from_getevents("h", [raw])
    assert [(e.subevent_id, e.kind, e.time) for e in events] == [
        ("s1", Kind.ANIMAL, 101),
        ("s2", Kind.VEHICLE, 100),
    ]
    assert events[0].snapshot == SnapshotRef(image_id="img", key="k")
    assert events[0].device_id == "cam"


def test_legacy_movement_category() -> None:
    [event] = events_from_getevents("h", [{"id": "e", "type": "movement", "category": "animal", "time": 5}])
    assert event.kind is Kind.ANIMAL


def test_getevents_skips_events_without_id_and_tolerates_garbage() -> None:
    events = events_from_getevents("h", [None, 3, "x", {"type": "movement"}, {"id": "ok", "type": 7}])
    assert [(e.event_id, e.kind, e.netatmo_type) for e in events] == [("ok", Kind.OTHER, "7")]
    assert events_from_getevents("h", {"not": "a list"}) == []


# -- classification of every kind -------------------------------------------------------------------

CASES: list[tuple[str, int | None, Kind, Severity]] = [
    ("person", None, Kind.PERSON, Severity.ALERT),
    ("movement", None, Kind.MOVEMENT, Severity.ALERT),
    ("human", None, Kind.HUMAN, Severity.ALERT),
    ("animal", None, Kind.ANIMAL, Severity.ALERT),
    ("vehicle", None, Kind.VEHICLE, Severity.ALERT),
    ("incoming_call", None, Kind.DOORBELL_RING, Severity.ALERT),
    ("rtc", None, Kind.DOORBELL_RING, Severity.ALERT),
    ("missed_call", None, Kind.DOORBELL_MISSED, Severity.ALERT),
    ("accepted_call", None, Kind.DOORBELL_ACCEPTED, Severity.ALERT),
    ("tag_open", None, Kind.DOOR_OPEN, Severity.ALERT),
    ("tag_big_move", None, Kind.DOOR_MOVED, Severity.ALERT),
    ("tag_small_move", None, Kind.DOOR_MOVED, Severity.ALERT),
    ("siren_sounding", None, Kind.SIREN_SOUNDING, Severity.ALARM),
    ("siren_tampered", None, Kind.SIREN_TAMPERED, Severity.ALERT),
    ("smoke", 1, Kind.SMOKE, Severity.ALARM),
    ("smoke", None, Kind.SMOKE, Severity.ALARM),
    ("smoke", 0, Kind.SMOKE_CLEARED, Severity.ALERT),
    ("co_detected", 1, Kind.CO, Severity.ALARM),
    ("co_detected", 2, Kind.CO, Severity.ALARM),
    ("co_detected", 0, Kind.CO_CLEARED, Severity.ALERT),
    ("tampered", 1, Kind.ALARM_TAMPERED, Severity.ALERT),
    ("tampered", 0, Kind.ALARM_TAMPERED, Severity.INFO),
    ("sound_test", 0, Kind.ALARM_TEST, Severity.INFO),
    ("battery_status", 1, Kind.ALARM_BATTERY, Severity.INFO),
    ("connection", None, Kind.CAMERA_ONLINE, Severity.INFO),
    ("disconnection", None, Kind.CAMERA_OFFLINE, Severity.INFO),
    ("on", None, Kind.MONITORING_ON, Severity.INFO),
    ("off", None, Kind.MONITORING_OFF, Severity.INFO),
    ("sd", 4, Kind.SD_PROBLEM, Severity.INFO),
    ("alim", 1, Kind.POWER_PROBLEM, Severity.INFO),
    ("module_low_battery", None, Kind.LOW_BATTERY, Severity.INFO),
    ("person_home", None, Kind.PERSON_HOME, Severity.ALERT),
    ("person_away", None, Kind.PERSON_AWAY, Severity.ALERT),
    ("boot", None, Kind.OTHER, Severity.INFO),
    ("brand_new_type", None, Kind.OTHER, Severity.ALERT),
]


@pytest.mark.parametrize(("event_type", "sub_type", "kind", "severity"), CASES)
def test_classify(event_type: str, sub_type: int | None, kind: Kind, severity: Severity) -> None:
    assert classify(event_type, sub_type) == (kind, severity)


def test_every_kind_is_reachable() -> None:
    reached = {kind for _, _, kind, _ in CASES}
    assert reached == set(Kind)


# -- webhook fixtures -------------------------------------------------------------------------------


def test_webhook_fixture_person(fixtures_dir: Path) -> None:
    event = _one(parse_webhook(_webhooks(fixtures_dir)["NACamera-person (HA test_webhook)"], now=NOW))
    assert event.kind is Kind.PERSON and event.severity is Severity.ALERT
    assert (event.home_id, event.event_id) == ("5c5dxxxxxxxd594", "5d19bxxxxxxxxcca88")
    assert event.device_id == "70:xxxxxx:a7" and event.device_type == "NACamera"
    assert event.person_id == "e2bf7xxxxxxxxxxxxea3" and event.person_known is True
    assert event.netatmo_type == "NACamera-person" and event.time == NOW
    assert event.snapshot == SnapshotRef(
        url="https://netatmocameraimage.blob.core.windows.net/production/5xxxx",
        image_id="5d19bae867368a59e81cca89",
        key="d3b3ae0229f7xb74cf8",
    )


def test_webhook_fixture_light_mode(fixtures_dir: Path) -> None:
    event = _one(parse_webhook(_webhooks(fixtures_dir)["NOC-light_mode"], now=NOW))
    assert (event.kind, event.severity, event.device_type) == (Kind.OTHER, Severity.INFO, "NOC")
    assert event.sub_type is None  # "on" is not a number; the raw type keeps the meaning


def test_webhook_fixture_without_home_is_incomplete_until_home_known(fixtures_dir: Path) -> None:
    payload = _webhooks(fixtures_dir)["NACamera-off"]
    parsed = parse_webhook(payload, now=NOW)
    assert parsed.events == () and parsed.control is not None
    assert (parsed.control.kind, parsed.control.device_id) == ("incomplete", "12:34:56:00:f1:62")
    event = _one(parse_webhook(payload, now=NOW, home_id="h1"))
    assert (event.home_id, event.kind, event.device_type) == ("h1", Kind.MONITORING_OFF, "NACamera")


EXPECTED_CONTROL = {
    "webhook_activation": ("activation", None, "123"),
    "therm_mode_home_event_changed": ("other", "456", "123"),
    "NACamera-connection (bare)": ("incomplete", None, None),
    "NPC-connection (bare)": ("incomplete", None, None),
    "NACamera-movement": ("incomplete", HOME, None),  # no event_id: polled instead
    "NACamera-off": ("incomplete", None, None),
    "NACamera-on": ("incomplete", None, None),
}


def test_every_webhook_fixture(fixtures_dir: Path) -> None:
    payloads = _webhooks(fixtures_dir)
    assert len(payloads) >= 20
    for name, payload in payloads.items():
        parsed = parse_webhook(payload, now=NOW)
        again = parse_webhook_body(json.dumps(payload).encode(), now=NOW)
        assert again == parsed, name
        if name in ("NACamera-person (HA test_webhook)", "NOC-light_mode"):
            assert len(parsed.events) == 1, name
            continue
        assert parsed.events == (), name
        assert parsed.control is not None, name
        other = "topology" if payload["push_type"] == "topology_changed" else "other"
        kind, home, user = EXPECTED_CONTROL.get(name, (other, parsed.control.home_id, None))
        assert parsed.control.kind == kind, name
        assert parsed.control.home_id == home, name
        if user:
            assert parsed.control.user_id == user
    energy = [n for n in payloads if payloads[n]["push_type"] == "device_event"]
    topology = [n for n in payloads if payloads[n]["push_type"] == "topology_changed"]
    assert energy and topology and len(energy) + len(topology) >= 8
    for name in energy:
        assert parse_webhook(payloads[name], now=NOW).control.kind == "other"  # type: ignore[union-attr]
    for name in topology:  # the watcher hands these to the topology refresher
        control = parse_webhook(payloads[name], now=NOW).control
        assert control is not None and control.kind == "topology" and control.home_id, name


# -- crafted webhook payloads for every security push family ----------------------------------------


def _push(push_type: str, **extra: Any) -> dict[str, Any]:
    _, _, event_type = push_type.rpartition("-")
    return {
        "push_type": push_type,
        "event_type": event_type,
        "event_id": "e1",
        "home_id": "h1",
        "device_id": "d1",
        **extra,
    }


@pytest.mark.parametrize(
    ("push_type", "extra", "kind", "severity"),
    [
        ("NSD-smoke", {"sub_type": 1}, Kind.SMOKE, Severity.ALARM),
        ("NSD-smoke", {"sub_type": 0}, Kind.SMOKE_CLEARED, Severity.ALERT),
        ("NCO-co_detected", {"sub_type": 2}, Kind.CO, Severity.ALARM),
        ("NSD-tampered", {"sub_type": 1}, Kind.ALARM_TAMPERED, Severity.ALERT),
        ("NSD-sound_test", {"sub_type": 0}, Kind.ALARM_TEST, Severity.INFO),
        ("NCO-battery_status", {"sub_type": 0}, Kind.ALARM_BATTERY, Severity.INFO),
        ("NDB-incoming_call", {}, Kind.DOORBELL_RING, Severity.ALERT),
        ("NDB-missed_call", {}, Kind.DOORBELL_MISSED, Severity.ALERT),
        ("NDB-accepted_call", {}, Kind.DOORBELL_ACCEPTED, Severity.ALERT),
        ("NDB-rtc", {}, Kind.DOORBELL_RING, Severity.ALERT),
        ("NACamera-tag_open", {"module_id": "tag"}, Kind.DOOR_OPEN, Severity.ALERT),
        ("NACamera-tag_big_move", {"module_id": "tag"}, Kind.DOOR_MOVED, Severity.ALERT),
        ("NACamera-tag_small_move", {"module_id": "tag"}, Kind.DOOR_MOVED, Severity.ALERT),
        ("NACamera-siren_sounding", {"module_id": "sir"}, Kind.SIREN_SOUNDING, Severity.ALARM),
        ("NACamera-siren_tampered", {"module_id": "sir"}, Kind.SIREN_TAMPERED, Severity.ALERT),
        ("NACamera-movement", {}, Kind.MOVEMENT, Severity.ALERT),
        ("NPC-human", {}, Kind.HUMAN, Severity.ALERT),
        ("NOC-animal", {}, Kind.ANIMAL, Severity.ALERT),
        ("NOC-vehicle", {}, Kind.VEHICLE, Severity.ALERT),
        ("NACamera-on", {}, Kind.MONITORING_ON, Severity.INFO),
        ("NACamera-off", {}, Kind.MONITORING_OFF, Severity.INFO),
        ("NACamera-sd", {"sub_type": 1}, Kind.SD_PROBLEM, Severity.INFO),
        ("NACamera-alim", {"sub_type": 1}, Kind.POWER_PROBLEM, Severity.INFO),
        ("NATherm1-module_low_battery", {"module_id": "m"}, Kind.LOW_BATTERY, Severity.INFO),
        ("NACamera-person_home", {}, Kind.PERSON_HOME, Severity.ALERT),
        ("NACamera-person_away", {}, Kind.PERSON_AWAY, Severity.ALERT),
        ("NACamera-disconnection", {}, Kind.CAMERA_OFFLINE, Severity.INFO),
        ("NOC-connection", {}, Kind.CAMERA_ONLINE, Severity.INFO),
        ("NACamera-brand_new", {}, Kind.OTHER, Severity.ALERT),
    ],
)
def test_security_pushes(push_type: str, extra: dict[str, Any], kind: Kind, severity: Severity) -> None:
    event = _one(parse_webhook(_push(push_type, **extra), now=NOW))
    assert (event.kind, event.severity) == (kind, severity)
    assert event.device_type == push_type.split("-")[0]
    assert event.netatmo_type == push_type and event.key == ("h1", "e1", "")
    assert event.module_id == extra.get("module_id")


def test_bare_connection_push_types() -> None:
    event = _one(parse_webhook({"push_type": "connection", "event_id": "e", "home_id": "h"}, now=NOW))
    assert (event.kind, event.device_type) == (Kind.CAMERA_ONLINE, None)
    event = _one(
        parse_webhook(
            {"push_type": "disconnection", "event_id": "e", "home_id": "h", "camera_id": "c"}, now=NOW
        )
    )
    assert (event.kind, event.device_id) == (Kind.CAMERA_OFFLINE, "c")


def test_person_push_unknown_face_and_face_snapshot() -> None:
    payload = _push(
        "NACamera-person",
        persons=[{"id": "p9", "face_id": "f", "face_key": "k", "is_known": False, "face_url": "https://f"}],
    )
    event = _one(parse_webhook(payload, now=NOW))
    assert (event.person_id, event.person_known) == ("p9", False)
    assert event.snapshot == SnapshotRef(url="https://f", image_id="f", key="k")


def test_person_push_prefers_known_face() -> None:
    payload = _push(
        "NACamera-person", persons=[{"id": "u", "is_known": False}, {"id": "k", "is_known": True}]
    )
    assert _one(parse_webhook(payload, now=NOW)).person_id == "k"


def test_outdoor_push_with_event_list_gives_one_event_per_sub_event() -> None:
    payload = _push(
        "NOC-outdoor",
        event_list=[
            {"id": "s1", "type": "human", "time": 10, "snapshot_url": "https://a"},
            {"id": "s2", "type": "vehicle", "time": 11, "snapshot": {"filename": "vod/x.jpg"}},
        ],
    )
    parsed = parse_webhook(payload, now=NOW)
    assert [(e.subevent_id, e.kind, e.snapshot) for e in parsed.events] == [
        ("s1", Kind.HUMAN, SnapshotRef(url="https://a")),
        ("s2", Kind.VEHICLE, SnapshotRef(filename="vod/x.jpg")),
    ]


def test_push_naming_one_sub_event() -> None:
    event = _one(parse_webhook(_push("NOC-human", subevent_id="s7", time=42), now=NOW))
    assert event.key == ("h1", "e1", "s7") and event.time == 42


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"[" * 100_000]
)
def test_malformed_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_webhook_body(body, now=NOW)


def test_deactivation_control() -> None:
    parsed = parse_webhook({"push_type": "webhook_deactivation", "user_id": "u1"}, now=NOW)
    assert parsed.control is not None
    assert (parsed.control.kind, parsed.control.user_id) == ("deactivation", "u1")


# -- alarms pushed without an event id -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("push_type", "event_type", "kind"),
    [
        ("NSD-smoke", "smoke", Kind.SMOKE),
        ("NCO-co_detected", "co_detected", Kind.CO),
        ("NIS-siren_sounding", "siren_sounding", Kind.SIREN_SOUNDING),
        ("NDB-incoming_call", "incoming_call", Kind.DOORBELL_RING),
    ],
)
def test_an_alarm_without_event_id_gets_a_stable_id_of_ours(
    push_type: str, event_type: str, kind: Kind
) -> None:
    payload = {
        "event_type": event_type,
        "device_id": "70:ee:50:00:00:5d",
        "home_id": HOME,
        "push_type": push_type,
    }
    event = _one(parse_webhook(payload, now=NOW))
    assert (event.kind, event.home_id, event.device_id, event.time) == (kind, HOME, "70:ee:50:00:00:5d", NOW)
    assert event.event_id == f"wh:{kind.value}:70:ee:50:00:00:5d:{NOW // 60}"
    assert _one(parse_webhook(payload, now=NOW + 1)).event_id == event.event_id  # a repeat: the same id
    without_home = {k: v for k, v in payload.items() if k != "home_id"}
    parsed = parse_webhook(without_home, now=NOW)
    assert parsed.control is not None and parsed.control.kind == "incomplete"
    assert _one(parse_webhook(without_home, now=NOW, home_id=HOME)).event_id == event.event_id


@pytest.mark.parametrize("event_type", ["hush", "movement", "tag_open"])
def test_other_pushes_without_event_id_stay_incomplete(event_type: str) -> None:
    payload = {"event_type": event_type, "device_id": "d1", "home_id": HOME, "push_type": f"NSD-{event_type}"}
    parsed = parse_webhook(payload, now=NOW)
    assert parsed.control is not None and parsed.control.kind == "incomplete"


def test_smoke_cleared_without_event_id_is_left_to_polling() -> None:
    payload = {
        "event_type": "smoke",
        "sub_type": 0,
        "device_id": "d1",
        "home_id": HOME,
        "push_type": "NSD-smoke",
    }
    parsed = parse_webhook(payload, now=NOW)
    assert parsed.control is not None and parsed.control.kind == "incomplete"


def test_polled_faces_are_told_by_the_home_s_known_persons() -> None:
    raw = [
        {"id": "e1", "type": "person", "time": NOW, "module_id": "cam", "person_id": "anna"},
        {"id": "e2", "type": "person", "time": NOW, "module_id": "cam", "person_id": "stranger"},
        {"id": "e3", "type": "person", "time": NOW, "module_id": "cam"},
        {"id": "e4", "type": "movement", "time": NOW, "module_id": "cam"},
    ]
    events = events_from_getevents(HOME, raw)
    assert [e.person_known for e in events] == [None, None, None, None]
    settled = with_known_persons(events, {"anna": "Anna"})
    assert [(e.person_known, e.person_name) for e in settled] == [
        (True, "Anna"),
        (False, None),
        (False, None),
        (None, None),
    ]
    assert with_known_persons(events, None) == events  # the list could not be read: nothing decided


def test_same_happening_needs_an_id_of_ours_on_one_side() -> None:
    base = dict(home_id=HOME, kind=Kind.SMOKE, netatmo_type="smoke", device_id="sd", severity=Severity.ALARM)
    pushed = SecurityEvent(event_id=synthetic_event_id("sd", Kind.SMOKE, NOW), time=NOW, **base)  # type: ignore[arg-type]
    polled = SecurityEvent(event_id="n1", time=NOW + 200, **base)  # type: ignore[arg-type]
    other = SecurityEvent(event_id="n2", time=NOW + 100, **base)  # type: ignore[arg-type]
    assert same_happening(polled, pushed) and same_happening(pushed, polled)
    assert not same_happening(polled, other)  # two Netatmo ids: two happenings
    assert not same_happening(replace(polled, time=NOW + 400), pushed)
    assert not same_happening(replace(polled, kind=Kind.CO), pushed)
    assert not same_happening(replace(polled, device_id="sd2"), pushed)


def test_a_unicode_digit_in_a_number_field_is_no_number() -> None:
    """ "²" passes str.isdigit() but not int(): a push carrying it keeps the receive time, it does not fail
    the batch it came in."""
    parsed = parse_webhook({"push_type": "NACamera-person", "time": "²", "event_time": "-⁵"}, now=NOW)
    assert parsed.control is not None and parsed.control.kind == "incomplete"
