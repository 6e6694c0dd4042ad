"""A family to test roles with: Anna linked (owner of the demo homes), Bob and Carl not linked, their
group subscribed to HOME_ONE; and a reply-to-message command, which the emulator has no shortcut for."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from bot.storage import subscriptions as repo
from bot.storage.telegram import save_chat
from standins.netatmo_sim.world.demo import HOME_ONE_ID
from standins.telegram_emulator.formatting import command_entities

TIMEOUT = 10


class Family(NamedTuple):
    runtime: Any
    anna: Any
    bob: Any
    carl: Any
    group: Any


async def start_family(emulator: Any, simulator: Any, start_bot: Any, link_user: Any) -> Family:
    runtime = await start_bot(emulator, simulator)
    anna, bob, carl = emulator.add_user("Anna"), emulator.add_user("Bob"), emulator.add_user("Carl")
    await link_user(emulator, anna)
    group = emulator.add_group("Family", [anna, bob, carl])
    async with runtime.services.sessions.begin() as session:
        await save_chat(session, group.id, "group", "Family")
        await repo.subscribe(session, group.id, HOME_ONE_ID, anna.id)
    return Family(runtime, anna, bob, carl, group)


async def reply_command(emulator: Any, user: Any, group: Any, replied: dict[str, Any], text: str) -> None:
    """`user` answers the message `replied` (as the Bot API shows it) with the command `text`."""
    world = emulator.world
    message = world.new_message(emulator.chat(group), user)
    message.text, message.entities = text, command_entities(text)
    payload = world.message_api(message)
    payload["reply_to_message"] = replied
    world.enqueue("message", payload)
    await asyncio.sleep(0)
