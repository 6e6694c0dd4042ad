"""End to end: simulator webhook → /netatmo/webhook → intake → outbox → Telegram (emulator); then a webhook
outage that polling covers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select

from bot.alerts.watcher import IntakeWatcher
from bot.storage.models import Delivery, Event, NetatmoLink
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID
from tests.linking.linking_flow import link_user

StartBot = Callable[..., Awaitable[Any]]  # the `start_bot` fixture


async def _wait(predicate: Any) -> None:
    async with asyncio.timeout(10):
        while not await predicate():  # noqa: ASYNC110 - polling the database and the stand-ins
            await asyncio.sleep(0.05)


async def test_webhook_then_outage_covered_by_polling(
    emulator: Any, simulator: Any, start_bot: StartBot
) -> None:
    runtime = await start_bot(emulator, simulator)
    services = runtime.services
    watcher = next(c for c in runtime._components if isinstance(c, IntakeWatcher))
    user = emulator.add_user("Alice")
    await link_user(emulator, user)
    async with services.sessions() as session:
        link_id = await session.scalar(select(NetatmoLink.id))
    assert link_id is not None
    watcher.poll_soon(HOME_ONE_ID)  # the first poll sets the baseline (history, no alerts)
    await _wait(lambda: _polled(services))

    # 1. the webhook flows: the event arrives pushed, once
    await services.netatmo.add_webhook(link_id, services.settings.netatmo_webhook_url)
    pushed = await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "movement")
    await simulator.drain_webhooks()
    await _wait(lambda: _has_event(services, pushed, "webhook"))

    # 2. the webhook is dropped: events keep happening, polling picks them up
    await services.netatmo.drop_webhook(link_id)
    missed = await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "human")
    watcher.poll_soon(HOME_ONE_ID)
    await _wait(lambda: _has_event(services, missed, "poll"))

    # the pushed event polled again is not stored or alerted twice
    watcher.poll_soon(HOME_ONE_ID)
    await asyncio.sleep(0.3)
    async with services.sessions() as session:
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.event_id.in_([pushed, missed]))
        )
        deliveries = await session.scalar(select(func.count()).select_from(Delivery))
    assert events == 2
    assert deliveries is not None and deliveries >= 2
    await _wait(lambda: _all_sent(services, [pushed, missed]))
    alerts = [
        m
        for m in emulator.messages(emulator.private_chat(user))
        if "Demo House" in (m.text or m.caption or "")
    ]
    assert alerts  # delivered (possibly grouped into one message per camera)


async def _polled(services: Any) -> bool:
    from bot.storage.models import Home

    async with services.sessions() as session:
        home = await session.get(Home, HOME_ONE_ID)
        return home is not None and home.last_polled_at is not None


async def _has_event(services: Any, event_id: str, source: str) -> bool:
    async with services.sessions() as session:
        found = await session.scalar(select(Event.source).where(Event.event_id == event_id))
    assert found in (None, source), found
    return found == source


async def _all_sent(services: Any, event_ids: list[str]) -> bool:
    async with services.sessions() as session:
        states = (
            await session.scalars(
                select(Delivery.state)
                .join(Event, Event.id == Delivery.event_pk)
                .where(Event.event_id.in_(event_ids))
            )
        ).all()
    return len(states) == len(event_ids) and set(states) == {"sent"}


async def test_a_new_link_gets_its_webhook_and_first_poll_at_once(
    emulator: Any, simulator: Any, start_bot: StartBot
) -> None:
    """No wait for the watcher's next round: right after linking, the webhook is registered and an event
    from just after the link reaches the user's chat."""
    runtime = await start_bot(emulator, simulator, netatmo_webhooks="on")
    user = emulator.add_user("Alice")
    await link_user(emulator, user)
    services = runtime.services

    async def registered() -> bool:
        async with services.sessions() as session:
            return await session.scalar(select(NetatmoLink.webhook_registered_at)) is not None

    await _wait(registered)  # well before the 60 s registration round
    await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "movement")
    alert = await emulator.wait_for_message(
        emulator.private_chat(user), predicate=lambda m: m.media_kind == "photo", timeout=15
    )
    assert "Hall camera" in (alert.caption or "")
    assert alert.photo_bytes is not None
