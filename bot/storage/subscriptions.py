"""Subscriptions: which chats receive a home's alerts, with their filters, and the routing view of them
(with the chats' running mutes) that intake applies to each event.

Small functions taking an open session: the caller decides the transaction, so an intake run can read the
routing rules and write its outbox rows atomically, and linking can subscribe a private chat in the same
transaction that saves the link.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.routing import PEOPLE_ALL, MuteRule, SubscriptionRule
from bot.storage.models import (
    Home,
    Mute,
    Subscription,
    TelegramUser,
)
from bot.storage.upsert import insert_ignore

# Columns of Subscription a settings change may touch.
FILTER_COLUMNS = frozenset(
    {"event_kinds", "camera_ids", "people_mode", "person_ids", "quiet_start", "quiet_end"}
)


def to_rule(subscription: Subscription) -> SubscriptionRule:
    """The routing view of a subscription row."""
    kinds, cameras = subscription.event_kinds, subscription.camera_ids
    return SubscriptionRule(
        chat_id=subscription.chat_id,
        home_id=subscription.home_id,
        event_kinds=frozenset(str(k) for k in kinds) if kinds is not None else None,
        camera_ids=frozenset(str(c) for c in cameras) if cameras is not None else None,
        people_mode=subscription.people_mode or PEOPLE_ALL,
        person_ids=frozenset(str(p) for p in subscription.person_ids or ()),
        quiet_start=subscription.quiet_start,
        quiet_end=subscription.quiet_end,
    )


async def load_routing(
    session: AsyncSession, home_id: str, now: datetime
) -> tuple[list[SubscriptionRule], list[MuteRule], str]:
    """Active subscriptions of a home, its mutes still running at `now`, and its time zone."""
    subscriptions = await session.scalars(
        select(Subscription)
        .where(Subscription.home_id == home_id, Subscription.active.is_(True))
        .order_by(Subscription.id)
    )
    rules = [to_rule(sub) for sub in subscriptions]
    mutes = await session.scalars(select(Mute).where(Mute.home_id == home_id, Mute.until > now))
    mute_rules = [MuteRule(m.chat_id, m.device_id, m.until) for m in mutes]
    timezone = await session.scalar(select(Home.timezone).where(Home.id == home_id))
    return rules, mute_rules, timezone or "UTC"


@functools.cache
def _routing_query() -> Executable:
    """The subscriptions of some homes (`home_ids`) with their chats' languages and mutes running at
    `now`: built once, since building this statement cost more than running it (intake runs it for every
    webhook batch)."""
    private, subscriber = aliased(TelegramUser), aliased(TelegramUser)
    running_mute = and_(
        Mute.chat_id == Subscription.chat_id,
        Mute.home_id == Subscription.home_id,
        Mute.until > bindparam("now"),
    )
    return (
        select(
            Subscription,
            private.id,
            private.language_code,
            subscriber.language_code,
            Mute.id,
            Mute.device_id,
            Mute.until,
        )
        .outerjoin(private, private.id == Subscription.chat_id)
        .outerjoin(subscriber, subscriber.id == Subscription.created_by)
        .outerjoin(Mute, running_mute)  # only the mutes of subscribed chats matter to routing
        .where(Subscription.home_id.in_(bindparam("home_ids", expanding=True)), Subscription.active.is_(True))
        .order_by(Subscription.id, Mute.id)
    )


async def load_routing_many(
    session: AsyncSession,
    home_ids: Sequence[str],
    now: datetime,
    *,
    timezones: Mapping[str, str] | None = None,
    languages: dict[int, str | None] | None = None,
) -> dict[str, tuple[list[SubscriptionRule], list[MuteRule], str]]:
    """`load_routing` for several homes in two queries (intake handles a webhook batch at once): the
    subscriptions with their chats' running mutes, and the homes' time zones unless the caller read them.

    `languages`, when given, is filled from the same query with the language of each subscribed chat, as
    `bot.alerts.sending.chat_language` tells it: a private chat's user's, else the subscriber's."""
    wanted = list(dict.fromkeys(home_ids))
    routing: dict[str, tuple[list[SubscriptionRule], list[MuteRule], str]] = {
        home_id: ([], [], "UTC") for home_id in wanted
    }
    if not wanted:
        return routing
    rows = await session.execute(_routing_query(), {"home_ids": wanted, "now": now})
    seen: set[int] = set()
    for sub, user_id, own_language, subscriber_language, mute_id, muted_device, until in rows:
        if mute_id is not None:
            routing[sub.home_id][1].append(MuteRule(sub.chat_id, muted_device, until))
        if sub.id in seen:  # one row per running mute of the chat
            continue
        seen.add(sub.id)
        routing[sub.home_id][0].append(to_rule(sub))
        if languages is None:
            continue
        if user_id is not None:
            languages[sub.chat_id] = own_language
        else:
            languages.setdefault(sub.chat_id, subscriber_language)
    if timezones is None:
        zones = await session.execute(select(Home.id, Home.timezone).where(Home.id.in_(wanted)))
        timezones = {home_id: timezone for home_id, timezone in zones}
    for home_id in wanted:
        if home_id in timezones:
            rules, mute_rules, _ = routing[home_id]
            routing[home_id] = (rules, mute_rules, timezones[home_id] or "UTC")
    return routing


