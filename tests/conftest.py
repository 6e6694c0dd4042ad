"""Shared fixtures: the two stand-ins (Netatmo simulator, Telegram Bot API emulator), settings pointing at
them, a running bot, and databases (SQLite always; PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

# PTB 22 warns about int/timedelta durations unless told which it should use; with filterwarnings=error
# that warning would fail every test that builds an Application.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.config import Settings

CONTRACT_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "NETATMO_CLIENT_ID",
    "NETATMO_CLIENT_SECRET",
    "NETATMO_API_URL",
    "PUBLIC_URL",
    "WEB_HOST",
    "WEB_PORT",
    "DATA_DIR",
    "DATABASE_URL",
    "TOKEN_ENCRYPTION_KEY",
    "WEBRTC_ICE_SERVERS",
    "LOG_LEVEL",
    "NETATMO_WEBHOOKS",
    "DELIVERY_LEASE_SECONDS",
)

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
FIXTURES_DIR = SHARED_DIR / "netatmo" / "fixtures"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own environment for the bot's variables."""
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES_DIR.is_dir():
        pytest.skip(f"Netatmo fixtures not found at {FIXTURES_DIR} (../shared beside the repository)")
    return FIXTURES_DIR


# -- databases ------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'bot.db').as_posix()}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    import asyncpg

    url = make_url(base)
    name = f"t_{uuid.uuid4().hex[:12]}"
    host = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
    dsn = f"postgresql://{url.username or 'postgres'}@{host}/{url.database}"
    if url.password:
        dsn = dsn.replace("@", f":{url.password}@", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Runs a test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


# -- stand-ins ------------------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from standins.telegram_emulator import BotApiEmulator

    async with BotApiEmulator() as running:
        yield running


@pytest.fixture
async def simulator() -> AsyncIterator[Any]:
    from standins.netatmo_sim import Simulator, SimulatorConfig

    async with Simulator(SimulatorConfig(port=0)) as running:
        yield running


# -- the bot --------------------------------------------------------------------------------------


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test bot: temp DATA_DIR and SQLite, no ICE servers, a free port, no .env file."""

    def build(emulator: Any = None, simulator: Any = None, **overrides: Any) -> Settings:
        port = overrides.pop("web_port", None) or free_port()
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "web_port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "webrtc_ice_servers": "",
            "telegram_bot_token": emulator.token if emulator is not None else "123456:TEST-TOKEN",
        }
        if emulator is not None:
            values["telegram_api_url"] = emulator.base_url
        if simulator is not None:
            values["netatmo_api_url"] = simulator.base_url
            values["netatmo_client_id"] = simulator.config.client_id
            values["netatmo_client_secret"] = simulator.config.client_secret
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


StartBot = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_bot(make_settings: Callable[..., Settings]) -> AsyncIterator[StartBot]:
    """Start `BotRuntime`s with the production wiring; every one started is stopped at teardown."""
    from bot.app import BotRuntime
    from bot.wiring import default_components, default_routes

    started: list[BotRuntime] = []

    async def start(emulator: Any = None, simulator: Any = None, **overrides: Any) -> BotRuntime:
        settings = make_settings(emulator, simulator, **overrides)
        runtime = BotRuntime(settings, routes=default_routes(), components=default_components())
        started.append(runtime)
        await runtime.start()
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


def free_port() -> int:
    """A port that was free a moment ago (the OAuth redirect URI must name the bot's port up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
