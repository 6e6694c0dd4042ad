"""Webhook mode: the emulator POSTs updates with the secret header to a route like the bot's own."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from aiohttp import web
from telegram import Update
from telegram.error import Conflict
from telegram.ext import CommandHandler, ContextTypes

from standins.telegram_emulator import BotApiEmulator

AppFactory = Callable[..., Any]
RunApp = Callable[..., AbstractAsyncContextManager[Any]]
SECRET = "expected-secret_1"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("hello via webhook")


class Receiver:
    """A small aiohttp app doing what the bot's /telegram/webhook route does."""

    def __init__(self) -> None:
        self.app: Any = None
        self.rejected = 0

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(header, SECRET):
            self.rejected += 1
            return web.Response(status=403)
        await self.app.update_queue.put(Update.de_json(await request.json(), self.app.bot))
        return web.Response()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/telegram/webhook", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield target, f"http://127.0.0.1:{port}/telegram/webhook"
    await runner.cleanup()


async def test_webhook_delivers_with_secret_and_reports_a_rejected_one(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    alice = emulator.add_user("Alice")
    chat = emulator.private_chat(alice)
    app = app_factory(emulator, updater=False)
    app.add_handler(CommandHandler("start", start))
    target.app = app
    async with run_app(app, poll=False):
        await app.bot.set_webhook(url, secret_token="wrong-secret")
        await emulator.send_message(alice, chat, "/start")
        await emulator.wait_for(lambda: target.rejected or None, what="a rejected delivery")
        info = await app.bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 1
        assert info.last_error_message is not None and "403" in info.last_error_message
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await app.bot.get_updates()

        await app.bot.set_webhook(url, secret_token=SECRET)  # the retried update now gets through
        reply = await emulator.wait_for_message(chat)
        info = await app.bot.get_webhook_info()
        await app.bot.delete_webhook()
        assert await app.bot.get_updates() == ()
    assert reply.text == "hello via webhook"
    assert info.pending_update_count == 0
    deliveries = emulator.webhook_deliveries
    assert deliveries[0].secret_token == "wrong-secret" and deliveries[0].status == 403
    assert deliveries[-1].secret_token == SECRET and deliveries[-1].status == 200


async def test_webhook_url_must_be_loopback(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    from telegram.error import BadRequest

    async with run_app(app_factory(emulator, updater=False), poll=False) as app:
        with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
            await app.bot.set_webhook("https://bot.example.org/telegram/webhook")
