"""Typed failures of the Netatmo seam, and the mapping from Netatmo's HTTP status + error code to them.

Callers (chat features, the watcher) only ever see these classes, never aiohttp or pyatmo exceptions, so
each can decide what to tell the user (`kind` selects the sentence in `bot.domain.errors_text`) and
whether to retry, without knowing Netatmo's numeric codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

# Netatmo error codes this module gives a meaning to.
CODE_INVALID_TOKEN = 2
CODE_TOKEN_EXPIRED = 3
CODE_DEVICE_NOT_FOUND = 9
CODE_MISSING_ARGS = 10
CODE_CONCURRENCY = 11
CODE_FORBIDDEN = 13
CODE_INVALID_ARG = 21
CODE_USAGE_REACHED = 26
CODE_UNREACHABLE = 41
CODE_HOMESTATUS_UNREACHABLE = 6

DEFAULT_RETRY_AFTER = 30.0


class NetatmoError(Exception):
    """Base of every failure talking to Netatmo. `kind` names the user-facing sentence."""

    kind: ClassVar[str] = "error"


class NotLinked(NetatmoError):
    """The Telegram user has no Netatmo link (or the link id no longer exists)."""

    kind = "not_linked"


class LinkBroken(NetatmoError):
    """Netatmo no longer accepts this link's tokens (revoked consent, rotated away): relink needed."""

    kind = "link_broken"


class Throttled(NetatmoError):
    """Our budget or Netatmo's rate limit says wait; `retry_after` is in seconds."""

    kind = "throttled"

    def __init__(self, message: str = "", retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message or f"throttled, retry after {retry_after:.0f}s")
        self.retry_after = retry_after


class WriteGaveUp(Throttled):
    """A queued write was still throttled when its deadline came: it was NOT made (see `netatmo.writes`)."""

    kind = "write_gave_up"

    def __init__(
        self, message: str = "", retry_after: float = DEFAULT_RETRY_AFTER, attempts: int = 0
    ) -> None:
        super().__init__(message or "write not made: Netatmo stayed busy", retry_after)
        self.attempts = attempts


class DeviceUnreachable(NetatmoError):
    """The camera or alarm is offline (Netatmo code 6 or 41)."""

    kind = "device_unreachable"

    def __init__(self, message: str = "", device_id: str | None = None) -> None:
        super().__init__(message or "device unreachable")
        self.device_id = device_id


class MissingScope(NetatmoError):
    """The token lacks the permission this call needs (code 13); relinking grants it."""

    kind = "missing_scope"

    def __init__(self, scope: str, message: str = "") -> None:
        super().__init__(message or f"missing scope {scope}")
        self.scope = scope


class NetatmoUnavailable(NetatmoError):
    """Netatmo answered 5xx, timed out or could not be reached."""

    kind = "unavailable"


class InvalidRequest(NetatmoError):
    """Netatmo refused the request itself (bad id, bad argument): retrying will not help."""

    kind = "invalid_request"


def error_code(payload: Any) -> int | None:
    """The numeric code of a Netatmo error body `{"error": {"code": n, ...}}`, if there is one."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        try:
            return int(code) if code is not None else None
        except (TypeError, ValueError):
            return None
    return None


def error_message(payload: Any) -> str:
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            return str(error.get("message", ""))[:200]
        if isinstance(error, str):
            return error[:200]
    return ""


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as delta seconds (the HTTP-date form is not used by Netatmo)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


def map_api_error(
    status: int,
    payload: Any,
    *,
    endpoint: str,
    scope_hint: str | None = None,
    retry_after: float | None = None,
) -> NetatmoError:
    """Turn a non-2xx Netatmo answer into our exception (auth codes 2/3 are handled before this)."""
    code = error_code(payload)
    text = f"{endpoint}: HTTP {status} code={code} {error_message(payload)}".strip()
    if code == CODE_USAGE_REACHED or status == 429:
        return Throttled(text, retry_after if retry_after is not None else DEFAULT_RETRY_AFTER)
    if code == CODE_FORBIDDEN:
        return MissingScope(scope_hint or scope_for_endpoint(endpoint), text)
    if code in (CODE_INVALID_TOKEN, CODE_TOKEN_EXPIRED):
        return LinkBroken(text)
    if code in (CODE_UNREACHABLE, CODE_HOMESTATUS_UNREACHABLE):
        return DeviceUnreachable(text)
    if status >= 500:
        return NetatmoUnavailable(text)
    return InvalidRequest(text)


def scope_for_endpoint(endpoint: str) -> str:
    """Best guess of the permission an endpoint needs, used when Netatmo answers code 13."""
    name = endpoint.rsplit("/", 1)[-1]
    return {
        "homesdata": "read_camera",
        "homestatus": "read_camera",
        "getevents": "read_camera",
        "setstate": "write_camera",
        "setpersonsaway": "write_camera",
        "setpersonshome": "write_camera",
        "setthermmode": "write_thermostat",
        "setroomthermpoint": "write_thermostat",
        "switchhomeschedule": "write_thermostat",
        "getroommeasure": "read_thermostat",
        "getscenarios": "read_magellan",
        "offer": "access_camerapro",
        "terminate": "access_camerapro",
    }.get(name, "read_camera")


def check_body_errors(body: Any, *, endpoint: str) -> None:
    """Raise for the per-module `body.errors[]` that setstate answers with HTTP 200."""
    if not isinstance(body, dict):
        return
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = first.get("code")
    device_id = first.get("id")
    text = f"{endpoint}: body error code={code} {str(first.get('message', ''))[:100]}".strip()
    if code in (CODE_UNREACHABLE, CODE_HOMESTATUS_UNREACHABLE):
        raise DeviceUnreachable(text, device_id=str(device_id) if device_id else None)
    raise InvalidRequest(text)
