from __future__ import annotations

import logging

import pytest

from bot.logs import ScrubFilter, scrub


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("POST https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates", "AAHdqTcv"),
        ("token 5c81004a1b2c3d4e5f6a7b8c|0123456789abcdef0123456789abcdef", "0123456789abcdef"),
        ("GET /oauth/callback?code=abcd1234&state=zzzz9999", "abcd1234"),
        ("GET /oauth/callback?code=abcd1234&state=zzzz9999", "zzzz9999"),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("fetch https://prodvpn-eu-2.netatmo.net/restricted/10.255.1.2/abcdef/tok,,/live", "abcdef/tok"),
        ("client_secret=hunter2 failed", "hunter2"),
    ],
)
def test_scrub_removes_secrets(raw: str, secret: str) -> None:
    assert secret not in scrub(raw)


def test_scrub_keeps_ordinary_text() -> None:
    text = "delivery_sent chat=-100123 event=5d19bae867368a59e81cca88 attempts=1"
    assert scrub(text) == text


def test_filter_scrubs_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "refresh failed token=%s", ("abc",), None)
    try:
        raise RuntimeError("refresh_token=zzz-secret rejected")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    ScrubFilter().filter(record)
    assert record.getMessage() == "refresh failed token=<redacted>"
    assert record.exc_text is not None and "zzz-secret" not in record.exc_text
