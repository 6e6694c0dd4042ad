"""Offline detection: one alert when a device stays offline, one when it comes back, nothing for a blip.

Netatmo says a device went away in two ways: `disconnection`/`connection` events (webhook or getevents) and
`homestatus` errors with code 6 ("unreachable"). Either one moves the device's state in `home_devices`
(`reachable`, `unreachable_since`, `offline_alerted`); the alert itself is decided later by `tick`, only once
the device has been away for `offline_after` seconds, so a router reboot does not wake anybody.

Alerts are synthetic SecurityEvents whose ids are derived from the outage itself
(`offline:<device>:<since>` and `online:<device>:<since>`): replicas or a restart that decide the same thing
twice produce the same key, and the events table's unique key lets only one of them through.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import Kind, SecurityEvent, Severity
from bot.storage import reachability as reachability_store
from bot.storage.models import HomeDevice

LOG = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

UNREACHABLE_CODE = 6  # homestatus body.errors[].code for "device not connected"
SYNTHETIC_PREFIXES = ("offline:", "online:")


@dataclass(frozen=True)
class ReachabilityConfig:
    offline_after: float = 300.0  # seconds a device must stay away before anyone is told


@dataclass(frozen=True)
class Observation:
    """Netatmo said at `at` that `device_id` of `home_id` is (un)reachable."""

    home_id: str
    device_id: str
    reachable: bool
    at: datetime


def is_synthetic(event: SecurityEvent) -> bool:
    return event.event_id.startswith(SYNTHETIC_PREFIXES)


def is_connection_event(event: SecurityEvent) -> bool:
    """A raw connection/disconnection event (input of these rules, not an alert by itself)."""
    return event.kind in (Kind.CAMERA_OFFLINE, Kind.CAMERA_ONLINE) and not is_synthetic(event)


def observations_from_events(events: Iterable[SecurityEvent]) -> list[Observation]:
    """Observations from raw connection events, oldest first."""
    found = [
        Observation(e.home_id, device, e.kind is Kind.CAMERA_ONLINE, datetime.fromtimestamp(e.time, UTC))
        for e in events
        if is_connection_event(e) and (device := e.source_device) is not None
    ]
    return sorted(found, key=lambda o: o.at)


def observations_from_status(home_id: str, body: Mapping[str, Any], at: datetime) -> list[Observation]:
    """Observations from a `homestatus` body: code 6 errors are away, listed modules are there."""
    away: set[str] = set()
    for error in body.get("errors") or ():
        if isinstance(error, Mapping) and error.get("code") == UNREACHABLE_CODE and error.get("id"):
            away.add(str(error["id"]))
    home = body.get("home")
    modules = home.get("modules") if isinstance(home, Mapping) else None
    present: set[str] = set()
    for module in modules if isinstance(modules, list) else ():
        if not isinstance(module, Mapping) or not module.get("id"):
            continue
        (away if module.get("reachable") is False else present).add(str(module["id"]))
    found = [Observation(home_id, device, False, at) for device in sorted(away)]
    found += [Observation(home_id, device, True, at) for device in sorted(present - away)]
    return found


async def observe(sessions: Sessions, observations: Sequence[Observation]) -> list[SecurityEvent]:
    """Apply observations (oldest first); returns the back-online alerts they cause.

    Devices that are not in `home_devices` (not a security device of a linked home) are ignored.
    """
    by_home: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        by_home[observation.home_id].append(observation)
    alerts: list[SecurityEvent] = []
    names: dict[str, str] = {}
    for home_id, items in by_home.items():
        async with sessions.begin() as session:
            alerts.extend(await _observe_home(session, home_id, items, names))
    return merge_per_home(alerts, names)


async def _observe_home(
    session: AsyncSession, home_id: str, observations: list[Observation], names: dict[str, str]
) -> list[SecurityEvent]:
    devices = await reachability_store.devices(session, home_id, {o.device_id for o in observations})
    names.update({row.device_id: row.name or row.device_id for row in devices.values()})
    alerts: list[SecurityEvent] = []
    for observation in observations:
        device = devices.get(observation.device_id)
        if device is None:
            continue
        if not observation.reachable:
            if device.reachable:
                device.reachable = False
                device.unreachable_since = observation.at
                device.offline_alerted = False
                LOG.info("device_unreachable home=%s device=%s", home_id, device.device_id)
            continue
        if device.reachable:
            continue
        since = device.unreachable_since
        if since is not None and observation.at < since:
            continue  # an older "connected" than the outage we know of: stale news
        if device.offline_alerted and since is not None:
            alerts.append(_alert(device, Kind.CAMERA_ONLINE, since, observation.at))
        LOG.info(
            "device_reachable home=%s device=%s alerted=%s", home_id, device.device_id, device.offline_alerted
        )
        device.reachable = True
        device.unreachable_since = None
        device.offline_alerted = False
    return alerts


async def tick(
    sessions: Sessions, now: datetime, config: ReachabilityConfig, home_ids: Iterable[str] | None = None
) -> list[SecurityEvent]:
    """Offline alerts for devices away longer than `offline_after` and not alerted yet (each once)."""
    cutoff = now - timedelta(seconds=config.offline_after)
    alerts: list[SecurityEvent] = []
    names: dict[str, str] = {}
    async with sessions.begin() as session:
        for device in await reachability_store.overdue(session, cutoff, home_ids):
            names[device.device_id] = device.name or device.device_id
            since = device.unreachable_since
            assert since is not None
            if await reachability_store.claim_offline_alert(session, device):
                alerts.append(_alert(device, Kind.CAMERA_OFFLINE, since, since))
                LOG.info("device_offline_alert home=%s device=%s", device.home_id, device.device_id)
    return merge_per_home(alerts, names)


def merge_per_home(alerts: Sequence[SecurityEvent], names: Mapping[str, str]) -> list[SecurityEvent]:
    """Several devices of one home going away (or coming back) together — a router or power cut — make
    one alert naming them all, not one alert per camera.

    The merged alert has no device (so no camera mute or camera filter hides it) and lists the device
    names in `message`; its id is derived from the home and the earliest outage it covers, so a replica
    or a restart that merges the same devices produces the same key.
    """
    groups: dict[tuple[str, Kind], list[SecurityEvent]] = defaultdict(list)
    for alert in alerts:
        groups[(alert.home_id, alert.kind)].append(alert)
    merged: list[SecurityEvent] = []
    for (home_id, kind), members in groups.items():
        if len(members) == 1:
            merged.extend(members)
            continue
        members.sort(key=lambda a: (a.event_id.rsplit(":", 1)[-1], a.device_id or ""))
        since = min(int(a.event_id.rsplit(":", 1)[-1]) for a in members)
        prefix = "offline" if kind is Kind.CAMERA_OFFLINE else "online"
        listed = sorted(names.get(a.device_id or "", a.device_id or "?") for a in members)
        merged.append(
            SecurityEvent(
                home_id=home_id,
                event_id=f"{prefix}:home:{home_id}:{since}"[:64],
                kind=kind,
                netatmo_type=f"watcher/{prefix}",
                time=max(a.time for a in members),
                message=", ".join(listed),
                severity=Severity.INFO,
            )
        )
        LOG.info("devices_merged_alert home=%s kind=%s devices=%d", home_id, kind.value, len(members))
    return merged


def _alert(device: HomeDevice, kind: Kind, since: datetime, at: datetime) -> SecurityEvent:
    prefix = "offline" if kind is Kind.CAMERA_OFFLINE else "online"
    epoch = int(since.timestamp())
    return SecurityEvent(
        home_id=device.home_id,
        event_id=f"{prefix}:{device.device_id}:{epoch}"[:64],
        kind=kind,
        netatmo_type=f"watcher/{prefix}",
        time=int(at.timestamp()),
        device_id=device.device_id,
        device_type=device.type,
        severity=Severity.INFO,
    )
