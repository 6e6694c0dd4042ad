"""The command menu, as set with setMyCommands: every command works from it with no argument."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import Translate

# (command, description) in menu order. Descriptions are translated per language when the menu is set.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Welcome and first steps"),
    ("help", "What I can do"),
    ("link", "Link your Netatmo account"),
    ("unlink", "Unlink your Netatmo account"),
    ("status", "Your homes at a glance"),
    ("homes", "Your linked homes"),
    ("heating", "Heating: setpoints and modes"),
    ("scenarios", "Scenarios and security modes"),
    ("cameras", "Cameras: monitoring and snapshots"),
    ("live", "A live frame from a camera"),
    ("events", "Recent events"),
    ("subscribe", "Send a home's alerts to this chat"),
    ("unsubscribe", "Stop a home's alerts in this chat"),
    ("settings", "Alert filters and quiet hours"),
    ("mute", "Mute alerts for a while"),
    ("log", "Who did what"),
)


def bot_commands(_: Translate) -> list[BotCommand]:
    return [BotCommand(command, _(description)) for command, description in COMMANDS]
