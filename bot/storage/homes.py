"""Homes as the bot knows them: their devices, the people in their events, and who is a member."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.permissions import Membership
from bot.storage.models import Event, Home, HomeDevice, HomeMember


async def membership(session: AsyncSession, home_id: str, user_id: int) -> Membership | None:
    """The user's role and link in a home, or None when they are not a member."""
    row = await session.get(HomeMember, (home_id, user_id))
    return Membership(row.role, row.link_id) if row is not None else None


async def linked_homes(session: AsyncSession, user_id: int) -> list[Home]:
    """Homes the user reaches through their own Netatmo link, by name."""
    rows = await session.scalars(
        select(Home)
        .join(HomeMember, HomeMember.home_id == Home.id)
        .where(HomeMember.telegram_user_id == user_id, HomeMember.link_id.is_not(None))
        .order_by(Home.name, Home.id)
    )
    return list(rows)


async def get_home(session: AsyncSession, home_id: str) -> Home | None:
    return await session.get(Home, home_id)


async def home_devices(
    session: AsyncSession, home_id: str, types: Sequence[str] | None = None
) -> list[HomeDevice]:
    """The home's devices (optionally only some types), in a stable order for index-based buttons."""
    query = select(HomeDevice).where(HomeDevice.home_id == home_id)
    if types is not None:
        query = query.where(HomeDevice.type.in_(list(types)))
    return list(await session.scalars(query.order_by(HomeDevice.name, HomeDevice.device_id)))


async def device_name(session: AsyncSession, home_id: str, device_id: str | None) -> str | None:
    if device_id is None:
        return None
    device = await session.get(HomeDevice, (home_id, device_id))
    return device.name if device is not None and device.name else None


async def known_persons(session: AsyncSession, home_id: str, limit: int = 500) -> dict[str, str]:
    """Known people of a home as seen in its stored events: person id → latest name."""
    rows = await session.execute(
        select(Event.person_id, Event.data)
        .where(Event.home_id == home_id, Event.person_id.is_not(None))
        .order_by(Event.time.desc())
        .limit(limit)
    )
    found: dict[str, str] = {}
    for person_id, data in rows:
        if person_id is None or person_id in found:
            continue
        name = data.get("person_name") if isinstance(data, dict) else None
        known = data.get("person_known") if isinstance(data, dict) else None
        if name and known is not False:
            found[person_id] = str(name)
    return found
