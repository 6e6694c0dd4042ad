"""What the first send of an alert needs to know, read by intake in the batch queries it makes anyway.

Intake reads each home (name, time zone, devices, the link that sees it) and the routing (with each chat's
language) for every batch it stores. Without hints the delivery worker reads the same rows again, one
query per cold cache (home, device name, chat language, link) for the first alert of every home, all of it
between the webhook and the photo. So intake hands the facts over with the rows it gives the local worker
in memory, and the worker primes its caches with them (`AlertSender.prime`). Rows the worker had no room
for are inserted unleased and claimed later (a backlog); intake still passes their hints along
(`DeliveryHandoff.expect`), so that the claim finds the caches warm. Rows claimed by another replica, or
after the caches' time to live, are looked up as before; a rename shows within that time either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.events import SecurityEvent


@dataclass(frozen=True)
class AlertHints:
    home_name: str
    timezone: str
    device_name: str | None  # the reporting module's name, else its device's (as `load_alert_names`)
    link_id: int | None  # the link to fetch the home's pictures with
    language: str | None  # the chat's language (read with the routing: `load_routing_many(languages=)`)


# (event, chat id, hints) of an outbox row inserted unleased: see `DeliveryHandoff.expect`.
Expected = tuple[SecurityEvent, int, AlertHints]
