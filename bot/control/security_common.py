"""What the control screens of security, cameras, events and Home+Control share: the home named by a
button, the link to call Netatmo with, the home picker, failures explained, and a camera's monitoring
switch (offered by /scenarios and /cameras alike). Menu expiry and the double-tap guard are the button
pipeline's (`Buttons(expires_after=..., double_tap=...)`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.common import CommandCallback, Context, command_sender, services
from bot.chat.netatmo_errors import explain, relink_keyboard
from bot.control import menu
from bot.control.menu import known_home
from bot.i18n import N_, Translate
from bot.netatmo import security as netatmo_security
from bot.netatmo.errors import LinkBroken, MissingScope, NetatmoError, NetatmoUnavailable, NotLinked
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.security import Camera, SecurityView, with_cameras
from bot.services import Services
from bot.storage import homes as homes_repo
from bot.storage.models import Home

LOG = logging.getLogger(__name__)

MENU_EXPIRY = menu.CONTROL_EXPIRY  # declared on the Buttons of every screen built from these helpers
HOME_ARG = callbacks.matching(r"[0-9A-Za-z_-]{1,40}")
DEVICE_ARG = callbacks.matching(r"[0-9A-Za-z_.-]{1,40}")
ON_OFF = callbacks.matching(r"on|off")
CONTROL_REFUSAL = N_("Only the home's owners and admins can change it.")
VIEW_REFUSAL = N_("Only members of this home can look at it.")

# -- helpers shared by the control features ----------------------------------------------------------


def pack(device_id: str) -> str:
    """Device ids are MACs; ':' is the codec's separator, so it travels as '.'."""
    return device_id.replace(":", ".")


def unpack(packed: str) -> str:
    return packed.replace(".", ":")


def anyone(press: Press) -> bool:
    return True


def in_group(press: Press) -> bool:
    return press.message.chat.type != ChatType.PRIVATE


def who(press: Press) -> str:
    return html.escape(press.user.first_name)


def gateway_of(svc: Services) -> NetatmoGateway:
    if svc.netatmo is None:
        raise NetatmoUnavailable("gateway not configured")
    return svc.netatmo


async def press_link(press: Press) -> int:
    """The presser's own link when it reaches the home, else the link that serves the home."""
    own = press.membership.link_id if press.membership is not None else None
    if own is not None:
        return own
    link_id = await gateway_of(press.services).link_for_home(press.args[0])
    if link_id is None:
        raise NotLinked("no active link sees this home")
    return link_id


def failed(press: Press, error: NetatmoError, detail: dict[str, Any] | None = None) -> Outcome:
    LOG.warning("control_failed action=%s user=%s error=%s", press.action, press.user.id, error.kind)
    audits = (
        [press.audit({**(detail or {}), "error": error.kind}, outcome="error")] if press.spec.audit else []
    )
    text = explain(press.tr, error)
    # Nothing changed (acted=False): pressing again at once is a retry, not a double tap.
    if isinstance(error, MissingScope | LinkBroken) and not in_group(press):
        # Only relinking helps; offer it where the presser can do it, in place of a menu that cannot work.
        edit = Edit(text, relink_keyboard(press.tr), html=False)
        return Outcome(answer=text, alert=True, edit=edit, audits=audits, acted=False)
    return Outcome(answer=text, alert=True, audits=audits, acted=False)


def button(label: str, feature: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(feature, action, *args))


def picker(_: Translate, homes: Sequence[Home], feature: str, prompt: str) -> Edit:
    rows = [[button(home.name, feature, "home", home.id)] for home in homes]
    return Edit(prompt, InlineKeyboardMarkup(rows))


Render = Callable[[Services, int, str, Translate], Awaitable[Edit]]
# Redraws a screen from a view already known (after a change Netatmo accepted), given the link id.
Draw = Callable[[int, SecurityView], Awaitable[Edit | None]]


async def command_screen(update: Update, context: Context, feature: str, render: Render, prompt: str) -> None:
    """A command's answer: the home picker when the user has several homes, else the home's screen."""
    sender = await command_sender(update, context)
    if sender is None:
        return
    message, _ = sender.message, sender.tr
    svc = services(context)
    found = await menu.linked_homes(sender, svc)
    if found is None:
        return
    homes, member, gateway = found
    if len(homes) > 1:
        edit = picker(_, homes, feature, _(prompt))
    else:
        home_id = homes[0].id
        try:
            link_id = member.link_id if member is not None and member.link_id else None
            link_id = link_id or await gateway.link_for_home(home_id)
            if link_id is None:
                raise NotLinked("no active link sees this home")
            edit = await render(svc, link_id, home_id, _)
        except NetatmoError as error:
            await message.reply_text(explain(_, error))
            return
    await message.reply_text(edit.text, reply_markup=edit.keyboard, parse_mode=ParseMode.HTML)


