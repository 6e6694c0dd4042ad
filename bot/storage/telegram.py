"""Repository functions for Telegram users and chats."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import TelegramChat, TelegramUser
from bot.storage.upsert import upsert


async def save_user(
    session: AsyncSession, user_id: int, first_name: str, username: str | None, language_code: str | None
) -> None:
    """Record a Telegram user, refreshing the name and language they now use."""
    await upsert(
        session,
        TelegramUser,
        {"id": user_id, "first_name": first_name, "username": username, "language_code": language_code},
        keys=["id"],
        update=["first_name", "username", "language_code"],
    )


async def save_chat(session: AsyncSession, chat_id: int, chat_type: str, title: str | None) -> None:
    """Record a chat the bot talks in."""
    await upsert(
        session,
        TelegramChat,
        {"id": chat_id, "type": chat_type, "title": title},
        keys=["id"],
        update=["type", "title"],
    )
