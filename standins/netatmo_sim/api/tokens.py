"""OAuth2 authorization codes and token pairs, with Netatmo's refresh-token rotation.

Tokens look like the real ones: `<24-hex user id>|<32 hex>`. Refreshing issues a new pair and
kills the old access and refresh tokens, so a client that keeps the old refresh token gets
`invalid_grant`, exactly the failure mode the bot must survive.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

KNOWN_SCOPES = frozenset(
    {
        "read_station",
        "read_camera",
        "write_camera",
        "access_camera",
        "read_presence",
        "write_presence",
        "access_presence",
        "read_doorbell",
        "write_doorbell",
        "access_doorbell",
        "read_camerapro",
        "write_camerapro",
        "access_camerapro",
        "read_smokedetector",
        "read_carbonmonoxidedetector",
        "read_thermostat",
        "write_thermostat",
        "read_magellan",
        "write_magellan",
        "read_bubendorff",
        "write_bubendorff",
        "read_homecoach",
        "read_mx",
        "write_mx",
        "read_smarther",
        "write_smarther",
    }
)
CODE_LIFETIME = 600


@dataclass(slots=True)
class CodeGrant:
    """A consent waiting to be exchanged at the token endpoint."""

    account_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass(slots=True)
class TokenRecord:
    """One live token pair."""

    account_id: str
    client_id: str
    scopes: tuple[str, ...]
    access_token: str
    refresh_token: str
    expires_at: float


class OAuthError(Exception):
    """A token endpoint failure: `{"error": <error>}` with HTTP 400."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def parse_scopes(raw: str | None) -> tuple[str, ...]:
    """Requested scopes (space or comma separated) that exist; read_station when none."""
    wanted = (raw or "").replace(",", " ").split()
    granted = tuple(dict.fromkeys(s for s in wanted if s in KNOWN_SCOPES))
    return granted or ("read_station",)


class TokenStore:
    """Codes and tokens of every client, indexed for lookup both ways."""

    def __init__(
        self, clients: dict[str, str], lifetime: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.clients = dict(clients)
        self.lifetime = lifetime
        self.clock = clock
        self._codes: dict[str, CodeGrant] = {}
        self._access: dict[str, TokenRecord] = {}
        self._refresh: dict[str, TokenRecord] = {}
        self.refresh_counts: Counter[str] = Counter()

    def check_client(
        self, client_id: str | None, client_secret: str | None = None, *, secret: bool = True
    ) -> str:
        """The client id if known (and the secret right); else invalid_client."""
        if not client_id or client_id not in self.clients:
            raise OAuthError("invalid_client")
        if secret and not secrets.compare_digest(self.clients[client_id], client_secret or ""):
            raise OAuthError("invalid_client")
        return client_id

    def new_code(self, account_id: str, client_id: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        """Record a consent; return the code (32 hex) the redirect carries."""
        code = secrets.token_hex(16)
        self._codes[code] = CodeGrant(
            account_id, client_id, redirect_uri, scopes, self.clock() + CODE_LIFETIME
        )
        return code

    def exchange_code(self, code: str | None, client_id: str, redirect_uri: str | None) -> TokenRecord:
        """authorization_code grant: single use, same client and redirect_uri."""
        grant = self._codes.pop(code or "", None)
        if grant is None or grant.expires_at < self.clock() or grant.client_id != client_id:
            raise OAuthError("invalid_grant")
        if redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_grant")
        return self.issue(grant.account_id, client_id, grant.scopes)

    def issue(self, account_id: str, client_id: str, scopes: tuple[str, ...]) -> TokenRecord:
        """Mint a fresh pair for an account."""
        record = TokenRecord(
            account_id,
            client_id,
            scopes,
            f"{account_id}|{secrets.token_hex(16)}",
            f"{account_id}|{secrets.token_hex(16)}",
            self.clock() + self.lifetime,
        )
        self._access[record.access_token] = record
        self._refresh[record.refresh_token] = record
        return record

    def refresh(self, refresh_token: str | None, client_id: str) -> TokenRecord:
        """refresh_token grant: rotate the pair and kill the old one."""
        old = self._refresh.get(refresh_token or "")
        if old is None or old.client_id != client_id:
            raise OAuthError("invalid_grant")
        self._drop(old)
        self.refresh_counts[old.account_id] += 1
        return self.issue(old.account_id, client_id, old.scopes)

    def lookup(self, access_token: str) -> tuple[TokenRecord | None, str]:
        """(record, "") when valid; (None, "invalid") or (record, "expired") otherwise."""
        record = self._access.get(access_token)
        if record is None:
            return None, "invalid"
        if record.expires_at <= self.clock():
            return record, "expired"
        return record, ""

    def _drop(self, record: TokenRecord) -> None:
        self._access.pop(record.access_token, None)
        self._refresh.pop(record.refresh_token, None)

    def revoke(self, account_id: str) -> int:
        """Kill every token of an account (the user unlinked the app); return how many."""
        doomed = [r for r in self._access.values() if r.account_id == account_id]
        for record in doomed:
            self._drop(record)
        return len(doomed)

    def expire(self, account_id: str) -> int:
        """Make the account's access tokens expired now (refresh still works)."""
        records = [r for r in self._access.values() if r.account_id == account_id]
        for record in records:
            record.expires_at = self.clock() - 1
        return len(records)
