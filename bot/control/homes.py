"""The home picker every feature uses, /homes, and a minimal /status (linked homes and reachability).

`pick_home` answers at once when the user has one home, else sends a keyboard whose buttons carry
`feature:action:<home id>`; the feature's own callback handler then calls `home_from_callback`, which
re-checks that the presser is a member of that home (callback data can be forged).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.common import Context, remember, services, tr
from bot.chat.netatmo_errors import explain
from bot.domain.homes_text import DeviceLine, home_status_text, homes_list_text
from bot.linking import texts as link_texts
from bot.linking.chat import relink_keyboard
from bot.netatmo.errors import LinkBroken, NetatmoError
from bot.netatmo.topology import ALARM_TYPES, CAMERA_TYPES
from bot.storage.models import Home, HomeDevice, HomeMember, NetatmoLink

LOG = logging.getLogger(__name__)


async def user_homes(context: Context, telegram_user_id: int) -> list[Home]:
    """Every home the user is a member of (own link or invited), in a stable order (name, id)."""
    async with services(context).sessions() as session:
        rows = await session.scalars(
            select(Home)
            .join(HomeMember, HomeMember.home_id == Home.id)
            .where(HomeMember.telegram_user_id == telegram_user_id)
            .order_by(Home.name, Home.id)
        )
        return list(rows)


def _home_arg(feature: str, action: str, home_id: str, index: int) -> str:
    """The home id when it fits the 64 bytes (24-hex ids always do), else its index in `user_homes`."""
    try:
        return callbacks.encode(feature, action, home_id)
    except callbacks.CallbackDataError:
        return callbacks.encode(feature, action, f"#{index}")


def home_keyboard(homes: list[Home], feature: str, action: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    home.name or home.id, callback_data=_home_arg(feature, action, home.id, index)
                )
            ]
            for index, home in enumerate(homes)
        ]
    )


async def pick_home(update: Update, context: Context, feature: str, action: str) -> str | None:
    """The home a command is about: returned directly when the user has one, else asked with buttons.

    Returns None when a keyboard was sent (the answer arrives as a `feature:action:<home>` callback) or
    when the user has no home (they were told how to link one).
    """
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    _ = tr(update)
    homes = await user_homes(context, user.id)
    if not homes:
        await message.reply_text(link_texts.not_linked_text(_))
        return None
    if len(homes) == 1:
        return homes[0].id
    await message.reply_text(_("Which home?"), reply_markup=home_keyboard(homes, feature, action))
    return None


async def home_from_callback(update: Update, context: Context, arg: str) -> str | None:
    """The home id a picker button names, if the presser may use that home (None otherwise)."""
    user = update.effective_user
    if user is None:
        return None
    homes = await user_homes(context, user.id)
    if arg.startswith("#"):
        try:
            index = int(arg[1:])
        except ValueError:
            return None
        return homes[index].id if 0 <= index < len(homes) else None
    return arg if any(home.id == arg for home in homes) else None


async def homes_command(update: Update, context: Context) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await remember(update, context)
    _ = tr(update)
    async with services(context).sessions() as session:
        rows = (
            await session.execute(
                select(Home, HomeMember.role)
                .join(HomeMember, HomeMember.home_id == Home.id)
                .where(HomeMember.telegram_user_id == user.id)
                .order_by(Home.name, Home.id)
            )
        ).all()
        devices = list(
            await session.scalars(select(HomeDevice).where(HomeDevice.home_id.in_([h.id for h, _r in rows])))
        )
        link = await session.scalar(select(NetatmoLink).where(NetatmoLink.telegram_user_id == user.id))
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
    broken = link is not None and link.state != "active"
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
    homes = await user_homes(context, user.id)
    if not homes or gateway is None:
        await message.reply_text(link_texts.not_linked_text(_))
        return
    own = await gateway.link_of_user(user.id)
    parts: list[str] = []
    for home in homes:
        async with svc.sessions() as session:
            devices = list(
                await session.scalars(
                    select(HomeDevice)
                    .where(
                        HomeDevice.home_id == home.id, HomeDevice.type.in_(list(CAMERA_TYPES | ALARM_TYPES))
                    )
                    .order_by(HomeDevice.name, HomeDevice.device_id)
                )
            )
            member = await session.get(HomeMember, (home.id, user.id))
        own_home = own is not None and member is not None and member.link_id == own.id
        if own is not None and own_home and own.state != "active":
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
