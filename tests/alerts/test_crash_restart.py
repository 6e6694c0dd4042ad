"""kill -9 of the bot in the middle of a burst of 200 alerts, then a restart: nothing lost, nothing sent
twice (except at most the one message in flight at the moment of the kill)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

BURST = 200


async def test_kill_9_mid_burst_then_restart_loses_nothing(
    emulator: Any,
    tmp_path: Path,
    add_burst: Any,
    bot_processes: Any,
    all_sent: Any,
    migrated: Any,
) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'bot.db').as_posix()}"
    user = emulator.add_user("Owner")
    chat = emulator.private_chat(user).id
    sessions = await migrated(url, [chat])
    key = bot_processes.new_key()

    first = bot_processes.start(emulator, url, tmp_path, key, "first")
    try:
        await bot_processes.wait_started(first)
        await add_burst(sessions, "burst", BURST, [chat])
        await bot_processes.wait_for_messages(emulator, [chat], 40, timeout=30)
        first.kill()
    finally:
        await first.stop()
    at_kill = len(emulator.messages(chat))
    assert at_kill < BURST, "the burst was over before the kill; the test proves nothing"

    second = bot_processes.start(emulator, url, tmp_path, key, "second")
    try:
        await bot_processes.wait_started(second)
        await bot_processes.wait_for_messages(emulator, [chat], BURST, timeout=60)
        rows = await all_sent(sessions)
        await asyncio.sleep(1.0)  # anything still to come would be a duplicate: give it the chance
    finally:
        await second.stop()

    messages = emulator.messages(chat)
    assert len(rows) == BURST
    assert BURST <= len(messages) <= BURST + 1, f"{len(messages) - BURST} duplicates"
    recorded = [r.telegram_message_id for r in rows]
    assert len(set(recorded)) == BURST  # each event has its own message …
    assert set(recorded) <= {m.message_id for m in messages}  # … and it is really in the chat
    assert "delivery_leases_reclaimed" in second.log() or at_kill >= BURST - 1
