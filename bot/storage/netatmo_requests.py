"""The Netatmo requests of every replica, counted per account: the shared request budget's table.

Taking a slot is serialised per account by a transaction-scoped advisory lock, and time is the database's
clock, so replicas whose clocks disagree still count the same windows. PostgreSQL only (SQLite means one
process, which counts its requests in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import NetatmoRequest


async def take_slot(
    session: AsyncSession, key: str, windows: Sequence[tuple[int, float]], keep: float
) -> float:
    """Record one request of `key` if every (limit, seconds) window has room, and forget requests older
    than `keep` seconds; else how many seconds until every window has room (nothing recorded)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"netatmo-budget:{key}"))))
    now = await session.scalar(select(func.clock_timestamp()))
    assert now is not None
    wait = 0.0
    for limit, span in windows:
        # The limit-th newest request inside the window: once it leaves, the window has room.
        oldest_counted = await session.scalar(
            select(NetatmoRequest.at)
            .where(NetatmoRequest.account_key == key, NetatmoRequest.at > now - timedelta(seconds=span))
            .order_by(NetatmoRequest.at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        if oldest_counted is not None:
            wait = max(wait, (oldest_counted + timedelta(seconds=span) - now).total_seconds())
    if wait > 0:
        return wait
    await session.execute(insert(NetatmoRequest).values(account_key=key, at=now))
    await session.execute(
        delete(NetatmoRequest).where(
            NetatmoRequest.account_key == key, NetatmoRequest.at <= now - timedelta(seconds=keep)
        )
    )
    return 0.0


async def count_recent(session: AsyncSession, key: str, span: float) -> int:
    """How many requests `key` made in the last `span` seconds, all replicas together."""
    counted = await session.scalar(
        select(func.count())
        .select_from(NetatmoRequest)
        .where(
            NetatmoRequest.account_key == key,
            NetatmoRequest.at > func.clock_timestamp() - timedelta(seconds=span),
        )
    )
    return int(counted or 0)
