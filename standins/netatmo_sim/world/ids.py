"""Deterministic identifiers in the real formats (24-hex ids, MAC-style device ids, UUIDs).

Everything takes a `random.Random` so a seed reproduces the whole world.
"""

from __future__ import annotations

import random
import uuid


def hex_id(rng: random.Random, length: int = 24) -> str:
    """A lowercase hex id such as a home, user or event id."""
    return f"{rng.getrandbits(length * 4):0{length}x}"


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (person ids, video ids, session ids)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def room_id(rng: random.Random) -> str:
    """A numeric room id as Netatmo uses (10 digits)."""
    return str(rng.randrange(1_000_000_000, 4_000_000_000))


def mac(*octets: int) -> str:
    """A MAC-style device id from six octets."""
    return ":".join(f"{o & 0xFF:02x}" for o in octets)
