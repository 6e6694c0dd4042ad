"""/cameras: the home's cameras with their state, and per camera its monitoring switch, a snapshot of
now, its last five events as one album and a Live button.

The state is Netatmo's of this moment (homestatus), so the switch always offers the opposite of what
the camera does; Live is answered by the live feature (callback `live:cam:<home>:<camera>`).
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, CommandHandler

from bot.chat.buttons import Edit, Outcome, Press
from bot.control import menu
from bot.control.events import home_names, send_album
from bot.control.security_common import (
    CONTROL_REFUSAL,
    DEVICE_ARG,
    HOME_ARG,
    ON_OFF,
    VIEW_REFUSAL,
    button,
    camera_state,
    failed,
    gateway_of,
    home_screen,
    pack,
    picker_feature,
    press_link,
    set_camera_monitoring,
    unpack,
)
from bot.domain.captions import local_time
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.netatmo import security as netatmo_security
from bot.netatmo.errors import NetatmoError
from bot.netatmo.security import SecurityView
from bot.services import Services

LOG = logging.getLogger(__name__)

FEATURE = "cam"
LIVE_FEATURE = "live"
LAST_EVENTS = 5


def list_screen(_: Translate, view: SecurityView) -> Edit:
    lines = [_("<b>📷 Cameras — {home}</b>").format(home=html.escape(view.name))]
    lines += [f"📷 {html.escape(c.name)}: {camera_state(_, c)}" for c in view.cameras]
    if not view.cameras:
        lines.append(_("No cameras in this home."))
    home_id = view.home_id
    rows = [[button(f"📷 {c.name}", FEATURE, "c", home_id, pack(c.id))] for c in view.cameras]
    rows.append([button(_("🔄 Refresh"), FEATURE, "home", home_id), button(_("« Homes"), FEATURE, "list")])
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


def camera_screen(_: Translate, view: SecurityView, device_id: str) -> Edit | None:
    """One camera's screen; None when the home has no such camera."""
    camera = view.camera(device_id)
    if camera is None:
        return None
    home_id, packed = view.home_id, pack(camera.id)
    text = f"<b>📷 {html.escape(camera.name)}</b> — {html.escape(view.name)}\n{camera_state(_, camera)}"
    rows: list[list[InlineKeyboardButton]] = []
    if camera.can_monitor and camera.reachable:
        if camera.monitoring:
            rows.append([button(_("⏻ Turn monitoring off"), FEATURE, "mon", home_id, packed, "off")])
        else:
            rows.append([button(_("⏻ Turn monitoring on"), FEATURE, "mon", home_id, packed, "on")])
    rows.append(
        [
            button(_("📸 Snapshot now"), FEATURE, "snap", home_id, packed),
            button(_("🎞 Last 5 events"), FEATURE, "ev", home_id, packed),
        ]
    )
    rows.append([button(_("🔴 Live"), LIVE_FEATURE, "cam", home_id, packed)])
    rows.append([button(_("« Back"), FEATURE, "home", home_id)])
    return Edit(text, InlineKeyboardMarkup(rows))


async def render(svc: Services, link_id: int, home_id: str, _: Translate) -> Edit:
    return list_screen(_, await netatmo_security.security_view(gateway_of(svc), link_id, home_id))


cameras_command, BUTTONS = picker_feature(
    FEATURE,
    render,
    N_("This button is not valid any more. Send /cameras again."),
    N_("Cameras of which home?"),
)


@BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _home(press: Press) -> Outcome:
    return await home_screen(press, render)


@BUTTONS.outside_transaction("c", args=(HOME_ARG, DEVICE_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _camera(press: Press) -> Outcome:
    try:
        link_id = await press_link(press)
        view = await netatmo_security.security_view(gateway_of(press.services), link_id, press.args[0])
        edit = camera_screen(press.tr, view, unpack(press.args[1]))
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit) if edit is not None else press.invalid()


@menu.changes_home(
    BUTTONS, "mon", args=(HOME_ARG, DEVICE_ARG, ON_OFF), audit="security.monitoring", refusal=CONTROL_REFUSAL
)
async def _monitoring(press: Press) -> Outcome:
    device_id = unpack(press.args[1])

    async def draw(link_id: int, view: SecurityView) -> Edit:
        return camera_screen(press.tr, view, device_id) or list_screen(press.tr, view)

    return await set_camera_monitoring(press, draw=draw)


@BUTTONS.outside_transaction(
    "snap", args=(HOME_ARG, DEVICE_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _snapshot(press: Press) -> Outcome:
    """A live still through the camera's own URL (Welcome and Presence); WebRTC cameras need /live."""
    _ = press.tr
    gateway = gateway_of(press.services)
    try:
        link_id = await press_link(press)
        view = await netatmo_security.security_view(gateway, link_id, press.args[0])
        camera = view.camera(unpack(press.args[1]))
        if camera is None:
            return press.invalid()
        if not camera.reachable:
            return Outcome(answer=_("{camera} is offline.").format(camera=camera.name), alert=True)
        url = netatmo_security.live_snapshot_url(camera)
        if url is None:
            text = _("{camera} only streams live video: send /live for a frame.").format(camera=camera.name)
            return Outcome(answer=text, alert=True)
        data = await netatmo_security.fetch_picture(gateway, link_id, url)
    except NetatmoError as error:
        return failed(press, error)
    clock = local_time(int(datetime.now(UTC).timestamp()), view.timezone)
    caption = f"📸 {html.escape(camera.name)} — {clock}"
    await press.context.bot.send_photo(press.chat_id, data, caption=caption, parse_mode="HTML")
    return Outcome(answer=_("Snapshot sent."))


@BUTTONS.outside_transaction("ev", args=(HOME_ARG, DEVICE_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _last_events(press: Press) -> Outcome:
    _ = press.tr
    gateway = gateway_of(press.services)
    device_id = unpack(press.args[1])
    try:
        link_id = await press_link(press)
        _name, timezone, names = await home_names(gateway, link_id, press.args[0])
        if device_id not in names:
            return press.invalid()
        events = await netatmo_security.recent_events(gateway, link_id, press.args[0], 50)
        own = [e for e in events if device_id in (e.device_id, e.module_id) and e.snapshot is not None]
        sent = await send_album(press, link_id, own[:LAST_EVENTS], names, timezone)
    except NetatmoError as error:
        return failed(press, error)
    if not sent:
        return Outcome(
            answer=_("No recent events with pictures for {camera}.").format(camera=names[device_id])
        )
    LOG.info("camera_events_sent user=%s count=%d", press.user.id, sent)
    return Outcome(answer=_("{count} pictures sent.").format(count=sent))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("cameras", cameras_command))
    BUTTONS.register(application)
