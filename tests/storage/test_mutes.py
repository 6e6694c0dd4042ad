"""Mutes: a newer mute of the same camera replaces the older, expired ones stop counting, clearing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.routing import MuteRule
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo


async def test_mutes_live_replace_clear(seeded: Any) -> None:
    home, cam, now = seeded.home, seeded.camera, seeded.now
    async with seeded.sessions.begin() as session:
        await mutes_repo.add_mute(session, -100, home, cam, now + timedelta(hours=1), 20)
        await mutes_repo.add_mute(session, -100, home, cam, now + timedelta(minutes=10), 20)  # replaces
        await mutes_repo.add_mute(session, -100, home, None, now - timedelta(minutes=1), 20)  # expired
        await mutes_repo.add_mute(session, 10, "other", None, now + timedelta(hours=8), 10)
    async with seeded.sessions.begin() as session:
        _, mutes, _ = await repo.load_routing(session, home, now)
        assert mutes == [MuteRule(-100, cam, now + timedelta(minutes=10))]
        live = await mutes_repo.live_mutes(session, -100, now)
        assert [(m.device_id, m.until) for m in live] == [(cam, now + timedelta(minutes=10))]
        assert await mutes_repo.clear_mutes(session, -100, mute_id=live[0].id) == 1
        assert await mutes_repo.live_mutes(session, -100, now) == []
        assert await mutes_repo.clear_mutes(session, 10) == 1
