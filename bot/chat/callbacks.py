"""The callback-data codec: `feature:action:arg…`, at most 64 bytes as Telegram requires.

Anyone can forge callback data (a modified client sends whatever it likes), so decoding never trusts it:
a feature declares each action's arguments (`Arg` checks) and data that does not fit is refused before
any handler looks at it; the presser's rights are then checked on the decoded values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
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


# A check of one argument as it arrives in callback data.
Arg = Callable[[str], bool]


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


def matching(regex: str | re.Pattern[str]) -> Arg:
    """An argument check: the whole argument matches `regex`."""
    compiled = re.compile(regex)

    def check(arg: str) -> bool:
        return compiled.fullmatch(arg) is not None

    return check


def any_text(arg: str) -> bool:
    """An argument check for values the action itself looks up (an unknown one is its to refuse)."""
    return True


# Database ids: bounded so that a forged number cannot overflow a BIGINT column.
NUMBER = matching(r"[0-9]{1,18}")
# Telegram user ids (the codec writes ints with `str`, so a minus sign may appear).
INTEGER = matching(r"-?[0-9]{1,18}")


def parse(data: str | None, feature: str, actions: Mapping[str, Sequence[Arg]]) -> Callback | None:
    """Decode data meant for `feature` and check it against the actions it declares (action → argument
    checks, one per argument); None when anything does not fit, so the caller answers "not valid"."""
    try:
        decoded = decode(data)
    except CallbackDataError:
        return None
    checks = actions.get(decoded.action)
    if decoded.feature != feature or checks is None or len(checks) != len(decoded.args):
        return None
    if not all(check(arg) for check, arg in zip(checks, decoded.args, strict=True)):
        return None
    return decoded


def pattern(feature: str) -> str:
    """The CallbackQueryHandler pattern that matches one feature's buttons."""
    return f"^{feature}{SEPARATOR}"
