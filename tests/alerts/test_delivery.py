"""The delivery worker against the Bot API emulator: photos, file ids, late pictures, grouping, 403,
migrations, and Telegram 429/5xx storms."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.domain.events import Kind, Severity
from bot.storage import deliveries as outbox
from bot.storage.models import Subscription, TelegramChat

OTHER_CAMERA = "70:ee:50:00:00:02"

SNAP = "https://netatmocameraimage.invalid/production/snap-1.jpg"


async def _until_done(harness: Any, emulator: Any, deliveries: Any, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109
    """Wait until no delivery is pending or awaiting its photo; returns the rows."""

    async def settled() -> list[Any] | None:
        rows = await deliveries(harness.sessions)
        return rows if rows and all(r.state not in outbox.WORKABLE for r in rows) else None

    async with asyncio.timeout(timeout):
        while (rows := await settled()) is None:
            harness.worker.wakeup.set()
            await asyncio.sleep(0.05)
    return rows


async def test_one_upload_then_file_ids_for_other_chats(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    jpeg: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    users = [emulator.add_user(f"U{i}") for i in range(4)]
    chats = [emulator.private_chat(u).id for u in users]
    async with running_worker(emulator, database_url) as harness:
        harness.gateway.images[SNAP] = jpeg()
        await seed_chats(harness.sessions, [(c, "private") for c in chats])
        event_pk = await add_event(harness.sessions, delivery_event("e1", snapshot_url=SNAP), chats)
        harness.worker.wakeup.set()
        rows = await _until_done(harness, emulator, deliveries)

        photos = emulator.calls("sendPhoto")
        uploads = [r for r in photos if r.files]
        assert len(photos) == 4 and len(uploads) == 1
        assert harness.gateway.calls == [SNAP]  # fetched from Netatmo once
        file_id = emulator.messages(chats[0])[0].photo_file_id or ""
        by_id = [r for r in photos if not r.files]
        assert {r.params["photo"] for r in by_id} == {
            emulator.messages(c)[0].photo_file_id for c in chats[1:]
        }
        assert file_id
        # Each row keeps the id its photo went out with: the upload's is the one claims hand on.
        assert {r.telegram_file_id for r in rows} == {emulator.messages(c)[0].photo_file_id for c in chats}
        assert {r.event_pk for r in rows} == {event_pk}
        for row, chat in zip(rows, chats, strict=True):
            (message,) = emulator.messages(chat)
            assert row.state == "sent" and row.has_photo
            assert row.telegram_message_id == message.message_id
            assert message.caption == "alert e1"
            assert message.buttons == [("Mute 1 h", f"mute:{delivery_event('e1').device_id}")]


async def test_late_snapshot_text_first_then_photo(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    jpeg: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    user = emulator.add_user("Late")
    chat = emulator.private_chat(user).id
    async with running_worker(emulator, database_url) as harness:
        harness.gateway.images[SNAP] = jpeg("blue")
        harness.gateway.not_ready[SNAP] = 2  # 404 on the first two tries
        await seed_chats(harness.sessions, [(chat, "private")])
        await add_event(harness.sessions, delivery_event("late", snapshot_url=SNAP), [chat])
        harness.worker.wakeup.set()
        first = await emulator.wait_for_message(chat, timeout=5)
        assert first.text == "alert late" and first.media is None  # not held back for the picture
        (row,) = await _until_done(harness, emulator, deliveries)

        assert row.state == "sent" and row.telegram_message_id == first.message_id
        assert len(harness.gateway.calls) == 3  # bounded retries until the picture came
        (edit,) = emulator.calls("editMessageMedia")
        assert edit.params["message_id"] == str(first.message_id)
        assert edit.params["media"]["caption"] == "alert late"
        assert edit.status == 200  # the Bot API lets a text message gain media
        (message,) = emulator.messages(chat)
        assert message.photo_bytes == jpeg("blue") and message.caption == "alert late"
        assert message.text is None and row.has_photo


async def test_late_snapshot_gives_up_after_bounded_tries(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    user = emulator.add_user("Never")
    chat = emulator.private_chat(user).id
    async with running_worker(emulator, database_url) as harness:
        harness.gateway.not_ready[SNAP] = 1000
        await seed_chats(harness.sessions, [(chat, "private")])
        await add_event(harness.sessions, delivery_event("never", snapshot_url=SNAP), [chat])
        harness.worker.wakeup.set()
        (row,) = await _until_done(harness, emulator, deliveries)
        assert row.state == "sent" and not row.has_photo
        assert 2 <= len(harness.gateway.calls) <= 6
        assert [m.text for m in emulator.messages(chat)] == ["alert never"]


async def test_events_of_one_camera_are_grouped_in_one_message(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    user = emulator.add_user("Group")
    chat = emulator.private_chat(user).id
    async with running_worker(emulator, database_url) as harness:
        await seed_chats(harness.sessions, [(chat, "private")])
        t = 1_700_000_000
        for i, offset in enumerate((0, 10, 25)):
            await add_event(harness.sessions, delivery_event(f"g{i}", time=t + offset), [chat])
        await add_event(harness.sessions, delivery_event("other", time=t + 5, device_id=OTHER_CAMERA), [chat])
        await add_event(harness.sessions, delivery_event("later", time=t + 200), [chat])
        smoke = delivery_event("smoke", time=t + 30, severity=Severity.ALARM, kind=Kind.SMOKE)
        await add_event(harness.sessions, smoke, [chat])
        harness.worker.wakeup.set()
        rows = await _until_done(harness, emulator, deliveries)

        texts = sorted(m.text or "" for m in emulator.messages(chat))
        assert texts == ["alert g0 + g1 + g2", "alert later", "alert other", "alert smoke"]
        grouped = [r for r in rows if r.event_pk in (1, 2, 3)]
        assert len({r.telegram_message_id for r in grouped}) == 1  # folded into the first message
        assert all(r.state == "sent" for r in rows)
        assert len(emulator.calls("sendMessage")) == 4
        assert len(emulator.calls("editMessageText")) == 2


async def test_blocked_bot_fails_the_delivery_and_pauses_the_subscription(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    blocker, fan = emulator.add_user("Blocker"), emulator.add_user("Fan")
    blocked, ok = emulator.private_chat(blocker).id, emulator.private_chat(fan).id
    emulator.block_bot(blocker)
    async with running_worker(emulator, database_url) as harness:
        await seed_chats(harness.sessions, [(blocked, "private"), (ok, "private")])
        await add_event(harness.sessions, delivery_event("b1"), [blocked, ok])
        await add_event(harness.sessions, delivery_event("b2", time=1_700_001_000), [blocked, ok])
        harness.worker.wakeup.set()
        rows = await _until_done(harness, emulator, deliveries)

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
        assert len([c for c in emulator.calls("sendMessage") if c.params["chat_id"] == str(blocked)]) == 1


async def test_group_migrated_to_supergroup_is_followed(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    alice = emulator.add_user("Alice")
    group = emulator.add_group("Family", [alice])
    new_id = emulator.migrate_chat(group)
    async with running_worker(emulator, database_url) as harness:
        await seed_chats(harness.sessions, [(group.id, "group")])
        await add_event(harness.sessions, delivery_event("m1"), [group.id])
        harness.worker.wakeup.set()
        rows = await _until_done(harness, emulator, deliveries)

        (row,) = rows
        assert row.chat_id == new_id and row.state == "sent"
        assert [m.text for m in emulator.messages(new_id)] == ["alert m1"]
        async with harness.sessions() as session:
            old = await session.get(TelegramChat, group.id)
            sub = (await session.execute(select(Subscription))).scalar_one()
        assert old is not None and old.migrated_to == new_id
        assert sub.chat_id == new_id and sub.active


async def test_429_and_5xx_storms_deliver_everything_exactly_once(
    emulator: Any,
    database_url: str,
    add_event: Any,
    delivery_event: Any,
    jpeg: Any,
    running_worker: Any,
    seed_chats: Any,
    deliveries: Any,
) -> None:
    users = [emulator.add_user(f"S{i}") for i in range(3)]
    chats = [emulator.private_chat(u).id for u in users]
    emulator.fail_next("sendMessage", 429, count=4, retry_after=1)
    emulator.fail_next("sendPhoto", 502, count=3)
    async with running_worker(emulator, database_url) as harness:
        harness.gateway.images[SNAP] = jpeg()
        await seed_chats(harness.sessions, [(c, "private") for c in chats])
        for i in range(10):
            url = SNAP if i % 2 else None
            event = delivery_event(f"s{i}", time=1_700_000_000 + 100 * i, snapshot_url=url)
            await add_event(harness.sessions, event, chats)
        emulator.fail_next("sendMessage", 500, count=3)
        emulator.fail_next("sendMessage", 429, count=2, retry_after=1)
        harness.worker.wakeup.set()
        rows = await _until_done(harness, emulator, deliveries, timeout=30)

        assert all(r.state == "sent" for r in rows) and len(rows) == 30
        failures = [r for r in emulator.requests if r.status in (429, 500, 502)]
        assert len(failures) >= 10  # the storms really happened
        for chat in chats:
            texts = [m.text or m.caption for m in emulator.messages(chat)]
            assert sorted(texts) == sorted(f"alert s{i}" for i in range(10))  # each once, none twice
