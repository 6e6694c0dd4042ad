"""/heating end to end: screens, modes, schedules, setpoints on both kinds of room, charts, refusals."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image
from sqlalchemy import select

from bot.chat import callbacks
from bot.storage.models import AuditEntry
from standins.netatmo_sim.world.builder import HomeBuilder
from standins.netatmo_sim.world.demo import (
    BEDROOM_ID,
    FLAT_BEDROOM_ID,
    HOME_ONE_ID,
    HOME_TWO_ID,
    LIVING_ROOM_ID,
    SCHEDULE_HOLIDAYS_ID,
    SECOND_ACCOUNT,
    SECOND_HOME_ID,
)

TIMEOUT = 10
SMARTHER_ID = "00:03:50:00:00:01"


def data(action: str, *args: object) -> str:
    return callbacks.encode("heat", action, *args)


async def writes(simulator: Any, endpoint: str) -> list[dict[str, Any]]:
    return [w for w in await simulator.write_log() if w["endpoint"].endswith(endpoint)]


def room_state(simulator: Any, home_id: str, room_id: str) -> Any:
    home = simulator.state.world.homes[home_id]
    return home.rooms[room_id]


async def audits(runtime: Any) -> list[AuditEntry]:
    async with runtime.services.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def press(emulator: Any, user: Any, message: Any, callback: str) -> Any:
    await emulator.press_button(user, message, callback)
    return await emulator.wait_for_edit(message, timeout=TIMEOUT)


async def answer_of(emulator: Any, user: Any, message: Any, callback: str) -> str:
    query = await emulator.press_button(user, message, callback)
    return (await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)).text or ""


async def open_heating(emulator: Any, user: Any, chat: Any = None) -> Any:
    """/heating; Anna has two homes, so a picker; then Demo House's screen."""
    await emulator.send_message(user, chat, "/heating")
    target = emulator.private_chat(user) if chat is None else chat
    picker = await emulator.wait_for_message(target, timeout=TIMEOUT)
    assert "Which home" in picker.text
    assert data("home", HOME_ONE_ID) in [d for _label, d in picker.buttons]
    return await press(emulator, user, picker, data("home", HOME_ONE_ID))


