"""Presses of an alert's buttons: Mute this camera 1 h, Mute all 30 min, Monitoring off / on (a toggle);
on an alarm (smoke, CO, siren, doorbell ring) I'm on it and Alert everyone instead, which anyone who
receives the alert may press.

A button only works in a chat that still receives the home's alerts; anything else is recorded as an
invalid press, since the bot never sends such a button. Muting a group silences the whole family and
monitoring changes the home itself, so only the home's owners and admins may (in their own private chat
anyone may mute). Every change is announced to the
whole chat, so nobody wonders why alerts went quiet.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application

from bot.alerts.render import (
    ACKNOWLEDGE,
    ALERT_EVERYONE,
    CAMERA_MUTE_FOR,
    DEVICE_ID,
    FEATURE,
    HOME_ID,
    HOME_MUTE_FOR,
    MONITORING_OFF,
    MONITORING_ON,
    MUTE_CAMERA,
    MUTE_HOME,
    monitoring_button,
    pack_device,
    unpack_device,
)
from bot.chat import callbacks
from bot.chat.buttons import Buttons, Call, InvalidPress, Outcome, Press
from bot.chat.netatmo_errors import explain
from bot.domain.permissions import Action
from bot.domain.schedule import local_clock
from bot.i18n import N_
from bot.netatmo.errors import NetatmoError, NetatmoUnavailable, NotLinked
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo

LOG = logging.getLogger(__name__)

CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
HOME = callbacks.matching(HOME_ID)
DEVICE = callbacks.matching(DEVICE_ID)


async def _subscribed_home(press: Press, session: AsyncSession) -> str:
    """The home named by the button, as long as this chat receives its alerts."""
    home_id = press.args[0]
    if await repo.get_subscription(session, press.chat_id, home_id) is None:
        raise InvalidPress(home_id)
    return home_id


BUTTONS = Buttons(
    FEATURE,
    invalid=N_("This button is not valid. Send /mute or /settings instead."),
    home=_subscribed_home,
    audit_invalid="alert.button",
    # An alert's buttons stay useful for days; alerts sent before callback data was signed keep working
    # because every action re-checks the chat's subscription and the presser's role.
    expires_after=timedelta(days=7),
    accept_unsigned=True,
)


@BUTTONS.action(MUTE_CAMERA, args=(HOME, DEVICE), permission=Action.MUTE_CHAT, audit="alert.mute_camera")
async def _mute_camera(press: Press, session: AsyncSession) -> Outcome:
    return await _mute(press, session, unpack_device(press.args[1]), CAMERA_MUTE_FOR)


@BUTTONS.action(MUTE_HOME, args=(HOME,), permission=Action.MUTE_CHAT, audit="alert.mute_home")
async def _mute_home(press: Press, session: AsyncSession) -> Outcome:
    return await _mute(press, session, None, HOME_MUTE_FOR)


async def _mute(press: Press, session: AsyncSession, device_id: str | None, duration: timedelta) -> Outcome:
    _ = press.tr
    home_id = press.home_id
    assert home_id is not None
    until = datetime.now(UTC) + duration
    await mutes_repo.add_mute(session, press.chat_id, home_id, device_id, until, press.user.id)
    clock = local_clock(until, press.home.timezone if press.home is not None else "UTC")
    who = html.escape(press.user.first_name)
    if device_id is None:
        home_name = press.home.name if press.home is not None else home_id
        notice = _("🔕 {who} muted all alerts of {home} until {time}.").format(
            who=who, home=html.escape(home_name), time=clock
        )
    else:
        device_name = await homes_repo.device_name(session, home_id, device_id) or device_id
        notice = _("🔕 {who} muted {device} until {time}.").format(
            who=who, device=html.escape(device_name), time=clock
        )
    return Outcome(
        answer=_("Muted until {time}.").format(time=clock),
        notice=notice,
        audits=[press.audit({"device_id": device_id, "until": until.isoformat()})],
    )


@BUTTONS.outside_transaction(ACKNOWLEDGE, args=(HOME,), permission=Action.VIEW, audit="alert.acknowledge")
async def _acknowledge(press: Press) -> Outcome:
    """ "I'm on it": the alarm's message says who took care of it, for everyone in the chat (an edit,
    which rings nobody: the person who pressed needs no one else woken)."""
    _ = press.tr
    home_id = press.home_id
    assert home_id is not None
    zone = press.home.timezone if press.home is not None else "UTC"
    line = _("✅ {who} is on it ({time})").format(
        who=html.escape(press.user.first_name), time=local_clock(datetime.now(UTC), zone)
    )
    message = press.message
    shown = message.caption_html if message.caption is not None else message.text_html
    text = f"{shown or ''}\n{line}".strip()
    limit = CAPTION_LIMIT if message.caption is not None else TEXT_LIMIT
    if len(text) <= limit:
        try:
            if message.caption is not None:
                await press.query.edit_message_caption(
                    text, reply_markup=message.reply_markup, parse_mode=ParseMode.HTML
                )
            else:
                await press.query.edit_message_text(
                    text, reply_markup=message.reply_markup, parse_mode=ParseMode.HTML
                )
        except BadRequest as error:  # a double tap: the line is there already
            LOG.info("alert_acknowledge_not_edited chat=%s error=%s", press.chat_id, error)
    return Outcome(answer=_("Everyone here sees that you are on it."), audits=[press.audit({})])


@BUTTONS.action(ALERT_EVERYONE, args=(HOME,), permission=Action.VIEW, audit="alert.alert_everyone")
async def _alert_everyone(press: Press, session: AsyncSession) -> Outcome:
    """ "Alert everyone": a new message, which notifies every member of the chat (an edit does not)."""
    _ = press.tr
    message = press.message
    first_line = ((message.caption or message.text or "").splitlines() or [""])[0]
    notice = _("📣 {who} asks everyone to look now: {what}").format(
        who=html.escape(press.user.first_name), what=html.escape(first_line)
    )
    return Outcome(answer=_("Everyone in this chat is alerted."), notice=notice, audits=[press.audit({})])


def _monitoring_refused(press: Press) -> dict[str, Any]:
    return {"device_id": unpack_device(press.args[1]), "reason": "role", "role": press.role.value}


def _monitoring_switch(action: str, audit: str, refusal: str) -> Callable[[Call], Call]:
    """Declare one of the alert's monitoring buttons (home and device in its data)."""
    return BUTTONS.outside_transaction(
        action,
        args=(HOME, DEVICE),
        permission=Action.MONITORING,
        audit=audit,
        refusal=refusal,
        refusal_detail=_monitoring_refused,
    )


