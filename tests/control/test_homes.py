"""/unlink, /homes and relinking, end to end (/status: test_status.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.chat import callbacks
from bot.storage.models import HomeMember, NetatmoLink, Subscription
from standins.netatmo_sim.world.demo import (
    SECOND_ACCOUNT,
    SECOND_HOME_ID,
)

TIMEOUT = 10  # seconds to wait for the bot's answers


async def _rows(runtime: Any, model: Any) -> list[Any]:
    async with runtime.services.sessions() as session:
        return list(await session.scalars(select(model)))


async def _writes(simulator: Any, endpoint: str) -> int:
    return sum(1 for entry in await simulator.write_log() if endpoint in str(entry["endpoint"]))


async def test_unlink_asks_then_removes_tokens_subscriptions_and_webhook_when_unused(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    anna, ben = emulator.add_user("Anna"), emulator.add_user("Ben")
    await link_user(emulator, anna)
    await link_user(emulator, ben)  # the same Netatmo account, own tokens
    assert len(await _rows(runtime, NetatmoLink)) == 2

    await emulator.send_message(anna, None, "/unlink")
    ask = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert "Unlink your Netatmo account?" in ask.text and "Yes, unlink" in [
        label for label, _d in ask.buttons
    ]
    forged = await emulator.press_button(ben, ask, callbacks.encode("unlink", "yes", anna.id))
    assert "Only the person" in (
        (await emulator.wait_for_callback_answer(forged, timeout=TIMEOUT)).text or ""
    )
    await emulator.press_button(anna, ask, text="Yes, unlink")
    done = await emulator.wait_for_edit(ask, timeout=TIMEOUT)
    assert "Unlinked" in done.text
    links = await _rows(runtime, NetatmoLink)
    assert [link.telegram_user_id for link in links] == [ben.id]
    assert {s.created_by for s in await _rows(runtime, Subscription)} == {ben.id}
    assert {m.telegram_user_id for m in await _rows(runtime, HomeMember)} == {ben.id}
    assert await _writes(simulator, "dropwebhook") == 0  # Ben still uses the account

    await emulator.send_message(ben, None, "/unlink")
    ask = await emulator.wait_for_message(emulator.private_chat(ben), timeout=TIMEOUT)
    await emulator.press_button(ben, ask, text="Yes, unlink")
    await emulator.wait_for_edit(ask, timeout=TIMEOUT)
    assert await _rows(runtime, NetatmoLink) == [] and await _rows(runtime, Subscription) == []
    assert await _writes(simulator, "dropwebhook") == 1

    await emulator.send_message(ben, None, "/unlink")
    nothing = await emulator.wait_for_message(emulator.private_chat(ben), timeout=TIMEOUT)
    assert "no Netatmo account linked" in nothing.text


async def test_linking_another_account_replaces_the_old_link(
    emulator: Any, simulator: Any, anna_linked: Any, link_user: Any
) -> None:
    runtime, anna = await anna_linked()
    first = (await _rows(runtime, NetatmoLink))[0]
    again = await link_user(emulator, anna)
    assert "Link renewed" in again.text
    replaced = await link_user(emulator, anna, account=SECOND_ACCOUNT)
    assert "replaces your previous link" in replaced.text
    links = await _rows(runtime, NetatmoLink)
    assert len(links) == 1 and links[0].id == first.id and links[0].netatmo_user_id == SECOND_ACCOUNT
    assert {m.home_id for m in await _rows(runtime, HomeMember)} == {SECOND_HOME_ID}
    assert {s.home_id for s in await _rows(runtime, Subscription)} == {SECOND_HOME_ID}


async def test_homes_lists_linked_homes(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/homes")
    none = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert "/link" in none.text
    await link_user(emulator, anna)
    await emulator.send_message(anna, None, "/homes")
    listed = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    names = [home.name for home in await runtime.services.netatmo.homes(1)]
    assert all(name in listed.text for name in names) and "owner" in listed.text
