"""Alert rendering (pure) and the alert buttons end to end: mutes and monitoring off by the home's owners
and admins only in a group (the simulator receives the setstate), forged data refused and audited."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import InlineKeyboardButton

from bot.alerts.render import AlertNames, alert_keyboard, load_alert_names, render_alert
from bot.chat import callbacks
from bot.domain.events import Kind, SecurityEvent, Severity
from bot.i18n import translator
from bot.storage import subscriptions as repo
from bot.storage.models import AuditEntry, Mute
from bot.storage.telegram import save_chat
from standins.netatmo_sim.world.demo import HOME_ONE_ID, OUTDOOR_CAMERA_ID, SMOKE_ALARM_ID

TIMEOUT = 10  # seconds to wait for the bot's answers

_ = translator("en")


def garden_event(kind: Kind = Kind.HUMAN, **kw: Any) -> SecurityEvent:
    values: dict[str, Any] = dict(
        home_id=HOME_ONE_ID,
        event_id="ev1",
        kind=kind,
        netatmo_type="outdoor/human",
        time=int(time.time()),
        device_id=OUTDOOR_CAMERA_ID,
        device_type="NOC",
    )
    values.update(kw)
    return SecurityEvent(**values)


# -- rendering --------------------------------------------------------------------------------------


def test_keyboard_has_three_buttons_within_64_bytes() -> None:
    keyboard = alert_keyboard(garden_event(), _)
    rows = [
        [(b.text, callbacks.verify(str(b.callback_data))) for b in row] for row in keyboard.inline_keyboard
    ]
    assert rows == [
        [
            ("🔕 Mute this camera 1 h", f"alert:mc:{HOME_ONE_ID}:70.ee.50.02.00.01"),
            ("🔕 Mute all 30 min", f"alert:ma:{HOME_ONE_ID}"),
        ],
        [("⏻ Monitoring off", f"alert:mo:{HOME_ONE_ID}:70.ee.50.02.00.01")],
    ]
    for row in keyboard.inline_keyboard:
        for button in row:
            assert len(str(button.callback_data).encode()) <= 64


def test_keyboard_extra_row_and_alarm_buttons_instead_of_mutes() -> None:
    """A smoke alarm offered "Mute this camera 1 h": alarms get acknowledge / alert everyone instead."""
    live = InlineKeyboardButton("📹 Live", callback_data="live:x")
    smoke = garden_event(Kind.SMOKE, device_id=SMOKE_ALARM_ID, device_type="NSD", severity=Severity.ALARM)
    keyboard = alert_keyboard(smoke, _, extra_row=[live])
    markup = keyboard.inline_keyboard
    rows = [[(b.text, callbacks.verify(str(b.callback_data))) for b in row] for row in markup]
    assert rows == [
        [("📹 Live", None)],
        [("✅ I'm on it", f"alert:ok:{HOME_ONE_ID}"), ("📣 Alert everyone", f"alert:all:{HOME_ONE_ID}")],
    ]
    for kind in (Kind.CO, Kind.SIREN_SOUNDING, Kind.DOORBELL_RING):
        labels = [[b.text for b in row] for row in alert_keyboard(garden_event(kind), _).inline_keyboard]
        assert labels == [["✅ I'm on it", "📣 Alert everyone"]], kind


def test_render_alert_groups_and_uses_timezone() -> None:
    t = int(datetime(2024, 6, 1, 19, 40, tzinfo=UTC).timestamp())
    events = [garden_event(time=t), garden_event(Kind.VEHICLE, event_id="ev2", time=t + 120)]
    view = render_alert(events, AlertNames("Villa", "Garden camera", {}, "Europe/Paris"), _)
    assert view.text == "🚶 <b>2 events on Garden camera</b>: 1 human, 1 vehicle — 21:40–21:42\nVilla"
    assert len(view.keyboard.inline_keyboard) == 2


# -- end to end -------------------------------------------------------------------------------------


async def _answer(
    emulator: Any, user: Any, alert: Any, data: str | None = None, *, text: str | None = None
) -> Any:
    """`user` presses the alert's button (by callback data or label, as `emulator.press_button`);
    Telegram's answer to the press."""
    query = await emulator.press_button(user, alert, data, text=text)
    return await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)


