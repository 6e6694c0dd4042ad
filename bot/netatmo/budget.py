"""Per-account request budget: sliding windows well inside Netatmo's per-user limits, plus backoff.

Netatmo allows 50 requests per 10 s and 500 per hour per user and answers 429/403 code 26
beyond that; a user that hits the limit is locked out for a while, which would silence their alerts. So
every call (watcher and commands alike) first takes a slot here, keyed by the Netatmo account, and the
default windows (40/10 s, 400/h) leave headroom for the official apps the family also uses.

Writes go first. A user who presses a button waits for the answer, a poll can come a few seconds later:
while a write waits for a slot of an account (`PRIORITY` set, see `bot.netatmo.writes`), that account's
reads and polls wait behind it, even those that were queued earlier. The backoff after a throttling
answer holds for writes too: they get the next slot, not one Netatmo would refuse.

These windows count this process's requests. Replicas on PostgreSQL also check them against every
replica's requests (`bot.netatmo.shared_budget`); the backoff after a throttling answer, a 5xx or a
timeout stays per process.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.netatmo.errors import Throttled

DEFAULT_WINDOWS: tuple[tuple[int, float], ...] = ((40, 10.0), (400, 3600.0))
MAX_BACKOFF = 600.0

# Set by the write queue around a write: the time (on the budget's clock) until which the write may wait.
# Requests made in that context take slots before reads and wait up to that time instead of `max_wait`.
PRIORITY: contextvars.ContextVar[float | None] = contextvars.ContextVar("netatmo_priority", default=None)


@dataclass
class _Account:
    stamps: list[deque[float]]
    backoff_until: float = 0.0
    failures: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # reads, in arrival order
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # writes, in arrival order
    writes_waiting: int = 0
    writes_idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.writes_idle.set()


class RequestBudget:
    """Sliding-window limiter with backoff. `acquire` waits up to `max_wait`, else raises Throttled."""

    def __init__(
        self,
        windows: Sequence[tuple[int, float]] = DEFAULT_WINDOWS,
        *,
        max_wait: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.windows = tuple(windows)
        self.max_wait = max_wait
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def _account(self, key: str) -> _Account:
        account = self._accounts.get(key)
        if account is None:
            account = _Account(stamps=[deque() for _ in self.windows])
            self._accounts[key] = account
        return account

    def _wait_needed(self, account: _Account, now: float) -> float:
        wait = max(0.0, account.backoff_until - now)
        for (limit, span), stamps in zip(self.windows, account.stamps, strict=True):
            while stamps and stamps[0] <= now - span:
                stamps.popleft()
            if len(stamps) >= limit:
                wait = max(wait, stamps[len(stamps) - limit] + span - now)
        return wait

    async def acquire(self, key: str, *, max_wait: float | None = None) -> None:
        """Take one request slot for `key`, waiting while the windows are full (never past max_wait).

        In a `PRIORITY` context the slot is taken ahead of every waiting read of the account.
        """
        limit_wait = self.wait_limit(max_wait)
        account = self._account(key)
        deadline = self._clock() + limit_wait
        priority = PRIORITY.get() is not None
        if priority:
            account.writes_waiting += 1
            account.writes_idle.clear()
        lock = account.write_lock if priority else account.lock
        try:
            # The lock makes waiters of one kind take slots in arrival order; check-then-record is
            # atomic because nothing awaits between the check and the record.
            try:
                async with asyncio.timeout(limit_wait + 0.05):
                    await lock.acquire()
            except TimeoutError:
                raise Throttled("request budget exhausted", retry_after=limit_wait) from None
            try:
                await self._wait_for_slot(account, deadline, priority)
            finally:
                lock.release()
        finally:
            if priority:
                account.writes_waiting -= 1
                if account.writes_waiting == 0:
                    account.writes_idle.set()

    def wait_limit(self, max_wait: float | None = None) -> float:
        """How long a request may wait for a slot: a write until its deadline, others `max_wait`."""
        write_deadline = PRIORITY.get()
        if write_deadline is not None:
            return max(0.0, write_deadline - self._clock())
        return self.max_wait if max_wait is None else max_wait

    def clock(self) -> float:
        """The budget's clock (the write queue measures deadlines on it)."""
        return self._clock()

    async def _wait_for_slot(self, account: _Account, deadline: float, priority: bool) -> None:
        while True:
            now = self._clock()
            if not priority and account.writes_waiting:
                # A write is waiting for this account: it takes the next slot, this read waits.
                try:
                    async with asyncio.timeout(max(0.0, deadline - now)):
                        await account.writes_idle.wait()
                except TimeoutError:
                    raise Throttled("request budget exhausted", retry_after=1.0) from None
                continue
            wait = self._wait_needed(account, now)
            if wait <= 0:
                for stamps in account.stamps:
                    stamps.append(now)
                return
            if now + wait > deadline:
                raise Throttled("request budget exhausted", retry_after=wait)
            await asyncio.sleep(wait + 0.001)

    def used(self, key: str, span: float) -> int:
        """How many requests `key` made in the last `span` seconds (for tests and /healthz)."""
        account = self._accounts.get(key)
        if account is None:
            return 0
        now = self._clock()
        return sum(1 for stamp in account.stamps[-1] if stamp > now - span)

    def penalize(self, key: str, retry_after: float | None = None) -> float:
        """Back off after a throttling answer, a 5xx or a timeout; returns the delay applied.

        Uses Netatmo's Retry-After when given, else doubles from 5 s per consecutive failure.
        """
        account = self._account(key)
        account.failures += 1
        delay = retry_after if retry_after is not None else 5.0 * 2 ** (account.failures - 1)
        delay = min(delay, MAX_BACKOFF)
        account.backoff_until = max(account.backoff_until, self._clock() + delay)
        return delay

    def succeeded(self, key: str) -> None:
        """A call went through: the next failure starts the backoff from the beginning again."""
        account = self._accounts.get(key)
        if account is not None:
            account.failures = 0
