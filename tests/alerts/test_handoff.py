"""Intake → delivery in one direction: the caller gives intake the worker's room as a lease, intake inserts
that many rows pre-leased and returns them, the caller submits them. Rows without room wait for the
claim; nothing is lost when intake rolls back; rows pre-leased by a process that died are taken over once
their leases expire."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from bot.alerts.delivery import DeliveryConfig
from bot.alerts.intake import accept
from bot.domain.events import Severity
from bot.storage import deliveries as outbox
from bot.storage import events as event_store
from bot.storage.deliveries import Claimed, LocalLease

HOME = "home-1"
CAMERA = "70:ee:50:00:00:01"
SNAP = "https://netatmocameraimage.invalid/production/handoff.jpg"
FAST = DeliveryConfig(lease_seconds=10, scan_interval=0.05, backoff_base=0.05, backoff_cap=0.5)
QUIET = replace(FAST, scan_interval=60.0)  # no periodic claim while a test looks


@dataclass
class Handoff:
    """What every test here starts from (the emulator, a database, the worker harness, the seeding helpers),
    held once so each test names only what it does with them rather than the same seven fixtures."""

    emulator: Any
    database_url: str
    running_worker: Any
    seed_home: Any
    event: Any
    deliveries: Any

    def worker(self, **options: Any) -> AbstractAsyncContextManager[Any]:
        """`async with hand.worker(config=...) as harness`: a delivery worker on a fresh schema."""
        return cast(
            AbstractAsyncContextManager[Any], self.running_worker(self.emulator, self.database_url, **options)
        )

    async def chats(self, harness: Any, count: int) -> list[int]:
        """`count` private chats subscribed to HOME, which an active link sees (so intake routes to them)."""
        chats = [self.emulator.private_chat(self.emulator.add_user(f"H{i}")).id for i in range(count)]
        await self.seed_home(harness.sessions, HOME, chats=chats, owner=chats[0], devices=((CAMERA, "NOC"),))
        return chats

    async def all_sent(self, harness: Any, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                rows = await self.deliveries(harness.sessions)
                if rows and all(r.state == outbox.SENT for r in rows):
                    return list(rows)
                await asyncio.sleep(0.05)

    def assert_each_got(self, chats: list[int], text: str) -> None:
        """Every chat has exactly one message, the alert named `text`."""
        for chat in chats:
            assert [m.text for m in self.emulator.messages(chat)] == [text]


@pytest.fixture
def hand(
    emulator: Any,
    database_url: str,
    running_worker: Any,
    seed_home: Any,
    delivery_event: Any,
    deliveries: Any,
) -> Handoff:
    return Handoff(emulator, database_url, running_worker, seed_home, delivery_event, deliveries)


def _count_claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every `claim_due` call from now on (its limit), so a test can tell whether the worker claimed."""
    calls: list[int] = []
    original = outbox.claim_due

    async def counting(sessions: Any, owner: str, lease_seconds: float, limit: int) -> list[Claimed]:
        calls.append(limit)
        return await original(sessions, owner, lease_seconds, limit)

    monkeypatch.setattr(outbox, "claim_due", counting)
    return calls


async def test_rows_stored_under_the_workers_lease_are_submitted_without_a_claim(
    hand: Handoff, monkeypatch: pytest.MonkeyPatch, jpeg: Any
) -> None:
    async with hand.worker(config=QUIET) as harness:
        chats = await hand.chats(harness, 2)
        harness.gateway.images[SNAP] = jpeg()
        claims = _count_claims(monkeypatch)
        lease = harness.worker.intake_lease()
        assert lease is not None and lease.owner == harness.worker.owner
        stored = await accept(harness.sessions, [hand.event("h1", snapshot_url=SNAP)], "webhook", lease=lease)
        assert [e.event_id for e in stored.events] == ["h1"]
        assert (len(stored.rows), stored.queued) == (2, 0)
        assert sorted(row.chat_id for row in stored.rows) == sorted(chats)
        leased = await hand.deliveries(harness.sessions)
        assert {(r.id, r.lease_owner) for r in leased} == {(row.id, lease.owner) for row in stored.rows}

        harness.worker.submit(stored.rows)
        rows = await hand.all_sent(harness)
        assert claims == []  # straight from intake to sendPhoto: no claim query, no wake-up
        assert len(rows) == 2 and all(r.lease_owner is None and r.has_photo for r in rows)
        for chat in chats:
            (message,) = hand.emulator.messages(chat)
            assert message.caption == "alert h1" and message.photo_bytes is not None
        assert len([c for c in hand.emulator.calls("sendPhoto") if c.files]) == 1  # uploaded once
        assert harness.gateway.calls == [SNAP]


async def test_submitted_rows_are_grouped_like_claimed_ones(hand: Handoff) -> None:
    async with hand.worker(config=QUIET) as harness:
        (chat,) = await hand.chats(harness, 1)
        t = 1_700_000_000
        for i, offset in enumerate((0, 10, 25)):
            event = hand.event(f"g{i}", time=t + offset)
            stored = await accept(harness.sessions, [event], "webhook", lease=harness.worker.intake_lease())
            harness.worker.submit(stored.rows)
            await hand.all_sent(harness)
        assert [m.text for m in hand.emulator.messages(chat)] == ["alert g0 + g1 + g2"]
        assert len(hand.emulator.calls("editMessageText")) == 2


async def test_a_worker_without_room_or_stopped_grants_no_lease(hand: Handoff) -> None:
    async with hand.worker(config=replace(QUIET, max_in_flight=0)) as harness:
        assert harness.worker.intake_lease() is None
    async with hand.worker(start=False) as harness:
        assert harness.worker.intake_lease() is None


