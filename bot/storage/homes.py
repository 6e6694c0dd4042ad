"""Homes as the bot knows them: their devices, the people in their events, and who is a member."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.permissions import Membership, Role, role_of
from bot.storage.models import Event, Home, HomeDevice, HomeMember, Subscription, TelegramChat, TelegramUser
from bot.storage.upsert import upsert

GROUP_CHAT_TYPES = ("group", "supergroup")


async def membership(session: AsyncSession, home_id: str, user_id: int) -> Membership | None:
    """The user's stored role and link in a home, or None when nothing is stored for them."""
    row = await session.get(HomeMember, (home_id, user_id))
    return Membership(role_of(row.role).value, row.link_id) if row is not None else None


async def membership_in_chat(
    session: AsyncSession, home_id: str, user_id: int, chat_id: int
) -> Membership | None:
    """The user's role in a home as it counts in one chat: the stored role, else MEMBER when the chat is a
    group that receives the home's alerts (whoever is in it belongs to the family), else None."""
    stored = await membership(session, home_id, user_id)
    if stored is not None:
        return stored
    if await group_receives_home(session, chat_id, home_id):
        return Membership(Role.MEMBER.value, None)
    return None


async def group_receives_home(session: AsyncSession, chat_id: int, home_id: str) -> bool:
    """Whether `chat_id` is a group (or supergroup) subscribed to the home's alerts."""
    found = await session.scalar(
        select(Subscription.id)
        .join(TelegramChat, TelegramChat.id == Subscription.chat_id)
        .where(
            Subscription.chat_id == chat_id,
            Subscription.home_id == home_id,
            TelegramChat.type.in_(GROUP_CHAT_TYPES),
        )
    )
    return found is not None


async def visible_in_chat(
    session: AsyncSession, home_id: str, chat_id: int, user_id: int, *, own_private_chat: bool
) -> bool:
    """Whether a home may be shown or acted on in a chat: a group that receives its alerts, or the
    user's own private chat when something is stored for them in the home."""
    if own_private_chat:
        return await session.get(HomeMember, (home_id, user_id)) is not None
    return await group_receives_home(session, chat_id, home_id)


async def homes_in_chat(
    session: AsyncSession, user_id: int, chat_id: int, *, own_private_chat: bool
) -> list[tuple[Home, Membership | None]]:
    """The homes a command may be about in a chat, with the user's role in each there: in their own
    private chat the homes they belong to; in a group the homes whose alerts the group receives."""
    if own_private_chat:
        rows = await session.execute(
            select(Home, HomeMember)
            .join(HomeMember, HomeMember.home_id == Home.id)
            .where(HomeMember.telegram_user_id == user_id)
            .order_by(Home.name, Home.id)
        )
        return [(home, Membership(role_of(row.role).value, row.link_id)) for home, row in rows]
    homes = await session.scalars(
        select(Home)
        .join(Subscription, Subscription.home_id == Home.id)
        .join(TelegramChat, TelegramChat.id == Subscription.chat_id)
        .where(Subscription.chat_id == chat_id, TelegramChat.type.in_(GROUP_CHAT_TYPES))
        .order_by(Home.name, Home.id)
    )
    return [(home, await membership_in_chat(session, home.id, user_id, chat_id)) for home in homes]


async def set_admin(session: AsyncSession, home_id: str, user_id: int, granted_by: int) -> str:
    """Make the user an admin of the home: "promoted", "already" (admin already) or "owner" (an owner
    stays an owner). The user must be a known Telegram user."""
    row = await session.get(HomeMember, (home_id, user_id))
    if row is not None and role_of(row.role) == Role.OWNER:
        return "owner"
    if row is not None and role_of(row.role) == Role.ADMIN:
        return "already"
    await upsert(
        session,
        HomeMember,
        {
            "home_id": home_id,
            "telegram_user_id": user_id,
            "role": Role.ADMIN.value,
            "link_id": None,
            "granted_by": granted_by,
        },
        keys=["home_id", "telegram_user_id"],
        update=["role", "link_id", "granted_by"],
    )
    return "promoted"


async def remove_admin(session: AsyncSession, home_id: str, user_id: int) -> str:
    """Take the admin role away: "removed", "owner" (owners are owners through their link) or "not_admin"."""
    row = await session.get(HomeMember, (home_id, user_id))
    if row is None or role_of(row.role) == Role.MEMBER:
        return "not_admin"
    if role_of(row.role) == Role.OWNER:
        return "owner"
    await session.delete(row)
    await session.flush()
    return "removed"


async def home_people(session: AsyncSession, home_id: str) -> list[tuple[int, str, Role]]:
    """Owners and admins of a home with their first names: (user id, name, role), owners first."""
    rows = await session.execute(
        select(HomeMember.telegram_user_id, TelegramUser.first_name, HomeMember.role)
        .join(TelegramUser, TelegramUser.id == HomeMember.telegram_user_id)
        .where(HomeMember.home_id == home_id)
        .order_by(TelegramUser.first_name, HomeMember.telegram_user_id)
    )
    people = [(int(uid), str(name or uid), role_of(role)) for uid, name, role in rows]
    kept = [person for person in people if person[2] in (Role.OWNER, Role.ADMIN)]
    return sorted(kept, key=lambda person: person[2] != Role.OWNER)


async def managed_homes(session: AsyncSession, user_id: int, roles: Sequence[Role]) -> list[Home]:
    """Homes where the user's stored role is one of `roles`, by name."""
    rows = await session.execute(
        select(Home, HomeMember.role)
        .join(HomeMember, HomeMember.home_id == Home.id)
        .where(HomeMember.telegram_user_id == user_id)
        .order_by(Home.name, Home.id)
    )
    return [home for home, role in rows if role_of(role) in roles]


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
