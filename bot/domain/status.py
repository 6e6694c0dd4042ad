"""A home's status as a few readable lines: security, people, heating, weather, Home+Control.

Plain data in (the small frozen dataclasses below, filled from Netatmo's homesdata + homestatus by
`bot.netatmo.status`), one HTML text out. Kept free of I/O so every real Netatmo answer we have can be
rendered in a unit test: Netatmo omits keys freely (an offline device has no status at all, a room may
have no measure), so every value here may be missing and the text says so instead of failing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import Translate

MAX_TEXT = 4096  # Telegram's limit for one message


@dataclass(frozen=True)
class CameraState:
    name: str
    type: str
    reachable: bool
    monitoring: str | None = None  # "on" / "off"; None for the doorbell, which has no monitoring
    sd_problem: bool = False
    power_problem: bool = False
    floodlight: str | None = None  # outdoor cameras: on / off / auto


@dataclass(frozen=True)
class SensorState:
    """A door tag, a siren, a smoke or CO alarm: only what matters for the home's safety."""

    name: str
    type: str
    reachable: bool
    status: str | None = None  # door tag: open / closed / no_news...; siren: sound / no_sound
    battery_low: bool = False


@dataclass(frozen=True)
class PersonState:
    name: str
    at_home: bool


@dataclass(frozen=True)
class RoomHeating:
    name: str
    has_status: bool  # False: homesdata lists the room but homestatus says nothing about it
    measured: float | None = None
    setpoint: float | None = None
    mode: str | None = None  # schedule, home, manual, max, away, hg, off
    end_time: int | None = None  # epoch seconds; None or 0: no end
    open_window: bool = False
    heating: bool = False
    reachable: bool = True


@dataclass(frozen=True)
class HeatingState:
    rooms: tuple[RoomHeating, ...] = ()
    boiler_on: bool | None = None  # None: no boiler status known
    mode: str | None = None  # home therm_mode: schedule / away / hg
    mode_end: int | None = None
    schedule: str | None = None  # name of the active weekly schedule


@dataclass(frozen=True)
class WeatherState:
    name: str
    reachable: bool = True
    temperature: float | None = None
    humidity: float | None = None
    co2: float | None = None
    pressure: float | None = None
    noise: float | None = None


@dataclass(frozen=True)
class SwitchState:
    """A Home+Control light, plug or shutter."""

    name: str
    kind: str  # light / plug / shutter
    reachable: bool = True
    on: bool | None = None
    brightness: int | None = None
    power: float | None = None
    position: int | None = None


@dataclass(frozen=True)
class HomeState:
    id: str
    name: str
    timezone: str = "UTC"
    has_status: bool = True  # False: homestatus said nothing about the home (all offline, or empty)
    cameras: tuple[CameraState, ...] = ()
    sensors: tuple[SensorState, ...] = ()
    persons: tuple[PersonState, ...] = ()
    heating: HeatingState = field(default_factory=HeatingState)
    weather: tuple[WeatherState, ...] = ()
    switches: tuple[SwitchState, ...] = ()
    offline: tuple[str, ...] = ()  # other devices Netatmo reports unreachable (relay, gateway...)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _num(value: float) -> str:
    """21.0 → "21", 20.5 → "20.5": temperatures as people write them."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_time(epoch: int, timezone: str, now: datetime) -> str:
    """An end time in the home's time zone: "18:00" today, "Mon 18:00" within a week, else a date."""
    zone = _zone(timezone) or UTC
    moment = datetime.fromtimestamp(epoch, zone)
    today = now.astimezone(zone).date()
    if moment.date() == today:
        return moment.strftime("%H:%M")
    if 0 < (moment.date() - today).days < 7:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def _security_lines(_: Translate, home: HomeState) -> list[str]:
    lines: list[str] = []
    for camera in home.cameras:
        if not camera.reachable:
            state = _("offline")
        elif camera.monitoring == "on":
            state = _("monitoring on")
        elif camera.monitoring == "off":
            state = _("monitoring off")
        else:
            state = _("online")
        extras = []
        if camera.reachable and camera.sd_problem:
            extras.append(_("SD card problem"))
        if camera.reachable and camera.power_problem:
            extras.append(_("power supply problem"))
        if camera.reachable and camera.floodlight:
            floodlight = {"on": _("on"), "off": _("off"), "auto": _("auto")}.get(
                camera.floodlight, camera.floodlight
            )
            extras.append(_("floodlight {state}").format(state=floodlight))
        icon = "🔔" if camera.type == "NDB" else "📷"
        tail = f" ({', '.join(extras)})" if extras else ""
        lines.append(f"{icon} {_e(camera.name)}: {state}{tail}")
    for sensor in home.sensors:
        lines.append(_sensor_line(_, sensor))
    return lines


