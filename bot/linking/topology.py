"""Keeping a link's homes and devices current without relinking: a periodic refresh and topology pushes.

A camera added in the Netatmo app, a renamed room or home, a home shared with the user: `homesdata` shows
them, but the bot only read it when the user linked. So every active link is read again every
`REFRESH_EVERY` (6 hours), the links spread evenly over that period so a thousand links do not all call
Netatmo in the same minute, and at once when Netatmo pushes `topology_changed` for one of its homes.

The homes are stored exactly as linking stores them (`bot.linking.service.save_link_homes`), except that
only homes new to the link subscribe the user's private chat: someone who unsubscribed stays so.
Replicas share the periodic work through a lease per link (`topology:<link id>`), held for most of the
period by whoever refreshed it last; a push refreshes at once whoever receives it.

Wiring (see the report of this change): `topology_component` is the runtime Component; a
`topology_changed` push is handed to `TopologyRefresher.topology_changed(home_id)` (returns at once), or,
without the component, awaited as `topology_changed(gateway, home_id)`. `home_of_push` reads the home id
of such a push.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from bot.linking.service import save_link_homes
from bot.netatmo.errors import NetatmoError
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.topology import HomeInfo
from bot.services import Services
from bot.storage import homes as homes_repo
from bot.storage import leases, links
from bot.storage.models import LinkState

LOG = logging.getLogger(__name__)

REFRESH_EVERY = 6 * 3600.0
TICK = 60.0  # how often the loop looks for links that are due
RETRY_AFTER_FAILURE = 900.0
_SPREAD = 0.6180339887  # golden ratio: consecutive link ids land far apart in the period


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh found: the homes the link sees now, and the devices storage did not know before."""

    link_id: int
    homes: tuple[HomeInfo, ...]
    new_devices: tuple[str, ...]


def home_of_push(payload: dict[str, Any]) -> str | None:
    """The home id of a `topology_changed` push (top-level `home_id`, or `home.id` in older captures)."""
    home_id = payload.get("home_id")
    if not isinstance(home_id, str) or not home_id:
        home = payload.get("home")
        home_id = home.get("id") if isinstance(home, dict) else None
    return home_id if isinstance(home_id, str) and home_id else None


async def refresh_link(gateway: NetatmoGateway, link_id: int) -> RefreshResult | None:
    """Read the link's homes from Netatmo and store them; None when the link is gone or broken.

    Raises NetatmoError when Netatmo cannot be read. An answer with no home at all changes nothing: a
    glitch must not take every home away from the user (unlinking does that).
    """
    async with gateway.sessions() as session:
        link = await links.get_link(session, link_id)
        if link is None or link.state != LinkState.ACTIVE.value:
            return None
        user = link.telegram_user_id
    homes = await gateway.homes(link_id)
    if not homes:
        LOG.warning("topology_refresh_empty link=%s", link_id)
        return RefreshResult(link_id, (), ())
    async with gateway.sessions.begin() as session:
        known_homes = set(await homes_repo.link_home_ids(session, link_id))
        before = {
            device.device_id for device in await homes_repo.devices_of_homes(session, [h.id for h in homes])
        }
        await save_link_homes(
            session, user, link_id, homes, subscribe=[home.id for home in homes if home.id not in known_homes]
        )
    gateway.drop_account(link_id)  # pyatmo's cached topology is older than what was just read
    new_devices = tuple(d.id for home in homes for d in home.devices if d.id not in before)
    LOG.info("topology_refreshed link=%s homes=%d new_devices=%d", link_id, len(homes), len(new_devices))
    return RefreshResult(link_id, tuple(homes), new_devices)


async def topology_changed(gateway: NetatmoGateway, home_id: str) -> RefreshResult | None:
    """Netatmo said the home changed: refresh the link that serves it now (None: no link serves it)."""
    link_id = await gateway.link_for_home(home_id)
    if link_id is None:
        return None
    return await refresh_link(gateway, link_id)


class TopologyRefresher:
    """The periodic refresh of every active link, and pushes refreshed at once (one at a time per link)."""

    def __init__(
        self,
        gateway: NetatmoGateway | Callable[[], NetatmoGateway | None],
        *,
        every: float = REFRESH_EVERY,
        tick: float = TICK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gateway = gateway
        self.every = every
        self.tick = tick
        self._clock = clock
        self._owner = leases.process_owner_id()
        self._due: dict[int, float] = {}
        self._running: set[int] = set()
        self._again: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._pushes: set[asyncio.Task[None]] = set()

    @property
    def gateway(self) -> NetatmoGateway:
        """The gateway (the runtime builds it after the components: it is looked up when used)."""
        gateway = self._gateway if isinstance(self._gateway, NetatmoGateway) else self._gateway()
        if gateway is None:
            raise RuntimeError("the Netatmo gateway is not built yet")
        return gateway

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="topology-refresh")

    async def stop(self) -> None:
        tasks = [task for task in (self._task, *self._pushes) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._pushes.clear()

    def topology_changed(self, home_id: str) -> None:
        """Hand over a `topology_changed` push: the home's link is refreshed soon; returns at once."""
        task = asyncio.create_task(self.refresh_home(home_id))
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    async def refresh_home(self, home_id: str) -> None:
        """Refresh the link serving the home now; pushes arriving meanwhile cause one more refresh."""
        link_id = await self.gateway.link_for_home(home_id)
        if link_id is None:
            return
        if link_id in self._running:
            self._again.add(link_id)
            return
        self._running.add(link_id)
        try:
            while True:
                self._again.discard(link_id)
                await self._refresh(link_id)
                if link_id not in self._again:
                    return
        finally:
            self._running.discard(link_id)

    async def run_once(self) -> int:
        """Refresh the links that are due (here and in no other replica); how many were refreshed."""
        async with self.gateway.sessions() as session:
            active = await links.active_link_ids(session)
        now = self._clock()
        for gone in set(self._due) - set(active):
            del self._due[gone]
        done = 0
        for link_id in active:
            due = self._due.setdefault(link_id, now + (link_id * _SPREAD % 1.0) * self.every)
            if due > now or link_id in self._running:
                continue
            self._due[link_id] = now + self.every
            # Held for most of the period by the replica that refreshes the link.
            if not await leases.try_lease(
                self.gateway.sessions, f"topology:{link_id}", self._owner, self.every * 0.9
            ):
                continue
            self._running.add(link_id)
            try:
                done += await self._refresh(link_id)
            finally:
                self._running.discard(link_id)
        return done

    async def _refresh(self, link_id: int) -> int:
        try:
            await refresh_link(self.gateway, link_id)
        except NetatmoError as exc:
            LOG.warning("topology_refresh_failed link=%s error=%s", link_id, type(exc).__name__)
            self._due[link_id] = self._clock() + min(self.every, RETRY_AFTER_FAILURE)
            return 0
        self._due[link_id] = self._clock() + self.every
        return 1

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad round must not end the refreshes for good
                LOG.exception("topology_refresh_round_failed")
            await asyncio.sleep(self.tick)


def topology_component(services: Services, application: Application) -> TopologyRefresher:
    """The runtime Component (add it to `bot.wiring.default_components`)."""
    refresher = TopologyRefresher(lambda: services.netatmo)
    services.topology_changed = refresher.topology_changed
    return refresher
