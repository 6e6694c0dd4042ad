"""Intake → delivery handoff: rows inserted pre-leased to the local worker and handed over in memory; a full
worker leaves them to the periodic claim; rows pre-leased by a process that died are taken over once their
leases expire."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.delivery import delivery_handoff
from bot.alerts.hints import Expected
from bot.alerts.intake import accept
from bot.domain.events import Severity
from bot.storage import deliveries as outbox
from bot.storage.deliveries import Claimed
from tests.alerts.delivery_fixtures import (
    CAMERA,
    FAST,
    HOME,
    Harness,
    deliveries,
    jpeg,
    make_event,
    running_worker,
)
from tests.alerts.intake_fixtures import seed_home

SNAP = "https://netatmocameraimage.invalid/production/handoff.jpg"
QUIET = replace(FAST, scan_interval=60.0)  # no periodic claim while a test looks


async def _chats(emulator: Any, harness: Harness, count: int) -> list[int]:
    """`count` private chats subscribed to HOME, which an active link sees (so intake routes to them)."""
    chats = [emulator.private_chat(emulator.add_user(f"H{i}")).id for i in range(count)]
    await seed_home(harness.sessions, HOME, chats=chats, owner=chats[0], devices=((CAMERA, "NOC"),))
    return chats


def _count_claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every `claim_due` call from now on (its limit), so a test can tell whether the worker claimed."""
    calls: list[int] = []
    original = outbox.claim_due

    async def counting(sessions: Any, owner: str, lease_seconds: float, limit: int) -> list[Claimed]:
        calls.append(limit)
        return await original(sessions, owner, lease_seconds, limit)

    monkeypatch.setattr(outbox, "claim_due", counting)
    return calls