async def test_rows_without_a_lease_wait_for_the_claim(
    hand: Handoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with hand.worker(config=QUIET) as harness:
        chats = await hand.chats(harness, 3)
        claims = _count_claims(monkeypatch)
        stored = await accept(harness.sessions, [hand.event("full")], "webhook")  # no room: no lease
        assert (stored.rows, stored.queued) == ([], 3)
        await asyncio.sleep(0.2)
        rows = await hand.deliveries(harness.sessions)
        assert [(r.state, r.lease_owner) for r in rows] == [("pending", None)] * 3  # inserted unleased
        assert hand.emulator.calls("sendMessage") == []

        harness.worker.wake()  # what the watcher does when rows were queued: the worker claims them
        await hand.all_sent(harness)
        assert claims  # they went through the claim query
        hand.assert_each_got(chats, "alert full")


async def test_partial_room_leases_what_fits_and_the_claim_takes_the_rest(
    hand: Handoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(QUIET, max_in_flight=2)
    async with hand.worker(config=config) as harness:
        chats = await hand.chats(harness, 3)
        claims = _count_claims(monkeypatch)
        lease = harness.worker.intake_lease()
        assert lease is not None and lease.limit == 2
        stored = await accept(harness.sessions, [hand.event("part")], "webhook", lease=lease)
        assert (len(stored.rows), stored.queued) == (2, 1)
        harness.worker.submit(stored.rows)
        harness.worker.wake()
        await hand.all_sent(harness)
        assert claims  # the third row was claimed …
        hand.assert_each_got(chats, "alert part")  # … and every chat has the alert once


async def test_an_intake_that_rolls_back_leaves_nothing_leased_and_loses_nothing(
    hand: Handoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with hand.worker(config=QUIET) as harness:
        chats = await hand.chats(harness, 2)
        original = event_store.insert_deliveries_returning

        async def failing(*args: Any) -> Any:
            await original(*args)
            raise RuntimeError("the database went away mid-transaction")

        monkeypatch.setattr(event_store, "insert_deliveries_returning", failing)
        with pytest.raises(RuntimeError):
            await accept(harness.sessions, [hand.event("rb")], "webhook", lease=harness.worker.intake_lease())
        assert await hand.deliveries(harness.sessions) == []  # neither the event nor a leased row stayed

        monkeypatch.setattr(event_store, "insert_deliveries_returning", original)
        stored = await accept(  # the push again (Netatmo retries, or the poll finds it)
            harness.sessions, [hand.event("rb")], "webhook", lease=harness.worker.intake_lease()
        )
        assert [e.event_id for e in stored.events] == ["rb"]
        harness.worker.submit(stored.rows)
        await hand.all_sent(harness)
        hand.assert_each_got(chats, "alert rb")


async def test_rows_pre_leased_by_a_dead_process_are_reclaimed_after_the_lease(hand: Handoff) -> None:
    async with hand.worker(start=False) as harness:
        chats = await hand.chats(harness, 2)
        # A replica stores the rows leased to itself and dies before it submits them.
        dead = LocalLease("dead-replica", datetime.now(UTC) + timedelta(seconds=0.5), 50)
        stored = await accept(harness.sessions, [hand.event("orphan")], "webhook", lease=dead)
        rows = await hand.deliveries(harness.sessions)
        assert {r.lease_owner for r in rows} == {"dead-replica"}
        assert sorted(c.id for c in stored.rows) == [r.id for r in rows]
        assert all(c.event.event_id == "orphan" and c.state == outbox.PENDING for c in stored.rows)
        assert await outbox.claim_due(harness.sessions, "heir", 10, 50) == []  # the lease holds …

        lease_until = max(r.lease_until for r in rows if r.lease_until is not None)
        if lease_until.tzinfo is None:
            lease_until = lease_until.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
        await harness.worker.start()  # … until it expires: then another worker takes the rows over
        try:
            await hand.all_sent(harness)
        finally:
            await harness.worker.stop()
        hand.assert_each_got(chats, "alert orphan")


async def test_a_backlog_is_claimed_in_batches_not_one_row_per_finished_send(
    hand: Handoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = replace(QUIET, max_in_flight=10, batch=10)  # claims again once 5 rows of room are free
    async with hand.worker(config=config) as harness:
        chats = await hand.chats(harness, 40)
        claims = _count_claims(monkeypatch)
        await accept(harness.sessions, [hand.event("backlog")], "webhook")  # no lease: 40 unleased rows
        harness.worker.wake()
        rows = await hand.all_sent(harness, timeout=30.0)
        assert len(rows) == 40
        hand.assert_each_got(chats, "alert backlog")
        assert claims[0] == 10
        assert all(limit >= 5 for limit in claims), claims  # never a claim for a single freed slot
        assert len(claims) <= 10, claims  # 10, then about 5 at a time, not ~31 single-row claims


async def test_pictures_are_prefetched_only_for_rows_the_worker_has_room_for(
    hand: Handoff, jpeg: Any
) -> None:
    config = replace(QUIET, max_in_flight=2)
    async with hand.worker(config=config) as harness:
        urls = [f"{SNAP}?n={i}" for i in range(5)]
        harness.gateway.images.update({url: jpeg() for url in urls})
        harness.worker.prefetch([hand.event(f"pf{i}", snapshot_url=url) for i, url in enumerate(urls)])
        alarm = hand.event("pf-alarm", snapshot_url=f"{SNAP}?alarm", severity=Severity.ALARM)
        harness.gateway.images[f"{SNAP}?alarm"] = jpeg()
        harness.worker.prefetch([alarm])  # an alarm never waits for its picture: nothing to prefetch
        await asyncio.sleep(0.1)
        assert harness.gateway.calls == urls[:2]
