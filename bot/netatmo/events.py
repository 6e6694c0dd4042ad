"""Normalisation of Netatmo events (getevents) and webhook payloads into `SecurityEvent`s.

Netatmo tells the same happening in several shapes: getevents lists an `outdoor` event with `subevents`
(legacy `event_list`), a webhook pushes `NOC-human` with `snapshot_url`, and snapshots come as a URL, as an
`id`+`key` pair or as a file on the camera. Everything downstream (dedup, routing, captions) is written once
against `SecurityEvent`, so all of the shape handling lives here, pure and total: any JSON gives either
events, a `WebhookControl`, or a documented `ParseError` — never another exception, because a crash on a
push would be answered with a 5xx and Netatmo bans endpoints that fail.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.events import URGENT_KINDS, Kind, SecurityEvent, Severity, SnapshotRef, synthetic_event_id


class ParseError(ValueError):
    """The body is not a JSON object: nothing in it can be used. The message says why (no payload data)."""


@dataclass(frozen=True)
class WebhookControl:
    """A push that is not a security event.

    kind: "activation" / "deactivation" (webhook_activation / webhook_deactivation: the webhook's own
    state), "incomplete" (a security push lacking the home, or an event id when it is not an alarm: the
    watcher looks the home up by the device, or polls that home instead), "topology" (topology_changed: the
    home's rooms or devices changed, to be read again), or "other" (energy and device events: nothing to
    alert).
    """

    kind: str
    push_type: str
    home_id: str | None = None
    user_id: str | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class WebhookParsed:
    """The outcome of one push: security events (possibly none) or a control message."""

    events: tuple[SecurityEvent, ...] = ()
    control: WebhookControl | None = None


# --- classification ---------------------------------------------------------------------------------

_A, _L, _I = Severity.ALARM, Severity.ALERT, Severity.INFO

_SIMPLE: dict[str, tuple[Kind, Severity]] = {
    "person": (Kind.PERSON, _L),
    "movement": (Kind.MOVEMENT, _L),
    "human": (Kind.HUMAN, _L),
    "animal": (Kind.ANIMAL, _L),
    "vehicle": (Kind.VEHICLE, _L),
    "outdoor": (Kind.MOVEMENT, _L),  # an outdoor event without sub-events: activity of unknown nature
    "incoming_call": (Kind.DOORBELL_RING, _L),
    "rtc": (Kind.DOORBELL_RING, _L),
    "missed_call": (Kind.DOORBELL_MISSED, _L),
    "accepted_call": (Kind.DOORBELL_ACCEPTED, _L),
    "tag_open": (Kind.DOOR_OPEN, _L),
    "tag_big_move": (Kind.DOOR_MOVED, _L),
    "tag_small_move": (Kind.DOOR_MOVED, _L),
    "siren_sounding": (Kind.SIREN_SOUNDING, _A),
    "siren_tampered": (Kind.SIREN_TAMPERED, _L),
    "alarm_started": (Kind.OTHER, _L),  # the indoor camera heard an alarm sound
    "sound_test": (Kind.ALARM_TEST, _I),
    "battery_status": (Kind.ALARM_BATTERY, _I),
    "connection": (Kind.CAMERA_ONLINE, _I),
    "disconnection": (Kind.CAMERA_OFFLINE, _I),
    "on": (Kind.MONITORING_ON, _I),
    "off": (Kind.MONITORING_OFF, _I),
    "sd": (Kind.SD_PROBLEM, _I),
    "alim": (Kind.POWER_PROBLEM, _I),
    "module_low_battery": (Kind.LOW_BATTERY, _I),
    "person_home": (Kind.PERSON_HOME, _L),
    "person_away": (Kind.PERSON_AWAY, _L),
}

# Known types that are device chatter rather than something to look at: kept, but as INFO.
_HEALTH_OTHER = frozenset(
    {
        "boot",
        "new_module",
        "module_connect",
        "module_disconnect",
        "module_end_update",
        "tag_uninstalled",
        "daily_summary",
        "light_mode",
        "new_device",
        "hush",
        "wifi_status",
        "detection_chamber_status",
    }
)

# Device type implied by an event type when getevents does not say (it gives only module_id).
_TYPE_HINT = {
    "outdoor": "NOC",
    "light_mode": "NOC",
    "incoming_call": "NDB",
    "missed_call": "NDB",
    "accepted_call": "NDB",
    "rtc": "NDB",
    "smoke": "NSD",
    "hush": "NSD",
    "detection_chamber_status": "NSD",
    "co_detected": "NCO",
    "tag_open": "NACamDoorTag",
    "tag_big_move": "NACamDoorTag",
    "tag_small_move": "NACamDoorTag",
    "tag_uninstalled": "NACamDoorTag",
    "siren_sounding": "NIS",
    "siren_tampered": "NIS",
}
_MODULE_TYPES = frozenset({"NACamDoorTag", "NIS"})  # bridged by a camera: the event is the module's

_CONTROL_PUSHES = {
    "webhook_activation": "activation",
    "webhook_deactivation": "deactivation",
    "topology_changed": "topology",
}
_NON_SECURITY_PUSHES = frozenset({"display_change", "home_event_changed", "device_event"})


def classify(event_type: str, sub_type: int | None = None) -> tuple[Kind, Severity]:
    """Kind and severity of a Netatmo event type (sub_type matters for smoke, CO and tamper alarms)."""
    if event_type == "smoke":
        return (Kind.SMOKE_CLEARED, _L) if sub_type == 0 else (Kind.SMOKE, _A)
    if event_type == "co_detected":
        return (Kind.CO_CLEARED, _L) if sub_type == 0 else (Kind.CO, _A)
    if event_type == "tampered":
        return (Kind.ALARM_TAMPERED, _I) if sub_type == 0 else (Kind.ALARM_TAMPERED, _L)
    if event_type in _SIMPLE:
        return _SIMPLE[event_type]
    if event_type in _HEALTH_OTHER:
        return Kind.OTHER, _I
    return Kind.OTHER, _L  # unknown: a generic but correct alert rather than silence


# --- small total converters (any JSON value in, a safe value out) ------------------------------------

_TAG = re.compile(r"<[^>]*>")
_BOLD = re.compile(r"<b>(.*?)</b>", re.IGNORECASE | re.DOTALL)
_MAX_ID = 64  # the width of the id columns


def _str(value: object, limit: int = _MAX_ID) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        text = str(value).replace("\x00", "").strip()
        return text[:limit] or None
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**62:
        return int(value)
    if isinstance(value, str) and len(value) < 19:
        digits = value.strip().lstrip("-")
        # ASCII only: "²" and other Unicode digits pass isdigit() but not int()
        if digits.isascii() and digits.isdigit():
            return int(value)
    return None


def _time(value: object, default: int) -> int:
    number = _int(value)
    if number is None and isinstance(value, float) and abs(value) < 2**62:
        number = int(value)
    return number if number is not None and 0 <= number < 2**40 else default


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = html.unescape(_TAG.sub("", value)).replace("\x00", "").strip()
    return text[:1000] or None


def _bold_name(message: object) -> str | None:
    if not isinstance(message, str):
        return None
    match = _BOLD.search(message)
    return _text(match.group(1)) if match else None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def snapshot_ref(value: object) -> SnapshotRef | None:
    """A snapshot object in any of Netatmo's three shapes ({url}, {id,key[,url]}, {filename})."""
    data = _dict(value)
    ref = SnapshotRef(
        url=_str(data.get("url"), 2048),
        image_id=_str(data.get("id")),
        key=_str(data.get("key"), 256),
        filename=_str(data.get("filename"), 1024),
    )
    return ref if (ref.url or ref.image_id or ref.filename) else None


