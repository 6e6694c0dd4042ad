"""What intake reads before it stores a batch: the homes an active link still sees, and who gets their
alerts.

Both reads run before the write transaction, one after the other on one connection (`read_batch`), so
that SQLite's single writer lock is held only for the writes; what they read is as current as it would
be inside the transaction (a subscription or mute changed a moment later would be missed either way).
Not side by side on two connections: the event loop is the bottleneck, not the database, and a second
session costs more than the overlap gains.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Executable, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.events import SecurityEvent
from bot.domain.routing import MuteRule, SubscriptionRule
from bot.storage.deliveries import AlertHints
from bot.storage.models import Home, HomeDevice, HomeMember, LinkState, NetatmoLink
from bot.storage.subscriptions import load_routing_many

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class HomeFacts:
    """What intake needs of a home that an active link still sees (and hands on as `AlertHints`)."""

    timezone: str
    name: str
    link_id: int
    device_types: dict[str, str] = field(default_factory=dict)
    device_names: dict[str, str] = field(default_factory=dict)
    bridges: dict[str, str] = field(default_factory=dict)  # door tag or siren -> its camera

    def hints(self, event: SecurityEvent, language: str | None) -> AlertHints:
        names = self.device_names
        device_name = (names.get(event.module_id or "") or None) or (names.get(event.device_id or "") or None)
        return AlertHints(self.name, self.timezone, device_name, self.link_id, language)


@functools.cache
def _active_homes_query() -> Executable:
    """Built once (building it cost more than running it): the homes among `home_ids` with an active
    link, the one linked longest, their devices."""
    active_link = (
        select(NetatmoLink.id)
        .join(HomeMember, HomeMember.link_id == NetatmoLink.id)
        .where(HomeMember.home_id == Home.id, NetatmoLink.state == LinkState.ACTIVE)
        .order_by(NetatmoLink.linked_at, NetatmoLink.id)
        .limit(1)
        .correlate(Home)
        .scalar_subquery()
    )
    return (
        select(Home.id, Home.timezone, Home.name, active_link, HomeDevice.device_id, HomeDevice.type)
        .add_columns(HomeDevice.name, HomeDevice.bridge)
        .outerjoin(HomeDevice, HomeDevice.home_id == Home.id)
        .where(Home.id.in_(bindparam("home_ids", expanding=True)), active_link.is_not(None))
    )


async def active_homes(session: AsyncSession, home_ids: Iterable[str]) -> dict[str, HomeFacts]:
    """The homes among `home_ids` that at least one active Netatmo link still sees, with their name, time
    zone, devices and that link (the one linked longest, as `NetatmoGateway.link_for_home` picks): one
    query for the whole batch."""
    wanted = list(set(home_ids))
    if not wanted:
        return {}
    connection = await session.connection()  # Core statements: the ORM's execution path costs more
    rows = await connection.execute(_active_homes_query(), {"home_ids": wanted})
    homes: dict[str, HomeFacts] = {}
    for home_id, timezone, name, link_id, device_id, device_type, device_name, bridge in rows:
        facts = homes.get(home_id)
        if facts is None:
            facts = homes[home_id] = HomeFacts(timezone or "UTC", name or "", int(link_id))
        if device_id is not None:
            facts.device_types[device_id] = device_type
            if device_name:
                facts.device_names[device_id] = device_name
            if bridge:
                facts.bridges[device_id] = bridge
    return homes


@dataclass
class Routing:
    """Who gets the alerts of the batch's homes (rules, running mutes, zone) and in which language."""

    by_home: dict[str, tuple[list[SubscriptionRule], list[MuteRule], str]] = field(default_factory=dict)
    languages: dict[int, str | None] = field(default_factory=dict)


async def read_batch(
    sessions: Sessions, home_ids: list[str], now: datetime, deliver: bool
) -> tuple[dict[str, HomeFacts], Routing]:
    """The homes and the routing of a batch, read before its write transaction (see the module
    docstring); no routing when the batch queues no alerts (`deliver=False`) or no home is active."""
    routing = Routing()
    async with sessions() as session:
        active = await active_homes(session, home_ids)
        if deliver and active:
            routing.by_home = await load_routing_many(
                session, list(active), now, timezones={}, languages=routing.languages
            )
    for home_id, facts in active.items():  # the zones come with the homes, not with the routing
        if home_id in routing.by_home:
            rules, mutes, _ = routing.by_home[home_id]
            routing.by_home[home_id] = (rules, mutes, facts.timezone)
    return active, routing
