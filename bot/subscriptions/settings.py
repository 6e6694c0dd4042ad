"""/settings: per chat and home, which alerts arrive (kinds, cameras, people), quiet hours and mutes.

One message, edited in place as the user navigates. Every button carries the subscription id; a press is
honoured only when that subscription belongs to the chat the button is in, and changes only when the
presser is one of the home's owners or admins (or it is their own private chat). Members may look.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot.alerts.render import pack_device, unpack_device
from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, InvalidPress, Outcome, Press, Run
from bot.chat.common import Context, remember, services, tr
from bot.domain.permissions import Action, refusal
from bot.domain.routing import (
    CAMERA_TYPES,
    KIND_GROUPS,
    PEOPLE_ALL,
    PEOPLE_CHOSEN,
    PEOPLE_MODES,
    PEOPLE_UNKNOWN,
    group_enabled,
    toggle_group,
    toggle_member,
)
from bot.domain.schedule import QUIET_PRESETS, format_window
from bot.i18n import N_, Translate
from bot.netatmo.errors import NetatmoError
from bot.storage import homes as homes_repo
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as repo
from bot.storage.models import Home, Subscription, TelegramChat
from bot.subscriptions import admins
from bot.subscriptions.mute import describe_mutes

LOG = logging.getLogger(__name__)

FEATURE = "set"
VIEWS = ("m", "k", "c", "p", "q", "u")  # main, kinds, cameras, people, quiet hours, mutes
CHANGES = ("kt", "ct", "ca", "pm", "pt", "qs")  # need CHANGE_SETTINGS
CLEAR_MUTE = "ux"  # anyone in the chat (MUTE_CHAT)


GROUP_LABELS = {
    "people": N_("People"),
    "motion": N_("Motion"),
    "doorbell": N_("Doorbell"),
    "doors": N_("Doors"),
    "alarms": N_("Alarms and sirens"),
    "health": N_("Device health"),
}
PEOPLE_LABELS = {
    PEOPLE_ALL: N_("Everyone"),
    PEOPLE_UNKNOWN: N_("Unknown faces only"),
    PEOPLE_CHOSEN: N_("Unknown faces + chosen people"),
}


@dataclass
class Screen:
    text: str
    keyboard: InlineKeyboardMarkup


def _button(label: str, action: str, sub_id: int, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(FEATURE, action, sub_id, *args))


def _mark(on: bool) -> str:
    return "✅" if on else "▫️"


def _back(sub_id: int, _: Translate) -> list[InlineKeyboardButton]:
    return [_button(_("« Back"), "m", sub_id)]


async def _cameras(session: AsyncSession, home_id: str) -> list[tuple[str, str]]:
    return [
        (d.device_id, d.name or d.device_id)
        for d in await homes_repo.home_devices(session, home_id, sorted(CAMERA_TYPES))
    ]


async def _persons(context: Context, session: AsyncSession, home_id: str) -> dict[str, str]:
    """Known people: from stored events, completed by the home's topology when Netatmo answers."""
    persons = await homes_repo.known_persons(session, home_id)
    gateway = services(context).netatmo
    if gateway is None:
        return persons
    try:
        link_id = await gateway.link_for_home(home_id)
        if link_id is not None:
            payload = await gateway.api(link_id, "api/homesdata", {"home_id": home_id})
            persons.update(_topology_persons(payload, home_id))
    except NetatmoError as error:
        LOG.info("settings_persons_topology_failed home=%s error=%s", home_id, error.kind)
    return persons


def _topology_persons(payload: dict[str, Any], home_id: str) -> dict[str, str]:
    body = payload.get("body")
    homes = body.get("homes") if isinstance(body, dict) else None
    found: dict[str, str] = {}
    for home in homes if isinstance(homes, list) else []:
        if not isinstance(home, dict) or home.get("id") != home_id:
            continue
        for person in home.get("persons") or []:
            if isinstance(person, dict) and person.get("id") and person.get("pseudo"):
                found[str(person["id"])] = str(person["pseudo"])
    return found


