"""The words of Netatmo failures and of missing permissions (pure functions)."""

from __future__ import annotations

import pytest

from bot.domain.errors_text import netatmo_error_text, permission_label
from bot.i18n import translator

_ = translator(None)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("device_unreachable", "offline"),
        ("throttled", "try again in a minute"),
        ("unavailable", "try again in a minute"),
        ("link_broken", "/link"),
        ("not_linked", "/link"),
        ("invalid_request", "again"),
        ("something_new", "try again"),
    ],
)
def test_error_sentences(kind: str, expected: str) -> None:
    assert expected in netatmo_error_text(_, kind)


def test_missing_scope_names_the_permission_to_grant() -> None:
    text = netatmo_error_text(_, "missing_scope", scope="write_presence")
    assert "cameras and doorbell" in text and "/link" in text
    assert permission_label(_, "read_thermostat") == "heating"
    assert permission_label(_, "write_magellan").startswith("Home+Control")
    assert permission_label(_, None) == "this feature"


def test_long_throttle_gives_minutes() -> None:
    assert "5 minutes" in netatmo_error_text(_, "throttled", retry_after=300)
