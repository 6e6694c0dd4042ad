"""Webhook mode: Telegram pushes updates to /telegram/webhook, which checks the secret header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

StartBot = Callable[..., Awaitable[Any]]  # the `start_bot` fixture


async def test_webhook_mode_answers_updates_pushed_with_the_secret(
    emulator: Any, start_bot: StartBot
) -> None:
    runtime = await start_bot(emulator, telegram_webhook_url="http://127.0.0.1:0/telegram/webhook")
    # The configured URL names the port the runtime really bound.
    webhook_url = f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"
    await runtime.application.bot.set_webhook(
        webhook_url, secret_token=runtime.settings.effective_webhook_secret
    )
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/help")
    reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    assert "/link" in reply.text
    assert emulator.webhook_deliveries[-1].status == 200
    assert runtime.services.health.telegram_mode == "webhook"


async def test_webhook_with_a_wrong_or_missing_secret_is_refused(emulator: Any, start_bot: StartBot) -> None:
    runtime = await start_bot(emulator, telegram_webhook_url="http://127.0.0.1:0/telegram/webhook")
    url = f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": 5, "type": "private", "first_name": "Eve"},
            "from": {"id": 5, "is_bot": False, "first_name": "Eve"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with aiohttp.ClientSession(trust_env=False) as http:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        # Through the emulator too: a webhook set with another secret is rejected and recorded.
    await runtime.application.bot.set_webhook(url, secret_token="not-the-right-one")
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/help")
    await emulator.wait_for(
        lambda: next((d for d in emulator.webhook_deliveries if d.status == 403), None), timeout=10
    )
    assert emulator.messages(emulator.private_chat(anna)) == []


async def test_malformed_update_is_acknowledged_and_dropped(emulator: Any, start_bot: StartBot) -> None:
    runtime = await start_bot(emulator, telegram_webhook_url="http://127.0.0.1:0/telegram/webhook")
    url = f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": runtime.settings.effective_webhook_secret}
    async with aiohttp.ClientSession(trust_env=False) as http:
        async with http.post(url, data=b"{not json", headers=headers) as response:
            assert response.status == 200