async def test_home_screen_room_setpoint_with_setroomthermpoint(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    runtime, anna = await anna_linked()
    screen = await open_heating(emulator, anna)
    assert "Demo House" in screen.text and "Living room" in screen.text and "Bedroom" in screen.text
    assert "Mode: schedule (Standard)" in screen.text
    labels = [label for label, _d in screen.buttons]
    assert {"Schedule", "Away", "Frost guard", "Weekly schedule", "Boiler chart", "Refresh", "« Back"} <= set(
        labels
    )

    screen = await press(emulator, anna, screen, data("room", HOME_ONE_ID, LIVING_ROOM_ID))
    assert "Living room" in screen.text and "+0.5" in [label for label, _d in screen.buttons]
    screen = await press(emulator, anna, screen, data("t", HOME_ONE_ID, LIVING_ROOM_ID, 215))
    assert "21.5 °C" in screen.text and "for how long" in screen.text
    screen = await press(emulator, anna, screen, data("set", HOME_ONE_ID, LIVING_ROOM_ID, 215, 60))

    sent = await writes(simulator, "setroomthermpoint")
    assert len(sent) == 1
    params = sent[0]["params"]
    assert (
        params["room_id"] == LIVING_ROOM_ID and params["mode"] == "manual" and float(params["temp"]) == 21.5
    )
    room = room_state(simulator, HOME_ONE_ID, LIVING_ROOM_ID)
    assert room.override_mode == "manual" and room.override_temp == 21.5
    assert 3500 <= room.override_end - room.override_start <= 3700
    assert "→ 21.5 °C (manual, until" in screen.text  # the state Netatmo reports after the write
    assert await writes(simulator, "setstate") == []
    (entry,) = [a for a in await audits(runtime) if a.action == "heating.setpoint"]
    assert entry.outcome == "ok" and entry.telegram_user_id == anna.id and entry.home_id == HOME_ONE_ID
    assert entry.detail["room"] == "Living room" and entry.detail["after"] == 21.5
    assert entry.detail["before"] != 21.5 and entry.detail["until"]


async def test_setstate_room_of_a_smarther(emulator: Any, simulator: Any, anna_linked: Any) -> None:
    flat = simulator.state.world.homes[HOME_TWO_ID]
    HomeBuilder(flat, random.Random(1)).device(SMARTHER_ID, "BNS", "Bedroom Smarther", FLAT_BEDROOM_ID)
    _runtime, anna = await anna_linked()
    await emulator.send_message(anna, None, "/heating")
    picker = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    screen = await press(emulator, anna, picker, data("home", HOME_TWO_ID))
    assert "Bedroom" in screen.text and "Kitchen" not in screen.text
    screen = await press(emulator, anna, screen, data("room", HOME_TWO_ID, FLAT_BEDROOM_ID))
    screen = await press(emulator, anna, screen, data("t", HOME_TWO_ID, FLAT_BEDROOM_ID, 200))
    screen = await press(emulator, anna, screen, data("set", HOME_TWO_ID, FLAT_BEDROOM_ID, 200, 30))

    assert await writes(simulator, "setroomthermpoint") == []
    (sent,) = await writes(simulator, "setstate")
    (room,) = sent["params"]["json"]["home"]["rooms"]
    assert room["id"] == FLAT_BEDROOM_ID and room["therm_setpoint_mode"] == "manual"
    assert room["therm_setpoint_temperature"] == 20.0
    state = room_state(simulator, HOME_TWO_ID, FLAT_BEDROOM_ID)
    assert state.override_mode == "manual" and state.override_temp == 20.0
    assert "→ 20 °C (manual" in screen.text

    screen = await press(emulator, anna, screen, data("auto", HOME_TWO_ID, FLAT_BEDROOM_ID))
    assert state.override_mode is None
    assert (await writes(simulator, "setstate"))[-1]["params"]["json"]["home"]["rooms"][0] == {
        "id": FLAT_BEDROOM_ID,
        "therm_setpoint_mode": "home",
    }


async def test_home_mode_schedule_switch_boost_and_back(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked()
    screen = await open_heating(emulator, anna)
    home = simulator.state.world.homes[HOME_ONE_ID]

    screen = await press(emulator, anna, screen, data("mode", HOME_ONE_ID, "away"))
    assert "for how long" in screen.text
    assert "Until tomorrow 07:00" in [label for label, _d in screen.buttons]
    screen = await press(emulator, anna, screen, data("setmode", HOME_ONE_ID, "away", "3h"))
    (sent,) = await writes(simulator, "setthermmode")
    assert sent["params"]["mode"] == "away" and int(sent["params"]["endtime"]) > 0
    assert home.therm_mode == "away" and "Mode: away until" in screen.text

    screen = await press(emulator, anna, screen, data("setmode", HOME_ONE_ID, "schedule", "i"))
    assert (
        home.therm_mode == "schedule"
        and "endtime" not in (await writes(simulator, "setthermmode"))[-1]["params"]
    )

    screen = await press(emulator, anna, screen, data("scheds", HOME_ONE_ID))
    assert "✅ Standard" in [label for label, _d in screen.buttons]
    screen = await press(
        emulator, anna, screen, data("sched", HOME_ONE_ID, callbacks.digest(SCHEDULE_HOLIDAYS_ID))
    )
    assert "✅ Winter holidays" in [label for label, _d in screen.buttons]
    assert home.selected_schedule().id == SCHEDULE_HOLIDAYS_ID

    screen = await press(emulator, anna, screen, data("room", HOME_ONE_ID, BEDROOM_ID))
    screen = await press(emulator, anna, screen, data("boost", HOME_ONE_ID, BEDROOM_ID))
    bedroom = room_state(simulator, HOME_ONE_ID, BEDROOM_ID)
    assert bedroom.override_mode == "max" and 1700 <= bedroom.override_end - bedroom.override_start <= 1900
    assert "(boost, until" in screen.text
    screen = await press(emulator, anna, screen, data("auto", HOME_ONE_ID, BEDROOM_ID))
    assert bedroom.override_mode is None
    assert [w["params"]["mode"] for w in await writes(simulator, "setroomthermpoint")] == ["max", "home"]


async def test_invalid_setpoints_are_explained_and_never_written(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked()
    screen = await open_heating(emulator, anna)
    too_hot = await answer_of(emulator, anna, screen, data("set", HOME_ONE_ID, LIVING_ROOM_ID, 305, 30))
    assert "between 7 and 30 °C" in too_hot
    too_cold = await answer_of(emulator, anna, screen, data("t", HOME_ONE_ID, LIVING_ROOM_ID, 65))
    assert "between 7 and 30 °C" in too_cold
    odd = await answer_of(emulator, anna, screen, data("set", HOME_ONE_ID, LIVING_ROOM_ID, 203, 30))
    assert "steps of 0.5 °C" in odd
    unknown_room = await answer_of(emulator, anna, screen, data("set", HOME_ONE_ID, "999", 200, 30))
    assert "not valid" in unknown_room
    assert await simulator.write_log() == []


async def test_group_notice_and_refusal_of_people_without_a_link(
    emulator: Any, simulator: Any, family: Any
) -> None:
    runtime, anna, bob, group = family
    screen = await open_heating(emulator, anna, group)

    for forged in (
        data("set", HOME_ONE_ID, LIVING_ROOM_ID, 210, 60),
        data("boost", HOME_ONE_ID, LIVING_ROOM_ID),
        data("setmode", HOME_ONE_ID, "hg", "i"),
        data("sched", HOME_ONE_ID, callbacks.digest(SCHEDULE_HOLIDAYS_ID)),
    ):
        answer = await answer_of(emulator, bob, screen, forged)
        assert "owners and admins" in answer, forged
    assert await simulator.write_log() == []
    refused = [a for a in await audits(runtime) if a.telegram_user_id == bob.id]
    assert len(refused) == 4 and {a.outcome for a in refused} == {"denied"}
    looking = await answer_of(emulator, bob, screen, data("room", HOME_ONE_ID, LIVING_ROOM_ID))
    assert "Only members of this home" in looking  # not a member: looking is refused too

    await emulator.press_button(anna, screen, data("set", HOME_ONE_ID, LIVING_ROOM_ID, 210, 60))
    notice = await emulator.wait_for_message(group, predicate=lambda m: "Anna set" in (m.text or ""))
    assert "Anna set Living room to 21 °C until" in notice.text


async def test_charts_are_sent_as_png_photos(emulator: Any, simulator: Any, anna_linked: Any) -> None:
    _runtime, anna = await anna_linked()
    screen = await open_heating(emulator, anna)
    chat = emulator.private_chat(anna)
    for callback in (
        data("chart", HOME_ONE_ID, LIVING_ROOM_ID, "d"),
        data("chart", HOME_ONE_ID, LIVING_ROOM_ID, "w"),
        data("boiler", HOME_ONE_ID),
    ):
        await emulator.press_button(anna, screen, callback)
        photo = await emulator.wait_for_message(chat, predicate=lambda m: m.photo_bytes is not None)
        image = Image.open(io.BytesIO(photo.photo_bytes))
        assert image.format == "PNG" and image.size == (800, 400)
    captions = [m.caption for m in emulator.messages(chat) if m.photo_bytes]
    assert captions == [
        "Living room: 24 hours",
        "Living room: 7 days",
        "Demo House: boiler running time per day",
    ]


async def test_netatmo_refusals_become_sentences_and_error_audits(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    runtime, anna = await anna_linked()
    screen = await open_heating(emulator, anna)
    room = room_state(simulator, HOME_ONE_ID, LIVING_ROOM_ID)

    await simulator.fail_next("setroomthermpoint", 400, code=41)
    offline = await answer_of(emulator, anna, screen, data("boost", HOME_ONE_ID, LIVING_ROOM_ID))
    assert "offline" in offline and room.override_mode is None
    await simulator.fail_next("setthermmode", 403, code=13)
    scope = await answer_of(emulator, anna, screen, data("setmode", HOME_ONE_ID, "hg", "i"))
    assert "permission" in scope.lower() or "relink" in scope.lower()
    assert simulator.state.world.homes[HOME_ONE_ID].therm_mode == "schedule"
    failures = [a for a in await audits(runtime) if a.outcome == "error"]
    assert [(a.action, a.detail["error"]) for a in failures] == [
        ("heating.boost", "device_unreachable"),
        ("heating.mode", "missing_scope"),
    ]


async def test_one_home_opens_directly_and_back_leads_to_the_picker(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    await start_bot(emulator, simulator)
    carl, anna = emulator.add_user("Carl"), emulator.add_user("Anna")
    await link_user(emulator, carl, account=SECOND_ACCOUNT)
    await emulator.send_message(carl, None, "/heating")
    screen = await emulator.wait_for_message(emulator.private_chat(carl), timeout=TIMEOUT)
    assert "Cottage" in screen.text and "Cottage room" in screen.text
    assert "« Back" not in [label for label, _d in screen.buttons]  # nothing to go back to

    await link_user(emulator, anna)
    screen = await open_heating(emulator, anna)
    screen = await press(emulator, anna, screen, data("room", HOME_ONE_ID, LIVING_ROOM_ID))
    screen = await press(emulator, anna, screen, data("home", HOME_ONE_ID))
    screen = await press(emulator, anna, screen, data("homes"))
    assert "Which home" in screen.text
    other = await answer_of(emulator, anna, screen, data("home", SECOND_HOME_ID))
    assert "Only members of this home" in other  # Carl's cottage is not Anna's: refused
    assert "Which home" in screen.text
