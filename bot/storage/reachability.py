"""The reachability state of a home's security devices (`home_devices`), as the offline rules read it.

The rules themselves (`bot.alerts.reachability`) change the rows they get here inside the caller's
transaction; the offline alert is claimed with a compare-and-set, so that two replicas ticking at once
alert once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import HomeDevice


async def devices(session: AsyncSession, home_id: str, device_ids: Iterable[str]) -> dict[str, HomeDevice]:
    """The home's devices among `device_ids` (others are no security device of a linked home)."""
    rows = await session.scalars(
        select(HomeDevice).where(HomeDevice.home_id == home_id, HomeDevice.device_id.in_(list(device_ids)))
    )
    return {row.device_id: row for row in rows}


async def overdue(
    session: AsyncSession, cutoff: datetime, home_ids: Iterable[str] | None = None
) -> list[HomeDevice]:
    """Devices unreachable since `cutoff` or earlier whose offline alert has not gone out."""
    query = select(HomeDevice).where(
        HomeDevice.reachable.is_(False),
        HomeDevice.offline_alerted.is_(False),
        HomeDevice.unreachable_since <= cutoff,
    )
    if home_ids is not None:
        query = query.where(HomeDevice.home_id.in_(list(home_ids)))
    return list(await session.scalars(query))


async def claim_offline_alert(session: AsyncSession, device: HomeDevice) -> bool:
    """Mark the device's offline alert as sent; False when another writer did it first."""
    claimed = await session.execute(
        update(HomeDevice)
        .where(
            HomeDevice.home_id == device.home_id,
            HomeDevice.device_id == device.device_id,
            HomeDevice.offline_alerted.is_(False),
            HomeDevice.reachable.is_(False),
        )
        .values(offline_alerted=True)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
