"""The alert's monitoring button is a toggle: it offers the opposite of the camera's state, the press
sets that state, confirms it and flips the button; old alerts' `alert:mo:` data keeps working."""

from __future__ import annotations

import time
from typing import Any

from bot.alerts.render import alert_keyboard, load_alert_names, render_alert
from bot.chat import callbacks
from bot.domain.events import Kind, SecurityEvent
from bot.i18n import translator
from bot.storage import subscriptions as repo
from standins.netatmo_sim.world.demo import HOME_ONE_ID, OUTDOOR_CAMERA_ID

_ = translator("en")
PACKED = OUTDOOR_CAMERA_ID.replace(":", ".")

TIMEOUT = 10  # seconds for the bot's answers


def garden_event(kind: Kind, netatmo_type: str) -> SecurityEvent:
    return SecurityEvent(
        home_id=HOME_ONE_ID,
        event_id="ev1",
        kind=kind,
        netatmo_type=netatmo_type,
        time=int(time.time()),
        device_id=OUTDOOR_CAMERA_ID,
        device_type="NOC",
    )


def monitoring_keys(keyboard: Any) -> list[tuple[str, str | None]]:
    """(label, verified body) of the monitoring buttons."""
    return [
        (b.text, callbacks.verify(str(b.callback_data)))
        for row in keyboard.inline_keyboard
        for b in row
        if "⏻" in b.text
    ]


def labelled(message: Any) -> list[tuple[str, str | None]]:
    """(label, verified body) of every button of a message the emulator holds."""
    return [
        (label, callbacks.verify(data) if isinstance(data, str) else None) for label, data in message.buttons
    ]


def test_keyboard_reflects_the_known_state() -> None:
    human = garden_event(Kind.HUMAN, "outdoor/human")
    off = garden_event(Kind.MONITORING_OFF, "off")
    assert monitoring_keys(alert_keyboard(human, _)) == [
        ("⏻ Monitoring off", f"alert:mo:{HOME_ONE_ID}:{PACKED}")
    ]
    assert monitoring_keys(alert_keyboard(off, _)) == [
        ("⏻ Monitoring on", f"alert:mon:{HOME_ONE_ID}:{PACKED}")
    ]
    assert monitoring_keys(alert_keyboard(human, _, monitoring_on=False))[0][0] == "⏻ Monitoring on"


async def test_toggle_off_then_on(emulator: Any, simulator: Any, household: Any, ui: Any) -> None:
    runtime, anna, bob, group = household
    event = garden_event(Kind.HUMAN, "outdoor/human")
    async with runtime.services.sessions.begin() as session:
        await repo.subscribe(session, group.id, HOME_ONE_ID, anna.id)
        names = await load_alert_names(session, event)
    view = render_alert([event], names, _)
    await runtime.application.bot.send_message(
        group.id, view.text, reply_markup=view.keyboard, parse_mode="HTML"
    )
    alert = await emulator.wait_for_message(group, timeout=TIMEOUT)
    camera = simulator.world.home(HOME_ONE_ID).devices[OUTDOOR_CAMERA_ID]

    answer = await ui.press(anna, alert, f"alert:mo:{HOME_ONE_ID}:{PACKED}")
    assert answer.text == "Monitoring is off on Garden camera."
    assert camera.state["monitoring"] == "off"
    flipped = await emulator.wait_for_edit(alert, timeout=TIMEOUT)
    assert ("⏻ Monitoring on", f"alert:mon:{HOME_ONE_ID}:{PACKED}") in labelled(flipped)
    assert flipped.text == alert.text  # the caption stays
    await emulator.wait_for_message(group, timeout=TIMEOUT)  # the notice

    answer = await ui.press(bob, alert, f"alert:mon:{HOME_ONE_ID}:{PACKED}")
    assert answer.show_alert and "turn monitoring on" in (answer.text or "")
    assert camera.state["monitoring"] == "off"

    answer = await ui.press(anna, alert, f"alert:mon:{HOME_ONE_ID}:{PACKED}")
    assert answer.text == "Monitoring is on for Garden camera."
    assert camera.state["monitoring"] == "on"
    flipped = await emulator.wait_for_edit(alert, timeout=TIMEOUT)
    assert ("⏻ Monitoring off", f"alert:mo:{HOME_ONE_ID}:{PACKED}") in labelled(flipped)
    notice = await emulator.wait_for_message(
        group, predicate=lambda m: "on for" in (m.text or ""), timeout=TIMEOUT
    )
    assert notice.text == "⏻ Anna turned monitoring on for Garden camera."
