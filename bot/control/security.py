"""/scenarios: one screen per home for its security and its scenarios.

The screen shows every camera's monitoring as Netatmo reports it now, the known people, and the Legrand
scenarios; its buttons arm (all cameras monitoring on) or disarm, switch one camera's monitoring, set an
outdoor camera's floodlight, mark people home or away, and launch a scenario after a confirmation step.
Security and scenarios share one screen (feature "scn"; "sec:home:<home>" opens the same one), because a
household thinks of "arming" and "leaving home" as one gesture.

Each button carries the state it sets (monitoring "off", floodlight "auto"), never "toggle": a double
tap or an old menu then asks for what the person saw, and Netatmo's "already off" is a success.
The helpers shared by /cameras, /events and the devices screen live here too.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, InvalidPress, Outcome, Press
from bot.chat.common import Context, remember, services, tr
from bot.chat.netatmo_errors import explain
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.linking import texts as link_texts
from bot.netatmo import security as netatmo_security
from bot.netatmo.errors import NetatmoError, NetatmoUnavailable, NotLinked
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.security import Camera, SecurityView
from bot.services import Services
from bot.storage import homes as homes_repo
from bot.storage.models import Home

LOG = logging.getLogger(__name__)

FEATURE = "scn"
MENU_TTL = 3600.0  # seconds: a menu older than this asks to send the command again
HOME_ARG = callbacks.matching(r"[0-9A-Za-z_-]{1,40}")
DEVICE_ARG = callbacks.matching(r"[0-9A-Za-z_.-]{1,40}")
KEY_ARG = callbacks.matching(r"[0-9A-Za-z_-]{1,40}")
ON_OFF = callbacks.matching(r"on|off")
FLOOD_ARG = callbacks.matching(r"on|off|auto")
CONTROL_REFUSAL = N_("Only the home's owners and admins can change it.")
VIEW_REFUSAL = N_("Only members of this home can look at it.")


# -- helpers shared by the control features ----------------------------------------------------------


def pack(device_id: str) -> str:
    """Device ids are MACs; ':' is the codec's separator, so it travels as '.'."""
    return device_id.replace(":", ".")


def unpack(packed: str) -> str:
    return packed.replace(".", ":")


async def known_home(press: Press, session: AsyncSession) -> str:
    """The home named first in the callback data, as long as the bot knows it."""
    home_id = press.args[0]
    if await homes_repo.get_home(session, home_id) is None:
        raise InvalidPress(home_id)
    return home_id


def anyone(press: Press) -> bool:
    return True


def menu_expired(press: Press) -> bool:
    """Whether the menu was last drawn more than MENU_TTL ago: its buttons show a stale world."""
    drawn = press.message.edit_date or press.message.date
    return drawn is not None and time.time() - drawn.timestamp() > MENU_TTL


def expired_outcome(press: Press, command: str) -> Outcome:
    _ = press.tr
    text = _("This menu has expired. Send {command} again.").format(command=command)
    return Outcome(answer=text, alert=True)


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
    return Outcome(answer=explain(press.tr, error), alert=True, audits=audits)


def button(label: str, feature: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(feature, action, *args))


def picker(_: Translate, homes: Sequence[Home], feature: str, prompt: str) -> Edit:
    rows = [[button(home.name, feature, "home", home.id)] for home in homes]
    return Edit(prompt, InlineKeyboardMarkup(rows))


Render = Callable[[Services, int, str, Translate], Awaitable[Edit]]