async def setup_group(
    emulator: Any,
    simulator: Any,
    start_bot: Any,
    link_user: Any,
    event: SecurityEvent | None = None,
    photo: bytes | None = None,
) -> tuple[Any, Any, Any, Any, Any]:
    """Anna linked (owner of the demo homes), Bob not; their group subscribed to HOME_ONE; one alert."""
    runtime = await start_bot(emulator, simulator)
    anna, bob = emulator.add_user("Anna"), emulator.add_user("Bob")
    await link_user(emulator, anna)
    group = emulator.add_group("Family", [anna, bob])
    event = event or garden_event()
    async with runtime.services.sessions.begin() as session:
        await save_chat(session, group.id, "group", "Family")
        await repo.subscribe(session, group.id, HOME_ONE_ID, anna.id)
        names = await load_alert_names(session, event)
    if event.device_id == OUTDOOR_CAMERA_ID:
        assert names.device_name == "Garden camera"
    view = render_alert([event], names, _)
    if photo is None:
        await runtime.application.bot.send_message(
            group.id, view.text, reply_markup=view.keyboard, parse_mode="HTML"
        )
    else:
        await runtime.application.bot.send_photo(
            group.id, photo, caption=view.text, reply_markup=view.keyboard, parse_mode="HTML"
        )
    alert = await emulator.wait_for_message(group, timeout=TIMEOUT)
    return runtime, anna, bob, group, alert


async def audit_rows(runtime: Any) -> list[tuple[int | None, str, str]]:
    async with runtime.services.sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.telegram_user_id, r.action, r.outcome) for r in rows if r.action.startswith("alert.")]


async def mutes(runtime: Any) -> list[tuple[int, str | None, int | None, datetime]]:
    async with runtime.services.sessions() as session:
        rows = await session.scalars(select(Mute).order_by(Mute.id))
        return [(m.chat_id, m.device_id, m.created_by, m.until) for m in rows]


async def setstate_writes(simulator: Any) -> list[dict[str, Any]]:
    return [w for w in await simulator.write_log() if w["endpoint"] == "setstate"]


