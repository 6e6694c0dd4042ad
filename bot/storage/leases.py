"""Named, time-limited claims on shared work, so several replicas split it without a coordinator.

A lease is a row in `leases` (name, owner, until). Taking it is one compare-and-set: update the row when it
is ours or expired, otherwise insert it if nobody has it; exactly one replica wins because both statements
are atomic on SQLite and PostgreSQL alike. A replica that dies simply stops renewing, and the lease passes
to another one when `until` is past — no clean shutdown is needed for takeover.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Lease
from bot.storage.upsert import insert_ignore


def process_owner_id() -> str:
    """An id for this process, unique across replicas and restarts (host, pid and a random part)."""
    host = socket.gethostname()[:32]
    return f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def try_lease(
    sessions: async_sessionmaker[AsyncSession], name: str, owner: str, seconds: float
) -> bool:
    """Take or renew the lease `name` for `seconds`; False when another owner holds it unexpired."""
    now = datetime.now(UTC)
    until = now + timedelta(seconds=seconds)
    async with sessions.begin() as session:
        result = await session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.owner == owner, Lease.until < now))
            .values(owner=owner, until=until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return True
        return await insert_ignore(session, Lease, {"name": name, "owner": owner, "until": until}, ["name"])


async def release(sessions: async_sessionmaker[AsyncSession], name: str, owner: str) -> None:
    """Give the lease up at once (a clean stop), so another replica need not wait for it to expire."""
    async with sessions.begin() as session:
        await session.execute(
            delete(Lease)
            .where(Lease.name == name, Lease.owner == owner)
            .execution_options(synchronize_session=False)
        )
