"""Webhooks: activation, signed pushes, failure counting and deactivation, and pushes that never block
the API. That every kind of push matches the fixtures is in test_fidelity; that pyatmo reads them all is
in test_pyatmo."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from standins.netatmo_sim import Simulator
from standins.netatmo_sim.world import demo


async def test_activation_signature_and_event_push(sim: Simulator, api: Any, receiver: Any) -> None:
    assert (await api("addwebhook", data={"url": receiver.url}))[0] == 200
    await sim.drain_webhooks()
    assert len(receiver.received) == 1
    event_id = await sim.trigger_event(
        demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "person", person_id=demo.PERSON_JOHN_ID
    )
    await sim.drain_webhooks()
    for headers, body in receiver.received:
        expected = hmac.new(sim.config.client_secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Netatmo-secret"] == expected
    activation, person = receiver.payloads()
    assert activation["push_type"] == "webhook_activation" and activation["user_id"] == demo.DEMO_ACCOUNT
    assert person["push_type"] == "NACamera-person" and person["event_id"] == event_id
    assert person["persons"][0]["id"] == demo.PERSON_JOHN_ID and person["persons"][0]["is_known"] is True
    assert person["snapshot_url"].startswith(sim.base_url)


async def test_failing_endpoint_is_deactivated(sim: Simulator, api: Any, receiver: Any) -> None:
    receiver.status = 500
    await api("addwebhook", data={"url": receiver.url})
    for _ in range(5):
        await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "movement")
        await sim.drain_webhooks()
    await sim.drain_webhooks()
    kinds = [p["push_type"] for p in receiver.payloads()]
    assert kinds[-1] == "webhook_deactivation" and kinds.count("NACamera-movement") == 4
    await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "movement")
    await sim.drain_webhooks()
    assert len(receiver.received) == len(kinds)  # silent after deactivation
    receiver.status = 200
    await api("addwebhook", data={"url": receiver.url})
    await sim.trigger_event(demo.HOME_ONE_ID, demo.INDOOR_CAMERA_ID, "movement")
    await sim.drain_webhooks()
    assert [p["push_type"] for p in receiver.payloads()][-2:] == ["webhook_activation", "NACamera-movement"]


async def test_slow_endpoint_never_blocks_the_api(sim: Simulator, api: Any, receiver: Any) -> None:
    receiver.delay = 5.0  # longer than the simulator's 1 s webhook timeout
    await api("addwebhook", data={"url": receiver.url})
    started = time.monotonic()
    await api("setthermmode", data={"home_id": demo.HOME_ONE_ID, "mode": "away"})
    status, _ = await api("homestatus", data={"home_id": demo.HOME_ONE_ID})
    assert status == 200 and time.monotonic() - started < 0.5
    await sim.drain_webhooks()
    registration = next(iter(sim.state.webhooks.registrations.values()))  # type: ignore[union-attr]
    assert registration.failed >= 1


async def test_non_loopback_webhook_url_is_refused(api: Any) -> None:
    status, body = await api("addwebhook", data={"url": "https://example.com/hook"})
    assert (status, body["error"]["code"]) == (400, 21)
