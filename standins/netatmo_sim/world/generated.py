"""Extra accounts for benchmarks: `--homes N` adds N accounts with one small home each.

They are built lazily on first use and their ids encode their index, so 10,000 of them cost
nothing until touched and any id can be resolved without a lookup table. The seed changes the
readings and names, never the ids.
"""

from __future__ import annotations

import random

from standins.netatmo_sim.world.builder import HomeBuilder
from standins.netatmo_sim.world.model import Account, Home

_ACCOUNT_PREFIX = "5f00"
_HOME_PREFIX = "6a00"
_DEVICE_PREFIX = 0x72
ROLE_RELAY, ROLE_THERMOSTAT, ROLE_CAMERA = 1, 2, 3
_FIRST_NAMES = ("Alex", "Sam", "Charlie", "Robin", "Kim", "Noa", "Jules", "Camille", "Eden", "Max")


def account_id(index: int) -> str:
    """Id of the index-th extra account (24 hex)."""
    return f"{_ACCOUNT_PREFIX}{index:020x}"


def home_id(index: int) -> str:
    """Id of the index-th extra home (24 hex)."""
    return f"{_HOME_PREFIX}{index:020x}"


def device_id(index: int, role: int) -> str:
    """MAC-style id of one device of the index-th extra home."""
    octets = [_DEVICE_PREFIX, role, (index >> 24) & 255, (index >> 16) & 255, (index >> 8) & 255, index & 255]
    return ":".join(f"{o:02x}" for o in octets)


def room_id(index: int) -> str:
    """Numeric id of the single room of the index-th extra home."""
    return str(5_000_000_000 + index)


def _index(value: str, prefix: str) -> int | None:
    if len(value) != 24 or not value.startswith(prefix):
        return None
    try:
        return int(value[len(prefix) :], 16)
    except ValueError:
        return None


def index_of_account(value: str) -> int | None:
    """Index encoded in an extra account id, or None."""
    return _index(value, _ACCOUNT_PREFIX)


def index_of_home(value: str) -> int | None:
    """Index encoded in an extra home id, or None."""
    return _index(value, _HOME_PREFIX)


def index_of_device(value: str) -> int | None:
    """Index encoded in an extra home's device id, or None."""
    parts = value.split(":")
    if len(parts) != 6 or parts[0] != f"{_DEVICE_PREFIX:02x}":
        return None
    try:
        octets = [int(p, 16) for p in parts[2:]]
    except ValueError:
        return None
    return (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]


def build_account(index: int, seed: int) -> Account:
    """The index-th extra account (cheap: no home is built)."""
    name = _FIRST_NAMES[(index + seed) % len(_FIRST_NAMES)]
    return Account(account_id(index), f"user{index}@example.invalid", f"{name} #{index}", [home_id(index)])


def build_home(index: int, seed: int, now: int) -> Home:
    """The index-th extra home: a relay, a thermostat and an indoor camera in one room."""
    rng = random.Random(f"{seed}:{index}")
    home = Home(home_id(index), f"Home {index}", account_id(index))
    b = HomeBuilder(home, rng)
    room = b.room(room_id(index), "Living room", "livingroom", 17.0 + 3 * rng.random())
    relay = device_id(index, ROLE_RELAY)
    b.device(relay, "NAPlug", "Relay")
    b.device(device_id(index, ROLE_THERMOSTAT), "NATherm1", "Thermostat", room, relay)
    b.device(device_id(index, ROLE_CAMERA), "NACamera", "Camera", room)
    b.schedule(f"6b00{index:020x}", "Standard", {room: 19.0 + rng.randrange(3)}, selected=True)
    return home
