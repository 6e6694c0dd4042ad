"""The demo's web chat page and its JSON API, with the real PTB bot answering behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from standins.telegram_emulator import BotApiEmulator, run_playground

AppFactory = Callable[..., Any]
RunApp = Callable[..., AbstractAsyncContextManager[Any]]


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Refresh", callback_data="refresh")],
            [InlineKeyboardButton("Web", url="http://x.test")],
        ]
    )
    await update.effective_message.reply_text(
        "All quiet at <i>home</i>", parse_mode="HTML", reply_markup=keyboard
    )


async def refresh(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("Refreshed")
    await update.callback_query.edit_message_text("Still quiet")


async def test_page_and_json_api(emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp) -> None:
    cast = emulator.seed_demo()
    app = app_factory(emulator)
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CallbackQueryHandler(refresh))
    base = emulator.base_url
    async with run_app(app), aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as response:
            page = await response.text()
            assert (
                response.status == 200 and "/_playground/static/chat.js" in page and "cdn" not in page.lower()
            )
        async with http.get(f"{base}/_playground/static/chat.js") as response:
            assert response.status == 200 and "textContent" in await response.text()
        async with http.get(f"{base}/_playground/api/state") as response:
            world = await response.json()
        titles = {c["title"]: c for c in world["chats"]}
        assert set(titles) == {"Alice", "Bob", "Family"}
        assert titles["Family"]["members"] == sorted([cast.alice.id, cast.bob.id])

        send = {"user_id": cast.alice.id, "chat_id": cast.family.id, "text": "/status"}
        async with http.post(f"{base}/_playground/api/send", json=send) as response:
            assert response.status == 200
            assert (await response.json())["message"]["text"] == "/status@netatmo_test_bot"

        async def bot_messages() -> list[dict[str, Any]]:
            async with http.get(f"{base}/_playground/api/chats/{cast.family.id}/messages") as response:
                return [m for m in (await response.json())["messages"] if m["from_bot"]]

        for _ in range(100):
            if mine := await bot_messages():
                break
            await asyncio.sleep(0.05)
        reply = mine[0]
        assert reply["text"] == "All quiet at home"
        assert reply["entities"] == [{"type": "italic", "offset": 13, "length": 4}]
        assert reply["buttons"] == [
            [{"text": "Refresh", "callback_data": "refresh"}],
            [{"text": "Web", "url": "http://x.test"}],
        ]

        press = {
            "user_id": cast.bob.id,
            "chat_id": cast.family.id,
            "message_id": reply["message_id"],
            "callback_data": "refresh",
        }
        async with http.post(f"{base}/_playground/api/press", json=press) as response:
            query_id = (await response.json())["query_id"]
        await emulator.wait_for_callback_answer(query_id)
        await emulator.wait_for_edit(emulator.messages(cast.family)[0])
        async with http.get(f"{base}/_playground/api/chats/{cast.family.id}/messages") as response:
            data = await response.json()
        edited = next(m for m in data["messages"] if m["from_bot"])
        assert edited["text"] == "Still quiet" and edited["edits"] == 1 and edited["buttons"] == []
        assert data["answers"] == [
            {
                "query_id": query_id,
                "text": "Refreshed",
                "show_alert": False,
                "message_id": reply["message_id"],
            }
        ]

        bad = {"user_id": 1, "chat_id": cast.family.id, "text": "hi"}
        async with http.post(f"{base}/_playground/api/send", json=bad) as response:
            assert response.status == 400 and (await response.json())["error"] == "unknown user_id"


async def test_run_playground_serves_until_stopped() -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_playground("127.0.0.1", 0, stop=stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 5)
