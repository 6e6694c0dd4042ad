"""Errors as PTB sees them: 429 with retry_after, 5xx, 403 blocked/kicked, group migration, hangs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, ChatMemberHandler, ContextTypes, MessageHandler, filters

from standins.telegram_emulator import BotApiEmulator

AppFactory = Callable[..., Any]
RunApp = Callable[..., AbstractAsyncContextManager[Any]]


async def test_429_retry_after_is_honoured_by_aio_rate_limiter(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    alice = emulator.add_user("Alice")
    chat = emulator.private_chat(alice)
    app = app_factory(emulator, rate_limiter=AIORateLimiter(max_retries=2))
    emulator.fail_next("sendMessage", 429, retry_after=1)
    async with run_app(app, poll=False):
        message = await app.bot.send_message(chat.id, "after a pause")
    calls = emulator.calls("sendMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0
    assert message.text == "after a pause" == emulator.messages(chat)[0].text


async def test_429_without_rate_limiter_raises_retry_after(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    emulator.fail_next("sendmessage", 429, retry_after=7)
    async with run_app(app_factory(emulator), poll=False) as app:
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(chat.id, "x")
    assert caught.value.retry_after == timedelta(seconds=7)


async def test_server_errors_then_recovery(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    emulator.fail_next("sendMessage", 502)
    emulator.fail_next("sendMessage", 500, description="Internal Server Error: restart")
    async with run_app(app_factory(emulator), poll=False) as app:
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await app.bot.send_message(chat.id, "x")
        with pytest.raises(NetworkError, match=r"(?i)restart"):
            await app.bot.send_message(chat.id, "x")
        await app.bot.send_message(chat.id, "third time lucky")
    assert [c.status for c in emulator.calls("sendMessage")] == [502, 500, 200]
    assert [m.text for m in emulator.messages(chat)] == ["third time lucky"]


async def test_blocked_user_and_kicked_group(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    alice, bob = emulator.add_user("Alice"), emulator.add_user("Bob")
    chat = emulator.private_chat(alice)
    family = emulator.add_group("Family", [alice, bob])
    statuses: list[tuple[int, str]] = []

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        statuses.append((update.my_chat_member.chat.id, update.my_chat_member.new_chat_member.status))

    app = app_factory(emulator)
    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    async with run_app(app):
        emulator.block_bot(alice)
        emulator.kick_bot(family)
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await app.bot.send_message(chat.id, "x")
        with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
            await app.bot.send_message(family.id, "x")
        await emulator.wait_for(lambda: len(statuses) == 2 or None, what="two my_chat_member updates")
        # writing to the bot again unblocks it, like pressing "Restart" in Telegram
        await emulator.send_message(alice, chat, "/start")
        await app.bot.send_message(chat.id, "welcome back")
    assert statuses[:2] == [(alice.id, "kicked"), (family.id, "kicked")]
    assert emulator.messages(chat)[-1].text == "welcome back"


async def test_group_migration(emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp) -> None:
    alice = emulator.add_user("Alice")
    family = emulator.add_group("Family", [alice])
    migrations: list[int] = []

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        if update.effective_message.migrate_to_chat_id:
            migrations.append(update.effective_message.migrate_to_chat_id)

    app = app_factory(emulator)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    async with run_app(app):
        new_id = emulator.migrate_chat(family)
        with pytest.raises(ChatMigrated) as caught:
            await app.bot.send_message(family.id, "x")
        await app.bot.send_message(new_id, "hello supergroup")
        await emulator.wait_for(lambda: migrations or None, what="the migration service message")
    assert caught.value.new_chat_id == new_id
    assert str(new_id).startswith("-100")
    assert migrations == [new_id]
    assert emulator.messages(new_id)[0].text == "hello supergroup"


async def test_hang_next_makes_the_client_time_out(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    emulator.hang_next("sendMessage", 1.0)
    async with run_app(app_factory(emulator), poll=False) as app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(chat.id, "slow", read_timeout=0.2)
        # the hung handler still completes on the server
        await emulator.wait_for(lambda: emulator.messages(chat) or None, timeout=5)
    assert [m.text for m in emulator.messages(chat)] == ["slow"]


async def test_telegram_error_texts(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    async with run_app(app_factory(emulator), poll=False) as app:
        sent = await app.bot.send_message(chat.id, "same")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text("same", chat_id=chat.id, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await app.bot.send_message(chat.id, "<b>unclosed", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/HTTP URL specified"):
            await app.bot.send_photo(chat.id, "https://example.org/cat.jpg")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(999, "x")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await app.bot.answer_callback_query("12345")
        await app.bot.delete_message(chat.id, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await app.bot.delete_message(chat.id, sent.message_id)
    assert emulator.messages(chat) == [] and emulator.messages(chat, include_deleted=True)[0].deleted
