"""Per-user rate limits (50 requests / 10 s, 500 / hour) and scripted faults.

Both are test instruments as much as fidelity features: the admin API reads and resets the
counters, and `FaultPlan` makes the next N calls of an endpoint fail or hang.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class _Usage:
    stamps: deque[float] = field(default_factory=deque)
    total: int = 0
    rejected: int = 0


class RateLimiter:
    """Sliding windows per account, on the world clock (tests may move it)."""

    def __init__(self, clock: Callable[[], float], per_10s: int = 50, per_hour: int = 500) -> None:
        self.clock = clock
        self.per_10s = per_10s
        self.per_hour = per_hour
        self._usage: dict[str, _Usage] = {}

    def _window(self, account_id: str) -> tuple[_Usage, float]:
        usage = self._usage.setdefault(account_id, _Usage())
        now = self.clock()
        while usage.stamps and usage.stamps[0] <= now - 3600:
            usage.stamps.popleft()
        return usage, now

    def hit(self, account_id: str) -> bool:
        """Count one request; False (and not counted) when over a limit."""
        usage, now = self._window(account_id)
        last_10s = sum(1 for s in reversed(usage.stamps) if s > now - 10) if usage.stamps else 0
        if last_10s >= self.per_10s or len(usage.stamps) >= self.per_hour:
            usage.rejected += 1
            return False
        usage.stamps.append(now)
        usage.total += 1
        return True

    def counters(self, account_id: str) -> dict[str, int]:
        """Requests in the last 10 s and hour, the total and the rejected count."""
        usage, now = self._window(account_id)
        return {
            "requests_10s": sum(1 for s in usage.stamps if s > now - 10),
            "requests_hour": len(usage.stamps),
            "total": usage.total,
            "rejected": usage.rejected,
        }

    def reset(self, account_id: str | None = None) -> None:
        """Forget usage of one account (or all)."""
        if account_id is None:
            self._usage.clear()
        else:
            self._usage.pop(account_id, None)


# Named faults for the admin API: what the real API answers in each case (see README.md).
PRESETS: dict[str, dict[str, Any]] = {
    "usage_limit": {"status": 429, "code": 26, "message": "Maximum api usage reached"},
    "concurrency": {"status": 429, "code": 11, "message": "Failed to enter concurrency limited section"},
    "unreachable": {"status": 200, "code": 6, "message": "Device is unreachable", "unreachable": True},
    "server_error": {"status": 500, "code": None, "message": "Internal Server Error"},
}


@dataclass(slots=True)
class Fault:
    """A scripted failure for the next `count` calls of an endpoint, or for every call of it until
    `until` (monotonic seconds) when a time window was given.

    `unreachable` answers like the real API for a device that is offline: HTTP 200 with
    `body.errors[{code, id}]` (setstate, homestatus), so nothing is changed. `retry_after` adds that
    header to the answer (throttling faults).
    """

    endpoint: str
    status: int
    code: int | None
    count: int
    hang: bool = False
    message: str = "Simulated failure"
    until: float | None = None
    retry_after: float | None = None
    unreachable: bool = False
    device_id: str | None = None
    hits: int = 0

    def as_json(self) -> dict[str, Any]:
        """Admin API representation."""
        return {
            "endpoint": self.endpoint,
            "status": self.status,
            "code": self.code,
            "count": self.count,
            "hang": self.hang,
            "message": self.message,
            "seconds_left": None if self.until is None else max(0.0, round(self.until - time.monotonic(), 3)),
            "retry_after": self.retry_after,
            "unreachable": self.unreachable,
            "device_id": self.device_id,
            "hits": self.hits,
        }


def normalise_endpoint(name: str) -> str:
    """'api/homestatus', '/api/homestatus' and 'homestatus' all name the same endpoint."""
    name = name.strip("/")
    return name[4:] if name.startswith("api/") else name


class FaultPlan:
    """Queued faults, consumed in order per endpoint; windowed faults last until their time is up."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._faults: list[Fault] = []
        self._clock = clock

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        fault.endpoint = normalise_endpoint(fault.endpoint)
        self._faults.append(fault)

    def _expire(self) -> None:
        now = self._clock()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]

    def take(self, endpoint: str) -> Fault | None:
        """The fault to apply to this call, if any (decrements a counted fault)."""
        self._expire()
        endpoint = normalise_endpoint(endpoint)
        for fault in self._faults:
            if fault.endpoint in (endpoint, "*"):
                fault.hits += 1
                if fault.until is None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """Faults still queued."""
        self._expire()
        return [f.as_json() for f in self._faults]

    def clear(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()
