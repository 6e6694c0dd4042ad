"""What the poll loop and the webhook consumer read and write about homes: which homes are due for a
poll, when each was polled and heard from by webhook, which home a device belongs to.

Kept apart from `bot.storage.homes` (the chat commands' view of homes): these queries run every few
seconds in the background whatever the number of homes, so they are shaped for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Home, HomeDevice, HomeMember, LinkState, NetatmoLink

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class HomeToPoll:
    home_id: str
    link_id: int
    webhook_registered: bool
    last_webhook_at: datetime | None
    last_event_time: int | None
    homes_on_account: int
    watched_since: int = 0  # epoch when the home was first linked: older events are history, not news


async def due_homes(
    sessions: Sessions, now: datetime, forced: set[str] | None = None
) -> tuple[list[HomeToPoll], int]:
    """Homes with an active link whose poll is due (or forced), with what the delay rules need; and how
    many homes have an active link at all.

    Runs every few seconds whatever the number of homes, so the database does the filtering: only due
    homes come back as rows, plus two aggregates (homes per polling link, homes in all); reading every
    home each turn stalled the event loop for milliseconds at 1,000 homes."""
    active = (
        select(HomeMember.home_id, HomeMember.link_id, HomeMember.created_at)
        .join(NetatmoLink, NetatmoLink.id == HomeMember.link_id)
        .where(NetatmoLink.state == LinkState.ACTIVE)
    )
    due_filter = or_(Home.next_poll_at.is_(None), Home.next_poll_at <= now)
    if forced:
        due_filter = or_(due_filter, Home.id.in_(sorted(forced)))
    async with sessions() as session:
        rows = (
            await session.execute(
                select(
                    Home.id,
                    Home.next_poll_at,
                    Home.last_webhook_at,
                    Home.last_event_time,
                    NetatmoLink.id,
                    NetatmoLink.webhook_registered_at,
                    HomeMember.created_at,
                )
                .join(HomeMember, HomeMember.home_id == Home.id)
                .join(NetatmoLink, NetatmoLink.id == HomeMember.link_id)
                .where(NetatmoLink.state == LinkState.ACTIVE, due_filter)
                .order_by(Home.id, NetatmoLink.linked_at, NetatmoLink.id)
            )
        ).all()
        active_rows = active.subquery()
        total = int(await session.scalar(select(func.count(distinct(active_rows.c.home_id)))) or 0)
        chosen: dict[str, Any] = {}
        since: dict[str, datetime] = {}
        for row in rows:
            chosen.setdefault(row[0], row)  # the link that has worked longest polls the home
            since[row[0]] = min(since.get(row[0], row[6]), row[6])
        links = sorted({row[4] for row in chosen.values()})
        per_link: dict[int, int] = {}
        if links:
            counts = await session.execute(
                select(active_rows.c.link_id, func.count(distinct(active_rows.c.home_id)))
                .where(active_rows.c.link_id.in_(links))
                .group_by(active_rows.c.link_id)
            )
            per_link = {int(link_id): int(n) for link_id, n in counts}
    due = [
        HomeToPoll(
            home_id,
            row[4],
            row[5] is not None,
            row[2],
            row[3],
            per_link.get(row[4], 1),
            int(since[home_id].timestamp()),
        )
        for home_id, row in chosen.items()
    ]
    return due, total


async def update_home(sessions: Sessions, home_id: str, values: dict[str, Any]) -> None:
    """Write the poll bookkeeping of one home (`last_polled_at`, `last_event_time`, `next_poll_at`)."""
    async with sessions.begin() as session:
        await session.execute(update(Home).where(Home.id == home_id).values(**values))


async def note_webhooks(sessions: Sessions, home_ids: Sequence[str], at: datetime) -> None:
    """The homes were heard from by webhook at `at` (the poller trusts a flowing webhook)."""
    async with sessions.begin() as session:
        await session.execute(
            update(Home)
            .where(Home.id.in_(list(home_ids)))
            .values(last_webhook_at=at)
            .execution_options(synchronize_session=False)
        )


async def home_of_device(sessions: Sessions, device_id: str) -> str | None:
    """The home a device belongs to (a push that names only its device)."""
    async with sessions() as session:
        found = await session.scalar(
            select(HomeDevice.home_id).where(HomeDevice.device_id == device_id).limit(1)
        )
    return str(found) if found is not None else None