async def home_list(press: Press, feature: str, prompt: str) -> Outcome:
    async with press.services.sessions() as session:
        homes = await homes_repo.member_homes(session, press.user.id)
    if not homes:
        return press.invalid()
    return Outcome(edit=picker(press.tr, homes, feature, press.tr(prompt)))


def picker_buttons(feature: str, invalid: str, prompt: str) -> Buttons:
    """The Buttons of a control feature its command opens with the home picker (/cameras, /events,
    /scenarios): "list" shows the picker again (its data names no home), every other action names the home
    first, and the menu expires like every control screen. One declaration, so these features cannot drift
    apart in how their picker or their expiry behaves."""

    async def resolve(press: Press, session: AsyncSession) -> str | None:
        return None if press.action == "list" else await known_home(press, session)

    buttons = Buttons(feature, invalid=invalid, home=resolve, expires_after=MENU_EXPIRY)

    @buttons.outside_transaction("list", permission=anyone)
    async def _list(press: Press) -> Outcome:
        return await home_list(press, feature, prompt)

    return buttons


def picker_feature(
    feature: str, render: Render, invalid: str, prompt: str
) -> tuple[CommandCallback, Buttons]:
    """The command of a control feature that opens with the home picker (see command_screen) and its
    Buttons (see picker_buttons), both asking `prompt`."""

    async def on_command(update: Update, context: Context) -> None:
        await command_screen(update, context, feature, render, prompt)

    return on_command, picker_buttons(feature, invalid, prompt)


async def home_screen(press: Press, render: Render) -> Outcome:
    """The `home` entry point of a feature drawn by `render`: its screen for the pressed home."""
    try:
        edit = await render(press.services, await press_link(press), press.args[0], press.tr)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit)


def camera_state(_: Translate, camera: Camera) -> str:
    """One camera's state in a few words: offline, monitoring, floodlight, card and power problems."""
    if not camera.reachable:
        parts = [_("offline")]
    elif camera.monitoring is None:
        parts = [_("online")]
    else:
        parts = [_("monitoring on") if camera.monitoring else _("monitoring off")]
    if camera.reachable and camera.floodlight is not None:
        parts.append(_("floodlight {mode}").format(mode=_(FLOOD_LABELS[camera.floodlight])))
    if camera.sd_problem:
        parts.append(_("SD card problem"))
    if camera.power_problem:
        parts.append(_("power problem"))
    return " · ".join(parts)


FLOOD_LABELS = {"on": N_("always on"), "off": N_("always off"), "auto": N_("automatic")}


async def security_now(press: Press) -> tuple[int, SecurityView]:
    link_id = await press_link(press)
    return link_id, await netatmo_security.security_view(gateway_of(press.services), link_id, press.args[0])


async def set_camera_monitoring(press: Press, *, draw: Draw) -> Outcome:
    """Monitoring of the camera in args[1] to args[2] ("on"/"off"); shared with /cameras, each drawing
    its own screen afterwards."""
    _ = press.tr
    device_id, on = unpack(press.args[1]), press.args[2] == "on"
    try:
        link_id, view = await security_now(press)
        camera = view.camera(device_id)
        if camera is None or not camera.can_monitor:
            return press.invalid()
        if camera.monitoring is not on:  # a double tap or a stale menu asks for what already is
            await gateway_of(press.services).set_monitoring(link_id, view.home_id, device_id, on)
    except NetatmoError as error:
        return failed(press, error, {"device_id": device_id, "after": press.args[2]})
    before = {True: "on", False: "off", None: "unknown"}[camera.monitoring]
    answer = (_("Monitoring is on for {camera}.") if on else _("Monitoring is off on {camera}.")).format(
        camera=camera.name
    )
    notice = (
        _("⏻ {who} turned monitoring on for {camera}.")
        if on
        else _("⏻ {who} turned monitoring off on {camera}.")
    ).format(who=who(press), camera=html.escape(camera.name))
    detail = {"device_id": device_id, "before": before, "after": press.args[2]}
    return await changed(
        press, link_id, draw, with_cameras(view, {device_id}, monitoring=on), answer, notice, detail
    )


async def changed(
    press: Press,
    link_id: int,
    draw: Draw,
    view: SecurityView,
    answer: str,
    notice: str,
    detail: dict[str, Any],
) -> Outcome:
    """After a change Netatmo accepted: the screen redrawn, the answer, the audit row, the group notice."""
    try:
        edit = await draw(link_id, view)
    except NetatmoError as error:  # the change went through; only the redraw failed
        LOG.info("control_redraw_failed user=%s error=%s", press.user.id, error.kind)
        edit = None
    return Outcome(
        answer=answer, edit=edit, notice=notice if in_group(press) else None, audits=[press.audit(detail)]
    )
