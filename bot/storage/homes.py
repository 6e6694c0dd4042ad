"""Homes as the bot knows them: their devices, the people in their events, and who is a member."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.permissions import Membership
from bot.storage.models import Event, Home, HomeDevice, HomeMember
from bot.storage.upsert import upsert


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


async def member_homes(session: AsyncSession, user_id: int) -> list[Home]:
    """Every home the user is a member of (own link or invited), in a stable order (name, id)."""
    return [home for home, _role in await member_homes_with_roles(session, user_id)]


async def member_homes_with_roles(session: AsyncSession, user_id: int) -> list[tuple[Home, str]]:
    """`member_homes` with the user's role in each."""
    rows = await session.execute(
        select(Home, HomeMember.role)
        .join(HomeMember, HomeMember.home_id == Home.id)
        .where(HomeMember.telegram_user_id == user_id)
        .order_by(Home.name, Home.id)
    )
    return [(home, role) for home, role in rows]


async def link_home_ids(session: AsyncSession, link_id: int) -> list[str]:
    """The homes a link gives access to."""
    return list(await session.scalars(select(HomeMember.home_id).where(HomeMember.link_id == link_id)))


async def link_home_names(session: AsyncSession, link_id: int) -> list[str]:
    """The names of the homes a link gives access to, by name (what unlinking would take away)."""
    rows = await session.scalars(
        select(Home.name)
        .join(HomeMember, HomeMember.home_id == Home.id)
        .where(HomeMember.link_id == link_id)
        .order_by(Home.name)
    )
    return list(rows)


async def get_home(session: AsyncSession, home_id: str) -> Home | None:
    return await session.get(Home, home_id)


async def save_home(session: AsyncSession, home_id: str, name: str, timezone: str) -> None:
    """Record a home as its link sees it now (name and time zone may have changed in the app)."""
    await upsert(
        session,
        Home,
        {"id": home_id, "name": name, "timezone": timezone},
        keys=["id"],
        update=["name", "timezone"],
    )


async def save_device(
    session: AsyncSession, home_id: str, device_id: str, device_type: str, name: str, bridge: str | None
) -> None:
    """Record a device of a home; its reachability bookkeeping is left as it was."""
    await upsert(
        session,
        HomeDevice,
        {"home_id": home_id, "device_id": device_id, "type": device_type, "name": name, "bridge": bridge},
        keys=["home_id", "device_id"],
        update=["type", "name", "bridge"],
    )


async def save_member(
    session: AsyncSession, home_id: str, user_id: int, role: str, link_id: int | None
) -> None:
    """Give the user a role in the home (replacing the one they had)."""
    await upsert(
        session,
        HomeMember,
        {"home_id": home_id, "telegram_user_id": user_id, "role": role, "link_id": link_id},
        keys=["home_id", "telegram_user_id"],
        update=["role", "link_id"],
    )


async def lost_link_homes(
    session: AsyncSession, user_id: int, link_id: int, kept: Sequence[str]
) -> list[str]:
    """The homes the user's link gave them that are not among `kept` (the homes it sees now)."""
    rows = await session.scalars(
        select(HomeMember.home_id).where(
            HomeMember.telegram_user_id == user_id,
            HomeMember.link_id == link_id,
            HomeMember.home_id.not_in(list(kept)),
        )
    )
    return list(rows)


async def remove_members(session: AsyncSession, user_id: int, home_ids: Sequence[str]) -> None:
    """Take the user out of these homes."""
    await session.execute(
        delete(HomeMember).where(
            HomeMember.telegram_user_id == user_id, HomeMember.home_id.in_(list(home_ids))
        )
    )


async def remove_link_members(session: AsyncSession, link_id: int) -> None:
    """Take away every access the link gave (the link is going)."""
    await session.execute(delete(HomeMember).where(HomeMember.link_id == link_id))


async def devices_of_homes(session: AsyncSession, home_ids: Sequence[str]) -> list[HomeDevice]:
    """The devices of several homes at once (a listing of the user's homes)."""
    return list(await session.scalars(select(HomeDevice).where(HomeDevice.home_id.in_(list(home_ids)))))


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
