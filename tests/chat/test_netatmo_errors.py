"""Every Netatmo failure as a sentence, with the Relink button where relinking is the fix."""

from __future__ import annotations

import pytest

from bot.chat.netatmo_errors import RELINK_DATA, explain, explain_with_keyboard, working_text
from bot.i18n import translator
from bot.linking import chat as linking_chat
from bot.netatmo.errors import (
    DeviceUnreachable,
    InvalidRequest,
    LinkBroken,
    MissingScope,
    NetatmoError,
    NetatmoUnavailable,
    NotLinked,
    Throttled,
    WriteGaveUp,
    map_api_error,
)

_ = translator(None)


def test_unreachable_device_says_what_to_check_and_names_the_device() -> None:
    assert explain(_, DeviceUnreachable()) == (
        "The device is offline right now. Check its power and Wi-Fi, then try again."
    )
    assert explain(_, DeviceUnreachable(), device="Garden camera").startswith(
        "Garden camera is not reachable."
    )


def test_throttling_says_busy_and_a_write_that_gave_up_says_nothing_was_changed() -> None:
    assert "Netatmo is busy" in explain(_, Throttled(retry_after=10))
    assert "in 5 minutes" in explain(_, Throttled(retry_after=300))
    gave_up = explain(_, WriteGaveUp())
    assert "not made" in gave_up and "busy" in gave_up
    assert "retry" in working_text(_) and working_text(_).startswith("⏳")


@pytest.mark.parametrize("error", [MissingScope("write_thermostat"), LinkBroken(), NotLinked()])
def test_relinking_errors_come_with_a_relink_button(error: NetatmoError) -> None:
    explanation = explain_with_keyboard(_, error)
    assert explanation.text == explain(_, error)
    assert "/link" in explanation.text
    assert explanation.keyboard is not None
    (button,) = explanation.keyboard.inline_keyboard[0]
    assert button.text == "Relink" and button.callback_data == RELINK_DATA
    assert linking_chat.RELINK_DATA == RELINK_DATA  # the button bot.linking.chat answers


def test_missing_scope_names_the_permission() -> None:
    assert "heating" in explain(_, MissingScope("write_thermostat"))


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (NetatmoUnavailable(), "not answering"),
        (InvalidRequest(), "refused"),
        (DeviceUnreachable(), "offline"),
        (Throttled(), "busy"),
    ],
)
def test_other_errors_have_no_button(error: NetatmoError, words: str) -> None:
    explanation = explain_with_keyboard(_, error)
    assert words in explanation.text and explanation.keyboard is None


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (429, 26, "busy"),
        (429, 11, "busy"),
        (403, 26, "busy"),
        (403, 13, "/link"),
        (400, 41, "offline"),
        (403, 6, "offline"),
        (500, None, "not answering"),
        (400, 21, "refused"),
    ],
)
def test_each_netatmo_answer_becomes_a_sentence(status: int, code: int | None, words: str) -> None:
    payload = {"error": {"code": code, "message": "x"}} if code is not None else {}
    assert words in explain(_, map_api_error(status, payload, endpoint="api/setstate"))


def test_sentences_are_translated() -> None:
    german = translator("de")
    assert explain(german, DeviceUnreachable(), device="X") != explain(_, DeviceUnreachable(), device="X")
    assert explain(german, WriteGaveUp()) != explain(_, WriteGaveUp())
    assert working_text(german) != working_text(_)