@_monitoring_switch(
    MONITORING_OFF, "alert.monitoring_off", N_("Only the home's owners and admins can turn monitoring off.")
)
@_monitoring_switch(
    MONITORING_ON,
    "alert.monitoring_on",
    N_("Only people who linked their Netatmo account to this home can turn monitoring on."),
)
async def _monitoring(press: Press) -> Outcome:
    """The alert's monitoring toggle: sets the state the button offered, then flips the button."""
    _ = press.tr
    on = press.action == MONITORING_ON
    home_id, device_id = press.home_id, unpack_device(press.args[1])
    assert home_id is not None
    async with press.services.sessions() as session:
        # A device unknown to our topology copy is still fine: Netatmo itself refuses a monitoring
        # change of a device the link does not see.
        device_name = await homes_repo.device_name(session, home_id, device_id) or device_id
    gateway = press.services.netatmo
    own_link = press.membership.link_id if press.membership is not None else None
    try:
        if gateway is None:
            raise NetatmoUnavailable("gateway not configured")
        link_id = own_link if own_link is not None else await gateway.link_for_home(home_id)
        if link_id is None:
            raise NotLinked("no active link sees this home")
        await gateway.set_monitoring(link_id, home_id, device_id, on)
    except NetatmoError as error:
        LOG.warning("alert_monitoring_failed user=%s home=%s error=%s", press.user.id, home_id, error.kind)
        return Outcome(
            answer=explain(_, error),
            alert=True,
            audits=[press.audit({"device_id": device_id, "error": error.kind}, outcome="error")],
        )
    await _flip_button(press, home_id, device_id, on)
    who = html.escape(press.user.first_name)
    if on:
        notice = _("⏻ {who} turned monitoring on for {device}.").format(
            who=who, device=html.escape(device_name)
        )
        answer = _("Monitoring is on for {device}.").format(device=device_name)
    else:
        notice = _("⏻ {who} turned monitoring off on {device}.").format(
            who=who, device=html.escape(device_name)
        )
        answer = _("Monitoring is off on {device}.").format(device=device_name)
    detail = {"device_id": device_id, "before": "off" if on else "on", "after": "on" if on else "off"}
    return Outcome(answer=answer, notice=notice, audits=[press.audit(detail)])


async def _flip_button(press: Press, home_id: str, device_id: str, on: bool) -> None:
    """Show the opposite action on the alert now that the camera is `on` (the caption stays)."""
    markup = press.message.reply_markup
    if markup is None:
        return
    # compared by body: an alert sent before data was signed carries the toggle without a MAC
    toggles = {
        callbacks.SEPARATOR.join((FEATURE, action, home_id, pack_device(device_id)))
        for action in (MONITORING_OFF, MONITORING_ON)
    }

    def body(data: object) -> str | None:
        return (callbacks.verify(data) or data) if isinstance(data, str) else None

    rows = [
        [
            monitoring_button(press.tr, home_id, device_id, on) if body(key.callback_data) in toggles else key
            for key in row
        ]
        for row in markup.inline_keyboard
    ]
    try:
        await press.query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    except BadRequest as error:  # a double tap: the keyboard already shows this state
        LOG.info("alert_toggle_not_edited chat=%s error=%s", press.chat_id, error)


def register(application: Application) -> None:
    BUTTONS.register(application)
