"""The home's known persons (faces with a name), to tell a polled person event's face known or unknown.

getevents does not say whether a face was recognised; homesdata lists the home's persons, and only known
faces have a `pseudo`. The list comes from the link's pyatmo account, whose topology the gateway loads
once and keeps: no request per poll.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import pyatmo

from bot.domain.events import Kind, SecurityEvent

LOG = logging.getLogger(__name__)


class AccountSource(Protocol):
    async def account(self, link_id: int) -> pyatmo.AsyncAccount: ...


async def known_persons(gateway: AccountSource, link_id: int, home_id: str) -> dict[str, str] | None:
    """id → pseudo of the home's known faces; None when the list cannot be read (then nothing is
    decided: a poll never fails for it)."""
    try:
        account = await gateway.account(link_id)
        home = account.homes.get(home_id)
    except Exception as error:  # a missing list must not cost the poll its events
        LOG.info("known_persons_unavailable home=%s error=%s", home_id, type(error).__name__)
        return None
    if home is None:
        return None
    return {str(pid): str(person.pseudo) for pid, person in home.persons.items() if person.pseudo}


def with_known_persons(
    events: Sequence[SecurityEvent], known: Mapping[str, str] | None
) -> list[SecurityEvent]:
    """Person events that do not say whether the face was known (getevents does not), told by the home's
    known persons (id → pseudo; a person without a pseudo is an unknown face Netatmo keeps apart). With no
    list (it could not be read) the events stay as they are: nothing can be known."""
    if known is None:
        return list(events)
    out = []
    for event in events:
        if event.kind is Kind.PERSON and event.person_known is None:
            is_known = event.person_id is not None and event.person_id in known
            name = known.get(event.person_id or "") or event.person_name
            event = replace(event, person_known=is_known, person_name=name if is_known else None)
        out.append(event)
    return out
