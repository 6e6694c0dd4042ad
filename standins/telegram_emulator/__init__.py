"""Local Telegram Bot API emulator and web chat page, for the offline demo and end-to-end tests.

``BotApiEmulator`` speaks enough of the Bot API for python-telegram-bot to run unchanged against it, and
offers tests a Python API to act as users and await what the bot did. See README.md in this folder.
"""

from __future__ import annotations

from .demo import run_playground, start_playground
from .emulator import BotApiEmulator, DemoCast
from .server import RequestRecord
from .state import CallbackQuery, Chat, MessageEdit, SentMessage, StoredFile, User, WebhookDelivery

__all__ = [
    "BotApiEmulator",
    "CallbackQuery",
    "Chat",
    "DemoCast",
    "MessageEdit",
    "RequestRecord",
    "SentMessage",
    "StoredFile",
    "User",
    "WebhookDelivery",
    "run_playground",
    "start_playground",
]
