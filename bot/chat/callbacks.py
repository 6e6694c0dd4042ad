"""The callback-data codec: `feature:action:arg…`, at most 64 bytes as Telegram requires.

Anyone can forge callback data (a modified client sends whatever it likes), so decoding never trusts it:
every handler re-checks the presser's rights on the decoded values.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """The data is not something this bot could have produced."""


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...] = ()


def encode(feature: str, action: str, *args: object) -> str:
    """Build callback data; raises if a part holds the separator or the result exceeds 64 bytes."""
    parts = [feature, action, *(str(arg) for arg in args)]
    if any(SEPARATOR in part for part in parts):
        raise CallbackDataError(f"callback part contains {SEPARATOR!r}: {parts!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    """Split callback data into its parts; raises CallbackDataError for anything malformed."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError("empty or oversized callback data")
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise CallbackDataError(f"malformed callback data: {data!r}")
    return Callback(parts[0], parts[1], tuple(parts[2:]))


def decode_or_none(data: str | None) -> Callback | None:
    """decode, with forged or malformed data as None: handlers answer "not valid" rather than raise."""
    try:
        return decode(data)
    except CallbackDataError:
        return None


def pattern(feature: str) -> str:
    """The CallbackQueryHandler pattern that matches one feature's buttons."""
    return f"^{feature}{SEPARATOR}"
