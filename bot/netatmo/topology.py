"""Our small view of `homesdata`: homes with the security devices the bot talks about.

Kept as plain frozen dataclasses (not pyatmo objects) so linking, /homes and the storage rows do not depend
on pyatmo's model, which changes between versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAMERA_TYPES = frozenset({"NACamera", "NOC", "NPC", "NDB"})
ALARM_TYPES = frozenset({"NSD", "NCO"})
SENSOR_TYPES = frozenset({"NACamDoorTag", "NIS"})
SECURITY_TYPES = CAMERA_TYPES | ALARM_TYPES | SENSOR_TYPES


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    type: str
    name: str
    bridge: str | None = None  # the camera a door tag or siren talks through (getevents names only the tag)

    @property
    def is_camera(self) -> bool:
        return self.type in CAMERA_TYPES

    @property
    def is_alarm(self) -> bool:
        return self.type in ALARM_TYPES


@dataclass(frozen=True)
class HomeInfo:
    id: str
    name: str
    timezone: str
    devices: tuple[DeviceInfo, ...] = field(default_factory=tuple)

    @property
    def cameras(self) -> tuple[DeviceInfo, ...]:
        return tuple(device for device in self.devices if device.is_camera)

    @property
    def alarms(self) -> tuple[DeviceInfo, ...]:
        return tuple(device for device in self.devices if device.is_alarm)


def parse_homes(body: Any) -> list[HomeInfo]:
    """Homes of a `homesdata` body (`{"homes": [...], "user": {...}}`), skipping malformed entries."""
    homes: list[HomeInfo] = []
    raw_homes = body.get("homes") if isinstance(body, dict) else None
    for raw in raw_homes if isinstance(raw_homes, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        devices = []
        for module in raw.get("modules") or []:
            if not isinstance(module, dict) or module.get("type") not in SECURITY_TYPES:
                continue
            module_id = str(module.get("id", ""))
            bridge = module.get("bridge")
            if module_id:
                devices.append(
                    DeviceInfo(
                        module_id,
                        str(module["type"]),
                        str(module.get("name") or ""),
                        bridge if isinstance(bridge, str) and bridge else None,
                    )
                )
        homes.append(
            HomeInfo(
                id=raw["id"],
                name=str(raw.get("name") or "Home"),
                timezone=str(raw.get("timezone") or "UTC"),
                devices=tuple(devices),
            )
        )
    return homes


def netatmo_user_id(body: Any) -> str | None:
    """The account id in `homesdata`'s `user` block, when Netatmo sends one."""
    user = body.get("user") if isinstance(body, dict) else None
    if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]:
        return str(user["id"])
    return None
