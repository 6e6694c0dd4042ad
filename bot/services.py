"""The long-lived objects every part of the bot shares, passed by constructor (no module globals)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.storage.crypto import TokenCipher

if TYPE_CHECKING:
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


@dataclass
class Services:
    """Dependencies of the handlers, web routes and watcher. Features add theirs in `extras`."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    cipher: TokenCipher
    http: aiohttp.ClientSession
    health: HealthState = field(default_factory=HealthState)
    bot_username: str = ""
    netatmo: NetatmoGateway | None = None  # set by the runtime once the gateway is built
    # Set when a Netatmo link is created or replaced, so the watcher registers its webhook and polls its
    # homes at once instead of at its next round.
    links_changed: asyncio.Event = field(default_factory=asyncio.Event)
    extras: dict[str, Any] = field(default_factory=dict)
