"""Shared fixtures of the alert tests.

Two small worlds, each with its own home and camera ids: intake's (`database`, `seed_home`, `make_event`
…: a fresh schema with linked homes, chats, subscriptions and devices) and delivery's (`seed_chats`,
`add_event`, `running_worker` …: outbox rows written the way intake writes them, a fake Netatmo image
source, a delivery worker sending through the Bot API emulator). Plus a fake Netatmo for the poller and
the watcher (`poll_gateway`) and `python -m bot run` as a real child process (`bot_processes`), for the
crash and replica tests (SIGKILL needs a process). The fixtures hand out the helpers themselves, so tests
call them as before without importing another test module. `database`, `seed_home` and `add_event` live
in tests/conftest.py, because the storage tests seed the same way.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, NamedTuple

import aiohttp
import pytest
from cryptography.fernet import Fernet
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.alerts.delivery import DeliveryConfig, DeliveryWorker
from bot.alerts.sending import AlertSender, Rendered, SendingPolicy
from bot.alerts.snapshots import SnapshotStore
from bot.chat.application import build_application
from bot.config import Settings
from bot.domain.events import Kind, SecurityEvent, Severity, SnapshotRef
from bot.netatmo.errors import NetatmoUnavailable
from bot.services import Services
from bot.storage import migrate
from bot.storage.crypto import TokenCipher
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import (
    Base,
    Delivery,
    Event,
    Home,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)

Sessions = async_sessionmaker[AsyncSession]

# -- intake's world -------------------------------------------------------------------------------------
INTAKE_HOME = "home-a"
INTAKE_CAMERA = "70:ee:50:00:00:0a"


def _make_event(
    event_id: str,
    *,
    home_id: str = INTAKE_HOME,
    kind: Kind = Kind.HUMAN,
    subevent_id: str = "",
    time: int = 1_700_000_000,
    device_id: str | None = INTAKE_CAMERA,
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


async def _count(sessions: Sessions, model: type[Event] | type[Delivery]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _delivery_rows(sessions: Sessions) -> list[tuple[str, str, int, bool]]:
    """(event_id, subevent_id, chat_id, silent) of every outbox row, in a stable order."""
    async with sessions() as session:
        rows = await session.execute(
            select(Event.event_id, Event.subevent_id, Delivery.chat_id, Delivery.silent)
            .join(Event, Event.id == Delivery.event_pk)
            .order_by(Event.event_id, Event.subevent_id, Delivery.chat_id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


# -- delivery's world -----------------------------------------------------------------------------------
HOME = "home-1"
CAMERA = "70:ee:50:00:00:01"
OTHER_CAMERA = "70:ee:50:00:00:02"


def _jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


class NotReady(Exception):
    """What the fake gateway raises while a picture is not there yet (Netatmo's 404)."""


@dataclass
class FakeImageGateway:
    """Pictures by URL; `not_ready[url]` makes the next N fetches fail first."""

    images: dict[str, bytes] = field(default_factory=dict)
    not_ready: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    statuses: int = 0

    def needs_link(self, url: str) -> bool:
        return "/api/" in url

    async def image(self, link_id: int | None, url: str) -> bytes:
        self.calls.append(url)
        if self.not_ready.get(url, 0) > 0:
            self.not_ready[url] -= 1
            raise NotReady(url)
        return self.images[url]

    async def home_status(self, link_id: int, home_id: str) -> dict[str, Any]:
        self.statuses += 1
        return {"home": {"id": home_id, "modules": [{"id": CAMERA, "vpn_url": "http://camera.invalid/vpn"}]}}

    def link_for_home(self, home_id: str) -> int | None:
        return 1


async def _tagged_render(session: AsyncSession, events: Sequence[SecurityEvent], chat_id: int) -> Rendered:
    """A renderer whose text names the events, so tests can tell which alert a message carries."""
    text = "alert " + " + ".join(e.event_id for e in events)
    button = InlineKeyboardButton("Mute 1 h", callback_data=f"mute:{events[0].device_id}"[:64])
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def _delivery_event(
    event_id: str,
    *,
    time: int = 1_700_000_000,
    device_id: str | None = CAMERA,
    snapshot_url: str | None = None,
    severity: Severity = Severity.ALERT,
    kind: Kind = Kind.HUMAN,
) -> SecurityEvent:
    return SecurityEvent(
        home_id=HOME,
        event_id=event_id,
        kind=kind,
        netatmo_type="human",
        time=time,
        device_id=device_id,
        device_type="NOC",
        snapshot=SnapshotRef(url=snapshot_url) if snapshot_url else None,
        severity=severity,
    )


async def _seed_chats(sessions: async_sessionmaker[AsyncSession], chats: Sequence[tuple[int, str]]) -> None:
    """A home and, per (chat id, type), the chat row, a user for private chats and a subscription."""
    async with sessions.begin() as session:
        if await session.get(Home, HOME) is None:
            session.add(Home(id=HOME, name="Home", timezone="UTC"))
        for chat_id, chat_type in chats:
            session.add(
                TelegramChat(id=chat_id, type=chat_type, title=None if chat_type == "private" else "G")
            )
            if chat_type == "private":
                session.add(TelegramUser(id=chat_id, first_name="U", language_code="en"))
        await session.flush()
        for chat_id, _ in chats:
            session.add(Subscription(chat_id=chat_id, home_id=HOME, active=True))


async def _deliveries(sessions: async_sessionmaker[AsyncSession]) -> list[Delivery]:
    async with sessions() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def _all_sent(sessions: async_sessionmaker[AsyncSession]) -> list[Delivery]:
    """The deliveries once every one of them is sent (waiting up to 30 seconds)."""
    async with asyncio.timeout(30):
        while True:
            rows = await _deliveries(sessions)
            if all(r.state == "sent" for r in rows):
                return rows
            await asyncio.sleep(0.1)


@dataclass
class Harness:
    services: Services
    application: Application
    worker: DeliveryWorker
    gateway: FakeImageGateway
    snapshots: SnapshotStore

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.services.sessions


FAST = DeliveryConfig(lease_seconds=10, scan_interval=0.05, backoff_base=0.05, backoff_cap=0.5)
FAST_POLICY = SendingPolicy(late_photo_delays=(0.1, 0.2, 0.3, 0.4))


@asynccontextmanager
async def _running_worker(
    emulator: Any,
    database_url: str,
    *,
    config: DeliveryConfig = FAST,
    policy: SendingPolicy = FAST_POLICY,
    render: Any = _tagged_render,
    start: bool = True,
) -> AsyncIterator[Harness]:
    """A delivery worker on a fresh schema, sending through the emulator; stopped and closed after."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token=emulator.token, telegram_api_url=emulator.base_url
    )
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    http = aiohttp.ClientSession()
    services = Services(settings, create_session_factory(engine), TokenCipher(Fernet.generate_key()), http)
    application = build_application(services, features=())
    await application.initialize()
    gateway = FakeImageGateway()
    snapshots = SnapshotStore(lambda: gateway, settings.netatmo_api_url, timeout=1.0, retry_after=0.05)
    sender = AlertSender(application.bot, services.sessions, snapshots, render, policy)
    worker = DeliveryWorker(services, sender, config)
    try:
        if start:
            await worker.start()
        yield Harness(services, application, worker, gateway, snapshots)
    finally:
        if start:
            await worker.stop()
        await application.shutdown()
        await http.close()
        await engine.dispose()


# -- the bot as a child process -------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    _log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL: no clean stop, no lease released, whatever was in flight is cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            for _ in range(100):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.process.kill()
                self.process.wait(10)
        if not self._log.closed:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _bot_env(emulator: Any, database_url: str, data_dir: Path, key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NETATMO_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(REPO),
        PTB_TIMEDELTA="true",
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        NETATMO_API_URL="http://127.0.0.1:9",  # nothing listens: these tests feed the outbox directly
        NETATMO_CLIENT_ID="test-client",
        NETATMO_CLIENT_SECRET="test-secret",
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        TOKEN_ENCRYPTION_KEY=key,
        WEBRTC_ICE_SERVERS="",
        LOG_LEVEL="INFO",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def _new_key() -> str:
    return Fernet.generate_key().decode()


def _start_bot_process(
    emulator: Any, database_url: str, workdir: Path, key: str, name: str, **extra: str
) -> BotProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    port = int(extra.pop("WEB_PORT", "0") or 0) or free_port_now()
    env = _bot_env(emulator, database_url, workdir / "data", key, WEB_PORT=str(port), **extra)
    log_path = workdir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return BotProcess(process, log_path, port, log)


async def _wait_started(bot: BotProcess, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until the log says the delivery worker runs (or the process died)."""
    async with asyncio.timeout(timeout):
        while "delivery_started" not in bot.log():
            if bot.process.poll() is not None:
                raise AssertionError(f"bot exited with {bot.process.returncode}:\n{bot.log()[-3000:]}")
            await asyncio.sleep(0.1)


async def _wait_for_messages(emulator: Any, chats: list[int], count: int, timeout: float) -> None:  # noqa: ASYNC109
    """Until the bot's messages in `chats` number at least `count` in all."""

    def enough() -> bool | None:
        return sum(len(emulator.messages(c)) for c in chats) >= count or None

    await emulator.wait_for(enough, timeout=timeout, what=f"{count} bot messages")


# -- a fake Netatmo for the poller and the watcher -----------------------------------------------------
POLL_NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakePollGateway:
    """getevents over a list of events (newest first), paging with event_id like Netatmo; homestatus;
    webhook registration (`refuse` fails the next N with a 503, `sessions` records them as Netatmo's
    answer would)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, Any] = field(
        default_factory=lambda: {"home": {"id": INTAKE_HOME, "modules": [{"id": INTAKE_CAMERA}]}}
    )
    calls: list[str] = field(default_factory=list)
    fail: Exception | None = None
    added: list[int] = field(default_factory=list)
    refuse: int = 0
    sessions: Sessions | None = None

    async def get_events(self, link_id: int, home_id: str, size: int = 30) -> list[dict[str, Any]]:
        self.calls.append("getevents")
        if self.fail is not None:
            raise self.fail
        return [dict(e) for e in self.events[:size]]

    async def api(self, link_id: int, endpoint: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert endpoint == "api/getevents" and params is not None
        self.calls.append(f"page:{params['event_id']}")
        ids = [e["id"] for e in self.events]
        start = ids.index(params["event_id"])  # "up to this id": the page starts with it
        page = self.events[start : start + int(params["size"])]
        return {"status": "ok", "body": {"home": {"id": str(params["home_id"]), "events": page}}}

    async def home_status(self, link_id: int, home_id: str) -> dict[str, Any]:
        self.calls.append("homestatus")
        return self.status

    async def add_webhook(self, link_id: int, url: str) -> None:
        if self.refuse > 0:
            self.refuse -= 1
            raise NetatmoUnavailable("503")
        self.added.append(link_id)
        assert self.sessions is not None
        async with self.sessions.begin() as session:
            await session.execute(
                update(NetatmoLink).where(NetatmoLink.id == link_id).values(webhook_registered_at=POLL_NOW)
            )


def free_port_now() -> int:
    """A port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- fixtures --------------------------------------------------------------------------------------------
@pytest.fixture
def make_event() -> Callable[..., SecurityEvent]:
    return _make_event


@pytest.fixture
def count() -> Callable[..., Any]:
    return _count


@pytest.fixture
def delivery_rows() -> Callable[..., Any]:
    return _delivery_rows


@pytest.fixture
def delivery_event() -> Callable[..., SecurityEvent]:
    return _delivery_event


@pytest.fixture
def seed_chats() -> Callable[..., Any]:
    return _seed_chats


@pytest.fixture
def deliveries() -> Callable[..., Any]:
    return _deliveries


@pytest.fixture
async def migrated() -> AsyncIterator[Callable[[str, Sequence[int]], Awaitable[Sessions]]]:
    """`sessions = await migrated(url, private_chats)`: the database at `url` migrated to the newest
    schema and seeded with these private chats (see `_seed_chats`), and sessions on it (the engines are
    disposed of after the test)."""
    engines = []

    async def open_(url: str, private_chats: Sequence[int]) -> Sessions:
        await migrate.upgrade(url)
        engines.append(create_engine(url))
        sessions = create_session_factory(engines[-1])
        await _seed_chats(sessions, [(chat, "private") for chat in private_chats])
        return sessions

    yield open_
    for engine in engines:
        await engine.dispose()


@pytest.fixture
def add_burst(add_event: Any) -> Callable[[Sessions, str, int, Sequence[int]], Awaitable[None]]:
    """`await add_burst(sessions, prefix, count, chat_ids)`: `count` events written the way intake writes
    them, 100 s apart so none are grouped, each delivered to every chat."""

    async def add(sessions: Sessions, prefix: str, count: int, chat_ids: Sequence[int]) -> None:
        for i in range(count):
            await add_event(
                sessions, _delivery_event(f"{prefix}{i:03d}", time=1_700_000_000 + 100 * i), chat_ids
            )

    return add


@pytest.fixture
def all_sent() -> Callable[..., Any]:
    """`rows = await all_sent(sessions)`: see `_all_sent`."""
    return _all_sent


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    return _jpeg


@pytest.fixture
def running_worker() -> Callable[..., Any]:
    """`async with running_worker(emulator, database_url, …) as harness`: see `_running_worker`."""
    return _running_worker


@pytest.fixture
def image_gateway() -> type[FakeImageGateway]:
    return FakeImageGateway


class Polled(NamedTuple):
    services: Services
    gateway: FakePollGateway
    sessions: Sessions


@pytest.fixture
def polled_home(
    sqlite_url: str, database: Any, seed_home: Any
) -> Callable[..., AbstractAsyncContextManager[Polled]]:
    """`async with polled_home(**seed_home_arguments) as polled`: a seeded database and Services (public
    https URL) whose Netatmo is a FakePollGateway."""

    @asynccontextmanager
    async def start(**seed: Any) -> AsyncIterator[Polled]:
        settings = Settings(_env_file=None, public_url="https://bot.example.com")  # type: ignore[call-arg]
        async with database(sqlite_url) as sessions, aiohttp.ClientSession() as http:
            await seed_home(sessions, **seed)
            services = Services(settings, sessions, TokenCipher(Fernet.generate_key()), http)
            gateway = FakePollGateway(sessions=sessions)
            services.netatmo = gateway  # type: ignore[assignment]
            yield Polled(services, gateway, sessions)

    return start


@pytest.fixture
def poll_gateway() -> type[FakePollGateway]:
    return FakePollGateway


@pytest.fixture
def bot_processes() -> SimpleNamespace:
    """`start`, `new_key`, `wait_started`, `wait_for_messages`: see those functions above."""
    return SimpleNamespace(
        start=_start_bot_process,
        new_key=_new_key,
        wait_started=_wait_started,
        wait_for_messages=_wait_for_messages,
    )


@pytest.fixture
def free_port() -> Callable[[], int]:
    """`free_port()`: a port that was free a moment ago (a replica's web port named up front)."""
    return free_port_now
