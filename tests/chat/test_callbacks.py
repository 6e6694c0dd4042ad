from __future__ import annotations

import pytest

from bot.chat.callbacks import Callback, CallbackDataError, decode, encode, verify


def test_round_trip() -> None:
    data = encode("alert", "mute", "5d19bae867368a59e81cca88", 3600)
    assert decode(verify(data)) == Callback("alert", "mute", ("5d19bae867368a59e81cca88", "3600"))
    assert verify("alert:mute:5d19bae867368a59e81cca88:3600") is None  # no MAC


def test_encode_refuses_what_telegram_would_reject() -> None:
    with pytest.raises(CallbackDataError):
        encode("alert", "mute", "x" * 64)
    with pytest.raises(CallbackDataError):
        encode("alert", "a:b")


@pytest.mark.parametrize("forged", ["", "alert", ":mute", "alert:", "x" * 65, None])
def test_decode_rejects_forged_data(forged: str | None) -> None:
    with pytest.raises(CallbackDataError):
        decode(forged)
