"""How an alert looks in a chat: its caption and its buttons, for one event or several of one camera.

Rendering is a pure function of the events and the names looked up for them, so the delivery worker can
call it for a fresh message or a grouped edit alike. The buttons are answered in `bot.alerts.buttons`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat import callbacks
from bot.domain.captions import caption
from bot.domain.events import Kind, SecurityEvent, is_urgent
from bot.domain.routing import CAMERA_TYPES
from bot.i18n import Translate
from bot.storage import homes as homes_repo

LOG = logging.getLogger(__name__)

FEATURE = "alert"
MUTE_CAMERA = "mc"
MUTE_HOME = "ma"
MONITORING_OFF = "mo"  # the button turns monitoring off (old alerts carry it too)
MONITORING_ON = "mon"  # shown instead when the camera's monitoring is known to be off
ACKNOWLEDGE = "ok"  # an alarm's "I'm on it": the alert says who took care of it
ALERT_EVERYONE = "all"  # an alarm's "Alert everyone": a loud follow-up message in the chat
CAMERA_MUTE_FOR = timedelta(hours=1)
HOME_MUTE_FOR = timedelta(minutes=30)

# Netatmo ids: 24-hex homes, MAC-like devices. Anything else in callback data was not made by us.
HOME_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
DEVICE_ID = re.compile(r"^[0-9A-Za-z_.-]{1,40}$")


@dataclass
class AlertNames:
    """Names for a caption, looked up once per alert (home, device, people) plus the home's zone."""

    home_name: str
    device_name: str | None
    person_names: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"


@dataclass
class AlertView:
    text: str  # Telegram HTML, at most 1024 characters (fits a photo caption)
    keyboard: InlineKeyboardMarkup


def pack_device(device_id: str) -> str:
    """Device ids are MACs; ':' is the codec's separator, so it travels as '.'."""
    return device_id.replace(":", ".")


def unpack_device(packed: str) -> str:
    return packed.replace(".", ":")


def monitoring_button(
    _: Translate, home_id: str, device_id: str, monitoring_on: bool
) -> InlineKeyboardButton:
    """The monitoring toggle: it offers the opposite of the camera's state."""
    if monitoring_on:
        data = callbacks.encode(FEATURE, MONITORING_OFF, home_id, pack_device(device_id))
        return InlineKeyboardButton(_("⏻ Monitoring off"), callback_data=data)
    data = callbacks.encode(FEATURE, MONITORING_ON, home_id, pack_device(device_id))
    return InlineKeyboardButton(_("⏻ Monitoring on"), callback_data=data)


def alert_keyboard(
    event: SecurityEvent,
    _: Translate,
    extra_row: Sequence[InlineKeyboardButton] | None = None,
    monitoring_on: bool | None = None,
) -> InlineKeyboardMarkup:
    """The buttons under an alert; `extra_row` (e.g. a Live button) goes on top when given. An alarm
    (smoke, CO, siren, doorbell ring) gets `alarm_row` instead of mutes and monitoring.

    `monitoring_on` is the camera's monitoring when the caller knows it; otherwise the event tells: only
    a "monitoring turned off" event comes from a camera that is not monitoring (others need it on)."""
    rows: list[list[InlineKeyboardButton]] = []
    if extra_row:
        rows.append(list(extra_row))
    if is_urgent(event):
        rows.append(alarm_row(event, _))
        return InlineKeyboardMarkup(rows)
    device = event.source_device
    mute_row = []
    if device is not None:
        data = callbacks.encode(FEATURE, MUTE_CAMERA, event.home_id, pack_device(device))
        mute_row.append(InlineKeyboardButton(_("🔕 Mute this camera 1 h"), callback_data=data))
    data = callbacks.encode(FEATURE, MUTE_HOME, event.home_id)
    mute_row.append(InlineKeyboardButton(_("🔕 Mute all 30 min"), callback_data=data))
    rows.append(mute_row)
    if event.device_id is not None and event.device_type in CAMERA_TYPES:
        on = monitoring_on if monitoring_on is not None else event.kind is not Kind.MONITORING_OFF
        rows.append([monitoring_button(_, event.home_id, event.device_id, on)])
    return InlineKeyboardMarkup(rows)


def alarm_row(event: SecurityEvent, _: Translate) -> list[InlineKeyboardButton]:
    """An alarm's buttons: nobody mutes a fire or the person at the door; the family needs to know who
    takes care of it, or that everyone should look now."""
    return [
        InlineKeyboardButton(
            _("✅ I'm on it"), callback_data=callbacks.encode(FEATURE, ACKNOWLEDGE, event.home_id)
        ),
        InlineKeyboardButton(
            _("📣 Alert everyone"), callback_data=callbacks.encode(FEATURE, ALERT_EVERYONE, event.home_id)
        ),
    ]


def render_alert(
    events: Sequence[SecurityEvent],
    names: AlertNames,
    _: Translate,
    extra_row: Sequence[InlineKeyboardButton] | None = None,
) -> AlertView:
    """Caption and buttons for 1..n events of one camera (a group is summarised in one caption)."""
    text = caption(
        events,
        _,
        home_name=names.home_name,
        device_name=names.device_name,
        person_names=names.person_names,
        timezone=names.timezone,
    )
    latest = max(events, key=lambda e: e.time)
    return AlertView(text, alert_keyboard(latest, _, extra_row))


async def load_alert_names(session: AsyncSession, event: SecurityEvent) -> AlertNames:
    """Home name and zone, the reporting device's name (the bridged module's when there is one)."""
    home = await homes_repo.get_home(session, event.home_id)
    device_name = await homes_repo.device_name(session, event.home_id, event.module_id)
    if device_name is None:
        device_name = await homes_repo.device_name(session, event.home_id, event.device_id)
    people = {event.person_id: event.person_name} if event.person_id and event.person_name else {}
    return AlertNames(
        home_name=home.name if home is not None else "",
        device_name=device_name,
        person_names=people,
        timezone=home.timezone if home is not None and home.timezone else "UTC",
    )
