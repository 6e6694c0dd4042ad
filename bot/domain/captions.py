"""Alert captions: emoji + what + where + local time, short enough for a phone's lock screen.

Pure functions of the event and the names the caller looked up; every piece of text goes through the
translation function passed in, and every name that came from Netatmo or a user is HTML-escaped because
captions are sent with parse_mode HTML.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from bot.domain.events import Kind, SecurityEvent, Severity
from bot.domain.schedule import zone

# Telegram allows 1024 characters in a photo caption; keep well under it so a lock screen shows it all.
MAX_CAPTION = 1024

# The translation function (bot.i18n.Translate); declared here so the domain imports nothing of the bot.
TranslateFn = Callable[[str], str]


def _(text: str) -> str:
    """Marks a literal for extraction; the real translation happens where the text is used."""
    return text


EMOJI: dict[Kind, str] = {
    Kind.PERSON: "👤",
    Kind.MOVEMENT: "🏃",
    Kind.HUMAN: "🚶",
    Kind.ANIMAL: "🐾",
    Kind.VEHICLE: "🚗",
    Kind.DOORBELL_RING: "🔔",
    Kind.DOORBELL_MISSED: "📵",
    Kind.DOORBELL_ACCEPTED: "📞",
    Kind.DOOR_OPEN: "🚪",
    Kind.DOOR_MOVED: "🚪",
    Kind.SIREN_SOUNDING: "🚨",
    Kind.SIREN_TAMPERED: "⚠️",
    Kind.SMOKE: "🔥",
    Kind.SMOKE_CLEARED: "✅",
    Kind.CO: "☠️",
    Kind.CO_CLEARED: "✅",
    Kind.ALARM_TAMPERED: "⚠️",
    Kind.ALARM_TEST: "🔊",
    Kind.ALARM_BATTERY: "🪫",
    Kind.CAMERA_OFFLINE: "📴",
    Kind.CAMERA_ONLINE: "📶",
    Kind.MONITORING_ON: "🟢",
    Kind.MONITORING_OFF: "⚪",
    Kind.SD_PROBLEM: "💾",
    Kind.POWER_PROBLEM: "🔌",
    Kind.LOW_BATTERY: "🪫",
    Kind.PERSON_HOME: "🏠",
    Kind.PERSON_AWAY: "👋",
    Kind.OTHER: "ℹ️",
}

# Singular and plural nouns for grouped summaries ("2 humans, 1 vehicle"). Literal strings so that the
# gettext extractor sees them.
_NOUNS: dict[Kind, tuple[str, str]] = {
    Kind.PERSON: (_("person"), _("people")),
    Kind.MOVEMENT: (_("movement"), _("movements")),
    Kind.HUMAN: (_("human"), _("humans")),
    Kind.ANIMAL: (_("animal"), _("animals")),
    Kind.VEHICLE: (_("vehicle"), _("vehicles")),
    Kind.DOORBELL_RING: (_("ring"), _("rings")),
    Kind.DOORBELL_MISSED: (_("missed call"), _("missed calls")),
    Kind.DOORBELL_ACCEPTED: (_("answered call"), _("answered calls")),
    Kind.DOOR_OPEN: (_("door opening"), _("door openings")),
    Kind.DOOR_MOVED: (_("door movement"), _("door movements")),
}


def local_time(epoch: int, timezone: str | None) -> str:
    """HH:MM in the home's time zone (the time people in that home read on their clocks)."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone(timezone)).strftime("%H:%M")


def headline(
    event: SecurityEvent, translate: TranslateFn, device_name: str | None, person_name: str | None
) -> str:
    """The 'what' of one event in plain (unescaped) text, naming the person or device when known."""
    t = translate
    kind = event.kind
    device = device_name or t("a device")
    if kind is Kind.PERSON:
        if event.person_known is False or not person_name:
            if event.person_known is False:
                return t("Unknown face seen by {device}").format(device=device)
            return t("Someone seen by {device}").format(device=device)
        return t("{person} seen by {device}").format(person=person_name, device=device)
    if kind is Kind.PERSON_HOME:
        return t("{person} arrived home").format(person=person_name or t("Someone"))
    if kind is Kind.PERSON_AWAY:
        return t("{person} left home").format(person=person_name or t("Someone"))
    if kind in (Kind.CAMERA_OFFLINE, Kind.CAMERA_ONLINE) and event.device_id is None and event.message:
        # Several devices of the home at once (a router or power cut), merged by the watcher.
        if kind is Kind.CAMERA_OFFLINE:
            return t("These devices lost their connection: {devices}").format(devices=event.message)
        return t("These devices are back online: {devices}").format(devices=event.message)
    template = _TEMPLATES.get(kind)
    if template is not None:
        return t(template).format(device=device)
    # A type we do not know: say what Netatmo said, or at least its raw type and where.
    if event.message:
        return t("{device}: {message}").format(device=device, message=event.message)
    return t("{device} reported “{type}”").format(device=device, type=event.netatmo_type)


