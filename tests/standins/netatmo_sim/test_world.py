"""World rules and scale: thermal drift and boiler, scenarios, persons, seeds, lazy extra homes,
the admin API and the CLI wiring."""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc
from typing import Any

import aiohttp

from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.cli import add_arguments, config_from_args
from standins.netatmo_sim.world import World, demo, generated, thermal


def test_rooms_heat_towards_setpoint_and_boiler_follows() -> None:
    now = [1_700_000_000.0]
    world = World(seed=3, clock=lambda: now[0])
    home = world.homes[demo.HOME_ONE_ID]
    room = home.rooms[demo.LIVING_ROOM_ID]
    world.advance(home)
    room.measured, room.override_mode, room.override_temp = 15.0, "manual", 21.0
    room.override_end = int(now[0]) + 10 * 3600
    assert thermal.boiler_on(home, now[0])
    now[0] += 3600
    world.advance(home)
    assert 16.5 < room.measured < 17.5  # 2 °C per hour
    now[0] += 5 * 3600
    world.advance(home)
    assert 21.0 <= room.measured <= 21.2
    home.therm_mode = "hg"
    room.override_mode = None
    for other in home.heating_rooms():
        other.measured = 20.0
    now[0] += 3600
    world.advance(home)
    assert room.measured < 20.0 and not thermal.boiler_on(home, now[0])


def test_same_seed_same_world_and_lazy_extra_homes() -> None:
    a, b, c = World(seed=5, extra_homes=3), World(seed=5, extra_homes=3), World(seed=6, extra_homes=3)
    ra, rb, rc = (w.homes[demo.HOME_ONE_ID].rooms[demo.BEDROOM_ID].measured for w in (a, b, c))
    assert ra == rb != rc
    assert a.home(generated.home_id(2)) is not None and a.home(generated.home_id(3)) is None
    assert [x.id for x in a.homes_of(generated.account_id(1))] == [generated.home_id(1)]
    camera = generated.device_id(1, generated.ROLE_CAMERA)
    found = a.find_device(camera)
    assert found is not None and found[0].id == generated.home_id(1)


def test_ten_thousand_homes_are_cheap() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    world = World(extra_homes=10_000)
    for index in range(0, 10_000, 10):  # touch 1,000 of them
        world.home(generated.home_id(index))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 5 and peak < 100 * 1024 * 1024
    assert len(list(world.account_ids())) == 10_002


async def test_scenario_launch_and_legrand_state(sim: Simulator, api: Any) -> None:
    status, payload = await api("getscenarios", data={"home_id": demo.HOME_TWO_ID})
    assert status == 200 and {s["type"] for s in payload["body"]["scenarios"]} >= {"home", "away", "wake_up"}
    launch = {"home": {"id": demo.HOME_TWO_ID, "modules": [{"id": demo.GATEWAY_ID, "scenario": "wake_up"}]}}
    assert (await api("setstate", json=launch))[0] == 200
    devices = sim.world.homes[demo.HOME_TWO_ID].devices
    assert devices[demo.SHUTTER_LIVING_ID].state["current_position"] == 100
    plug = {
        "home": {
            "id": demo.HOME_TWO_ID,
            "modules": [{"id": demo.PLUG_ID, "on": True, "bridge": demo.GATEWAY_ID}],
        }
    }
    assert (await api("setstate", json=plug))[0] == 200
    _, status_payload = await api("homestatus", data={"home_id": demo.HOME_TWO_ID})
    plug_status = next(m for m in status_payload["body"]["home"]["modules"] if m["id"] == demo.PLUG_ID)
    assert plug_status["on"] is True and plug_status["power"] > 0


async def test_persons_away_and_home(sim: Simulator, api: Any) -> None:
    persons = {p.id: p for p in sim.world.homes[demo.HOME_ONE_ID].persons}
    assert (
        await api("setpersonsaway", data={"home_id": demo.HOME_ONE_ID, "person_id": demo.PERSON_JOHN_ID})
    )[0] == 200
    assert persons[demo.PERSON_JOHN_ID].out_of_sight is True
    body = {"home_id": demo.HOME_ONE_ID, "person_ids[]": [demo.PERSON_JOHN_ID, demo.PERSON_JANE_ID]}
    assert (await api("setpersonshome", data=body))[0] == 200
    assert not persons[demo.PERSON_JOHN_ID].out_of_sight and not persons[demo.PERSON_JANE_ID].out_of_sight
    assert sim.world.homes[demo.HOME_ONE_ID].events[0].type == "person_home"


