"""Named leases and outbox row leases: one winner, takeover after expiry, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import Kind, SecurityEvent
from bot.storage import deliveries as outbox
from bot.storage import sent_records
from bot.storage.leases import process_owner_id, release, try_lease
from bot.storage.models import Delivery, Home, TelegramChat

HOME = "home-1"
CAMERA = "70:ee:50:00:00:01"


def make_event(event_id: str, *, time: int = 1_700_000_000) -> SecurityEvent:
    return SecurityEvent(
        home_id=HOME, event_id=event_id, kind=Kind.HUMAN, netatmo_type="human", time=time, device_id=CAMERA
    )


async def seed_chats(sessions: async_sessionmaker[AsyncSession], chats: Sequence[tuple[int, str]]) -> None:
    """A home and the chats (outbox rows point at both)."""
    async with sessions.begin() as session:
        session.add(Home(id=HOME, name="Home", timezone="UTC"))
        session.add_all(TelegramChat(id=chat_id, type=chat_type) for chat_id, chat_type in chats)


@pytest.fixture
async def sessions(database_url: str, database: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with database(database_url) as factory:
        yield factory


async def test_one_owner_at_a_time_and_takeover_after_expiry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await try_lease(sessions, "poll:home-1", "a", 0.3)
    assert await try_lease(sessions, "poll:home-1", "a", 0.3)  # renewing one's own lease
    assert not await try_lease(sessions, "poll:home-1", "b", 0.3)
    assert await try_lease(sessions, "poll:home-2", "b", 0.3)  # other names are independent
    await asyncio.sleep(0.4)
    assert await try_lease(sessions, "poll:home-1", "b", 5)  # a expired: b takes over
    assert not await try_lease(sessions, "poll:home-1", "a", 5)
    await release(sessions, "poll:home-1", "a")  # not a's to release: no effect
    assert not await try_lease(sessions, "poll:home-1", "a", 5)
    await release(sessions, "poll:home-1", "b")
    assert await try_lease(sessions, "poll:home-1", "a", 5)


async def test_concurrent_takers_get_exactly_one_winner(sessions: async_sessionmaker[AsyncSession]) -> None:
    owners = [process_owner_id() for _ in range(8)]
    assert len(set(owners)) == 8
    results = await asyncio.gather(*(try_lease(sessions, "delivery", o, 30) for o in owners))
    assert sum(results) == 1


async def test_claims_are_disjoint_and_expired_leases_come_back(
    sessions: async_sessionmaker[AsyncSession], add_event: Any
) -> None:
    chats = [(1000 + i, "private") for i in range(5)]
    await seed_chats(sessions, chats)
    for i in range(8):
        await add_event(sessions, make_event(f"c{i}", time=1_700_000_000 + 100 * i), [c for c, _ in chats])
    claims = await asyncio.gather(*(outbox.claim_due(sessions, f"w{i}", 30, 15) for i in range(4)))
    ids = [row.id for claim in claims for row in claim]
    assert len(ids) == len(set(ids)) == 40  # every row leased once, none twice
    assert sorted(len(claim) for claim in claims) == [0, 10, 15, 15]  # each within its limit
    assert await outbox.claim_due(sessions, "late", 30, 50) == []  # all leased

    # A worker dies holding rows: once its lease is past, another worker gets them.
    dead = {row.id for row in claims[0]}
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(dead))
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    again = await outbox.claim_due(sessions, "heir", 30, 50)
    assert {row.id for row in again} == dead
    assert all(row.event.event_id.startswith("c") for row in again)

    # Renewal keeps a live worker's rows; a clean stop hands them over at once.
    await outbox.renew(sessions, "heir", list(dead), 30)
    await outbox.release_owner(sessions, "heir")
    assert {row.id for row in await outbox.claim_due(sessions, "next", 30, 50)} == dead


async def test_a_claimed_row_gets_the_file_id_another_chat_was_sent(
    sessions: async_sessionmaker[AsyncSession], add_event: Any
) -> None:
    """Another replica, or this one after a restart, sends the event's picture by id, not by upload."""
    await seed_chats(sessions, [(2001, "private"), (2002, "private"), (2003, "private")])
    event_pk = await add_event(sessions, make_event("pic"), [2001, 2002, 2003])
    other_pk = await add_event(sessions, make_event("other", time=1_700_000_100), [2001])
    (first,) = await outbox.claim_due(sessions, "a", 30, 1)  # its limit, on PostgreSQL too
    assert (first.event_pk, first.chat_id, first.snapshot_file_id) == (event_pk, 2001, None)
    await sent_records.record_sent(sessions, first.id, 11, has_photo=True, file_id="AgAC-uploaded")
    rest = await outbox.claim_due(sessions, "b", 30, 10)
    assert sorted((r.event_pk, r.chat_id, r.snapshot_file_id) for r in rest) == [
        (event_pk, 2002, "AgAC-uploaded"),
        (event_pk, 2003, "AgAC-uploaded"),
        (other_pk, 2001, None),  # another event's picture is not this one's
    ]
