"""The audit log: who did, or was refused, what, from which chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEntry


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
