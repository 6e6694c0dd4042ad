"""A NetatmoGateway against the simulator, with a migrated SQLite database and no Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.linking.service import PendingLink, complete_link
from bot.netatmo.budget import RequestBudget
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.scopes import scope_string
from bot.storage import migrate
from bot.storage.crypto import TokenCipher
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.telegram import save_chat, save_user
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT


@dataclass
class GatewayHarness:
    gateway: NetatmoGateway
    simulator: Any
    settings: Settings
    http: aiohttp.ClientSession
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    db_path: Path
    broken_notices: list[int] = field(default_factory=list)

    async def link(self, telegram_user_id: int = 1001, account: str = DEMO_ACCOUNT) -> int:
        """Link a Telegram user to a simulator account through the real code exchange."""
        async with self.sessions.begin() as session:
            await save_user(session, telegram_user_id, "Tester", None, "en")
            await save_chat(session, telegram_user_id, "private", None)
        code = await self.simulator.authorize(
            account, self.settings.netatmo_client_id, self.settings.oauth_redirect_uri, scope_string()
        )
        pending = PendingLink(telegram_user_id, telegram_user_id)
        result = await complete_link(self.gateway, self.http, self.settings, pending, code)
        return result.link_id


MakeGateway = Callable[..., Awaitable[GatewayHarness]]
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def make_gateway(simulator: Any, tmp_path: Path) -> AsyncIterator[MakeGateway]:
    """Build gateways (optionally with a custom budget); everything is closed at teardown."""
    closers: list[Callable[[], Awaitable[None]]] = []
    db_path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{db_path.as_posix()}"
    await migrate.upgrade(url)
    key = Fernet.generate_key()  # shared: several gateways on one database act as replicas

    migrated = {url}

    async def build(
        budget: RequestBudget | Callable[[Sessions], RequestBudget] | None = None,
        database_url: str | None = None,
    ) -> GatewayHarness:
        """A gateway; `database_url` (e.g. the shared `database_url` fixture) replaces the SQLite file;
        `budget` may be built from the gateway's sessions (a budget kept in the database)."""
        db_url = database_url or url
        if db_url not in migrated:
            await migrate.upgrade(db_url)
            migrated.add(db_url)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            netatmo_api_url=simulator.base_url,
            netatmo_client_id=simulator.config.client_id,
            netatmo_client_secret=simulator.config.client_secret,
            data_dir=tmp_path,
        )
        engine = create_engine(db_url)
        http = aiohttp.ClientSession()
        notices: list[int] = []

        async def notify(user_id: int) -> None:
            notices.append(user_id)

        sessions = create_session_factory(engine)
        if callable(budget):
            budget = budget(sessions)
        gateway = NetatmoGateway(
            sessions, TokenCipher(key), http, settings, notify_broken=notify, budget=budget
        )
        closers.append(http.close)
        closers.append(engine.dispose)
        return GatewayHarness(gateway, simulator, settings, http, engine, sessions, db_path, notices)

    yield build
    for close in reversed(closers):
        await close()
