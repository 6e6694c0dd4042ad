from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.netatmo_api_url == "https://api.netatmo.com"
    assert settings.public_url == "http://127.0.0.1:8080"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.effective_database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.webrtc_ice_servers == ["stun:stun.l.google.com:19302"]
    assert settings.oauth_redirect_uri == "http://127.0.0.1:8080/oauth/callback"
    assert settings.netatmo_webhook_url == "http://127.0.0.1:8080/netatmo/webhook"
    assert settings.log_level == "INFO"


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:from-dotenv\nWEB_PORT=9000\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBRTC_ICE_SERVERS", "stun:a.example:3478, turn:b.example")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "state"))
    settings = load_settings()
    assert settings.telegram_bot_token == "1:from-dotenv"
    assert settings.web_port == 9000
    assert settings.log_level == "DEBUG"
    assert settings.webrtc_ice_servers == ["stun:a.example:3478", "turn:b.example"]
    assert settings.effective_database_url.endswith("/state/bot.db")


def test_empty_ice_servers_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBRTC_ICE_SERVERS", "")
    assert Settings(_env_file=None).webrtc_ice_servers == []  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WEB_PORT", "eighty"), ("NETATMO_API_URL", "api.netatmo.com"), ("TELEGRAM_WEBHOOK_SECRET", "a b")],
)
def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert variable in str(error.value)


def test_missing_token_explains_what_to_do() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*@BotFather"):
        settings.require_telegram()
    with pytest.raises(ConfigError, match="NETATMO_CLIENT_ID and NETATMO_CLIENT_SECRET"):
        settings.require_netatmo()


def test_webhook_secret_is_derived_the_same_on_every_replica() -> None:
    one = Settings(_env_file=None, telegram_bot_token="1:abc")  # type: ignore[call-arg]
    two = Settings(_env_file=None, telegram_bot_token="1:abc")  # type: ignore[call-arg]
    other = Settings(_env_file=None, telegram_bot_token="1:xyz")  # type: ignore[call-arg]
    assert one.effective_webhook_secret == two.effective_webhook_secret != other.effective_webhook_secret
    assert "1:abc" not in one.effective_webhook_secret
    explicit = Settings(_env_file=None, telegram_webhook_secret="s3cret_-")  # type: ignore[call-arg]
    assert explicit.effective_webhook_secret == "s3cret_-"


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://bot.example.org", True),
        ("http://bot.example.org", False),
        ("https://127.0.0.1:8443", False),
        ("https://192.168.1.10", False),
        ("https://localhost", False),
    ],
)
def test_public_url_is_public_only_for_https_on_a_reachable_host(url: str, public: bool) -> None:
    assert Settings(_env_file=None, public_url=url).public_url_is_public is public  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("mode", "url", "expected"),
    [
        ("auto", "https://bot.example.org", True),
        ("auto", "http://127.0.0.1:8080", False),
        ("on", "http://127.0.0.1:8080", True),
        ("OFF", "https://bot.example.org", False),
    ],
)
def test_netatmo_webhooks_setting(mode: str, url: str, expected: bool) -> None:
    settings = Settings(_env_file=None, netatmo_webhooks=mode, public_url=url)  # type: ignore[call-arg]
    assert settings.register_netatmo_webhooks is expected
