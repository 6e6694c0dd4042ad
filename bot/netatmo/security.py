"""Netatmo calls of the security screens: a home's cameras and people as they are now, monitoring and
floodlight changes, people home or away, scenarios, the home's recent events and live snapshots.

The screens need names (homesdata) and state (homestatus) together, and a camera's state is only worth
showing as Netatmo reports it now, so `security_view` asks for both and merges them into small frozen
dataclasses; the chat features never read raw Netatmo dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bot.domain.events import SecurityEvent, SnapshotRef
from bot.netatmo.errors import check_body_errors
from bot.netatmo.events import events_from_getevents
from bot.netatmo.gateway import NetatmoGateway

CAMERA_TYPES = frozenset({"NACamera", "NOC", "NPC", "NDB"})
# Cameras that answer `{vpn_url}/live/snapshot_720.jpg`; the others (NPC, NDB) stream over WebRTC only.
SNAPSHOT_TYPES = frozenset({"NACamera", "NOC"})
# Cameras whose monitoring can be switched (the doorbell has no monitoring setting).
MONITORED_TYPES = frozenset({"NACamera", "NOC", "NPC"})
FLOODLIGHT_MODES = ("on", "off", "auto")
SD_OK = frozenset({4})  # sd_status 4: card ready; anything else is a problem worth showing
POWER_OK = frozenset({2})  # alim_status 2: power correct


@dataclass(frozen=True)
class Camera:
    id: str
    type: str
    name: str
    reachable: bool
    monitoring: bool | None  # None: the camera has no monitoring setting or did not say
    floodlight: str | None = None  # on / off / auto, outdoor cameras only
    sd_problem: bool = False
    power_problem: bool = False
    vpn_url: str | None = None

    @property
    def can_monitor(self) -> bool:
        return self.type in MONITORED_TYPES

    @property
    def has_snapshot(self) -> bool:
        return self.type in SNAPSHOT_TYPES


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    home: bool


@dataclass(frozen=True)
class Scenario:
    key: str  # what setstate takes: the scenario's type, else its id
    name: str


@dataclass(frozen=True)
class SecurityView:
    """One home's cameras and known people as Netatmo reports them now."""

    home_id: str
    name: str
    timezone: str
    cameras: tuple[Camera, ...]
    persons: tuple[Person, ...]
    has_gateway: bool  # a Legrand gateway: scenarios and Home+Control devices

    def camera(self, device_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == device_id), None)


def with_cameras(view: SecurityView, device_ids: set[str], **fields: Any) -> SecurityView:
    """The view after a change Netatmo accepted (monitoring, floodlight) on some cameras: drawn without
    asking Netatmo again, which would cost two more requests of the user's budget."""
    cameras = tuple(replace(c, **fields) if c.id in device_ids else c for c in view.cameras)
    return replace(view, cameras=cameras)


def with_persons(view: SecurityView, home: bool) -> SecurityView:
    return replace(view, persons=tuple(replace(p, home=home) for p in view.persons))


def find_home(body: Any, home_id: str) -> dict[str, Any] | None:
    """The home `home_id` of a homesdata body."""
    homes = body.get("homes") if isinstance(body, dict) else None
    for home in homes if isinstance(homes, list) else []:
        if isinstance(home, dict) and home.get("id") == home_id:
            return home
    return None


