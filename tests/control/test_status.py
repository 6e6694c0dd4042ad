"""/status end to end against the Netatmo simulator and the Bot API emulator: one home, two homes with
the picker, Refresh editing the same message, a home whose status fails, refused and stale presses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.chat import callbacks
from bot.storage.models import NetatmoLink
from standins.netatmo_sim.world.demo import (
    HOME_ONE_ID,
    HOME_TWO_ID,
    LIGHT_ID,
    SECOND_ACCOUNT,
    SECOND_CAMERA_ID,
    SECOND_HOME_ID,
    SECOND_RELAY_ID,
    SHUTTER_BEDROOM_ID,
)

TIMEOUT = 10  # seconds to wait for the bot's answers
NAVIGATION = ["🛡 Security", "🌡 Heating", "🎬 Scenarios", "📷 Cameras", "🔄 Refresh"]


def labels(message: Any) -> list[str]:
    return [label for label, _data in message.buttons]


def data_of(message: Any, label: str) -> str:
    return next(str(data) for text, data in message.buttons if text == label)


async def homestatus_calls(simulator: Any, account: str) -> int:
    return int((await simulator.counters(account))["total"])


async def test_one_home_shows_its_status_and_refresh_edits_the_same_message(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked(SECOND_ACCOUNT)
    await emulator.send_message(anna, None, "/status")
    status = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert status.text.splitlines()[0] == "🏠 Cottage"
    assert "📷 Cottage camera: monitoring on" in status.text
    assert "🏡 Home: Guest" in status.text
    assert "Heating — mode: schedule, schedule: Cottage week, boiler" in status.text
    assert "🌡 Cottage room: " in status.text and "(schedule)" in status.text
    assert labels(status) == NAVIGATION
    assert status.buttons[0][1] == callbacks.encode("sec", "home", SECOND_HOME_ID)
    assert data_of(status, "🔄 Refresh") == callbacks.encode("st", "home", SECOND_HOME_ID)

    await simulator.set_device_online(SECOND_CAMERA_ID, False)
    calls = await homestatus_calls(simulator, SECOND_ACCOUNT)
    await emulator.press_button(anna, status, text="🔄 Refresh")
    edited = await emulator.wait_for_edit(status, timeout=TIMEOUT)
    assert edited.message_id == status.message_id
    assert "📷 Cottage camera: offline" in edited.text and labels(edited) == NAVIGATION
    assert await homestatus_calls(simulator, SECOND_ACCOUNT) == calls + 2  # homesdata + homestatus, fresh
    homes = [m for m in emulator.messages(emulator.private_chat(anna)) if m.text.startswith("🏠")]
    assert homes == [status]  # no new message: the same one was edited


async def test_two_homes_ask_which_and_show_every_kind_of_device(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked()
    await emulator.send_message(anna, None, "/status")
    picker = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert picker.text == "Which home?"
    assert picker.buttons == [
        ("🏠 Demo Flat", callbacks.encode("st", "home", HOME_TWO_ID)),
        ("🏠 Demo House", callbacks.encode("st", "home", HOME_ONE_ID)),
    ]
    await emulator.press_button(anna, picker, text="🏠 Demo House")
    house = await emulator.wait_for_edit(picker, timeout=TIMEOUT)
    text = house.text
    assert text.splitlines()[0] == "🏠 Demo House"
    for line in (
        "📷 Hall camera: monitoring on",
        "📷 Garden camera: monitoring on (floodlight auto)",
        "📷 Living room camera: monitoring on",
        "🔔 Doorbell: online",
        "🚪 Front door: closed",
        "🚨 Hall siren: quiet",
        "🔥 Kitchen smoke alarm: online",
        "☁️ Hall CO alarm: online",
        "🏡 Home: John",
        "🚶 Away: Jane",
        "Heating — mode: schedule, schedule: Standard, boiler",
        "🌡 Living room: ",
        "🌡 Bedroom: ",
        "🌡 Kitchen: ",
        "🌤 Weather station: ",
        "CO₂",
        "🌤 Outdoor: ",
    ):
        assert line in text, line
    assert "🌡 Hall:" not in text  # no thermostat nor valve there
    assert labels(house) == NAVIGATION

    simulator.world.homes[HOME_TWO_ID].devices[LIGHT_ID].state["on"] = True
    simulator.world.homes[HOME_TWO_ID].devices[SHUTTER_BEDROOM_ID].state["current_position"] = 40
    await emulator.send_message(anna, None, "/status")
    picker = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await emulator.press_button(anna, picker, text="🏠 Demo Flat")
    flat = await emulator.wait_for_edit(picker, timeout=TIMEOUT)
    for line in (
        "💡 Kitchen light: on (9 W)",
        "💡 Living room lamp: off",
        "🔌 Coffee machine: off (0 W)",
        "🪟 Living room shutter: closed",
        "🪟 Bedroom shutter: 40 %",
    ):
        assert line in flat.text, line
    assert "Heating" not in flat.text and "Security" not in flat.text


async def test_a_failing_home_says_why_under_a_refresh_button(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked(SECOND_ACCOUNT)
    await simulator.fail_next("homestatus", 403, code=13)
    await emulator.send_message(anna, None, "/status")
    failed = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert failed.text.splitlines()[0] == "🏠 Cottage"
    assert "does not include the permission" in failed.text
    assert labels(failed) == ["🔄 Refresh", "Relink"]
    await emulator.press_button(anna, failed, text="🔄 Refresh")
    fixed = await emulator.wait_for_edit(failed, timeout=TIMEOUT)
    assert "📷 Cottage camera: monitoring on" in fixed.text and labels(fixed) == NAVIGATION


async def test_outsiders_forged_and_expired_presses_change_nothing(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked(SECOND_ACCOUNT)
    eve = emulator.add_user("Eve")
    await emulator.send_message(anna, None, "/status")
    status = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    calls = await homestatus_calls(simulator, SECOND_ACCOUNT)

    outsider = await emulator.press_button(eve, status, text="🔄 Refresh")
    refused = await emulator.wait_for_callback_answer(outsider, timeout=TIMEOUT)
    assert refused.text == "Only members of this home can see its status."
    forged = await emulator.press_button(
        anna, status, callbacks.encode("st", "home", "5e2a0000000000000000ffff")
    )
    assert "not valid" in ((await emulator.wait_for_callback_answer(forged, timeout=TIMEOUT)).text or "")

    status.date = int((datetime.now(UTC) - timedelta(days=2)).timestamp())
    status.edit_date = None
    stale = await emulator.press_button(anna, status, text="🔄 Refresh")
    stale_answer = await emulator.wait_for_callback_answer(stale, timeout=TIMEOUT)
    assert stale_answer.text == "This menu is too old. Send the command again."
    assert status.edits == [] and await homestatus_calls(simulator, SECOND_ACCOUNT) == calls


async def test_revoked_token_gives_one_relink_prompt(emulator: Any, simulator: Any, anna_linked: Any) -> None:
    runtime, anna = await anna_linked(SECOND_ACCOUNT)
    await simulator.revoke_tokens(SECOND_ACCOUNT)
    for _ in range(3):
        await emulator.send_message(anna, None, "/status")
        reply = await emulator.wait_for_message(
            emulator.private_chat(anna), predicate=lambda m: m.text.startswith("🏠"), timeout=TIMEOUT
        )
        assert "lost access" in reply.text and labels(reply) == ["🔄 Refresh"]
    prompts = [
        m for m in emulator.messages(emulator.private_chat(anna)) if ("Relink", "link:start") in m.buttons
    ]
    assert len(prompts) == 1 and "paused" in prompts[0].text
    async with runtime.services.sessions() as session:
        assert [link.state for link in await session.scalars(select(NetatmoLink))] == ["broken"]
    await emulator.press_button(anna, prompts[0], "link:start")
    offer = await emulator.wait_for_message(
        emulator.private_chat(anna),
        predicate=lambda m: "Sign in with Netatmo" in str(m.buttons),
        timeout=TIMEOUT,
    )
    assert offer is not None


async def test_burst_of_status_stays_inside_the_rate_limit(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked(SECOND_ACCOUNT)
    for _ in range(30):  # 30 × /status × 2 calls (homesdata + homestatus): more than 50 per 10 s
        await emulator.send_message(anna, None, "/status")
    replies = [
        await emulator.wait_for_message(
            emulator.private_chat(anna), predicate=lambda m: m.text.startswith("🏠"), timeout=TIMEOUT
        )
        for _ in range(30)
    ]
    counters = await simulator.counters(SECOND_ACCOUNT)
    assert counters["rejected"] == 0
    assert counters["requests_10s"] <= 40
    assert any("Netatmo is busy" in reply.text for reply in replies)


async def test_an_offline_relay_and_camera_show_as_such_and_rooms_without_status_say_no_data(
    emulator: Any, simulator: Any, anna_linked: Any
) -> None:
    _runtime, anna = await anna_linked(SECOND_ACCOUNT)
    anna.language_code = "de"  # she switches her Telegram to German
    await simulator.set_device_online(SECOND_RELAY_ID, False)
    await simulator.set_device_online(SECOND_CAMERA_ID, False)
    await emulator.send_message(anna, None, "/status")
    status = await emulator.wait_for_message(
        emulator.private_chat(anna), predicate=lambda m: m.text.startswith("🏠"), timeout=TIMEOUT
    )
    assert "📷 Cottage camera: offline" in status.text
    assert "🌡 Cottage room: keine Daten" in status.text  # homestatus has no rooms while the relay is away
    assert "⚠️ Offline: Cottage relay" in status.text
    assert labels(status) == ["🛡 Sicherheit", "🌡 Heizung", "🎬 Szenarien", "📷 Kameras", "🔄 Aktualisieren"]
