"""Netatmo calls of Home+Control (Legrand): lights, dimmers, plugs and shutters, read and set.

Our storage keeps only security devices, so this screen reads names (homesdata) and state
(homestatus) from Netatmo each time; a write is one `setstate` for one module, naming its gateway as
`bridge` as the real API expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.netatmo.errors import check_body_errors
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.security import home_topology, status_modules

LIGHT_TYPES = frozenset({"NLL", "NLF", "NLFN", "NLFE", "NLIS", "NLM", "BNLD"})
DIMMER_TYPES = frozenset({"NLFN", "NLFE", "BNLD"})
PLUG_TYPES = frozenset({"NLP", "NLPM", "NLPC", "NLPO", "NLC"})
SHUTTER_TYPES = frozenset({"NLV", "NLLV", "NBR", "NBO", "NBS", "Z3V"})
SHUTTER_STOP = -1  # target_position -1: stop where it is
BRIGHTNESS_STEPS = (25, 50, 75, 100)
POSITION_STEPS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Device:
    id: str
    type: str
    name: str
    kind: str  # light | plug | shutter
    bridge: str | None
    reachable: bool
    on: bool | None = None
    brightness: int | None = None  # dimmers only, 0-100
    power: int | None = None  # watts, when the module measures it
    position: int | None = None  # shutters: 0 closed … 100 open

    @property
    def dimmable(self) -> bool:
        return self.type in DIMMER_TYPES


def kind_of(device_type: str) -> str | None:
    if device_type in LIGHT_TYPES:
        return "light"
    if device_type in PLUG_TYPES:
        return "plug"
    if device_type in SHUTTER_TYPES:
        return "shutter"
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_devices(topology: dict[str, Any], status: dict[str, Any]) -> list[Device]:
    """The Home+Control modules of one homesdata home with their homestatus state."""
    by_id, failed = status_modules(status)
    found = []
    for module in topology.get("modules") or []:
        if not isinstance(module, dict) or not module.get("id"):
            continue
        kind = kind_of(str(module.get("type")))
        if kind is None:
            continue
        device_id = str(module["id"])
        state = by_id.get(device_id, {})
        on = state.get("on")
        bridge = module.get("bridge") or state.get("bridge")
        found.append(
            Device(
                id=device_id,
                type=str(module["type"]),
                name=str(module.get("name") or device_id),
                kind=kind,
                bridge=str(bridge) if bridge else None,
                reachable=bool(state) and device_id not in failed and state.get("reachable") is not False,
                on=on if isinstance(on, bool) else None,
                brightness=_int(state.get("brightness")),
                power=_int(state.get("power")),
                position=_int(state.get("current_position")),
            )
        )
    return found


async def home_devices(gateway: NetatmoGateway, link_id: int, home_id: str) -> list[Device]:
    topology = await home_topology(gateway, link_id, home_id)
    status = await gateway.home_status(link_id, home_id)
    return parse_devices(topology, status)


async def set_device(
    gateway: NetatmoGateway, link_id: int, home_id: str, device: Device, **fields: Any
) -> None:
    """One setstate on one module (`on`, `brightness`, `target_position`)."""
    module: dict[str, Any] = {"id": device.id, **fields}
    if device.bridge:
        module["bridge"] = device.bridge
    payload = await gateway.api(
        link_id,
        "api/setstate",
        json={"home": {"id": home_id, "modules": [module]}},
        scope_hint="write_magellan",
    )
    check_body_errors(payload.get("body"), endpoint="api/setstate")
