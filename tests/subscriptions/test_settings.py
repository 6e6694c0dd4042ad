"""/settings end to end: menus edited in place, toggles persisted, quiet hours, refusals, forged data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.chat import callbacks
from bot.domain.routing import KIND_GROUPS
from bot.storage import subscriptions as repo
from bot.storage.models import AuditEntry, Subscription
from standins.netatmo_sim.world.demo import HOME_ONE_ID, OUTDOOR_CAMERA_ID

TIMEOUT = 10  # seconds to wait for the bot's answers


async def load(runtime: Any, sub_id: int) -> Subscription:
    async with runtime.services.sessions() as session:
        sub = await session.get(Subscription, sub_id)
    assert sub is not None
    return sub


def data_of(message: Any) -> list[str | None]:
    """The buttons' callback data without their MACs."""
    return [callbacks.verify(d) for _l, d in message.buttons]


async def press(emulator: Any, user: Any, message: Any, data: str) -> Any:
    """Press `data` as the bot would have signed it: the tests here are about what the data says."""
    query = await emulator.press_button(user, message, callbacks.encode(*data.split(":")))
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    return answer


async def test_settings_menu_and_toggles_persist(emulator: Any, subscribed_family: Any) -> None:
    runtime, anna, _bob, group, sub_id = subscribed_family
    await emulator.send_message(anna, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "Kinds: all" in menu.text and "Quiet hours: off" in menu.text and "Cameras: all" in menu.text
    assert f"set:k:{sub_id}" in data_of(menu)

    await press(emulator, anna, menu, f"set:k:{sub_id}")
    kinds = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert [label for label, _d in kinds.buttons][: len(KIND_GROUPS)] == [
        "✅ People",
        "✅ Motion",
        "✅ Doorbell",
        "✅ Doors",
        "✅ Alarms and sirens",
        "✅ Device health",
    ]
    await press(emulator, anna, menu, f"set:kt:{sub_id}:motion")
    toggled = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "▫️ Motion" in [label for label, _d in toggled.buttons]
    sub = await load(runtime, sub_id)
    assert sub.event_kinds is not None
    assert "human" not in sub.event_kinds and "vehicle" not in sub.event_kinds and "smoke" in sub.event_kinds

    # quiet hours preset, stored as minutes after local midnight
    await press(emulator, anna, menu, f"set:q:{sub_id}")
    quiet = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "Europe/Paris" in quiet.text
    await press(emulator, anna, menu, f"set:qs:{sub_id}:1320-420")
    set_quiet = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "✅ 22:00–07:00" in [label for label, _d in set_quiet.buttons]
    sub = await load(runtime, sub_id)
    assert (sub.quiet_start, sub.quiet_end) == (1320, 420)

    # cameras: unticking one leaves the others
    await press(emulator, anna, menu, f"set:c:{sub_id}")
    cameras = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    packed = OUTDOOR_CAMERA_ID.replace(":", ".")
    assert f"set:ct:{sub_id}:{packed}" in data_of(cameras)
    await press(emulator, anna, menu, f"set:ct:{sub_id}:{packed}")
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    sub = await load(runtime, sub_id)
    assert sub.camera_ids is not None and OUTDOOR_CAMERA_ID not in sub.camera_ids and len(sub.camera_ids) >= 1

    # people: unknown faces only
    await press(emulator, anna, menu, f"set:pm:{sub_id}:unknown")
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert (await load(runtime, sub_id)).people_mode == "unknown"

    # back to the main screen shows the summary
    await press(emulator, anna, menu, f"set:m:{sub_id}")
    main = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "Quiet hours: 22:00–07:00" in main.text and "People: Unknown faces only" in main.text

    # routing sees it all
    async with runtime.services.sessions() as session:
        rules, _mutes, _tz = await repo.load_routing(session, HOME_ONE_ID, datetime.now(UTC))
    rule = next(r for r in rules if r.chat_id == group.id)
    assert (
        rule.quiet_start == 1320 and rule.people_mode == "unknown" and "human" not in (rule.event_kinds or ())
    )


async def test_a_member_may_look_but_not_change(emulator: Any, subscribed_family: Any) -> None:
    runtime, anna, bob, group, sub_id = subscribed_family
    await emulator.send_message(bob, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    answer = await press(emulator, bob, menu, f"set:q:{sub_id}")
    assert not answer.show_alert
    await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    answer = await press(emulator, bob, menu, f"set:qs:{sub_id}:1380-360")
    assert (
        answer.show_alert
        and answer.text == "Only the home's owners and admins can change this chat's settings."
    )
    sub = await load(runtime, sub_id)
    assert (sub.quiet_start, sub.quiet_end) == (None, None)
    async with runtime.services.sessions() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")))
    assert [(r.telegram_user_id, r.outcome) for r in rows] == [(bob.id, "denied")]
    # Anna can
    await press(emulator, anna, menu, f"set:qs:{sub_id}:1380-360")
    assert ((await load(runtime, sub_id)).quiet_start, (await load(runtime, sub_id)).quiet_end) == (1380, 360)


async def test_forged_settings_buttons(emulator: Any, subscribed_family: Any) -> None:
    runtime, anna, _bob, group, sub_id = subscribed_family
    await emulator.send_message(anna, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    # Anna's private chat subscription is another chat's: its id must not work from the group.
    async with runtime.services.sessions() as session:
        private = await repo.get_subscription(session, anna.id, HOME_ONE_ID)
    assert private is not None
    for forged in (
        f"set:qs:{private.id}:1320-420",
        f"set:qs:{sub_id}:1-2",  # not a preset
        f"set:kt:{sub_id}:nothing",
        f"set:ct:{sub_id}:aa.bb",
        "set:m:notanumber",
        f"set:zz:{sub_id}",
    ):
        answer = await press(emulator, anna, menu, forged)
        assert answer.show_alert and "not valid" in (answer.text or ""), forged
    assert (await load(runtime, private.id)).quiet_start is None
    sub = await load(runtime, sub_id)
    assert (sub.quiet_start, sub.event_kinds, sub.camera_ids) == (None, None, None)


async def test_settings_without_subscription(emulator: Any, simulator: Any, start_bot: Any) -> None:
    await start_bot(emulator, simulator)
    carl = emulator.add_user("Carl")
    group = emulator.add_group("Club", [carl])
    await emulator.send_message(carl, group, "/settings")
    reply = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "receives no alerts" in reply.text


async def test_people_chosen_lists_topology_persons(emulator: Any, subscribed_family: Any) -> None:
    from standins.netatmo_sim.world.demo import PERSON_JOHN_ID

    runtime, anna, _bob, group, sub_id = subscribed_family
    await emulator.send_message(anna, group, "/settings")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    await press(emulator, anna, menu, f"set:pm:{sub_id}:chosen")
    people = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    labels = [label for label, _d in people.buttons]
    assert "🔘 Unknown faces + chosen people" in labels
    assert "▫️ John" in labels and "▫️ Jane" in labels
    await press(emulator, anna, menu, f"set:pt:{sub_id}:{PERSON_JOHN_ID}")
    chosen = await emulator.wait_for_edit(menu, timeout=TIMEOUT)
    assert "✅ John" in [label for label, _d in chosen.buttons]
    sub = await load(runtime, sub_id)
    assert (sub.people_mode, sub.person_ids) == ("chosen", [PERSON_JOHN_ID])
    answer = await press(emulator, anna, menu, f"set:pt:{sub_id}:not-a-person")
    assert answer.show_alert
