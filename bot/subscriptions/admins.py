"""Admins of a home: an owner promotes a member of the family group, who may then control the home, change
the group's settings and mute it, without linking a Netatmo account of their own.

Two ways, both for owners only (checked against the sender or presser, never the chat):
- reply `/admin` (or `/unadmin`) to a member's message in a group that receives the home's alerts: it
  applies to every home of that group the sender owns;
- /settings in the group → Admins: the owners and admins, with Remove buttons, and Make-admin buttons for
  the people the bot has seen act in the group.
Every change is audited (who, whom, before → after) and announced in the group.
"""

from __future__ import annotations

import html
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Audit, Buttons, Edit, InvalidPress, Outcome, Press
from bot.chat.common import Context, command_sender, services
from bot.domain.permissions import Action, Role, allowed, refusal
from bot.i18n import N_, Translate
from bot.storage import audit as audit_repo
from bot.storage import homes as homes_repo
from bot.storage import subscriptions as subs_repo
from bot.storage.models import Home
from bot.storage.telegram import get_user, save_user

LOG = logging.getLogger(__name__)

FEATURE = "adm"
VIEW = "v"
PROMOTE = "add"
DEMOTE = "rm"
SETTINGS_FEATURE = "set"  # the Back button returns to /settings' main screen
ROLE_NAMES = {Role.OWNER: N_("owner"), Role.ADMIN: N_("admin"), Role.MEMBER: N_("member")}


def _button(label: str, action: str, sub_id: int, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(FEATURE, action, sub_id, *args))


async def admins_screen(session: AsyncSession, sub_id: int, home: Home, chat_id: int, _: Translate) -> Edit:
    """Owners and admins of the home, Remove buttons for admins, Make-admin buttons for people seen here."""
    people = await homes_repo.home_people(session, home.id)
    lines = [_("<b>Who manages {home}</b>").format(home=html.escape(home.name))]
    for _uid, name, role in people:
        lines.append(f"• {html.escape(name)} ({_(ROLE_NAMES[role])})")
    lines += [
        "",
        _("Owners and admins may change the home and this group's alerts; members may look."),
        _("Owners choose admins: reply /admin to someone's message, or use the buttons."),
    ]
    managers = {uid for uid, _name, _role in people}
    rows = [
        [_button(_("Remove admin {name}").format(name=name), DEMOTE, sub_id, uid)]
        for uid, name, role in people
        if role == Role.ADMIN
    ]
    for uid, name in await audit_repo.people_seen_in_chat(session, chat_id):
        if uid not in managers:
            rows.append([_button(_("Make {name} admin").format(name=name), PROMOTE, sub_id, uid)])
    rows.append(
        [InlineKeyboardButton(_("« Back"), callback_data=callbacks.encode(SETTINGS_FEATURE, "m", sub_id))]
    )
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


def settings_row(sub_id: int, _: Translate) -> list[InlineKeyboardButton]:
    """The button /settings shows in a group to open this screen."""
    return [_button(_("Admins"), VIEW, sub_id)]


async def _subscription_home(press: Press, session: AsyncSession) -> str:
    """The home of the subscription the button names, which must be this group's own."""
    sub = await subs_repo.subscription_by_id(session, int(press.args[0]))
    if sub is None or sub.chat_id != press.chat_id or press.message.chat.type == ChatType.PRIVATE:
        raise InvalidPress()
    return sub.home_id


BUTTONS = Buttons(
    FEATURE, invalid=N_("This button is not valid. Send /settings again."), home=_subscription_home
)
SUB_ID = callbacks.NUMBER


@BUTTONS.action(VIEW, args=(SUB_ID,), permission=Action.VIEW_SETTINGS)
async def _view(press: Press, session: AsyncSession) -> Outcome:
    assert press.home is not None
    return Outcome(edit=await admins_screen(session, int(press.args[0]), press.home, press.chat_id, press.tr))


@BUTTONS.action(
    PROMOTE, DEMOTE, args=(SUB_ID, callbacks.INTEGER), permission=Action.MANAGE_ROLES, audit="role.change"
)
async def _change(press: Press, session: AsyncSession) -> Outcome:
    assert press.home is not None
    _ = press.tr
    target_id = int(press.args[1])
    target = await _known_name(session, target_id)
    if target is None or target_id == press.user.id:
        return press.invalid()
    home = press.home
    if press.action == PROMOTE:
        result = await homes_repo.set_admin(session, home.id, target_id, press.user.id)
        audit = _role_audit(press, home, target, result == "promoted", promote=True)
    else:
        result = await homes_repo.remove_admin(session, home.id, target_id)
        audit = _role_audit(press, home, target, result == "removed", promote=False)
    screen = await admins_screen(session, int(press.args[0]), home, press.chat_id, _)
    if audit is None:
        return Outcome(answer=_("Nothing to change."), edit=screen)
    return Outcome(
        edit=screen,
        notice=_role_notice(_, press.user.first_name, target, home, promote=press.action == PROMOTE),
        audits=[audit],
    )


