"""/cameras and /events end to end: camera list and screen, monitoring toggle, snapshot now, the last
five events as one album, the Live button, event paging and the page's pictures."""

from __future__ import annotations

from typing import Any

import pytest

from bot.control import events
from standins.netatmo_sim.world.demo import (
    ADVANCE_CAMERA_ID,
    DOORBELL_ID,
    HOME_ONE_ID,
    INDOOR_CAMERA_ID,
    OUTDOOR_CAMERA_ID,
)

INDOOR = INDOOR_CAMERA_ID.replace(":", ".")
ADVANCE = ADVANCE_CAMERA_ID.replace(":", ".")

JPEG = b"\xff\xd8"

TIMEOUT = 10  # seconds for the bot's answers


async def open_cameras(emulator: Any, ui: Any, user: Any, chat: Any) -> Any:
    await emulator.send_message(user, chat, "/cameras")
    menu = await emulator.wait_for_message(chat, timeout=TIMEOUT)
    assert "Cameras of which home?" in menu.text
    _answer, screen = await ui.press_and_edit(user, menu, f"cam:home:{HOME_ONE_ID}")
    return screen


async def test_camera_list_screen_and_monitoring(
    emulator: Any, simulator: Any, household: Any, ui: Any
) -> None:
    _runtime, anna, _bob, group = household
    await simulator.set_device_online(ADVANCE_CAMERA_ID, False)
    screen = await open_cameras(emulator, ui, anna, group)
    assert "Cameras — Demo House" in screen.text
    assert "Hall camera: monitoring on" in screen.text
    assert "Living room camera: offline" in screen.text
    assert f"cam:c:{HOME_ONE_ID}:{INDOOR}" in ui.data_of(screen)

    _answer, screen = await ui.press_and_edit(anna, screen, f"cam:c:{HOME_ONE_ID}:{INDOOR}")
    assert "Hall camera" in screen.text
    buttons = ui.data_of(screen)
    assert f"cam:mon:{HOME_ONE_ID}:{INDOOR}:off" in buttons
    assert f"live:cam:{HOME_ONE_ID}:{INDOOR}" in buttons
    assert f"cam:home:{HOME_ONE_ID}" in buttons  # Back

    answer, screen = await ui.press_and_edit(anna, screen, f"cam:mon:{HOME_ONE_ID}:{INDOOR}:off")
    assert answer.text == "Monitoring is off on Hall camera."
    assert simulator.world.home(HOME_ONE_ID).devices[INDOOR_CAMERA_ID].state["monitoring"] == "off"
    assert "monitoring off" in screen.text and f"cam:mon:{HOME_ONE_ID}:{INDOOR}:on" in ui.data_of(screen)
    notice = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert "turned monitoring off on Hall camera" in notice.text


async def test_snapshot_now(emulator: Any, simulator: Any, household: Any, ui: Any) -> None:
    _runtime, anna, _bob, _group = household
    chat = emulator.private_chat(anna)
    screen = await open_cameras(emulator, ui, anna, chat)
    _answer, screen = await ui.press_and_edit(anna, screen, f"cam:c:{HOME_ONE_ID}:{INDOOR}")
    answer = await ui.press(anna, screen, f"cam:snap:{HOME_ONE_ID}:{INDOOR}")
    assert answer.text == "Snapshot sent."
    photo = await emulator.wait_for_message(
        chat, predicate=lambda m: m.media_kind == "photo", timeout=TIMEOUT
    )
    assert photo.photo_bytes and photo.photo_bytes.startswith(JPEG)
    assert "Hall camera" in (photo.caption or "")
    # a WebRTC-only camera needs /live
    answer = await ui.replay(anna, screen, f"cam:snap:{HOME_ONE_ID}:{ADVANCE}")  # from its own screen
    assert answer.show_alert and "/live" in (answer.text or "")


async def test_last_five_events_as_one_album(emulator: Any, simulator: Any, household: Any, ui: Any) -> None:
    _runtime, anna, _bob, _group = household
    simulator.set_snapshot_delay(0)
    for _ in range(7):
        await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "movement")
    await simulator.trigger_event(HOME_ONE_ID, OUTDOOR_CAMERA_ID, "outdoor", subevent_types=["human"])
    chat = emulator.private_chat(anna)
    screen = await open_cameras(emulator, ui, anna, chat)
    _answer, screen = await ui.press_and_edit(anna, screen, f"cam:c:{HOME_ONE_ID}:{INDOOR}")
    answer = await ui.press(anna, screen, f"cam:ev:{HOME_ONE_ID}:{INDOOR}")
    assert answer.text == "5 pictures sent."
    album = [m for m in emulator.messages(chat) if m.media_group_id]
    assert len(album) == 5 and len({m.media_group_id for m in album}) == 1
    assert all(m.photo_bytes and m.photo_bytes.startswith(JPEG) for m in album)
    assert album[0].caption and album[0].caption.count("\n") == 4 and not album[1].caption


async def test_events_paging_and_pictures(
    emulator: Any, simulator: Any, household: Any, ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _runtime, anna, bob, group = household
    simulator.set_snapshot_delay(0)
    for _ in range(6):
        await simulator.trigger_event(HOME_ONE_ID, INDOOR_CAMERA_ID, "movement")
    await simulator.trigger_event(HOME_ONE_ID, DOORBELL_ID, "incoming_call")
    await simulator.trigger_event(HOME_ONE_ID, OUTDOOR_CAMERA_ID, "outdoor", subevent_types=["vehicle"])
    await emulator.send_message(anna, group, "/events")
    menu = await emulator.wait_for_message(group, timeout=TIMEOUT)
    _answer, screen = await ui.press_and_edit(anna, menu, f"ev:home:{HOME_ONE_ID}")
    first = screen.text
    assert "Events — Demo House" in first and "(page 1)" in first
    assert len(first.splitlines()) == 6  # title + 5 events
    assert f"ev:p:{HOME_ONE_ID}:1" in ui.data_of(screen) and f"ev:pic:{HOME_ONE_ID}:0" in ui.data_of(screen)
    _answer, screen = await ui.press_and_edit(anna, screen, f"ev:p:{HOME_ONE_ID}:1")
    assert "(page 2)" in screen.text and screen.text != first
    assert f"ev:p:{HOME_ONE_ID}:0" in ui.data_of(screen)  # Newer
    _answer, screen = await ui.press_and_edit(anna, screen, f"ev:p:{HOME_ONE_ID}:0")
    assert screen.text == first

    answer = await ui.press(anna, screen, f"ev:pic:{HOME_ONE_ID}:0")
    count = int((answer.text or "0").split()[0])
    album = [m for m in emulator.messages(group) if m.media_group_id]
    assert count >= 2 and len(album) == count

    # Bob is no member of the home: he may not even look, and nothing is sent for him (pressed after
    # the double-tap window, so that the pipeline judges his press rather than take it for Anna's again)
    monkeypatch.setattr(events.BUTTONS, "double_tap", 0.0)
    answer = await ui.press(bob, screen, f"ev:pic:{HOME_ONE_ID}:0")
    assert answer.show_alert
    assert len([m for m in emulator.messages(group) if m.media_group_id]) == count
    assert not await ui.writes()
