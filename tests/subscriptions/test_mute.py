"""/mute end to end: quick mutes by the home's owners and admins in a group (anyone in their own private
chat), the list, unmuting, refusals, and what routing sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.chat import callbacks
from bot.storage import mutes as mutes_repo
from standins.netatmo_sim.world.demo import HOME_ONE_ID, OUTDOOR_CAMERA_ID

TIMEOUT = 10  # seconds to wait for the bot's answers


def sign(data: str) -> str:
    """`data` as the bot would have signed it: these tests are about what the data says."""
    return callbacks.encode(*data.split(":"))


async def test_quick_mute_list_and_unmute(emulator: Any, subscribed_family: Any) -> None:
    runtime, anna, bob, group, _sub_id = subscribed_family
    async with runtime.services.sessions.begin() as session:
        await mutes_repo.add_mute(
            session, group.id, HOME_ONE_ID, OUTDOOR_CAMERA_ID, datetime.now(UTC) + timedelta(hours=1), anna.id
        )

    await emulator.send_message(bob, group, "/mute")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "Garden camera" in menu.text and "until" in menu.text
    assert [label for label, _d in menu.buttons][-3:] == ["30 min", "1 h", "8 h"]
    assert "Smoke and CO alarms always come through" in menu.text

    # Bob, a member of the group, may not silence the whole family.
    query = await emulator.press_button(bob, menu, sign("mute:q:480"))
    refused = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert refused.show_alert and (refused.text or "").startswith(
        "Only the home's owners and admins can mute"
    )
    async with runtime.services.sessions() as session:
        assert len(await mutes_repo.live_mutes(session, group.id, datetime.now(UTC))) == 1
    assert menu.edits == []

    # Anna (an owner) mutes the chat for 8 h.
    query = await emulator.press_button(anna, menu, sign("mute:q:480"))
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    edited = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert edited.text.startswith("🔕 Anna muted this chat for 8 h.")
    async with runtime.services.sessions() as session:
        live = await mutes_repo.live_mutes(session, group.id, datetime.now(UTC))
    assert sorted((m.device_id or "") for m in live) == ["", OUTDOOR_CAMERA_ID]
    home_mute = next(m for m in live if m.device_id is None)
    assert timedelta(hours=7, minutes=59) < home_mute.until - datetime.now(UTC) <= timedelta(hours=8)

    # Bob may not unmute either; Anna unmutes all, then the list is empty
    query = await emulator.press_button(bob, menu, sign("mute:xa"))
    assert (await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)).show_alert
    async with runtime.services.sessions() as session:
        assert len(await mutes_repo.live_mutes(session, group.id, datetime.now(UTC))) == 2
    query = await emulator.press_button(anna, menu, sign("mute:xa"))
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    cleared = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "Anna unmuted alerts" in cleared.text and "Nothing is muted" in cleared.text
    async with runtime.services.sessions() as session:
        assert await mutes_repo.live_mutes(session, group.id, datetime.now(UTC)) == []

    # Forged durations and ids
    for forged in ("mute:q:99999", "mute:x:abc", "mute:q"):
        query = await emulator.press_button(bob, menu, sign(forged))
        answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
        assert answer.show_alert and "not valid" in (answer.text or ""), forged
    async with runtime.services.sessions() as session:
        assert await mutes_repo.live_mutes(session, group.id, datetime.now(UTC)) == []


async def test_mute_in_a_chat_without_alerts(emulator: Any, simulator: Any, start_bot: Any) -> None:
    await start_bot(emulator, simulator)
    carl = emulator.add_user("Carl")
    await emulator.send_message(carl, None, "/mute")
    reply = await emulator.wait_for_message(emulator.private_chat(carl), timeout=TIMEOUT)
    assert "Nothing is muted" in reply.text and "receives no alerts" in reply.text
    assert reply.buttons == []
