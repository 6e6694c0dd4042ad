"""Mapping of Netatmo status + code to typed errors, and per-module body errors."""

from __future__ import annotations

import pytest

from bot.netatmo.errors import (
    DeviceUnreachable,
    InvalidRequest,
    LinkBroken,
    MissingScope,
    NetatmoUnavailable,
    Throttled,
    check_body_errors,
    map_api_error,
    parse_retry_after,
)


def _body(code: int) -> dict[str, object]:
    return {"error": {"code": code, "message": "x"}}


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (429, _body(26), Throttled),
        (429, _body(11), Throttled),
        (403, _body(26), Throttled),
        (403, _body(13), MissingScope),
        (403, _body(2), LinkBroken),
        (400, _body(21), InvalidRequest),
        (400, _body(10), InvalidRequest),
        (404, {}, InvalidRequest),
        (500, _body(11), NetatmoUnavailable),
        (502, "not json", NetatmoUnavailable),
        (200, _body(41), DeviceUnreachable),
    ],
)
def test_map_api_error(status: int, payload: object, expected: type) -> None:
    assert isinstance(map_api_error(status, payload, endpoint="/api/homestatus"), expected)


def test_missing_scope_names_the_scope() -> None:
    error = map_api_error(403, _body(13), endpoint="/api/setstate", scope_hint="write_presence")
    assert isinstance(error, MissingScope) and error.scope == "write_presence"
    guessed = map_api_error(403, _body(13), endpoint="/api/getscenarios")
    assert isinstance(guessed, MissingScope) and guessed.scope == "read_magellan"


def test_throttled_carries_retry_after() -> None:
    error = map_api_error(429, _body(26), endpoint="/api/x", retry_after=12.0)
    assert isinstance(error, Throttled) and error.retry_after == 12.0
    assert (
        parse_retry_after("7") == 7.0
        and parse_retry_after("soon") is None
        and parse_retry_after(None) is None
    )


def test_body_errors() -> None:
    check_body_errors({"home": {}}, endpoint="setstate")
    with pytest.raises(DeviceUnreachable) as raised:
        check_body_errors({"errors": [{"code": 6, "id": "aa:bb"}]}, endpoint="setstate")
    assert raised.value.device_id == "aa:bb"
    with pytest.raises(InvalidRequest):
        check_body_errors({"errors": [{"code": 21}]}, endpoint="setstate")
