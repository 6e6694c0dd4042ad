"""Creating events and applying their side effects on the world.

An event of a type changes what the device reports (a disconnection makes it unreachable,
`off` stops monitoring, `tag_open` opens the door tag, `light_mode` changes the floodlight),
so getevents, homestatus and webhooks always tell the same story.
"""

from __future__ import annotations

import random
from typing import Any

from standins.netatmo_sim.world import ids
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device, Event, Home, SubEvent

MAX_EVENTS_PER_HOME = 500

# Types whose event is attached to the bridging camera: device_id is the camera,
# module_id is the tag/siren itself.
_SUB_MODULE_TYPES = frozenset({"NACamDoorTag", "NIS"})
_WITH_SNAPSHOT = frozenset(
    {
        "person",
        "movement",
        "human",
        "animal",
        "alarm_started",
        "incoming_call",
        "accepted_call",
        "missed_call",
        "rtc",
        "outdoor",
    }
)
_WITH_VIDEO = _WITH_SNAPSHOT - {"rtc"}
_DEFAULT_SUB_TYPE: dict[str, int | str] = {
    "smoke": 1,
    "hush": 0,
    "tampered": 1,
    "wifi_status": 1,
    "battery_status": 0,
    "detection_chamber_status": 1,
    "sound_test": 0,
    "co_detected": 2,
    "light_mode": "on",
}
_MESSAGES: dict[str, str] = {
    "movement": "Motion detected by {name}",
    "human": "Person detected by {name}",
    "animal": "Animal detected by {name}",
    "alarm_started": "Alarm detected by {name}",
    "on": "Monitoring resumed on {name}",
    "off": "Monitoring disabled on {name}",
    "connection": "{name} connected",
    "disconnection": "{name} disconnected",
    "boot": "{name} started",
    "outdoor": "Activity detected by {name}",
    "light_mode": "Floodlight of {name} set to {sub_type}",
    "incoming_call": "Someone rang {name}",
    "accepted_call": "Call on {name} answered",
    "missed_call": "Missed call on {name}",
    "rtc": "Someone pressed the button of {name}",
    "tag_open": "{name}: open",
    "tag_big_move": "{name}: big move detected",
    "tag_small_move": "{name}: small move detected",
    "tag_uninstalled": "{name}: uninstalled",
    "siren_sounding": "{name} is sounding",
    "siren_tampered": "{name} was tampered with",
    "smoke": "Smoke detected by {name}",
    "hush": "{name} hushed",
    "tampered": "{name} tampered",
    "wifi_status": "{name} Wi-Fi status changed",
    "battery_status": "{name} battery low",
    "detection_chamber_status": "{name} detection chamber dusty",
    "sound_test": "{name} sound test",
    "co_detected": "Carbon monoxide detected by {name}",
    "module_low_battery": "{name}: low battery",
}
_SUB_LABEL = {"human": "Person detected", "animal": "Animal detected", "vehicle": "Vehicle detected"}


def camera_of(home: Home, device: Device) -> Device:
    """The camera an event of this device belongs to (its bridge for tags and sirens)."""
    if device.type in _SUB_MODULE_TYPES and device.bridge and device.bridge in home.devices:
        return home.devices[device.bridge]
    return device


def _message(home: Home, device: Device, event_type: str, person_id: str | None, sub_type: Any) -> str:
    if event_type == "person":
        person = next((p for p in home.persons if p.id == person_id), None)
        if person is None or person.pseudo is None:
            return f"Unknown face seen by {device.name}"
        return f"<b>{person.pseudo}</b> seen by {device.name}"
    if event_type in ("person_home", "person_away"):
        where = "home" if event_type == "person_home" else "away"
        return f"Persons set as {where}"
    template = _MESSAGES.get(event_type, "{name}: " + event_type)
    return template.format(name=device.name, sub_type=sub_type)


def create_event(
    home: Home,
    device: Device,
    event_type: str,
    now: int,
    rng: random.Random,
    *,
    person_id: str | None = None,
    sub_type: int | str | None = None,
    subevent_types: list[str] | None = None,
    message: str | None = None,
) -> Event:
    """Create an event, apply its side effects, and put it first in the home's list."""
    camera = camera_of(home, device)
    if event_type == "person" and person_id is None and home.persons:
        person_id = rng.choice(home.persons).id
    if sub_type is None:
        sub_type = _DEFAULT_SUB_TYPE.get(event_type)
    event = Event(
        id=ids.hex_id(rng),
        type=event_type,
        time=now,
        home_id=home.id,
        device_id=camera.id,
        module_id=device.id,
        message=message or _message(home, device, event_type, person_id, sub_type),
        person_id=person_id if event_type == "person" else None,
        sub_type=sub_type,
        video_id=ids.uuid4(rng)
        if event_type in _WITH_VIDEO and DEVICE_TYPES[camera.type].is_camera
        else None,
        snapshot_key=ids.hex_id(rng, 32) if event_type in _WITH_SNAPSHOT else None,
    )
    if event_type == "outdoor":
        kinds = subevent_types or [
            rng.choice(["human", "animal", "vehicle"]) for _ in range(rng.randint(1, 3))
        ]
        event.subevents = [
            SubEvent(
                ids.uuid4(rng),
                kind,
                now + 2 * i,
                2 * i,
                _SUB_LABEL.get(kind, kind),
                ids.hex_id(rng, 32),
                on_camera=i % 2 == 1,
            )
            for i, kind in enumerate(kinds)
        ]
    apply_side_effects(home, device, event, now)
    home.events.insert(0, event)
    del home.events[MAX_EVENTS_PER_HOME:]
    return event


def apply_side_effects(home: Home, device: Device, event: Event, now: int) -> None:
    """Make the device's status agree with the event."""
    kind = event.type
    if kind == "connection":
        device.reachable = True
    elif kind == "disconnection":
        device.reachable = False
    elif kind in ("on", "off") and "monitoring" in DEVICE_TYPES[device.type].settable:
        device.state["monitoring"] = kind
    elif kind == "light_mode" and isinstance(event.sub_type, str):
        device.state["floodlight"] = event.sub_type
    elif kind == "tag_open":
        device.state["status"] = "open"
        device.state["_last_activity"] = now
    elif kind in ("tag_big_move", "tag_small_move"):
        device.state["_last_activity"] = now
    elif kind == "siren_sounding":
        device.state["status"] = "sound"
    elif kind == "person" and event.person_id:
        for person in home.persons:
            if person.id == event.person_id:
                person.last_seen, person.out_of_sight = now, False