async def render(
    context: Context, session: AsyncSession, view: str, sub: Subscription, home: Home, _: Translate
) -> Screen:
    """The screen `view` of one subscription's settings."""
    title = _("<b>Alerts of {home} in this chat</b>").format(home=html.escape(home.name))
    if view == "k":
        rows = [
            [_button(f"{_mark(group_enabled(_kinds(sub), g))} {_(GROUP_LABELS[g])}", "kt", sub.id, g)]
            for g in KIND_GROUPS
        ]
        text = "\n".join(
            [title, _("Which kinds of events?"), _("<i>Smoke and CO alarms always come through.</i>")]
        )
        return Screen(text, InlineKeyboardMarkup([*rows, _back(sub.id, _)]))
    if view == "c":
        cameras = await _cameras(session, home.id)
        selected = sub.camera_ids
        rows = [
            [_button(f"{_mark(selected is None or cid in selected)} {name}", "ct", sub.id, pack_device(cid))]
            for cid, name in cameras
        ]
        rows.append([_button(_("All cameras"), "ca", sub.id)])
        text = title + "\n" + (_("Which cameras?") if cameras else _("No cameras known in this home yet."))
        return Screen(text, InlineKeyboardMarkup([*rows, _back(sub.id, _)]))
    if view == "p":
        rows = [
            [
                _button(
                    f"{'🔘' if sub.people_mode == mode else '⚪'} {_(PEOPLE_LABELS[mode])}",
                    "pm",
                    sub.id,
                    mode,
                )
            ]
            for mode in PEOPLE_MODES
        ]
        lines = [title, _("Which person alerts?")]
        if sub.people_mode == PEOPLE_CHOSEN:
            persons = await _persons(context, session, home.id)
            chosen = set(sub.person_ids or [])
            for pid, name in sorted(persons.items(), key=lambda item: item[1].lower()):
                rows.append([_button(f"{_mark(pid in chosen)} {name}", "pt", sub.id, pid)])
            if not persons:
                lines.append(_("No known people seen yet: they appear here after their first event."))
        return Screen("\n".join(lines), InlineKeyboardMarkup([*rows, _back(sub.id, _)]))
    if view == "q":
        current = (sub.quiet_start, sub.quiet_end)
        rows = [
            [
                _button(
                    f"{_mark(current == preset)} {format_window(*preset)}",
                    "qs",
                    sub.id,
                    f"{preset[0]}-{preset[1]}",
                )
            ]
            for preset in QUIET_PRESETS
        ]
        rows.append([_button(f"{_mark(format_window(*current) is None)} {_('Off')}", "qs", sub.id, "off")])
        text = "\n".join(
            [
                title,
                _("During quiet hours alerts arrive silently (no sound). Times are in {zone}.").format(
                    zone=html.escape(home.timezone)
                ),
            ]
        )
        return Screen(text, InlineKeyboardMarkup([*rows, _back(sub.id, _)]))
    if view == "u":
        mute_lines = await describe_mutes(session, sub.chat_id, datetime.now(UTC), _, home.id)
        rows = [
            [_button(_("🔔 Unmute {what}").format(what=line.target), CLEAR_MUTE, sub.id, line.mute_id)]
            for line in mute_lines
        ]
        body = [html.escape("• " + line.label) for line in mute_lines] or [
            _("Nothing is muted. Send /mute to pause alerts.")
        ]
        return Screen("\n".join([title, *body]), InlineKeyboardMarkup([*rows, _back(sub.id, _)]))
    return await _main(session, sub, home, title, _)


def _kinds(sub: Subscription) -> frozenset[str] | None:
    return frozenset(sub.event_kinds) if sub.event_kinds is not None else None


async def _main(session: AsyncSession, sub: Subscription, home: Home, title: str, _: Translate) -> Screen:
    kinds = _kinds(sub)
    on = [_(GROUP_LABELS[g]) for g in KIND_GROUPS if group_enabled(kinds, g)]
    kinds_text = _("all") if kinds is None else (", ".join(on) or _("none"))
    cameras = await _cameras(session, home.id)
    camera_text = (
        _("all")
        if sub.camera_ids is None
        else _("{n} of {total}").format(
            n=len(set(sub.camera_ids) & {c for c, _n in cameras}), total=len(cameras)
        )
    )
    window = format_window(sub.quiet_start, sub.quiet_end)
    mutes = await describe_mutes(session, sub.chat_id, datetime.now(UTC), _, home.id)
    lines = [
        title,
        _("Kinds: {value}").format(value=html.escape(kinds_text)),
        _("Cameras: {value}").format(value=camera_text),
        _("People: {value}").format(value=_(PEOPLE_LABELS.get(sub.people_mode, PEOPLE_LABELS[PEOPLE_ALL]))),
        _("Quiet hours: {value}").format(value=window or _("off")),
        _("Mutes: {value}").format(value=len(mutes) or _("none")),
    ]
    if not sub.active:
        lines.append(_("⚠️ Paused: I could not deliver to this chat."))
    keyboard = [
        [_button(_("Kinds of events"), "k", sub.id), _button(_("Cameras"), "c", sub.id)],
        [_button(_("People"), "p", sub.id), _button(_("Quiet hours"), "q", sub.id)],
        [_button(_("Mutes"), "u", sub.id)],
    ]
    chat = await session.get(TelegramChat, sub.chat_id)
    if chat is not None and chat.type in homes_repo.GROUP_CHAT_TYPES:
        keyboard.append(admins.settings_row(sub.id, _))
    return Screen("\n".join(lines), InlineKeyboardMarkup(keyboard))