def _role_audit(press: Press, home: Home, target: str, changed: bool, *, promote: bool) -> Audit | None:
    if not changed:
        return None
    before, after = ("member", "admin") if promote else ("admin", "member")
    return press.audit(home_id=home.id, what=target, before=before, after=after)


def _role_notice(_: Translate, who: str, target: str, home: Home, *, promote: bool) -> str:
    text = (
        _("{who} made {whom} an admin of {home}.")
        if promote
        else _("{who} removed {whom} as admin of {home}.")
    )
    return text.format(who=html.escape(who), whom=html.escape(target), home=html.escape(home.name))


async def _known_name(session: AsyncSession, user_id: int) -> str | None:
    user = await get_user(session, user_id)
    return (user.first_name or str(user_id)) if user is not None else None


# -- /admin and /unadmin as a reply -------------------------------------------------------------------


async def admin_command(update: Update, context: Context) -> None:
    await _by_reply(update, context, promote=True)


async def unadmin_command(update: Update, context: Context) -> None:
    await _by_reply(update, context, promote=False)


async def _by_reply(update: Update, context: Context, *, promote: bool) -> None:
    sender = await command_sender(update, context)
    if sender is None:
        return
    user, message, _ = sender
    chat = sender.chat
    replied = message.reply_to_message
    target: User | None = replied.from_user if replied is not None else None
    if chat.type == ChatType.PRIVATE or target is None:
        await message.reply_text(
            _("Reply /admin (or /unadmin) to a message of the person, in the family group.")
        )
        return
    if target.is_bot or target.id == user.id:
        await message.reply_text(_("Choose another member of the group."))
        return
    async with services(context).sessions.begin() as session:
        homes = await homes_repo.homes_in_chat(session, user.id, chat.id, own_private_chat=False)
        owned = [home for home, member in homes if allowed(Action.MANAGE_ROLES, member)]
        if not owned:
            await audit_repo.record_audit(
                session,
                user_id=user.id,
                chat_id=chat.id,
                home_id=homes[0][0].id if len(homes) == 1 else None,
                action="role.change",
                outcome="denied",
                detail={"reason": "role", "whom": target.id},
            )
            reply = _(refusal(Action.MANAGE_ROLES))
        else:
            await save_user(session, target.id, target.first_name, target.username, target.language_code)
            reply = await _apply_by_reply(session, owned, user, target, chat.id, _, promote=promote)
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


async def _apply_by_reply(
    session: AsyncSession,
    homes: list[Home],
    user: User,
    target: User,
    chat_id: int,
    _: Translate,
    *,
    promote: bool,
) -> str:
    lines = []
    for home in homes:
        if promote:
            result = await homes_repo.set_admin(session, home.id, target.id, user.id)
            changed = result == "promoted"
        else:
            result = await homes_repo.remove_admin(session, home.id, target.id)
            changed = result == "removed"
        if changed:
            before, after = ("member", "admin") if promote else ("admin", "member")
            await audit_repo.record_audit(
                session,
                user_id=user.id,
                chat_id=chat_id,
                home_id=home.id,
                action="role.change",
                outcome="ok",
                detail={"what": target.first_name, "before": before, "after": after, "whom": target.id},
            )
            lines.append(_role_notice(_, user.first_name, target.first_name, home, promote=promote))
        elif result == "owner":
            lines.append(
                _("{whom} is an owner of {home}: owners are owners through their own Netatmo link.").format(
                    whom=html.escape(target.first_name), home=html.escape(home.name)
                )
            )
        else:
            text = (
                _("{whom} is already an admin of {home}.")
                if promote
                else _("{whom} is not an admin of {home}.")
            )
            lines.append(text.format(whom=html.escape(target.first_name), home=html.escape(home.name)))
        LOG.info(
            "role_change home=%s by=%s whom=%s promote=%s result=%s",
            home.id,
            user.id,
            target.id,
            promote,
            result,
        )
    return "\n".join(lines)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("admin", admin_command))
    application.add_handler(CommandHandler("unadmin", unadmin_command))
    BUTTONS.register(application)
