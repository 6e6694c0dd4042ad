"""The audit log: who did, or was refused, what, from which chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audit_text import LogEntry
from bot.storage.models import AuditEntry, TelegramChat, TelegramUser


async def record_audit(
    session: AsyncSession,
    *,
    user_id: int | None,
    chat_id: int | None,
    home_id: str | None,
    action: str,
    outcome: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row: who did (or was refused) what, from which chat."""
    session.add(
        AuditEntry(
            telegram_user_id=user_id,
            chat_id=chat_id,
            home_id=home_id,
            action=action,
            outcome=outcome,
            detail=detail or {},
        )
    )
    await session.flush()


async def home_log(session: AsyncSession, home_id: str, *, offset: int, limit: int) -> list[LogEntry]:
    """A page of the home's changes (done or failed; refusals are left out), newest first, with the name
    of who made each and the chat it came from."""
    rows = await session.execute(
        select(AuditEntry, TelegramUser.first_name, TelegramChat.type, TelegramChat.title)
        .outerjoin(TelegramUser, TelegramUser.id == AuditEntry.telegram_user_id)
        .outerjoin(TelegramChat, TelegramChat.id == AuditEntry.chat_id)
        .where(AuditEntry.home_id == home_id, AuditEntry.outcome.in_(("ok", "error")))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        LogEntry(
            at=entry.at,
            who=first_name or str(entry.telegram_user_id or "?"),
            action=entry.action,
            outcome=entry.outcome,
            detail=entry.detail or {},
            chat_type=chat_type,
            chat_title=chat_title,
        )
        for entry, first_name, chat_type, chat_title in rows
    ]


async def people_seen_in_chat(session: AsyncSession, chat_id: int, limit: int = 20) -> list[tuple[int, str]]:
    """People who pressed or commanded something in a chat (from its audit rows), most recent first:
    the bot cannot list a group's members, but it knows who acted there."""
    rows = await session.execute(
        select(AuditEntry.telegram_user_id, TelegramUser.first_name, func.max(AuditEntry.id).label("last"))
        .join(TelegramUser, TelegramUser.id == AuditEntry.telegram_user_id)
        .where(AuditEntry.chat_id == chat_id)
        .group_by(AuditEntry.telegram_user_id, TelegramUser.first_name)
        .order_by(func.max(AuditEntry.id).desc())
        .limit(limit)
    )
    return [(int(user_id), str(name or user_id)) for user_id, name, _last in rows if user_id is not None]
