"""/log end to end: owners and admins read a home's changes, newest first, 20 a page, Older/Newer editing
the same message; members and outsiders are refused; a group sees only the homes it receives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.chat import callbacks
from bot.domain.audit_text import LogEntry, log_line
from bot.i18n import translator
from bot.storage import audit as audit_repo
from bot.storage import homes as homes_repo
from bot.storage.models import AuditEntry
from standins.netatmo_sim.world.demo import HOME_ONE_ID, HOME_TWO_ID

TIMEOUT = 10  # seconds for the bot's answers
_ = translator("en")


async def seed_changes(runtime: Any, user_id: int, chat_id: int, count: int) -> None:
    start = datetime.now(UTC) - timedelta(minutes=count)
    async with runtime.services.sessions.begin() as session:
        for n in range(count):
            session.add(
                AuditEntry(
                    at=start + timedelta(minutes=n),
                    telegram_user_id=user_id,
                    chat_id=chat_id,
                    home_id=HOME_ONE_ID,
                    action="heating.setpoint",
                    outcome="ok",
                    detail={"what": f"Room {n}", "before": "19 °C", "after": "21 °C"},
                )
            )
        # refusals are not changes: they stay out of the log
        await audit_repo.record_audit(
            session, user_id=user_id, chat_id=chat_id, home_id=HOME_ONE_ID, action="x", outcome="denied"
        )


async def test_owner_pages_through_the_log_and_a_member_is_refused(
    emulator: Any, simulator: Any, roles_family: Any
) -> None:
    runtime, anna, bob, _carl, group = roles_family
    await seed_changes(runtime, anna.id, group.id, 25)

    await emulator.send_message(bob, group, "/log")
    refused = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert refused.text == "Only the home's owners and admins can read its log."

    await emulator.send_message(anna, group, "/log")
    page = await emulator.wait_for_message(
        group, predicate=lambda m: "Log of" in (m.text or ""), timeout=TIMEOUT
    )
    lines = page.text.splitlines()
    assert lines[0].startswith("Log of ") and len(lines) == 21
    assert lines[1].endswith("Anna: Room 24 19 °C → 21 °C (group Family)")  # newest first
    assert lines[20].endswith("Anna: Room 5 19 °C → 21 °C (group Family)")
    assert [label for label, _d in page.buttons] == ["« Older"]

    # a member pressing Older: refused, the message stays
    query = await emulator.press_button(bob, page, text="« Older")
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert answer.show_alert and answer.text == "Only the home's owners and admins can read its log."
    assert page.edits == []

    query = await emulator.press_button(anna, page, text="« Older")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    older = await emulator.wait_for_edit(page, timeout=TIMEOUT)
    assert len(older.text.splitlines()) == 6 and older.text.splitlines()[-1].endswith(
        "Room 0 19 °C → 21 °C (group Family)"
    )
    assert [label for label, _d in older.buttons] == ["Newer »"]
    query = await emulator.press_button(anna, page, text="Newer »")
    await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    newer = await emulator.wait_for_edit(page, timeout=TIMEOUT)
    assert "Room 24" in newer.text

    # an admin may read it too
    async with runtime.services.sessions.begin() as session:
        assert await homes_repo.set_admin(session, HOME_ONE_ID, bob.id, anna.id) == "promoted"
    await emulator.send_message(bob, group, "/log")
    shown = await emulator.wait_for_message(
        group, predicate=lambda m: "Log of" in (m.text or ""), timeout=TIMEOUT
    )
    assert "Room 24" in shown.text


async def test_a_group_sees_only_the_log_of_homes_it_receives(
    emulator: Any, simulator: Any, roles_family: Any
) -> None:
    _runtime, anna, _bob, _carl, group = roles_family
    await emulator.send_message(anna, group, "/log")
    page = await emulator.wait_for_message(
        group, predicate=lambda m: "Log of" in (m.text or ""), timeout=TIMEOUT
    )
    assert "Nothing has been changed yet." in page.text
    # Anna owns HOME_TWO as well, but this group does not receive it: a hand-made page of it is not valid
    # here, even correctly signed, and even for its owner.
    query = await emulator.press_button(anna, page, callbacks.encode("log", "p", HOME_TWO_ID, 0))
    answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
    assert answer.show_alert and "not valid" in (answer.text or "")
    # in her private chat she picks either home
    await emulator.send_message(anna, None, "/log")
    private = emulator.private_chat(anna)
    picker = await emulator.wait_for_message(
        private, predicate=lambda m: "which home" in (m.text or ""), timeout=TIMEOUT
    )
    assert len(picker.buttons) == 2


def test_log_line_reads_like_a_sentence() -> None:
    at = datetime(2026, 1, 2, 20, 43, tzinfo=UTC)
    entry = LogEntry(
        at,
        "Paul",
        "heating.setpoint",
        "ok",
        {"what": "Living room", "before": "19", "after": "21 °C"},
        "group",
        "Family",
    )
    assert log_line(_, entry, "Europe/Paris", at) == "21:43 Paul: Living room 19 → 21 °C (group Family)"
    old = LogEntry(at - timedelta(days=1), "Paul", "mute.add", "error", {}, "private", None)
    assert log_line(_, old, "UTC", at) == "01.01. 20:43 Paul: muted alerts (failed) (private chat)"
