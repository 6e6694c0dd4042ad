"""/start, /help and the command menu through the real Application and the emulator."""

from __future__ import annotations

from typing import Any


async def test_start_in_private_chat_offers_linking(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/start")
    reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    assert "Hi Anna" in reply.text
    assert "link your Netatmo account" in reply.text
    assert ("Link Netatmo account", "link:start") in reply.buttons


async def test_start_in_a_group_explains_linking_happens_privately(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    anna, ben = emulator.add_user("Anna"), emulator.add_user("Ben")
    family = emulator.add_group("Family", [anna, ben])
    await emulator.send_message(anna, family, "/start")
    reply = await emulator.wait_for_message(family, timeout=10)
    assert "private chat" in reply.text and "/subscribe" in reply.text
    assert reply.buttons == []


async def test_help_lists_the_commands(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/help")
    reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    for command in ("/link", "/status", "/cameras", "/subscribe", "/settings", "/mute"):
        assert command in reply.text


async def test_menu_commands_are_set(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    names = [entry["command"] for entry in emulator.commands()]
    assert names[:2] == ["start", "help"]
    assert set(names) == {
        "start", "help", "link", "unlink", "status", "homes", "heating", "scenarios", "cameras", "live",
        "events", "subscribe", "unsubscribe", "settings", "mute", "log",
    }  # fmt: skip
