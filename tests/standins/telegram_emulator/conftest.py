"""Fixtures for the playground tests: a running emulator and a real PTB Application pointed at it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from PIL import Image
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter
from telegram.request import HTTPXRequest

from standins.telegram_emulator import BotApiEmulator

AnyApp = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns about int durations unless this is set; filterwarnings=error would fail tests."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        yield emu


def make_app(
    emu: BotApiEmulator, *, rate_limiter: BaseRateLimiter | None = None, updater: bool = True
) -> AnyApp:
    """The real Application, talking HTTP to the emulator on 127.0.0.1 (no proxies from the env)."""
    builder = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.api_url)
        .base_file_url(emu.file_url)
        .request(HTTPXRequest(httpx_kwargs={"trust_env": False}))
        .get_updates_request(HTTPXRequest(httpx_kwargs={"trust_env": False}))
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if not updater:
        builder = builder.updater(None)
    return builder.build()


@asynccontextmanager
async def running(app: AnyApp, *, poll: bool = True) -> AsyncIterator[AnyApp]:
    """Manual lifecycle, as the bot runs next to its own aiohttp server."""
    await app.initialize()
    await app.start()
    if poll and app.updater is not None:
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()


def jpeg_bytes(width: int = 640, height: int = 480, color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


# Test modules do not import each other (module names would clash across test folders): the helpers
# above are handed out as fixtures.
@pytest.fixture
def app_factory() -> Callable[..., AnyApp]:
    return make_app


@pytest.fixture
def run_app() -> Callable[..., AbstractAsyncContextManager[AnyApp]]:
    return running


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    return jpeg_bytes
