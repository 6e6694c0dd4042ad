"""Who receives an alert, and whether their phone rings: pure rules over plain data.

Order of the rules, and why:
1. Only subscriptions of the event's home count, one recipient per chat.
2. Smoke and CO alarms (Severity.ALARM) go to every subscribed chat, loudly, whatever the filters, mutes
   and quiet hours say: a muted camera must never hide a fire.
3. Filters (event kinds, cameras, people) drop what a chat said it does not want.
4. A live mute of the whole home or of the event's device drops the alert for that chat.
5. Quiet hours in the home's time zone keep the alert but deliver it silently; never an urgent one (a
   sounding siren, a doorbell ring: someone is at the door now).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.events import Kind, SecurityEvent, Severity, is_urgent
from bot.domain.schedule import in_quiet_hours

# Device types the camera filter applies to. Other devices (smoke and CO alarms, bridged sirens) are not in
# the camera list of /settings, so a camera selection must not silence them.
CAMERA_TYPES = frozenset({"NACamera", "NOC", "NPC", "NDB"})

PEOPLE_ALL = "all"
PEOPLE_UNKNOWN = "unknown"  # only unknown faces among person events
PEOPLE_CHOSEN = "chosen"  # unknown faces, and known faces / arrivals of the chosen persons
PEOPLE_MODES = (PEOPLE_ALL, PEOPLE_UNKNOWN, PEOPLE_CHOSEN)

_PEOPLE_KINDS = frozenset({Kind.PERSON, Kind.PERSON_HOME, Kind.PERSON_AWAY})


@dataclass(frozen=True)
class SubscriptionRule:
    """A chat's wishes for one home. None in event_kinds / camera_ids means "everything"."""

    chat_id: int
    home_id: str
    event_kinds: frozenset[str] | None
    camera_ids: frozenset[str] | None
    people_mode: str
    person_ids: frozenset[str]
    quiet_start: int | None  # minutes after local midnight
    quiet_end: int | None


@dataclass(frozen=True)
class MuteRule:
    """Alerts held back in one chat until `until`; device_id None mutes the whole home."""

    chat_id: int
    device_id: str | None
    until: datetime


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    silent: bool


def recipients(
    event: SecurityEvent,
    subscriptions: Sequence[SubscriptionRule],
    mutes: Sequence[MuteRule],
    timezone: str,
    now: datetime,
) -> list[Recipient]:
    """The chats that get this event, in subscription order, each once."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result: list[Recipient] = []
    seen: set[int] = set()
    for rule in subscriptions:
        if rule.home_id != event.home_id or rule.chat_id in seen:
            continue
        if event.severity is Severity.ALARM:
            seen.add(rule.chat_id)
            result.append(Recipient(rule.chat_id, silent=False))
            continue
        if not wants(rule, event) or is_muted(rule.chat_id, event, mutes, now):
            continue
        seen.add(rule.chat_id)
        silent = not is_urgent(event) and in_quiet_hours(rule.quiet_start, rule.quiet_end, now, timezone)
        result.append(Recipient(rule.chat_id, silent=silent))
    return result


def wants(rule: SubscriptionRule, event: SecurityEvent) -> bool:
    """True when the chat's filters let this event through."""
    if rule.event_kinds is not None and event.kind.value not in rule.event_kinds:
        return False
    if rule.camera_ids is not None and event.device_type in CAMERA_TYPES:
        device = event.source_device
        if device is not None and device not in rule.camera_ids:
            return False
    return _people_match(rule, event)


def _people_match(rule: SubscriptionRule, event: SecurityEvent) -> bool:
    if event.kind not in _PEOPLE_KINDS or rule.people_mode == PEOPLE_ALL:
        return True
    # A face nobody could tell (`person_known` None: neither the event nor the home's list of known
    # persons says) counts as unknown: a filter for unknown faces must not drop the one that matters.
    unknown_face = event.kind is Kind.PERSON and event.person_known is not True
    if unknown_face:
        return True
    if rule.people_mode == PEOPLE_UNKNOWN:
        return False
    if rule.people_mode == PEOPLE_CHOSEN:
        return event.person_id is not None and event.person_id in rule.person_ids
    return True  # a mode from a newer version: do not hide alerts because of it


def is_muted(chat_id: int, event: SecurityEvent, mutes: Sequence[MuteRule], now: datetime) -> bool:
    """A live mute of this chat for the whole home or for the device that reported the event."""
    device = event.source_device
    for mute in mutes:
        if mute.chat_id != chat_id or mute.until <= now:
            continue
        if mute.device_id is None or mute.device_id in (device, event.module_id):
            return True
    return False


# -- filter editing (the toggles of /settings) ------------------------------------------------------

# Kind groups as shown in /settings, in display order. OTHER (types we do not know yet) rides with device
# health so a chat that keeps "everything but motion" still hears about new kinds of trouble.
KIND_GROUPS: dict[str, tuple[Kind, ...]] = {
    "people": (Kind.PERSON, Kind.PERSON_HOME, Kind.PERSON_AWAY),
    "motion": (Kind.MOVEMENT, Kind.HUMAN, Kind.ANIMAL, Kind.VEHICLE),
    "doorbell": (Kind.DOORBELL_RING, Kind.DOORBELL_MISSED, Kind.DOORBELL_ACCEPTED),
    "doors": (Kind.DOOR_OPEN, Kind.DOOR_MOVED),
    "alarms": (
        Kind.SIREN_SOUNDING,
        Kind.SIREN_TAMPERED,
        Kind.SMOKE,
        Kind.SMOKE_CLEARED,
        Kind.CO,
        Kind.CO_CLEARED,
        Kind.ALARM_TAMPERED,
        Kind.ALARM_TEST,
        Kind.ALARM_BATTERY,
    ),
    "health": (
        Kind.CAMERA_OFFLINE,
        Kind.CAMERA_ONLINE,
        Kind.MONITORING_ON,
        Kind.MONITORING_OFF,
        Kind.SD_PROBLEM,
        Kind.POWER_PROBLEM,
        Kind.LOW_BATTERY,
        Kind.OTHER,
    ),
}
ALL_KINDS = frozenset(kind.value for kind in Kind)


def group_enabled(event_kinds: frozenset[str] | None, group: str) -> bool:
    """A group shows as on when every kind of it passes the filter."""
    if event_kinds is None:
        return True
    return all(kind.value in event_kinds for kind in KIND_GROUPS[group])


def toggle_group(event_kinds: frozenset[str] | None, group: str) -> frozenset[str] | None:
    """Switch a whole group on or off; back to None ("everything") when every kind is on again."""
    current = set(ALL_KINDS if event_kinds is None else event_kinds)
    members = {kind.value for kind in KIND_GROUPS[group]}
    if group_enabled(event_kinds, group):
        current -= members
    else:
        current |= members
    return None if current >= ALL_KINDS else frozenset(current)


def toggle_member(
    selected: frozenset[str] | None, item: str, universe: frozenset[str]
) -> frozenset[str] | None:
    """Flip one camera in a selection where None means "all of the universe"."""
    current = set(universe if selected is None else selected)
    current ^= {item}
    return None if universe and current >= universe else frozenset(current)
