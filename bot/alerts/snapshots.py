"""An event's picture, fetched from Netatmo once per event however many chats receive it.

Netatmo gives a snapshot in one of three shapes: a ready URL, a legacy (image_id, key) pair for
`getcamerapicture`, or, for outdoor sub-events, a file name relative to the camera's own `vpn_url` (found
in `homestatus`). All three are fetched through the Netatmo gateway, which
owns authentication and the per-user request budget.

The bytes are kept in a small in-process cache only until Telegram has given the upload a file_id; the
other chats then get the picture by that id. Concurrent requests for one event share one fetch, and a
failed fetch is not repeated by every chat at once (`retry_after` seconds must pass), because a picture
that is not ready yet will not be ready a millisecond later either.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from bot.domain.events import SecurityEvent, SnapshotRef

LOG = logging.getLogger(__name__)


class ImageGateway(Protocol):
    """The part of `bot.netatmo.gateway.NetatmoGateway` this module uses."""

    async def image(self, link_id: int | None, url: str) -> bytes: ...

    def needs_link(self, url: str) -> bool: ...  # True for Netatmo API URLs (authenticated, budgeted)

    async def home_status(self, link_id: int, home_id: str) -> dict[str, Any]: ...

    def link_for_home(self, home_id: str) -> Any: ...  # int | None, or an awaitable of it


@dataclass
class _Entry:
    data: bytes | None = None
    file_id: str | None = None
    failed_at: float | None = None
    fetching: asyncio.Future[bytes | None] | None = None
    upload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def snapshot_url(ref: SnapshotRef, api_url: str, camera_url: str | None) -> str | None:
    """The absolute URL of a snapshot in any of Netatmo's three shapes (None when it cannot be built)."""
    if ref.url:
        return ref.url
    if ref.image_id and ref.key:
        return f"{api_url.rstrip('/')}/api/getcamerapicture?" + urlencode(
            {"image_id": ref.image_id, "key": ref.key}
        )
    if ref.filename and camera_url:
        return f"{camera_url.rstrip('/')}/{ref.filename.lstrip('/')}"
    return None


def camera_url_from_status(status: dict[str, Any], device_id: str | None) -> str | None:
    """The `vpn_url` of `device_id` in a homestatus answer (body, home or the module list itself)."""
    if device_id is None:
        return None
    node: Any = status.get("body", status)
    node = node.get("home", node) if isinstance(node, dict) else node
    modules = node.get("modules", []) if isinstance(node, dict) else []
    for module in modules if isinstance(modules, list) else []:
        if isinstance(module, dict) and module.get("id") == device_id:
            url = module.get("vpn_url") or module.get("local_url")
            return str(url) if url else None
    return None


