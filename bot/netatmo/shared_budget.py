"""The Netatmo request budget of all replicas together, kept in PostgreSQL.

`RequestBudget` counts one process's requests. Replicas on one PostgreSQL database each keep their own
windows, so two of them could make 2 × 40 requests in ten seconds for one account, past Netatmo's 50, and
get the user locked out. Here each request is also recorded in `netatmo_requests`, and a request is made
only when the account's requests of every replica fit the same windows (`bot.storage.netatmo_requests`).

The local windows are kept and checked first: they make the waits fair inside the process and cost no
database round trip when the process alone is over. The backoff after a throttling answer or an outage
stays per process. SQLite means one process, so it uses `RequestBudget` alone (`budget_for`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.netatmo.budget import DEFAULT_WINDOWS, RequestBudget
from bot.netatmo.errors import Throttled
from bot.storage.netatmo_requests import count_recent, take_slot

Sessions = async_sessionmaker[AsyncSession]


class SharedRequestBudget(RequestBudget):
    """`RequestBudget` whose windows also hold for the requests of every replica (PostgreSQL only)."""

    def __init__(
        self,
        sessions: Sessions,
        windows: Sequence[tuple[int, float]] = DEFAULT_WINDOWS,
        *,
        max_wait: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(windows, max_wait=max_wait, clock=clock)
        self.sessions = sessions
        self._longest = max(span for _, span in self.windows)

    async def acquire(self, key: str, *, max_wait: float | None = None) -> None:
        limit_wait = self.wait_limit(max_wait)
        deadline = self._clock() + limit_wait
        # This process's windows first (a slot taken there and then refused here stays taken: a little
        # conservative, never over).
        await super().acquire(key, max_wait=limit_wait)
        while True:
            wait = await self._take(key)
            if wait <= 0:
                return
            if self._clock() + wait > deadline:
                raise Throttled("request budget exhausted (all replicas)", retry_after=wait)
            await asyncio.sleep(wait + 0.001)

    async def _take(self, key: str) -> float:
        """Record one request of `key` if every window has room; else how long until one has."""
        async with self.sessions.begin() as session:
            return await take_slot(session, key, self.windows, self._longest)

    async def used_everywhere(self, key: str, span: float) -> int:
        """How many requests `key` made in the last `span` seconds, all replicas together."""
        async with self.sessions() as session:
            return await count_recent(session, key, span)


def budget_for(sessions: Sessions) -> RequestBudget:
    """The shared budget on PostgreSQL (replicas), this process's own on SQLite (one process)."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "postgresql":
        return SharedRequestBudget(sessions)
    return RequestBudget()
