"""pyatmo's auth seam, backed by our token store and transport.

pyatmo funnels every call through `AbstractAsyncAuth` (`async_post_api_request` and friends). Overriding
those methods (not only `async_get_access_token`) puts pyatmo's topology, status, setters and WebRTC
calls through the same budget, refresh and error mapping as our direct calls, and replaces pyatmo's own
tenacity retries, which know only 429 code 11.

Requests to other hosts (a camera's VPN or local URL, which pyatmo pings) carry no bearer token and use
no budget: they are not Netatmo API calls, and the token must not leave api.netatmo.com.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from pyatmo.auth import AbstractAsyncAuth
from pyatmo.exceptions import ApiError

from bot.netatmo.errors import DeviceUnreachable, NetatmoError, NetatmoUnavailable
from bot.netatmo.transport import REQUEST_TIMEOUT, Transport


class LinkAuth(AbstractAsyncAuth):
    """The auth object of one link: tokens from the store, requests through the transport."""

    def __init__(self, transport: Transport, link_id: int) -> None:
        super().__init__(transport.http, base_url=f"{transport.api_base}/")
        self._transport = transport
        self.link_id = link_id

    async def async_get_access_token(self) -> str:
        return (await self._transport.tokens.current(self.link_id)).token

    async def _request(self, method: str, url: str, params: dict[str, Any] | None) -> aiohttp.ClientResponse:
        arguments = self.prepare_request_arguments(dict(params) if params else None)
        if not self._transport.is_api_url(url):
            return await self._foreign(method, url, arguments)
        reply = await self._transport.send(
            self.link_id,
            method,
            url,
            data=arguments.get("data"),
            json=arguments.get("json"),
            query=arguments.get("params"),
        )
        return reply.response

    async def _foreign(self, method: str, url: str, arguments: dict[str, Any]) -> aiohttp.ClientResponse:
        try:
            async with self.websession.request(method, url, timeout=REQUEST_TIMEOUT, **arguments) as resp:
                await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ApiError(f"camera URL unreachable: {type(exc).__name__}") from None
        if not resp.ok:
            raise ApiError(f"camera URL answered {resp.status}", status=resp.status)
        return resp

    async def async_post_api_request(  # type: ignore[override]
        self, endpoint: str, base_url: str | None = None, params: dict[str, Any] | None = None
    ) -> aiohttp.ClientResponse:
        return await self._request("POST", (base_url or self.base_url) + endpoint, params)

    async def async_post_request(
        self, url: str, params: dict[str, Any] | None = None
    ) -> aiohttp.ClientResponse:
        return await self._request("POST", url, params)

    async def async_get_api_request(  # type: ignore[override]
        self, endpoint: str, base_url: str | None = None, params: dict[str, Any] | None = None
    ) -> aiohttp.ClientResponse:
        return await self._request("GET", (base_url or self.base_url) + endpoint, {"params": params or {}})

    async def async_get_request(
        self, url: str, params: dict[str, Any] | None = None
    ) -> aiohttp.ClientResponse:
        return await self._request("GET", url, {"params": params or {}})

    async def async_delete_api_request(  # type: ignore[override]
        self, endpoint: str, base_url: str | None = None
    ) -> aiohttp.ClientResponse:
        return await self._request("DELETE", (base_url or self.base_url) + endpoint, None)

    async def async_delete_request(self, url: str) -> aiohttp.ClientResponse:
        return await self._request("DELETE", url, None)

    async def async_get_image(
        self, endpoint: str, base_url: str | None = None, params: dict[str, Any] | None = None
    ) -> bytes:
        url = (base_url or self.base_url) + endpoint
        try:
            return await fetch_image(self._transport, self.link_id, url, params)
        except NetatmoError as exc:
            raise ApiError(str(exc)) from exc


IMAGE_TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_IMAGE_BYTES = 10 * 1024 * 1024


async def fetch_image(
    transport: Transport, link_id: int | None, url: str, params: dict[str, Any] | None = None
) -> bytes:
    """A JPEG from a snapshot or camera URL; API-host URLs are authenticated and budgeted (and so need
    `link_id`)."""
    if transport.is_api_url(url):
        if link_id is None:
            raise ValueError(f"a Netatmo API URL needs a link to be fetched with: {url}")
        reply = await transport.send(link_id, "GET", url, query=params)
        raw, content_type = reply.raw, reply.response.headers.get("Content-Type", "")
    else:
        try:
            async with transport.http.get(url, params=params, timeout=IMAGE_TIMEOUT) as resp:
                if resp.status >= 500 or resp.status == 404:
                    raise DeviceUnreachable(f"camera URL answered {resp.status}")
                if resp.status >= 400:
                    raise NetatmoUnavailable(f"camera URL answered {resp.status}")
                raw = await resp.content.read(MAX_IMAGE_BYTES + 1)
                content_type = resp.headers.get("Content-Type", "")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeviceUnreachable(f"camera URL unreachable: {type(exc).__name__}") from None
    if len(raw) > MAX_IMAGE_BYTES:
        raise NetatmoUnavailable("image larger than 10 MB")
    if not (content_type.startswith("image/") or raw[:3] == b"\xff\xd8\xff"):
        raise NetatmoUnavailable(f"not an image ({content_type or 'no content type'})")
    return raw
