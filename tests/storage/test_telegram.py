"""Telegram users and chats: recorded as they talk, with the language their app uses."""

from __future__ import annotations

from typing import Any

from bot.storage import telegram
from bot.storage.models import TelegramChat


async def test_users_are_saved_and_refreshed(seeded: Any) -> None:
    async with seeded.sessions.begin() as session:
        await telegram.save_user(session, 30, "Cleo", None, None)
        assert await telegram.user_language(session, 30) is None
        await telegram.save_user(session, 30, "Cléo", "cleo", "fr")
    async with seeded.sessions() as session:
        user = await telegram.get_user(session, 30)
        assert user is not None and (user.first_name, user.username) == ("Cléo", "cleo")
        assert await telegram.user_language(session, 30) == "fr"
        assert await telegram.get_user(session, 99) is None
        assert await telegram.user_language(session, 99) is None


async def test_a_private_chat_is_added_once_and_a_known_chat_kept(seeded: Any) -> None:
    async with seeded.sessions.begin() as session:
        await telegram.save_chat(session, -100, "supergroup", "Family & friends")
        await telegram.save_private_chat(session, 20)
        await telegram.save_private_chat(session, -100)  # known: left as it is
    async with seeded.sessions() as session:
        bob = await session.get(TelegramChat, 20)
        group = await session.get(TelegramChat, -100)
    assert bob is not None and (bob.type, bob.title) == ("private", None)
    assert group is not None and (group.type, group.title) == ("supergroup", "Family & friends")
