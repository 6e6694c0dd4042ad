"""/subscribe and /unsubscribe: which chats receive a home's alerts.

A linked user's private chat is subscribed when they link. In a group, a linked user sends /subscribe and
picks a home (buttons when they have several); only the home's linked users may subscribe or unsubscribe
a group, and every press is checked against the presser, because anyone in a group can press a button.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.chat import callbacks
from bot.chat.common import Context, query_message, remember, services, tr
from bot.domain.permissions import Action, allowed
from bot.storage import audit
from bot.storage import homes as homes_repo
from bot.storage import subscriptions as repo

LOG = logging.getLogger(__name__)

FEATURE = "sub"
ADD = "add"
REMOVE = "del"


def _own_private_chat(chat_id: int, chat_type: str, user_id: int) -> bool:
    return chat_type == ChatType.PRIVATE and chat_id == user_id


async def subscribe_command(update: Update, context: Context) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    await remember(update, context)
    _ = tr(update)
    async with services(context).sessions.begin() as session:
        homes = await homes_repo.linked_homes(session, user.id)
        subscribed = {
            sub.home_id for sub, _home in await repo.chat_subscriptions(session, chat.id) if sub.active
        }
        if not homes:
            await audit.record_audit(
                session,
                user_id=user.id,
                chat_id=chat.id,
                home_id=None,
                action="subscription.add",
                outcome="denied",
                detail={"reason": "no_linked_home"},
            )
    if not homes:
        await message.reply_text(
            _(
                "Only people who linked their Netatmo account can send a home's alerts to a chat. "
                "Send /link in a private chat with me first."
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
        _ok, text = await _subscribe(update, context, candidates[0].id, chat.id)
        await message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(home.name, callback_data=callbacks.encode(FEATURE, ADD, home.id))]
            for home in candidates
        ]
    )
    await message.reply_text(_("Which home's alerts should this chat receive?"), reply_markup=keyboard)


async def _subscribe(update: Update, context: Context, home_id: str, chat_id: int) -> tuple[bool, str]:
    """Subscribe after checking the acting user; returns (allowed, the HTML text to show)."""
    user = update.effective_user
    assert user is not None
    _ = tr(update)
    async with services(context).sessions.begin() as session:
        member = await homes_repo.membership(session, home_id, user.id)
        home = await homes_repo.get_home(session, home_id)
        if home is None or not allowed(Action.SUBSCRIBE_GROUP, member):
            await audit.record_audit(
                session,
                user_id=user.id,
                chat_id=chat_id,
                home_id=home_id if home is not None else None,
                action="subscription.add",
                outcome="denied",
                detail={"reason": "not_linked_member" if home is not None else "unknown_home"},
            )
            return False, _(
                "Only people who linked their Netatmo account to this home can send its alerts here."
            )
        result = await repo.subscribe(session, chat_id, home_id, user.id)
        await audit.record_audit(
            session,
            user_id=user.id,
            chat_id=chat_id,
            home_id=home_id,
            action="subscription.add",
            outcome="ok",
            detail={"result": result},
        )
    LOG.info("subscription_added chat=%s home=%s user=%s result=%s", chat_id, home_id, user.id, result)
    name = html.escape(home.name)
    if result == "exists":
        return True, _("This chat already receives the alerts of {home}.").format(home=name)
    text = _("✅ This chat now receives the alerts of {home}. Send /settings to choose which.")
    return True, text.format(home=name)


async def unsubscribe_command(update: Update, context: Context) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    await remember(update, context)
    _ = tr(update)
    own = _own_private_chat(chat.id, chat.type, user.id)
    async with services(context).sessions.begin() as session:
        subscriptions = await repo.chat_subscriptions(session, chat.id)
        permitted = []
        for sub, home in subscriptions:
            member = await homes_repo.membership(session, sub.home_id, user.id)
            if allowed(Action.UNSUBSCRIBE_GROUP, member, own_private_chat=own):
                permitted.append(home)
        if subscriptions and not permitted:
            await audit.record_audit(
                session,
                user_id=user.id,
                chat_id=chat.id,
                home_id=None,
                action="subscription.remove",
                outcome="denied",
                detail={"reason": "not_linked_member"},
            )
    if not subscriptions:
        await message.reply_text(_("This chat receives no alerts."))
        return
    if not permitted:
        await message.reply_text(
            _("Only people who linked their Netatmo account to the home can stop its alerts here.")
        )
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


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    _ = tr(update)
    message = query_message(query)
    decoded = callbacks.decode_or_none(query.data)
    if message is None or decoded is None or decoded.action not in (ADD, REMOVE) or len(decoded.args) != 1:
        await query.answer(_("This button is not valid. Send the command again."), show_alert=True)
        return
    chat = message.chat
    home_id = decoded.args[0]
    if decoded.action == ADD:
        ok, text = await _subscribe(update, context, home_id, chat.id)
        if ok:
            await query.answer()
            await query.edit_message_text(text, parse_mode=ParseMode.HTML)
        else:
            await query.answer(text, show_alert=True)
        return
    await _unsubscribe(update, context, home_id, chat.id, chat.type)


async def _unsubscribe(update: Update, context: Context, home_id: str, chat_id: int, chat_type: str) -> None:
    query = update.callback_query
    assert query is not None
    user = query.from_user
    _ = tr(update)
    own = _own_private_chat(chat_id, chat_type, user.id)
    async with services(context).sessions.begin() as session:
        member = await homes_repo.membership(session, home_id, user.id)
        home = await homes_repo.get_home(session, home_id)
        permitted = allowed(Action.UNSUBSCRIBE_GROUP, member, own_private_chat=own)
        removed = permitted and await repo.unsubscribe(session, chat_id, home_id)
        await audit.record_audit(
            session,
            user_id=user.id,
            chat_id=chat_id,
            home_id=home_id if home is not None else None,
            action="subscription.remove",
            outcome="ok" if permitted else "denied",
            detail={"removed": removed} if permitted else {"reason": "not_linked_member"},
        )
    if not permitted:
        await query.answer(
            _("Only people who linked their Netatmo account to this home can stop its alerts here."),
            show_alert=True,
        )
        return
    LOG.info("subscription_removed chat=%s home=%s user=%s removed=%s", chat_id, home_id, user.id, removed)
    await query.answer()
    name = html.escape(home.name if home is not None else home_id)
    text = (
        _("🔕 This chat no longer receives the alerts of {home}.")
        if removed
        else _("This chat was not receiving the alerts of {home}.")
    )
    await query.edit_message_text(text.format(home=name), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("subscribe", subscribe_command))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(FEATURE)))
