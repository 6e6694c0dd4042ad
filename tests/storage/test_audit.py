"""The audit log keeps who did, or was refused, what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.storage import audit
from bot.storage.models import AuditEntry


async def test_record_audit_writes_one_row(seeded: Any) -> None:
    async with seeded.sessions.begin() as session:
        await audit.record_audit(
            session,
            user_id=20,
            chat_id=-100,
            home_id=seeded.home,
            action="alert.monitoring",
            outcome="denied",
        )
        await audit.record_audit(
            session,
            user_id=10,
            chat_id=10,
            home_id=None,
            action="link",
            outcome="ok",
            detail={"homes": ["h"]},
        )
    async with seeded.sessions.begin() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    denied, linked = entries
    assert (denied.telegram_user_id, denied.action, denied.outcome) == (20, "alert.monitoring", "denied")
    assert (denied.home_id, denied.detail) == (seeded.home, {})
    assert (linked.home_id, linked.detail) == (None, {"homes": ["h"]})
