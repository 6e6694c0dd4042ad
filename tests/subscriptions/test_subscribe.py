"""/subscribe and /unsubscribe end to end: real Application, Bot API emulator, simulator-linked users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.chat import callbacks
from bot.storage.models import AuditEntry, Subscription
from standins.netatmo_sim.world.demo import HOME_ONE_ID, HOME_TWO_ID

TIMEOUT = 10  # seconds to wait for the bot's answers


def sign(data: str) -> str:
    """`data` as the bot would have signed it: these tests are about what the data says."""
    return callbacks.encode(*data.split(":"))


async def subscriptions(runtime: Any, chat_id: int) -> set[str]:
    async with runtime.services.sessions() as session:
        rows = await session.scalars(select(Subscription).where(Subscription.chat_id == chat_id))
        return {row.home_id for row in rows}


async def audits(runtime: Any, action: str) -> list[tuple[int | None, str]]:
    async with runtime.services.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [(row.telegram_user_id, row.outcome) for row in rows]


async def test_linked_user_subscribes_a_group_picking_a_home(emulator: Any, family: Any) -> None:
    runtime, anna, _bob, group = family
    # Linking subscribed Anna's private chat to both of her homes.
    assert await subscriptions(runtime, anna.id) == {HOME_ONE_ID, HOME_TWO_ID}

    await emulator.send_message(anna, group, "/subscribe")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "Which home" in menu.text
    datas = [callbacks.verify(data) for _label, data in menu.buttons]
    assert set(datas) == {f"sub:add:{HOME_ONE_ID}", f"sub:add:{HOME_TWO_ID}"}

    query = await emulator.press_button(anna, menu, sign(f"sub:add:{HOME_ONE_ID}"))
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert not answer.show_alert
    edited = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "now receives the alerts of" in edited.text
    assert await subscriptions(runtime, group.id) == {HOME_ONE_ID}

    # A second /subscribe offers only the remaining home, and subscribes it directly.
    await emulator.send_message(anna, group, "/subscribe")
    done = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "now receives the alerts of" in done.text and not done.buttons
    assert await subscriptions(runtime, group.id) == {HOME_ONE_ID, HOME_TWO_ID}

    await emulator.send_message(anna, group, "/subscribe")
    again = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "already receives" in again.text
    assert await audits(runtime, "subscription.add") == [(anna.id, "ok"), (anna.id, "ok")]


async def test_a_member_is_refused(emulator: Any, family: Any) -> None:
    runtime, anna, bob, group = family
    await emulator.send_message(bob, group, "/subscribe")
    refusal = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "Only a home's owners and admins can send its alerts to a chat." in refusal.text
    assert await subscriptions(runtime, group.id) == set()

    # Bob presses the button Anna's /subscribe offered: checked against Bob, not the chat.
    await emulator.send_message(anna, group, "/subscribe")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    query = await emulator.press_button(bob, menu, sign(f"sub:add:{HOME_ONE_ID}"))
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert (
        answer.show_alert
        and answer.text == "Only the home's owners and admins can send its alerts to a chat."
    )
    assert await subscriptions(runtime, group.id) == set()
    assert await audits(runtime, "subscription.add") == [(bob.id, "denied"), (bob.id, "denied")]


async def test_unsubscribe_by_owner_only(emulator: Any, family: Any) -> None:
    runtime, anna, bob, group = family
    await emulator.send_message(anna, group, "/subscribe")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    await emulator.press_button(anna, menu, sign(f"sub:add:{HOME_ONE_ID}"))
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)

    await emulator.send_message(bob, group, "/unsubscribe")
    refusal = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert refusal.text == "Only the home's owners and admins can stop its alerts here."

    await emulator.send_message(anna, group, "/unsubscribe")
    offer = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert [callbacks.verify(data) for _label, data in offer.buttons] == [f"sub:del:{HOME_ONE_ID}"]
    query = await emulator.press_button(bob, offer, sign(f"sub:del:{HOME_ONE_ID}"))
    assert (await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)).show_alert
    assert await subscriptions(runtime, group.id) == {HOME_ONE_ID}

    await emulator.press_button(anna, offer, sign(f"sub:del:{HOME_ONE_ID}"))
    edited = await emulator.wait_for_edit(offer, timeout=TIMEOUT)
    assert "no longer receives" in edited.text
    assert await subscriptions(runtime, group.id) == set()
    assert await audits(runtime, "subscription.remove") == [
        (bob.id, "denied"),
        (bob.id, "denied"),
        (anna.id, "ok"),
    ]

    await emulator.send_message(anna, group, "/unsubscribe")
    nothing = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert nothing.text == "This chat receives no alerts."


async def test_forged_subscription_button(emulator: Any, family: Any) -> None:
    runtime, anna, _bob, group = family
    await emulator.send_message(anna, group, "/subscribe")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    for forged in ("sub:add", "sub:add:nothome", "sub:zap:x"):
        query = await emulator.press_button(anna, menu, sign(forged))
        answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
        assert answer.show_alert, forged
    assert await subscriptions(runtime, group.id) == set()
