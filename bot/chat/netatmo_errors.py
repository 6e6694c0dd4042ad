"""The user-facing sentence for a `NetatmoError`, for every feature that calls the gateway.

`explain` gives the sentence; `explain_with_keyboard` adds the button that fixes the problem when one
exists (a Relink button when the link lost a permission or broke), so a feature does not have to know
which errors need which button. `working_text` is the "⏳" line a message shows while a throttled write
waits in the write queue (`bot.netatmo.writes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat import callbacks
from bot.domain.errors_text import netatmo_error_text
from bot.i18n import Translate
from bot.netatmo.errors import (
    DeviceUnreachable,
    LinkBroken,
    MissingScope,
    NetatmoError,
    NotLinked,
    Throttled,
    WriteGaveUp,
)

# The linking feature's "start linking" button (bot.linking.chat registers its handler). Spelled here
# rather than imported: chat must not import features.
RELINK_DATA = callbacks.encode("link", "start")


@dataclass(frozen=True)
class Explanation:
    """A sentence and, when a press can fix the problem, the keyboard holding that button."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def explain(_: Translate, error: NetatmoError, *, device: str | None = None) -> str:
    """What happened and what to do next, in the user's language.

    `device` is the name of the device the call was about, when the caller knows it: an unreachable
    device is then named ("Garden camera is not reachable...").
    """
    if isinstance(error, DeviceUnreachable) and device:
        return _("{device} is not reachable. Check its power and Wi-Fi, then try again.").format(
            device=device
        )
    if isinstance(error, WriteGaveUp):
        return _("Netatmo stayed busy, so the change was not made. Please try again in a few minutes.")
    return netatmo_error_text(
        _,
        error.kind,
        scope=error.scope if isinstance(error, MissingScope) else None,
        retry_after=error.retry_after if isinstance(error, Throttled) else None,
    )


def relink_keyboard(_: Translate) -> InlineKeyboardMarkup:
    """One "Relink" button; the linking feature answers it (in a group it points to the private chat)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("Relink"), callback_data=RELINK_DATA)]])


def needs_relink(error: NetatmoError) -> bool:
    """Errors that only a new link fixes: a missing permission, a refused or absent link."""
    return isinstance(error, MissingScope | LinkBroken | NotLinked)


def explain_with_keyboard(_: Translate, error: NetatmoError, *, device: str | None = None) -> Explanation:
    """`explain`, plus the Relink button when relinking is the fix. Features show both together."""
    keyboard = relink_keyboard(_) if needs_relink(error) else None
    return Explanation(explain(_, error, device=device), keyboard)


def working_text(_: Translate) -> str:
    """The line a button's message shows while Netatmo throttles a write that will be retried."""
    return _("⏳ Netatmo is busy; I will retry and update this message.")
