"""Helpers for the simulator tests: key-structure comparison and a token shortcut.

Structure comparison: `shape(value)` summarises nested keys and value types; merging the shapes
of several instances (list items of one kind, or several fixture files) keeps the union of keys
and remembers which keys every instance had (`required`). `compare(sim, fixture)` then reports
keys the simulator emits that no fixture has, required fixture keys the simulator lacks, and
value-type mismatches. `null` is compatible with anything (fixtures use it for "no value").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TokenFactory = Callable[..., Awaitable[dict[str, Any]]]
FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "netatmo" / "fixtures"
CLIENT_ID = "sim-client-id"
CLIENT_SECRET = "sim-client-secret"
REDIRECT = "http://127.0.0.1:9/callback"
ALL_SCOPES = (
    "read_station read_camera write_camera access_camera read_presence write_presence access_presence "
    "read_doorbell access_doorbell read_camerapro write_camerapro access_camerapro read_smokedetector "
    "read_carbonmonoxidedetector read_thermostat write_thermostat read_magellan write_magellan read_homecoach"
)


def load_fixture(relative: str) -> Any:
    """A fixture JSON file by path relative to the fixtures folder."""
    return json.loads((FIXTURES / relative).read_text())


@dataclass
class Shape:
    """Union of the structure of one or more JSON values."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    required: set[str] | None = None
    items: Shape | None = None

    def merge(self, other: Shape) -> Shape:
        """Union with another shape (in place; returns self)."""
        self.types |= other.types
        if "dict" in other.types:
            self.required = (
                set(other.required or ())
                if self.required is None
                else self.required & (other.required or set())
            )
            for key, sub in other.keys.items():
                self.keys[key] = self.keys[key].merge(sub) if key in self.keys else sub
        if other.items is not None:
            self.items = other.items if self.items is None else self.items.merge(other.items)
        return self


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape(value: Any, maps: frozenset[str] = frozenset()) -> Shape:
    """Shape of a JSON value; keys named in `maps` hold id-keyed maps (compared by value shape)."""
    if isinstance(value, dict):
        out = Shape(types={"dict"}, required=set())
        for key, sub in value.items():
            if key in maps and isinstance(sub, dict):
                inner = Shape(types={"map"})
                for v in sub.values():
                    inner.items = shape(v, maps) if inner.items is None else inner.items.merge(shape(v, maps))
                out.keys[key] = inner
            else:
                out.keys[key] = shape(sub, maps)
            out.required = (out.required or set()) | {key}
        return out
    if isinstance(value, list):
        out = Shape(types={"list"})
        for item in value:
            out.items = shape(item, maps) if out.items is None else out.items.merge(shape(item, maps))
        return out
    return Shape(types={_scalar(value)})


def union(values: Iterable[Any], maps: frozenset[str] = frozenset()) -> Shape:
    """Merged shape of several values (e.g. all modules of one type across fixture files)."""
    result: Shape | None = None
    for value in values:
        result = shape(value, maps) if result is None else result.merge(shape(value, maps))
    assert result is not None, "no values to merge"
    return result


def compare(sim: Shape, fixture: Shape, path: str = "$", extra_ok: frozenset[str] = frozenset()) -> list[str]:
    """Differences of the simulator's shape from the fixture's (empty list = same structure)."""
    problems: list[str] = []
    sim_types, fix_types = sim.types - {"null"}, fixture.types - {"null"}
    if sim_types and fix_types and not sim_types <= fix_types:
        problems.append(f"{path}: simulator type {sorted(sim_types)} vs fixture {sorted(fix_types)}")
    if "dict" in sim.types and "dict" in fixture.types:
        extra = set(sim.keys) - set(fixture.keys) - extra_ok
        missing = (fixture.required or set()) - set(sim.keys)
        problems += [f"{path}.{k}: not in any fixture" for k in sorted(extra)]
        problems += [f"{path}.{k}: required by fixture, missing" for k in sorted(missing)]
        for key in set(sim.keys) & set(fixture.keys):
            problems += compare(sim.keys[key], fixture.keys[key], f"{path}.{key}", extra_ok)
    if sim.items is not None and fixture.items is not None:
        problems += compare(sim.items, fixture.items, f"{path}[]", extra_ok)
    return problems


def by_kind(items: Iterable[dict[str, Any]], key: str = "type") -> dict[str, list[dict[str, Any]]]:
    """Group list items by their kind (module type, event type...)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(str(item.get(key)), []).append(item)
    return out


def without(value: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A shallow copy without some keys (lists compared per kind separately)."""
    return {k: v for k, v in value.items() if k not in keys}