async def settings_command(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    await remember(update, context)
    _ = tr(update)
    async with services(context).sessions() as session:
        subscriptions = await repo.chat_subscriptions(session, chat.id)
        if len(subscriptions) == 1:
            sub, home = subscriptions[0]
            screen = await render(context, session, "m", sub, home, _)
            await message.reply_text(screen.text, reply_markup=screen.keyboard, parse_mode=ParseMode.HTML)
            return
    if not subscriptions:
        await message.reply_text(_("This chat receives no alerts yet. A linked member can send /subscribe."))
        return
    rows = [[_button(home.name, "m", sub.id)] for sub, home in subscriptions]
    await message.reply_text(_("Settings of which home?"), reply_markup=InlineKeyboardMarkup(rows))


def _parse_quiet(arg: str) -> tuple[int | None, int | None] | None:
    if arg == "off":
        return None, None
    start, _sep, end = arg.partition("-")
    if start.isdigit() and end.isdigit() and (int(start), int(end)) in QUIET_PRESETS:
        return int(start), int(end)
    return None


async def _apply(
    context: Context, session: AsyncSession, sub: Subscription, action: str, arg: str
) -> str | None:
    """Apply one change; returns the screen to show next, or None when the argument is not valid."""
    if action == "kt" and arg in KIND_GROUPS:
        kinds = toggle_group(_kinds(sub), arg)
        await repo.update_filters(session, sub.id, event_kinds=sorted(kinds) if kinds is not None else None)
        return "k"
    if action in ("ct", "ca"):
        universe = frozenset(cid for cid, _name in await _cameras(session, sub.home_id))
        if action == "ca":
            await repo.update_filters(session, sub.id, camera_ids=None)
            return "c"
        device = unpack_device(arg)
        if device not in universe:
            return None
        current = frozenset(sub.camera_ids) if sub.camera_ids is not None else None
        cameras = toggle_member(current, device, universe)
        await repo.update_filters(
            session, sub.id, camera_ids=sorted(cameras) if cameras is not None else None
        )
        return "c"
    if action == "pm" and arg in PEOPLE_MODES:
        await repo.update_filters(session, sub.id, people_mode=arg)
        return "p"
    if action == "pt":
        if arg not in await _persons(context, session, sub.home_id) and arg not in (sub.person_ids or []):
            return None
        await repo.update_filters(session, sub.id, person_ids=sorted(set(sub.person_ids or []) ^ {arg}))
        return "p"
    if action == "qs":
        window = _parse_quiet(arg)
        if window is None:
            return None
        await repo.update_filters(session, sub.id, quiet_start=window[0], quiet_end=window[1])
        return "q"
    return None


async def _settings_home(press: Press, session: AsyncSession) -> str:
    """The home of the subscription the button names, which must be this chat's own."""
    sub = await repo.subscription_by_id(session, int(press.args[0]))
    if sub is None or sub.chat_id != press.chat_id or await homes_repo.get_home(session, sub.home_id) is None:
        raise InvalidPress()
    return sub.home_id


async def _subscription(press: Press, session: AsyncSession) -> tuple[Subscription, Home]:
    sub = await repo.subscription_by_id(session, int(press.args[0]))  # found by the resolver already
    assert sub is not None and press.home is not None
    return sub, press.home


BUTTONS = Buttons(FEATURE, invalid=N_("This button is not valid. Send /settings again."), home=_settings_home)
SUB_ID = callbacks.NUMBER


@BUTTONS.action(*VIEWS, args=(SUB_ID,), permission=Action.VIEW_SETTINGS)
async def _show(press: Press, session: AsyncSession) -> Outcome:
    sub, home = await _subscription(press, session)
    screen = await render(press.context, session, press.action, sub, home, press.tr)
    return Outcome(edit=Edit(screen.text, screen.keyboard))


def _change_refused(press: Press) -> dict[str, Any]:
    return {"change": press.action}


def _changes(*names: str, args: tuple[callbacks.Arg, ...]) -> Callable[[Run], Run]:
    return BUTTONS.action(
        *names,
        args=args,
        permission=Action.CHANGE_SETTINGS,
        audit="settings.change",
        refusal=refusal(Action.CHANGE_SETTINGS),
        refusal_detail=_change_refused,
    )


# The value is checked by `_apply`, after the permission: to someone who may not change anything, a
# refusal says more than "not valid".
@_changes(*(change for change in CHANGES if change != "ca"), args=(SUB_ID, callbacks.any_text))
@_changes("ca", args=(SUB_ID,))
async def _change(press: Press, session: AsyncSession) -> Outcome:
    sub, home = await _subscription(press, session)
    arg = press.args[1] if len(press.args) > 1 else ""
    view = await _apply(press.context, session, sub, press.action, arg)
    if view is None:
        return press.invalid()
    screen = await render(press.context, session, view, sub, home, press.tr)
    return Outcome(
        edit=Edit(screen.text, screen.keyboard), audits=[press.audit({"change": press.action, "value": arg})]
    )


@BUTTONS.action(CLEAR_MUTE, args=(SUB_ID, callbacks.NUMBER), permission=Action.MUTE_CHAT, audit="mute.clear")
async def _clear_mute(press: Press, session: AsyncSession) -> Outcome:
    sub, home = await _subscription(press, session)
    await mutes_repo.clear_mutes(session, press.chat_id, home_id=sub.home_id, mute_id=int(press.args[1]))
    screen = await render(press.context, session, "u", sub, home, press.tr)
    return Outcome(edit=Edit(screen.text, screen.keyboard), audits=[press.audit()])


def register(application: Application) -> None:
    application.add_handler(CommandHandler("settings", settings_command))
    BUTTONS.register(application)
