"""/status: one home's full status in a few lines, with the buttons into the other control screens.

With several homes /status first asks which one; the picker's buttons, Refresh and every Back land on
the same entry point ("st:home:<home_id>"), which re-reads Netatmo and edits the message in place.
Looking is open to every member of the home (Action.VIEW), checked on the presser, never the chat. A
Netatmo failure replaces the home's lines with the sentence saying what happened, under a Refresh
button, so the user can try again from the same message.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.common import Context, services, tr
from bot.chat.netatmo_errors import RELINK_DATA, explain
from bot.control import menu
from bot.domain.permissions import Action, Membership
from bot.domain.status import problem_text, status_text
from bot.i18n import N_, Translate
from bot.netatmo.errors import MissingScope, NetatmoError
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.status import read_home
from bot.storage.models import Home

LOG = logging.getLogger(__name__)


BUTTONS = Buttons(
    menu.STATUS,
    invalid=N_("This button is not valid any more. Send /status again."),
    home=menu.known_home,
    expires_after=menu.STATUS_EXPIRY,
)


async def home_screen(
    _: Translate, gateway: NetatmoGateway | None, home: Home, membership: Membership | None
) -> Edit:
    """The status of one home with its navigation buttons, or the sentence saying why it cannot be
    read with a Refresh button."""
    link_id = await menu.link_for(gateway, membership, home.id) if gateway is not None else None
    if gateway is None or link_id is None:
        problem = _("No working Netatmo link for this home.")
        return Edit(problem_text(home.name, problem), menu.refresh_keyboard(_, home.id))
    try:
        state = await read_home(gateway, link_id, home.id, home.name)
    except NetatmoError as error:
        LOG.info("status_failed home=%s link=%s error=%s", home.id, link_id, error.kind)
        rows = menu.refresh_keyboard(_, home.id).inline_keyboard
        if isinstance(error, MissingScope):  # a broken link already got its one relink prompt
            rows = (*rows, (InlineKeyboardButton(_("Relink"), callback_data=RELINK_DATA),))
        return Edit(problem_text(home.name, explain(_, error)), InlineKeyboardMarkup(rows))
    return Edit(status_text(_, state, datetime.now(UTC)), menu.navigation_keyboard(_, home.id))


@BUTTONS.outside_transaction(
    menu.ENTRY,
    args=(menu.HOME_ARG,),
    permission=Action.VIEW,
    refusal=N_("Only members of this home can see its status."),
)
async def _show_home(press: Press) -> Outcome:
    assert press.home is not None
    edit = await home_screen(press.tr, press.services.netatmo, press.home, press.membership)
    return Outcome(edit=edit)


async def status_command(update: Update, context: Context) -> None:
    """/status: the home's status, or the picker when the user belongs to several homes."""
    message = update.effective_message
    chosen = await menu.command_home(update, context, menu.STATUS)
    if chosen is None or message is None:
        return
    home, membership = chosen
    screen = await home_screen(tr(update), services(context).netatmo, home, membership)
    await message.reply_text(screen.text, reply_markup=screen.keyboard, parse_mode=ParseMode.HTML)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("status", status_command))
    BUTTONS.register(application)
