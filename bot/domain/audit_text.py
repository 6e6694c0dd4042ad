"""Readable lines of the audit log and of the notices a change makes in a group: plain data in, text out.

An action records what it changed as `what`, `before` and `after` in its audit detail (plain text as the
presser saw it: "Living room", "19 °C", "21 °C"); older actions record only their name, which a label
here turns into words. One formatter serves /log and the group notices, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.schedule import zone
from bot.i18n import N_, Translate

ACTION_LABELS: dict[str, str] = {
    "mute.add": N_("muted alerts"),
    "mute.clear": N_("unmuted alerts"),
    "alert.mute_camera": N_("muted a camera's alerts"),
    "alert.mute_home": N_("muted the home's alerts"),
    "alert.monitoring_off": N_("turned monitoring off"),
    "settings.change": N_("changed alert settings"),
    "subscription.add": N_("sent the home's alerts to a chat"),
    "subscription.remove": N_("stopped the home's alerts in a chat"),
}


def change_text(_: Translate, action: str, detail: Mapping[str, Any] | None) -> str:
    """What a change did, in words: "Living room 19 → 21 °C", or the action's label."""
    detail = detail or {}
    what, before, after = detail.get("what"), detail.get("before"), detail.get("after")
    if what and after is not None:
        return f"{what} {before} → {after}" if before is not None else f"{what} → {after}"
    if what:
        return str(what)
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


@dataclass(frozen=True)
class LogEntry:
    """One audit row as /log shows it."""

    at: datetime
    who: str
    action: str
    outcome: str
    detail: Mapping[str, Any]
    chat_type: str | None
    chat_title: str | None


def log_line(_: Translate, entry: LogEntry, timezone: str | None, today: datetime) -> str:
    """ "21:43 Paul: Living room 19 → 21 °C (group Family)"; the date comes first when not today."""
    local = entry.at.astimezone(zone(timezone))
    clock = local.strftime("%H:%M")
    if local.date() != today.astimezone(zone(timezone)).date():
        clock = local.strftime("%d.%m. %H:%M")
    line = f"{clock} {entry.who}: {change_text(_, entry.action, entry.detail)}"
    if entry.outcome == "error":
        line += " " + _("(failed)")
    if entry.chat_type in ("group", "supergroup"):
        line += " " + _("(group {title})").format(title=entry.chat_title or "?")
    elif entry.chat_type == "private":
        line += " " + _("(private chat)")
    return line
