"""The long-lived objects every part of the bot shares, passed by constructor (no module globals).

Each shared part is a typed field, set once by the runtime's wiring (`bot.app.BotRuntime.start`,
`bot.wiring`), so that a reader of any handler or loop can follow a call to what it reaches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.inbox import WebhookInbox
from bot.config import Settings
from bot.storage.crypto import TokenCipher

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.alerts.delivery import DeliveryWorker
    from bot.linking.chat import LinkNotifier
    from bot.netatmo.gateway import NetatmoGateway


@dataclass
class HealthState:
    """What /healthz reports beyond the database: filled in by the parts as they run."""

    telegram_mode: str = "stopped"  # polling | webhook | stopped
    telegram_error: str | None = None
    telegram_error_at: datetime | None = None
    watcher: dict[str, Any] = field(default_factory=dict)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def telegram_failed(self, error: BaseException) -> None:
        self.telegram_error = f"{type(error).__name__}: {error}"[:200]
        self.telegram_error_at = datetime.now(UTC)

    def telegram_healthy(self, within_seconds: float = 120) -> bool:
        """Connected, and no Telegram error in the last couple of minutes (errors heal themselves)."""
        if self.telegram_mode not in ("polling", "webhook"):
            return False
        if self.telegram_error_at is None:
            return True
        return (datetime.now(UTC) - self.telegram_error_at).total_seconds() > within_seconds


class Component(Protocol):
    """A background part (the watcher, the delivery worker) started after Telegram and stopped before it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


# Builds a Component of the running bot from its services and Telegram Application (`bot.wiring`).
ComponentFactory = Callable[["Services", "Application"], Component]


@dataclass
class Services:
    """Dependencies of the handlers, web routes and background components."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher
    http: aiohttp.ClientSession
    health: HealthState = field(default_factory=HealthState)
    bot_username: str = ""
    netatmo: NetatmoGateway | None = None  # set by the runtime once the gateway is built
    # Verified Netatmo pushes, from the webhook route to the intake watcher.
    inbox: WebhookInbox = field(default_factory=WebhookInbox)
    # The delivery worker of this process, when it runs one (`bot.wiring`): the intake watcher hands it
    # the rows it stored.
    delivery: DeliveryWorker | None = None
    # The Telegram side of linking, for the OAuth callback page and the gateway's broken-link notice
    # (set by the runtime once the Telegram Application exists).
    link_notifier: LinkNotifier | None = None
    # Netatmo said a home's rooms or devices changed: refresh them soon, returning at once (set by the
    # topology refresher when it runs; `bot.linking.topology`).
    topology_changed: Callable[[str], None] | None = None
    # Set when a Netatmo link is created or replaced, so the watcher registers its webhook and polls its
    # homes at once instead of at its next round.
    links_changed: asyncio.Event = field(default_factory=asyncio.Event)
