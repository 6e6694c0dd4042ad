"""A running bot with Anna linked to the demo account (Demo House: cameras and people; Demo Flat: Legrand
devices and scenarios), Bob not linked, and their group. Buttons are pressed with the `ui` fixture
(tests/conftest.py)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from bot.storage.telegram import save_chat


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