def status_modules(status: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """(module id → homestatus module, ids Netatmo reported as unreachable in `errors`)."""
    home = status.get("home")
    modules = home.get("modules") if isinstance(home, dict) else None
    by_id: dict[str, dict[str, Any]] = {}
    for module in modules if isinstance(modules, list) else []:
        if isinstance(module, dict) and module.get("id"):
            by_id[str(module["id"])] = module
    errors = status.get("errors")
    failed = (
        {str(e["id"]) for e in errors if isinstance(e, dict) and e.get("id")}
        if isinstance(errors, list)
        else set()
    )
    return by_id, failed


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_security(topology: dict[str, Any], status: dict[str, Any]) -> SecurityView:
    """Merge one home of homesdata with its homestatus body; devices missing from either still show."""
    by_id, failed = status_modules(status)
    cameras = []
    for module in topology.get("modules") or []:
        if not isinstance(module, dict) or module.get("type") not in CAMERA_TYPES or not module.get("id"):
            continue
        device_id = str(module["id"])
        state = by_id.get(device_id, {})
        reachable = (
            device_id not in failed
            and bool(state)
            and state.get("reachable") is not False
            and state.get("status") != "disconnected"
        )
        monitoring = state.get("monitoring")
        sd, power = _int(state.get("sd_status")), _int(state.get("alim_status"))
        floodlight = state.get("floodlight")
        cameras.append(
            Camera(
                id=device_id,
                type=str(module["type"]),
                name=str(module.get("name") or device_id),
                reachable=reachable,
                monitoring=(monitoring == "on") if monitoring in ("on", "off") else None,
                floodlight=floodlight if floodlight in FLOODLIGHT_MODES else None,
                sd_problem=sd is not None and sd not in SD_OK,
                power_problem=power is not None and power not in POWER_OK,
                vpn_url=str(state["vpn_url"]) if state.get("vpn_url") else None,
            )
        )
    home = status.get("home")
    away = {
        str(p.get("id")): bool(p.get("out_of_sight"))
        for p in (home.get("persons") or [] if isinstance(home, dict) else [])
        if isinstance(p, dict)
    }
    persons = tuple(
        Person(str(p["id"]), str(p["pseudo"]), not away.get(str(p["id"]), False))
        for p in topology.get("persons") or []
        if isinstance(p, dict) and p.get("id") and p.get("pseudo")
    )
    gateway = any(isinstance(m, dict) and m.get("type") == "NLG" for m in topology.get("modules") or [])
    return SecurityView(
        home_id=str(topology.get("id")),
        name=str(topology.get("name") or "Home"),
        timezone=str(topology.get("timezone") or "UTC"),
        cameras=tuple(cameras),
        persons=persons,
        has_gateway=gateway,
    )


async def home_topology(gateway: NetatmoGateway, link_id: int, home_id: str) -> dict[str, Any]:
    """The home's homesdata entry ({} when Netatmo no longer lists it for this link)."""
    payload = await gateway.api(link_id, "api/homesdata", {"home_id": home_id})
    return find_home(payload.get("body"), home_id) or {"id": home_id}


async def security_view(gateway: NetatmoGateway, link_id: int, home_id: str) -> SecurityView:
    topology = await home_topology(gateway, link_id, home_id)
    status = await gateway.home_status(link_id, home_id)
    return parse_security(topology, status)


async def set_floodlight(
    gateway: NetatmoGateway, link_id: int, home_id: str, device_id: str, mode: str
) -> None:
    """Outdoor camera floodlight: on, off or auto (lights up on detection)."""
    if mode not in FLOODLIGHT_MODES:
        raise ValueError(mode)
    payload = await gateway.api(
        link_id,
        "api/setstate",
        json={"home": {"id": home_id, "modules": [{"id": device_id, "floodlight": mode}]}},
        scope_hint="write_presence",
    )
    check_body_errors(payload.get("body"), endpoint="api/setstate")


async def set_persons_home(
    gateway: NetatmoGateway, link_id: int, home_id: str, person_ids: list[str]
) -> None:
    await gateway.api(
        link_id,
        "api/setpersonshome",
        {"home_id": home_id, "person_ids[]": person_ids},
        scope_hint="write_camera",
    )


async def set_persons_away(
    gateway: NetatmoGateway, link_id: int, home_id: str, person_id: str | None = None
) -> None:
    """One person away, or (without `person_id`) the whole home empty."""
    params: dict[str, Any] = {"home_id": home_id}
    if person_id is not None:
        params["person_id"] = person_id
    await gateway.api(link_id, "api/setpersonsaway", params, scope_hint="write_camera")


async def scenarios(gateway: NetatmoGateway, link_id: int, home_id: str) -> list[Scenario]:
    """The home's Legrand scenarios, by the key setstate takes."""
    found = []
    for item in await gateway.scenarios(link_id, home_id):
        key = str(item.get("type") or item.get("id") or "")
        if key:
            found.append(Scenario(key, str(item.get("name") or key.replace("_", " ").capitalize())))
    return found


async def launch_scenario(gateway: NetatmoGateway, link_id: int, home_id: str, key: str) -> None:
    await gateway.launch_scenario(link_id, home_id, key)


async def recent_events(
    gateway: NetatmoGateway, link_id: int, home_id: str, size: int
) -> list[SecurityEvent]:
    """The home's newest events (all cameras, doorbell, alarms), newest first, at most `size`."""
    raw = await gateway.get_events(link_id, home_id, size=size)
    events = events_from_getevents(home_id, raw)
    events.sort(key=lambda e: e.time, reverse=True)
    return events[:size]


def picture_url(ref: SnapshotRef | None, api_url: str, camera_url: str | None) -> str | None:
    """An event picture's absolute URL in any of Netatmo's three shapes (None when none can be built)."""
    if ref is None:
        return None
    if ref.url:
        return ref.url
    if ref.image_id and ref.key:
        query = urlencode({"image_id": ref.image_id, "key": ref.key})
        return f"{api_url.rstrip('/')}/api/getcamerapicture?{query}"
    if ref.filename and camera_url:
        return f"{camera_url.rstrip('/')}/{ref.filename.lstrip('/')}"
    return None


async def fetch_picture(gateway: NetatmoGateway, link_id: int, url: str) -> bytes:
    """A JPEG, through the link's token and budget only when the URL is the Netatmo API's."""
    return await gateway.image(link_id if gateway.needs_link(url) else None, url)


def live_snapshot_url(camera: Camera) -> str | None:
    """The camera's current frame, for cameras that serve one (Welcome, Presence)."""
    if not camera.has_snapshot or not camera.vpn_url:
        return None
    return f"{camera.vpn_url.rstrip('/')}/live/snapshot_720.jpg"
