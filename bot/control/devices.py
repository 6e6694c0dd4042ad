"""Home+Control from the chat: lights (on/off, brightness), plugs (on/off, with their power) and shutters
(open, close, stop, position), reached from /scenarios ("Lights, plugs and shutters").

A list screen shows every device's state; a device's own screen holds its buttons. Every button names the
value it sets (on, 50 %, position 25), so a double tap sets the same value twice at worst. A device
travels as the digest of its id (`callbacks.digest`): Legrand ids with a module suffix
("12:34:56:00:01:01:01:b6#1") would not fit in 64 bytes; a press finds the device among the home's
devices of now.
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.control import menu
from bot.control.security_common import (
    CONTROL_REFUSAL,
    HOME_ARG,
    MENU_EXPIRY,
    VIEW_REFUSAL,
    button,
    failed,
    gateway_of,
    in_group,
    known_home,
    press_link,
    who,
)
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.netatmo import devices as netatmo_devices
from bot.netatmo.devices import BRIGHTNESS_STEPS, POSITION_STEPS, SHUTTER_STOP, Device
from bot.netatmo.errors import NetatmoError

LOG = logging.getLogger(__name__)

FEATURE = "dev"
ON_OFF = callbacks.matching(r"1|0")
PERCENT = callbacks.matching(r"25|50|75|100")
POSITION = callbacks.matching(r"0|25|50|75|100|-1")
DEVICE = callbacks.DIGEST


def device_state(_: Translate, device: Device) -> str:
    if not device.reachable:
        return _("unreachable")
    if device.kind == "shutter":
        if device.position is None:
            return _("position unknown")
        return _("open {percent} %").format(percent=device.position)
    parts = [_("switched on") if device.on else _("switched off")]
    if device.dimmable and device.on and device.brightness is not None:
        parts.append(f"{device.brightness} %")
    if device.power is not None and device.kind == "plug":
        parts.append(_("{watts} W").format(watts=device.power))
    return " · ".join(parts)


ICONS = {"light": "💡", "plug": "🔌", "shutter": "🪟"}


def list_screen(_: Translate, home_id: str, devices: list[Device]) -> Edit:
    lines = [_("<b>💡 Lights, plugs and shutters</b>")]
    lines += [f"{ICONS[d.kind]} {html.escape(d.name)}: {device_state(_, d)}" for d in devices]
    if not devices:
        lines.append(_("No Home+Control devices in this home."))
    rows = [[button(f"{ICONS[d.kind]} {d.name}", FEATURE, "d", home_id, key(d))] for d in devices]
    rows.append(
        [button(_("🔄 Refresh"), FEATURE, "home", home_id), button(_("« Back"), "scn", "home", home_id)]
    )
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


def device_screen(_: Translate, home_id: str, device: Device) -> Edit:
    device_key = key(device)
    text = f"{ICONS[device.kind]} <b>{html.escape(device.name)}</b>\n{device_state(_, device)}"
    rows: list[list[InlineKeyboardButton]] = []
    if device.kind in ("light", "plug"):
        rows.append(
            [
                button(_("Switch on"), FEATURE, "on", home_id, device_key, 1),
                button(_("Switch off"), FEATURE, "on", home_id, device_key, 0),
            ]
        )
        if device.dimmable:
            rows.append(
                [button(f"{step} %", FEATURE, "br", home_id, device_key, step) for step in BRIGHTNESS_STEPS]
            )
    else:
        rows.append(
            [
                button(_("Open"), FEATURE, "pos", home_id, device_key, 100),
                button(_("Stop"), FEATURE, "pos", home_id, device_key, SHUTTER_STOP),
                button(_("Close"), FEATURE, "pos", home_id, device_key, 0),
            ]
        )
        rows.append(
            [button(f"{step} %", FEATURE, "pos", home_id, device_key, step) for step in POSITION_STEPS]
        )
    rows.append([button(_("« Back"), FEATURE, "home", home_id)])
    return Edit(text, InlineKeyboardMarkup(rows))


async def _devices(press: Press) -> tuple[int, list[Device]]:
    link_id = await press_link(press)
    return link_id, await netatmo_devices.home_devices(gateway_of(press.services), link_id, press.args[0])


def key(device: Device) -> str:
    """How a device travels in callback data."""
    return callbacks.digest(device.id)


def _find(devices: list[Device], digest: str) -> Device | None:
    """The device a button was made for, among the home's devices of now (None: gone, or ambiguous)."""
    device_id = callbacks.find_digest((d.id for d in devices), digest)
    return next((d for d in devices if d.id == device_id), None)


