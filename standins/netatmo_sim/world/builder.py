"""Small helpers to assemble homes: rooms, devices with bridges, schedules, persons."""

from __future__ import annotations

import random

from standins.netatmo_sim.world import ids
from standins.netatmo_sim.world.device_fields import initial_state
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device, Home, Person, Room, Schedule, Zone

# A weekday pattern in minutes from Monday 00:00: night, comfort at 06:00, eco 07:00-16:00,
# comfort from 16:00, night from 22:30; weekends stay comfortable all day.
_DAY = [(1, 0), (0, 360), (4, 420), (0, 960), (1, 1350)]


def weekly_timetable() -> list[tuple[int, int]]:
    """The zone timetable of a typical week (zone ids: 0 comfort, 1 night, 4 eco)."""
    table: list[tuple[int, int]] = []
    for day in range(7):
        pattern = _DAY if day < 5 else [(1, 0), (0, 480), (1, 1380)]
        table.extend((zone, day * 1440 + minute) for zone, minute in pattern)
    return table


class HomeBuilder:
    """Adds rooms and devices to a home, wiring bridges both ways."""

    def __init__(self, home: Home, rng: random.Random) -> None:
        self.home = home
        self.rng = rng

    def room(self, room_id: str, name: str, room_type: str, temp: float = 19.0) -> str:
        """Add a room starting at `temp` degrees; return its id."""
        self.home.rooms[room_id] = Room(room_id, name, room_type, measured=temp)
        return room_id

    def device(
        self,
        device_id: str,
        device_type: str,
        name: str,
        room: str | None = None,
        bridge: str | None = None,
        **extra: object,
    ) -> Device:
        """Add a device of a known type (see device_types.DEVICE_TYPES)."""
        spec = DEVICE_TYPES[device_type]
        dev = Device(
            id=device_id,
            type=device_type,
            name=name,
            home_id=self.home.id,
            room_id=room,
            bridge=bridge,
            setup_date=1_600_000_000 + self.rng.randrange(60_000_000),
            state=initial_state(device_type),
            extra=dict(extra),
            cam_token=ids.hex_id(self.rng, 32) if spec.is_camera else "",
        )
        self.home.devices[device_id] = dev
        if bridge is not None:
            self.home.devices[bridge].bridged.append(device_id)
        return dev

    def schedule(
        self,
        schedule_id: str,
        name: str,
        comfort: dict[str, float],
        selected: bool,
        night_delta: float = 3.0,
        eco_delta: float = 2.0,
    ) -> Schedule:
        """Add a heating schedule with Comfort/Night/Eco zones derived from comfort temps."""
        zones = [
            Zone(0, "Comfort", 0, dict(comfort)),
            Zone(1, "Night", 1, {r: t - night_delta for r, t in comfort.items()}),
            Zone(4, "Eco", 5, {r: t - eco_delta for r, t in comfort.items()}),
        ]
        sched = Schedule(
            id=schedule_id,
            name=name,
            type="therm",
            selected=selected,
            hg_temp=7,
            away_temp=14,
            timetable=weekly_timetable(),
            zones=zones,
            default=not self.home.schedules,
        )
        self.home.schedules.append(sched)
        return sched

    def person(self, person_id: str, pseudo: str | None, now: int, away: bool = False) -> Person:
        """Add a known face (pseudo) or an unknown one (pseudo None)."""
        person = Person(person_id, pseudo, ids.hex_id(self.rng, 20), now - self.rng.randrange(7200), away)
        self.home.persons.append(person)
        return person
