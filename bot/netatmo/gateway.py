"""NetatmoGateway: the one object the rest of the bot uses to talk to Netatmo.

pyatmo does the API work where it can (`account()` returns a cached `AsyncAccount` whose auth is our
`LinkAuth`); the direct calls pyatmo lacks (getscenarios, scenario launch, raw bodies for the watcher)
go through the same `Transport`, so every call of every part shares one budget, one refresh path and one
error mapping. Methods raise only `bot.netatmo.errors` types.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pyatmo
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.netatmo.auth import LinkAuth, fetch_image
from bot.netatmo.budget import RequestBudget
from bot.netatmo.errors import InvalidRequest, check_body_errors
from bot.netatmo.tokens import TokenStore
from bot.netatmo.topology import HomeInfo, netatmo_user_id, parse_homes
from bot.netatmo.transport import Transport
from bot.netatmo.writes import WRITE_ENDPOINTS, WRITE_PROGRESS, WriteQueue, in_write
from bot.storage import links
from bot.storage.crypto import TokenCipher
from bot.storage.models import NetatmoLink

LOG = logging.getLogger(__name__)

NotifyBroken = Callable[[int], Awaitable[None]]  # telegram_user_id


class NetatmoGateway:
    """Facade over pyatmo plus direct calls; see the module docstring."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        http: aiohttp.ClientSession,
        settings: Settings,
        *,
        notify_broken: NotifyBroken | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.settings = settings
        self.notify_broken = notify_broken
        self.tokens = TokenStore(sessions, cipher, http, settings, on_broken=self._on_broken)
        self.budget = budget or RequestBudget()
        self.transport = Transport(self.tokens, self.budget, http, settings)
        # Features run their writes through it: retried through 429s, ahead of polls (bot.netatmo.writes).
        self.writes = WriteQueue(self.budget)
        self._accounts: dict[int, pyatmo.AsyncAccount] = {}
        self._account_locks: dict[int, asyncio.Lock] = {}

    async def _on_broken(self, link_id: int, telegram_user_id: int) -> None:
        self.forget(link_id)
        if self.notify_broken is not None:
            await self.notify_broken(telegram_user_id)

    def forget(self, link_id: int) -> None:
        """Drop what is cached for a link (tokens, pyatmo account): after relink, unlink or breakage."""
        self.tokens.forget(link_id)
        self._accounts.pop(link_id, None)

    def drop_account(self, link_id: int) -> None:
        """Drop only the cached pyatmo account (its topology is stale); the tokens stay cached."""
        self._accounts.pop(link_id, None)

    # Raw API ------------------------------------------------------------------------------------------

    async def api(
        self,
        link_id: int,
        endpoint: str,
        params: dict[str, Any] | None = None,
        *,
        json: dict[str, Any] | None = None,
        scope_hint: str | None = None,
        max_wait: float | None = None,
    ) -> dict[str, Any]:
        """The JSON answer of `{NETATMO_API_URL}/{endpoint}` (POST: form `params`, or a `json` body).

        A write (`WRITE_ENDPOINTS`) goes through the write queue, so a 429 storm delays it instead of losing
        it; inside a queued write (or for reads) the call is sent as it is.
        """

        async def send() -> dict[str, Any]:
            reply = await self.transport.send(
                link_id,
                "POST",
                self.transport.url(endpoint),
                data=params,
                json=json,
                scope_hint=scope_hint,
                max_wait=max_wait,
            )
            return reply.json()

        name = endpoint.rsplit("/", 1)[-1]
        if name in WRITE_ENDPOINTS and not in_write():
            return await self.writes.submit(link_id, name, send, progress=WRITE_PROGRESS.get())
        return await send()

    async def image(self, link_id: int | None, url: str) -> bytes:
        """A JPEG from a snapshot/camera URL (15 s bound); budgeted only on the Netatmo API host, where
        it needs the link whose token it is fetched with (see `needs_link`)."""
        return await fetch_image(self.transport, link_id, url)

    def needs_link(self, url: str) -> bool:
        """Whether fetching `url` takes a user's token (a Netatmo API call), not a plain blob download."""
        return self.transport.is_api_url(url)

    async def account(self, link_id: int) -> pyatmo.AsyncAccount:
        """A pyatmo account for the link, topology loaded, cached until `forget`."""
        cached = self._accounts.get(link_id)
        if cached is not None:
            return cached
        lock = self._account_locks.setdefault(link_id, asyncio.Lock())
        async with lock:
            cached = self._accounts.get(link_id)
            if cached is None:
                cached = pyatmo.AsyncAccount(LinkAuth(self.transport, link_id))
                await cached.async_update_topology()
                self._accounts[link_id] = cached
            return cached

    # Links ---------------------------------------------------------------------------------------------

    async def link_for_home(self, home_id: str) -> int | None:
        """The link that serves the home (`bot.storage.links.active_link_of_home`), None when none does."""
        async with self.sessions() as session:
            return await links.active_link_of_home(session, home_id)

    async def link_of_user(self, telegram_user_id: int) -> NetatmoLink | None:
        async with self.sessions() as session:
            return await links.link_of_user(session, telegram_user_id)

    # Homes ---------------------------------------------------------------------------------------------

    async def homes(self, link_id: int) -> list[HomeInfo]:
        """The homes the account sees, with their cameras, alarms and sensors."""
        payload = await self.api(link_id, "api/homesdata")
        return parse_homes(payload.get("body"))

    async def homes_with_token(self, access_token: str) -> tuple[str | None, list[HomeInfo]]:
        """(Netatmo user id, homes) for a token not stored yet: linking reads them before saving."""
        prefix = access_token.partition("|")[0]
        key = f"netatmo:{prefix}" if prefix and prefix != access_token else "linking"
        reply = await self.transport.send_with_token(
            access_token, key, "POST", self.transport.url("api/homesdata")
        )
        body = reply.json().get("body")
        return netatmo_user_id(body), parse_homes(body)

    async def home_status(self, link_id: int, home_id: str) -> dict[str, Any]:
        """The raw `homestatus` body (`{"home": {...}, "errors": [...]}`)."""
        payload = await self.api(link_id, "api/homestatus", {"home_id": home_id})
        body = payload.get("body")
        return body if isinstance(body, dict) else {}

    async def get_events(self, link_id: int, home_id: str, size: int = 30) -> list[dict[str, Any]]:
        """The raw events of `getevents` (`body.home.events`), newest first."""
        payload = await self.api(link_id, "api/getevents", {"home_id": home_id, "size": size})
        body = payload.get("body")
        home = body.get("home") if isinstance(body, dict) else None
        events = home.get("events") if isinstance(home, dict) else None
        return [event for event in events or [] if isinstance(event, dict)]

    async def set_monitoring(self, link_id: int, home_id: str, device_id: str, on: bool) -> None:
        """Turn a camera's monitoring on or off; DeviceUnreachable when the camera is offline.

        Netatmo's "Already on/off" (code 23) is success for the user: the camera is where they wanted it.
        """
        payload = await self.api(
            link_id,
            "api/setstate",
            json={
                "home": {"id": home_id, "modules": [{"id": device_id, "monitoring": "on" if on else "off"}]}
            },
            scope_hint="write_camera",
        )
        body = payload.get("body")
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            body = {
                **body,
                "errors": [e for e in body["errors"] if not (isinstance(e, dict) and e.get("code") == 23)],
            }
        check_body_errors(body, endpoint="api/setstate")

    # Webhooks ------------------------------------------------------------------------------------------

    async def add_webhook(self, link_id: int, url: str) -> None:
        await self.api(link_id, "api/addwebhook", {"url": url})
        async with self.sessions.begin() as session:
            await links.set_webhook_registered(session, link_id, datetime.now(UTC))
        LOG.info("netatmo_webhook_added link=%s", link_id)

    async def drop_webhook(self, link_id: int) -> None:
        await self.api(link_id, "api/dropwebhook", {"app_types": "app_security"})
        async with self.sessions.begin() as session:
            await links.set_webhook_registered(session, link_id, None)
        LOG.info("netatmo_webhook_dropped link=%s", link_id)

    # Scenarios (Home+Control; not in pyatmo) -------------------------------------------------------------

    async def scenarios(self, link_id: int, home_id: str) -> list[dict[str, Any]]:
        """`getscenarios` items (`type`, `id`, `name`, …)."""
        payload = await self.api(
            link_id, "api/getscenarios", {"home_id": home_id}, scope_hint="read_magellan"
        )
        body = payload.get("body")
        items = body.get("scenarios") if isinstance(body, dict) else None
        if items is None and isinstance(body, dict) and isinstance(body.get("home"), dict):
            items = body["home"].get("scenarios")
        return [item for item in items or [] if isinstance(item, dict)]

    async def launch_scenario(self, link_id: int, home_id: str, scenario: str | dict[str, Any]) -> None:
        """Launch a scenario (its type or id, or an item of `scenarios()`) on the home's Legrand gateway."""
        if isinstance(scenario, dict):
            scenario = str(scenario.get("type") or scenario.get("id") or "")
        payload = await self.api(link_id, "api/homesdata", {"home_id": home_id})
        gateway_id = _legrand_gateway(payload.get("body"), home_id)
        if gateway_id is None:
            raise InvalidRequest("this home has no Legrand gateway to run scenarios")
        result = await self.api(
            link_id,
            "api/setstate",
            json={"home": {"id": home_id, "modules": [{"id": gateway_id, "scenario": scenario}]}},
            scope_hint="write_magellan",
        )
        check_body_errors(result.get("body"), endpoint="api/setstate")


def _legrand_gateway(body: Any, home_id: str) -> str | None:
    homes = body.get("homes") if isinstance(body, dict) else None
    for home in homes if isinstance(homes, list) else []:
        if not isinstance(home, dict) or home.get("id") != home_id:
            continue
        for module in home.get("modules") or []:
            if isinstance(module, dict) and module.get("type") == "NLG" and module.get("id"):
                return str(module["id"])
    return None