def _sensor_line(_: Translate, sensor: SensorState) -> str:
    if sensor.type == "NACamDoorTag":
        icon = "🚪"
        labels = {"open": _("open"), "closed": _("closed")}
        state = labels.get(sensor.status or "", _("no news")) if sensor.reachable else _("offline")
        if sensor.status == "open" and sensor.reachable:
            icon = "🚪⚠️"
    elif sensor.type == "NIS":
        icon = "🚨"
        if not sensor.reachable:
            state = _("offline")
        elif sensor.status == "sound":
            state = _("sounding")
        else:
            state = _("quiet")
    else:
        icon = "🔥" if sensor.type == "NSD" else "☁️"
        state = _("online") if sensor.reachable else _("offline")
    low = f" ({_('battery low')})" if sensor.battery_low else ""
    return f"{icon} {_e(sensor.name)}: {state}{low}"


def _mode_label(_: Translate, mode: str | None) -> str:
    labels = {
        "schedule": _("schedule"),
        "home": _("schedule"),
        "manual": _("manual"),
        "max": _("boost"),
        "away": _("away"),
        "hg": _("frost guard"),
        "off": _("off"),
    }
    return labels.get(mode or "", mode or "?")


def _room_line(_: Translate, room: RoomHeating, timezone: str, now: datetime) -> str:
    name = _e(room.name)
    if not room.has_status:
        return f"🌡 {name}: {_('no data')}"
    if not room.reachable:
        return f"🌡 {name}: {_('offline')}"
    parts = [f"{_num(room.measured)} °C" if room.measured is not None else "–"]
    if room.setpoint is not None:
        target = f"→ {_num(room.setpoint)} °C"
        mode = _mode_label(_, room.mode)
        if room.end_time and room.mode not in ("schedule", "home"):
            mode = _("{mode} until {time}").format(mode=mode, time=format_time(room.end_time, timezone, now))
        parts.append(f"{target} ({mode})")
    elif room.mode:
        parts.append(f"({_mode_label(_, room.mode)})")
    if room.heating:
        parts.append("🔥")
    if room.open_window:
        parts.append(_("🪟 window open"))
    return f"🌡 {name}: {' '.join(parts)}"


def _heating_lines(_: Translate, home: HomeState, now: datetime) -> list[str]:
    heating = home.heating
    if not heating.rooms and heating.boiler_on is None and heating.mode is None:
        return []
    summary = []
    if heating.mode is not None:
        mode = _mode_label(_, heating.mode)
        if heating.mode_end:
            mode = _("{mode} until {time}").format(
                mode=mode, time=format_time(heating.mode_end, home.timezone, now)
            )
        summary.append(_("mode: {mode}").format(mode=mode))
    if heating.schedule:
        summary.append(_("schedule: {name}").format(name=_e(heating.schedule)))
    if heating.boiler_on is not None:
        summary.append(_("boiler on") if heating.boiler_on else _("boiler off"))
    lines = [f"<b>{_('Heating')}</b>" + (f" — {', '.join(summary)}" if summary else "")]
    lines += [_room_line(_, room, home.timezone, now) for room in heating.rooms]
    return lines


