"""The screens of /heating: each a text and its keyboard, built from a `HeatingHome` and nothing else.

Kept apart from the handlers so that what a user sees can be read (and changed) in one place; every
callback the keyboards carry is built here with `callbacks.encode`, and `bot.control.heating` declares
the actions that receive them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat import callbacks
from bot.domain import heating as rules
from bot.domain.schedule import zone
from bot.i18n import Translate
from bot.netatmo.heating import HeatingHome, HeatingRoom

FEATURE = "heat"
# Action names (the second part of the callback data).
HOMES, HOME, MODE, SET_MODE, SCHEDULES, SCHEDULE = "homes", "home", "mode", "setmode", "scheds", "sched"
ROOM, TARGET, SET, BOOST, AUTO, CHART, BOILER = "room", "t", "set", "boost", "auto", "chart", "boiler"
DAY, WEEK = "d", "w"


def _button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(FEATURE, action, *args))


def mode_name(_: Translate, mode: str | None) -> str:
    names = {
        "schedule": _("schedule"),
        "home": _("schedule"),
        "away": _("away"),
        "hg": _("frost guard"),
        "manual": _("manual"),
        "max": _("boost"),
        "off": _("off"),
    }
    return names.get(mode or "", mode or "?")


def clock(moment: int, timezone: str, now: datetime) -> str:
    """HH:MM in the home's zone, with the date when it is not today there."""
    tz = zone(timezone)
    local = datetime.fromtimestamp(moment, tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%d/%m %H:%M")


def _temp(value: float | None) -> str:
    return f"{rules.format_temp(value)} °C" if value is not None else "–"


def back(_: Translate, action: str, *args: object) -> list[InlineKeyboardButton]:
    return [_button(_("« Back"), action, *args)]


# -- the home picker ---------------------------------------------------------------------------------


def picker(_: Translate, homes: Sequence[tuple[str, str]]) -> tuple[str, InlineKeyboardMarkup]:
    """`homes` are (id, name)."""
    rows = [[_button(name, HOME, home_id)] for home_id, name in homes]
    return _("Which home's heating?"), InlineKeyboardMarkup(rows)


# -- a home ------------------------------------------------------------------------------------------


def room_line(_: Translate, room: HeatingRoom, timezone: str, now: datetime) -> str:
    line = f"• <b>{html.escape(room.name)}</b>: {_temp(room.measured)} → {_temp(room.setpoint)}"
    details = [mode_name(_, room.mode)] if room.mode else []
    if room.end_time and room.mode in ("manual", "max"):
        details.append(_("until {time}").format(time=clock(room.end_time, timezone, now)))
    if room.open_window:
        details.append(_("window open"))
    if not room.reachable:
        details.append(_("no reading"))
    return line + (f" ({', '.join(details)})" if details else "")


def home_screen(
    _: Translate, home: HeatingHome, now: datetime, *, several: bool
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🌡 <b>{home}</b>: heating").format(home=html.escape(home.name))]
    mode = mode_name(_, home.mode)
    end = home.mode_end or next((r.end_time for r in home.rooms if r.mode == home.mode and r.end_time), None)
    if home.mode != "schedule" and end:
        mode += " " + _("until {time}").format(time=clock(end, home.timezone, now))
    schedule = home.selected_schedule
    if home.mode == "schedule" and schedule is not None:
        mode += f" ({html.escape(schedule.name)})"
    lines.append(_("Mode: {mode}").format(mode=mode))
    if home.boiler_on is not None:
        lines.append(_("Boiler: on") if home.boiler_on else _("Boiler: off"))
    lines.append("")
    if home.status_missing:
        lines.append(_("Netatmo gives no readings for this home right now (is the relay online?)."))
    lines += [room_line(_, room, home.timezone, now) for room in home.rooms]
    if not home.rooms:
        lines.append(_("This home has no thermostat or valve."))
    rows = [[_button(f"{room.name} {_temp(room.measured)}", ROOM, home.id, room.id)] for room in home.rooms]
    if home.rooms:
        rows.append(
            [
                _button(_("Schedule"), SET_MODE, home.id, "schedule", rules.MODE_FOREVER),
                _button(_("Away"), MODE, home.id, "away"),
                _button(_("Frost guard"), MODE, home.id, "hg"),
            ]
        )
    extra = []
    if len(home.schedules) > 1:
        extra.append(_button(_("Weekly schedule"), SCHEDULES, home.id))
    if home.relay_id is not None and home.rooms:
        extra.append(_button(_("Boiler chart"), BOILER, home.id))
    if extra:
        rows.append(extra)
    rows.append([_button(_("Refresh"), HOME, home.id)])
    if several:
        rows.append(back(_, HOMES))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def mode_duration_screen(_: Translate, home: HeatingHome, mode: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("{mode} for {home}: for how long?").format(
        mode=mode_name(_, mode).capitalize(), home=html.escape(home.name)
    )
    labels = {
        rules.MODE_1H: _("1 h"),
        rules.MODE_3H: _("3 h"),
        rules.MODE_MORNING: _("Until tomorrow {time}").format(time=f"{rules.MORNING_HOUR:02d}:00"),
        rules.MODE_FOREVER: _("Until I change it"),
    }
    rows = [[_button(labels[d], SET_MODE, home.id, mode, d)] for d in rules.MODE_DURATIONS]
    rows.append(back(_, HOME, home.id))
    return text, InlineKeyboardMarkup(rows)


def schedules_screen(_: Translate, home: HeatingHome) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Weekly schedules of {home} (✅ is active):").format(home=html.escape(home.name))
    rows = [
        # a schedule id is 24 hex digits like the home's: its digest keeps the data within 64 bytes
        [_button(("✅ " if s.selected else "") + s.name, SCHEDULE, home.id, callbacks.digest(s.id))]
        for s in home.schedules
    ]
    rows.append(back(_, HOME, home.id))
    return text, InlineKeyboardMarkup(rows)


# -- a room ------------------------------------------------------------------------------------------


def room_screen(
    _: Translate, home: HeatingHome, room: HeatingRoom, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [room_line(_, room, home.timezone, now)]
    lines.append(_("Choose a new setpoint, boost, or go back to the schedule."))
    current = room.setpoint if room.setpoint is not None else 19.0
    down, up = rules.step_setpoint(current, -0.5), rules.step_setpoint(current, 0.5)
    rows = [
        [
            _button("−0.5", TARGET, home.id, room.id, rules.to_tenths(down)),
            _button("+0.5", TARGET, home.id, room.id, rules.to_tenths(up)),
        ],
        [_button(rules.format_temp(p), TARGET, home.id, room.id, rules.to_tenths(p)) for p in rules.PRESETS],
        [
            _button(_("🔥 Boost {minutes} min").format(minutes=rules.BOOST_MINUTES), BOOST, home.id, room.id),
            _button(_("Back to schedule"), AUTO, home.id, room.id),
        ],
        [
            _button(_("📈 24 h"), CHART, home.id, room.id, DAY),
            _button(_("📈 7 days"), CHART, home.id, room.id, WEEK),
        ],
        back(_, HOME, home.id),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def target_screen(
    _: Translate, home: HeatingHome, room: HeatingRoom, target: float, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Set {room} to {temp}: for how long?").format(
        room=html.escape(room.name), temp=f"<b>{_temp(target)}</b>"
    )
    tenths = rules.to_tenths(target)
    labels = {
        rules.ROOM_DEFAULT: _("Home default ({minutes} min)").format(minutes=home.default_minutes),
        "30": _("30 min"),
        "60": _("1 h"),
        "180": _("3 h"),
    }
    schedule = home.selected_schedule
    change = rules.next_schedule_change(schedule.offsets if schedule else (), now, home.timezone)
    if change is not None:
        labels[rules.ROOM_NEXT_CHANGE] = _("Until the schedule changes ({time})").format(
            time=clock(int(change.timestamp()), home.timezone, now)
        )
    down, up = rules.step_setpoint(target, -0.5), rules.step_setpoint(target, 0.5)
    rows = [
        [
            _button("−0.5", TARGET, home.id, room.id, rules.to_tenths(down)),
            _button("+0.5", TARGET, home.id, room.id, rules.to_tenths(up)),
        ]
    ]
    rows += [[_button(label, SET, home.id, room.id, tenths, code)] for code, label in labels.items()]
    rows.append(back(_, ROOM, home.id, room.id))
    return text, InlineKeyboardMarkup(rows)


def now_utc() -> datetime:
    return datetime.now(UTC)
