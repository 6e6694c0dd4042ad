"""Every HTTP request to Netatmo's API goes through `Transport.send`: budget, token, refresh, error mapping.

One function does it so pyatmo's calls (through `LinkAuth`) and our direct calls (getscenarios, image
fetches) are budgeted and mapped the same way; nothing else in the bot opens a connection to Netatmo.
"""

from __future__ import annotations

import json as jsonlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.config import Settings
from bot.netatmo.budget import RequestBudget
from bot.netatmo.errors import (
    CODE_CONCURRENCY,
    CODE_INVALID_TOKEN,
    CODE_TOKEN_EXPIRED,
    LinkBroken,
    NetatmoUnavailable,
    Throttled,
    error_code,
    map_api_error,
    parse_retry_after,
)
from bot.netatmo.tokens import TokenStore

LOG = logging.getLogger(__name__)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20)


@dataclass
class Reply:
    """A read Netatmo answer: the aiohttp response (body cached, for pyatmo) and its raw bytes."""

    response: aiohttp.ClientResponse
    raw: bytes

    def json(self) -> dict[str, Any]:
        try:
            data = jsonlib.loads(self.raw) if self.raw else {}
        except ValueError:
            raise NetatmoUnavailable("Netatmo answered with something that is not JSON") from None
        return data if isinstance(data, dict) else {"body": data}


class Transport:
    """Sends requests on behalf of a link (or of a bare token during linking)."""

    def __init__(
        self, tokens: TokenStore, budget: RequestBudget, http: aiohttp.ClientSession, settings: Settings
    ) -> None:
        self.tokens = tokens
        self.budget = budget
        self.http = http
        self.api_base = settings.netatmo_api_url
        base = urlsplit(settings.netatmo_api_url)
        self._api_host = base.netloc
        self._api_prefix = f"{base.path.rstrip('/')}/api/"

    def is_api_url(self, url: str) -> bool:
        """A Netatmo REST call (budgeted, with our bearer token), not a camera or snapshot URL."""
        parts = urlsplit(url)
        return parts.netloc == self._api_host and parts.path.startswith(self._api_prefix)

    def url(self, endpoint: str) -> str:
        return f"{self.api_base}/{endpoint.lstrip('/')}"

    async def send(
        self,
        link_id: int,
        method: str,
        url: str,
        *,
        data: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        scope_hint: str | None = None,
        max_wait: float | None = None,
    ) -> Reply:
        """One API call for a link; refreshes and retries once on code 2/3, raises typed errors."""
        for attempt in (0, 1):
            grant = await self.tokens.current(link_id)
            reply = await self._once(
                grant.token,
                grant.account_key,
                method,
                url,
                data=data,
                json=json,
                query=query,
                max_wait=max_wait,
            )
            status = reply.response.status
            if status < 400:
                return reply
            payload = _payload(reply.raw)
            code = error_code(payload)
            if code in (CODE_INVALID_TOKEN, CODE_TOKEN_EXPIRED):
                if attempt == 0:
                    await self.tokens.refresh(link_id, grant.version)
                    continue
                if code == CODE_INVALID_TOKEN:
                    await self.tokens.mark_broken(link_id, "access token refused right after refresh")
                    raise LinkBroken("access token refused after refresh")
            raise self._failure(grant.account_key, reply, payload, url, scope_hint)
        raise NetatmoUnavailable("token expired again right after refresh")  # pragma: no cover

    async def send_with_token(
        self, token: str, account_key: str, method: str, url: str, *, data: dict[str, Any] | None = None
    ) -> Reply:
        """A call with a token not yet stored (linking reads the homes before it saves the link)."""
        reply = await self._once(token, account_key, method, url, data=data)
        if reply.response.status >= 400:
            raise self._failure(account_key, reply, _payload(reply.raw), url, None)
        return reply

    async def _once(
        self,
        token: str,
        account_key: str,
        method: str,
        url: str,
        *,
        data: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        max_wait: float | None = None,
    ) -> Reply:
        await self.budget.acquire(account_key, max_wait=max_wait)
        kwargs: dict[str, Any] = {"params": query} if query else {}
        if json is not None:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = _form(data)
        try:
            async with self.http.request(
                method,
                url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=REQUEST_TIMEOUT,
                **kwargs,
            ) as response:
                raw = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            delay = self.budget.penalize(account_key)
            LOG.warning(
                "netatmo_call_failed endpoint=%s error=%s backoff=%.0f",
                _path(url),
                type(exc).__name__,
                delay,
            )
            raise NetatmoUnavailable(f"{_path(url)}: {type(exc).__name__}") from None
        if response.status < 400:
            self.budget.succeeded(account_key)
        return Reply(response, raw)

    def _failure(
        self,
        account_key: str,
        reply: Reply,
        payload: Any,
        url: str,
        scope_hint: str | None,
    ) -> Exception:
        status = reply.response.status
        code = error_code(payload)
        retry_after = parse_retry_after(reply.response.headers.get("Retry-After"))
        if retry_after is None and code == CODE_CONCURRENCY:
            retry_after = 2.0
        error = map_api_error(
            status, payload, endpoint=_path(url), scope_hint=scope_hint, retry_after=retry_after
        )
        if isinstance(error, Throttled | NetatmoUnavailable):
            # Without Retry-After the backoff doubles from 5 s per refusal in a row (5, 10, 20 … 600 s):
            # a short burst over the 10-second window costs a user's write a few seconds, a spent
            # hourly allowance quickly backs off far. The error tells the delay actually applied.
            delay = self.budget.penalize(account_key, retry_after)
            if isinstance(error, Throttled):
                error.retry_after = delay
        LOG.warning(
            "netatmo_call_failed endpoint=%s status=%s code=%s error=%s",
            _path(url),
            status,
            code,
            type(error).__name__,
        )
        return error


def _payload(raw: bytes) -> Any:
    try:
        return jsonlib.loads(raw) if raw else {}
    except ValueError:
        return {}


def _form(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Form fields as Netatmo expects them: `key[]` lists repeated, other lists/dicts as JSON."""
    form: list[tuple[str, str]] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            form.append((key, "true" if value else "false"))
        elif isinstance(value, list) and key.endswith("[]"):
            form.extend((key, str(item)) for item in value)
        elif isinstance(value, list | dict):
            form.append((key, jsonlib.dumps(value)))
        else:
            form.append((key, str(value)))
    return form


def _path(url: str) -> str:
    """The path only: query strings and camera URL paths may carry secrets."""
    parts = urlsplit(url)
    path = parts.path
    return path if path.startswith("/api/") or path.startswith("/oauth2/") else f"{parts.netloc}/…"