BUTTONS = Buttons(
    FEATURE,
    invalid=N_("This button is not valid any more. Send /scenarios again."),
    home=known_home,
    expires_after=MENU_EXPIRY,
)


@BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _home(press: Press) -> Outcome:
    try:
        _link_id, devices = await _devices(press)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=list_screen(press.tr, press.args[0], devices))


@BUTTONS.outside_transaction("d", args=(HOME_ARG, DEVICE), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _device(press: Press) -> Outcome:
    try:
        _link_id, devices = await _devices(press)
    except NetatmoError as error:
        return failed(press, error)
    device = _find(devices, press.args[1])
    return Outcome(edit=device_screen(press.tr, press.args[0], device)) if device else press.invalid()


def _describe(_: Translate, action: str, value: int) -> str:
    if action == "on":
        return _("switched on") if value else _("switched off")
    if action == "br":
        return f"{value} %"
    if value == SHUTTER_STOP:
        return _("stopped")
    return _("open {percent} %").format(percent=value)


@menu.changes_home(
    BUTTONS, "on", args=(HOME_ARG, DEVICE, ON_OFF), audit="device.switch", refusal=CONTROL_REFUSAL
)
@menu.changes_home(
    BUTTONS, "br", args=(HOME_ARG, DEVICE, PERCENT), audit="device.brightness", refusal=CONTROL_REFUSAL
)
@menu.changes_home(
    BUTTONS, "pos", args=(HOME_ARG, DEVICE, POSITION), audit="device.position", refusal=CONTROL_REFUSAL
)
async def _set(press: Press) -> Outcome:
    _ = press.tr
    value = int(press.args[2])
    try:
        link_id, devices = await _devices(press)
        device = _find(devices, press.args[1])
        if device is None or not _fits(press.action, device):
            return press.invalid()
        gateway = gateway_of(press.services)
        home_id = press.args[0]
        if already(press.action, device, value):  # a double tap or a stale menu: nothing to send
            pass
        elif press.action == "on":
            await netatmo_devices.set_device(gateway, link_id, home_id, device, on=bool(value))
        elif press.action == "br":
            await netatmo_devices.set_device(gateway, link_id, home_id, device, on=True, brightness=value)
        else:
            await netatmo_devices.set_device(gateway, link_id, home_id, device, target_position=value)
    except NetatmoError as error:
        return failed(press, error, {"device": press.args[1], "after": value})
    after = applied(press.action, device, value)
    wanted = _describe(_, press.action, value)
    detail = {"device_id": device.id, "before": device_state(_, device), "after": device_state(_, after)}
    notice = _("{icon} {who}: {device} → {state}.").format(
        icon=ICONS[device.kind], who=who(press), device=html.escape(device.name), state=wanted
    )
    return Outcome(
        answer=_("{device}: {state}.").format(device=device.name, state=wanted),
        edit=device_screen(_, press.args[0], after),
        notice=notice if in_group(press) else None,
        audits=[press.audit(detail)],
    )


def applied(action: str, device: Device, value: int) -> Device:
    """The device once Netatmo carried out the accepted change, drawn without asking again (each read
    costs two requests of the user's budget)."""
    if action == "on":
        return replace(device, on=bool(value))
    if action == "br":
        return replace(device, on=True, brightness=value)
    return device if value == SHUTTER_STOP else replace(device, position=value)


def already(action: str, device: Device, value: int) -> bool:
    """Whether the device is already where the button would put it."""
    if action == "on":
        return device.on is bool(value)
    if action == "br":
        return device.on is True and device.brightness == value
    return value != SHUTTER_STOP and device.position == value


def _fits(action: str, device: Device) -> bool:
    if action == "on":
        return device.kind in ("light", "plug")
    if action == "br":
        return device.dimmable
    return device.kind == "shutter"


def register(application: Application) -> None:
    BUTTONS.register(application)
