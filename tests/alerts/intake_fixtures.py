"""Helpers of the intake tests: a fresh schema with linked homes, chats, subscriptions and devices."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import Kind, SecurityEvent, Severity, SnapshotRef
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import (
    Base,
    Delivery,
    Event,
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)

Sessions = async_sessionmaker[AsyncSession]
HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def seed_home(
    sessions: Sessions,
    home_id: str = HOME,
    *,
    chats: Sequence[int] = (OWNER,),
    owner: int = OWNER,
    link_state: str = "active",
    devices: Sequence[tuple[str, str]] = ((CAMERA, "NACamera"),),
    netatmo_user: str = "netatmo-user-1",
) -> int:
    """A home seen by `owner`'s link, its devices, and an active subscription per chat; returns link id."""
    async with sessions.begin() as session:
        if await session.get(TelegramUser, owner) is None:
            session.add(TelegramUser(id=owner, first_name="Owner", language_code="en"))
        for chat in {owner, *chats}:
            if await session.get(TelegramChat, chat) is None:
                session.add(TelegramChat(id=chat, type="private" if chat > 0 else "group"))
        await session.flush()
        link = await session.scalar(select(NetatmoLink).where(NetatmoLink.telegram_user_id == owner))
        if link is None:
            link = NetatmoLink(
                telegram_user_id=owner,
                netatmo_user_id=netatmo_user,
                access_token_enc=b"x",
                refresh_token_enc=b"x",
                expires_at=datetime.now(UTC) + timedelta(hours=3),
                state=link_state,
            )
            session.add(link)
        session.add(Home(id=home_id, name=f"Home {home_id}", timezone="UTC"))
        await session.flush()
        session.add(HomeMember(home_id=home_id, telegram_user_id=owner, role="owner", link_id=link.id))
        for device_id, device_type in devices:
            session.add(HomeDevice(home_id=home_id, device_id=device_id, type=device_type, name=device_id))
        for chat in chats:
            session.add(Subscription(chat_id=chat, home_id=home_id, active=True))
        link_id: int = link.id
    return link_id


def make_event(
    event_id: str,
    *,
    home_id: str = HOME,
    kind: Kind = Kind.HUMAN,
    subevent_id: str = "",
    time: int = 1_700_000_000,
    device_id: str | None = CAMERA,
    severity: Severity = Severity.ALERT,
    netatmo_type: str = "human",
) -> SecurityEvent:
    return SecurityEvent(
        home_id=home_id,
        event_id=event_id,
        subevent_id=subevent_id,
        kind=kind,
        netatmo_type=netatmo_type,
        time=time,
        device_id=device_id,
        severity=severity,
        snapshot=SnapshotRef(url=f"https://img.invalid/{event_id}"),
    )


async def count(sessions: Sessions, model: type[Event] | type[Delivery]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def delivery_rows(sessions: Sessions) -> list[tuple[str, str, int, bool]]:
    """(event_id, subevent_id, chat_id, silent) of every outbox row, in a stable order."""
    async with sessions() as session:
        rows = await session.execute(
            select(Event.event_id, Event.subevent_id, Delivery.chat_id, Delivery.silent)
            .join(Event, Event.id == Delivery.event_pk)
            .order_by(Event.event_id, Event.subevent_id, Delivery.chat_id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]
