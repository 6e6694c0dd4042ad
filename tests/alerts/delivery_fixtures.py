"""Helpers of the delivery tests: a database with homes, chats and outbox rows written the way intake
writes them, a fake Netatmo image source, and a delivery worker sending through the Bot API emulator."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.alerts.delivery import DeliveryConfig, DeliveryWorker
from bot.alerts.sending import AlertSender, Rendered, SendingPolicy
from bot.alerts.snapshots import SnapshotStore
from bot.chat.application import build_application
from bot.config import Settings
from bot.domain.events import Kind, SecurityEvent, Severity, SnapshotRef, event_to_dict
from bot.services import Services
from bot.storage.crypto import TokenCipher
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import Base, Delivery, Event, Home, Subscription, TelegramChat, TelegramUser

HOME = "home-1"
CAMERA = "70:ee:50:00:00:01"
OTHER_CAMERA = "70:ee:50:00:00:02"


def jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


class NotReady(Exception):
    """What the fake gateway raises while a picture is not there yet (Netatmo's 404)."""


@dataclass
class FakeGateway:
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


async def tagged_render(session: AsyncSession, events: Sequence[SecurityEvent], chat_id: int) -> Rendered:
    """A renderer whose text names the events, so tests can tell which alert a message carries."""
    text = "alert " + " + ".join(e.event_id for e in events)
    button = InlineKeyboardButton("Mute 1 h", callback_data=f"mute:{events[0].device_id}"[:64])
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def make_event(
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


async def seed_chats(sessions: async_sessionmaker[AsyncSession], chats: Sequence[tuple[int, str]]) -> None:
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


async def add_event(
    sessions: async_sessionmaker[AsyncSession],
    event: SecurityEvent,
    chat_ids: Sequence[int],
    *,
    silent: bool = False,
) -> int:
    """Store an event and one pending delivery per chat in one transaction, as intake does."""
    async with sessions.begin() as session:
        row = Event(
            home_id=event.home_id,
            event_id=event.event_id,
            subevent_id=event.subevent_id,
            type=event.netatmo_type,
            device_id=event.device_id,
            time=event.time,
            source="webhook",
            data=event_to_dict(event),
        )
        session.add(row)
        await session.flush()
        for chat_id in chat_ids:
            session.add(Delivery(event_pk=row.id, chat_id=chat_id, silent=silent))
        pk: int = row.id
        return pk


async def deliveries(sessions: async_sessionmaker[AsyncSession]) -> list[Delivery]:
    async with sessions() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


@dataclass
class Harness:
    services: Services
    application: Application
    worker: DeliveryWorker
    gateway: FakeGateway
    snapshots: SnapshotStore

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.services.sessions


FAST = DeliveryConfig(lease_seconds=10, scan_interval=0.05, backoff_base=0.05, backoff_cap=0.5)
FAST_POLICY = SendingPolicy(late_photo_delays=(0.1, 0.2, 0.3, 0.4))


@asynccontextmanager
async def running_worker(
    emulator: Any,
    database_url: str,
    *,
    config: DeliveryConfig = FAST,
    policy: SendingPolicy = FAST_POLICY,
    render: Any = tagged_render,
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
    gateway = FakeGateway()
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
