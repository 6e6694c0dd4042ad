"""The last-resort handlers: unknown commands, stale or forged buttons, and a handler that fails (the user
hears that something went wrong, and never sees a traceback)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.app import BotRuntime
from bot.chat import start
from bot.chat.common import Context


async def _boom(update: Update, context: Context) -> None:
    raise RuntimeError("database exploded at /secret/path")


def _register_failing(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("boom", _boom))
    application.add_handler(CallbackQueryHandler(_boom, pattern="^boom:"))


async def test_a_failing_handler_answers_politely_and_logs_the_error(
    emulator: Any, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = BotRuntime(make_settings(emulator), features=(start.register, _register_failing))
    await runtime.start()
    try:
        anna = emulator.add_user("Anna")
        with caplog.at_level(logging.ERROR):
            await emulator.send_message(anna, None, "/boom")
            reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
        assert "Something went wrong" in reply.text and "try again" in reply.text
        assert "exploded" not in reply.text and "Traceback" not in reply.text
        assert any("handler_error" in r.getMessage() for r in caplog.records)

        await emulator.send_message(anna, None, "/start")
        welcome = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
        query_id = await emulator.press_button(anna, welcome, "boom:now")
        answer = await emulator.wait_for_callback_answer(query_id, timeout=10)
        assert answer.show_alert and "Something went wrong" in (answer.text or "")
    finally:
        await runtime.stop()


async def test_unknown_command_gets_a_helpful_answer(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/frobnicate now")
    reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    assert "I don't know /frobnicate" in reply.text and "/help" in reply.text


async def test_forged_button_is_answered_not_ignored(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/help")
    message = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    query_id = await emulator.press_button(anna, message, "nobody:knows:this")
    answer = await emulator.wait_for_callback_answer(query_id, timeout=10)
    assert answer.answered and answer.show_alert
    assert "expired" in (answer.text or "")
