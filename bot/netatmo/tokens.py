"""The token store: each link's encrypted pair, refreshed once per rotation however many callers wait.

Netatmo rotates the refresh token on every refresh and kills the old one. Two refreshes of one account
racing would leave one of them holding a dead token and break the link for good, so:

* inside this process, an asyncio.Lock per link lets one caller refresh while the others wait and then
  reuse the new pair (they notice through `token_version`);
* across replicas, the refresher first claims the row (`bot.storage.links.claim_refresh`). The HTTP call
  runs outside any transaction, so no pooled connection is held while Netatmo answers; the new pair is
  written with a compare-and-set on `token_version` and committed before anyone uses it, so a crash after
  Netatmo answered loses at most that one pair, never overwrites a newer one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.netatmo.errors import LinkBroken, NetatmoError, NetatmoUnavailable, NotLinked
from bot.netatmo.oauth import GrantRefused, TokenPair, refresh_grant
from bot.storage import links
from bot.storage.crypto import TokenCipher
from bot.storage.models import LinkState

LOG = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
LOCK_TTL = timedelta(seconds=30)
CLAIM_POLL = 0.1

BrokenHook = Callable[[int, int], Awaitable[None]]  # (link_id, telegram_user_id)


@dataclass(frozen=True)
class AccessGrant:
    """An access token and what callers need around it."""

    link_id: int
    token: str
    version: int
    expires_at: datetime
    account_key: str  # the budget key: the Netatmo account, shared by every link to it

    def near_expiry(self, now: datetime) -> bool:
        return self.expires_at - REFRESH_MARGIN <= now


class TokenStore:
    """Reads, refreshes and retires the token pairs of `netatmo_links`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        http: aiohttp.ClientSession,
        settings: Settings,
        *,
        on_broken: BrokenHook | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._http = http
        self._settings = settings
        self._on_broken = on_broken
        self._locks: dict[int, asyncio.Lock] = {}
        self._cache: dict[int, AccessGrant] = {}
        self.refreshes = 0  # refreshes this process made (tests, metrics)

    def forget(self, link_id: int) -> None:
        """Drop the cached token (after relink or unlink)."""
        self._cache.pop(link_id, None)

    async def current(self, link_id: int) -> AccessGrant:
        """A usable access token, refreshed first when it expires within five minutes."""
        grant = self._cache.get(link_id) or await self._load(link_id)
        if grant.near_expiry(datetime.now(UTC)):
            return await self.refresh(link_id, grant.version)
        return grant

    async def _load(self, link_id: int) -> AccessGrant:
        async with self._sessions() as session:
            link = await links.get_link(session, link_id)
        if link is None:
            self.forget(link_id)
            raise NotLinked(f"link {link_id} does not exist")
        if link.state != LinkState.ACTIVE:
            self.forget(link_id)
            raise LinkBroken(f"link {link_id} is {link.state}")
        grant = AccessGrant(
            link_id=link_id,
            token=self._cipher.decrypt(link.access_token_enc),
            version=link.token_version,
            expires_at=link.expires_at,
            account_key=f"netatmo:{link.netatmo_user_id}" if link.netatmo_user_id else f"link:{link_id}",
        )
        self._cache[link_id] = grant
        return grant

    async def refresh(self, link_id: int, seen_version: int) -> AccessGrant:
        """Refresh the pair unless someone already replaced the version the caller saw."""
        lock = self._locks.setdefault(link_id, asyncio.Lock())
        async with lock:
            grant = await self._load(link_id)
            if grant.version != seen_version and not grant.near_expiry(datetime.now(UTC)):
                return grant  # a concurrent caller (or replica) refreshed while we waited
            version = grant.version
            claimed_until = datetime.now(UTC) + LOCK_TTL + timedelta(seconds=5)
            while not await self._claim(link_id, version):
                await asyncio.sleep(CLAIM_POLL)
                other = await self._load(link_id)
                if other.version != version:
                    return other
                if datetime.now(UTC) > claimed_until:
                    raise NetatmoUnavailable("another replica holds the refresh lock")
            return await self._refresh_claimed(link_id, version)

    async def _refresh_claimed(self, link_id: int, version: int) -> AccessGrant:
        async with self._sessions() as session:
            link = await links.get_link(session, link_id)
            if link is None:
                raise NotLinked(f"link {link_id} does not exist")
            refresh_token = self._cipher.decrypt(link.refresh_token_enc)
        try:
            pair = await refresh_grant(self._http, self._settings, refresh_token)
        except GrantRefused as exc:
            LOG.warning("netatmo_refresh_refused link=%s error=%s", link_id, exc.error)
            await self.mark_broken(link_id, f"refresh refused: {exc.error}")
            raise LinkBroken("refresh token refused") from None
        except NetatmoError:
            await self._release(link_id, version)
            raise
        if not await self._store(link_id, version, pair):
            LOG.warning("netatmo_refresh_lost_race link=%s version=%s", link_id, version)
            return await self._load(link_id)
        self.refreshes += 1
        LOG.info("netatmo_token_refreshed link=%s version=%s", link_id, version + 1)
        return await self._load(link_id)

    async def _claim(self, link_id: int, version: int) -> bool:
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            return await links.claim_refresh(session, link_id, version, now, now + LOCK_TTL)

    async def _release(self, link_id: int, version: int) -> None:
        async with self._sessions.begin() as session:
            await links.release_refresh(session, link_id, version)

    async def _store(self, link_id: int, version: int, pair: TokenPair) -> bool:
        async with self._sessions.begin() as session:
            stored = await links.store_tokens(session, self._cipher, link_id, version, **asdict(pair))
        self.forget(link_id)
        return stored

    async def mark_broken(self, link_id: int, reason: str) -> None:
        """Retire a link Netatmo no longer accepts, and tell its user once (broken_notified_at)."""
        self.forget(link_id)
        async with self._sessions.begin() as session:
            user_id = await links.mark_broken(session, link_id, reason, datetime.now(UTC))
        LOG.warning("netatmo_link_broken link=%s reason=%s", link_id, reason)
        if user_id is not None and self._on_broken is not None:
            try:
                await self._on_broken(link_id, user_id)
            except Exception as exc:  # telling the user is best effort; the link stays broken either way
                LOG.warning("netatmo_broken_notify_failed link=%s error=%r", link_id, exc)