class SnapshotStore:
    """Per-event picture cache in front of the gateway (read through a getter: the runtime may set it
    after the worker is built); one instance per delivery worker."""

    def __init__(
        self,
        gateway: Callable[[], ImageGateway | None],
        api_url: str,
        *,
        timeout: float = 3.0,
        retry_after: float = 1.5,
        capacity: int = 256,
        link_ttl: float = 30.0,
    ) -> None:
        self._gateway = gateway
        self._api_url = api_url
        self._timeout = timeout
        self._retry_after = retry_after
        self._capacity = capacity
        self._link_ttl = link_ttl
        self._links: dict[str, tuple[float, Any]] = {}
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        # Fetches started before the event was stored, by event key (see `prefetch`).
        self._early: OrderedDict[tuple[str, str, str], asyncio.Task[bytes | None]] = OrderedDict()
        self.fetches = 0  # how many times Netatmo was asked for a picture (tests, bench)

    def entry(self, event_pk: int) -> _Entry:
        found = self._entries.get(event_pk)
        if found is None:
            found = self._entries[event_pk] = _Entry()
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(event_pk)
        return found

    def upload_lock(self, event_pk: int) -> asyncio.Lock:
        """Held by the chat that uploads the picture; the others wait, then send by file_id."""
        return self.entry(event_pk).upload_lock

    def file_id(self, event_pk: int) -> str | None:
        return self.entry(event_pk).file_id

    def remember_file_id(self, event_pk: int, file_id: str) -> None:
        entry = self.entry(event_pk)
        entry.file_id = file_id
        entry.data = None  # Telegram has it now; keep no bytes

    def remember_link(self, home_id: str, link_id: int) -> None:
        """The link intake found for the home (`AlertHints.link_id`), so `_link_for_home` need not ask."""
        if len(self._links) >= 4096:
            self._links.clear()
        self._links[home_id] = (time.monotonic() + self._link_ttl, link_id)

    def prefetch(self, event: SecurityEvent) -> None:
        """Start fetching an event's picture now, while intake stores the event, so the alert does not
        wait for the download after the transaction (the usual case: a webhook with a ready URL).

        `fetch` takes the result over; a prefetch nobody takes (a duplicate, a home nobody subscribed)
        is dropped with the oldest ones. Called from the event loop, never awaits.
        """
        if event.snapshot is None or self._gateway() is None or event.key in self._early:
            return
        self._early[event.key] = asyncio.get_running_loop().create_task(self._download(event))
        while len(self._early) > self._capacity:
            _, stale = self._early.popitem(last=False)
            stale.cancel()

    async def _download_once(self, event: SecurityEvent) -> bytes | None:
        """The prefetched picture when there is one, else a download now."""
        early = self._early.pop(event.key, None)
        if early is not None:
            return await early
        return await self._download(event)

    async def fetch(self, event_pk: int, event: SecurityEvent) -> bytes | None:
        """The picture's bytes, or None when it is not ready (yet) or cannot be had."""
        if event.snapshot is None or self._gateway() is None:
            return None
        entry = self.entry(event_pk)
        if entry.data is not None:
            return entry.data
        if entry.fetching is not None:
            return await asyncio.shield(entry.fetching)
        if entry.failed_at is not None and time.monotonic() - entry.failed_at < self._retry_after:
            return None
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        entry.fetching = future
        try:
            data = await self._download_once(event)
        except BaseException:
            future.set_result(None)
            raise
        finally:
            entry.fetching = None
        if data is None:
            entry.failed_at = time.monotonic()
        else:
            entry.data, entry.failed_at = data, None
        future.set_result(data)
        return data

    async def _link_for_home(self, gateway: ImageGateway, home_id: str) -> Any:
        """The link to fetch a home's pictures with, looked up once per `link_ttl` seconds per home (a
        revoked link fails its fetch, which is then retried like any picture that is not ready)."""
        now = time.monotonic()
        cached = self._links.get(home_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        link_id = gateway.link_for_home(home_id)
        if inspect.isawaitable(link_id):
            link_id = await link_id
        if link_id is not None:
            self.remember_link(home_id, int(link_id))
        return link_id

    async def _download(self, event: SecurityEvent) -> bytes | None:
        gateway = self._gateway()
        assert gateway is not None and event.snapshot is not None
        self.fetches += 1
        try:
            async with asyncio.timeout(self._timeout):
                ready = event.snapshot.url
                data: bytes | None
                if ready and not gateway.needs_link(ready):  # a blob URL: no account, no lookup
                    data = await gateway.image(None, ready)
                else:
                    data = await self._download_with_link(gateway, event, event.snapshot)
        except TimeoutError:
            LOG.info("snapshot_not_ready event=%s reason=timeout", event.event_id)
            return None
        except Exception as exc:  # 404 while Netatmo still writes it, camera offline, throttled …
            LOG.info("snapshot_not_ready event=%s error=%s", event.event_id, type(exc).__name__)
            return None
        return data or None

    async def _download_with_link(
        self, gateway: ImageGateway, event: SecurityEvent, ref: SnapshotRef
    ) -> bytes | None:
        """The shapes that need the account: legacy `getcamerapicture`, or a file on the camera's URL."""
        link_id = await self._link_for_home(gateway, event.home_id)
        if link_id is None:
            LOG.info("snapshot_skipped event=%s reason=no_link", event.event_id)
            return None
        camera_url = None
        if ref.filename and not ref.url:
            status = await gateway.home_status(int(link_id), event.home_id)
            camera_url = camera_url_from_status(status, event.device_id)
        url = snapshot_url(ref, self._api_url, camera_url)
        if url is None:
            LOG.info("snapshot_skipped event=%s reason=no_url", event.event_id)
            return None
        return await gateway.image(int(link_id), url)
