"""The queue between the Netatmo webhook route and the intake watcher.

The route must answer Netatmo at once (it bans slow endpoints), so it only verifies a push and puts it
here; the watcher drains it in batches. Bounded: when intake falls far behind, the route drops pushes
(polling reconciles them) rather than letting memory grow without end.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

INBOX_SIZE = 2000


@dataclass(frozen=True)
class Push:
    """A verified push waiting for the watcher."""

    payload: dict[str, Any]
    received_at: datetime


class WebhookInbox(asyncio.Queue[Push]):
    """One per process, built with `bot.services.Services`."""

    def __init__(self, maxsize: int = INBOX_SIZE) -> None:
        super().__init__(maxsize=maxsize)
