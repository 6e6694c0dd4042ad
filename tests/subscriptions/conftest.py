"""The family the subscription tests start from is `family` (tests/conftest.py): a running bot, Anna linked
(owner of the demo homes), Bob not linked, and their group chat; here, that group already subscribed to
Anna's first home."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from bot.storage import subscriptions as repo
from bot.storage.telegram import save_chat
from standins.netatmo_sim.world.demo import HOME_ONE_ID


class SubscribedFamily(NamedTuple):
    runtime: Any
    anna: Any
    bob: Any
    group: Any
    sub_id: int


@pytest.fixture
async def subscribed_family(family: Any) -> SubscribedFamily:
    """The family's group subscribed to HOME_ONE by Anna, as /subscribe would have left it."""
    runtime, anna, bob, group = family
    async with runtime.services.sessions.begin() as session:
        await save_chat(session, group.id, "group", "Family")
        await repo.subscribe(session, group.id, HOME_ONE_ID, anna.id)
        sub = await repo.get_subscription(session, group.id, HOME_ONE_ID)
    assert sub is not None
    return SubscribedFamily(runtime, anna, bob, group, sub.id)
