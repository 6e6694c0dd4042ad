"""/link, /start link, the "Link Netatmo account" button, the paste fallback, /unlink, and the messages
that close the OAuth flow (linked, failed, relink needed).

The web callback (`bot.linking.web`) reaches the Telegram side through the `LinkNotifier` the runtime builds
once (`services.link_notifier`), so both ends of linking speak with one voice.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.common import Context, Sender, command, remember, services, tr
from bot.chat.netatmo_errors import RELINK_DATA, relink_keyboard
from bot.i18n import N_, translator
from bot.linking import texts
from bot.linking.service import (
    LinkFailure,
    LinkResult,
    claim_state,
    complete_link,
    latest_state_hash,
    start_link,
)
from bot.linking.service import unlink as unlink_account
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.oauth import authorize_url
from bot.netatmo.topology import HomeInfo
from bot.services import Services
from bot.storage.homes import link_home_names
from bot.storage.telegram import user_language

LOG = logging.getLogger(__name__)

FEATURE = "link"
UNLINK = "unlink"
# A pasted redirect URL (code= or error= in its query), or a bare authorization code.
PASTE_PATTERN = re.compile(r"([?&](code|error)=)|^\s*[0-9A-Za-z|_-]{24,80}\s*$")
BARE_CODE = re.compile(r"^\s*([0-9A-Za-z|_-]{24,80})\s*$")


def summaries(homes: tuple[HomeInfo, ...] | list[HomeInfo]) -> list[texts.HomeSummary]:
    return [texts.HomeSummary(home.name, len(home.cameras), len(home.alarms)) for home in homes]


async def language_of(svc: Services, telegram_user_id: int) -> str | None:
    async with svc.sessions() as session:
        return await user_language(session, telegram_user_id)


class LinkNotifier:
    """Telegram messages that end a linking attempt, or say a link broke; never raises."""

    def __init__(self, bot: Bot, svc: Services) -> None:
        self.bot = bot
        self.svc = svc

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramError as exc:
            LOG.warning("link_notify_failed chat=%s error=%r", chat_id, exc)

    async def linked(self, result: LinkResult) -> None:
        self.svc.links_changed.set()
        _ = translator(await language_of(self.svc, result.telegram_user_id))
        text = texts.linked_text(
            _, summaries(result.homes), relinked=result.relinked, replaced_account=result.replaced_account
        )
        await self._send(result.chat_id, text)

    async def failed(self, failure: LinkFailure) -> None:
        if failure.chat_id is None or failure.telegram_user_id is None:
            return
        _ = translator(await language_of(self.svc, failure.telegram_user_id))
        await self._send(failure.chat_id, texts.link_failure_text(_, failure.reason))

    async def broken(self, telegram_user_id: int) -> None:
        _ = translator(await language_of(self.svc, telegram_user_id))
        await self._send(telegram_user_id, texts.broken_link_text(_), relink_keyboard(_))


async def notify_broken(svc: Services, telegram_user_id: int) -> None:
    """The gateway's `notify_broken` hook: the relink prompt, through the registered notifier."""
    if svc.link_notifier is not None:
        await svc.link_notifier.broken(telegram_user_id)


def _gateway(context: Context) -> NetatmoGateway:
    gateway = services(context).netatmo
    if gateway is None:
        raise RuntimeError("the Netatmo gateway is not configured")
    return gateway


