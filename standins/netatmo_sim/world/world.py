"""The World: registry of accounts and homes, the clock, and change notifications.

The API layer asks the world for accounts, homes and devices; the admin API and the event
generator create events through it; the webhook pusher subscribes to its notifications.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from standins.netatmo_sim.world import demo, generated, thermal
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.events import create_event
from standins.netatmo_sim.world.model import Account, Device, Event, Home, SubEvent

Listener = Callable[[str, Home, dict[str, Any]], None]
"""Called with (kind, home, data) when something a webhook reports happens."""


class World:
    """All simulated accounts and homes, plus the rules' shared clock and randomness."""

    def __init__(self, seed: int = 0, extra_homes: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self.extra_homes = extra_homes
        self.clock = clock
        self.rng = random.Random(seed)
        self.public_url = "http://127.0.0.1"
        self.snapshot_delay = 0.0
        self.accounts: dict[str, Account] = {a.id: a for a in demo.demo_accounts()}
        self.homes: dict[str, Home] = {}
        self._device_home: dict[str, str] = {}
        self._camera_tokens: dict[str, str] = {}
        self._event_index: dict[str, tuple[str, str, str | None]] = {}
        self._listeners: list[Listener] = []
        now = self.now()
        for build in (demo.build_home_one, demo.build_home_two, demo.build_second_home):
            self._register(build(random.Random(f"{seed}:{build.__name__}"), now))

    # --- clock and registry -------------------------------------------------------------

    def now(self) -> int:
        """Current simulated time in epoch seconds."""
        return int(self.clock())

    def _register(self, home: Home) -> Home:
        self.homes[home.id] = home
        for dev_id, dev in home.devices.items():
            self._device_home[dev_id] = home.id
            if dev.cam_token:
                self._camera_tokens[dev.cam_token] = dev_id
        return home

    def account(self, account_id: str) -> Account | None:
        """An account by id (extra accounts are materialised on demand)."""
        if account_id in self.accounts:
            return self.accounts[account_id]
        index = generated.index_of_account(account_id)
        if index is None or index >= self.extra_homes:
            return None
        account = generated.build_account(index, self.seed)
        self.accounts[account_id] = account
        return account

    def home(self, home_id: str) -> Home | None:
        """A home by id (extra homes are built on first access)."""
        if home_id in self.homes:
            return self.homes[home_id]
        index = generated.index_of_home(home_id)
        if index is None or index >= self.extra_homes:
            return None
        return self._register(generated.build_home(index, self.seed, self.now()))

    def find_device(self, device_id: str) -> tuple[Home, Device] | None:
        """The home and device of a device id, or None."""
        home_id = self._device_home.get(device_id)
        if home_id is None:
            index = generated.index_of_device(device_id)
            if index is None or index >= self.extra_homes:
                return None
            home_id = generated.home_id(index)
        home = self.home(home_id)
        dev = home.devices.get(device_id) if home else None
        return (home, dev) if home and dev else None

    def camera_by_token(self, token: str) -> tuple[Home, Device] | None:
        """The camera whose vpn_url carries this access token."""
        device_id = self._camera_tokens.get(token)
        return self.find_device(device_id) if device_id else None

    def homes_of(self, account_id: str) -> list[Home]:
        """The homes an account owns, in order."""
        account = self.account(account_id)
        if account is None:
            return []
        return [h for h in (self.home(hid) for hid in account.home_ids) if h is not None]

    def account_ids(self) -> Iterator[str]:
        """Every account id: the demo ones, then the extra ones (lazily)."""
        yield from (demo.DEMO_ACCOUNT, demo.SECOND_ACCOUNT)
        for index in range(self.extra_homes):
            yield generated.account_id(index)

    # --- notifications ------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Register a callback for world changes (used by the webhook pusher)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Remove a callback registered with subscribe."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self, kind: str, home: Home, data: dict[str, Any]) -> None:
        """Tell listeners about a change (kinds: event, therm_mode, schedule, set_point,
        cancel_set_point, device_state, topology)."""
        for listener in list(self._listeners):
            listener(kind, home, data)

    # --- events -------------------------------------------------------------------------

    def trigger_event(self, home_id: str, device_id: str, event_type: str, **kw: Any) -> Event:
        """Create an event on a device (ValueError if the home, device or type is unknown)."""
        home = self.home(home_id)
        if home is None:
            raise ValueError(f"unknown home {home_id}")
        dev = home.devices.get(device_id)
        if dev is None:
            raise ValueError(f"unknown device {device_id} in home {home_id}")
        allowed = (*DEVICE_TYPES[dev.type].events, "connection", "disconnection")
        if event_type not in allowed:
            raise ValueError(f"{dev.type} has no event {event_type!r}; known: {', '.join(allowed)}")
        event = create_event(home, dev, event_type, self.now(), self.rng, **kw)
        event.extra["ready_at"] = self.clock() + self.snapshot_delay
        self._event_index[event.id] = (home.id, event.id, None)
        for sub in event.subevents:
            self._event_index[sub.id] = (home.id, event.id, sub.id)
        self.notify("event", home, {"event": event})
        return event

    def set_device_online(self, device_id: str, online: bool) -> Event | None:
        """Take a device offline or back online, with its (dis)connection event."""
        found = self.find_device(device_id)
        if found is None:
            raise ValueError(f"unknown device {device_id}")
        home, dev = found
        if dev.reachable == online:
            return None
        return self.trigger_event(home.id, dev.id, "connection" if online else "disconnection")

    def find_event(self, event_or_sub_id: str) -> tuple[Home, Event, SubEvent | None] | None:
        """An event (or outdoor sub-event) by id, with its home."""
        ref = self._event_index.get(event_or_sub_id)
        if ref is None:
            return None
        home = self.homes[ref[0]]
        event = next((e for e in home.events if e.id == ref[1]), None)
        if event is None:
            return None
        sub = next((s for s in event.subevents if s.id == ref[2]), None) if ref[2] else None
        return home, event, sub

    # --- readings -----------------------------------------------------------------------

    def advance(self, home: Home) -> None:
        """Bring a home's thermal state to now."""
        thermal.advance(home, self.clock())

    def weather(self, device: Device) -> dict[str, Any]:
        """Smoothly varying, deterministic weather readings for a station module."""
        t = self.clock() / 3600.0
        phase = (int(device.id.replace(":", "")[-4:], 16) % 100) / 10.0
        outdoor = device.type == "NAModule1"
        return {
            "temperature": round((9.0 if outdoor else 20.5) + 3 * math.sin(t / 4 + phase), 1),
            "humidity": int(60 + 15 * math.sin(t / 6 + phase)) if outdoor else int(45 + 5 * math.sin(t / 5)),
            "co2": int(600 + 200 * math.sin(t / 3 + phase)),
            "noise": int(38 + 4 * math.sin(t)),
            "pressure": round(1015 + 6 * math.sin(t / 12), 1),
            "absolute_pressure": round(1011 + 6 * math.sin(t / 12), 1),
        }
