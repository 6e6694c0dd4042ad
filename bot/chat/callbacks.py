"""The callback-data codec: `feature:action:arg…:mac`, at most 64 bytes as Telegram requires.

Anyone can forge callback data (a modified client sends whatever it likes). Two defences:

- every piece of data `encode` makes ends with a short MAC (HMAC-SHA256 keyed with a secret the
  application derives once from its settings, cut to 48 bits): data the bot did not make is refused before
  any handler looks at it, so hand-made data does nothing;
- a feature declares each action's arguments (`Arg` checks), and the presser's rights are checked on the
  decoded values, so a genuine button replayed elsewhere or by someone else is still judged for that
  presser in that chat.

The key is process-wide: buttons are made by handlers and by background work (alerts) alike. Until the
application configures it, a random key serves (buttons then only survive as long as the process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"
MAC_CHARS = 8  # 6 bytes of HMAC in url-safe base64

_key: bytes = secrets.token_bytes(32)


class CallbackDataError(ValueError):
    """The data is not something this bot could have produced."""


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...] = ()


# A check of one argument as it arrives in callback data.
Arg = Callable[[str], bool]


def configure(secret: str | bytes) -> None:
    """Key the MAC with a secret every replica of this bot shares (the application passes its bot token):
    buttons then stay valid across restarts and replicas, and nobody without the secret can make one."""
    global _key
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    _key = hmac.new(raw, b"netatmo-bot callback data v1", hashlib.sha256).digest()


def _mac(body: str) -> str:
    digest = hmac.new(_key, body.encode("utf-8"), hashlib.sha256).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def encode(feature: str, action: str, *args: object) -> str:
    """Build signed callback data; raises if a part holds the separator or the result exceeds 64 bytes."""
    parts = [feature, action, *(str(arg) for arg in args)]
    if any(SEPARATOR in part for part in parts):
        raise CallbackDataError(f"callback part contains {SEPARATOR!r}: {parts!r}")
    body = SEPARATOR.join(parts)
    data = f"{body}{SEPARATOR}{_mac(body)}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def verify(data: str | None) -> str | None:
    """The data without its MAC when the MAC checks, else None."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    body, separator, mac = data.rpartition(SEPARATOR)
    if not separator or len(mac) != MAC_CHARS or not hmac.compare_digest(mac, _mac(body)):
        return None
    return body


def decode(data: str | None) -> Callback:
    """Split unsigned callback data into its parts; raises CallbackDataError for anything malformed."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError("empty or oversized callback data")
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise CallbackDataError(f"malformed callback data: {data!r}")
    return Callback(parts[0], parts[1], tuple(parts[2:]))


DIGEST_CHARS = 8  # hex digits of SHA-1: 32 bits, ambiguous among a home's few ids about never


def digest(value: str) -> str:
    """A short stand-in for a long id in callback data (a schedule, a device with a module suffix), so
    that the data fits in 64 bytes; the action finds the id again among the home's current ones with
    `find_digest`. Not secret: the MAC already proves the bot made the data."""
    return hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()[:DIGEST_CHARS]


def find_digest(ids: Iterable[str], wanted: str) -> str | None:
    """The one id among `ids` whose digest is `wanted`; None when none or several match (the home
    changed since the button was made: the press is not valid any more)."""
    found = {value for value in ids if digest(value) == wanted}
    return found.pop() if len(found) == 1 else None


def matching(regex: str | re.Pattern[str]) -> Arg:
    """An argument check: the whole argument matches `regex`."""
    compiled = re.compile(regex)

    def check(arg: str) -> bool:
        return compiled.fullmatch(arg) is not None

    return check


def any_text(arg: str) -> bool:
    """An argument check for values the action itself looks up (an unknown one is its to refuse)."""
    return True


# The argument check of a `digest`.
DIGEST = matching(f"[0-9a-f]{{{DIGEST_CHARS}}}")

# Database ids: bounded so that a forged number cannot overflow a BIGINT column.
NUMBER = matching(r"[0-9]{1,18}")
# Telegram user ids (the codec writes ints with `str`, so a minus sign may appear).
INTEGER = matching(r"-?[0-9]{1,18}")


def parse(
    data: str | None,
    feature: str,
    actions: Mapping[str, Sequence[Arg]],
    *,
    accept_unsigned: bool = False,
) -> Callback | None:
    """Check the MAC of data meant for `feature`, decode it and check it against the actions it declares
    (action → argument checks, one per argument); None when anything does not fit, so the caller answers
    "not valid". `accept_unsigned` also takes data without a MAC (buttons sent before data was signed), for
    features whose every action re-checks everything it is given."""
    body = verify(data)
    if body is None and accept_unsigned:
        body = data
    try:
        decoded = decode(body)
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
