"""Rendering a device's topology and status fields from the device type table.

Status values come from three places, in this order: the device's mutable `state` (what
setstate or events changed), a dynamic resolver (`DYNAMIC`, e.g. `vpn_url`, `boiler_status`),
then the static default of its `DeviceSpec`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from standins.netatmo_sim.world.device_types import DEVICE_TYPES, DYN, DeviceSpec
from standins.netatmo_sim.world.model import Device


class StatusContext(Protocol):
    """What a status resolver may ask of the world while rendering one device."""

    now: int

    def camera_url(self, device: Device) -> str:
        """Absolute vpn_url of a camera (carries its access token)."""
        ...

    def boiler_on(self, home_id: str) -> bool:
        """Whether the home's boiler currently heats."""
        ...

    def weather(self, device: Device) -> dict[str, Any]:
        """Current weather readings of a station module."""
        ...


def _power(dev: Device, ctx: StatusContext) -> int:
    if not dev.state.get("on"):
        return 0
    base = 40 if dev.type == "NLP" else 9
    return int(base * dev.state.get("brightness", 100) / 100) if dev.type == "NLFN" else base


DYNAMIC: dict[str, Callable[[Device, StatusContext], Any]] = {
    "vpn_url": lambda dev, ctx: ctx.camera_url(dev),
    "bridge": lambda dev, ctx: dev.bridge,
    "reachable": lambda dev, ctx: dev.reachable,
    "last_seen": lambda dev, ctx: ctx.now - 120,
    "last_message": lambda dev, ctx: ctx.now - 120,
    "last_activity": lambda dev, ctx: int(dev.state.get("_last_activity", ctx.now - 3600)),
    "boiler_status": lambda dev, ctx: ctx.boiler_on(dev.home_id),
    "power": _power,
    "ts": lambda dev, ctx: ctx.now - 60,
    "temperature": lambda dev, ctx: ctx.weather(dev)["temperature"],
    "co2": lambda dev, ctx: ctx.weather(dev)["co2"],
    "humidity": lambda dev, ctx: ctx.weather(dev)["humidity"],
    "noise": lambda dev, ctx: ctx.weather(dev)["noise"],
    "pressure": lambda dev, ctx: ctx.weather(dev)["pressure"],
    "absolute_pressure": lambda dev, ctx: ctx.weather(dev)["absolute_pressure"],
}


def spec_of(device_type: str) -> DeviceSpec:
    """Return the spec of a type (KeyError for a type the table lacks)."""
    return DEVICE_TYPES[device_type]


def initial_state(device_type: str) -> dict[str, Any]:
    """The mutable fields a new device of that type starts with (its settable defaults)."""
    spec = DEVICE_TYPES[device_type]
    state = {k: v for k, v in spec.status.items() if k in spec.settable and v is not DYN}
    if "on" in spec.status:
        state["on"] = spec.status["on"]
    if "current_position" in spec.status:
        state["current_position"] = spec.status["current_position"]
    if device_type == "NOC":
        state["siren_status"] = "no_sound"
    if device_type in ("NACamDoorTag", "NIS"):
        state["status"] = spec.status["status"]
    return state


def topology_of(dev: Device, ctx: StatusContext) -> dict[str, Any]:
    """The homesdata module object of a device."""
    spec = DEVICE_TYPES[dev.type]
    out: dict[str, Any] = {"id": dev.id, "type": dev.type, "name": dev.name, "setup_date": dev.setup_date}
    if dev.room_id is not None:
        out["room_id"] = dev.room_id
    if dev.bridge is not None:
        out["bridge"] = dev.bridge
    if spec.is_bridge:
        out["modules_bridged"] = list(dev.bridged)
    for key, value in spec.topology.items():
        default = DYNAMIC[key](dev, ctx) if value is DYN else value
        out[key] = dev.extra.get(key, default)
    return out


def status_of(dev: Device, ctx: StatusContext) -> dict[str, Any]:
    """The homestatus module object of a reachable device."""
    spec = DEVICE_TYPES[dev.type]
    out: dict[str, Any] = {"id": dev.id, "type": dev.type}
    for key, default in spec.status.items():
        if key in dev.state:
            out[key] = dev.state[key]
        elif default is DYN:
            out[key] = DYNAMIC[key](dev, ctx)
        else:
            out[key] = default
    return out
