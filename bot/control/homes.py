"""/homes: the user's homes and their role in each (/status lives in bot/control/status.py)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.chat.common import Context, command_sender, services
from bot.chat.netatmo_errors import relink_keyboard
from bot.domain.homes_text import homes_list_text
from bot.linking import texts as link_texts
from bot.netatmo.topology import ALARM_TYPES, CAMERA_TYPES
from bot.storage import homes as homes_repo
from bot.storage.links import link_of_user
from bot.storage.models import LinkState

LOG = logging.getLogger(__name__)


async def homes_command(update: Update, context: Context) -> None:
    sender = await command_sender(update, context)
    if sender is None:
        return
    user, message, _ = sender
    async with services(context).sessions() as session:
        rows = await homes_repo.member_homes_with_roles(session, user.id)
        devices = await homes_repo.devices_of_homes(session, [home.id for home, _role in rows])
        link = await link_of_user(session, user.id)
    if not rows:
        await message.reply_text(link_texts.not_linked_text(_))
        return
    entries = [
        (
            home.name,
            role,
            sum(1 for d in devices if d.home_id == home.id and d.type in CAMERA_TYPES),
            sum(1 for d in devices if d.home_id == home.id and d.type in ALARM_TYPES),
        )
        for home, role in rows
    ]
    broken = link is not None and link.state != LinkState.ACTIVE
    await message.reply_text(
        homes_list_text(_, entries, link_broken=broken), reply_markup=relink_keyboard(_) if broken else None
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("homes", homes_command))
