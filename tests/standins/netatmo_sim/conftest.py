"""Fixtures for the simulator tests: a fresh simulator on an ephemeral loopback port per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT
from tests.standins.netatmo_sim.sim_helpers import (
    ALL_SCOPES,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    TokenFactory,
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(port=0, seed=7, webhook_timeout=1.0)) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as session:
        yield session


@pytest.fixture
def get_token(sim: Simulator, http: aiohttp.ClientSession) -> TokenFactory:
    """Run the code grant for an account and return the token JSON."""

    async def factory(account_id: str = DEMO_ACCOUNT, scope: str = ALL_SCOPES) -> dict[str, Any]:
        code = await sim.authorize(account_id, CLIENT_ID, REDIRECT, scope)
        form = {
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": REDIRECT,
        }
        async with http.post(f"{sim.base_url}/oauth2/token", data=form) as resp:
            assert resp.status == 200, await resp.text()
            token: dict[str, Any] = await resp.json()
            return token

    return factory


@pytest.fixture
async def token(get_token: TokenFactory) -> str:
    """An access token of the demo account with every scope."""
    return str((await get_token())["access_token"])


@pytest.fixture
def api(sim: Simulator, http: aiohttp.ClientSession, token: str) -> Callable[..., Awaitable[tuple[int, Any]]]:
    """Call an API endpoint with the demo token; returns (status, json)."""

    async def call(
        endpoint: str, method: str = "POST", bearer: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {bearer or token}"}
        async with http.request(method, f"{sim.base_url}/api/{endpoint}", headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()

    return call