def _flat_snapshot(data: Mapping[str, Any], prefix: str = "snapshot") -> SnapshotRef | None:
    """The webhook's flat snapshot fields (snapshot_id, snapshot_key, snapshot_url)."""
    nested = snapshot_ref(data.get(prefix))
    if nested is not None:
        return nested
    ref = SnapshotRef(
        url=_str(data.get(f"{prefix}_url"), 2048),
        image_id=_str(data.get(f"{prefix}_id")),
        key=_str(data.get(f"{prefix}_key"), 256),
        filename=_str(data.get(f"{prefix}_filename"), 1024),
    )
    return ref if (ref.url or ref.image_id or ref.filename) else None


def _devices(raw: Mapping[str, Any], event_type: str, device_type: str | None) -> tuple[str | None, ...]:
    """(device_id, module_id, device_type): the reporting device and the bridged module if any."""
    module = _str(raw.get("module_id"))
    device = _str(raw.get("device_id")) or _str(raw.get("camera_id"))
    device_type = device_type or _TYPE_HINT.get(event_type)
    if device is None:
        device = module
    if module == device and device_type not in _MODULE_TYPES:
        module = None
    return device, module, device_type


# --- getevents ----------------------------------------------------------------------------------------


def events_from_getevents(home_id: str, events: object, now: int = 0) -> list[SecurityEvent]:
    """All SecurityEvents of a getevents `events` list (newest first, as Netatmo lists them)."""
    out: list[SecurityEvent] = []
    for raw in _list(events):
        out.extend(events_from_raw(home_id, raw, now=now))
    return out


