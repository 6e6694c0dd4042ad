"""The pipeline's double-tap guard: a second tap of the same button acts once; a toggled button's new
data and a retry after a press that did nothing are not double taps."""

from __future__ import annotations

from bot.chat.press_guard import ALREADY_DONE, IN_FLIGHT, PressGuard

CHAT, MESSAGE = -100, 7


def test_a_tap_while_the_first_runs_or_just_after_is_answered_without_acting() -> None:
    guard = PressGuard()
    assert guard.start(CHAT, MESSAGE, "scn:dis:h:mac", 1.0) is None
    assert guard.start(CHAT, MESSAGE, "scn:dis:h:mac", 1.0) == IN_FLIGHT  # handled at the same time
    guard.finish(CHAT, MESSAGE, "scn:dis:h:mac", acted=True)
    assert guard.start(CHAT, MESSAGE, "scn:dis:h:mac", 1.0) == ALREADY_DONE
    assert guard.start(CHAT, MESSAGE, "scn:dis:h:mac", 0.0) is None  # the window is over


def test_a_toggled_button_is_not_a_double_tap() -> None:
    guard = PressGuard()
    assert guard.start(CHAT, MESSAGE, "alert:mo:h:cam:mac1", 1.0) is None
    guard.finish(CHAT, MESSAGE, "alert:mo:h:cam:mac1", acted=True)
    # the button became "Monitoring on": its new data is a new button
    assert guard.start(CHAT, MESSAGE, "alert:mon:h:cam:mac2", 1.0) is None
    guard.finish(CHAT, MESSAGE, "alert:mon:h:cam:mac2", acted=True)
    assert guard.start(CHAT, MESSAGE, "alert:mo:h:cam:mac1", 1.0) is None  # and back again


def test_a_press_that_did_nothing_can_be_tried_again_at_once() -> None:
    guard = PressGuard()
    assert guard.start(CHAT, MESSAGE, "heat:boost:h:r:mac", 1.0) is None
    guard.finish(CHAT, MESSAGE, "heat:boost:h:r:mac", acted=False)  # Netatmo failed, say
    assert guard.start(CHAT, MESSAGE, "heat:boost:h:r:mac", 1.0) is None
