"""POST /netatmo/webhook: signature checked before anything, 2xx at once, payload handed to the watcher."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.alerts.inbox import INBOX_SIZE
from bot.config import Settings
from bot.services import Services
from bot.storage.crypto import TokenCipher
from bot.storage.engine import create_engine, create_session_factory
from bot.web.netatmo_webhook import register_netatmo_webhook, signature
from bot.web.server import build_web_app

SECRET = "client-secret-123"
BODY = json.dumps({"push_type": "NACamera-movement", "event_id": "e1", "home_id": "h1"}).encode()


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(_env_file=None, netatmo_client_secret=SECRET)  # type: ignore[call-arg]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    http = aiohttp.ClientSession()
    try:
        yield Services(settings, create_session_factory(engine), TokenCipher(Fernet.generate_key()), http)
    finally:
        await http.close()
        await engine.dispose()


@pytest.fixture
async def client(
    services: Services,
) -> AsyncIterator[TestClient[aiohttp.web.Request, aiohttp.web.Application]]:
    app = build_web_app(services, [register_netatmo_webhook])
    async with TestClient(TestServer(app, host="127.0.0.1")) as running:
        yield running


async def _post(client: TestClient, body: bytes, sig: str | None) -> tuple[int, str]:  # type: ignore[type-arg]
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["X-Netatmo-secret"] = sig
    async with client.post("/netatmo/webhook", data=body, headers=headers) as response:
        return response.status, await response.text()


def test_signature_is_lowercase_hex_hmac_sha256() -> None:
    # The published HMAC-SHA256 test vector (key "key", the quick brown fox)
    assert (
        signature(b"The quick brown fox jumps over the lazy dog", "key")
        == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


async def test_good_signature_is_queued(client: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    assert await _post(client, BODY, signature(BODY, SECRET)) == (200, "queued")
    push = services.inbox.get_nowait()
    assert push.payload["event_id"] == "e1" and push.received_at.tzinfo is not None
    # upper-case hex is the same signature
    assert (await _post(client, BODY, signature(BODY, SECRET).upper()))[0] == 200


@pytest.mark.parametrize("sig", [None, "", "00" * 32, "not-hex", signature(BODY, "other-secret")])
async def test_bad_or_missing_signature_is_401_and_nothing_queued(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    sig: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert (await _post(client, BODY, sig))[0] == 401
    assert services.inbox.empty()
    assert "netatmo_webhook_rejected" in caplog.text
    assert SECRET not in caplog.text


async def test_signature_over_a_tampered_body_fails(client: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    sig = signature(BODY, SECRET)
    assert (await _post(client, BODY.replace(b"e1", b"e2"), sig))[0] == 401
    assert services.inbox.empty()


async def test_no_client_secret_rejects_everything(tmp_path: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with aiohttp.ClientSession() as http:
        services = Services(
            settings, create_session_factory(engine), TokenCipher(Fernet.generate_key()), http
        )
        app = build_web_app(services, [register_netatmo_webhook])
        async with TestClient(TestServer(app, host="127.0.0.1")) as running:
            assert (await _post(running, BODY, signature(BODY, "")))[0] == 401
    await engine.dispose()


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b"\xff\xfe", b""])
async def test_malformed_signed_body_is_acknowledged_and_logged(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await _post(client, body, signature(body, SECRET)) == (200, "ignored")
    assert services.inbox.empty()
    assert "netatmo_webhook_malformed" in caplog.text


async def test_full_queue_drops_with_a_2xx(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = services.inbox
    sig = signature(BODY, SECRET)
    for _ in range(INBOX_SIZE):
        assert (await _post(client, BODY, sig))[0] == 200
    with caplog.at_level(logging.WARNING):
        assert await _post(client, BODY, sig) == (200, "busy")
    assert inbox.qsize() == INBOX_SIZE
    assert "netatmo_webhook_dropped reason=queue_full" in caplog.text
