"""The intake watcher: the runtime Component that turns webhook pushes and polls into stored events, and
hands what intake stored to the delivery worker.

The alert path reads in one direction here: push → `intake.accept` → `DeliveryWorker.submit`. Intake
knows nothing of the worker; the watcher asks the worker for its room (`intake_lease`), gives intake that
room as plain data, and submits the rows intake returns. Rows it could not lease wait in the outbox,
and the worker is woken to claim them.

Three loops share one process: the webhook consumer (drains `services.inbox`, which the web route
fills), the poll loop (due homes, each under a per-home lease so replicas never poll the same home at
once, plus the offline rules' periodic tick) and, when Netatmo can reach us, the webhook registration
loop. Each loop survives errors (logged, retried on its next turn); `services.health.watcher` says how
things stand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.alerts.inbox import Push
from bot.alerts.intake import accept, ingest
from bot.alerts.poller import PollConfig, Poller
from bot.alerts.reachability import ReachabilityConfig, tick
from bot.alerts.webhook_registration import WebhookRegistrar
from bot.domain.events import SecurityEvent
from bot.netatmo.events import parse_webhook
from bot.services import Services
from bot.storage import polling
from bot.storage.leases import process_owner_id, release, try_lease
from bot.storage.polling import HomeToPoll

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatcherConfig:
    loop_interval: float = 5.0  # how often due homes are looked for
    reachability_interval: float = 30.0
    registration_interval: float = 60.0
    concurrency: int = 4  # homes polled at once by this replica
    webhook_batch: int = 200  # pushes handled in one intake batch
    # `Home.last_webhook_at` tells the poller that webhooks flow (`PollConfig.flow_window`, hours). It is
    # written by the poll loop, before it picks due homes, for the homes heard from since (one UPDATE,
    # not one per intake transaction on the alert's path), at most once a minute per home.
    webhook_note_interval: float = 60.0


class IntakeWatcher:
    def __init__(
        self,
        services: Services,
        *,
        config: WatcherConfig | None = None,
        poll: PollConfig | None = None,
        reachability: ReachabilityConfig | None = None,
        register_webhooks: bool | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.services = services
        self.sessions = services.sessions
        self.config = config or WatcherConfig()
        self.reachability = reachability or ReachabilityConfig()
        self.clock = clock
        self.owner = process_owner_id()
        self.inbox = services.inbox
        self.poller = Poller(
            self.sessions, lambda: services.netatmo, poll or PollConfig(), self.reachability, clock
        )
        self.registrar = WebhookRegistrar(
            self.sessions, lambda: services.netatmo, services.settings.netatmo_webhook_url, self.owner, clock
        )
        configured = services.settings.register_netatmo_webhooks
        self.register_webhooks = configured if register_webhooks is None else register_webhooks
        self.forced: set[str] = set()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_poll: datetime | None = None
        self._last_tick: datetime | None = None
        self._homes = 0
        self._registered = 0
        self._loop_failures = 0
        self._webhook_noted: dict[str, float] = {}  # home -> monotonic time last_webhook_at was queued
        self._webhook_heard: dict[str, datetime] = {}  # homes whose last_webhook_at is to be written

    # lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        loops = [self._consume_loop(), self._poll_loop()]
        if self.register_webhooks:
            loops.append(self._registration_loop())
        self._tasks = [asyncio.create_task(loop) for loop in loops]
        self._report()
        LOG.info("intake_watcher_started register_webhooks=%s", self.register_webhooks)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        try:
            await self.note_webhooks()
        except Exception:  # the database is gone: the next start polls sooner, nothing is lost
            LOG.warning("webhook_note_failed_at_stop homes=%d", len(self._webhook_heard))
        self.services.health.watcher["state"] = "stopped"

    def poll_soon(self, home_id: str) -> None:
        self.forced.add(home_id)
        self._wake.set()

    # webhooks -------------------------------------------------------------------------------------------

    async def _consume_loop(self) -> None:
        while True:
            batch = [await self.inbox.get()]
            while len(batch) < self.config.webhook_batch and not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            try:
                await self.handle(batch)
            except Exception:
                LOG.exception("webhook_batch_failed pushes=%d", len(batch))

    async def handle(self, pushes: Sequence[Push]) -> int:
        """Process verified pushes; returns how many new events they brought."""
        events: list[SecurityEvent] = []
        seen_homes: set[str] = set()
        for push in pushes:
            now = int(push.received_at.timestamp())
            parsed = parse_webhook(push.payload, now=now)
            control = parsed.control
            if control is not None and control.kind == "incomplete":
                # A push naming only its device: its home is the device's. With the home known, an alarm
                # is an event at once (`parse_webhook` gives it an id of ours); anything else without an
                # event id is left to a poll of that home rather than guessed.
                home_id = control.home_id or await self._home_of_device(control.device_id)
                if home_id is not None and control.home_id is None:
                    parsed = parse_webhook(push.payload, now=now, home_id=home_id)
                if home_id is not None and not parsed.events:
                    self.poll_soon(home_id)
                    seen_homes.add(home_id)
                if not parsed.events:
                    LOG.info(
                        "webhook_incomplete push_type=%s home_known=%s",
                        control.push_type,
                        home_id is not None,
                    )
            elif control is not None and control.kind == "topology":
                refresh = self.services.topology_changed
                if refresh is not None and control.home_id:
                    refresh(control.home_id)  # a new camera or a renamed room shows without relinking
            elif control is not None:
                await self._control(control.kind, control.user_id, control.push_type)
                if control.home_id:
                    seen_homes.add(control.home_id)
            events.extend(parsed.events)
            seen_homes.update(event.home_id for event in parsed.events)
        # The local worker's room goes to intake as a lease: that many new rows are stored already leased
        # to the worker and come back to be submitted, with no claim query between webhook and send.
        worker = self.services.delivery
        lease = worker.intake_lease() if worker is not None else None
        if worker is not None:
            worker.prefetch(events)  # the pictures download while the events are stored
        noted, moment = self._webhook_noted, time.monotonic()
        interval = self.config.webhook_note_interval
        stale = [h for h in sorted(seen_homes) if moment - noted.get(h, -math.inf) >= interval]
        stored = await accept(self.sessions, events, "webhook", lease=lease)
        if worker is not None:
            worker.submit(stored.rows)
            if stored.queued:
                worker.wake()
        if len(noted) > 100_000:
            noted.clear()
        noted.update(dict.fromkeys(stale, moment))
        self._webhook_heard.update(dict.fromkeys(stale, self.clock()))
        self._report()
        return len(stored.events)

    async def note_webhooks(self) -> None:
        """Write `last_webhook_at` of the homes heard from since the last time (see `WatcherConfig`)."""
        heard, self._webhook_heard = self._webhook_heard, {}
        if not heard:
            return
        try:
            await polling.note_webhooks(self.sessions, sorted(heard), max(heard.values()))
        except BaseException:
            for home_id, at in heard.items():  # next turn, then
                self._webhook_heard.setdefault(home_id, at)
            raise

    async def _control(self, kind: str, user_id: str | None, push_type: str) -> None:
        if kind == "activation":
            self.registrar.activated(user_id)
        elif kind == "deactivation":
            await self.registrar.deactivated(user_id)
            self._wake.set()
        LOG.debug("webhook_control kind=%s push_type=%s", kind, push_type)

    async def _home_of_device(self, device_id: str | None) -> str | None:
        if not device_id:
            return None
        return await polling.home_of_device(self.sessions, device_id)

    # polling ----------------------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self.run_once()
                self._loop_failures = 0
            except Exception:
                self._loop_failures += 1
                LOG.exception("poll_loop_failed failures=%d", self._loop_failures)
            self._report()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.loop_interval):
                    await self._wake.wait()

    async def run_once(self) -> int:
        """One turn: poll every due home (leased), then the offline rules; returns new events."""
        now = self.clock()
        await self.note_webhooks()
        forced, self.forced = self.forced, set()
        homes, self._homes = await polling.due_homes(self.sessions, now, forced)
        semaphore = asyncio.Semaphore(self.config.concurrency)

        async def one(home: HomeToPoll) -> int:
            async with semaphore:
                return await self._poll_leased(home)

        results = await asyncio.gather(*(one(home) for home in homes))
        new = sum(results)
        if (
            self._last_tick is None
            or (now - self._last_tick).total_seconds() >= self.config.reachability_interval
        ):
            self._last_tick = now
            self._registered = await self.registrar.registered_count()
            offline = await tick(self.sessions, now, self.reachability)
            new += await ingest(self.sessions, offline, "watcher", now=now)
        if new and self.services.delivery is not None:
            self.services.delivery.wake()  # polls and the offline rules queue rows unleased
        return new

    async def _poll_leased(self, home: HomeToPoll) -> int:
        lease = f"poll:{home.home_id}"
        if not await try_lease(self.sessions, lease, self.owner, self.poller.config.lease_seconds):
            return 0
        try:
            outcome = await self.poller.poll(home)
        finally:
            await release(self.sessions, lease, self.owner)
        self._last_poll = self.clock()
        return len(outcome.new)

    # webhook registration ---------------------------------------------------------------------------------

    async def _registration_loop(self) -> None:
        force = True
        while True:
            try:
                await self.registrar.register_all(force=force)
                force = False
            except Exception:
                LOG.exception("webhook_registration_failed")
            self._report()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.registration_interval):
                    await self.services.links_changed.wait()
            if self.services.links_changed.is_set():
                self.services.links_changed.clear()
                self._wake.set()  # and poll the new homes now

    # health -------------------------------------------------------------------------------------------

    def _report(self) -> None:
        health: dict[str, Any] = self.services.health.watcher
        health["state"] = "error" if self._loop_failures >= 3 else "ok"
        health["webhook"] = "active" if self._registered or self.registrar.activated_at else "inactive"
        if not self.register_webhooks:
            health["webhook"] = "disabled"
        health["last_poll"] = self._last_poll.isoformat() if self._last_poll else None
        health["queue"] = self.inbox.qsize()
        health["homes"] = self._homes
