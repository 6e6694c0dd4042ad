"""/subscribe and /unsubscribe: which chats receive a home's alerts.

A linked user's private chat is subscribed when they link. In a group, an owner or admin of a home sends
/subscribe and picks a home (buttons when they have several); only the home's owners and admins may
subscribe or unsubscribe a group, and every press is checked against the presser, because anyone in a
group can press a button.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.common import Context, Sender, command, services
from bot.domain.permissions import Action, Role, allowed, refusal
from bot.i18n import N_, Translate
from bot.storage import audit
from bot.storage import homes as homes_repo
from bot.storage import subscriptions as repo
from bot.storage.models import Home

LOG = logging.getLogger(__name__)

FEATURE = "sub"
ADD = "add"
REMOVE = "del"
NOT_ALLOWED_TO_ADD = refusal(Action.SUBSCRIBE_GROUP)


async def _denied(
    session: AsyncSession, user_id: int, chat_id: int, action: str, reason: str, home_id: str | None = None
) -> None:
    """A refused /subscribe or /unsubscribe leaves an audit row saying why, as a refused button does."""
    await audit.record_audit(
        session,
        user_id=user_id,
        chat_id=chat_id,
        home_id=home_id,
        action=action,
        outcome="denied",
        detail={"reason": reason},
    )


def _own_private_chat(chat_id: int, chat_type: str, user_id: int) -> bool:
    return chat_type == ChatType.PRIVATE and chat_id == user_id


@command
async def subscribe_command(sender: Sender, context: Context) -> None:
    user, message, _ = sender
    chat = sender.chat
    async with services(context).sessions.begin() as session:
        homes = await homes_repo.managed_homes(session, user.id, (Role.OWNER, Role.ADMIN))
        subscribed = {
            sub.home_id for sub, _home in await repo.chat_subscriptions(session, chat.id) if sub.active
        }
        if not homes:
            await _denied(session, user.id, chat.id, "subscription.add", "no_linked_home")
    if not homes:
        await message.reply_text(
            _(
                "Only a home's owners and admins can send its alerts to a chat. "
                "Send /link in a private chat with me to link your own Netatmo account first."
            )
        )
        return
    candidates = [home for home in homes if home.id not in subscribed]
    if not candidates:
        names = ", ".join(html.escape(home.name) for home in homes)
        await message.reply_text(
            _("This chat already receives the alerts of {homes}. Send /settings to choose which.").format(
                homes=names
            ),
            parse_mode=ParseMode.HTML,
        )
        return
    if len(candidates) == 1:
        text = await _subscribe_by_command(sender, context, candidates[0].id, chat.id)
        await message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(home.name, callback_data=callbacks.encode(FEATURE, ADD, home.id))]
            for home in candidates
        ]
    )
    await message.reply_text(_("Which home's alerts should this chat receive?"), reply_markup=keyboard)


async def _subscribe_by_command(sender: Sender, context: Context, home_id: str, chat_id: int) -> str:
    """Subscribe after checking the sender, as a button press would be; returns the HTML text to show."""
    user, _ = sender.user, sender.tr
    async with services(context).sessions.begin() as session:
        member = await homes_repo.membership(session, home_id, user.id)
        home = await homes_repo.get_home(session, home_id)
        if home is None or not allowed(Action.SUBSCRIBE_GROUP, member):
            reason = "role" if home is not None else "unknown_home"
            await _denied(session, user.id, chat_id, "subscription.add", reason, home.id if home else None)
            return _(NOT_ALLOWED_TO_ADD)
        text, detail = await _subscribe(session, home, chat_id, user.id, _)
        await audit.record_audit(
            session,
            user_id=user.id,
            chat_id=chat_id,
            home_id=home_id,
            action="subscription.add",
            outcome="ok",
            detail=detail,
        )
    return text


async def _subscribe(
    session: AsyncSession, home: Home, chat_id: int, user_id: int, _: Translate
) -> tuple[str, dict[str, Any]]:
    """Subscribe a chat whose subscriber was checked; returns the HTML text to show and the audit detail."""
    result = await repo.subscribe(session, chat_id, home.id, user_id)
    LOG.info("subscription_added chat=%s home=%s user=%s result=%s", chat_id, home.id, user_id, result)
    name = html.escape(home.name)
    if result == "exists":
        text = _("This chat already receives the alerts of {home}.").format(home=name)
    else:
        text = _("✅ This chat now receives the alerts of {home}. Send /settings to choose which.").format(
            home=name
        )
    return text, {"result": result}


@command
async def unsubscribe_command(sender: Sender, context: Context) -> None:
    user, message, _ = sender
    chat = sender.chat
    own = _own_private_chat(chat.id, chat.type, user.id)
    async with services(context).sessions.begin() as session:
        subscriptions = await repo.chat_subscriptions(session, chat.id)
        permitted = []
        for sub, home in subscriptions:
            member = await homes_repo.membership(session, sub.home_id, user.id)
            if allowed(Action.UNSUBSCRIBE_GROUP, member, own_private_chat=own):
                permitted.append(home)
        if subscriptions and not permitted:
            await _denied(session, user.id, chat.id, "subscription.remove", "role")
    if not subscriptions:
        await message.reply_text(_("This chat receives no alerts."))
        return
    if not permitted:
        await message.reply_text(_(refusal(Action.UNSUBSCRIBE_GROUP)))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Stop alerts of {home}").format(home=home.name),
                    callback_data=callbacks.encode(FEATURE, REMOVE, home.id),
                )
            ]
            for home in permitted
        ]
    )
    await message.reply_text(_("Which home's alerts should stop in this chat?"), reply_markup=keyboard)


async def _home_in_data(press: Press, session: AsyncSession) -> str:
    return press.args[0]  # a home the bot does not know is refused like one the presser is not linked to


BUTTONS = Buttons(
    FEATURE, invalid=N_("This button is not valid. Send the command again."), home=_home_in_data
)


def _add_refused(press: Press) -> dict[str, Any]:
    return {"reason": "role" if press.home is not None else "unknown_home"}


@BUTTONS.action(
    ADD,
    args=(callbacks.any_text,),
    permission=Action.SUBSCRIBE_GROUP,
    audit="subscription.add",
    refusal=NOT_ALLOWED_TO_ADD,
    refusal_detail=_add_refused,
)
async def _add(press: Press, session: AsyncSession) -> Outcome:
    if press.home is None:
        return press.refused()
    text, detail = await _subscribe(session, press.home, press.chat_id, press.user.id, press.tr)
    return Outcome(edit=Edit(text), audits=[press.audit(detail)])


@BUTTONS.action(
    REMOVE,
    args=(callbacks.any_text,),
    permission=Action.UNSUBSCRIBE_GROUP,
    audit="subscription.remove",
)
async def _remove(press: Press, session: AsyncSession) -> Outcome:
    _ = press.tr
    home_id = press.args[0]
    removed = await repo.unsubscribe(session, press.chat_id, home_id)
    LOG.info(
        "subscription_removed chat=%s home=%s user=%s removed=%s",
        press.chat_id,
        home_id,
        press.user.id,
        removed,
    )
    name = html.escape(press.home.name if press.home is not None else home_id)
    text = (
        _("🔕 This chat no longer receives the alerts of {home}.")
        if removed
        else _("This chat was not receiving the alerts of {home}.")
    )
    return Outcome(edit=Edit(text.format(home=name)), audits=[press.audit({"removed": removed})])


def register(application: Application) -> None:
    application.add_handler(CommandHandler("subscribe", subscribe_command))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe_command))
    BUTTONS.register(application)
