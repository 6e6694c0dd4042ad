"""Admins end to end: an owner promotes a member by replying /admin (and demotes with /unadmin) or from
the group's /settings; an admin then acts like an owner except choosing admins; a member's every press
(genuine, replayed into another chat, hand-made) changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.chat import callbacks
from bot.domain.permissions import Role
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as subs_repo
from bot.storage.models import AuditEntry, HomeMember, Subscription
from standins.netatmo_sim.world.demo import HOME_ONE_ID

TIMEOUT = 10  # seconds for the bot's answers


async def role(runtime: Any, user_id: int) -> Role | None:
    async with runtime.services.sessions() as session:
        member = await homes_repo.membership(session, HOME_ONE_ID, user_id)
    return member.level if member is not None else None


async def live_mutes(runtime: Any, chat_id: int) -> int:
    async with runtime.services.sessions() as session:
        return len(await mutes_repo.live_mutes(session, chat_id, datetime.now(UTC)))


def bot_says(text: str) -> Any:
    return lambda m: text in (m.text or "")


async def test_admin_by_reply_then_unadmin(
    emulator: Any, simulator: Any, roles_family: Any, reply_command: Any
) -> None:
    runtime, anna, bob, carl, group = roles_family
    hello = await emulator.send_message(bob, group, "hello")

    # Carl, a member, may not choose admins
    await reply_command(carl, group, hello, "/admin")
    refused = await emulator.wait_for_message(group, predicate=bot_says("Only"), timeout=TIMEOUT)
    assert refused.text == "Only the home's owners can choose its admins."
    assert await role(runtime, bob.id) is None

    await reply_command(anna, group, hello, "/admin")
    done = await emulator.wait_for_message(group, predicate=bot_says("made Bob"), timeout=TIMEOUT)
    assert done.text.startswith("Anna made Bob an admin of ")
    assert await role(runtime, bob.id) == Role.ADMIN

    # Bob, now admin, may mute the group; he may not make Carl an admin
    await emulator.send_message(bob, group, "/mute")
    menu = await emulator.wait_for_message(group, predicate=bot_says("Mute every alert"), timeout=TIMEOUT)
    query = await emulator.press_button(bob, menu, text="30 min")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert await live_mutes(runtime, group.id) == 1
    carl_says = await emulator.send_message(carl, group, "me too")
    await reply_command(bob, group, carl_says, "/admin")
    await emulator.wait_for_message(group, predicate=bot_says("Only the home's owners can"), timeout=TIMEOUT)
    assert await role(runtime, carl.id) is None

    # an owner stays an owner
    anna_says = await emulator.send_message(anna, group, "hi")
    await reply_command(bob, group, anna_says, "/unadmin")
    await emulator.wait_for_message(group, predicate=bot_says("Only the home's owners can"), timeout=TIMEOUT)
    assert await role(runtime, anna.id) == Role.OWNER

    await reply_command(anna, group, hello, "/unadmin")
    await emulator.wait_for_message(group, predicate=bot_says("removed Bob as admin"), timeout=TIMEOUT)
    assert await role(runtime, bob.id) is None
    async with runtime.services.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "role.change").order_by(AuditEntry.id)
        )
        changes = [
            (r.telegram_user_id, r.outcome, r.detail.get("before"), r.detail.get("after")) for r in rows
        ]
    assert changes == [
        (carl.id, "denied", None, None),
        (anna.id, "ok", "member", "admin"),
        (bob.id, "denied", None, None),
        (bob.id, "denied", None, None),
        (anna.id, "ok", "admin", "member"),
    ]


async def test_admins_screen_in_group_settings(emulator: Any, simulator: Any, roles_family: Any) -> None:
    runtime, anna, bob, carl, group = roles_family
    await emulator.send_message(anna, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    # Bob pressed something here once (a refused mute): the bot now knows him as someone of this group.
    await emulator.send_message(bob, group, "/mute")
    mute_menu = await emulator.wait_for_message(
        group, predicate=bot_says("Mute every alert"), timeout=TIMEOUT
    )
    query = await emulator.press_button(bob, mute_menu, text="1 h")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)

    query = await emulator.press_button(carl, menu, text="Admins")  # members may look
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    screen = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "• Anna (owner)" in screen.text
    assert "Make Bob admin" in [label for label, _d in screen.buttons]

    query = await emulator.press_button(carl, menu, text="Make Bob admin")
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert answer.show_alert and answer.text == "Only the home's owners can choose its admins."
    assert await role(runtime, bob.id) is None

    query = await emulator.press_button(anna, menu, text="Make Bob admin")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    promoted = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "• Bob (admin)" in promoted.text and "Remove admin Bob" in [
        label for label, _d in promoted.buttons
    ]
    notice = await emulator.wait_for_message(group, predicate=bot_says("made Bob an admin"), timeout=TIMEOUT)
    assert notice.text.startswith("Anna made Bob an admin of ")
    assert await role(runtime, bob.id) == Role.ADMIN

    query = await emulator.press_button(anna, menu, text="Remove admin Bob")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert await role(runtime, bob.id) is None


async def test_every_press_of_a_member_changes_nothing(
    emulator: Any, simulator: Any, roles_family: Any
) -> None:
    runtime, anna, bob, carl, group = roles_family
    other = emulator.add_group("Neighbours", [anna, bob, carl])
    async with runtime.services.sessions() as session:
        sub = await subs_repo.get_subscription(session, group.id, HOME_ONE_ID)
        assert sub is not None
        sub_id = sub.id

    # every button Anna's menus offer, collected as she navigates
    await emulator.send_message(anna, group, "/settings")
    settings = await emulator.wait_for_message(group, timeout=TIMEOUT)
    genuine = {data for _label, data in settings.buttons}
    for view in ("k", "c", "p", "q", "u"):
        query = await emulator.press_button(anna, settings, callbacks.encode("set", view, sub_id))
        await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
        screen = await emulator.wait_for_edit(settings, timeout=TIMEOUT)
        genuine |= {data for _label, data in screen.buttons}
    await emulator.send_message(anna, group, "/mute")
    mute_menu = await emulator.wait_for_message(
        group, predicate=bot_says("Mute every alert"), timeout=TIMEOUT
    )
    genuine |= {data for _label, data in mute_menu.buttons}
    genuine |= {
        callbacks.encode("adm", "add", sub_id, carl.id),
        callbacks.encode("adm", "rm", sub_id, anna.id),
        callbacks.encode("sub", "del", HOME_ONE_ID),
        callbacks.encode("sub", "add", HOME_ONE_ID),
    }
    changing = {
        d
        for d in genuine
        if (callbacks.verify(d) or "").split(":")[1] not in ("m", "k", "c", "p", "q", "u", "v")
    }
    assert len(changing) >= 10

    async def state() -> tuple[Any, ...]:
        async with runtime.services.sessions() as session:
            subs = [
                (s.chat_id, s.event_kinds, s.camera_ids, s.people_mode, s.person_ids, s.quiet_start, s.active)
                for s in await session.scalars(select(Subscription).order_by(Subscription.id))
            ]
            members = [(m.telegram_user_id, m.role) for m in await session.scalars(select(HomeMember))]
        return subs, sorted(members), await live_mutes(runtime, group.id)

    before = await state()
    target = mute_menu
    for data in sorted(changing):
        # the genuine button in the group, the same data replayed into another chat, and a hand-made copy
        for message, pressed in (
            (target, data),
            (None, data),
            (target, data.rsplit(":", 1)[0] + ":AAAAAAAA"),
        ):
            if message is None:
                await runtime.application.bot.send_message(other.id, "menu")
                message = await emulator.wait_for_message(other, timeout=TIMEOUT)
            query = await emulator.press_button(bob, message, pressed)
            answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
            assert answer.show_alert, (pressed, answer.text)
    assert await state() == before
    async with runtime.services.sessions() as session:
        outcomes = {
            r.outcome
            for r in await session.scalars(select(AuditEntry).where(AuditEntry.telegram_user_id == bob.id))
        }
    assert outcomes <= {"denied"}


async def test_an_expired_settings_menu_says_so_and_does_nothing(
    emulator: Any, simulator: Any, roles_family: Any, monkeypatch: Any
) -> None:
    from datetime import timedelta

    from bot.chat import buttons

    _runtime, anna, _bob, _carl, group = roles_family
    await emulator.send_message(anna, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(buttons, "_now", lambda: later)
    query = await emulator.press_button(anna, menu, text="Quiet hours")
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert answer.show_alert and answer.text == "This menu is too old. Send the command again."
    assert menu.edits == []
