"""Repository functions for Telegram users and chats."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import TelegramChat, TelegramUser
from bot.storage.upsert import insert_ignore, upsert


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


async def save_private_chat(session: AsyncSession, user_id: int) -> None:
    """Make sure the user's private chat exists (its id is the user's), leaving a known one as it is."""
    await insert_ignore(session, TelegramChat, {"id": user_id, "type": "private", "title": None}, keys=["id"])


async def get_user(session: AsyncSession, user_id: int) -> TelegramUser | None:
    return await session.get(TelegramUser, user_id)


async def user_language(session: AsyncSession, user_id: int) -> str | None:
    """The language the user's Telegram app uses, None when unknown."""
    code = await session.scalar(select(TelegramUser.language_code).where(TelegramUser.id == user_id))
    return str(code) if code else None
