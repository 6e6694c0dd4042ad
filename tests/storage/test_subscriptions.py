"""Subscriptions: the routing view, subscribe/resume/unsubscribe, filters, and linking's own writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.routing import MuteRule, SubscriptionRule
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo
from bot.storage.models import Subscription


async def test_subscribe_resume_exists_and_load_routing(seeded: Any) -> None:
    home, now = seeded.home, seeded.now
    async with seeded.sessions.begin() as session:
        assert await repo.subscribe(session, -100, home, 10) == "created"
        assert await repo.subscribe(session, -100, home, 10) == "exists"
        assert await repo.subscribe(session, 10, home, 10) == "created"
        sub = await repo.get_subscription(session, 10, home)
        assert sub is not None
        sub.active = False
        sub.paused_reason = "blocked"
    async with seeded.sessions.begin() as session:
        rules, mutes, tz = await repo.load_routing(session, home, now)
    assert tz == "Europe/Paris"
    assert mutes == []
    assert rules == [
        SubscriptionRule(-100, home, None, None, "all", frozenset(), None, None)
    ]  # the paused private chat is excluded
    async with seeded.sessions.begin() as session:
        assert await repo.subscribe(session, 10, home, 10) == "resumed"
        rules, _, _ = await repo.load_routing(session, home, now)
    assert sorted(r.chat_id for r in rules) == [-100, 10]


async def test_filters_update_and_rule_view(seeded: Any) -> None:
    home, cam = seeded.home, seeded.camera
    async with seeded.sessions.begin() as session:
        await repo.subscribe(session, -100, home, 10)
        sub = await repo.get_subscription(session, -100, home)
        assert sub is not None
        await repo.update_filters(
            session,
            sub.id,
            event_kinds=["human", "vehicle"],
            camera_ids=[cam],
            people_mode="chosen",
            person_ids=["p1"],
            quiet_start=1320,
            quiet_end=420,
        )
        with pytest.raises(ValueError):
            await repo.update_filters(session, sub.id, chat_id=5)
        assert await repo.update_filters(session, 999_999, quiet_start=1) is None
    async with seeded.sessions.begin() as session:
        rules, _, _ = await repo.load_routing(session, home, seeded.now)
    assert rules == [
        SubscriptionRule(
            -100,
            home,
            frozenset({"human", "vehicle"}),
            frozenset({cam}),
            "chosen",
            frozenset({"p1"}),
            1320,
            420,
        )
    ]


async def test_unsubscribe_drops_mutes_too(seeded: Any) -> None:
    home, now = seeded.home, seeded.now
    async with seeded.sessions.begin() as session:
        await repo.subscribe(session, -100, home, 10)
        await mutes_repo.add_mute(session, -100, home, None, now + timedelta(hours=1), 10)
        assert await repo.unsubscribe(session, -100, home)
        assert not await repo.unsubscribe(session, -100, home)
        assert await mutes_repo.live_mutes(session, -100, now) == []
        assert await repo.chat_subscriptions(session, -100) == []


async def test_routing_many_reads_each_subscription_once_with_all_its_running_mutes(seeded: Any) -> None:
    home, cam, now = seeded.home, seeded.camera, seeded.now
    async with seeded.sessions.begin() as session:
        assert await repo.subscribe(session, -100, home, 20) == "created"
        assert await repo.subscribe(session, 10, home, 10) == "created"
        await mutes_repo.add_mute(session, -100, home, cam, now + timedelta(hours=1), 20)
        await mutes_repo.add_mute(session, -100, home, None, now + timedelta(minutes=30), 20)
        await mutes_repo.add_mute(session, 10, home, cam, now - timedelta(minutes=1), 10)  # over
        await mutes_repo.add_mute(session, 10, "other", None, now + timedelta(hours=8), 10)  # another home
    async with seeded.sessions() as session:
        routing = await repo.load_routing_many(session, [home, "other"], now)
        old_style = await repo.load_routing(session, home, now)
    rules, mutes, zone = routing[home]
    assert sorted(rule.chat_id for rule in rules) == [-100, 10]  # once each, however many mutes
    assert sorted(mutes, key=lambda m: m.until) == [
        MuteRule(-100, None, now + timedelta(minutes=30)),
        MuteRule(-100, cam, now + timedelta(hours=1)),
    ]
    assert zone == "Europe/Paris"
    assert (sorted(rules, key=lambda r: r.chat_id), sorted(mutes, key=lambda m: m.until)) == (
        sorted(old_style[0], key=lambda r: r.chat_id),
        sorted(old_style[1], key=lambda m: m.until),
    )
    assert routing["other"] == ([], [], "UTC")  # nobody subscribed: its mute does not matter


async def test_subscribe_if_absent_leaves_a_paused_subscription_paused(seeded: Any) -> None:
    home = seeded.home
    async with seeded.sessions.begin() as session:
        assert await repo.subscribe_if_absent(session, 10, home, 10)
        assert not await repo.subscribe_if_absent(session, 10, home, 10)
        sub = await repo.get_subscription(session, 10, home)
        assert sub is not None and sub.active and sub.created_by == 10 and sub.person_ids == []
        sub.active = False
        sub.paused_reason = "blocked"
    async with seeded.sessions.begin() as session:
        assert not await repo.subscribe_if_absent(session, 10, home, 10)
        again = await repo.get_subscription(session, 10, home)
        assert again is not None and not again.active and again.paused_reason == "blocked"


async def test_drop_subscriptions_by_removes_only_that_users_to_those_homes(seeded: Any) -> None:
    home = seeded.home
    async with seeded.sessions.begin() as session:
        await repo.subscribe(session, 10, home, 10)
        await repo.subscribe(session, 10, "other", 10)
        await repo.subscribe(session, -100, home, 20)
        await repo.drop_subscriptions_by(session, 10, [home])
        await repo.drop_subscriptions_by(session, 10, [])  # nothing lost: nothing dropped
    async with seeded.sessions() as session:
        left = {(s.chat_id, s.home_id) for s in await session.scalars(select(Subscription))}
    assert left == {(10, "other"), (-100, home)}
