"""Two replicas on one PostgreSQL share the outbox; one is killed with SIGKILL mid-burst and the other
takes its alerts over. Each alert reaches each chat exactly once (at most one duplicate per chat: the
message that was in flight to it in the killed replica).

Both replicas run in Telegram webhook mode: two long pollers on one token conflict on real Telegram
(409 "terminated by other getUpdates request"), so a replicated deployment uses the webhook behind a load
balancer. The events are written to the outbox the way intake writes them, so this test exercises the
delivery side of replication (leases, takeover), whatever brings the events in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

EVENTS = 100
LEASE = "3"


async def test_two_replicas_share_the_outbox_and_survive_a_kill(
    emulator: Any,
    postgres_url: str,
    tmp_path: Path,
    add_burst: Any,
    bot_processes: Any,
    all_sent: Any,
    migrated: Any,
    free_port: Any,
) -> None:
    chats = [emulator.private_chat(emulator.add_user(f"Member{i}")).id for i in range(3)]
    sessions = await migrated(postgres_url, chats)
    key = bot_processes.new_key()
    replicas = []
    for name in ("a", "b"):
        port = free_port()
        replicas.append(
            bot_processes.start(
                emulator,
                postgres_url,
                tmp_path / name,
                key,
                name,
                WEB_PORT=str(port),
                TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                DELIVERY_LEASE_SECONDS=LEASE,
            )
        )
    a, b = replicas
    try:
        await asyncio.gather(bot_processes.wait_started(a), bot_processes.wait_started(b))
        await add_burst(sessions, "r", EVENTS, chats)
        await bot_processes.wait_for_messages(emulator, chats, 60, timeout=30)
        # Kill whichever replica is doing the work right now (a fast replica may drain the outbox alone):
        # the survivor must take over the rows the victim had leased, once their leases expire.
        victim, survivor = (a, b) if a.log().count("alert_sent") >= b.log().count("alert_sent") else (b, a)
        victim.kill()
        sent_by_victim = victim.log().count("alert_sent")
        total = EVENTS * len(chats)
        await bot_processes.wait_for_messages(emulator, chats, total, timeout=60)
        rows = await all_sent(sessions)
        await asyncio.sleep(1.0)  # a late duplicate would show up here
    finally:
        for replica in replicas:
            await replica.stop()

    sent_by_survivor = survivor.log().count("alert_sent")
    assert 0 < sent_by_victim < total, sent_by_victim  # the victim died mid-burst
    assert sent_by_survivor >= total - sent_by_victim, (sent_by_victim, sent_by_survivor)  # takeover
    assert len(rows) == total
    # At most the message in flight in each chat at the kill (a chat sends one message at a time, but the
    # chats send side by side, so up to one per chat).
    duplicates = {c: len(emulator.messages(c)) - EVENTS for c in chats}
    assert all(0 <= d <= 1 for d in duplicates.values()), duplicates
    for chat in chats:
        recorded = {r.telegram_message_id for r in rows if r.chat_id == chat}
        assert len(recorded) == EVENTS
        assert recorded <= {m.message_id for m in emulator.messages(chat)}
