"""What intake reads before storing a batch: the homes an active link sees, and who gets their alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.engine import create_engine, create_session_factory
from bot.storage.intake_reads import read_batch
from bot.storage.models import (
    Base,
    Home,
    HomeDevice,
    HomeMember,
    Mute,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)

Sessions = async_sessionmaker[AsyncSession]
HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001

GROUP = -100300400
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


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


async def test_the_batch_reads_give_homes_routing_zones_and_languages(database_url: str) -> None:
    async with database(database_url) as sessions:
        link_id = await seed_home(sessions, chats=(OWNER, GROUP))
        await seed_home(sessions, "unlinked", owner=OWNER + 1, link_state="revoked", netatmo_user="n2")
        async with sessions.begin() as session:
            await session.execute(update(Home).where(Home.id == HOME).values(timezone="Europe/Paris"))
            session.add(
                Mute(chat_id=GROUP, home_id=HOME, device_id=CAMERA, until=datetime(2100, 1, 1, tzinfo=UTC))
            )
        homes, routing = await read_batch(sessions, [HOME, "unlinked", "unknown"], NOW, deliver=True)
        assert list(homes) == [HOME]  # no active link, no home: its events are skipped
        assert (homes[HOME].timezone, homes[HOME].link_id) == ("Europe/Paris", link_id)
        assert homes[HOME].device_types == {CAMERA: "NACamera"}
        rules, mutes, timezone = routing.by_home[HOME]
        assert sorted(rule.chat_id for rule in rules) == sorted([OWNER, GROUP])
        assert [(mute.chat_id, mute.device_id) for mute in mutes] == [(GROUP, CAMERA)]
        assert timezone == "Europe/Paris"  # the zone comes from the homes read
        assert set(routing.languages) == {OWNER, GROUP}


async def test_a_batch_that_alerts_no_one_reads_no_routing(database_url: str) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER,))
        homes, routing = await read_batch(sessions, [HOME], NOW, deliver=False)
        assert list(homes) == [HOME]
        assert routing.by_home == {} and routing.languages == {}


async def test_both_reads_share_one_connection_and_unknown_homes_need_no_routing(database_url: str) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER,))
        engine = sessions.kw["bind"].sync_engine
        checkouts: list[object] = []
        event.listen(engine, "checkout", lambda *args: checkouts.append(args[0]))
        homes, routing = await read_batch(sessions, [HOME], NOW, deliver=True)
        assert list(routing.by_home) == [HOME] and len(checkouts) == 1  # one session, not one per read
        homes, routing = await read_batch(sessions, ["unknown"], NOW, deliver=True)
        assert homes == {} and routing.by_home == {}
