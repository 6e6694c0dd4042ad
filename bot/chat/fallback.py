"""Last-resort handlers: unknown commands, stale or forged buttons, and errors.

Registered after every feature, so a feature's own handler always wins; what reaches these was not
understood by anyone, and the user still deserves an answer rather than silence.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.chat.commands import COMMANDS
from bot.chat.common import Context, tr

LOG = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    _ = tr(update)
    command = message.text.split()[0].split("@")[0]
    if command.lstrip("/") in {name for name, _description in COMMANDS}:
        text = _("{command} is not available yet on this bot. Send /help to see what works.")
    else:
        text = _("I don't know {command}. Send /help to see what I can do.")
    await message.reply_text(text.format(command=html.escape(command)))


async def stale_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    LOG.info("callback_unhandled user=%s data_len=%d", query.from_user.id, len(query.data or ""))
    await query.answer(tr(update)("This button has expired. Send the command again."), show_alert=True)


async def on_error(update: object, context: Context) -> None:
    """Log with context, and tell the user something went wrong without showing internals."""
    update_id = update.update_id if isinstance(update, Update) else None
    LOG.error("handler_error update_id=%s error=%r", update_id, context.error, exc_info=context.error)
    if not isinstance(update, Update):
        return
    _ = tr(update)
    text = _(
        "Something went wrong on my side. Please try again; "
        "if it keeps happening, tell whoever runs this bot."
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except Exception as exc:  # the error path must never raise in turn
        LOG.warning("error_reply_failed update_id=%s error=%r", update_id, exc)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_error_handler(on_error)
