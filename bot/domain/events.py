"""The bot's own model of a Netatmo security event, independent of how it arrived (webhook or poll).

Netatmo names the same happening differently in webhooks (`push_type` "NOC-human") and in getevents
(an `outdoor` event with a `human` sub-event); normalisation in `bot.netatmo.events` maps both to this one
shape so that routing, captions and deduplication are written once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum


class Severity(StrEnum):
    ALARM = "alarm"  # smoke, CO, siren: always delivered loudly, whatever mutes and quiet hours say
    ALERT = "alert"  # something happened that a person should look at (motion, person, ring, door)
    INFO = "info"  # device health: connection, monitoring, SD card, power, battery


class Kind(StrEnum):
    """What happened, in our words. One caption and one filter checkbox per kind."""

    PERSON = "person"  # a face was recognised or an unknown face seen (indoor, NPC)
    MOVEMENT = "movement"
    HUMAN = "human"
    ANIMAL = "animal"
    VEHICLE = "vehicle"
    DOORBELL_RING = "doorbell_ring"
    DOORBELL_MISSED = "doorbell_missed"
    DOORBELL_ACCEPTED = "doorbell_accepted"
    DOOR_OPEN = "door_open"
    DOOR_MOVED = "door_moved"
    SIREN_SOUNDING = "siren_sounding"
    SIREN_TAMPERED = "siren_tampered"
    SMOKE = "smoke"
    SMOKE_CLEARED = "smoke_cleared"
    CO = "co"
    CO_CLEARED = "co_cleared"
    ALARM_TAMPERED = "alarm_tampered"
    ALARM_TEST = "alarm_test"
    ALARM_BATTERY = "alarm_battery"
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_ONLINE = "camera_online"
    MONITORING_ON = "monitoring_on"
    MONITORING_OFF = "monitoring_off"
    SD_PROBLEM = "sd_problem"
    POWER_PROBLEM = "power_problem"
    LOW_BATTERY = "low_battery"
    PERSON_HOME = "person_home"
    PERSON_AWAY = "person_away"
    OTHER = "other"  # a type we do not know yet: a generic but correct alert


@dataclass(frozen=True)
class SnapshotRef:
    """Where the picture of an event is: one of the three shapes Netatmo uses."""

    url: str | None = None  # current: an absolute URL
    image_id: str | None = None  # legacy: getcamerapicture?image_id=…&key=…
    key: str | None = None
    filename: str | None = None  # outdoor sub-events: a path relative to the camera's vpn/local URL


@dataclass(frozen=True)
class SecurityEvent:
    """One thing that happened in a home, deduplicated by (home_id, event_id, subevent_id)."""

    home_id: str
    event_id: str
    kind: Kind
    netatmo_type: str  # the raw type, e.g. "outdoor/human", "NACamera-movement", "smoke"
    time: int  # epoch seconds
    subevent_id: str = ""
    device_id: str | None = None  # the camera, alarm or bridge that reported it
    device_type: str | None = None  # NACamera, NOC, NPC, NDB, NSD, NCO, NACamDoorTag, NIS …
    module_id: str | None = None  # a bridged module (door tag, siren) when there is one
    person_id: str | None = None
    person_name: str | None = None
    person_known: bool | None = None
    sub_type: int | None = None
    message: str | None = None  # Netatmo's localised text, HTML stripped
    snapshot: SnapshotRef | None = None
    severity: Severity = Severity.ALERT

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.home_id, self.event_id, self.subevent_id)

    @property
    def source_device(self) -> str | None:
        """The device a mute or a camera filter applies to: the reporting device (for a door tag or siren,
        the camera it talks through), else the module."""
        return self.device_id or self.module_id


# Alarms: what a person must hear about now, never later. They are alerted from the webhook whatever fields
# it lacks, loudly, and before any other pending message (`bot.alerts.intake`, `bot.storage.deliveries`).
URGENT_KINDS = frozenset({Kind.SMOKE, Kind.CO, Kind.SIREN_SOUNDING, Kind.DOORBELL_RING})

# A push without an event id gets an id of ours; polling later brings the same happening under Netatmo's id.
# Both are one happening when home, device and kind agree and their times are this close (seconds).
SYNTHETIC_PREFIX = "wh:"
ECHO_WINDOW = 300
_BUCKET = 60  # pushes of one happening within a minute get the same synthetic id (Netatmo retries a push)


def is_urgent(event: SecurityEvent) -> bool:
    """Smoke, CO, a sounding siren, a doorbell ring: sent at once and loudly."""
    return event.kind in URGENT_KINDS


def synthetic_event_id(device_id: str | None, kind: Kind, time: int) -> str:
    """A stable id for a push that carries none: the same device, kind and minute give the same id, so a
    repeated push is stored once like any other event."""
    return f"{SYNTHETIC_PREFIX}{kind.value}:{device_id or '-'}:{time // _BUCKET}"[:64]


def is_synthetic(event_id: str) -> bool:
    return event_id.startswith(SYNTHETIC_PREFIX)


def same_happening(a: SecurityEvent, b: SecurityEvent, window: int = ECHO_WINDOW) -> bool:
    """True when two urgent events are one happening told twice: once by a push without an event id (our
    synthetic id) and once by polling (or a repeated push). Two events that both carry Netatmo's own ids
    are never merged here: their ids already tell them apart (two rings a minute apart are two rings)."""
    if a.key == b.key or not (is_synthetic(a.event_id) or is_synthetic(b.event_id)):
        return False
    return (
        a.home_id == b.home_id
        and a.kind is b.kind
        and a.source_device == b.source_device
        and abs(a.time - b.time) <= window
    )


def event_to_dict(event: SecurityEvent) -> dict[str, object]:
    """A JSON-ready dict, stored in `events.data` so delivery can rebuild the event after a restart."""
    data = asdict(event)
    data["kind"] = event.kind.value
    data["severity"] = event.severity.value
    return data


def event_from_dict(data: dict[str, object]) -> SecurityEvent:
    """The inverse of event_to_dict; unknown kinds (from a newer version) degrade to OTHER."""
    values = dict(data)
    snapshot = values.pop("snapshot", None)
    kind = str(values.pop("kind", Kind.OTHER))
    severity = str(values.pop("severity", Severity.ALERT))
    known = {f.name for f in fields(SecurityEvent)}
    kwargs = {key: value for key, value in values.items() if key in known}
    return SecurityEvent(
        **kwargs,  # type: ignore[arg-type]
        kind=Kind(kind) if kind in Kind._value2member_map_ else Kind.OTHER,
        severity=Severity(severity) if severity in Severity._value2member_map_ else Severity.ALERT,
        snapshot=SnapshotRef(**snapshot) if isinstance(snapshot, dict) else None,
    )
