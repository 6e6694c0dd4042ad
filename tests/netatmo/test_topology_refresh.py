"""The topology refresh (bot.linking.topology) against the simulator: renamed and added devices appear
in storage without relinking, periodically (spread, one replica per link) and on a topology push."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.linking.topology import TopologyRefresher, home_of_push, refresh_link, topology_changed
from bot.netatmo.budget import RequestBudget
from bot.storage import homes as homes_repo
from bot.storage.models import Subscription
from bot.storage.subscriptions import unsubscribe
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT, HOME_ONE_ID, INDOOR_CAMERA_ID, LIVING_ROOM_ID

ROOMY = RequestBudget(((10_000, 10.0), (100_000, 3600.0)))
NEW_CAMERA = "70:ee:50:09:00:09"
USER = 1001


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _change(simulator: Any, **body: Any) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{simulator.base_url}/_sim/homes/{HOME_ONE_ID}/topology", json=body) as resp:
            assert resp.status == 200, await resp.text()


async def _change_the_home_in_the_app(simulator: Any) -> None:
    await _change(
        simulator,
        rename_home="Beach house",
        rename_room={"id": LIVING_ROOM_ID, "name": "Lounge"},
        rename_device={"id": INDOOR_CAMERA_ID, "name": "Hall cam"},
        add_device={"id": NEW_CAMERA, "type": "NOC", "name": "Garage", "room": LIVING_ROOM_ID},
    )


async def _stored(harness: Any) -> tuple[str, dict[str, str]]:
    async with harness.sessions() as session:
        home = await homes_repo.get_home(session, HOME_ONE_ID)
        devices = await homes_repo.devices_of_homes(session, [HOME_ONE_ID])
    assert home is not None
    return home.name, {device.device_id: device.name for device in devices}


async def _homesdata_calls(harness: Any) -> int:
    return int((await harness.simulator.counters(DEMO_ACCOUNT))["total"])


async def test_a_push_stores_the_new_names_and_the_new_camera(make_gateway: Any) -> None:
    harness = await make_gateway(ROOMY)
    link_id = await harness.link(USER)
    name, devices = await _stored(harness)
    assert NEW_CAMERA not in devices and devices[INDOOR_CAMERA_ID] != "Hall cam"
    async with harness.sessions.begin() as session:  # the user stopped the home's alerts in private
        assert await unsubscribe(session, USER, HOME_ONE_ID)
    await _change_the_home_in_the_app(harness.simulator)
    result = await topology_changed(harness.gateway, HOME_ONE_ID)
    assert result is not None and result.link_id == link_id and result.new_devices == (NEW_CAMERA,)
    name, devices = await _stored(harness)
    assert name == "Beach house"
    assert devices[INDOOR_CAMERA_ID] == "Hall cam" and devices[NEW_CAMERA] == "Garage"
    async with harness.sessions() as session:
        subscribed = await session.scalar(
            select(Subscription).where(Subscription.chat_id == USER, Subscription.home_id == HOME_ONE_ID)
        )
        membership = await homes_repo.membership(session, HOME_ONE_ID, USER)
    assert subscribed is None  # a refresh does not undo /unsubscribe
    assert membership is not None and membership.role == "owner"
    account = await harness.gateway.account(link_id)  # pyatmo's cached topology was dropped: fresh again
    assert NEW_CAMERA in account.homes[HOME_ONE_ID].modules
    assert await topology_changed(harness.gateway, "0" * 24) is None  # no link serves that home


async def test_the_periodic_refresh_is_spread_and_done_once_across_replicas(make_gateway: Any) -> None:
    harness = await make_gateway(ROOMY)
    await harness.link(USER)
    clock = FakeClock()
    replica_a = TopologyRefresher(harness.gateway, every=100.0, clock=clock)
    replica_b = TopologyRefresher(harness.gateway, every=100.0, clock=clock)
    await _change_the_home_in_the_app(harness.simulator)
    assert await replica_a.run_once() == 0  # first round: each link gets its slot in the period
    assert (await _stored(harness))[0] != "Beach house"
    await replica_b.run_once()
    clock.now += 100.0
    assert await replica_a.run_once() == 1
    assert await replica_b.run_once() == 0  # the other replica refreshed it: lease held
    assert (await _stored(harness))[1][NEW_CAMERA] == "Garage"
    assert await replica_a.run_once() == 0  # not due again yet
    clock.now += 100.0
    assert await replica_a.run_once() == 1


async def test_a_failed_refresh_is_tried_again_sooner(make_gateway: Any) -> None:
    harness = await make_gateway(ROOMY)
    await harness.link(USER)
    clock = FakeClock()
    refresher = TopologyRefresher(harness.gateway, every=10_000.0, clock=clock)
    await refresher.run_once()
    clock.now += 10_000.0
    await harness.simulator.fail_next("homesdata", 500)
    assert await refresher.run_once() == 0
    clock.now += 900.0
    assert await refresher.run_once() == 1


async def test_pushes_in_a_burst_are_coalesced(make_gateway: Any) -> None:
    harness = await make_gateway(ROOMY)
    await harness.link(USER)
    refresher = TopologyRefresher(harness.gateway)
    before = await _homesdata_calls(harness)
    for _ in range(5):
        refresher.topology_changed(HOME_ONE_ID)
    await _change_the_home_in_the_app(harness.simulator)
    while refresher._pushes:
        # A finished task leaves the set in a done-callback, which runs only once the loop turns again:
        # awaiting a task that is already done would not let it, and this loop would spin for ever.
        await asyncio.gather(*list(refresher._pushes))
        await asyncio.sleep(0)
    assert await _homesdata_calls(harness) - before <= 2
    assert (await _stored(harness))[1][NEW_CAMERA] == "Garage"
    await refresher.stop()


async def test_a_broken_or_unknown_link_is_not_refreshed(make_gateway: Any) -> None:
    harness = await make_gateway(ROOMY)
    assert await refresh_link(harness.gateway, 999) is None


def _push_payloads(fixtures_dir: Path) -> list[dict[str, Any]]:
    items = json.loads((fixtures_dir / "webhooks" / "webhook_payloads.json").read_text())
    return [item["payload"] for item in items if item["payload"].get("push_type") == "topology_changed"]


@pytest.mark.parametrize(
    ("payload", "home_id"),
    [
        ({"push_type": "topology_changed", "home_id": "h1", "home": {"id": "h1"}}, "h1"),
        ({"push_type": "topology_changed", "home": {"id": "h2", "modules": []}}, "h2"),
        ({"push_type": "topology_changed"}, None),
        ({"push_type": "topology_changed", "home_id": 5, "home": "x"}, None),
    ],
)
def test_home_of_push(payload: dict[str, Any], home_id: str | None) -> None:
    assert home_of_push(payload) == home_id


def test_home_of_every_recorded_topology_push(fixtures_dir: Path) -> None:
    payloads = _push_payloads(fixtures_dir)
    if not payloads:
        pytest.skip("no recorded topology_changed push in the fixtures")
    assert all(home_of_push(payload) for payload in payloads)
