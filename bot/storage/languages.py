"""Which language a chat's alerts speak (asked by the renderer of alerts when intake did not say)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Subscription, TelegramUser


async def chat_language(session: AsyncSession, chat_id: int) -> str | None:
    """A private chat speaks its user's language; a group the language of whoever subscribed it."""
    user = await session.get(TelegramUser, chat_id)
    if user is not None:
        return user.language_code
    creator = await session.execute(
        select(TelegramUser.language_code)
        .join(Subscription, Subscription.created_by == TelegramUser.id)
        .where(Subscription.chat_id == chat_id)
        .limit(1)
    )
    return creator.scalar_one_or_none()
