"""The delivery worker: leases due outbox rows and puts them into Telegram, surviving crashes and replicas.

Rows reach it two ways. New rows of this process's intake come straight in memory: the caller of intake
asks `intake_lease()` for the worker's room, intake inserts that many rows already leased to the worker
and returns them, and the caller hands them over with `submit` — no claim query and no wake-up stand
between a webhook and its send. Every other due row is claimed from the table: rows intake inserted
unleased (no room here, or no worker in the process that stored them), rows of other replicas, retries
that came due, leases of replicas that died. A claim runs when `wake()` is called and every
`scan_interval` seconds. Submitted and claimed rows are the same from then on: one task per row,
serialised per chat (so a chat's alerts arrive in order and can be grouped) and bounded overall; while a
row is in flight its lease is renewed, so only a dead process loses its rows, and only for the lease's
length.

Failure policy (Telegram errors surface here from PTB, after its rate limiter's own retries):
429 RetryAfter → again after `retry_after` (not counted as a failed try); 5xx, timeouts and network
errors → exponential backoff, then `failed` after `max_attempts`; 403 → `failed` and the chat's
subscriptions paused (`paused_reason="blocked"`); group migrated → follow it and resend there;
any other 400 → `failed` with Telegram's words in `last_error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from bot.alerts.sending import AlertSender, ChatRenderer, Renderer, SendingPolicy
from bot.alerts.snapshots import ImageGateway, SnapshotStore
from bot.domain.events import SecurityEvent, is_urgent
from bot.services import Services
from bot.storage import deliveries as outbox
from bot.storage.deliveries import Claimed, LocalLease
from bot.storage.leases import process_owner_id

LOG = logging.getLogger(__name__)

CLOSED_CHAT_MEMORY = 60.0  # seconds; a user who unblocks the bot and resubscribes is served again


@dataclass(frozen=True)
class DeliveryConfig:
    lease_seconds: float = 60.0
    scan_interval: float = 1.0
    batch: int = 50
    concurrency: int = 32  # sends in flight at once (PTB's connection pool holds 32)
    # Rows leased and not yet finished; claiming pauses above it, so one replica does not hoard the
    # outbox (the others could not help, and a crash would hold all of it until the leases expire).
    max_in_flight: int = 100
    max_attempts: int = 10
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    stop_grace: float = 5.0


class DeliveryWorker:
    """Leases, sends and records outbox rows; `start`/`stop` make it a runtime Component."""

    def __init__(
        self,
        services: Services,
        sender: AlertSender,
        config: DeliveryConfig | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        self._services = services
        self._sessions = services.sessions
        self.sender = sender
        self.config = config or DeliveryConfig()
        self.owner = owner or process_owner_id()
        self.wakeup = asyncio.Event()
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_users: dict[int, int] = {}  # tasks holding or awaiting each chat's lock
        self._alarms_waiting: dict[int, int] = {}  # alarm rows awaiting each chat's lock
        # Chats that answered 403 a moment ago: rows of theirs already leased are failed without a try.
        self._closed_chats: dict[int, float] = {}
        self._send_slots = asyncio.Semaphore(self.config.concurrency)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._running = False  # takes submitted rows and grants intake leases (from start until stop)
        self._room = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.sent = 0

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._sessions.kw["bind"].dialect.name == "sqlite":
            # One process per SQLite file: any lease left in it belongs to a predecessor that died.
            reclaimed = await outbox.reclaim_all(self._sessions)
            if reclaimed:
                LOG.info("delivery_leases_reclaimed count=%s", reclaimed)
        self._tasks = [
            asyncio.create_task(self._run(), name="delivery-loop"),
            asyncio.create_task(self._heartbeat(), name="delivery-heartbeat"),
        ]
        self._running = True
        self._services.health.watcher["delivery"] = "running"
        LOG.info("delivery_started owner=%s", self.owner)

    async def stop(self) -> None:
        # Rows intake leased to us but nobody submitted (the intake was cancelled after its commit) are
        # free again after `release_owner` below, like every row of ours not yet sent.
        self._running = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        pending = list(self._in_flight.values())
        if pending:  # let sends in flight finish, so they are recorded and not repeated after restart
            _, late = await asyncio.wait(pending, timeout=self.config.stop_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await outbox.release_owner(self._sessions, self.owner)
        self._services.health.watcher["delivery"] = "stopped"
        LOG.info("delivery_stopped owner=%s sent=%s", self.owner, self.sent)

    # -- the loop ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        config = self.config
        # In a backlog, claim again only once this much room is free: one claim transaction for many
        # rows, not one per finished send (each is a write that queues with intake and the records).
        refill = max(1, min(config.batch, config.max_in_flight) // 2)
        while True:
            wanted = min(config.batch, self._free())
            try:
                claimed = await self.claim_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                LOG.exception("delivery_claim_failed")
                claimed = 0
            if wanted <= 0 or (claimed and claimed >= wanted):  # full, or more rows are probably due
                while self._free() < refill:
                    self._room.clear()
                    await self._room.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=config.scan_interval)
            self.wakeup.clear()

    def _free(self) -> int:
        return self.config.max_in_flight - len(self._in_flight)

    async def claim_once(self) -> int:
        """Lease one batch of due rows and start working on them; returns how many were leased."""
        room = min(self.config.batch, self._free())
        if room <= 0:
            return 0
        rows = await outbox.claim_due(self._sessions, self.owner, self.config.lease_seconds, room)
        self._start(rows)
        return len(rows)

    def _start(self, rows: Sequence[Claimed]) -> None:
        for row in rows:
            if row.id in self._in_flight:
                continue
            task = asyncio.create_task(self._work(row), name=f"delivery-{row.id}")
            self._in_flight[row.id] = task
            task.add_done_callback(self._done(row.id))

    # -- rows from this process's intake -------------------------------------------------------------
    def intake_lease(self) -> LocalLease | None:
        """The room intake may fill with rows leased to this worker (None when full or stopped). Real
        time, not a caller's clock: leases are compared with the wall clock."""
        room = self._free() if self._running else 0
        if room <= 0:
            return None
        until = datetime.now(UTC) + timedelta(seconds=self.config.lease_seconds)
        return LocalLease(self.owner, until, room)

    def submit(self, rows: Sequence[Claimed]) -> None:
        """Work on rows intake committed leased to this worker (see `intake_lease`)."""
        if not rows:
            return
        if not self._running:  # stopped meanwhile: the leases were released or expire, nothing is lost
            LOG.warning("delivery_submit_after_stop rows=%d owner=%s", len(rows), self.owner)
            return
        self.sender.prime(rows)
        self._start(
            sorted(rows, key=lambda row: (not is_urgent(row.event), row.event.time, row.event_pk, row.id))
        )

    def prefetch(self, events: Sequence[SecurityEvent]) -> None:
        """Events about to go through intake: start downloading their pictures now, for as many as this
        worker has room to take at once (in a backlog the pictures are fetched when their turn comes, not
        all at once and too early)."""
        room = self._free() if self._running else 0
        if room > 0:
            self.sender.prefetch(events[:room])

    def wake(self) -> None:
        """Rows were inserted unleased: claim now rather than at the next scan."""
        self.wakeup.set()

    def _done(self, delivery_id: int) -> Callable[[asyncio.Task[None]], None]:
        def callback(_: asyncio.Task[None]) -> None:
            self._in_flight.pop(delivery_id, None)
            self._room.set()

        return callback

    async def _heartbeat(self) -> None:
        interval = max(self.config.lease_seconds / 3, 0.2)
        while True:
            await asyncio.sleep(interval)
            try:
                await outbox.renew(
                    self._sessions, self.owner, list(self._in_flight), self.config.lease_seconds
                )
            except Exception:
                LOG.exception("delivery_heartbeat_failed")

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until nothing is in flight (tests and the bench)."""
        async with asyncio.timeout(timeout):
            while self._in_flight:
                await asyncio.wait(list(self._in_flight.values()))

    # -- one row -------------------------------------------------------------------------------------
    async def _work(self, row: Claimed) -> None:
        # One send at a time per chat: order, grouping, and at most one unrecorded message at a kill.
        # The lock is dropped only when no task holds or awaits it (a released lock whose next waiter
        # has not run yet looks unlocked, so `locked()` cannot tell).
        lock = self._chat_locks.setdefault(row.chat_id, asyncio.Lock())
        self._chat_users[row.chat_id] = self._chat_users.get(row.chat_id, 0) + 1
        waiting = is_urgent(row.event)  # an alarm waiting for this chat's turn
        if waiting:
            self._alarms_waiting[row.chat_id] = self._alarms_waiting.get(row.chat_id, 0) + 1
        try:
            await self._chat_turn(lock, row.chat_id, waiting)
            if waiting:
                waiting = False
                self._alarms_waiting[row.chat_id] -= 1
            try:
                async with self._send_slots:
                    await self._attempt(row)
            finally:
                lock.release()
        finally:
            if waiting:
                self._alarms_waiting[row.chat_id] -= 1
            if not self._alarms_waiting.get(row.chat_id, 1):
                del self._alarms_waiting[row.chat_id]
            self._chat_users[row.chat_id] -= 1
            if self._chat_users[row.chat_id] == 0:
                del self._chat_users[row.chat_id]
                del self._chat_locks[row.chat_id]

    async def _chat_turn(self, lock: asyncio.Lock, chat_id: int, alarm: bool) -> None:
        """Take the chat's lock; an alarm goes ahead of the chat's other waiting rows: a row that gets
        the lock while an alarm of its chat waits gives it back and queues again (the lock is FIFO, so
        the others keep their order, behind the alarm)."""
        while True:
            await lock.acquire()
            if alarm or not self._alarms_waiting.get(chat_id):
                return
            lock.release()
            await asyncio.sleep(0)

    async def _attempt(self, row: Claimed) -> None:
        closed_at = self._closed_chats.get(row.chat_id)
        if (
            closed_at is not None
            and time.monotonic() - closed_at < CLOSED_CHAT_MEMORY
            and row.state == outbox.PENDING
        ):
            await outbox.finish(self._sessions, row.id, outbox.FAILED, "Forbidden: chat closed to the bot")
            return
        try:
            if row.state == outbox.AWAITING_PHOTO:
                await self.sender.add_late_photo(row, self.owner)
            else:
                await self.sender.deliver(row)
                self.sent += 1
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after) + random.uniform(0, 0.5)
            LOG.warning("delivery_throttled delivery=%s chat=%s retry_after=%.1f", row.id, row.chat_id, delay)
            await outbox.reschedule(
                self._sessions, row.id, self.owner, delay, f"RetryAfter: {exc}", count=False
            )
        except Forbidden as exc:
            LOG.warning("delivery_forbidden delivery=%s chat=%s error=%s", row.id, row.chat_id, exc.message)
            self._closed_chats[row.chat_id] = time.monotonic()
            await outbox.finish(self._sessions, row.id, outbox.FAILED, f"Forbidden: {exc.message}")
            await outbox.pause_chat(self._sessions, row.chat_id, "blocked", f"Forbidden: {exc.message}")
        except ChatMigrated as exc:
            LOG.info("delivery_chat_migrated chat=%s to=%s", row.chat_id, exc.new_chat_id)
            await outbox.follow_migration(self._sessions, row.chat_id, int(exc.new_chat_id))
            self.wakeup.set()
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                await outbox.finish(self._sessions, row.id, outbox.FAILED, exc.message)
                await outbox.pause_chat(self._sessions, row.chat_id, "chat_not_found", exc.message)
            elif row.state == outbox.AWAITING_PHOTO:  # the alert itself is out; only its picture is lost
                await outbox.finish(self._sessions, row.id, outbox.SENT, exc.message)
            else:
                LOG.error("delivery_refused delivery=%s chat=%s error=%s", row.id, row.chat_id, exc.message)
                await outbox.finish(self._sessions, row.id, outbox.FAILED, f"BadRequest: {exc.message}")
        except NetworkError as exc:  # 5xx, timeouts, connection refused (TimedOut is a NetworkError)
            await self._retry_later(row, f"{type(exc).__name__}: {exc.message}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database hiccup, a renderer bug …: retry, the row is not lost
            LOG.exception("delivery_error delivery=%s", row.id)
            await self._retry_later(row, f"{type(exc).__name__}: {exc}")

    async def _retry_later(self, row: Claimed, error: str) -> None:
        config = self.config
        if row.attempts + 1 >= config.max_attempts:
            LOG.error("delivery_gave_up delivery=%s chat=%s error=%s", row.id, row.chat_id, error)
            await outbox.finish(self._sessions, row.id, outbox.FAILED, error)
            return
        delay = min(config.backoff_cap, config.backoff_base * 2**row.attempts) * random.uniform(0.8, 1.2)
        LOG.warning("delivery_retry delivery=%s chat=%s in=%.1f error=%s", row.id, row.chat_id, delay, error)
        await outbox.reschedule(self._sessions, row.id, self.owner, delay, error)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_worker(
    services: Services,
    application: Application,
    *,
    config: DeliveryConfig | None = None,
    policy: SendingPolicy | None = None,
    render: Renderer | None = None,
    gateway: ImageGateway | None = None,
) -> DeliveryWorker:
    """A worker sending through `application.bot`, fetching pictures through the Netatmo gateway."""
    settings = services.settings
    config = config or DeliveryConfig(lease_seconds=settings.delivery_lease_seconds)
    snapshots = SnapshotStore(lambda: gateway or services.netatmo, settings.netatmo_api_url)
    sender = AlertSender(application.bot, services.sessions, snapshots, render or ChatRenderer(), policy)
    return DeliveryWorker(services, sender, config)
