"""Keeping each linked account's Netatmo webhook registered.

Netatmo keeps one webhook URL per app and user, and drops it on its own (`webhook_deactivation`, sent when
it gave up on a failing endpoint). So at start-up every active link is (re-)registered, a deactivation
clears the registration and schedules a new attempt, and failed attempts are retried with exponential
backoff (a freshly banned endpoint would be refused straight away). Links made after start-up are picked
up by the same periodic check. Registration only happens when Netatmo can reach us (PUBLIC_URL is public
https) — or when a test or the demo says so explicitly.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.alerts.intake import Sessions
from bot.netatmo.errors import LinkBroken, NetatmoError, NotLinked
from bot.storage import webhooks
from bot.storage.leases import release, try_lease

LOG = logging.getLogger(__name__)


class WebhookGateway(Protocol):
    async def add_webhook(self, link_id: int, url: str) -> None: ...


def retry_delay(attempts: int, base: float = 30.0, cap: float = 1800.0) -> float:
    """Seconds before attempt number `attempts + 1` (30 s, 60 s, … up to 30 min), with a little jitter."""
    return min(cap, base * 2 ** max(0, min(attempts - 1, 16))) * random.uniform(0.9, 1.1)


@dataclass
class WebhookRegistrar:
    sessions: Sessions
    gateway: Callable[[], WebhookGateway | None]
    url: str
    owner: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    base_delay: float = 30.0
    max_delay: float = 1800.0
    attempts: dict[int, int] = field(default_factory=dict)
    not_before: dict[int, datetime] = field(default_factory=dict)
    activated_at: dict[str, datetime] = field(default_factory=dict)  # Netatmo user id → activation seen

    async def register_all(self, *, force: bool = False) -> int:
        """Register every active link that needs it (all of them when `force`); returns how many succeeded."""
        link_ids = await webhooks.links_to_register(self.sessions, all_active=force)
        done = 0
        for link_id in link_ids:
            if await self.register(link_id):
                done += 1
        return done

    async def register(self, link_id: int) -> bool:
        now = self.clock()
        not_before = self.not_before.get(link_id)
        if not_before is not None and now < not_before:
            return False
        gateway = self.gateway()
        if gateway is None:
            return False
        lease = f"webhook:{link_id}"
        if not await try_lease(self.sessions, lease, self.owner, 60.0):
            return False  # another replica is at it
        try:
            await gateway.add_webhook(link_id, self.url)
        except (LinkBroken, NotLinked) as exc:
            LOG.info("webhook_register_skipped link=%s reason=%s", link_id, type(exc).__name__)
            return False
        except NetatmoError as exc:
            attempts = self.attempts.get(link_id, 0) + 1
            self.attempts[link_id] = attempts
            delay = retry_delay(attempts, self.base_delay, self.max_delay)
            self.not_before[link_id] = now + timedelta(seconds=delay)
            LOG.warning(
                "webhook_register_failed link=%s error=%s attempt=%d retry_in=%.0f",
                link_id,
                type(exc).__name__,
                attempts,
                delay,
            )
            return False
        finally:
            await release(self.sessions, lease, self.owner)
        self.attempts.pop(link_id, None)
        self.not_before.pop(link_id, None)
        LOG.info("webhook_registered link=%s", link_id)
        return True

    async def deactivated(self, netatmo_user_id: str | None) -> list[int]:
        """Netatmo dropped the webhook of this user (every link when unknown): re-register after a pause."""
        now = self.clock()
        link_ids = await webhooks.forget_registrations(self.sessions, netatmo_user_id)
        for link_id in link_ids:
            attempts = self.attempts.get(link_id, 0) + 1
            self.attempts[link_id] = attempts
            self.not_before[link_id] = now + timedelta(
                seconds=retry_delay(attempts, self.base_delay, self.max_delay)
            )
        if netatmo_user_id:
            self.activated_at.pop(netatmo_user_id, None)
        LOG.warning("webhook_deactivated user_known=%s links=%d", bool(netatmo_user_id), len(link_ids))
        return link_ids

    def activated(self, netatmo_user_id: str | None) -> None:
        if netatmo_user_id:
            self.activated_at[netatmo_user_id] = self.clock()

    async def registered_count(self) -> int:
        return await webhooks.registered_count(self.sessions)
