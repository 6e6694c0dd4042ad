"""The gateway against the simulator: refresh single-flight, broken links, error mapping, API methods."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.netatmo import transport
from bot.netatmo.budget import RequestBudget
from bot.netatmo.errors import (
    DeviceUnreachable,
    InvalidRequest,
    LinkBroken,
    MissingScope,
    NetatmoUnavailable,
    NotLinked,
    Throttled,
)
from bot.storage.models import NetatmoLink
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT, HOME_ONE_ID, HOME_TWO_ID

ROOMY = RequestBudget(((10_000, 10.0), (100_000, 3600.0)))


def lift_simulator_limits(simulator: Any) -> None:
    """Bursts of 100 calls test single-flight refresh, not the rate limit (tested in tests/chat)."""
    simulator.state.limiter.per_10s = simulator.state.limiter.per_hour = 100_000


async def _link_row(harness: Any, link_id: int) -> NetatmoLink:
    async with harness.sessions() as session:
        link = await session.get(NetatmoLink, link_id)
        assert link is not None
        return link


async def test_homes_status_and_events(make_gateway: Any) -> None:
    harness = await make_gateway()
    link_id = await harness.link()
    homes = {home.id: home for home in await harness.gateway.homes(link_id)}
    assert set(homes) == {HOME_ONE_ID, HOME_TWO_ID}
    assert homes[HOME_ONE_ID].cameras and homes[HOME_ONE_ID].timezone
    status = await harness.gateway.home_status(link_id, HOME_ONE_ID)
    assert status["home"]["id"] == HOME_ONE_ID
    camera = homes[HOME_ONE_ID].cameras[0]
    event_id = await harness.simulator.trigger_event(HOME_ONE_ID, camera.id, "movement")
    events = await harness.gateway.get_events(link_id, HOME_ONE_ID, size=10)
    assert any(event["id"] == event_id for event in events)
    assert await harness.gateway.link_for_home(HOME_ONE_ID) == link_id
    assert await harness.gateway.link_for_home("0" * 24) is None


async def test_pyatmo_account_goes_through_our_auth(make_gateway: Any) -> None:
    harness = await make_gateway()
    link_id = await harness.link()
    account = await harness.gateway.account(link_id)
    assert set(account.homes) == {HOME_ONE_ID, HOME_TWO_ID}
    assert await harness.gateway.account(link_id) is account  # cached
    await account.async_update_status(HOME_ONE_ID)
    counters = await harness.simulator.counters(DEMO_ACCOUNT)
    assert counters["total"] == harness.gateway.budget.used(f"netatmo:{DEMO_ACCOUNT}", 3600)


async def test_monitoring_scenarios_and_webhooks(make_gateway: Any) -> None:
    harness = await make_gateway()
    link_id = await harness.link()
    homes = await harness.gateway.homes(link_id)
    camera = next(home for home in homes if home.id == HOME_ONE_ID).cameras[0]
    await harness.gateway.set_monitoring(link_id, HOME_ONE_ID, camera.id, False)
    await harness.gateway.set_monitoring(link_id, HOME_ONE_ID, camera.id, False)  # "Already off" is fine
    await harness.simulator.set_device_online(camera.id, False)
    with pytest.raises(DeviceUnreachable):
        await harness.gateway.set_monitoring(link_id, HOME_ONE_ID, camera.id, True)
    found = {home.id: await harness.gateway.scenarios(link_id, home.id) for home in homes}
    scenario_home, scenarios = next((home_id, items) for home_id, items in found.items() if items)
    await harness.gateway.launch_scenario(link_id, scenario_home, scenarios[0])
    with pytest.raises(InvalidRequest):
        await harness.gateway.launch_scenario(link_id, scenario_home, "no-such-scenario")
    await harness.gateway.add_webhook(link_id, "http://127.0.0.1:9/netatmo/webhook")
    assert (await _link_row(harness, link_id)).webhook_registered_at is not None
    await harness.gateway.drop_webhook(link_id)
    assert (await _link_row(harness, link_id)).webhook_registered_at is None
    writes = [entry["endpoint"] for entry in await harness.simulator.write_log()]
    assert "setstate" in " ".join(writes)


async def test_one_refresh_for_100_concurrent_calls_when_netatmo_says_expired(
    make_gateway: Any,
) -> None:
    harness = await make_gateway(budget=ROOMY)
    lift_simulator_limits(harness.simulator)
    link_id = await harness.link()
    await harness.simulator.expire_tokens(DEMO_ACCOUNT)  # our clock still thinks the token is valid
    results = await asyncio.gather(*(harness.gateway.home_status(link_id, HOME_ONE_ID) for _ in range(100)))
    assert all(result["home"]["id"] == HOME_ONE_ID for result in results)
    assert (await harness.simulator.counters(DEMO_ACCOUNT))["refreshes"] == 1
    assert harness.gateway.tokens.refreshes == 1
    assert (await _link_row(harness, link_id)).token_version == 1


async def test_one_refresh_for_100_concurrent_calls_before_expiry(make_gateway: Any) -> None:
    harness = await make_gateway(budget=ROOMY)
    lift_simulator_limits(harness.simulator)
    link_id = await harness.link()
    async with harness.sessions.begin() as session:
        await session.execute(update(NetatmoLink).values(expires_at=datetime.now(UTC)))
    harness.gateway.forget(link_id)
    await asyncio.gather(*(harness.gateway.home_status(link_id, HOME_ONE_ID) for _ in range(100)))
    assert (await harness.simulator.counters(DEMO_ACCOUNT))["refreshes"] == 1
    link = await _link_row(harness, link_id)
    assert link.token_version == 1 and link.refresh_lock_until is None
    assert link.expires_at > datetime.now(UTC)


async def test_two_replicas_refresh_once(make_gateway: Any, database_url: str) -> None:
    """Two gateways on one database (two replicas) with an expired token: one refresh between them.

    Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (row lock + compare-and-set)."""
    first = await make_gateway(budget=ROOMY, database_url=database_url)
    second = await make_gateway(
        budget=RequestBudget(((10_000, 10.0), (100_000, 3600.0))), database_url=database_url
    )
    lift_simulator_limits(first.simulator)
    link_id = await first.link()
    async with first.sessions.begin() as session:
        await session.execute(update(NetatmoLink).values(expires_at=datetime.now(UTC)))
    calls = [gw.gateway.home_status(link_id, HOME_ONE_ID) for gw in (first, second) for _ in range(20)]
    await asyncio.gather(*calls)
    assert (await first.simulator.counters(DEMO_ACCOUNT))["refreshes"] == 1
    assert first.gateway.tokens.refreshes + second.gateway.tokens.refreshes == 1


async def test_revoked_tokens_break_the_link_and_notify_once(make_gateway: Any) -> None:
    harness = await make_gateway(budget=ROOMY)
    lift_simulator_limits(harness.simulator)
    link_id = await harness.link()
    await harness.simulator.revoke_tokens(DEMO_ACCOUNT)
    outcomes = await asyncio.gather(
        *(harness.gateway.home_status(link_id, HOME_ONE_ID) for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(outcome, LinkBroken) for outcome in outcomes)
    assert harness.broken_notices == [1001]
    link = await _link_row(harness, link_id)
    assert link.state == "broken" and link.broken_notified_at is not None
    assert await harness.gateway.link_for_home(HOME_ONE_ID) is None  # alerts for the home stop
    with pytest.raises(LinkBroken):
        await harness.gateway.homes(link_id)
    assert harness.broken_notices == [1001]
    # Relinking restores it and resets the notice.
    assert await harness.link() == link_id
    link = await _link_row(harness, link_id)
    assert link.state == "active" and link.broken_notified_at is None
    assert await harness.gateway.link_for_home(HOME_ONE_ID) == link_id


async def test_unknown_link_is_not_linked(make_gateway: Any) -> None:
    harness = await make_gateway()
    with pytest.raises(NotLinked):
        await harness.gateway.home_status(999, HOME_ONE_ID)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 26, Throttled),
        (429, 11, Throttled),
        (403, 26, Throttled),
        (403, 13, MissingScope),
        (500, None, NetatmoUnavailable),
        (503, 0, NetatmoUnavailable),
        (400, 21, InvalidRequest),
    ],
)
async def test_errors_are_mapped(make_gateway: Any, status: int, code: int | None, expected: type) -> None:
    harness = await make_gateway()
    link_id = await harness.link()
    await harness.simulator.fail_next("homestatus", status, code)
    with pytest.raises(expected):
        await harness.gateway.home_status(link_id, HOME_ONE_ID)
    if expected in (Throttled, NetatmoUnavailable):
        # Backoff: the next call waits (here: longer than allowed, so it is refused at once).
        with pytest.raises(Throttled):
            await harness.gateway.api(link_id, "api/homestatus", {"home_id": HOME_ONE_ID}, max_wait=0.1)


async def test_timeouts_become_unavailable(make_gateway: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp

    monkeypatch.setattr(transport, "REQUEST_TIMEOUT", aiohttp.ClientTimeout(total=0.3))
    harness = await make_gateway()
    link_id = await harness.link()
    await harness.simulator.fail_next("homestatus", 200, hang=True)
    with pytest.raises(NetatmoUnavailable):
        await harness.gateway.home_status(link_id, HOME_ONE_ID)


async def test_tokens_never_in_plain_text_in_database_or_logs(
    make_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = await make_gateway(budget=ROOMY)
    link_id = await harness.link()
    await harness.simulator.expire_tokens(DEMO_ACCOUNT)
    await harness.gateway.home_status(link_id, HOME_ONE_ID)  # forces a refresh: a second pair
    tokens = harness.simulator.state.tokens
    live = [record for record in tokens._access.values() if record.account_id == DEMO_ACCOUNT]
    secrets = {value for record in live for value in (record.access_token, record.refresh_token)}
    secrets |= {value.split("|")[1] for value in secrets}
    assert secrets
    async with harness.sessions() as session:
        stored = (await session.scalars(select(NetatmoLink))).one()
        assert harness.gateway.cipher.decrypt(stored.access_token_enc) in secrets
    await harness.engine.dispose()  # flush WAL into the file before reading it
    raw = harness.db_path.read_bytes()
    for path in harness.db_path.parent.glob("bot.db*"):
        raw += path.read_bytes()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret.encode() not in raw
        assert secret not in logs
