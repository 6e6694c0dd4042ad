"""What the first send of an alert needs to know, read by intake in the batch queries it makes anyway.

Intake reads each home (name, time zone, devices, the link that sees it) in the transaction that stores
the events. Without hints the delivery worker reads the same rows again, one query per cold cache (home,
device name, chat language, link) for the first alert of every home, all of it between the webhook and
the photo. So intake hands the facts over with the rows it gives the local worker in memory, and the
worker primes its caches with them (`AlertSender.prime`). Rows claimed from the database carry no hints
and are looked up as before; a rename shows within the caches' time to live either way.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Subscription, TelegramUser


@dataclass(frozen=True)
class AlertHints:
    home_name: str
    timezone: str
    device_name: str | None  # the reporting module's name, else its device's (as `load_alert_names`)
    link_id: int | None  # the link to fetch the home's pictures with
    language: str | None  # the chat's language (as `bot.watcher.sending.chat_language`)


async def chat_languages(session: AsyncSession, chat_ids: Collection[int]) -> dict[int, str | None]:
    """`chat_language` for many chats in one or two queries: a private chat speaks its user's language, a
    group the language of whoever subscribed it."""
    wanted = sorted(set(chat_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(TelegramUser.id, TelegramUser.language_code).where(TelegramUser.id.in_(wanted))
    )
    languages: dict[int, str | None] = {int(user_id): language for user_id, language in rows}
    groups = [chat_id for chat_id in wanted if chat_id not in languages]
    if groups:
        creators = await session.execute(
            select(Subscription.chat_id, TelegramUser.language_code)
            .join(TelegramUser, TelegramUser.id == Subscription.created_by)
            .where(Subscription.chat_id.in_(groups))
        )
        for chat_id, language in creators:
            languages.setdefault(int(chat_id), language)
    return {chat_id: languages.get(chat_id) for chat_id in wanted}
