"""A topology_changed push through the bot's own webhook route reaches the topology refresher: a camera
added and a camera renamed in the Netatmo app show in the bot without relinking."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.storage import homes as homes_repo
from bot.storage.models import NetatmoLink
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID, LIVING_ROOM_ID

NEW_CAMERA = "70:ee:50:09:00:19"


async def _names(services: Any) -> dict[str, str]:
    async with services.sessions() as session:
        devices = await homes_repo.devices_of_homes(session, [HOME_ONE_ID])
    return {device.device_id: device.name for device in devices}


async def test_a_topology_push_refreshes_the_home(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    services = runtime.services
    await link_user(emulator, emulator.add_user("Alice"))
    async with services.sessions() as session:
        link_id = await session.scalar(select(NetatmoLink.id))
    assert link_id is not None and NEW_CAMERA not in await _names(services)
    await services.netatmo.add_webhook(link_id, services.settings.netatmo_webhook_url)

    change = {
        "rename_device": {"id": INDOOR_CAMERA_ID, "name": "Hall cam"},
        "add_device": {"id": NEW_CAMERA, "type": "NOC", "name": "Garage", "room": LIVING_ROOM_ID},
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{simulator.base_url}/_sim/homes/{HOME_ONE_ID}/topology", json=change) as response,
    ):
        assert response.status == 200
    await simulator.drain_webhooks()
    async with asyncio.timeout(10):
        while (await _names(services)).get(NEW_CAMERA) != "Garage":  # noqa: ASYNC110 - the database
            await asyncio.sleep(0.05)
    assert (await _names(services))[INDOOR_CAMERA_ID] == "Hall cam"
