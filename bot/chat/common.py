"""Helpers every chat feature uses: the services, the user's language, recording who is talking."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import ContextTypes

from bot.i18n import Translate, translator
from bot.services import Services
from bot.storage.telegram import save_chat, save_user

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "services"


def services(context: Context) -> Services:
    """The Services object the application was built with."""
    found: Any = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def tr(update: Update | None) -> Translate:
    """The translation function for the user behind an update (English when unknown)."""
    user = update.effective_user if update else None
    return translator(user.language_code if user else None)


async def remember(update: Update, context: Context) -> None:
    """Store the user and chat of an update, so later alerts and roles can refer to them."""
    user, chat = update.effective_user, update.effective_chat
    async with services(context).sessions.begin() as session:
        if user is not None:
            await save_user(session, user.id, user.first_name, user.username, user.language_code)
        if chat is not None:
            await save_chat(session, chat.id, chat.type, chat.title)


def query_message(query: CallbackQuery) -> Message | None:
    """The message a button sits on, or None when Telegram no longer gives it (too old to edit)."""
    return query.message if isinstance(query.message, Message) else None


class Sender(NamedTuple):
    user: User
    message: Message
    tr: Translate

    @property
    def chat(self) -> Chat:
        """The chat the command was sent in (a message always has one)."""
        return self.message.chat


async def command_sender(update: Update, context: Context) -> Sender | None:
    """How a command sent by a user starts: who sent it, the message to answer, their language, and both
    user and chat remembered. None when Telegram gives no user or message (a channel post, an edit), so
    the command has no one to answer."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    await remember(update, context)
    return Sender(user, message, tr(update))


CommandBody = Callable[[Sender, Context], Awaitable[None]]
CommandCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def command(body: CommandBody) -> CommandCallback:
    """A command handler that starts as every command does (see command_sender) and then runs `body`
    with the Sender; an update with no one to answer is ignored."""

    @functools.wraps(body)
    async def handler(update: Update, context: Context) -> None:
        sender = await command_sender(update, context)
        if sender is not None:
            await body(sender, context)

    return handler
