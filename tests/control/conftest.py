"""A running bot with Anna linked to the demo account (Demo House: cameras and people; Demo Flat: Legrand
devices and scenarios), Bob not linked, and their group, already known to the bot. Buttons are pressed
with the `ui` fixture (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.storage.telegram import save_chat
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT


@pytest.fixture
async def household(family: Any) -> Any:
    """`family` (tests/conftest.py) with the group's chat row saved, as if it had talked to the bot."""
    async with family.runtime.services.sessions.begin() as session:
        await save_chat(session, family.group.id, "group", "Family")
    return family


@pytest.fixture
def anna_linked(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> Callable[..., Awaitable[tuple[Any, Any]]]:
    """`runtime, anna = await anna_linked(account)`: a running bot and Anna alone, linked to `account`
    (the demo account unless told): how most /status, /heating and /homes tests start."""

    async def start(account: str = DEMO_ACCOUNT) -> tuple[Any, Any]:
        runtime = await start_bot(emulator, simulator)
        anna = emulator.add_user("Anna")
        await link_user(emulator, anna, account=account)
        return runtime, anna

    return start
