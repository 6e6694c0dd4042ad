"""/homes (the user's homes and their role in each) and a minimal /status (reachability of each home's
cameras and alarms, asked of Netatmo through the link that serves the home)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.chat.common import Context, remember, services, tr
from bot.chat.netatmo_errors import explain
from bot.domain.homes_text import DeviceLine, home_status_text, homes_list_text
from bot.linking import texts as link_texts
from bot.linking.chat import relink_keyboard
from bot.netatmo.errors import LinkBroken, NetatmoError
from bot.netatmo.topology import ALARM_TYPES, CAMERA_TYPES
from bot.storage import homes as homes_repo
from bot.storage.links import link_of_user
from bot.storage.models import LinkState

LOG = logging.getLogger(__name__)


async def homes_command(update: Update, context: Context) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await remember(update, context)
    _ = tr(update)
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


def _reachability(status: dict[str, object], device_id: str) -> bool:
    home = status.get("home")
    errors = status.get("errors")
    if isinstance(errors, list) and any(isinstance(e, dict) and e.get("id") == device_id for e in errors):
        return False
    modules = home.get("modules") if isinstance(home, dict) else None
    for module in modules if isinstance(modules, list) else []:
        if isinstance(module, dict) and module.get("id") == device_id:
            return module.get("reachable") is not False and module.get("status") != "disconnected"
    return False


async def status_command(update: Update, context: Context) -> None:
    """Minimal /status: each home with its cameras' and alarms' reachability (full status comes later)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await remember(update, context)
    _ = tr(update)
    svc = services(context)
    gateway = svc.netatmo
    async with svc.sessions() as session:
        homes = await homes_repo.member_homes(session, user.id)
    if not homes or gateway is None:
        await message.reply_text(link_texts.not_linked_text(_))
        return
    own = await gateway.link_of_user(user.id)
    parts: list[str] = []
    for home in homes:
        async with svc.sessions() as session:
            devices = await homes_repo.home_devices(session, home.id, list(CAMERA_TYPES | ALARM_TYPES))
            member = await homes_repo.membership(session, home.id, user.id)
        own_home = own is not None and member is not None and member.link_id == own.id
        if own is not None and own_home and own.state != LinkState.ACTIVE:
            # The relink prompt was sent when the link broke; here a sentence is enough.
            parts.append(home_status_text(_, home.name, [], problem=explain(_, LinkBroken())))
            continue
        link_id = own.id if own is not None and own_home else await gateway.link_for_home(home.id)
        if link_id is None:
            parts.append(
                home_status_text(_, home.name, [], problem=_("No working Netatmo link for this home."))
            )
            continue
        try:
            status = await gateway.home_status(link_id, home.id)
        except NetatmoError as exc:
            parts.append(home_status_text(_, home.name, [], problem=explain(_, exc)))
            continue
        lines = [
            DeviceLine(
                device.name or device.device_id,
                device.type in CAMERA_TYPES,
                _reachability(status, device.device_id),
            )
            for device in devices
        ]
        parts.append(home_status_text(_, home.name, lines))
    await message.reply_text("\n\n".join(parts))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("homes", homes_command))
    application.add_handler(CommandHandler("status", status_command))
