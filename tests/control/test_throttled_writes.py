"""A change pressed on a control screen while Netatmo throttles the account: the message says "⏳ working…",
the write goes through once the refusals end, exactly once, and the screen then shows the result. No feature
asks for this: every write the gateway sends goes through the write queue."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.chat.netatmo_errors import working_text
from standins.netatmo_sim.world.demo import HOME_ONE_ID, INDOOR_CAMERA_ID

TIMEOUT = 15  # seconds: the storm adds three Retry-After pauses
INDOOR = INDOOR_CAMERA_ID.replace(":", ".")


async def _storm(simulator: Any, **fault: Any) -> None:
    async with aiohttp.ClientSession() as http:
        body = {"endpoint": "setstate", "preset": "usage_limit", **fault}
        async with http.post(f"{simulator.base_url}/_sim/faults", json=body) as response:
            assert response.status == 200


async def _security_screen(emulator: Any, ui: Any, user: Any) -> Any:
    chat = emulator.private_chat(user)
    await emulator.send_message(user, chat, "/scenarios")
    menu = await emulator.wait_for_message(chat, timeout=TIMEOUT)
    _answer, screen = await ui.press_and_edit(user, menu, f"scn:home:{HOME_ONE_ID}")
    return screen


async def test_a_throttled_monitoring_switch_goes_through_once(
    emulator: Any, simulator: Any, household: Any, ui: Any
) -> None:
    _runtime, anna, _bob, _group = household
    screen = await _security_screen(emulator, ui, anna)
    before = len(await ui.writes("setstate"))
    await _storm(simulator, count=3, retry_after=0.3)

    answer = await ui.press(anna, screen, f"scn:mon:{HOME_ONE_ID}:{INDOOR}:off")
    working = await emulator.wait_for_edit(screen, timeout=TIMEOUT)
    assert working.text == working_text(lambda text: text)
    done = await emulator.wait_for_edit(screen, timeout=TIMEOUT)
    assert "Hall camera: monitoring off" in done.text
    assert answer.text == "Monitoring is off on Hall camera."
    assert simulator.world.home(HOME_ONE_ID).devices[INDOOR_CAMERA_ID].state["monitoring"] == "off"
    assert len(await ui.writes("setstate")) == before + 1  # carried out once, whatever the refusals


async def test_a_storm_longer_than_the_wait_leaves_the_camera_as_it_was(
    emulator: Any, simulator: Any, household: Any, ui: Any
) -> None:
    runtime, anna, _bob, _group = household
    runtime.services.netatmo.writes.deadline = 2.0  # the user is not kept waiting for ever
    screen = await _security_screen(emulator, ui, anna)
    before = len(await ui.writes("setstate"))
    await _storm(simulator, seconds=30, retry_after=0.5)

    await ui.press(anna, screen, f"scn:mon:{HOME_ONE_ID}:{INDOOR}:off")
    await emulator.wait_for_edit(screen, timeout=TIMEOUT)  # working
    failed = await emulator.wait_for_edit(screen, timeout=TIMEOUT)
    assert "Netatmo stayed busy, so the change was not made" in failed.text
    assert simulator.world.home(HOME_ONE_ID).devices[INDOOR_CAMERA_ID].state["monitoring"] == "on"
    assert len(await ui.writes("setstate")) == before
