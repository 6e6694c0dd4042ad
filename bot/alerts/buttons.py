"""Presses of an alert's buttons: Mute this camera 1 h, Mute all 30 min, Monitoring off.

A press goes: decode (forged data gets a polite refusal and an audit row) → check the presser's role
(`from.id`, never the chat) → act → audit row → answer the query, and tell the whole chat what changed,
so nobody wonders why alerts went quiet.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler

from bot.alerts.render import (
    CAMERA_MUTE_FOR,
    DEVICE_ID,
    FEATURE,
    HOME_ID,
    HOME_MUTE_FOR,
    MONITORING_OFF,
    MUTE_CAMERA,
    MUTE_HOME,
    unpack_device,
)
from bot.chat import callbacks
from bot.chat.common import Context, services, tr
from bot.chat.netatmo_errors import explain
from bot.domain.permissions import Action, allowed
from bot.domain.schedule import local_clock
from bot.netatmo.errors import NetatmoError, NetatmoUnavailable, NotLinked
from bot.storage import audit
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo
from bot.storage.models import HomeDevice

LOG = logging.getLogger(__name__)


# -- button presses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Press:
    action: str
    home_id: str
    device_id: str | None


def _parse(data: str | None) -> _Press | None:
    try:
        decoded = callbacks.decode(data)
    except callbacks.CallbackDataError:
        return None
    if decoded.feature != FEATURE or not decoded.args or not HOME_ID.match(decoded.args[0]):
        return None
    home_id, rest = decoded.args[0], decoded.args[1:]
    if decoded.action == MUTE_HOME and not rest:
        return _Press(MUTE_HOME, home_id, None)
    if decoded.action in (MUTE_CAMERA, MONITORING_OFF) and len(rest) == 1 and DEVICE_ID.match(rest[0]):
        return _Press(decoded.action, home_id, unpack_device(rest[0]))
    return None


_AUDIT_ACTION = {
    MUTE_CAMERA: "alert.mute_camera",
    MUTE_HOME: "alert.mute_home",
    MONITORING_OFF: "alert.monitoring_off",
}


async def on_alert_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    _ = tr(update)
    user = query.from_user
    message = query.message if isinstance(query.message, Message) else None
    chat_id = message.chat.id if message is not None else None
    press = _parse(query.data)
    svc = services(context)
    now = datetime.now(UTC)
    refusal: str | None = None  # answered after the commit, so the audit row exists once the user sees it
    async with svc.sessions.begin() as session:
        device: HomeDevice | None = None
        valid = press is not None and chat_id is not None
        if press is not None and chat_id is not None:
            subscribed = await repo.get_subscription(session, chat_id, press.home_id)
            if press.device_id is not None:
                device = await session.get(HomeDevice, (press.home_id, press.device_id))
            # A device unknown to our topology copy is still fine: the mute only affects this chat and
            # Netatmo itself refuses a monitoring change of a device the link does not see.
            valid = subscribed is not None
        if not valid or press is None or chat_id is None:
            await audit.record_audit(
                session,
                user_id=user.id,
                chat_id=chat_id,
                home_id=press.home_id if press is not None and len(press.home_id) <= 64 else None,
                action="alert.button",
                outcome="denied",
                detail={"reason": "invalid_callback", "data_len": len(query.data or "")},
            )
            LOG.info("alert_button_invalid user=%s chat=%s", user.id, chat_id)
            refusal = _("This button is not valid. Send /mute or /settings instead.")
    if refusal is not None or press is None or chat_id is None:
        await query.answer(refusal, show_alert=True)
        return
    async with svc.sessions.begin() as session:
        home = await homes_repo.get_home(session, press.home_id)
        timezone = home.timezone if home is not None else "UTC"
        home_name = home.name if home is not None else press.home_id
        device_name = (device.name if device is not None else None) or press.device_id or ""
        until, own_link = now, None
        if press.action in (MUTE_CAMERA, MUTE_HOME):
            assert allowed(Action.MUTE_CHAT, None)  # anyone in the chat may pause the chat's alerts
            until = now + (CAMERA_MUTE_FOR if press.action == MUTE_CAMERA else HOME_MUTE_FOR)
            await mutes_repo.add_mute(session, chat_id, press.home_id, press.device_id, until, user.id)
            await audit.record_audit(
                session,
                user_id=user.id,
                chat_id=chat_id,
                home_id=press.home_id,
                action=_AUDIT_ACTION[press.action],
                outcome="ok",
                detail={"device_id": press.device_id, "until": until.isoformat()},
            )
        else:
            member = await homes_repo.membership(session, press.home_id, user.id)
            if not allowed(Action.MONITORING, member):
                await audit.record_audit(
                    session,
                    user_id=user.id,
                    chat_id=chat_id,
                    home_id=press.home_id,
                    action=_AUDIT_ACTION[MONITORING_OFF],
                    outcome="denied",
                    detail={"device_id": press.device_id, "reason": "not_linked_member"},
                )
                LOG.info("alert_monitoring_denied user=%s chat=%s home=%s", user.id, chat_id, press.home_id)
                refusal = _(
                    "Only people who linked their Netatmo account to this home can turn monitoring off."
                )
            own_link = member.link_id if member is not None else None
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    # Outside the transaction: a Netatmo call may take seconds.
    who = html.escape(user.first_name)
    clock = local_clock(until, timezone) if press.action != MONITORING_OFF else ""
    if press.action == MUTE_CAMERA:
        await query.answer(_("Muted until {time}.").format(time=clock))
        notice = _("🔕 {who} muted {device} until {time}.").format(
            who=who, device=html.escape(device_name), time=clock
        )
        await context.bot.send_message(chat_id, notice, parse_mode=ParseMode.HTML)
        return
    if press.action == MUTE_HOME:
        await query.answer(_("Muted until {time}.").format(time=clock))
        notice = _("🔕 {who} muted all alerts of {home} until {time}.").format(
            who=who, home=html.escape(home_name), time=clock
        )
        await context.bot.send_message(chat_id, notice, parse_mode=ParseMode.HTML)
        return
    assert press.device_id is not None
    await _monitoring_off(update, context, press, own_link, device_name, chat_id)


async def _monitoring_off(
    update: Update, context: Context, press: _Press, own_link: int | None, device_name: str, chat_id: int
) -> None:
    query = update.callback_query
    assert query is not None and press.device_id is not None
    _ = tr(update)
    svc = services(context)
    user = query.from_user
    gateway = svc.netatmo
    outcome, detail = "ok", {"device_id": press.device_id}
    reply: str
    try:
        if gateway is None:
            raise NetatmoUnavailable("gateway not configured")
        link_id = own_link if own_link is not None else await gateway.link_for_home(press.home_id)
        if link_id is None:
            raise NotLinked("no active link sees this home")
        await gateway.set_monitoring(link_id, press.home_id, press.device_id, False)
        reply = _("Monitoring is off on {device}.").format(device=device_name)
    except NetatmoError as error:
        outcome, detail = "error", {**detail, "error": error.kind}
        reply = explain(_, error)
        LOG.warning("alert_monitoring_failed user=%s home=%s error=%s", user.id, press.home_id, error.kind)
    async with svc.sessions.begin() as session:
        await audit.record_audit(
            session,
            user_id=user.id,
            chat_id=chat_id,
            home_id=press.home_id,
            action=_AUDIT_ACTION[MONITORING_OFF],
            outcome=outcome,
            detail=detail,
        )
    await query.answer(reply, show_alert=outcome != "ok")
    if outcome == "ok":
        notice = _("⏻ {who} turned monitoring off on {device}.").format(
            who=html.escape(user.first_name), device=html.escape(device_name)
        )
        await context.bot.send_message(chat_id, notice, parse_mode=ParseMode.HTML)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(on_alert_button, pattern=callbacks.pattern(FEATURE)))