async def test_a_member_may_not_mute_the_group(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, _anna, bob, group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    for label in ("🔕 Mute this camera 1 h", "🔕 Mute all 30 min"):
        answer = await _answer(emulator, bob, alert, text=label)
        assert answer.show_alert and (answer.text or "").startswith(
            "Only the home's owners and admins can mute"
        )
    assert await mutes(runtime) == []
    assert await audit_rows(runtime) == [
        (bob.id, "alert.mute_camera", "denied"),
        (bob.id, "alert.mute_home", "denied"),
    ]
    assert [m.text for m in emulator.messages(group)] == [alert.text]  # nothing announced


def smoke_event() -> SecurityEvent:
    return garden_event(
        Kind.SMOKE,
        event_id="wh:smoke",
        netatmo_type="NSD-smoke",
        device_id=SMOKE_ALARM_ID,
        device_type="NSD",
        severity=Severity.ALARM,
    )


async def test_a_member_who_never_linked_acknowledges_a_smoke_alarm_for_everyone(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, _anna, bob, group, alert = await setup_group(
        emulator, simulator, start_bot, link_user, smoke_event()
    )
    assert [label for label, _data in alert.buttons] == ["✅ I'm on it", "📣 Alert everyone"]
    before = alert.text
    answer = await _answer(emulator, bob, alert, text="✅ I'm on it")
    assert answer.text == "Everyone here sees that you are on it."
    edited = emulator.messages(group)[-1]
    assert edited.message_id == alert.message_id and edited.edits  # an edit, no new message
    assert edited.text.startswith(before) and "\n✅ Bob is on it (" in edited.text
    assert len(edited.buttons) == 2  # the buttons stay: someone may still call everyone
    assert await audit_rows(runtime) == [(bob.id, "alert.acknowledge", "ok")]
    assert len(emulator.messages(group)) == 1


async def test_acknowledging_a_doorbell_ring_keeps_its_picture(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any, jpeg: Any
) -> None:
    ring = garden_event(Kind.DOORBELL_RING, event_id="ring", netatmo_type="NDB-incoming_call")
    _runtime, anna, _bob, group, alert = await setup_group(
        emulator, simulator, start_bot, link_user, ring, photo=jpeg()
    )
    before = alert.caption
    await _answer(emulator, anna, alert, text="✅ I'm on it")
    edited = emulator.messages(group)[-1]
    assert edited.photo_bytes is not None
    assert edited.caption.startswith(before) and "\n✅ Anna is on it (" in edited.caption


async def test_alert_everyone_sends_a_new_message_that_notifies(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, _anna, bob, group, alert = await setup_group(
        emulator, simulator, start_bot, link_user, smoke_event()
    )
    answer = await _answer(emulator, bob, alert, text="📣 Alert everyone")
    assert answer.text == "Everyone in this chat is alerted."
    loud = await emulator.wait_for_message(group, timeout=TIMEOUT)
    first_line = alert.text.splitlines()[0]
    assert loud.text == f"📣 Bob asks everyone to look now: {first_line}"
    assert loud.disable_notification is False
    assert await audit_rows(runtime) == [(bob.id, "alert.alert_everyone", "ok")]
    assert await mutes(runtime) == []


async def test_owner_mutes_the_camera_and_the_chat_sees_it(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, anna, _bob, group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    before = datetime.now(UTC)
    answer = await _answer(emulator, anna, alert, text="🔕 Mute this camera 1 h")
    assert (answer.text or "").startswith("Muted until")
    notice = await emulator.wait_for_message(group, timeout=TIMEOUT)
    rows = await mutes(runtime)
    assert [(c, d, u) for c, d, u, _until in rows] == [(group.id, OUTDOOR_CAMERA_ID, anna.id)]
    until = rows[0][3]
    assert timedelta(minutes=59) < until - before <= timedelta(hours=1, seconds=5)
    home_tz = simulator.world.home(HOME_ONE_ID).timezone
    clock = until.astimezone(__import__("zoneinfo").ZoneInfo(home_tz)).strftime("%H:%M")
    assert notice.text == f"🔕 Anna muted Garden camera until {clock}."
    assert await audit_rows(runtime) == [(anna.id, "alert.mute_camera", "ok")]

    # The routing now skips this camera for the group, but not the whole home.
    async with runtime.services.sessions() as session:
        _rules, mute_rules, _tz = await repo.load_routing(session, HOME_ONE_ID, datetime.now(UTC))
    assert [(m.chat_id, m.device_id) for m in mute_rules] == [(group.id, OUTDOOR_CAMERA_ID)]


async def test_mute_all_30_minutes(emulator: Any, simulator: Any, start_bot: Any, link_user: Any) -> None:
    runtime, anna, _bob, group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    await _answer(emulator, anna, alert, text="🔕 Mute all 30 min")
    notice = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert notice.text.startswith("🔕 Anna muted all alerts of ")
    rows = await mutes(runtime)
    assert [(c, d) for c, d, _u, _t in rows] == [(group.id, None)]
    assert timedelta(minutes=29) < rows[0][3] - datetime.now(UTC) <= timedelta(minutes=30)


async def test_monitoring_off_refused_for_a_member(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, _anna, bob, group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    answer = await _answer(emulator, bob, alert, text="⏻ Monitoring off")
    assert answer.show_alert
    assert answer.text == "Only the home's owners and admins can turn monitoring off."
    assert await setstate_writes(simulator) == []
    assert await audit_rows(runtime) == [(bob.id, "alert.monitoring_off", "denied")]
    assert [m.text for m in emulator.messages(group)] == [alert.text]  # nothing announced


async def test_monitoring_off_by_linked_user_reaches_netatmo(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, anna, _bob, group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    answer = await _answer(emulator, anna, alert, text="⏻ Monitoring off")
    assert answer.text == "Monitoring is off on Garden camera."
    writes = await setstate_writes(simulator)
    assert len(writes) == 1
    assert f'"id": "{OUTDOOR_CAMERA_ID}"' in str(writes[0]["params"]).replace("'", '"')
    assert "off" in str(writes[0]["params"])
    notice = await emulator.wait_for_message(group, timeout=TIMEOUT)
    assert notice.text == "⏻ Anna turned monitoring off on Garden camera."
    assert await audit_rows(runtime) == [(anna.id, "alert.monitoring_off", "ok")]


async def test_monitoring_off_when_netatmo_fails(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime, anna, _bob, _group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    simulator.world.set_device_online(OUTDOOR_CAMERA_ID, False)
    answer = await _answer(emulator, anna, alert, text="⏻ Monitoring off")
    assert answer.show_alert
    assert "offline" in (answer.text or "")
    assert await audit_rows(runtime) == [(anna.id, "alert.monitoring_off", "error")]


@pytest.mark.parametrize(
    "forged",
    [
        "alert:mo",
        "alert:zz:5e2a00000000000000000001",
        "alert:mc:5e2a00000000000000000001:70.ee.50.02.00.01:extra",
        "alert:ma:5e2a00000000000000000009",  # a home this chat is not subscribed to
        "alert:mo:<script>:x",
    ],
)
async def test_forged_alert_buttons(
    emulator: Any, simulator: Any, start_bot: Any, forged: str, link_user: Any
) -> None:
    runtime, anna, _bob, _group, alert = await setup_group(emulator, simulator, start_bot, link_user)
    answer = await _answer(emulator, anna, alert, forged)
    assert answer.show_alert and "not valid" in (answer.text or "")
    assert await audit_rows(runtime) == [(anna.id, "alert.button", "denied")]
    assert await mutes(runtime) == []
    assert await setstate_writes(simulator) == []
