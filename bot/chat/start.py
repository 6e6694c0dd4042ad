"""/start and /help: the first impression, and the map of everything else."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat.common import Context, Sender, command, tr
from bot.i18n import Translate

# Plain data, not signed: it only starts /link for whoever presses it (handled in bot/linking/chat.py).
LINK_BUTTON_DATA = "link:start"


def welcome_text(_: Translate, first_name: str, in_group: bool) -> str:
    lines = [
        _("Hi {name}! I watch your Netatmo home and keep your family in the loop.").format(name=first_name),
        "",
        _("• Camera, doorbell, smoke and CO alerts with snapshots, here or in a family group"),
        _("Coming soon:"),
        _("• Scenarios, security modes and heating from buttons"),
        _("• A live frame from any camera on demand"),
        "",
    ]
    if in_group:
        lines.append(
            _(
                "Each member links their own Netatmo account in a private chat with me, "
                "then sends /subscribe here."
            )
        )
    else:
        lines.append(_("First, link your Netatmo account. It takes a minute and you can unlink at any time."))
    return "\n".join(lines)


def help_text(_: Translate) -> str:
    return "\n".join(
        [
            _("<b>What I can do</b>"),
            _("/link – link your Netatmo account (private chat)"),
            _("/status – your homes at a glance"),
            _("/homes – your linked homes"),
            _("/subscribe, /unsubscribe – alerts in this chat (works in groups)"),
            _("/settings – which alerts, quiet hours; /mute – pause alerts"),
            _("/unlink – remove your Netatmo link"),
            "",
            _("Every command works without arguments: I answer with buttons."),
            "",
            _("Coming soon:"),
            _("/cameras – cameras, monitoring and snapshots; /live – a live frame"),
            _("/scenarios – scenarios and security modes"),
            _("/heating – setpoints and heating modes"),
            _("/events – recent events"),
            _("/log – who did what"),
        ]
    )


@command
async def start(sender: Sender, context: Context) -> None:
    user, message, _ = sender
    chat = sender.chat
    in_group = chat.type != ChatType.PRIVATE
    keyboard = None
    if not in_group:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Link Netatmo account"), callback_data=LINK_BUTTON_DATA)]]
        )
    await message.reply_text(welcome_text(_, user.first_name, in_group), reply_markup=keyboard)


async def help_command(update: Update, context: Context) -> None:
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(help_text(tr(update)), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