def events_from_raw(
    home_id: str,
    raw: object,
    *,
    now: int = 0,
    device_type: str | None = None,
    netatmo_type: str | None = None,
) -> list[SecurityEvent]:
    """One Netatmo event object → one SecurityEvent, or one per sub-event for outdoor events."""
    data = _dict(raw)
    event_id = _str(data.get("id")) or _str(data.get("event_id"))
    event_type = _str(data.get("type")) or _str(data.get("event_type")) or "unknown"
    if event_id is None or not home_id:
        return []
    time = _time(data.get("time"), now)
    device, module, dtype = _devices(data, event_type, device_type)
    subs = [
        s for s in (*_list(data.get("subevents")), *_list(data.get("event_list"))) if isinstance(s, Mapping)
    ]
    if subs:
        out = []
        for sub in subs:
            what = _str(sub.get("type")) or "unknown"
            kind, severity = classify(what)
            out.append(
                SecurityEvent(
                    home_id=home_id,
                    event_id=event_id,
                    subevent_id=_str(sub.get("id")) or "",
                    kind=kind,
                    severity=severity,
                    netatmo_type=f"{event_type}/{what}"[:_MAX_ID],
                    time=_time(sub.get("time"), time),
                    device_id=device,
                    device_type=dtype,
                    module_id=module,
                    message=_text(sub.get("message")) or _text(data.get("message")),
                    snapshot=_flat_snapshot(sub),
                )
            )
        return out
    sub_type = _int(data.get("sub_type"))
    kind, severity = classify(event_type, sub_type)
    category = _str(data.get("category"))  # legacy movement events tell what moved
    if event_type == "movement" and category in ("human", "animal", "vehicle"):
        kind, severity = classify(category)
    person_id = _str(data.get("person_id"))
    person_name = _bold_name(data.get("message")) if kind is Kind.PERSON else None
    return [
        SecurityEvent(
            home_id=home_id,
            event_id=event_id,
            subevent_id=_str(data.get("subevent_id")) or "",  # a webhook may name one sub-event
            kind=kind,
            severity=severity,
            netatmo_type=(netatmo_type or event_type)[:_MAX_ID],
            time=time,
            device_id=device,
            device_type=dtype,
            module_id=module,
            person_id=person_id,
            person_name=person_name,
            person_known=True if person_name else None,
            sub_type=sub_type,
            message=_text(data.get("message")),
            snapshot=_flat_snapshot(data),
        )
    ]


