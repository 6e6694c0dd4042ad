"""Webhook payload bodies, shaped like fixtures/webhooks/webhook_payloads.json.

Kinds: webhook_activation / webhook_deactivation; security events `<Type>-<event>` (person,
movement, on/off, connection/disconnection, light_mode, tags, smoke/CO with sub_type, ...);
`home_event_changed` (therm_mode, schedule); `display_change` (set_point, cancel_set_point);
`device_event` (Legrand module state).
"""

from __future__ import annotations

import itertools
from typing import Any

from standins.netatmo_sim.api import render
from standins.netatmo_sim.world import thermal
from standins.netatmo_sim.world.model import Device, Event, Home
from standins.netatmo_sim.world.world import World

_SEQUENCE = itertools.count(1000)


def activation(account_id: str, email: str) -> dict[str, Any]:
    """Sent right after addwebhook."""
    return {
        "user_id": account_id,
        "user": {"id": account_id, "email": email},
        "push_type": "webhook_activation",
    }


def deactivation(account_id: str) -> dict[str, Any]:
    """Sent when the simulator gives up on a failing endpoint."""
    return {"user_id": account_id, "push_type": "webhook_deactivation"}


def security_event(world: World, home: Home, event: Event) -> dict[str, Any]:
    """`<CameraType>-<event_type>` payload of a security/alarm event."""
    camera = home.devices[event.device_id]
    payload: dict[str, Any] = {
        "user_id": home.account_id,
        "event_type": event.type,
        "event_id": event.id,
        "home_id": home.id,
        "home_name": home.name,
        "camera_id": camera.id,
        "device_id": camera.id,
        "message": event.message,
        "push_type": f"{camera.type}-{event.type}",
    }
    if event.module_id != event.device_id:
        payload["module_id"] = event.module_id
    if event.sub_type is not None:
        payload["sub_type"] = event.sub_type
    if event.snapshot_key and event.type != "outdoor":
        payload.update(
            snapshot_id=event.id,
            snapshot_key=event.snapshot_key,
            snapshot_url=render.snapshot_url(world, event.id, event.snapshot_key),
        )
    if event.type == "person" and event.person_id:
        person = next((p for p in home.persons if p.id == event.person_id), None)
        if person is not None:
            payload["persons"] = [
                {
                    "id": person.id,
                    "face_id": person.id.replace("-", "")[:24],
                    "face_key": person.face_key,
                    "is_known": person.pseudo is not None,
                    "face_url": f"{world.public_url}/_face/{person.id}/{person.face_key}.jpg",
                }
            ]
    if event.type == "outdoor":
        payload["event_list"] = [
            {
                "type": s.type,
                "time": s.time,
                "offset": s.offset,
                "id": s.id,
                "message": s.message,
                "snapshot_id": s.id,
                "snapshot_key": s.snapshot_key,
                "snapshot_url": render.snapshot_url(world, s.id, s.snapshot_key),
            }
            for s in event.subevents
        ]
    return payload


def _room_block(world: World, home: Home, room_id: str) -> tuple[dict[str, Any], thermal.Setpoint]:
    room = home.rooms[room_id]
    sp = thermal.setpoint(home, room, world.clock())
    block = {
        "id": room.id,
        "name": room.name,
        "type": room.type,
        "therm_setpoint_mode": sp.mode,
        "therm_setpoint_temperature": sp.temperature,
        "therm_setpoint_end_time": sp.end,
    }
    return block, sp


def display_change(world: World, home: Home, room_id: str, event_type: str) -> dict[str, Any]:
    """set_point / cancel_set_point of a room."""
    block, sp = _room_block(world, home, room_id)
    modules = [
        {"id": d.id, "name": d.name, "type": d.type}
        for d in home.devices.values()
        if d.room_id == room_id and d.type in ("NATherm1", "NRV")
    ]
    return {
        "room_id": room_id,
        "home": {"id": home.id, "name": home.name, "rooms": [block], "modules": modules},
        "mode": sp.mode,
        "event_type": event_type,
        "temperature": sp.temperature,
        "push_type": "display_change",
    }


def device_event(home: Home, device: Device) -> dict[str, Any]:
    """Legrand module state change (`device_event` with `extra_params.modules`)."""
    module: dict[str, Any] = {
        "id": device.id,
        "type": device.type,
        "reachable": device.reachable,
        "room_id": device.room_id,
    }
    for key in ("on", "brightness", "current_position", "target_position"):
        if key in device.state:
            module[key] = device.state[key]
    if "on" in device.state:
        module["power"] = 0 if not device.state["on"] else 40
    return {
        "extra_params": {
            "correlation_id": next(_SEQUENCE) * 7919,
            "modules": [module],
            "sequence_id": next(_SEQUENCE),
            "source": "netcom",
        },
        "push_type": "device_event",
        "device_id": device.bridge or device.id,
        "home_id": home.id,
    }


def for_change(world: World, kind: str, home: Home, data: dict[str, Any]) -> dict[str, Any] | None:
    """The payload for a world notification, or None when Netatmo would push nothing."""
    if kind == "event":
        event: Event = data["event"]
        if event.type in ("person_home", "person_away"):
            return None
        return security_event(world, home, event)
    if kind == "therm_mode":
        account = world.account(home.account_id)
        return {
            "user_id": home.account_id,
            "user": {"id": home.account_id, "email": account.email if account else ""},
            "home_id": home.id,
            "event_type": "therm_mode",
            "home": {"id": home.id, "therm_mode": data["mode"]},
            "mode": data["mode"],
            "previous_mode": data["previous_mode"],
            "push_type": "home_event_changed",
        }
    if kind == "schedule":
        return {
            "event_type": "schedule",
            "schedule_id": data["schedule_id"],
            "home_id": home.id,
            "push_type": "home_event_changed",
        }
    if kind in ("set_point", "cancel_set_point"):
        return display_change(world, home, data["room_id"], kind)
    if kind == "device_state":
        return device_event(home, data["device"])
    if kind == "topology":
        return topology_changed(home, data["ids"])
    return None


def topology_changed(home: Home, touched: list[str]) -> dict[str, Any]:
    """`topology_changed` after a device or room changed in the app (partial `home.modules[]`)."""
    modules = [
        {"id": dev.id, "name": dev.name, **({"bridge": dev.bridge} if dev.bridge else {})}
        for dev in (home.devices.get(item) for item in touched)
        if dev is not None
    ]
    return {
        "change": "module_updated" if modules else "room_created",
        "home_id": home.id,
        "home": {"id": home.id, "modules": modules},
        "push_type": "topology_changed",
    }
