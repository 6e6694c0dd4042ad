"""The double-tap guard of the button pipeline: a second press of the same button on the same message,
while the first is still running or just after it finished, is answered without acting."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from bot.i18n import N_

# A press of the same button on the same message this soon after the last one finished is a double tap.
DOUBLE_TAP_SECONDS = 1.0
IN_FLIGHT = N_("Working on it…")
ALREADY_DONE = N_("Already done.")
GUARD_KEY = "button_press_guard"


class PressGuard:
    """Presses in flight and just done, per (chat, message, data): a double tap acts once.

    Kept per application (in `bot_data`), in memory: a double tap reaches the replica that polls Telegram.
    Only the last finished press of each message is remembered, so pressing another button of the menu
    and then this one again acts again; a button whose data changes when pressed (a toggle: "Monitoring
    off" becomes "Monitoring on") is another button, so pressing it again is no double tap; a press
    that did nothing (refused, failed: acted=False) is not remembered, so trying again at once works.
    `start` checks and marks with no await in between: two taps handled at the same time act once."""

    def __init__(self) -> None:
        self.in_flight: set[tuple[int, int, str]] = set()
        self.done: dict[tuple[int, int], tuple[str, float]] = {}

    def start(self, chat_id: int, message_id: int, data: str, window: float) -> str | None:
        """None when the press may go ahead (it is then in flight), else the msgid to answer."""
        key = (chat_id, message_id, data)
        if key in self.in_flight:
            return IN_FLIGHT
        last = self.done.get((chat_id, message_id))
        if last is not None and last[0] == data and time.monotonic() - last[1] < window:
            return ALREADY_DONE
        self.in_flight.add(key)
        return None

    def finish(self, chat_id: int, message_id: int, data: str, *, acted: bool) -> None:
        self.in_flight.discard((chat_id, message_id, data))
        now = time.monotonic()
        if acted:
            self.done[(chat_id, message_id)] = (data, now)
        if len(self.done) > 1000:
            self.done = {key: value for key, value in self.done.items() if now - value[1] < 60}


def guard_of(bot_data: MutableMapping[str, Any]) -> PressGuard:
    """The application's guard (kept in its `bot_data`, so two bots in one process never share one)."""
    found = bot_data.get(GUARD_KEY)
    if not isinstance(found, PressGuard):
        found = PressGuard()
        bot_data[GUARD_KEY] = found
    return found