async def _send_link_button(update: Update, context: Context) -> None:
    """The private-chat answer to /link, /start link and the Link/Relink buttons."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    svc = services(context)
    _ = tr(update)
    async with svc.sessions.begin() as session:
        state = await start_link(session, user.id, user.id)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Sign in with Netatmo"), url=authorize_url(svc.settings, state))]]
    )
    text = texts.link_intro_text(_, paste_hint=not svc.settings.public_url_is_public)
    await context.bot.send_message(
        user.id, text, reply_markup=keyboard, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    LOG.info("link_started user=%s", user.id)


async def link_command(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    await remember(update, context)
    if chat.type != ChatType.PRIVATE:
        _ = tr(update)
        url = f"https://t.me/{services(context).bot_username}?start=link"
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(_("Open private chat"), url=url)]])
        await message.reply_text(texts.link_in_private_text(_), reply_markup=keyboard)
        return
    await _send_link_button(update, context)


async def start_link_deep(update: Update, context: Context) -> None:
    """`/start link` (the group's deep link): start linking instead of the welcome."""
    await link_command(update, context)
    raise ApplicationHandlerStop


async def link_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await remember(update, context)
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await link_command(update, context)
        return
    await _send_link_button(update, context)


async def pasted_redirect(update: Update, context: Context) -> None:
    """The self-hoster's fallback: the user pastes the redirect URL (or the bare code)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not message.text:
        return
    await remember(update, context)
    svc = services(context)
    gateway = _gateway(context)
    notifier = LinkNotifier(context.bot, svc)
    text = message.text.strip()
    query = parse_qs(urlsplit(text).query or text.partition("?")[2])
    code = (query.get("code") or [""])[0]
    state = (query.get("state") or [""])[0]
    error = (query.get("error") or [""])[0]
    if not query and (bare := BARE_CODE.match(text)):
        code = bare.group(1)
    try:
        async with svc.sessions.begin() as session:
            if state:
                pending = await claim_state(session, state=state, by_user=user.id)
            else:
                state_hash = await latest_state_hash(session, user.id)
                if state_hash is None:
                    raise LinkFailure("no_pending", user.id, user.id)
                pending = await claim_state(session, state_hash=state_hash, by_user=user.id)
        if error:
            raise LinkFailure("denied", pending.telegram_user_id, pending.chat_id)
        if not code:
            raise LinkFailure("missing", pending.telegram_user_id, pending.chat_id)
        result = await complete_link(gateway, svc.http, svc.settings, pending, code)
    except LinkFailure as failure:
        LOG.info("link_paste_failed user=%s reason=%s", user.id, failure.reason)
        await message.reply_text(texts.link_failure_text(tr(update), failure.reason))
        return
    await notifier.linked(result)


@command
async def unlink_command(sender: Sender, context: Context) -> None:
    user, message, _ = sender
    gateway = _gateway(context)
    link = await gateway.link_of_user(user.id)
    if link is None:
        await message.reply_text(texts.not_linked_text(_))
        return
    async with services(context).sessions() as session:
        names = await link_home_names(session, link.id)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Yes, unlink"), callback_data=callbacks.encode(UNLINK, "yes", user.id)
                ),
                InlineKeyboardButton(_("Cancel"), callback_data=callbacks.encode(UNLINK, "no", user.id)),
            ]
        ]
    )
    await message.reply_text(texts.unlink_confirm_text(_, names), reply_markup=keyboard)


def _asked_by_presser(press: Press) -> bool:
    """Unlinking is personal: only the person who asked may confirm or cancel."""
    return int(press.args[0]) == press.user.id


UNLINK_BUTTONS = Buttons(UNLINK, invalid=N_("This button has expired. Send the command again."))


@UNLINK_BUTTONS.outside_transaction(
    "yes",
    "no",
    args=(callbacks.INTEGER,),
    permission=_asked_by_presser,
    refusal=N_("Only the person who asked can answer this."),
)
async def unlink_button(press: Press) -> Outcome:
    """The answer to "Unlink your Netatmo account?"; unlinking itself writes the audit row."""
    _ = press.tr
    if press.action != "yes":
        return Outcome(edit=Edit(_("Okay, nothing changed."), html=False))
    result = await unlink_account(_gateway(press.context), press.user.id, press.chat_id)
    return Outcome(edit=Edit(texts.unlinked_text(_) if result else texts.not_linked_text(_), html=False))


def register(application: Application) -> None:
    deep_link = filters.ChatType.PRIVATE & filters.Regex(r"^/start(@\w+)?\s+link\s*$")
    application.add_handler(CommandHandler("start", start_link_deep, filters=deep_link), group=-1)
    application.add_handler(CommandHandler("link", link_command))
    application.add_handler(CommandHandler("unlink", unlink_command))
    application.add_handler(CallbackQueryHandler(link_button, pattern=f"^{re.escape(RELINK_DATA)}$"))
    UNLINK_BUTTONS.register(application)
    paste = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & filters.Regex(PASTE_PATTERN)
    application.add_handler(MessageHandler(paste, pasted_redirect))
