"""Which Netatmo links have our webhook registered: the registration loop's reads and writes.

`webhook_registered_at` is set when Netatmo accepted the webhook for a link (by the gateway) and cleared
when Netatmo says it dropped it, so that the loop registers again and the poller stops trusting the
webhook meanwhile.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import LinkState, NetatmoLink

Sessions = async_sessionmaker[AsyncSession]


async def links_to_register(sessions: Sessions, *, all_active: bool) -> list[int]:
    """Active links without a registered webhook (every active link when `all_active`), by id."""
    query = select(NetatmoLink.id).where(NetatmoLink.state == LinkState.ACTIVE)
    if not all_active:
        query = query.where(NetatmoLink.webhook_registered_at.is_(None))
    async with sessions() as session:
        return list(await session.scalars(query.order_by(NetatmoLink.id)))


async def forget_registrations(sessions: Sessions, netatmo_user_id: str | None) -> list[int]:
    """Netatmo dropped the webhook of this user (of every active link when unknown); returns the links."""
    async with sessions.begin() as session:
        query = select(NetatmoLink.id).where(NetatmoLink.state == LinkState.ACTIVE)
        if netatmo_user_id:
            query = query.where(NetatmoLink.netatmo_user_id == netatmo_user_id)
        link_ids = list(await session.scalars(query))
        if link_ids:
            await session.execute(
                update(NetatmoLink)
                .where(NetatmoLink.id.in_(link_ids))
                .values(webhook_registered_at=None)
                .execution_options(synchronize_session=False)
            )
    return link_ids


async def registered_count(sessions: Sessions) -> int:
    """Active links with a registered webhook (health)."""
    async with sessions() as session:
        found = await session.scalar(
            select(func.count(NetatmoLink.id)).where(
                NetatmoLink.state == LinkState.ACTIVE, NetatmoLink.webhook_registered_at.is_not(None)
            )
        )
    return int(found or 0)
