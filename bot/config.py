"""Settings read from the environment and `.env`: the variables the README lists, and nothing else.

Every value is validated here, once, so that a mistake in `.env` is reported at start-up with the name of
the variable and what to do, instead of surfacing later as an obscure failure deep in a request.
"""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ICE_SERVERS = ["stun:stun.l.google.com:19302"]


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable and the fix."""


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Settings(BaseSettings):
    """The bot's configuration; field names are the environment variable names in lower case."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    netatmo_client_id: str = ""
    netatmo_client_secret: str = ""
    netatmo_api_url: str = "https://api.netatmo.com"
    public_url: str = "http://127.0.0.1:8080"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("./data")
    database_url: str = ""
    token_encryption_key: str = ""
    webrtc_ice_servers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ICE_SERVERS)
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    netatmo_webhooks: Literal["auto", "on", "off"] = "auto"
    delivery_lease_seconds: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("webrtc_ice_servers", mode="before")
    @classmethod
    def _split_ice_servers(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("netatmo_webhooks", mode="before")
    @classmethod
    def _lower_webhooks(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_url", "netatmo_api_url", "public_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not _is_http_url(value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("telegram_webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str) -> str:
        if value and not _is_http_url(value):
            raise ValueError("must be empty or an https:// URL that routes to /telegram/webhook")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_secret(cls, value: str) -> str:
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if value and (len(value) > 256 or not set(value) <= allowed):
            raise ValueError("may hold only A-Z, a-z, 0-9, _ and -, at most 256 characters")
        return value

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the SQLite file under DATA_DIR when it is not set."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bot.db').as_posix()}"

    @property
    def effective_webhook_secret(self) -> str:
        """The configured secret, or one derived from the bot token.

        Derived rather than random so that every replica computes the same value with no shared state.
        """
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret
        digest = hashlib.sha256(f"telegram-webhook:{self.telegram_bot_token}".encode()).hexdigest()
        return digest[:48]

    @property
    def oauth_redirect_uri(self) -> str:
        return f"{self.public_url}/oauth/callback"

    @property
    def netatmo_webhook_url(self) -> str:
        return f"{self.public_url}/netatmo/webhook"

    @property
    def public_url_is_public(self) -> bool:
        """Whether Netatmo could reach PUBLIC_URL: https on a host that is not loopback or private."""
        parts = urlsplit(self.public_url)
        if parts.scheme != "https" or not parts.hostname:
            return False
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return parts.hostname != "localhost"
        return address.is_global

    @property
    def register_netatmo_webhooks(self) -> bool:
        """Whether to ask Netatmo to push events to {PUBLIC_URL}/netatmo/webhook.

        "auto" registers only when Netatmo can reach PUBLIC_URL (https on a public host); "on" forces it,
        for a reverse proxy on a private name or the local simulator; "off" relies on polling alone.
        """
        if self.netatmo_webhooks == "auto":
            return self.public_url_is_public
        return self.netatmo_webhooks == "on"

    def require_telegram(self) -> None:
        """Raise ConfigError when the bot cannot talk to Telegram."""
        if not self.telegram_bot_token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather (/newbot) and put its token "
                "in .env as TELEGRAM_BOT_TOKEN=123456:ABC..."
            )

    def require_netatmo(self) -> None:
        """Raise ConfigError when Netatmo app credentials are missing."""
        missing = [
            name
            for name, value in (
                ("NETATMO_CLIENT_ID", self.netatmo_client_id),
                ("NETATMO_CLIENT_SECRET", self.netatmo_client_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} not set: create an app at dev.netatmo.com (My apps), set its "
                f"redirect URI to {self.oauth_redirect_uri} and put its client id and secret in .env"
            )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's errors into one ConfigError naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg']}")
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
