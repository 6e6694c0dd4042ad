"""Fidelity: the simulator's JSON has the same key structure as the real fixtures.

Rules: per object kind (module type, event type, schedule type, payload kind) the simulator may only
emit keys some fixture of that kind has, must emit every key all fixtures of that kind have, and value
types must agree. A kind the world lacks is skipped; the kinds the world has but no fixture covers are
listed explicitly below so adding one is a conscious choice.

How structures are compared: `shape(value)` summarises nested keys and value types; merging the shapes
of several instances (list items of one kind, or several fixture files) keeps the union of keys and
remembers which keys every instance had (`required`). `compare(sim, fixture)` then reports keys the
simulator emits that no fixture has, required fixture keys the simulator lacks, and value-type
mismatches. `null` is compatible with anything (fixtures use it for "no value").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world import demo
from standins.netatmo_sim.world.device_fields import initial_state, status_of, topology_of
from standins.netatmo_sim.world.device_types import DEVICE_TYPES
from standins.netatmo_sim.world.model import Device

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "netatmo"  # real answers

ENVELOPE_KEYS = {"status", "time_exec", "time_server", "body"}
# Module types the world has that no topology/status fixture covers (no real capture exists).
UNCOVERED_TOPOLOGY = {"NSD", "NCO"}
UNCOVERED_STATUS = {"NSD", "NCO"}
# NLFN (dimmer with neutral) reports the same status fields as NLF (2-wire dimmer).
STATUS_ALIAS = {"NLFN": "NLF"}
# Keys a fixture carries that the simulator may leave out, each for a reason of the real API.
OPTIONAL_KEYS = frozenset(
    {
        "home.cooling_mode",  # only homes whose temperature_control_mode is cooling; the world heats
        "rooms.therm_relay",  # only rooms heated through an OpenTherm relay (OTH), a type the world lacks
        "rooms.true_temperature_available",  # likewise OTH rooms only
        "status_rooms.humidity",  # only rooms driven by a Smarther (BNS), a type the world lacks
    }
)
# Security webhook keys Netatmo documents that no captured payload happens to carry.
DOCUMENTED_WEBHOOK_EXTRAS = frozenset({"module_id", "event_list"})


# -- comparing structures ---------------------------------------------------------------------


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


def absent(sim: Shape, fixture: Shape, path: str = "$", optional: frozenset[str] = frozenset()) -> list[str]:
    """Keys some fixture of this kind carries that the simulator never emits (the read side must carry
    every key real devices of the same types do); `optional` names the paths allowed to be missing."""
    problems: list[str] = []
    if "dict" in sim.types and "dict" in fixture.types:
        for key in sorted(set(fixture.keys) - set(sim.keys)):
            if f"{path}.{key}" not in optional:
                problems.append(f"{path}.{key}: in a fixture, never emitted")
        for key in set(sim.keys) & set(fixture.keys):
            problems += absent(sim.keys[key], fixture.keys[key], f"{path}.{key}", optional)
    if sim.items is not None and fixture.items is not None:
        problems += absent(sim.items, fixture.items, f"{path}[]", optional)
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


# -- the simulator against the fixtures -------------------------------------------------------


def assert_same(
    sim: Any,
    fixture_shape: Any,
    what: str,
    extra_ok: frozenset[str] = frozenset(),
    *,
    complete: bool = False,
) -> None:
    """Same structure; with `complete`, also every key the fixtures carry (see `absent`)."""
    sim_shape = shape(sim) if not hasattr(sim, "types") else sim
    problems = compare(sim_shape, fixture_shape, what, extra_ok)
    if complete:
        problems += absent(sim_shape, fixture_shape, what, OPTIONAL_KEYS)
    assert not problems, "\n".join(problems)


def check_envelope(payload: dict[str, Any]) -> None:
    assert set(payload) <= ENVELOPE_KEYS and payload["status"] == "ok"


async def test_homesdata_matches_fixtures(api: Any) -> None:
    status, payload = await api("homesdata")
    assert status == 200
    check_envelope(payload)
    fixtures = [load_fixture("pyatmo/homesdata.json"), load_fixture("pyatmo/homesdata_multi.json")]
    fix_homes = [h for f in fixtures for h in f["body"]["homes"]]
    sim_homes = payload["body"]["homes"]
    maps = frozenset({"module_offset"})
    lists = ("rooms", "modules", "schedules", "persons")
    assert_same(
        union(without(h, *lists) for h in sim_homes),
        union(without(h, *lists) for h in fix_homes),
        "home",
        complete=True,
    )
    assert_same(payload["body"]["user"], shape(fixtures[0]["body"]["user"]), "user")
    for key in ("rooms", "persons"):
        sim_items = [x for h in sim_homes for x in h.get(key, [])]
        assert sim_items, key
        assert_same(union(sim_items), union(x for h in fix_homes for x in h.get(key, [])), key, complete=True)
    fix_modules = by_kind(m for h in fix_homes for m in h.get("modules", []))
    sim_modules = by_kind(m for h in sim_homes for m in h["modules"])
    assert set(sim_modules) - set(fix_modules) == UNCOVERED_TOPOLOGY
    for kind, items in sim_modules.items():
        if kind in fix_modules:
            assert_same(union(items, maps), union(fix_modules[kind], maps), f"modules[{kind}]", complete=True)
    fix_schedules = by_kind(s for h in fix_homes for s in h.get("schedules", []))
    sim_schedules = by_kind(s for h in sim_homes for s in h.get("schedules", []))
    assert set(sim_schedules) == {"therm"}
    therm = union(fix_schedules["therm"])
    # The only captured `rooms_temp` entries are pilot-wire ones; Netatmo documents the
    # temperature form {room_id, temp} from Home Assistant's fixture: accept both.
    zone = therm.keys["zones"].items
    assert zone is not None and zone.keys["rooms_temp"].items is not None
    zone.keys["rooms_temp"].items.merge(shape({"room_id": "1", "temp": 21.5}))
    assert_same(union(sim_schedules["therm"]), therm, "schedules[therm]")


async def test_homestatus_matches_fixtures(api: Any) -> None:
    status, payload = await api("homestatus", data={"home_id": demo.HOME_ONE_ID})
    assert status == 200
    check_envelope(payload)
    _, flat = await api("homestatus", data={"home_id": demo.HOME_TWO_ID})
    fixtures = [
        load_fixture("pyatmo/homestatus_91763b24c43d3e344f424e8b.json"),
        load_fixture("pyatmo/homestatus_91763b24c43d3e344f424e8c.json"),
    ]
    fix_homes = [f["body"]["home"] for f in fixtures]
    sim_homes = [payload["body"]["home"], flat["body"]["home"]]
    lists = ("modules", "rooms", "persons")
    assert_same(
        union(without(h, *lists) for h in sim_homes),
        union(without(h, *lists) for h in fix_homes),
        "status_home",
        complete=True,
    )
    for key in ("rooms", "persons"):
        assert_same(
            union(x for h in sim_homes for x in h.get(key, [])),
            union(x for h in fix_homes for x in h.get(key, [])),
            f"status_{key}",
            complete=True,
        )
    fix_modules = by_kind(m for h in fix_homes for m in h.get("modules", []))
    sim_modules = by_kind(m for h in sim_homes for m in h["modules"])
    covered = {k for k in sim_modules if STATUS_ALIAS.get(k, k) in fix_modules}
    assert set(sim_modules) - covered == UNCOVERED_STATUS
    for kind in covered:
        assert_same(
            union(sim_modules[kind]),
            union(fix_modules[STATUS_ALIAS.get(kind, kind)]),
            f"status[{kind}]",
            complete=True,
        )


async def test_homestatus_offline_home_matches_disconnected_fixture(
    sim: Simulator, get_token: Any, api: Any
) -> None:
    second = (await get_token(demo.SECOND_ACCOUNT))["access_token"]
    await sim.set_device_online(demo.SECOND_RELAY_ID, False)
    await sim.set_device_online(demo.SECOND_CAMERA_ID, False)
    status, payload = await api("homestatus", bearer=second, data={"home_id": demo.SECOND_HOME_ID})
    assert status == 200
    assert payload["body"]["home"] == {
        "id": demo.SECOND_HOME_ID,
        "persons": payload["body"]["home"]["persons"],
    }
    assert {e["id"] for e in payload["body"]["errors"]} == {demo.SECOND_RELAY_ID, demo.SECOND_CAMERA_ID}
    fixture = load_fixture("pyatmo/home_status_error_disconnected.json")
    assert_same(payload["body"]["errors"], shape(fixture["body"]["errors"]), "errors")


async def test_getevents_matches_fixture(sim: Simulator, api: Any) -> None:
    home = demo.HOME_ONE_ID
    for device, kind in [
        (demo.OUTDOOR_CAMERA_ID, "outdoor"),
        (demo.OUTDOOR_CAMERA_ID, "disconnection"),
        (demo.OUTDOOR_CAMERA_ID, "connection"),
        (demo.INDOOR_CAMERA_ID, "person"),
        (demo.DOOR_TAG_ID, "tag_open"),
    ]:
        await sim.trigger_event(
            home, device, kind, **({"subevent_types": ["human", "vehicle"]} if kind == "outdoor" else {})
        )
    await api("setpersonshome", data={"home_id": home, "person_ids[]": [demo.PERSON_JANE_ID]})
    status, payload = await api("getevents", data={"home_id": home})
    assert status == 200
    check_envelope(payload)
    fixture = load_fixture("pyatmo/getevents.json")["body"]["home"]
    sim_events = by_kind(payload["body"]["home"]["events"])
    fix_events = by_kind(fixture["events"])
    assert set(sim_events) == {"outdoor", "disconnection", "connection", "person", "tag_open", "person_home"}
    for kind, items in sim_events.items():
        assert_same(union(items), union(fix_events[kind]), f"events[{kind}]")
    assert_same(without(payload["body"]["home"], "events"), shape(without(fixture, "events")), "home")


async def test_getmeasure_and_roommeasure_shapes(api: Any) -> None:
    fixture = load_fixture(
        "pyatmo/getmeasure_sum_energy_buy_from_grid,sum_energy_buy_from_grid$0,sum_energy_buy_from_grid$1,"
        "sum_energy_buy_from_grid$2_98_76_54_32_10_00_00_69.json"
    )
    types = ",".join(["sum_energy_buy_from_grid"] + [f"sum_energy_buy_from_grid${i}" for i in range(3)])
    status, payload = await api(
        "getmeasure",
        data={"device_id": demo.GATEWAY_ID, "module_id": demo.PLUG_ID, "scale": "30min", "type": types},
    )
    assert status == 200
    assert_same(payload["body"], shape(fixture["body"]), "getmeasure")
    assert all(len(row) == 4 for row in payload["body"][0]["value"])
    status, payload = await api(
        "getroommeasure",
        data={
            "home_id": demo.HOME_ONE_ID,
            "room_id": demo.LIVING_ROOM_ID,
            "scale": "1hour",
            "type": "temperature",
        },
    )
    assert status == 200
    assert_same(payload["body"], shape(fixture["body"]), "getroommeasure")


async def test_station_and_homecoach_shapes(api: Any) -> None:
    status, payload = await api("getstationsdata")
    assert status == 200
    fixture = load_fixture("pyatmo/getstationsdata.json")["body"]
    sim_dev = payload["body"]["devices"]
    assert_same(
        union(without(d, "modules") for d in sim_dev),
        union(without(d, "modules") for d in fixture["devices"]),
        "devices",
    )
    fix_mods = by_kind(m for d in fixture["devices"] for m in d.get("modules", []))
    for kind, items in by_kind(m for d in sim_dev for m in d["modules"]).items():
        assert_same(union(items), union(fix_mods[kind]), f"station_modules[{kind}]")
    assert_same(payload["body"]["user"], shape(fixture["user"]), "user")
    status, coach = await api("gethomecoachsdata")
    assert status == 200 and coach["body"]["devices"] == []


async def test_small_envelopes_match(api: Any, get_token: Any) -> None:
    status, payload = await api("setthermmode", data={"home_id": demo.HOME_ONE_ID, "mode": "away"})
    assert_same(payload, shape(load_fixture("pyatmo/status_ok.json")), "status_ok")
    await api(
        "setstate",
        json={
            "home": {"id": demo.HOME_ONE_ID, "modules": [{"id": demo.INDOOR_CAMERA_ID, "monitoring": "on"}]}
        },
    )
    status, already = await api(
        "setstate",
        json={
            "home": {"id": demo.HOME_ONE_ID, "modules": [{"id": demo.INDOOR_CAMERA_ID, "monitoring": "on"}]}
        },
    )
    assert status == 200 and already["body"]["errors"][0]["code"] == 23
    fixture = load_fixture("pyatmo/archive/camera_set_state_error_already_on.json")
    assert_same(already["body"], shape(fixture["body"]), "setstate")
    reader = await get_token(scope="read_homecoach")
    assert_same(reader, shape(load_fixture("pyatmo/archive/oauth2_token.json")), "oauth2_token")
    _, scope_error = await api("homesdata", bearer=reader["access_token"])
    assert_same(scope_error, shape(load_fixture("pyatmo/archive/error_scope.json")), "error_scope")
    _, missing = await api("setthermmode", data={"home_id": demo.HOME_ONE_ID})
    assert_same(missing, shape(load_fixture("pyatmo/home_status_error_mode_is_missing.json")), "error")


async def test_camera_ping_matches_fixture(sim: Simulator, api: Any, http: Any) -> None:
    _, status = await api("homestatus", data={"home_id": demo.HOME_ONE_ID})
    camera = next(m for m in status["body"]["home"]["modules"] if m["id"] == demo.INDOOR_CAMERA_ID)
    async with http.post(camera["vpn_url"] + "/command/ping") as resp:
        assert_same(await resp.json(), shape(load_fixture("pyatmo/ping.json")), "ping")


async def test_webrtc_envelopes_match(sim: Simulator, api: Any, webrtc_offer: Any) -> None:
    pc = RTCPeerConnection()
    try:
        form = await webrtc_offer(pc)
        _, offer = await api("webrtc/offer", data=form)
        assert_same(offer, shape(load_fixture("pyatmo_webrtc/webrtc_offer_ok.json")), "offer")
        stop = {
            **{k: form[k] for k in ("home_id", "device_id", "session_id")},
            "tag_id": offer["body"]["tag_id"],
        }
        _, done = await api("webrtc/terminate", data=stop)
        assert_same(done, shape(load_fixture("pyatmo_webrtc/webrtc_terminate_ok.json")), "terminate")
        _, again = await api("webrtc/terminate", data=stop)
        assert_same(
            again, shape(load_fixture("pyatmo_webrtc/webrtc_terminate_no_session.json")), "no_session"
        )
        await sim.set_device_online(demo.ADVANCE_CAMERA_ID, False)
        _, offline = await api("webrtc/offer", data=form)
        assert offline["body"]["error"] == {"code": 41, "message": "Device is unreachable"}
        assert_same(
            offline, shape(load_fixture("pyatmo_webrtc/webrtc_offer_unreachable.json")), "unreachable"
        )
    finally:
        await pc.close()


def _family(payload: dict[str, Any]) -> str:
    push = str(payload.get("push_type"))
    if "-" in push:
        return "security"
    if push in ("home_event_changed", "display_change"):
        return f"{push}:{payload.get('event_type')}"
    return push


FIXTURE_FAMILY = {
    "webhook_activation": "webhook_activation",
    "home_event_changed:therm_mode": "therm_mode_home_event_changed",
    "home_event_changed:schedule": "home_event_changed schedule",
    "display_change:set_point": "display_change set_point",
    "display_change:cancel_set_point": "display_change set_point",
    "device_event": "device_event modules (Legrand dimmer) (real capture, remapped)",
}


async def test_every_payload_kind_matches_the_fixtures(every_push_kind: list[dict[str, Any]]) -> None:
    payloads = every_push_kind
    fixtures = {f["name"]: f["payload"] for f in load_fixture("webhooks/webhook_payloads.json")}
    security_fixture = union(p for p in fixtures.values() if "-" in str(p.get("push_type")))
    # Smoke/CO sub_types are integers in Netatmo's documentation; captured payloads only show NOC's string.
    security_fixture.keys["sub_type"].merge(shape(1))
    families: dict[str, list[dict[str, Any]]] = {}
    for payload in payloads:
        families.setdefault(_family(payload), []).append(payload)
    assert set(families) == {"security", *FIXTURE_FAMILY}
    pushes = {p["push_type"] for p in families["security"]}
    assert {
        "NACamera-person",
        "NACamera-on",
        "NACamera-off",
        "NOC-light_mode",
        "NOC-outdoor",
        "NSD-smoke",
        "NCO-co_detected",
        "NPC-disconnection",
        "NPC-connection",
        "NACamera-tag_open",
    } <= pushes
    problems = compare(union(families["security"]), security_fixture, "security", DOCUMENTED_WEBHOOK_EXTRAS)
    for family, fixture_name in FIXTURE_FAMILY.items():
        problems += compare(union(families[family]), shape(fixtures[fixture_name]), family)
    assert not problems, "\n".join(problems)
    smoke = next(p for p in families["security"] if p["push_type"] == "NSD-smoke")
    assert smoke["sub_type"] == 1


def test_the_completeness_check_reports_a_key_the_simulator_leaves_out() -> None:
    fixture = union([{"id": "1", "modules": ["a"]}, {"id": "2"}])
    assert absent(shape({"id": "3"}), fixture, "rooms") == ["rooms.modules: in a fixture, never emitted"]
    assert absent(shape({"id": "3", "modules": []}), fixture, "rooms") == []
    assert compare(shape({"id": "3"}), fixture, "rooms") == []  # the old rule alone let it pass


class _Context:
    """What the status resolvers ask of the world, for devices rendered outside any home."""

    now = 1_700_000_000

    def camera_url(self, device: Device) -> str:
        return "http://127.0.0.1:9/_cam/x,,"

    def boiler_on(self, home_id: str) -> bool:
        return True

    def weather(self, device: Device) -> dict[str, Any]:
        keys = ("temperature", "co2", "humidity", "noise", "pressure", "absolute_pressure")
        return dict.fromkeys(keys, 10.0)


def test_every_device_type_carries_the_keys_of_its_fixtures() -> None:
    """Each type of the table, placed the way the fixtures place it, against every fixture module of
    that type: also the types no demo home holds yet (OpenTherm, Smarther)."""
    homes = [
        h
        for f in ("homesdata.json", "homesdata_multi.json")
        for h in load_fixture(f"pyatmo/{f}")["body"]["homes"]
    ]
    topologies = by_kind(m for h in homes for m in h.get("modules", []))
    status_fixture = load_fixture("pyatmo/homestatus_91763b24c43d3e344f424e8b.json")["body"]["home"]
    statuses = by_kind(status_fixture["modules"])
    assert {"OTH", "OTM", "BNS"} <= set(DEVICE_TYPES)
    checked = 0
    for kind in DEVICE_TYPES:
        fixtures = topologies.get(kind)
        if fixtures is None:
            assert kind in UNCOVERED_TOPOLOGY, kind
            continue
        device = Device(
            "aa:bb",
            kind,
            "Name",
            "home",
            state=initial_state(kind),
            room_id="1" if any("room_id" in m for m in fixtures) else None,
            bridge="cc:dd" if any("bridge" in m for m in fixtures) else None,
        )
        maps = frozenset({"module_offset"})
        topology = shape(topology_of(device, _Context()), maps)
        assert_same(topology, union(fixtures, maps), f"topology[{kind}]", complete=True)
        status = statuses.get(STATUS_ALIAS.get(kind, kind))
        if status is not None:
            assert_same(status_of(device, _Context()), union(status), f"status[{kind}]", complete=True)
        checked += 1
    assert checked >= 18
