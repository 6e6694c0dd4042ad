"""The user-facing sentence for a `NetatmoError`, for every feature that calls the gateway.

`explain` gives the sentence; `explain_with_keyboard` adds the button that fixes the problem when one
exists (a Relink button when the link lost a permission or broke), so a feature does not have to know
which errors need which button. `working_text` is the "⏳" line a message shows while a throttled write
waits in the write queue (`bot.netatmo.writes`); `show_working` puts it on the button's message.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

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
from bot.netatmo.writes import Progress, WriteWait

LOG = logging.getLogger(__name__)

# The linking feature's "start linking" button (bot.linking.chat answers it). Plain, not signed: it only
# starts /link for whoever presses it, and it is made at import time, before the signing key is set.
RELINK_DATA = "link:start"


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


def show_working(message: Message, _: Translate) -> Progress:
    """A `progress` for `WriteQueue.submit` that edits the button's message to the "⏳" line (its
    keyboard goes, so nobody presses again meanwhile). For actions that return an `Edit`: the final text
    and keyboard replace it once the write went through or failed.

        progress = show_working(press.message, _)
        await gateway.writes.submit(link_id, "setroomthermpoint", call, progress=progress)
    """

    async def progress(wait: WriteWait) -> None:
        try:
            await message.edit_text(working_text(_))
        except TelegramError as exc:  # the final edit still comes; a lost "working" line is harmless
            LOG.info("write_working_edit_failed label=%s error=%s", wait.label, type(exc).__name__)

    return progress


class WorkingLine:
    """The `progress` the button pipeline gives every write an action makes (`WRITE_PROGRESS`): the first
    throttled try turns the message into the "⏳" line; when the action then returns no screen of its own
    (a failure answered with a pop-up), `restore` gives back the menu that was pressed, led by the answer,
    so the message never stays on "working" and the presser can try again from it."""

    def __init__(self, message: Message, _: Translate) -> None:
        self._message = message
        self._ = _
        self.shown = False

    async def __call__(self, wait: WriteWait) -> None:
        if self.shown:
            return
        try:
            await self._message.edit_text(working_text(self._))
        except TelegramError as exc:  # a photo has no text to replace: its caption stays as it is
            LOG.info("write_working_edit_failed label=%s error=%s", wait.label, type(exc).__name__)
        else:
            self.shown = True

    def restore(self, answer: str | None) -> tuple[str, InlineKeyboardMarkup | None] | None:
        """The pressed menu's HTML text (after `answer`) and keyboard, when the "⏳" line replaced it."""
        if not self.shown:
            return None
        original = self._message.text_html if self._message.text else ""
        lead = html.escape(answer) if answer else ""
        text = f"{lead}\n\n{original}".strip() if original else lead
        return text or working_text(self._), self._message.reply_markup
