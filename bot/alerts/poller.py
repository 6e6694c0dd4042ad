"""Polling reconciliation: getevents (+ homestatus) per linked home, often when webhooks are not to be
trusted, rarely when they flow, always inside the account's request budget.

Webhooks stop silently sometimes, so polling is the safety net, not an afterthought. The poll
interval of a home comes from `next_poll_delay`, a pure function of what we know about its webhook:
- not registered, or polling recently found an event the webhook should have brought → short (60 s);
- registered and pushes seen recently → long (15 min): ~8 requests per home per hour;
- registered but silent → short again (we cannot tell "quiet" from "broken").
The delay is never below what the account's polling budget allows for all its homes, and backs off on errors.
After an outage a poll pages back (`event_id` + `size`) until it reaches the newest event it had seen,
bounded by `max_pages`. A home's first poll stores the history it finds without alerting about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pyatmo

from bot.alerts.intake import Sessions, accept, ingest
from bot.alerts.reachability import ReachabilityConfig, observations_from_status, observe, tick
from bot.domain.events import Kind, SecurityEvent
from bot.netatmo.errors import LinkBroken, NetatmoError, NotLinked, Throttled
from bot.netatmo.events import events_from_getevents
from bot.netatmo.persons import known_persons, with_known_persons
from bot.storage import polling
from bot.storage.polling import HomeToPoll

LOG = logging.getLogger(__name__)

# Kinds Netatmo pushes by webhook: finding one of these only by polling means the webhook missed it.
WEBHOOK_KINDS = frozenset(
    {
        Kind.PERSON,
        Kind.MOVEMENT,
        Kind.HUMAN,
        Kind.ANIMAL,
        Kind.VEHICLE,
        Kind.DOORBELL_RING,
        Kind.DOORBELL_MISSED,
        Kind.DOOR_OPEN,
        Kind.DOOR_MOVED,
        Kind.SIREN_SOUNDING,
        Kind.SMOKE,
        Kind.CO,
        Kind.MONITORING_ON,
        Kind.MONITORING_OFF,
    }
)


@dataclass(frozen=True)
class PollConfig:
    short: float = 60.0  # webhooks silent or not trusted
    long: float = 900.0  # webhooks flowing
    flow_window: float = 3 * 3600.0  # a push within this window means the webhook flows
    distrust_window: float = 3600.0  # after polling found an event the webhook missed
    webhook_grace: float = 120.0  # an event older than this, first seen by a poll, was missed by the webhook
    budget_per_hour: float = 240.0  # requests per account for polling (Netatmo allows 500/h per user)
    requests_per_poll: float = 2.0  # getevents + homestatus
    max_backoff: float = 1800.0
    page_size: int = 30
    max_pages: int = 5
    lease_seconds: float = 120.0


def next_poll_delay(
    *,
    now: datetime,
    webhook_registered: bool,
    last_webhook_at: datetime | None,
    last_missed_at: datetime | None,
    homes_on_account: int,
    failures: int,
    config: PollConfig,
) -> float:
    """Seconds until the next poll of a home (see the module docstring for the rules)."""
    flowing = (
        webhook_registered
        and last_webhook_at is not None
        and (now - last_webhook_at).total_seconds() <= config.flow_window
        and not (
            last_missed_at is not None and (now - last_missed_at).total_seconds() < config.distrust_window
        )
    )
    delay = config.long if flowing else config.short
    budget_floor = max(1, homes_on_account) * config.requests_per_poll * 3600.0 / config.budget_per_hour
    delay = max(delay, budget_floor)
    if failures > 0:
        delay = max(delay, min(config.max_backoff, config.short * 2 ** min(failures, 16)))
    return delay


class PollGateway(Protocol):
    """What polling needs of `NetatmoGateway` (a fake in tests)."""

    async def get_events(self, link_id: int, home_id: str, size: int = 30) -> list[dict[str, Any]]: ...

    async def api(
        self, link_id: int, endpoint: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    async def home_status(self, link_id: int, home_id: str) -> dict[str, Any]: ...

    async def account(self, link_id: int) -> pyatmo.AsyncAccount: ...


@dataclass
class PollOutcome:
    home_id: str
    new: list[SecurityEvent] = field(default_factory=list)
    pages: int = 0
    delay: float = 0.0
    error: str | None = None


@dataclass
class Poller:
    """Polls one home at a time; the caller (the watcher loop) picks due homes and holds the lease."""

    sessions: Sessions
    gateway: Callable[[], PollGateway | None]
    config: PollConfig = field(default_factory=PollConfig)
    reachability: ReachabilityConfig = field(default_factory=ReachabilityConfig)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    failures: dict[str, int] = field(default_factory=dict)
    missed_at: dict[str, datetime] = field(default_factory=dict)

    async def poll(self, home: HomeToPoll) -> PollOutcome:
        outcome = PollOutcome(home.home_id)
        now = self.clock()
        gateway = self.gateway()
        retry_after: float | None = None
        try:
            if gateway is None:
                raise NotLinked("no Netatmo gateway")
            raw, outcome.pages = await self._fetch(gateway, home)
            outcome.new = await self._ingest(gateway, home, raw, now)
            status = await gateway.home_status(home.link_id, home.home_id)
            back = await observe(self.sessions, observations_from_status(home.home_id, status, now))
            offline = await tick(self.sessions, now, self.reachability, [home.home_id])
            outcome.new += [e for e in back + offline if await ingest(self.sessions, [e], "watcher", now=now)]
            self.failures.pop(home.home_id, None)
            newest = max((_int(e.get("time")) for e in raw), default=None)
            await self._record(home, now, newest)
        except Throttled as exc:
            retry_after, outcome.error = exc.retry_after, "throttled"
        except (LinkBroken, NotLinked) as exc:
            outcome.error = type(exc).__name__
        except NetatmoError as exc:
            self.failures[home.home_id] = self.failures.get(home.home_id, 0) + 1
            outcome.error = type(exc).__name__
        outcome.delay = next_poll_delay(
            now=now,
            webhook_registered=home.webhook_registered,
            last_webhook_at=home.last_webhook_at,
            last_missed_at=self.missed_at.get(home.home_id),
            homes_on_account=home.homes_on_account,
            failures=self.failures.get(home.home_id, 0),
            config=self.config,
        )
        if retry_after is not None:
            outcome.delay = max(outcome.delay, retry_after)
        if outcome.error:
            LOG.warning(
                "poll_failed home=%s error=%s retry_in=%.0f", home.home_id, outcome.error, outcome.delay
            )
        await self._schedule(home.home_id, now + timedelta(seconds=outcome.delay))
        return outcome

    async def _fetch(self, gateway: PollGateway, home: HomeToPoll) -> tuple[list[dict[str, Any]], int]:
        """The newest page, then older pages while none of them reaches the last event seen."""
        size = self.config.page_size
        events = await gateway.get_events(home.link_id, home.home_id, size=size)
        pages, seen = 1, {e.get("id") for e in events}
        last, page, fresh = home.last_event_time, list(events), list(events)
        while (
            last is not None
            and fresh
            and len(page) >= size
            and pages < self.config.max_pages
            and min(_int(e.get("time")) for e in fresh) > last
        ):
            reply = await gateway.api(
                home.link_id,
                "api/getevents",
                {"home_id": home.home_id, "event_id": events[-1].get("id"), "size": size},
            )
            page = list(_events_of(reply))
            pages += 1
            fresh = [e for e in page if e.get("id") not in seen]
            seen.update(e.get("id") for e in fresh)
            events.extend(fresh)
        return events, pages

    async def _ingest(
        self, gateway: PollGateway, home: HomeToPoll, raw: list[dict[str, Any]], now: datetime
    ) -> list[SecurityEvent]:
        epoch = int(now.timestamp())
        events = events_from_getevents(home.home_id, raw, now=epoch)
        if any(e.kind is Kind.PERSON and e.person_known is None for e in events):
            # getevents does not say whether a face was known: the home's list of known persons does.
            known = await known_persons(gateway, home.link_id, home.home_id)
            events = with_known_persons(events, known)
        events.sort(key=lambda e: e.time)  # oldest first: the reachability rules replay them in order
        if home.last_event_time is None:
            # First poll: what happened before the home was linked is history, not news; what happened
            # since (before this first poll came round) is news and must not be lost.
            history = [e for e in events if e.time < home.watched_since]
            events = [e for e in events if e.time >= home.watched_since]
            await accept(self.sessions, history, "poll", deliver=False, reachability=False, now=now)
        new = (await accept(self.sessions, events, "poll", now=now)).events
        missed = [e for e in new if e.kind in WEBHOOK_KINDS and epoch - e.time > self.config.webhook_grace]
        if missed and home.webhook_registered:
            self.missed_at[home.home_id] = now
            LOG.warning("webhook_missed_events home=%s count=%d", home.home_id, len(missed))
        return new

    async def _record(self, home: HomeToPoll, now: datetime, newest: int | None) -> None:
        values: dict[str, Any] = {"last_polled_at": now}
        if newest is not None and (home.last_event_time is None or newest > home.last_event_time):
            values["last_event_time"] = newest
        elif home.last_event_time is None:
            values["last_event_time"] = 0  # polled once: later events are news
        await polling.update_home(self.sessions, home.home_id, values)

    async def _schedule(self, home_id: str, at: datetime) -> None:
        await polling.update_home(self.sessions, home_id, {"next_poll_at": at})


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _events_of(reply: Any) -> Sequence[dict[str, Any]]:
    body = reply.get("body", reply) if isinstance(reply, dict) else None
    home = body.get("home") if isinstance(body, dict) else None
    events = home.get("events") if isinstance(home, dict) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
