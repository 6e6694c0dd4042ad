"""A migrated database (SQLite, and PostgreSQL when configured) with a small home already in it.

Anna (10) holds a Netatmo link and owns the Villa; Bob (20) is an invited member without a link. Anna's
private chat (10) and a family group (-100) are known; the Cabin ("other") has no members.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage import migrate
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import Home, HomeDevice, HomeMember, NetatmoLink, TelegramChat, TelegramUser


@dataclass(frozen=True)
class Seeded:
    sessions: async_sessionmaker[AsyncSession]
    link_id: int  # Anna's link
    home: str = "5f0000000000000000000001"
    camera: str = "70:ee:50:00:00:01"
    now: datetime = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[Seeded]:
    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    home, camera = Seeded.home, Seeded.camera
    async with factory.begin() as session:
        session.add_all(
            [
                TelegramUser(id=10, first_name="Anna"),
                TelegramUser(id=20, first_name="Bob"),
                TelegramChat(id=10, type="private"),
                TelegramChat(id=-100, type="group", title="Family"),
                Home(id=home, name="Villa", timezone="Europe/Paris"),
                Home(id="other", name="Cabin", timezone="UTC"),
            ]
        )
        await session.flush()
        link = NetatmoLink(
            telegram_user_id=10,
            access_token_enc=b"x",
            refresh_token_enc=b"y",
            expires_at=Seeded.now,
            scopes=[],
        )
        session.add(link)
        await session.flush()
        session.add_all(
            [
                HomeMember(home_id=home, telegram_user_id=10, role="owner", link_id=link.id),
                HomeMember(home_id=home, telegram_user_id=20, role="member"),
                HomeDevice(home_id=home, device_id=camera, type="NOC", name="Garden"),
                HomeDevice(home_id=home, device_id="sd", type="NSD", name="Hall smoke"),
            ]
        )
        link_id = link.id
    try:
        yield Seeded(factory, link_id)
    finally:
        await engine.dispose()