async def test_getevents_paging_and_filters(sim: Simulator, api: Any) -> None:
    ids = [await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "movement") for _ in range(5)]
    tag = await sim.trigger_event(demo.HOME_ONE_ID, demo.DOOR_TAG_ID, "tag_open")
    _, page = await api("getevents", data={"home_id": demo.HOME_ONE_ID, "size": "2"})
    assert [e["id"] for e in page["body"]["home"]["events"]] == [tag, ids[4]]
    _, older = await api("getevents", data={"home_id": demo.HOME_ONE_ID, "event_id": ids[4], "size": "2"})
    assert [e["id"] for e in older["body"]["home"]["events"]] == [ids[3], ids[2]]
    _, skipped = await api("getevents", data={"home_id": demo.HOME_ONE_ID, "offset": "5", "size": "1"})
    assert [e["id"] for e in skipped["body"]["home"]["events"]] == [ids[0]]
    _, tags = await api("getevents", data={"home_id": demo.HOME_ONE_ID, "module_id": demo.DOOR_TAG_ID})
    assert [e["id"] for e in tags["body"]["home"]["events"]] == [tag]
    person = await sim.trigger_event(
        demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "person", person_id=demo.PERSON_JANE_ID
    )
    _, jane = await api("getevents", data={"home_id": demo.HOME_ONE_ID, "person_id": demo.PERSON_JANE_ID})
    assert [e["id"] for e in jane["body"]["home"]["events"]] == [person]


async def test_admin_api(sim: Simulator, http: aiohttp.ClientSession, api: Any) -> None:
    base = f"{sim.base_url}/_sim"
    async with http.get(f"{base}/accounts") as resp:
        accounts = (await resp.json())["accounts"]
    assert [a["id"] for a in accounts] == [demo.DEMO_ACCOUNT, demo.SECOND_ACCOUNT]
    async with http.post(
        f"{base}/events", json={"device_id": demo.SMOKE_ALARM_ID, "event_type": "smoke"}
    ) as resp:
        event_id = (await resp.json())["event_id"]
    assert sim.world.homes[demo.HOME_ONE_ID].events[0].id == event_id
    async with http.post(f"{base}/devices/{demo.RELAY_ID}/online", json={"online": False}) as resp:
        assert (await resp.json())["event_id"]
    _, status = await api("homestatus", data={"home_id": demo.HOME_ONE_ID})
    assert {"code": 6, "id": demo.RELAY_ID} in status["body"]["errors"] and "rooms" not in status["body"][
        "home"
    ]
    async with http.post(f"{base}/faults", json={"endpoint": "homesdata", "status": 500, "code": 11}) as resp:
        assert len((await resp.json())["faults"]) == 1
    assert (await api("homesdata"))[0] == 500
    async with http.get(f"{base}/counters/{demo.DEMO_ACCOUNT}") as resp:
        assert (await resp.json())["total"] == 1  # injected faults answer before counting
    async with http.delete(f"{base}/counters/{demo.DEMO_ACCOUNT}") as resp:
        assert resp.status == 200
    assert (await sim.counters(demo.DEMO_ACCOUNT))["total"] == 0
    async with http.get(f"{base}/homes/{demo.HOME_ONE_ID}") as resp:
        summary = await resp.json()
    assert any(d["id"] == demo.RELAY_ID and d["reachable"] is False for d in summary["devices"])
    async with http.post(f"{base}/accounts/{demo.DEMO_ACCOUNT}/revoke_tokens") as resp:
        assert (await resp.json())["tokens"] == 1
    async with http.post(f"{base}/settings", json={"snapshot_delay": 4}) as resp:
        assert (await resp.json())["snapshot_delay"] == 4


async def test_event_generator_runs() -> None:
    async with Simulator(SimulatorConfig(port=0, events_every=0.05)) as sim:
        before = sum(len(h.events) for h in sim.world.homes.values())
        await asyncio.sleep(0.3)
        assert sum(len(h.events) for h in sim.world.homes.values()) > before


def test_cli_wiring() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    cfg = config_from_args(
        parser.parse_args(["--port", "0", "--homes", "10", "--seed", "4", "--events-every", "2"])
    )
    assert (cfg.port, cfg.extra_homes, cfg.seed, cfg.events_every, cfg.loopback_only) == (0, 10, 4, 2.0, True)
    assert config_from_args(parser.parse_args(["--no-loopback-only"])).loopback_only is False
