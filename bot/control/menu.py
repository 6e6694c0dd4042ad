"""What the control screens share: the home picker, the navigation row under a home's status, Back, the
link a screen reads Netatmo through, and the ages after which their menus no longer act (declared on
each feature's `Buttons(expires_after=...)`: the pipeline answers an expired press).

Every control feature enters a home by the callback data `<feature>:home:<home_id>` (status "st",
security "sec", heating "heat", scenarios "scn", cameras "cam"), so the picker and the navigation row
are built here once and each feature only answers its own entry point. Back always returns to the
home's status ("st:home:<home_id>"), which re-reads Netatmo and edits the same message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Call, InvalidPress, Press
from bot.chat.common import Context, Sender, command_sender, services
from bot.domain.permissions import Action, Membership
from bot.i18n import Translate
from bot.linking import texts as link_texts
from bot.netatmo.gateway import NetatmoGateway
from bot.services import Services
from bot.storage import homes as homes_repo
from bot.storage.models import Home

STATUS = "st"
SECURITY = "sec"
HEATING = "heat"
SCENARIOS = "scn"
CAMERAS = "cam"
ENTRY = "home"  # the action every feature's entry point answers: `<feature>:home:<home_id>`

# Netatmo home ids are 24 hex digits; the simulator and old fixtures use other short ids.
HOME_ARG = callbacks.matching(re.compile(r"[0-9A-Za-z_-]{1,40}"))

# A menu older than this (since it was sent or last edited) answers that it is too old and does nothing:
# what it shows is stale, and pressing an old button must not act on a home that may have changed.
STATUS_EXPIRY = timedelta(hours=24)  # /status only looks
CONTROL_EXPIRY = timedelta(hours=1)  # the screens that change a home (heating, security, devices...)


def entry(feature: str, home_id: str) -> str:
    """The callback data that opens `feature`'s screen for a home."""
    return callbacks.encode(feature, ENTRY, home_id)


def back_button(_: Translate, home_id: str) -> InlineKeyboardButton:
    """« Back: to the home's status (re-read, edited in place)."""
    return InlineKeyboardButton(_("« Back"), callback_data=entry(STATUS, home_id))


def back_row(_: Translate, home_id: str) -> list[InlineKeyboardButton]:
    return [back_button(_, home_id)]


def navigation_rows(_: Translate, home_id: str) -> list[list[InlineKeyboardButton]]:
    """Security / Heating / Scenarios / Cameras / Refresh, under a home's status."""

    def button(label: str, feature: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=entry(feature, home_id))

    return [
        [button(_("🛡 Security"), SECURITY), button(_("🌡 Heating"), HEATING)],
        [button(_("🎬 Scenarios"), SCENARIOS), button(_("📷 Cameras"), CAMERAS)],
        [button(_("🔄 Refresh"), STATUS)],
    ]


def navigation_keyboard(_: Translate, home_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(navigation_rows(_, home_id))


def refresh_keyboard(_: Translate, home_id: str) -> InlineKeyboardMarkup:
    """Only Refresh: under a home whose status could not be read."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("🔄 Refresh"), callback_data=entry(STATUS, home_id))]]
    )


def picker_keyboard(homes: Sequence[Home], feature: str = STATUS) -> InlineKeyboardMarkup:
    """One button per home, opening `feature`'s screen for it."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"🏠 {home.name}", callback_data=entry(feature, home.id))] for home in homes]
    )


def picker_text(_: Translate) -> str:
    return _("Which home?")


def changes_home(
    buttons: Buttons, *names: str, args: tuple[callbacks.Arg, ...], refusal: str, audit: str | None = None
) -> Callable[[Call], Call]:
    """Declare buttons that change a home through Netatmo, or pick how to (a duration before the change):
    owners and admins only (others get `refusal`), run outside the checks' transaction (Netatmo is slow),
    audited as `audit`. Every control feature's writes are declared so: one place says what they require."""
    return buttons.outside_transaction(
        *names, args=args, permission=Action.CONTROL, audit=audit, refusal=refusal
    )


async def known_home(press: Press, session: AsyncSession) -> str:
    """The home named first in the callback data, as long as the bot knows it (membership is checked
    next, by the pipeline): how every control feature's buttons name their home."""
    home_id = press.args[0]
    if await homes_repo.get_home(session, home_id) is None:
        raise InvalidPress(home_id)
    return home_id


async def link_for(gateway: NetatmoGateway, membership: Membership | None, home_id: str) -> int | None:
    """The link to read a home through: the presser's own when they have one for it, else the link
    that serves the home (a member without a Netatmo account looks through an owner's)."""
    if membership is not None and membership.link_id is not None:
        return membership.link_id
    return await gateway.link_for_home(home_id)


async def homes_of(svc: Services, user_id: int) -> tuple[list[Home], Membership | None]:
    """The user's homes, and their membership when they belong to exactly one: a control command then
    goes straight to that home's screen instead of asking which."""
    async with svc.sessions() as session:
        homes = await homes_repo.member_homes(session, user_id)
        membership = await homes_repo.membership(session, homes[0].id, user_id) if len(homes) == 1 else None
    return homes, membership


async def linked_homes(
    sender: Sender, svc: Services
) -> tuple[list[Home], Membership | None, NetatmoGateway] | None:
    """The sender's homes and membership (see homes_of) and the Netatmo gateway to reach them; None,
    after answering how to link, when they belong to no home or the bot has no Netatmo gateway."""
    homes, membership = await homes_of(svc, sender.user.id)
    if not homes or svc.netatmo is None:
        await sender.message.reply_text(link_texts.not_linked_text(sender.tr))
        return None
    return homes, membership, svc.netatmo


async def command_home(update: Update, context: Context, feature: str) -> tuple[Home, Membership] | None:
    """The start of a control command (/status, /heating...): the sender's home and membership when
    they belong to exactly one; otherwise None, after answering with the picker (whose buttons open
    `feature`'s screen) or with how to link when they belong to none."""
    sender = await command_sender(update, context)
    if sender is None:
        return None
    message, _ = sender.message, sender.tr
    homes, membership = await homes_of(services(context), sender.user.id)
    if not homes:
        await message.reply_text(link_texts.not_linked_text(_))
        return None
    if len(homes) > 1 or membership is None:
        await message.reply_text(picker_text(_), reply_markup=picker_keyboard(homes, feature))
        return None
    return homes[0], membership