async def command_screen(update: Update, context: Context, feature: str, render: Render, prompt: str) -> None:
    """A command's answer: the home picker when the user has several homes, else the home's screen."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await remember(update, context)
    _ = tr(update)
    svc = services(context)
    async with svc.sessions() as session:
        homes = await homes_repo.member_homes(session, user.id)
        member = await homes_repo.membership(session, homes[0].id, user.id) if len(homes) == 1 else None
    if not homes or svc.netatmo is None:
        await message.reply_text(link_texts.not_linked_text(_))
        return
    if len(homes) > 1:
        edit = picker(_, homes, feature, _(prompt))
    else:
        home_id = homes[0].id
        try:
            link_id = member.link_id if member is not None and member.link_id else None
            link_id = link_id or await svc.netatmo.link_for_home(home_id)
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


# -- the screen ------------------------------------------------------------------------------------


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


def security_screen(
    _: Translate, view: SecurityView, scenario_items: Sequence[netatmo_security.Scenario]
) -> Edit:
    lines = [_("<b>🛡 Security and scenarios — {home}</b>").format(home=html.escape(view.name))]
    for camera in view.cameras:
        lines.append(f"📷 {html.escape(camera.name)}: {camera_state(_, camera)}")
    if not view.cameras:
        lines.append(_("No cameras in this home."))
    if view.persons:
        present = ", ".join(html.escape(p.name) for p in view.persons if p.home) or "—"
        away = ", ".join(html.escape(p.name) for p in view.persons if not p.home) or "—"
        lines.append(_("👤 Home: {present} · Away: {away}").format(present=present, away=away))
    if scenario_items:
        lines.append(
            _("▶ Scenarios: {names}").format(names=", ".join(html.escape(s.name) for s in scenario_items))
        )
    home = view.home_id
    rows: list[list[InlineKeyboardButton]] = []
    switchable = [c for c in view.cameras if c.can_monitor and c.reachable]
    if switchable:
        rows.append(
            [button(_("🛡 Arm all"), FEATURE, "arm", home), button(_("🔓 Disarm all"), FEATURE, "dis", home)]
        )
    for camera in switchable:
        target = "off" if camera.monitoring else "on"
        label = (_("⏻ {camera}: turn off") if camera.monitoring else _("⏻ {camera}: turn on")).format(
            camera=camera.name
        )
        rows.append([button(label, FEATURE, "mon", home, pack(camera.id), target)])
    for camera in view.cameras:
        if camera.floodlight is None or not camera.reachable:
            continue
        rows.append(
            [
                button(
                    f"{'✅' if camera.floodlight == mode else '💡'} {_(FLOOD_LABELS[mode])}",
                    FEATURE,
                    "fl",
                    home,
                    pack(camera.id),
                    mode,
                )
                for mode in netatmo_security.FLOODLIGHT_MODES
            ]
        )
    if view.persons:
        rows.append(
            [
                button(_("🏠 I'm home"), FEATURE, "ph", home),
                button(_("🚶 Everyone away"), FEATURE, "pa", home),
            ]
        )
    scenario_buttons = [button(f"▶ {s.name}", FEATURE, "sc", home, s.key) for s in scenario_items]
    rows.extend(scenario_buttons[i : i + 2] for i in range(0, len(scenario_buttons), 2))
    if view.has_gateway:
        rows.append([button(_("💡 Lights, plugs and shutters"), "dev", "home", home)])
    rows.append([button(_("🔄 Refresh"), FEATURE, "home", home), button(_("« Homes"), FEATURE, "list")])
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


async def render(svc: Services, link_id: int, home_id: str, _: Translate) -> Edit:
    gateway = gateway_of(svc)
    view = await netatmo_security.security_view(gateway, link_id, home_id)
    items = await netatmo_security.scenarios(gateway, link_id, home_id) if view.has_gateway else []
    return security_screen(_, view, items)


async def scenarios_command(update: Update, context: Context) -> None:
    await command_screen(update, context, FEATURE, render, N_("Which home?"))


# -- buttons ---------------------------------------------------------------------------------------


async def _resolve(press: Press, session: AsyncSession) -> str | None:
    return None if press.action == "list" else await known_home(press, session)


BUTTONS = Buttons(
    FEATURE, invalid=N_("This button is not valid any more. Send /scenarios again."), home=_resolve
)
SECURITY_BUTTONS = Buttons(
    "sec", invalid=N_("This button is not valid any more. Send /scenarios again."), home=known_home
)


@BUTTONS.outside_transaction("list", permission=anyone)
async def _list(press: Press) -> Outcome:
    return await home_list(press, FEATURE, N_("Which home?"))


@BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
@SECURITY_BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _home(press: Press) -> Outcome:
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    try:
        edit = await render(press.services, await press_link(press), press.args[0], press.tr)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit)


async def _after(
    press: Press, link_id: int, answer: str, notice: str | None, detail: dict[str, Any]
) -> Outcome:
    """The screen redrawn from Netatmo after a change, its answer, audit row and group notice."""
    try:
        edit: Edit | None = await render(press.services, link_id, press.args[0], press.tr)
    except NetatmoError as error:  # the change went through; only the redraw failed
        LOG.info("control_redraw_failed user=%s error=%s", press.user.id, error.kind)
        edit = None
    return Outcome(
        answer=answer, edit=edit, notice=notice if in_group(press) else None, audits=[press.audit(detail)]
    )


async def _view(press: Press) -> tuple[int, SecurityView]:
    link_id = await press_link(press)
    return link_id, await netatmo_security.security_view(gateway_of(press.services), link_id, press.args[0])


@BUTTONS.outside_transaction(
    "arm", "dis", args=(HOME_ARG,), permission=Action.CONTROL, audit="security.arm", refusal=CONTROL_REFUSAL
)
async def _arm(press: Press) -> Outcome:
    _ = press.tr
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    on = press.action == "arm"
    try:
        link_id, view = await _view(press)
        changed = [c for c in view.cameras if c.can_monitor and c.reachable and c.monitoring is not on]
        for camera in changed:
            await gateway_of(press.services).set_monitoring(link_id, view.home_id, camera.id, on)
    except NetatmoError as error:
        return failed(press, error, {"on": on})
    names = ", ".join(c.name for c in changed) or "—"
    if on:
        answer, notice = _("Armed: monitoring is on."), _("🛡 {who} armed {home}.")
    else:
        answer, notice = _("Disarmed: monitoring is off."), _("🔓 {who} disarmed {home}.")
    detail = {
        "cameras": [c.id for c in changed],
        "before": "off" if on else "on",
        "after": "on" if on else "off",
        "names": names,
    }
    return await _after(
        press, link_id, answer, notice.format(who=who(press), home=html.escape(view.name)), detail
    )


@BUTTONS.outside_transaction(
    "mon",
    args=(HOME_ARG, DEVICE_ARG, ON_OFF),
    permission=Action.CONTROL,
    audit="security.monitoring",
    refusal=CONTROL_REFUSAL,
)
async def _monitoring(press: Press) -> Outcome:
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    return await set_camera_monitoring(press, render_screen=render)


async def set_camera_monitoring(press: Press, *, render_screen: Render) -> Outcome:
    """Monitoring of the camera in args[1] to args[2] ("on"/"off"); shared with /cameras."""
    _ = press.tr
    device_id, on = unpack(press.args[1]), press.args[2] == "on"
    try:
        link_id, view = await _view(press)
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
    try:
        edit: Edit | None = await render_screen(press.services, link_id, press.args[0], press.tr)
    except NetatmoError:
        edit = None
    return Outcome(
        answer=answer, edit=edit, notice=notice if in_group(press) else None, audits=[press.audit(detail)]
    )


@BUTTONS.outside_transaction(
    "fl",
    args=(HOME_ARG, DEVICE_ARG, FLOOD_ARG),
    permission=Action.CONTROL,
    audit="security.floodlight",
    refusal=CONTROL_REFUSAL,
)
async def _floodlight(press: Press) -> Outcome:
    _ = press.tr
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    device_id, mode = unpack(press.args[1]), press.args[2]
    try:
        link_id, view = await _view(press)
        camera = view.camera(device_id)
        if camera is None or camera.floodlight is None:
            return press.invalid()
        await netatmo_security.set_floodlight(
            gateway_of(press.services), link_id, view.home_id, device_id, mode
        )
    except NetatmoError as error:
        return failed(press, error, {"device_id": device_id, "after": mode})
    label = _(FLOOD_LABELS[mode])
    answer = _("Floodlight of {camera}: {mode}.").format(camera=camera.name, mode=label)
    notice = _("💡 {who} set the floodlight of {camera} to {mode}.").format(
        who=who(press), camera=html.escape(camera.name), mode=label
    )
    return await _after(
        press, link_id, answer, notice, {"device_id": device_id, "before": camera.floodlight, "after": mode}
    )


@BUTTONS.outside_transaction(
    "ph", "pa", args=(HOME_ARG,), permission=Action.CONTROL, audit="security.persons", refusal=CONTROL_REFUSAL
)
async def _persons(press: Press) -> Outcome:
    """I'm home (every known person home: Netatmo does not tell which person a Telegram user is) or
    everyone away."""
    _ = press.tr
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    home_now = press.action == "ph"
    gateway = gateway_of(press.services)
    try:
        link_id, view = await _view(press)
        if home_now:
            if not view.persons:
                return press.invalid()
            await netatmo_security.set_persons_home(
                gateway, link_id, view.home_id, [p.id for p in view.persons]
            )
        else:
            await netatmo_security.set_persons_away(gateway, link_id, view.home_id)
    except NetatmoError as error:
        return failed(press, error, {"home": home_now})
    before = {p.id: "home" if p.home else "away" for p in view.persons}
    if home_now:
        answer, notice = _("Everyone known is marked home."), _("🏠 {who} marked everyone home in {home}.")
    else:
        answer, notice = _("Everyone is marked away."), _("🚶 {who} marked everyone away from {home}.")
    detail = {"before": before, "after": "home" if home_now else "away"}
    return await _after(
        press, link_id, answer, notice.format(who=who(press), home=html.escape(view.name)), detail
    )


async def _scenario(press: Press) -> tuple[int, netatmo_security.Scenario | None]:
    link_id = await press_link(press)
    items = await netatmo_security.scenarios(gateway_of(press.services), link_id, press.args[0])
    return link_id, next((s for s in items if s.key == press.args[1]), None)


@BUTTONS.outside_transaction(
    "sc", args=(HOME_ARG, KEY_ARG), permission=Action.CONTROL, refusal=CONTROL_REFUSAL
)
async def _confirm(press: Press) -> Outcome:
    _ = press.tr
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    try:
        _link_id, scenario = await _scenario(press)
    except NetatmoError as error:
        return failed(press, error)
    if scenario is None:
        return press.invalid()
    text = _("Launch the scenario <b>{name}</b>?").format(name=html.escape(scenario.name))
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(_("✅ Confirm"), FEATURE, "go", press.args[0], scenario.key),
                button(_("✖ Cancel"), FEATURE, "home", press.args[0]),
            ]
        ]
    )
    return Outcome(edit=Edit(text, keyboard))


@BUTTONS.outside_transaction(
    "go",
    args=(HOME_ARG, KEY_ARG),
    permission=Action.CONTROL,
    audit="scenario.launch",
    refusal=CONTROL_REFUSAL,
)
async def _launch(press: Press) -> Outcome:
    _ = press.tr
    if menu_expired(press):
        return expired_outcome(press, "/scenarios")
    try:
        link_id, scenario = await _scenario(press)
        if scenario is None:
            return press.invalid()
        await netatmo_security.launch_scenario(
            gateway_of(press.services), link_id, press.args[0], scenario.key
        )
    except NetatmoError as error:
        return failed(press, error, {"scenario": press.args[1]})
    answer = _("Scenario {name} launched.").format(name=scenario.name)
    notice = _("▶ {who} launched the scenario {name}.").format(
        who=who(press), name=html.escape(scenario.name)
    )
    return await _after(press, link_id, answer, notice, {"scenario": scenario.key, "after": "launched"})


def register(application: Application) -> None:
    application.add_handler(CommandHandler("scenarios", scenarios_command))
    BUTTONS.register(application)
    SECURITY_BUTTONS.register(application)
