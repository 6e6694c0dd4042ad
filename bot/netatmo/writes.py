"""The write queue: a change the user asked for survives Netatmo's rate limits, and is made at most once.

Netatmo answers 429 with code 26 (usage limit) or 11 (concurrency) when an account is too busy, often
because the official apps and our polls share its budget. A poll can simply come later; a press of
"Monitoring off" cannot be dropped. So a write goes through `WriteQueue.submit`:

- writes of one account run one at a time, in the order they were submitted;
- while a write waits for a request slot, the account's reads and polls wait behind it
  (`bot.netatmo.budget.PRIORITY`), and it respects the backoff Netatmo asked for;
- a try refused with a throttling answer was not carried out by Netatmo, so it is tried again, until
  it goes through or its deadline comes; then `WriteGaveUp` (a `Throttled`) says the change was NOT made;
- the first time a try is throttled, `progress` is called, so the button's message can say
  "⏳ working…" (`bot.chat.netatmo_errors.working_text`) before the final text replaces it.

Other failures (device unreachable, missing permission, 5xx, timeouts) are raised at once: retrying
them would not help, or, after a timeout, could make the change twice.

Usage, in a feature's action (outside the database transaction)::

    async def show_waiting(wait: WriteWait) -> None:
        await query.edit_message_text(working_text(_))

    try:
        await services.netatmo.writes.submit(
            link_id,
            "setstate monitoring",
            lambda: services.netatmo.set_monitoring(link_id, home_id, camera_id, False),
            progress=show_waiting,
        )
    except NetatmoError as error:
        text = explain(_, error)  # WriteGaveUp: "Netatmo stayed busy, so the change was not made..."
    else:
        text = _("Monitoring is off.")

`call` must make exactly one write (reads it needs may come before it in the same call: they get the
same priority). The deadline defaults to `DEFAULT_DEADLINE` seconds.

Features rarely call `submit` themselves: `NetatmoGateway.api` sends every call to a `WRITE_ENDPOINTS`
endpoint through this queue, with the `progress` that `WRITE_PROGRESS` holds (the button pipeline sets it
to "edit the pressed message" around an action that talks to Netatmo). So every change made from a button
survives a 429 storm without each feature having to remember it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.netatmo.budget import PRIORITY, RequestBudget
from bot.netatmo.errors import Throttled, WriteGaveUp

LOG = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DEADLINE = 25.0
MAX_ATTEMPTS = 30  # a guard: the deadline ends a storm long before this many tries


@dataclass(frozen=True)
class WriteWait:
    """Told to `progress` when a write was throttled and will be tried again."""

    link_id: int
    label: str
    attempt: int  # the tries made so far
    retry_after: float  # seconds Netatmo (or our budget) asked to wait
    remaining: float  # seconds left before the deadline


Progress = Callable[[WriteWait], Awaitable[None]]

# The endpoints that change a home: a throttled try of these was not carried out and is tried again.
WRITE_ENDPOINTS = frozenset(
    {
        "setstate",
        "setthermmode",
        "setroomthermpoint",
        "switchhomeschedule",
        "setpersonsaway",
        "setpersonshome",
    }
)
# What to tell the user when a write of the current task is throttled (set by the button pipeline).
WRITE_PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "netatmo_write_progress", default=None
)


def in_write() -> bool:
    """Whether the current task already runs inside `WriteQueue.submit` (its call is the write)."""
    return PRIORITY.get() is not None


class WriteQueue:
    """Per-account queue of writes, retried through throttling within a deadline (module docstring)."""

    def __init__(self, budget: RequestBudget, *, deadline: float = DEFAULT_DEADLINE) -> None:
        self.budget = budget
        self.deadline = deadline
        self._locks: dict[int, asyncio.Lock] = {}
        self.retried = 0  # throttled tries that were retried (for tests and logs)
        self.gave_up = 0

    def waiting(self, link_id: int) -> bool:
        """Whether a write of this link is running or queued."""
        lock = self._locks.get(link_id)
        return lock is not None and lock.locked()

    async def submit(
        self,
        link_id: int,
        label: str,
        call: Callable[[], Awaitable[T]],
        *,
        deadline: float | None = None,
        progress: Progress | None = None,
    ) -> T:
        """Run `call` (one Netatmo write) ahead of reads, retrying throttled tries until `deadline`
        seconds have passed; its result, or its error (`WriteGaveUp` when the deadline came)."""
        until = self.budget.clock() + (self.deadline if deadline is None else deadline)
        token = PRIORITY.set(until)
        try:
            lock = self._locks.setdefault(link_id, asyncio.Lock())
            try:
                async with asyncio.timeout(max(0.0, until - self.budget.clock())):
                    await lock.acquire()
            except TimeoutError:
                self.gave_up += 1
                raise WriteGaveUp(f"{label}: still queued at the deadline") from None
            try:
                return await self._tries(link_id, label, call, until, progress)
            finally:
                lock.release()
        finally:
            PRIORITY.reset(token)

    async def _tries(
        self,
        link_id: int,
        label: str,
        call: Callable[[], Awaitable[T]],
        until: float,
        progress: Progress | None,
    ) -> T:
        told = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = await call()
            except WriteGaveUp:
                raise
            except Throttled as exc:
                remaining = until - self.budget.clock()
                if remaining <= 0 or exc.retry_after > remaining:
                    # Netatmo (or our budget) wants a longer pause than the user can wait.
                    self.gave_up += 1
                    LOG.warning(
                        "netatmo_write_gave_up link=%s label=%s attempts=%d retry_after=%.1f",
                        link_id,
                        label,
                        attempt,
                        exc.retry_after,
                    )
                    raise WriteGaveUp(f"{label}: {exc}", exc.retry_after, attempt) from None
                self.retried += 1
                LOG.info(
                    "netatmo_write_throttled link=%s label=%s attempt=%d retry_after=%.1f",
                    link_id,
                    label,
                    attempt,
                    exc.retry_after,
                )
                if progress is not None and not told:
                    told = True
                    await progress(WriteWait(link_id, label, attempt, exc.retry_after, remaining))
                # The transport recorded Netatmo's backoff in the budget: the next try waits for it there,
                # ahead of reads. The short pause only keeps an odd refusal without backoff from spinning.
                await asyncio.sleep(min(0.05, remaining))
                continue
            if attempt > 1:
                LOG.info("netatmo_write_done link=%s label=%s attempts=%d", link_id, label, attempt)
            return result
        self.gave_up += 1
        raise WriteGaveUp(f"{label}: {MAX_ATTEMPTS} tries throttled", attempts=MAX_ATTEMPTS)
