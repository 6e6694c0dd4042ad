"""A button whose action writes through the write queue, end to end (emulator, simulator, real pipeline):
a 429 storm turns its message into "⏳ working…" and then into the result, with exactly one write; a storm
longer than the deadline ends in the clear failure sentence and no write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat import callbacks
from bot.chat.application import FEATURES
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.netatmo_errors import explain, show_working, working_text
from bot.domain.permissions import Action
from bot.netatmo.errors import NetatmoError
from standins.netatmo_sim.world.demo import HOME_ONE_ID, OUTDOOR_CAMERA_ID

TIMEOUT = 10


async def _home(press: Press, session: Any) -> str:
    return HOME_ONE_ID


WPROBE = Buttons("wprobe", invalid="Not valid.", home=_home)


@WPROBE.outside_transaction(
    "off", args=(callbacks.NUMBER,), permission=Action.CONTROL, audit="wprobe.off", refusal="Refused."
)
async def _off(press: Press) -> Outcome:
    _ = press.tr
    gateway = press.services.netatmo
    assert gateway is not None and press.membership is not None and press.membership.link_id is not None
    link_id = press.membership.link_id
    try:
        await gateway.writes.submit(
            link_id,
            "monitoring off",
            lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, OUTDOOR_CAMERA_ID, False),
            deadline=float(press.args[0]),
            progress=show_working(press.message, _),
        )
    except NetatmoError as error:
        return Outcome(edit=Edit(explain(_, error)), audits=[press.audit(outcome="error")])
    return Outcome(answer="Done.", edit=Edit("Monitoring is off."), audits=[press.audit()])


@pytest.fixture
def open_panel(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> Callable[[int], Awaitable[tuple[Any, Any]]]:
    """`anna, panel = await open_panel(deadline)`: the bot with the probe's button besides its own, Anna
    linked, and in her private chat a message with the probe's Off button (write `deadline` seconds)."""

    async def open_(deadline: int) -> tuple[Any, Any]:
        runtime = await start_bot(emulator, simulator, features=(*FEATURES, WPROBE.register))
        anna = emulator.add_user("Anna")
        await link_user(emulator, anna)
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Off", callback_data=callbacks.encode("wprobe", "off", deadline))]]
        )
        chat = emulator.private_chat(anna)
        await runtime.application.bot.send_message(
            chat.id, "Garden camera: monitoring on", reply_markup=keyboard
        )
        panel = await emulator.wait_for_message(chat, predicate=lambda m: bool(m.buttons), timeout=TIMEOUT)
        return anna, panel

    return open_


async def _storm(simulator: Any, **fault: Any) -> None:
    async with aiohttp.ClientSession() as http:
        body = {"endpoint": "setstate", "preset": "usage_limit", **fault}
        async with http.post(f"{simulator.base_url}/_sim/faults", json=body) as resp:
            assert resp.status == 200


def _setstates(simulator: Any) -> int:
    return sum(1 for w in simulator.state.write_log if w["endpoint"] == "setstate")


async def test_a_throttled_press_shows_working_then_done_and_writes_once(
    emulator: Any, simulator: Any, open_panel: Any
) -> None:
    anna, panel = await open_panel(20)
    await _storm(simulator, count=3, retry_after=0.3)
    query = await emulator.press_button(anna, panel, text="Off")
    working = await emulator.wait_for_edit(panel, timeout=TIMEOUT)
    assert working.text == working_text(lambda s: s) and not working.buttons
    done = await emulator.wait_for_edit(panel, timeout=TIMEOUT)
    assert done.text == "Monitoring is off."
    assert (await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)).text == "Done."
    assert _setstates(simulator) == 1
    assert simulator.world.find_device(OUTDOOR_CAMERA_ID)[1].state["monitoring"] == "off"


async def test_a_storm_longer_than_the_deadline_ends_in_a_clear_failure(
    emulator: Any, simulator: Any, open_panel: Any
) -> None:
    anna, panel = await open_panel(2)
    await _storm(simulator, seconds=30, retry_after=0.5)
    await emulator.press_button(anna, panel, text="Off")
    await emulator.wait_for_edit(panel, timeout=TIMEOUT)  # working
    failed = await emulator.wait_for_edit(panel, timeout=TIMEOUT)
    assert (
        failed.text == "Netatmo stayed busy, so the change was not made. Please try again in a few minutes."
    )
    assert _setstates(simulator) == 0
    assert simulator.world.find_device(OUTDOOR_CAMERA_ID)[1].state.get("monitoring") != "off"
