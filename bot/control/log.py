"""/log: who changed what in a home, newest first, 20 lines a page, for the home's owners and admins.

The log is read where it is asked for: in a group only for the homes whose alerts the group receives (so
an owner cannot show one home's history to another home's group), in a private chat for the homes the
user belongs to. Older/Newer edit the same message; every page is checked again against the presser.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press, home_from_arg
from bot.chat.common import Context, Sender, command, services
from bot.domain.audit_text import log_line
from bot.domain.permissions import Action, allowed, refusal
from bot.i18n import N_, Translate
from bot.storage import audit as audit_repo
from bot.storage import homes as homes_repo
from bot.storage.models import Home

FEATURE = "log"
PAGE = "p"
PAGE_SIZE = 20
MAX_OFFSET = 100_000


async def log_page(session: AsyncSession, home: Home, offset: int, _: Translate) -> Edit:
    """One page of the home's log: the text and its Older/Newer buttons."""
    entries = await audit_repo.home_log(session, home.id, offset=offset, limit=PAGE_SIZE + 1)
    shown = entries[:PAGE_SIZE]
    title = _("<b>Log of {home}</b>").format(home=html.escape(home.name))
    now = datetime.now(UTC)
    lines = [html.escape(log_line(_, entry, home.timezone, now)) for entry in shown]
    if not lines:
        lines = [_("Nothing has been changed yet.") if offset == 0 else _("No older entries.")]
    row = []
    if len(entries) > PAGE_SIZE:
        older = callbacks.encode(FEATURE, PAGE, home.id, offset + PAGE_SIZE)
        row.append(InlineKeyboardButton(_("« Older"), callback_data=older))
    if offset > 0:
        newer = callbacks.encode(FEATURE, PAGE, home.id, max(0, offset - PAGE_SIZE))
        row.append(InlineKeyboardButton(_("Newer »"), callback_data=newer))
    return Edit("\n".join([title, *lines]), InlineKeyboardMarkup([row]) if row else None)


@command
async def log_command(sender: Sender, context: Context) -> None:
    user, message, _ = sender
    chat = sender.chat
    own = chat.type == ChatType.PRIVATE and chat.id == user.id
    async with services(context).sessions() as session:
        candidates = await homes_repo.homes_in_chat(session, user.id, chat.id, own_private_chat=own)
        homes = [home for home, member in candidates if allowed(Action.VIEW_LOG, member)]
        if len(homes) == 1:
            page = await log_page(session, homes[0], 0, _)
            await message.reply_text(page.text, reply_markup=page.keyboard, parse_mode=ParseMode.HTML)
            return
    if not homes:
        await message.reply_text(_(refusal(Action.VIEW_LOG)))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(home.name, callback_data=callbacks.encode(FEATURE, PAGE, home.id, 0))]
            for home in homes
        ]
    )
    await message.reply_text(_("The log of which home?"), reply_markup=keyboard)


BUTTONS = Buttons(FEATURE, invalid=N_("This button is not valid. Send /log again."), home=home_from_arg(0))
HOME_ARG = callbacks.matching(r"[0-9A-Za-z_-]{1,40}")


def _offset(arg: str) -> bool:
    return arg.isascii() and arg.isdigit() and int(arg) <= MAX_OFFSET and int(arg) % PAGE_SIZE == 0


@BUTTONS.action(PAGE, args=(HOME_ARG, _offset), permission=Action.VIEW_LOG)
async def _page(press: Press, session: AsyncSession) -> Outcome:
    assert press.home is not None  # the resolver found the home visible in this chat
    return Outcome(edit=await log_page(session, press.home, int(press.args[1]), press.tr))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("log", log_command))
    BUTTONS.register(application)
