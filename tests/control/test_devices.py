"""Home+Control end to end: lights on/off and brightness, plugs with their power, shutters."""

from __future__ import annotations

from typing import Any

from bot.chat import callbacks
from standins.netatmo_sim.world.demo import (
    DIMMER_ID,
    GATEWAY_ID,
    HOME_TWO_ID,
    LIGHT_ID,
    PLUG_ID,
    SHUTTER_LIVING_ID,
)

TIMEOUT = 10  # seconds for the bot's answers


def packed(device_id: str) -> str:
    """How a device travels in callback data: the digest of its id."""
    return callbacks.digest(device_id)


def state(simulator: Any, device_id: str) -> dict[str, Any]:
    return dict(simulator.world.home(HOME_TWO_ID).devices[device_id].state)


async def open_devices(emulator: Any, ui: Any, user: Any, chat: Any) -> Any:
    await emulator.send_message(user, chat, "/scenarios")
    menu = await emulator.wait_for_message(chat, timeout=TIMEOUT)
    _answer, screen = await ui.press_and_edit(user, menu, f"scn:home:{HOME_TWO_ID}")
    _answer, screen = await ui.press_and_edit(user, screen, f"dev:home:{HOME_TWO_ID}")
    return screen


async def test_lights_plugs_and_shutters(emulator: Any, simulator: Any, household: Any, ui: Any) -> None:
    _runtime, anna, bob, group = household
    screen = await open_devices(emulator, ui, anna, group)
    assert "Kitchen light: switched off" in screen.text and "Coffee machine: switched off" in screen.text
    assert "Living room shutter: open 0 %" in screen.text
    assert f"scn:home:{HOME_TWO_ID}" in ui.data_of(screen)  # Back

    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:d:{HOME_TWO_ID}:{packed(LIGHT_ID)}")
    answer, screen = await ui.press_and_edit(anna, screen, f"dev:on:{HOME_TWO_ID}:{packed(LIGHT_ID)}:1")
    assert answer.text == "Kitchen light: switched on."
    assert state(simulator, LIGHT_ID)["on"] is True
    sent = (await ui.writes("setstate"))[-1]["params"]["json"]["home"]["modules"]
    assert sent == [{"id": LIGHT_ID, "on": True, "bridge": GATEWAY_ID}]
    notice = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "Anna: Kitchen light → switched on" in notice.text
    # a double tap: the light is already on, nothing more is sent
    count = len(await ui.writes())
    answer = await ui.press(anna, screen, f"dev:on:{HOME_TWO_ID}:{packed(LIGHT_ID)}:1")
    assert answer.text == "Already done." and len(await ui.writes()) == count

    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:home:{HOME_TWO_ID}")
    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:d:{HOME_TWO_ID}:{packed(DIMMER_ID)}")
    assert f"dev:br:{HOME_TWO_ID}:{packed(DIMMER_ID)}:50" in ui.data_of(screen)
    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:br:{HOME_TWO_ID}:{packed(DIMMER_ID)}:50")
    assert state(simulator, DIMMER_ID)["brightness"] == 50 and state(simulator, DIMMER_ID)["on"] is True
    assert "switched on · 50 %" in screen.text

    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:home:{HOME_TWO_ID}")
    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:d:{HOME_TWO_ID}:{packed(PLUG_ID)}")
    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:on:{HOME_TWO_ID}:{packed(PLUG_ID)}:1")
    assert state(simulator, PLUG_ID)["on"] is True
    assert " W" in screen.text  # the plug's power

    _answer, screen = await ui.press_and_edit(anna, screen, f"dev:home:{HOME_TWO_ID}")
    _answer, screen = await ui.press_and_edit(
        anna, screen, f"dev:d:{HOME_TWO_ID}:{packed(SHUTTER_LIVING_ID)}"
    )
    _answer, screen = await ui.press_and_edit(
        anna, screen, f"dev:pos:{HOME_TWO_ID}:{packed(SHUTTER_LIVING_ID)}:75"
    )
    assert state(simulator, SHUTTER_LIVING_ID)["current_position"] == 75
    assert "open 75 %" in screen.text
    answer = await ui.press(anna, screen, f"dev:pos:{HOME_TWO_ID}:{packed(SHUTTER_LIVING_ID)}:-1")
    assert answer.text == "Living room shutter: stopped."
    assert state(simulator, SHUTTER_LIVING_ID)["current_position"] == 75  # stop keeps it where it is

    # a button that does not fit the device, and presses of someone who may not control
    answer = await ui.replay(anna, screen, f"dev:br:{HOME_TWO_ID}:{packed(LIGHT_ID)}:50")
    assert answer.show_alert and "not valid" in (answer.text or "")
    count = len(await ui.writes())
    answer = await ui.replay(bob, screen, f"dev:on:{HOME_TWO_ID}:{packed(LIGHT_ID)}:0")
    assert answer.show_alert
    assert len(await ui.writes()) == count and state(simulator, LIGHT_ID)["on"] is True
