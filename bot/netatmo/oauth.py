"""Netatmo's OAuth2 endpoints: the authorize URL, the code exchange and the refresh grant.

The state parameter is the only thing tying a browser's consent to the Telegram user who asked, so it is
random (192 bits), stored only as its SHA-256, and checked by `bot.linking.service`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.config import Settings
from bot.netatmo.errors import NetatmoUnavailable
from bot.netatmo.scopes import scope_string

LOG = logging.getLogger(__name__)

TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=20)


class GrantRefused(Exception):
    """Netatmo refused the code or refresh token (`invalid_grant` and friends): nothing to retry."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: list[str]

    @property
    def netatmo_user_id(self) -> str | None:
        """Netatmo tokens are `<24-hex user id>|<32 hex>`; the prefix names the account."""
        prefix, sep, _ = self.access_token.partition("|")
        return prefix if sep and prefix else None


def new_state() -> str:
    """A fresh state: 24 random bytes, URL-safe (192 bits, above the 128 required)."""
    return secrets.token_urlsafe(24)


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def authorize_url(settings: Settings, state: str) -> str:
    query = urlencode(
        {
            "client_id": settings.netatmo_client_id,
            "redirect_uri": settings.oauth_redirect_uri,
            "scope": scope_string(),
            "state": state,
        }
    )
    return f"{settings.netatmo_api_url}/oauth2/authorize?{query}"


def _parse_pair(payload: dict[str, Any]) -> TokenPair:
    access = payload.get("access_token")
    refresh = payload.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise NetatmoUnavailable("token response without tokens")
    expires_in = payload.get("expires_in", payload.get("expire_in", 10800))
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        seconds = 10800.0
    scope = payload.get("scope", [])
    scopes = scope.split() if isinstance(scope, str) else [str(item) for item in scope or []]
    return TokenPair(access, refresh, datetime.now(UTC) + timedelta(seconds=seconds), scopes)


async def _token_request(http: aiohttp.ClientSession, settings: Settings, form: dict[str, str]) -> TokenPair:
    url = f"{settings.netatmo_api_url}/oauth2/token"
    form = {"client_id": settings.netatmo_client_id, "client_secret": settings.netatmo_client_secret, **form}
    try:
        async with http.post(url, data=form, timeout=TOKEN_TIMEOUT) as resp:
            status = resp.status
            raw = await resp.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise NetatmoUnavailable(f"token endpoint unreachable: {type(exc).__name__}") from None
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = {}
    if status >= 500 or status == 429:
        raise NetatmoUnavailable(f"token endpoint answered HTTP {status}")
    if status >= 400 or not isinstance(payload, dict):
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        raise GrantRefused(str(error or f"http_{status}")[:64])
    return _parse_pair(payload)


async def exchange_code(http: aiohttp.ClientSession, settings: Settings, code: str) -> TokenPair:
    """Trade an authorization code for the first token pair."""
    pair = await _token_request(
        http,
        settings,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": settings.oauth_redirect_uri,
            "scope": scope_string(),
        },
    )
    LOG.info("oauth_code_exchanged scopes=%d", len(pair.scopes))
    return pair


async def refresh_grant(http: aiohttp.ClientSession, settings: Settings, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair; Netatmo invalidates the old pair at once."""
    return await _token_request(
        http, settings, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
