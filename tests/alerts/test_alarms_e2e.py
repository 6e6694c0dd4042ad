"""End to end: a smoke alarm pushed the way real NSD devices push it (event_type, device_id, home_id,
push_type; no event_id, no sub_type) → the bot's /netatmo/webhook → a loud alert with the alarm's buttons
in the Bot API emulator, at once (no poll). Before, the bot logged `webhook_incomplete` and sent nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.alerts.watcher import IntakeWatcher
from bot.storage.models import Delivery, Event, Home, Subscription
from bot.web.netatmo_webhook import SIGNATURE_HEADER, signature
from standins.netatmo_sim.world.demo import (
    HOME_ONE_ID,
    INDOOR_CAMERA_ID,
    PERSON_JOHN_ID,
    PERSON_UNKNOWN_ID,
    SMOKE_ALARM_ID,
)

TIMEOUT = 10


async def _polled_once(runtime: Any) -> None:
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with runtime.services.sessions() as session:
                home = await session.get(Home, HOME_ONE_ID)
            if home is not None and home.last_polled_at is not None:
                return
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("with_home", [True, False])
async def test_a_smoke_push_without_event_id_rings_at_once(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any, with_home: bool
) -> None:
    runtime = await start_bot(emulator, simulator)
    watcher = next(c for c in runtime._components if isinstance(c, IntakeWatcher))
    alice = emulator.add_user("Alice")
    await link_user(emulator, alice)
    watcher.poll_soon(HOME_ONE_ID)  # the first poll: the home's devices are known, history is not news
    await _polled_once(runtime)
    chat = emulator.private_chat(alice)

    payload: dict[str, Any] = {"event_type": "smoke", "device_id": SMOKE_ALARM_ID, "push_type": "NSD-smoke"}
    if with_home:
        payload["home_id"] = HOME_ONE_ID
    body = json.dumps(payload).encode()
    settings = runtime.services.settings
    headers = {
        SIGNATURE_HEADER: signature(body, settings.netatmo_client_secret),
        "Content-Type": "application/json",
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(settings.netatmo_webhook_url, data=body, headers=headers) as reply:
            assert reply.status == 200

    alert = await emulator.wait_for_message(
        chat, predicate=lambda m: "smoke" in (m.text or m.caption or "").lower(), timeout=TIMEOUT
    )
    assert alert.disable_notification is False
    assert [label for label, _data in alert.buttons] == ["✅ I'm on it", "📣 Alert everyone"]


async def test_an_unknown_face_found_by_polling_reaches_an_unknown_faces_only_chat(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    """Polled person events had person_known None, and the "unknown faces only" filter dropped them."""
    runtime = await start_bot(emulator, simulator)
    watcher = next(c for c in runtime._components if isinstance(c, IntakeWatcher))
    alice = emulator.add_user("Alice")
    await link_user(emulator, alice)
    watcher.poll_soon(HOME_ONE_ID)
    await _polled_once(runtime)
    async with runtime.services.sessions.begin() as session:
        await session.execute(update(Subscription).values(people_mode="unknown"))

    stranger = await simulator.trigger_event(
        HOME_ONE_ID, INDOOR_CAMERA_ID, "person", person_id=PERSON_UNKNOWN_ID
    )
    john = await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "person", person_id=PERSON_JOHN_ID)
    watcher.poll_soon(HOME_ONE_ID)  # no webhook registered: polling brings both
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with runtime.services.sessions() as session:
                stored = {e.event_id: e for e in await session.scalars(select(Event))}
            if stranger in stored and john in stored:
                break
            await asyncio.sleep(0.05)
    assert stored[stranger].data["person_known"] is False
    assert stored[john].data["person_known"] is True
    async with runtime.services.sessions() as session:
        alerted = set(
            await session.scalars(select(Event.event_id).join(Delivery, Delivery.event_pk == Event.id))
        )
    assert stranger in alerted and john not in alerted