# -- subscriptions ----------------------------------------------------------------------------------


async def get_subscription(session: AsyncSession, chat_id: int, home_id: str) -> Subscription | None:
    return await session.scalar(
        select(Subscription).where(Subscription.chat_id == chat_id, Subscription.home_id == home_id)
    )


async def subscription_by_id(session: AsyncSession, subscription_id: int) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def chat_subscriptions(session: AsyncSession, chat_id: int) -> list[tuple[Subscription, Home]]:
    """Every subscription of a chat (paused ones included, so they can be shown and removed)."""
    rows = await session.execute(
        select(Subscription, Home)
        .join(Home, Home.id == Subscription.home_id)
        .where(Subscription.chat_id == chat_id)
        .order_by(Home.name, Home.id)
    )
    return [(sub, home) for sub, home in rows]


async def subscribe(session: AsyncSession, chat_id: int, home_id: str, created_by: int | None) -> str:
    """Make `chat_id` receive the home's alerts: "created", "resumed" (was paused) or "exists"."""
    inserted = await insert_ignore(
        session,
        Subscription,
        {"chat_id": chat_id, "home_id": home_id, "created_by": created_by, "active": True, "person_ids": []},
        keys=["chat_id", "home_id"],
    )
    if inserted:
        return "created"
    existing = await get_subscription(session, chat_id, home_id)
    if existing is not None and not existing.active:
        existing.active = True
        existing.paused_reason = None
        await session.flush()
        return "resumed"
    return "exists"


async def subscribe_if_absent(
    session: AsyncSession, chat_id: int, home_id: str, created_by: int | None
) -> bool:
    """Subscribe the chat unless it already has a subscription to the home, paused or not (a paused one
    was paused for a reason, which only the chat's own /subscribe overrides). True when created."""
    return await insert_ignore(
        session,
        Subscription,
        {"chat_id": chat_id, "home_id": home_id, "created_by": created_by},
        keys=["chat_id", "home_id"],
    )


async def drop_subscriptions_by(session: AsyncSession, created_by: int, home_ids: Sequence[str]) -> None:
    """Remove the subscriptions a user made to these homes (they lost access to them)."""
    await session.execute(
        delete(Subscription).where(
            Subscription.created_by == created_by, Subscription.home_id.in_(list(home_ids))
        )
    )


async def unsubscribe(session: AsyncSession, chat_id: int, home_id: str) -> bool:
    """Stop the home's alerts in the chat, and drop the chat's mutes of that home. True if it existed."""
    result = await session.execute(
        delete(Subscription).where(Subscription.chat_id == chat_id, Subscription.home_id == home_id)
    )
    await session.execute(delete(Mute).where(Mute.chat_id == chat_id, Mute.home_id == home_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def update_filters(session: AsyncSession, subscription_id: int, **values: Any) -> Subscription | None:
    """Change filters / quiet hours of one subscription; unknown column names are a programming error."""
    unknown = set(values) - FILTER_COLUMNS
    if unknown:
        raise ValueError(f"not a filter column: {sorted(unknown)}")
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        return None
    for name, value in values.items():
        setattr(subscription, name, value)
    await session.flush()
    return subscription
