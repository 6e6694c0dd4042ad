"""Plain data of the simulated Netatmo world: accounts, homes, rooms, devices, events.

Nothing here knows about HTTP. The API layer reads and mutates these objects; the rules
that change them over time (thermal drift, scenarios, events) live in sibling modules so
each can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Device:
    """One module or device of a home, with its mutable status fields.

    `state` holds the fields a client can change or that change over time (monitoring,
    floodlight, on, brightness, target_position, ...). Static per-type status fields come
    from the device type table, so a device only stores what differs.
    """

    id: str
    type: str
    name: str
    home_id: str
    room_id: str | None = None
    bridge: str | None = None
    bridged: list[str] = field(default_factory=list)
    setup_date: int = 1_600_000_000
    reachable: bool = True
    state: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    cam_token: str = ""


@dataclass(slots=True)
class Room:
    """A room; heating rooms also carry the thermal state the thermal model advances."""

    id: str
    name: str
    type: str
    measured: float = 19.0
    updated_at: float = 0.0
    override_mode: str | None = None
    override_temp: float | None = None
    override_start: int = 0
    override_end: int = 0


@dataclass(slots=True)
class Zone:
    """A schedule zone: a named set of per-room temperatures."""

    id: int
    name: str
    type: int
    temps: dict[str, float]


@dataclass(slots=True)
class Schedule:
    """A weekly heating schedule (`timetable` pairs are (zone_id, minutes from Monday 00:00))."""

    id: str
    name: str
    type: str
    selected: bool
    hg_temp: float
    away_temp: float
    timetable: list[tuple[int, int]]
    zones: list[Zone]
    default: bool = False


@dataclass(slots=True)
class Person:
    """A face the cameras know (pseudo set) or an unknown face (pseudo None)."""

    id: str
    pseudo: str | None
    face_key: str
    last_seen: int
    out_of_sight: bool


@dataclass(slots=True)
class SubEvent:
    """A detection inside an outdoor camera event (human, animal, vehicle)."""

    id: str
    type: str
    time: int
    offset: int
    message: str
    snapshot_key: str
    on_camera: bool = False


@dataclass(slots=True)
class Event:
    """An event as getevents lists it and webhooks push it."""

    id: str
    type: str
    time: int
    home_id: str
    device_id: str
    module_id: str
    message: str
    person_id: str | None = None
    sub_type: int | str | None = None
    video_id: str | None = None
    snapshot_key: str | None = None
    subevents: list[SubEvent] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Scenario:
    """A Legrand scenario: launching it applies `actions` (device id -> state fields)."""

    type: str
    id: str
    name: str
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class Home:
    """A home, owning its rooms, devices (in topology order), schedules, persons and events."""

    id: str
    name: str
    account_id: str
    timezone: str = "Europe/Paris"
    country: str = "FR"
    altitude: int = 35
    coordinates: tuple[float, float] = (48.85, 2.35)
    rooms: dict[str, Room] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    therm_mode: str = "schedule"
    therm_mode_end: int = 0
    default_duration: int = 180
    outdoor_temp: float = 8.0

    def device(self, device_id: str) -> Device | None:
        """Return the device with that id, or None."""
        return self.devices.get(device_id)

    def selected_schedule(self) -> Schedule | None:
        """Return the selected heating schedule (the first one if none is flagged)."""
        therm = [s for s in self.schedules if s.type == "therm"]
        return next((s for s in therm if s.selected), therm[0] if therm else None)

    def heating_rooms(self) -> list[Room]:
        """Rooms that hold a thermostat or a valve (the ones homestatus reports)."""
        ids = {d.room_id for d in self.devices.values() if d.type in HEATING_TYPES}
        return [r for r in self.rooms.values() if r.id in ids]

    def setstate_only(self, room_id: str) -> bool:
        """Whether a room is driven by a device that refuses setroomthermpoint (a Smarther)."""
        return any(d.room_id == room_id and d.type in SETSTATE_ONLY_TYPES for d in self.devices.values())


@dataclass(slots=True)
class Account:
    """A Netatmo user: the owner of homes, the subject of OAuth tokens."""

    id: str
    email: str
    display_name: str
    home_ids: list[str] = field(default_factory=list)
    language: str = "en-US"


HEATING_TYPES = frozenset({"NATherm1", "NRV", "BNS"})
# Rooms these drive refuse setroomthermpoint (Netatmo answers 500 code 11): setstate `rooms` only.
SETSTATE_ONLY_TYPES = frozenset({"BNS"})
