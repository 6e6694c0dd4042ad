"""/scenarios: one screen per home for its security and its scenarios.

The screen shows every camera's monitoring as Netatmo reports it now, the known people, and the Legrand
scenarios; its buttons arm (all cameras monitoring on) or disarm, switch one camera's monitoring, set an
outdoor camera's floodlight, mark people home or away, and launch a scenario after a confirmation step.
Security and scenarios share one screen (feature "scn"; "sec:home:<home>" opens the same one), because a
household thinks of "arming" and "leaving home" as one gesture.

Each button carries the state it sets (monitoring "off", floodlight "auto"), never "toggle": a double
tap or an old menu then asks for what the person saw, and Netatmo's "already off" is a success.
The helpers shared with /cameras, /events and the devices screen are in `security_common`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.control import menu
from bot.control.security_common import (
    CONTROL_REFUSAL,
    DEVICE_ARG,
    FLOOD_LABELS,
    HOME_ARG,
    MENU_EXPIRY,
    ON_OFF,
    VIEW_REFUSAL,
    Draw,
    button,
    camera_state,
    changed,
    failed,
    gateway_of,
    home_screen,
    in_group,
    known_home,
    pack,
    picker_feature,
    press_link,
    security_now,
    set_camera_monitoring,
    unpack,
    who,
)
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.netatmo import security as netatmo_security
from bot.netatmo.errors import NetatmoError
from bot.netatmo.security import SecurityView, with_cameras, with_persons
from bot.services import Services

LOG = logging.getLogger(__name__)

FEATURE = "scn"
# A scenario travels as the digest of its key: a custom scenario's key is its id, as long as a home's.
KEY_ARG = callbacks.DIGEST
FLOOD_ARG = callbacks.matching(r"on|off|auto")


# -- the screen ------------------------------------------------------------------------------------


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
    scenario_buttons = [
        button(f"▶ {s.name}", FEATURE, "sc", home, callbacks.digest(s.key)) for s in scenario_items
    ]
    rows.extend(scenario_buttons[i : i + 2] for i in range(0, len(scenario_buttons), 2))
    if view.has_gateway:
        rows.append([button(_("💡 Lights, plugs and shutters"), "dev", "home", home)])
    rows.append([button(_("🔄 Refresh"), FEATURE, "home", home), button(_("« Homes"), FEATURE, "list")])
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


async def render(svc: Services, link_id: int, home_id: str, _: Translate) -> Edit:
    view = await netatmo_security.security_view(gateway_of(svc), link_id, home_id)
    return await _screen(svc, link_id, view, _)


async def _screen(svc: Services, link_id: int, view: SecurityView, _: Translate) -> Edit:
    gateway = gateway_of(svc)
    items = await netatmo_security.scenarios(gateway, link_id, view.home_id) if view.has_gateway else []
    return security_screen(_, view, items)


def _draw(press: Press) -> Draw:
    async def draw(link_id: int, view: SecurityView) -> Edit:
        return await _screen(press.services, link_id, view, press.tr)

    return draw


# -- buttons ---------------------------------------------------------------------------------------


scenarios_command, BUTTONS = picker_feature(
    FEATURE, render, N_("This button is not valid any more. Send /scenarios again."), N_("Which home?")
)
SECURITY_BUTTONS = Buttons(
    "sec",
    invalid=N_("This button is not valid any more. Send /scenarios again."),
    home=known_home,
    expires_after=MENU_EXPIRY,
)


@BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
@SECURITY_BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _home(press: Press) -> Outcome:
    return await home_screen(press, render)


@menu.changes_home(BUTTONS, "arm", "dis", args=(HOME_ARG,), audit="security.arm", refusal=CONTROL_REFUSAL)
async def _arm(press: Press) -> Outcome:
    _ = press.tr
    on = press.action == "arm"
    try:
        link_id, view = await security_now(press)
        switching = [c for c in view.cameras if c.can_monitor and c.reachable and c.monitoring is not on]
        for camera in switching:
            await gateway_of(press.services).set_monitoring(link_id, view.home_id, camera.id, on)
    except NetatmoError as error:
        return failed(press, error, {"on": on})
    names = ", ".join(c.name for c in switching) or "—"
    if on:
        answer, notice = _("Armed: monitoring is on."), _("🛡 {who} armed {home}.")
    else:
        answer, notice = _("Disarmed: monitoring is off."), _("🔓 {who} disarmed {home}.")
    detail = {
        "cameras": [c.id for c in switching],
        "before": "off" if on else "on",
        "after": "on" if on else "off",
        "names": names,
    }
    after = with_cameras(view, {c.id for c in switching}, monitoring=on)
    text = notice.format(who=who(press), home=html.escape(view.name))
    return await changed(press, link_id, _draw(press), after, answer, text, detail)


@menu.changes_home(
    BUTTONS, "mon", args=(HOME_ARG, DEVICE_ARG, ON_OFF), audit="security.monitoring", refusal=CONTROL_REFUSAL
)
async def _monitoring(press: Press) -> Outcome:
    return await set_camera_monitoring(press, draw=_draw(press))


@menu.changes_home(
    BUTTONS,
    "fl",
    args=(HOME_ARG, DEVICE_ARG, FLOOD_ARG),
    audit="security.floodlight",
    refusal=CONTROL_REFUSAL,
)
async def _floodlight(press: Press) -> Outcome:
    _ = press.tr
    device_id, mode = unpack(press.args[1]), press.args[2]
    try:
        link_id, view = await security_now(press)
        camera = view.camera(device_id)
        if camera is None or camera.floodlight is None:
            return press.invalid()
        if camera.floodlight != mode:  # a double tap asks for what already is
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
    detail = {"device_id": device_id, "before": camera.floodlight, "after": mode}
    after = with_cameras(view, {device_id}, floodlight=mode)
    return await changed(press, link_id, _draw(press), after, answer, notice, detail)


@menu.changes_home(BUTTONS, "ph", "pa", args=(HOME_ARG,), audit="security.persons", refusal=CONTROL_REFUSAL)
async def _persons(press: Press) -> Outcome:
    """I'm home (every known person home: Netatmo does not tell which person a Telegram user is) or
    everyone away."""
    _ = press.tr
    home_now = press.action == "ph"
    gateway = gateway_of(press.services)
    try:
        link_id, view = await security_now(press)
        if home_now:
            if not view.persons:
                return press.invalid()
            if not all(p.home for p in view.persons):  # a double tap asks for what already is
                ids = [p.id for p in view.persons]
                await netatmo_security.set_persons_home(gateway, link_id, view.home_id, ids)
        elif not view.persons or any(p.home for p in view.persons):
            await netatmo_security.set_persons_away(gateway, link_id, view.home_id)
    except NetatmoError as error:
        return failed(press, error, {"home": home_now})
    before = {p.id: "home" if p.home else "away" for p in view.persons}
    if home_now:
        answer, notice = _("Everyone known is marked home."), _("🏠 {who} marked everyone home in {home}.")
    else:
        answer, notice = _("Everyone is marked away."), _("🚶 {who} marked everyone away from {home}.")
    detail = {"before": before, "after": "home" if home_now else "away"}
    text = notice.format(who=who(press), home=html.escape(view.name))
    return await changed(press, link_id, _draw(press), with_persons(view, home_now), answer, text, detail)


async def _scenario(press: Press) -> tuple[int, netatmo_security.Scenario | None]:
    link_id = await press_link(press)
    items = await netatmo_security.scenarios(gateway_of(press.services), link_id, press.args[0])
    key = callbacks.find_digest((s.key for s in items), press.args[1])
    return link_id, next((s for s in items if s.key == key), None)


@menu.changes_home(BUTTONS, "sc", args=(HOME_ARG, KEY_ARG), refusal=CONTROL_REFUSAL)
async def _confirm(press: Press) -> Outcome:
    _ = press.tr
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
                button(_("✅ Confirm"), FEATURE, "go", press.args[0], callbacks.digest(scenario.key)),
                button(_("✖ Cancel"), FEATURE, "home", press.args[0]),
            ]
        ]
    )
    return Outcome(edit=Edit(text, keyboard))


@menu.changes_home(BUTTONS, "go", args=(HOME_ARG, KEY_ARG), audit="scenario.launch", refusal=CONTROL_REFUSAL)
async def _launch(press: Press) -> Outcome:
    _ = press.tr
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
    try:  # a scenario changes Legrand devices, not what this screen shows; redrawn for its Back
        edit: Edit | None = await render(press.services, link_id, press.args[0], _)
    except NetatmoError:
        edit = None
    return Outcome(
        answer=answer,
        edit=edit,
        notice=notice if in_group(press) else None,
        audits=[press.audit({"scenario": scenario.key, "after": "launched"})],
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("scenarios", scenarios_command))
    BUTTONS.register(application)
    SECURITY_BUTTONS.register(application)
