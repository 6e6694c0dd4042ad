"""A running bot with Anna linked to the demo account (Demo House: cameras and people; Demo Flat: Legrand
devices and scenarios), Bob not linked, and their group; helpers to press and wait."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from bot.storage.telegram import save_chat

TIMEOUT = 10  # seconds for the bot's answers


class Household(NamedTuple):
    runtime: Any
    anna: Any
    bob: Any
    group: Any


@pytest.fixture
async def household(emulator: Any, simulator: Any, start_bot: Any, link_user: Any) -> Household:
    runtime = await start_bot(emulator, simulator)
    anna, bob = emulator.add_user("Anna"), emulator.add_user("Bob")
    await link_user(emulator, anna)
    group = emulator.add_group("Family", [anna, bob])
    async with runtime.services.sessions.begin() as session:
        await save_chat(session, group.id, "group", "Family")
    return Household(runtime, anna, bob, group)


async def press(emulator: Any, user: Any, message: Any, data: str) -> Any:
    """Press a button (by its callback data) and wait for the answer."""
    query = await emulator.press_button(user, message, data)
    return await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)


async def press_and_edit(emulator: Any, user: Any, message: Any, data: str) -> tuple[Any, Any]:
    answer = await press(emulator, user, message, data)
    edited = await emulator.wait_for_edit(message, timeout=TIMEOUT)
    return answer, edited


def data_of(message: Any) -> list[str]:
    return [target for _label, target in message.buttons if isinstance(target, str)]


async def writes(simulator: Any, endpoint: str | None = None) -> list[dict[str, Any]]:
    return [w for w in await simulator.write_log() if endpoint is None or w["endpoint"] == endpoint]
