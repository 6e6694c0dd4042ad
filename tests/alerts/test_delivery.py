"""The delivery worker against the Bot API emulator: photos, file ids, late pictures, grouping, 403,
migrations, and Telegram 429/5xx storms."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy import select

from bot.domain.events import Kind, Severity
from bot.storage import deliveries as outbox
from bot.storage.models import Subscription, TelegramChat

OTHER_CAMERA = "70:ee:50:00:00:02"

SNAP = "https://netatmocameraimage.invalid/production/snap-1.jpg"


@dataclass
class World:
    """What every test here starts from (the emulator, a database, the worker harness, the outbox helpers),
    held once so each test names only what it does with them rather than the same seven fixtures."""

    emulator: Any
    database_url: str
    running_worker: Any
    seed_chats: Any
    add_event: Any
    event: Any
    deliveries: Any

    def worker(self, **options: Any) -> AbstractAsyncContextManager[Any]:
        """`async with world.worker() as harness`: a delivery worker on a fresh schema."""
        worker = self.running_worker(self.emulator, self.database_url, **options)
        return cast(AbstractAsyncContextManager[Any], worker)

    async def until_done(self, harness: Any, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109
        """Wake the worker until no delivery is pending or awaiting its photo; returns the rows."""

        async def settled() -> list[Any] | None:
            rows = await self.deliveries(harness.sessions)
            return rows if rows and all(r.state not in outbox.WORKABLE for r in rows) else None

        async with asyncio.timeout(timeout):
            while (rows := await settled()) is None:
                harness.worker.wakeup.set()
                await asyncio.sleep(0.05)
        return rows


@pytest.fixture
def world(
    emulator: Any,
    database_url: str,
    running_worker: Any,
    seed_chats: Any,
    add_event: Any,
    delivery_event: Any,
    deliveries: Any,
) -> World:
    return World(emulator, database_url, running_worker, seed_chats, add_event, delivery_event, deliveries)


async def test_one_upload_then_file_ids_for_other_chats(world: World, jpeg: Any) -> None:
    users = [world.emulator.add_user(f"U{i}") for i in range(4)]
    chats = [world.emulator.private_chat(u).id for u in users]
    async with world.worker() as harness:
        harness.gateway.images[SNAP] = jpeg()
        await world.seed_chats(harness.sessions, [(c, "private") for c in chats])
        event_pk = await world.add_event(harness.sessions, world.event("e1", snapshot_url=SNAP), chats)
        harness.worker.wakeup.set()
        rows = await world.until_done(harness)

        photos = world.emulator.calls("sendPhoto")
        uploads = [r for r in photos if r.files]
        assert len(photos) == 4 and len(uploads) == 1
        assert harness.gateway.calls == [SNAP]  # fetched from Netatmo once
        file_id = world.emulator.messages(chats[0])[0].photo_file_id or ""
        by_id = [r for r in photos if not r.files]
        assert {r.params["photo"] for r in by_id} == {
            world.emulator.messages(c)[0].photo_file_id for c in chats[1:]
        }
        assert file_id
        # Each row keeps the id its photo went out with: the upload's is the one claims hand on.
        assert {r.telegram_file_id for r in rows} == {
            world.emulator.messages(c)[0].photo_file_id for c in chats
        }
        assert {r.event_pk for r in rows} == {event_pk}
        for row, chat in zip(rows, chats, strict=True):
            (message,) = world.emulator.messages(chat)
            assert row.state == "sent" and row.has_photo
            assert row.telegram_message_id == message.message_id
            assert message.caption == "alert e1"
            assert message.buttons == [("Mute 1 h", f"mute:{world.event('e1').device_id}")]


async def test_late_snapshot_text_first_then_photo(world: World, jpeg: Any) -> None:
    user = world.emulator.add_user("Late")
    chat = world.emulator.private_chat(user).id
    async with world.worker() as harness:
        harness.gateway.images[SNAP] = jpeg("blue")
        harness.gateway.not_ready[SNAP] = 2  # 404 on the first two tries
        await world.seed_chats(harness.sessions, [(chat, "private")])
        await world.add_event(harness.sessions, world.event("late", snapshot_url=SNAP), [chat])
        harness.worker.wakeup.set()
        first = await world.emulator.wait_for_message(chat, timeout=5)
        assert first.text == "alert late" and first.media is None  # not held back for the picture
        (row,) = await world.until_done(harness)

        assert row.state == "sent" and row.telegram_message_id == first.message_id
        assert len(harness.gateway.calls) == 3  # bounded retries until the picture came
        (edit,) = world.emulator.calls("editMessageMedia")
        assert edit.params["message_id"] == str(first.message_id)
        assert edit.params["media"]["caption"] == "alert late"
        assert edit.status == 200  # the Bot API lets a text message gain media
        (message,) = world.emulator.messages(chat)
        assert message.photo_bytes == jpeg("blue") and message.caption == "alert late"
        assert message.text is None and row.has_photo


async def test_late_snapshot_gives_up_after_bounded_tries(world: World) -> None:
    user = world.emulator.add_user("Never")
    chat = world.emulator.private_chat(user).id
    async with world.worker() as harness:
        harness.gateway.not_ready[SNAP] = 1000
        await world.seed_chats(harness.sessions, [(chat, "private")])
        await world.add_event(harness.sessions, world.event("never", snapshot_url=SNAP), [chat])
        harness.worker.wakeup.set()
        (row,) = await world.until_done(harness)
        assert row.state == "sent" and not row.has_photo
        assert 2 <= len(harness.gateway.calls) <= 6
        assert [m.text for m in world.emulator.messages(chat)] == ["alert never"]


async def test_events_of_one_camera_are_grouped_in_one_message(world: World) -> None:
    user = world.emulator.add_user("Group")
    chat = world.emulator.private_chat(user).id
    async with world.worker() as harness:
        await world.seed_chats(harness.sessions, [(chat, "private")])
        t = 1_700_000_000
        for i, offset in enumerate((0, 10, 25)):
            await world.add_event(harness.sessions, world.event(f"g{i}", time=t + offset), [chat])
        await world.add_event(
            harness.sessions, world.event("other", time=t + 5, device_id=OTHER_CAMERA), [chat]
        )
        await world.add_event(harness.sessions, world.event("later", time=t + 200), [chat])
        smoke = world.event("smoke", time=t + 30, severity=Severity.ALARM, kind=Kind.SMOKE)
        await world.add_event(harness.sessions, smoke, [chat])
        harness.worker.wakeup.set()
        rows = await world.until_done(harness)

        texts = sorted(m.text or "" for m in world.emulator.messages(chat))
        assert texts == ["alert g0 + g1 + g2", "alert later", "alert other", "alert smoke"]
        grouped = [r for r in rows if r.event_pk in (1, 2, 3)]
        assert len({r.telegram_message_id for r in grouped}) == 1  # folded into the first message
        assert all(r.state == "sent" for r in rows)
        assert len(world.emulator.calls("sendMessage")) == 4
        assert len(world.emulator.calls("editMessageText")) == 2


async def test_blocked_bot_fails_the_delivery_and_pauses_the_subscription(world: World) -> None:
    blocker, fan = world.emulator.add_user("Blocker"), world.emulator.add_user("Fan")
    blocked, ok = world.emulator.private_chat(blocker).id, world.emulator.private_chat(fan).id
    world.emulator.block_bot(blocker)
    async with world.worker() as harness:
        await world.seed_chats(harness.sessions, [(blocked, "private"), (ok, "private")])
        await world.add_event(harness.sessions, world.event("b1"), [blocked, ok])
        await world.add_event(harness.sessions, world.event("b2", time=1_700_001_000), [blocked, ok])
        harness.worker.wakeup.set()
        rows = await world.until_done(harness)

        assert [r.state for r in rows if r.chat_id == blocked] == ["failed", "failed"]
        assert [r.state for r in rows if r.chat_id == ok] == ["sent", "sent"]
        assert "Forbidden" in (rows[0].last_error or "")
        async with harness.sessions() as session:
            sub = (
                await session.execute(select(Subscription).where(Subscription.chat_id == blocked))
            ).scalar_one()
            chat_row = await session.get(TelegramChat, blocked)
        assert sub.active is False and sub.paused_reason == "blocked"
        assert chat_row is not None and chat_row.bot_blocked_at is not None
        assert (
            len([c for c in world.emulator.calls("sendMessage") if c.params["chat_id"] == str(blocked)]) == 1
        )


async def test_group_migrated_to_supergroup_is_followed(world: World) -> None:
    alice = world.emulator.add_user("Alice")
    group = world.emulator.add_group("Family", [alice])
    new_id = world.emulator.migrate_chat(group)
    async with world.worker() as harness:
        await world.seed_chats(harness.sessions, [(group.id, "group")])
        await world.add_event(harness.sessions, world.event("m1"), [group.id])
        harness.worker.wakeup.set()
        rows = await world.until_done(harness)

        (row,) = rows
        assert row.chat_id == new_id and row.state == "sent"
        assert [m.text for m in world.emulator.messages(new_id)] == ["alert m1"]
        async with harness.sessions() as session:
            old = await session.get(TelegramChat, group.id)
            sub = (await session.execute(select(Subscription))).scalar_one()
        assert old is not None and old.migrated_to == new_id
        assert sub.chat_id == new_id and sub.active


async def test_429_and_5xx_storms_deliver_everything_exactly_once(world: World, jpeg: Any) -> None:
    users = [world.emulator.add_user(f"S{i}") for i in range(3)]
    chats = [world.emulator.private_chat(u).id for u in users]
    world.emulator.fail_next("sendMessage", 429, count=4, retry_after=1)
    world.emulator.fail_next("sendPhoto", 502, count=3)
    async with world.worker() as harness:
        harness.gateway.images[SNAP] = jpeg()
        await world.seed_chats(harness.sessions, [(c, "private") for c in chats])
        for i in range(10):
            url = SNAP if i % 2 else None
            event = world.event(f"s{i}", time=1_700_000_000 + 100 * i, snapshot_url=url)
            await world.add_event(harness.sessions, event, chats)
        world.emulator.fail_next("sendMessage", 500, count=3)
        world.emulator.fail_next("sendMessage", 429, count=2, retry_after=1)
        harness.worker.wakeup.set()
        rows = await world.until_done(harness, timeout=30)

        assert all(r.state == "sent" for r in rows) and len(rows) == 30
        failures = [r for r in world.emulator.requests if r.status in (429, 500, 502)]
        assert len(failures) >= 10  # the storms really happened
        for chat in chats:
            texts = [m.text or m.caption for m in world.emulator.messages(chat)]
            assert sorted(texts) == sorted(f"alert s{i}" for i in range(10))  # each once, none twice
