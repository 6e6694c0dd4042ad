"""Mutes: a chat's pause of one camera's or one home's alerts until a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Mute


async def add_mute(
    session: AsyncSession,
    chat_id: int,
    home_id: str,
    device_id: str | None,
    until: datetime,
    created_by: int | None,
) -> Mute:
    """Mute a camera (or the whole home) in a chat until `until`; replaces a mute of the same target."""
    await session.execute(
        delete(Mute).where(
            Mute.chat_id == chat_id,
            Mute.home_id == home_id,
            Mute.device_id.is_(None) if device_id is None else Mute.device_id == device_id,
        )
    )
    mute = Mute(chat_id=chat_id, home_id=home_id, device_id=device_id, until=until, created_by=created_by)
    session.add(mute)
    await session.flush()
    return mute


async def live_mutes(
    session: AsyncSession, chat_id: int, now: datetime, home_id: str | None = None
) -> list[Mute]:
    """The chat's mutes that still run at `now`, soonest ending first."""
    query = select(Mute).where(Mute.chat_id == chat_id, Mute.until > now)
    if home_id is not None:
        query = query.where(Mute.home_id == home_id)
    return list(await session.scalars(query.order_by(Mute.until, Mute.id)))


async def clear_mutes(
    session: AsyncSession, chat_id: int, *, home_id: str | None = None, mute_id: int | None = None
) -> int:
    """Remove the chat's mutes (one, one home's, or all); returns how many were removed."""
    query = delete(Mute).where(Mute.chat_id == chat_id)
    if home_id is not None:
        query = query.where(Mute.home_id == home_id)
    if mute_id is not None:
        query = query.where(Mute.id == mute_id)
    result = await session.execute(query)
    return int(result.rowcount)  # type: ignore[attr-defined]