# --- webhooks -----------------------------------------------------------------------------------------


def parse_webhook_body(body: bytes, now: int) -> WebhookParsed:
    """Decode and parse a raw push body. Raises ParseError when it is not a JSON object."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ParseError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(payload, dict):
        raise ParseError(f"JSON {type(payload).__name__}, expected an object")
    return parse_webhook(payload, now=now)


def parse_webhook(payload: Mapping[str, Any], now: int, home_id: str | None = None) -> WebhookParsed:
    """A decoded push → events or control. `now` stands in for the time pushes do not carry.

    Some real pushes name the camera but not the home (NACamera-on/off): the caller may look the device up
    and parse again with `home_id`.
    """
    push_type = _str(payload.get("push_type"), 128) or ""
    home_id = _str(payload.get("home_id")) or _str(_dict(payload.get("home")).get("id")) or home_id
    user_id = _str(payload.get("user_id")) or _str(_dict(payload.get("user")).get("id"))
    device_id = _str(payload.get("device_id")) or _str(payload.get("camera_id"))

    def control(kind: str) -> WebhookParsed:
        return WebhookParsed(control=WebhookControl(kind, push_type, home_id, user_id, device_id))

    if push_type in _CONTROL_PUSHES:
        return control(_CONTROL_PUSHES[push_type])
    if push_type in _NON_SECURITY_PUSHES or not push_type:
        return control("other")
    device_type, _, type_from_push = push_type.rpartition("-")
    event_type = _str(payload.get("event_type")) or type_from_push
    event_id = _str(payload.get("event_id"))
    time = _time(payload.get("event_time", payload.get("time")), now)
    if event_id is None and home_id is not None:
        event_id = _alarm_id(payload, event_type, time)
    if home_id is None or event_id is None:
        return control("incomplete")
    data = dict(payload)
    data["id"], data["type"], data["time"] = event_id, event_type, time
    events = events_from_raw(
        home_id, data, now=now, device_type=_str(device_type) or None, netatmo_type=push_type
    )
    persons = [p for p in _list(payload.get("persons")) if isinstance(p, Mapping)]
    if events and persons and events[0].kind is Kind.PERSON:
        events = [_with_person(events[0], _pick_person(persons))]
    return WebhookParsed(events=tuple(events))


def _alarm_id(payload: Mapping[str, Any], event_type: str, time: int) -> str | None:
    """Our own id for an alarm pushed without one (smoke and CO alarms, sirens and doorbells send
    `event_type`, `device_id`, `home_id`, `push_type` and nothing else): an alarm must not wait for a poll.
    None for anything else, which the watcher leaves to polling."""
    kind, _severity = classify(event_type, _int(payload.get("sub_type")))
    if kind not in URGENT_KINDS:
        return None
    device = _str(payload.get("device_id")) or _str(payload.get("camera_id"))
    device = device or _str(payload.get("module_id"))
    return synthetic_event_id(device, kind, time)


def _pick_person(persons: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """One face per event (the key of getevents' person event is one id): a known face first."""
    return next((p for p in persons if p.get("is_known") is True), persons[0])


def _with_person(event: SecurityEvent, person: Mapping[str, Any]) -> SecurityEvent:
    known = person.get("is_known")
    snapshot = event.snapshot or SnapshotRef(
        url=_str(person.get("face_url"), 2048),
        image_id=_str(person.get("face_id")),
        key=_str(person.get("face_key"), 256),
    )
    return replace(
        event,
        person_id=_str(person.get("id")) or event.person_id,
        person_known=known if isinstance(known, bool) else event.person_known,
        person_name=_text(person.get("name")) or _text(person.get("pseudo")) or event.person_name,
        snapshot=snapshot if (snapshot.url or snapshot.image_id) else None,
    )