def _weather_line(_: Translate, weather: WeatherState) -> str:
    if not weather.reachable:
        return f"🌤 {_e(weather.name)}: {_('offline')}"
    parts = []
    if weather.temperature is not None:
        parts.append(f"{_num(weather.temperature)} °C")
    if weather.humidity is not None:
        parts.append(f"{_num(weather.humidity)} %")
    if weather.co2 is not None:
        parts.append(f"CO₂ {_num(weather.co2)} ppm")
    if weather.pressure is not None:
        parts.append(f"{_num(weather.pressure)} mbar")
    if weather.noise is not None:
        parts.append(f"{_num(weather.noise)} dB")
    return f"🌤 {_e(weather.name)}: {', '.join(parts) or '–'}"


def _switch_line(_: Translate, switch: SwitchState) -> str:
    name = _e(switch.name)
    icon = {"light": "💡", "shutter": "🪟"}.get(switch.kind, "🔌")
    if not switch.reachable:
        return f"{icon} {name}: {_('offline')}"
    if switch.kind == "shutter":
        position = _("position unknown") if switch.position is None else f"{switch.position} %"
        if switch.position == 0:
            position = _("closed")
        elif switch.position == 100:
            position = _("open")
        return f"{icon} {name}: {position}"
    state = "–" if switch.on is None else (_("on") if switch.on else _("off"))
    extras = []
    if switch.kind == "light" and switch.on and switch.brightness is not None:
        extras.append(f"{switch.brightness} %")
    if switch.power is not None and (switch.kind == "plug" or switch.power):
        extras.append(f"{_num(switch.power)} W")
    return f"{icon} {name}: {state}" + (f" ({', '.join(extras)})" if extras else "")


def status_text(_: Translate, home: HomeState, now: datetime) -> str:
    """The whole status message of one home, in HTML, within Telegram's 4096 characters."""
    lines = [f"🏠 <b>{_e(home.name)}</b>"]
    if not home.has_status:
        # Nothing answered: listing every device as offline would bury the one line that matters.
        lines.append(_("Netatmo has no status for this home right now: its devices may be offline."))
        if home.offline:
            lines.append(_("⚠️ Offline: {names}").format(names=", ".join(_e(n) for n in home.offline)))
        return _fit("\n".join(lines), _("… (shortened)"))
    sections: list[list[str]] = []
    security = _security_lines(_, home)
    if security:
        sections.append([f"<b>{_('Security')}</b>", *security])
    if home.persons:
        at_home = [_e(p.name) for p in home.persons if p.at_home]
        away = [_e(p.name) for p in home.persons if not p.at_home]
        people = [_("🏡 Home: {names}").format(names=", ".join(at_home) or _("nobody"))]
        if away:
            people.append(_("🚶 Away: {names}").format(names=", ".join(away)))
        sections.append([f"<b>{_('People')}</b>", *people])
    heating = _heating_lines(_, home, now)
    if heating:
        sections.append(heating)
    if home.weather:
        sections.append([f"<b>{_('Weather and air')}</b>", *(_weather_line(_, w) for w in home.weather)])
    if home.switches:
        order = {"light": 0, "plug": 1, "shutter": 2}
        switches = sorted(home.switches, key=lambda s: order.get(s.kind, 3))
        lines_on = [_switch_line(_, s) for s in switches]
        sections.append([f"<b>{_('Home+Control')}</b>", *lines_on])
    if home.offline:
        sections.append([_("⚠️ Offline: {names}").format(names=", ".join(_e(n) for n in home.offline))])
    if not sections:
        sections.append([_("No devices to show in this home.")])
    for section in sections:
        lines += ["", *section]
    return _fit("\n".join(lines), _("… (shortened)"))


def _fit(text: str, marker: str) -> str:
    """Cut at a line break so the HTML stays whole, when a very large home exceeds Telegram's limit."""
    if len(text) <= MAX_TEXT:
        return text
    cut = text[: MAX_TEXT - len(marker) - 1].rsplit("\n", 1)[0]
    return f"{cut}\n{marker}"


def problem_text(home_name: str, problem: str) -> str:
    """A home whose status could not be read: its name, and the sentence saying why and what to do."""
    return f"🏠 <b>{_e(home_name)}</b>\n{_e(problem)}"
