"""/mute: see and clear the chat's running mutes, or mute the chat's alerts for 30 min / 1 h / 8 h.

In a group only the home's owners and admins may pause or resume its alerts (a member would silence the
whole family); in their own private chat anyone may, since it silences no one else. Each home of the chat
is checked on its own. The menu message is edited in place with who did what, so the whole chat sees why
alerts went quiet. Smoke and CO alarms are never muted; the menu says so.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Audit, Buttons, Edit, Outcome, Press
from bot.chat.common import Context, remember, services, tr
from bot.domain.permissions import Action, allowed, refusal
from bot.domain.schedule import local_clock
from bot.i18n import N_, Translate
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo

LOG = logging.getLogger(__name__)

FEATURE = "mute"
QUICK = "q"
CLEAR = "x"
CLEAR_ALL = "xa"
QUICK_MINUTES = (30, 60, 480)


@dataclass(frozen=True)
class MuteLine:
    mute_id: int
    label: str  # plain text: "Garden camera (Villa) until 21:40"
    target: str  # plain text: "Garden camera" or "Villa"


async def describe_mutes(
    session: AsyncSession, chat_id: int, now: datetime, _: Translate, home_id: str | None = None
) -> list[MuteLine]:
    """The chat's running mutes, soonest ending first, with labels for the menu and its buttons."""
    described = []
    for mute in await mutes_repo.live_mutes(session, chat_id, now, home_id):
        home = await homes_repo.get_home(session, mute.home_id)
        home_name = home.name if home is not None else mute.home_id
        timezone = home.timezone if home is not None else "UTC"
        until = local_clock(mute.until, timezone)
        if mute.device_id is None:
            label = _("All alerts of {home} until {time}").format(home=home_name, time=until)
            target = home_name
        else:
            target = await homes_repo.device_name(session, mute.home_id, mute.device_id) or mute.device_id
            label = _("{device} ({home}) until {time}").format(device=target, home=home_name, time=until)
        described.append(MuteLine(mute.id, label, target))
    return described


def quick_label(minutes: int, _: Translate) -> str:
    if minutes % 60 == 0:
        return _("{hours} h").format(hours=minutes // 60)
    return _("{minutes} min").format(minutes=minutes)


async def mute_menu(
    session: AsyncSession, chat_id: int, now: datetime, _: Translate, notice: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """Text and keyboard of /mute: the running mutes with Unmute buttons, and quick mutes."""
    described = await describe_mutes(session, chat_id, now, _)
    subscribed = [sub for sub, _home in await repo.chat_subscriptions(session, chat_id) if sub.active]
    lines = [html.escape(notice), ""] if notice else []
    rows: list[list[InlineKeyboardButton]] = []
    if described:
        lines.append(_("<b>Muted in this chat</b>"))
        for line in described:
            lines.append("• " + html.escape(line.label))
            rows.append(
                [
                    InlineKeyboardButton(
                        _("🔔 Unmute {what}").format(what=line.target),
                        callback_data=callbacks.encode(FEATURE, CLEAR, line.mute_id),
                    )
                ]
            )
        if len(described) > 1:
            rows.append(
                [InlineKeyboardButton(_("🔔 Unmute all"), callback_data=callbacks.encode(FEATURE, CLEAR_ALL))]
            )
    else:
        lines.append(_("Nothing is muted in this chat."))
    if subscribed:
        lines.append("")
        lines.append(_("Mute every alert in this chat for:"))
        rows.append(
            [
                InlineKeyboardButton(quick_label(m, _), callback_data=callbacks.encode(FEATURE, QUICK, m))
                for m in QUICK_MINUTES
            ]
        )
        lines.append(_("<i>Smoke and CO alarms always come through.</i>"))
    else:
        lines.append(_("This chat receives no alerts. A linked member can send /subscribe."))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def mute_command(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    await remember(update, context)
    async with services(context).sessions() as session:
        text, keyboard = await mute_menu(session, chat.id, datetime.now(UTC), tr(update))
    await message.reply_text(text, reply_markup=keyboard, parse_mode=ParseMode.HTML)


def _quick_minutes(arg: str) -> bool:
    return arg.isascii() and arg.isdigit() and int(arg) in QUICK_MINUTES


async def _mutable_homes(press: Press, session: AsyncSession) -> set[str]:
    """The homes of this chat whose alerts the presser may pause or resume here."""
    homes = set()
    for sub, _home in await repo.chat_subscriptions(session, press.chat_id):
        member = await homes_repo.membership_in_chat(session, sub.home_id, press.user.id, press.chat_id)
        if allowed(Action.MUTE_CHAT, member, own_private_chat=press.own_private_chat):
            homes.add(sub.home_id)
    return homes


def _anyone(press: Press) -> bool:
    """The chat's homes are checked one by one in the action (`_mutable_homes`)."""
    return True


BUTTONS = Buttons(FEATURE, invalid=N_("This button is not valid. Send /mute again."))
MUTE_REFUSAL = refusal(Action.MUTE_CHAT)


@BUTTONS.action(QUICK, args=(_quick_minutes,), permission=_anyone, audit="mute.add", refusal=MUTE_REFUSAL)
async def _quick_mute(press: Press, session: AsyncSession) -> Outcome:
    _ = press.tr
    now = datetime.now(UTC)
    minutes = int(press.args[0])
    until = now + timedelta(minutes=minutes)
    mutable = await _mutable_homes(press, session)
    audits = []
    for sub, _home in await repo.chat_subscriptions(session, press.chat_id):
        if sub.active and sub.home_id in mutable:
            await mutes_repo.add_mute(session, press.chat_id, sub.home_id, None, until, press.user.id)
            audits.append(press.audit({"minutes": minutes}, home_id=sub.home_id))
    if not audits:
        return press.refused()
    who = press.user.first_name  # escaped with the whole notice in mute_menu
    notice = _("🔕 {who} muted this chat for {duration}.").format(who=who, duration=quick_label(minutes, _))
    return await _menu(press, session, now, notice, audits)


@BUTTONS.action(CLEAR, args=(callbacks.NUMBER,), permission=_anyone, audit="mute.clear", refusal=MUTE_REFUSAL)
@BUTTONS.action(CLEAR_ALL, permission=_anyone, audit="mute.clear", refusal=MUTE_REFUSAL)
async def _clear(press: Press, session: AsyncSession) -> Outcome:
    _ = press.tr
    mute_id = int(press.args[0]) if press.action == CLEAR else None
    mutable = await _mutable_homes(press, session)
    if not mutable:
        return press.refused()
    removed = 0
    for home_id in sorted(mutable):
        removed += await mutes_repo.clear_mutes(session, press.chat_id, home_id=home_id, mute_id=mute_id)
    who = press.user.first_name  # escaped with the whole notice in mute_menu
    notice = _("🔔 {who} unmuted alerts.").format(who=who) if removed else _("That mute had already ended.")
    audits = [press.audit({"mute_id": mute_id, "removed": removed})]
    return await _menu(press, session, datetime.now(UTC), notice, audits)


async def _menu(
    press: Press, session: AsyncSession, now: datetime, notice: str, audits: list[Audit]
) -> Outcome:
    text, keyboard = await mute_menu(session, press.chat_id, now, press.tr, notice)
    LOG.info("mute_button chat=%s user=%s action=%s", press.chat_id, press.user.id, press.action)
    return Outcome(edit=Edit(text, keyboard), audits=audits)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("mute", mute_command))
    BUTTONS.register(application)