_TEMPLATES: dict[Kind, str] = {
    Kind.MOVEMENT: _("Movement seen by {device}"),
    Kind.HUMAN: _("Person detected by {device}"),
    Kind.ANIMAL: _("Animal detected by {device}"),
    Kind.VEHICLE: _("Vehicle detected by {device}"),
    Kind.DOORBELL_RING: _("Someone is ringing at {device}"),
    Kind.DOORBELL_MISSED: _("Missed call at {device}"),
    Kind.DOORBELL_ACCEPTED: _("Call answered at {device}"),
    Kind.DOOR_OPEN: _("{device} opened"),
    Kind.DOOR_MOVED: _("{device} moved"),
    Kind.SIREN_SOUNDING: _("Siren sounding: {device}"),
    Kind.SIREN_TAMPERED: _("Siren tampered with: {device}"),
    Kind.SMOKE: _("SMOKE detected by {device}"),
    Kind.SMOKE_CLEARED: _("Smoke cleared: {device}"),
    Kind.CO: _("CARBON MONOXIDE detected by {device}"),
    Kind.CO_CLEARED: _("Carbon monoxide cleared: {device}"),
    Kind.ALARM_TAMPERED: _("Alarm tampered with or removed: {device}"),
    Kind.ALARM_TEST: _("Alarm test: {device}"),
    Kind.ALARM_BATTERY: _("Alarm battery low: {device}"),
    Kind.CAMERA_OFFLINE: _("{device} lost its connection"),
    Kind.CAMERA_ONLINE: _("{device} is back online"),
    Kind.MONITORING_ON: _("Monitoring turned on: {device}"),
    Kind.MONITORING_OFF: _("Monitoring turned off: {device}"),
    Kind.SD_PROBLEM: _("SD card problem: {device}"),
    Kind.POWER_PROBLEM: _("Power supply problem: {device}"),
    Kind.LOW_BATTERY: _("Battery low: {device}"),
}


def caption(
    events: Sequence[SecurityEvent],
    translate: TranslateFn,
    *,
    home_name: str,
    device_name: str | None,
    person_names: Mapping[str, str],
    timezone: str | None,
) -> str:
    """The HTML caption of one event, or the summary of a group of events from one camera."""
    if not events:
        raise ValueError("caption needs at least one event")
    ordered = sorted(events, key=lambda e: e.time)
    if len(ordered) == 1:
        text = _single(ordered[0], translate, home_name, device_name, person_names, timezone)
    else:
        text = _group(ordered, translate, home_name, device_name, timezone)
    return _truncate(text)


def _person_name(event: SecurityEvent, person_names: Mapping[str, str]) -> str | None:
    if event.person_id and event.person_id in person_names:
        return person_names[event.person_id]
    return event.person_name


def _single(
    event: SecurityEvent,
    translate: TranslateFn,
    home_name: str,
    device_name: str | None,
    person_names: Mapping[str, str],
    timezone: str | None,
) -> str:
    what_text = headline(event, translate, device_name, _person_name(event, person_names))
    line = f"{EMOJI.get(event.kind, EMOJI[Kind.OTHER])} <b>{html.escape(what_text)}</b>"
    where = html.escape(home_name) if home_name else ""
    when = local_time(event.time, timezone)
    tail = f"{where} · {when}" if where else when
    return f"{line}\n{tail}"


def _group(
    events: Sequence[SecurityEvent],
    translate: TranslateFn,
    home_name: str,
    device_name: str | None,
    timezone: str | None,
) -> str:
    counts = Counter(event.kind for event in events)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], list(Kind).index(item[0])))
    parts = []
    for kind, count in ranked:
        singular, plural = _NOUNS.get(kind, (_("event"), _("events")))
        parts.append(f"{count} {translate(singular if count == 1 else plural)}")
    device = device_name or translate("a device")
    head = translate("{count} events on {device}").format(count=len(events), device=device)
    start, end = local_time(events[0].time, timezone), local_time(events[-1].time, timezone)
    span = start if start == end else f"{start}–{end}"
    # The emoji of an alarm if there is one, else of the most frequent kind (the first one listed).
    alarms = [event.kind for event in events if event.severity is Severity.ALARM]
    emoji = EMOJI.get(alarms[0] if alarms else ranked[0][0], EMOJI[Kind.OTHER])
    summary = f"{emoji} <b>{html.escape(head)}</b>: {html.escape(', '.join(parts))} — {span}"
    return f"{summary}\n{html.escape(home_name)}" if home_name else summary


def _truncate(text: str) -> str:
    """Captions never exceed Telegram's limit; cut on a line boundary so no HTML tag is broken."""
    if len(text) <= MAX_CAPTION:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > MAX_CAPTION - 1:
            break
        kept.append(line)
    if not kept:  # one enormous line: drop the markup and cut the plain text until its escape fits
        plain = html.unescape(_strip_tags(lines[0]))
        size = MAX_CAPTION - 1
        while len(html.escape(plain[:size])) > MAX_CAPTION - 1:
            size -= 64
        return html.escape(plain[:size]) + "…"
    return "\n".join(kept) + "…"


def _strip_tags(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "")