async def _all_sent(harness: Harness, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            rows = await deliveries(harness.sessions)
            if rows and all(r.state == outbox.SENT for r in rows):
                return rows
            await asyncio.sleep(0.05)


async def test_intake_hands_new_rows_to_the_worker_without_a_claim(
    emulator: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_worker(emulator, database_url, config=QUIET) as harness:
        assert delivery_handoff(harness.services) is harness.worker  # what the intake watcher passes
        chats = await _chats(emulator, harness, 2)
        harness.gateway.images[SNAP] = jpeg()
        claims = _count_claims(monkeypatch)
        new = await accept(
            harness.sessions, [make_event("h1", snapshot_url=SNAP)], "webhook", handoff=harness.worker
        )
        assert [e.event_id for e in new] == ["h1"]
        rows = await _all_sent(harness)

        assert claims == []  # straight from intake to sendPhoto: no claim query, no wake-up
        assert len(rows) == 2 and all(r.lease_owner is None and r.has_photo for r in rows)
        for chat in chats:
            (message,) = emulator.messages(chat)
            assert message.caption == "alert h1" and message.photo_bytes is not None
        assert len([c for c in emulator.calls("sendPhoto") if c.files]) == 1  # uploaded once
        assert harness.gateway.calls == [SNAP]


async def test_adopted_rows_are_grouped_like_claimed_ones(emulator: Any, database_url: str) -> None:
    async with running_worker(emulator, database_url, config=QUIET) as harness:
        (chat,) = await _chats(emulator, harness, 1)
        t = 1_700_000_000
        for i, offset in enumerate((0, 10, 25)):
            event = make_event(f"g{i}", time=t + offset)
            await accept(harness.sessions, [event], "webhook", handoff=harness.worker)
            await _all_sent(harness)
        assert [m.text for m in emulator.messages(chat)] == ["alert g0 + g1 + g2"]
        assert len(emulator.calls("editMessageText")) == 2


async def test_a_full_worker_leaves_rows_to_the_periodic_claim(
    emulator: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(QUIET, max_in_flight=2)
    async with running_worker(emulator, database_url, config=config) as harness:
        chats = await _chats(emulator, harness, 3)
        worker = harness.worker
        assert worker.reserve(2) == 2 and worker.reserve(1) == 0  # now it has no room left
        claims = _count_claims(monkeypatch)
        await accept(harness.sessions, [make_event("full")], "webhook", handoff=worker)
        await asyncio.sleep(0.2)
        rows = await deliveries(harness.sessions)
        assert [(r.state, r.lease_owner) for r in rows] == [("pending", None)] * 3  # inserted unleased
        assert emulator.calls("sendMessage") == []

        worker.adopt([], 2)  # the room comes back: the woken worker claims the rows
        await _all_sent(harness)
        assert claims  # they went through the claim query
        for chat in chats:
            assert [m.text for m in emulator.messages(chat)] == ["alert full"]


async def test_partial_room_leases_what_fits_and_the_claim_takes_the_rest(
    emulator: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(QUIET, max_in_flight=2)
    async with running_worker(emulator, database_url, config=config) as harness:
        chats = await _chats(emulator, harness, 3)
        claims = _count_claims(monkeypatch)
        await accept(harness.sessions, [make_event("part")], "webhook", handoff=harness.worker)
        await _all_sent(harness)
        assert claims  # the third row was claimed …
        for chat in chats:  # … and every chat has the alert once
            assert [m.text for m in emulator.messages(chat)] == ["alert part"]


@dataclass
class DeadReplica:
    """A handoff whose process dies right after intake's commit: it leases rows and never sends them."""

    owner: str = "dead-replica"
    lease_seconds: float = 0.5
    adopted: list[Claimed] = field(default_factory=list)

    def reserve(self, wanted: int) -> int:
        return wanted

    def adopt(self, rows: Sequence[Claimed], reserved: int) -> None:
        self.adopted.extend(rows)

    def expect(self, expected: Sequence[Expected]) -> None:
        pass

    def wake(self) -> None:
        pass


async def test_rows_pre_leased_by_a_dead_process_are_reclaimed_after_the_lease(
    emulator: Any, database_url: str
) -> None:
    async with running_worker(emulator, database_url, start=False) as harness:
        chats = await _chats(emulator, harness, 2)
        dead = DeadReplica()
        await accept(harness.sessions, [make_event("orphan")], "webhook", handoff=dead)
        rows = await deliveries(harness.sessions)
        assert {r.lease_owner for r in rows} == {"dead-replica"}
        assert sorted(c.id for c in dead.adopted) == [r.id for r in rows]
        assert all(c.event.event_id == "orphan" and c.state == outbox.PENDING for c in dead.adopted)
        assert await outbox.claim_due(harness.sessions, "heir", 10, 50) == []  # the lease holds …

        lease_until = max(r.lease_until for r in rows if r.lease_until is not None)
        if lease_until.tzinfo is None:
            lease_until = lease_until.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
        await harness.worker.start()  # … until it expires: then another worker takes the rows over
        try:
            await _all_sent(harness)
        finally:
            await harness.worker.stop()
        for chat in chats:
            assert [m.text for m in emulator.messages(chat)] == ["alert orphan"]


async def test_a_backlog_is_claimed_in_batches_not_one_row_per_finished_send(
    emulator: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(QUIET, max_in_flight=10, batch=10)  # claims again once 5 rows of room are free
    async with running_worker(emulator, database_url, config=config) as harness:
        chats = await _chats(emulator, harness, 40)
        claims = _count_claims(monkeypatch)
        await accept(harness.sessions, [make_event("backlog")], "webhook")  # no handoff: 40 unleased rows
        harness.worker.wake()
        rows = await _all_sent(harness, timeout=30.0)
        assert len(rows) == 40
        for chat in chats:
            assert [m.text for m in emulator.messages(chat)] == ["alert backlog"]
        assert claims[0] == 10
        assert all(limit >= 5 for limit in claims), claims  # never a claim for a single freed slot
        assert len(claims) <= 10, claims  # 10, then about 5 at a time, not ~31 single-row claims


async def test_pictures_are_prefetched_only_for_rows_the_worker_has_room_for(
    emulator: Any, database_url: str
) -> None:
    config = replace(QUIET, max_in_flight=2)
    async with running_worker(emulator, database_url, config=config) as harness:
        urls = [f"{SNAP}?n={i}" for i in range(5)]
        harness.gateway.images.update({url: jpeg() for url in urls})
        harness.worker.prefetch([make_event(f"pf{i}", snapshot_url=url) for i, url in enumerate(urls)])
        alarm = make_event("pf-alarm", snapshot_url=f"{SNAP}?alarm", severity=Severity.ALARM)
        harness.gateway.images[f"{SNAP}?alarm"] = jpeg()
        harness.worker.prefetch([alarm])  # an alarm never waits for its picture: nothing to prefetch
        await asyncio.sleep(0.1)
        assert harness.gateway.calls == urls[:2]
