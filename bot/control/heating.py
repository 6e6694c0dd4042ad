"""/heating: the home's mode and weekly schedule, each room's setpoint, boost, and charts.

Every screen reads the home fresh from Netatmo (homesdata + homestatus) rather than from our topology
copy, so a renamed room or a setpoint changed in the Netatmo app shows at once. Looking needs
`Action.VIEW`, changing needs `Action.CONTROL`; both are checked by the button pipeline against the
presser. Writes call Netatmo outside any transaction, then show the state Netatmo reports afterwards
(not what we asked for), record before → after, and tell a group who changed what.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, InvalidPress, Outcome, Press
from bot.chat.common import Context, remember, services, tr
from bot.chat.netatmo_errors import explain
from bot.control import charts
from bot.control import heating_screens as screens
from bot.domain import heating as rules
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.linking import texts as link_texts
from bot.netatmo import heating as api
from bot.netatmo.errors import NetatmoError, NetatmoUnavailable, NotLinked
from bot.storage import homes as homes_repo

LOG = logging.getLogger(__name__)

HOME_ARG = callbacks.matching(r"[0-9a-fA-F]{24}")
ROOM_ARG = callbacks.matching(r"[0-9]{1,20}")
SCHEDULE_ARG = callbacks.matching(r"[0-9a-fA-F]{24}")
TENTHS_ARG = callbacks.matching(r"[0-9]{1,4}")
MODE_ARG = callbacks.matching("|".join(rules.HOME_MODES))
MODE_DURATION_ARG = callbacks.matching("|".join(rules.MODE_DURATIONS))
ROOM_DURATION_ARG = callbacks.matching("|".join(rules.ROOM_DURATIONS))
SPAN_ARG = callbacks.matching(f"{screens.DAY}|{screens.WEEK}")
REFUSAL = N_("Only the home's owners and admins can change its heating.")
VIEW_REFUSAL = N_("Only members of this home can see its heating.")


async def _home_of_press(press: Press, session: AsyncSession) -> str | None:
    """The home the button names, as long as the bot knows it (the picker names none)."""
    if not press.args:
        return None
    home_id = press.args[0]
    if await homes_repo.get_home(session, home_id) is None:
        raise InvalidPress(home_id)
    return home_id


BUTTONS = Buttons(
    screens.FEATURE,
    invalid=N_("This button is not valid any more. Send /heating again."),
    home=_home_of_press,
    audit_invalid="heating.button",
)


class NoHeating(NetatmoError):
    """Netatmo no longer lists the home or room the button was made for."""

    kind = "invalid_request"


async def _link(press: Press) -> int:
    gateway = press.services.netatmo
    if gateway is None:
        raise NetatmoUnavailable("gateway not configured")
    assert press.home_id is not None
    own = press.membership.link_id if press.membership is not None else None
    link_id = own if own is not None else await gateway.link_for_home(press.home_id)
    if link_id is None:
        raise NotLinked("no active link sees this home")
    return link_id


async def _load(press: Press) -> tuple[int, api.HeatingHome]:
    link_id = await _link(press)
    assert press.home_id is not None and press.services.netatmo is not None
    home = await api.heating_home(press.services.netatmo, link_id, press.home_id)
    if home is None:
        raise NoHeating("home not in homesdata")
    return link_id, home


def _room(home: api.HeatingHome, room_id: str) -> api.HeatingRoom:
    room = home.room(room_id)
    if room is None:
        raise NoHeating("room not in homesdata")
    return room


async def _several_homes(press: Press) -> bool:
    async with press.services.sessions() as session:
        return len(await homes_repo.member_homes(session, press.user.id)) > 1


def _failed(press: Press, error: NetatmoError, detail: dict[str, Any] | None = None) -> Outcome:
    LOG.warning(
        "heating_failed action=%s user=%s home=%s error=%s", press.action, press.user.id, press.home_id, error
    )
    audits = (
        [press.audit({**(detail or {}), "error": error.kind}, outcome="error")] if press.spec.audit else []
    )
    if isinstance(error, NoHeating):
        return Outcome(answer=press.invalid_text, alert=True, audits=audits)
    return Outcome(answer=explain(press.tr, error), alert=True, audits=audits)


def _edit(screen: tuple[str, Any]) -> Edit:
    return Edit(screen[0], screen[1])


def _notice(press: Press, text: str) -> str | None:
    """A line for the whole chat in groups; in a private chat the edited screen says it all."""
    return text if press.message.chat.type != ChatType.PRIVATE else None


# -- looking --------------------------------------------------------------------------------------


@BUTTONS.outside_transaction(screens.HOMES, permission=lambda press: True)
async def _picker(press: Press) -> Outcome:
    async with press.services.sessions() as session:
        homes = await homes_repo.member_homes(session, press.user.id)
    if not homes:
        return Outcome(answer=link_texts.not_linked_text(press.tr), alert=True)
    return Outcome(edit=_edit(screens.picker(press.tr, [(h.id, h.name) for h in homes])))


@BUTTONS.outside_transaction(screens.HOME, args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _show_home(press: Press) -> Outcome:
    try:
        _link_id, home = await _load(press)
    except NetatmoError as error:
        return _failed(press, error)
    screen = screens.home_screen(press.tr, home, screens.now_utc(), several=await _several_homes(press))
    return Outcome(edit=_edit(screen))


@BUTTONS.outside_transaction(
    screens.MODE, args=(HOME_ARG, MODE_ARG), permission=Action.CONTROL, refusal=REFUSAL
)
async def _choose_mode_duration(press: Press) -> Outcome:
    try:
        _link_id, home = await _load(press)
    except NetatmoError as error:
        return _failed(press, error)
    return Outcome(edit=_edit(screens.mode_duration_screen(press.tr, home, press.args[1])))


@BUTTONS.outside_transaction(
    screens.SCHEDULES, args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _show_schedules(press: Press) -> Outcome:
    try:
        _link_id, home = await _load(press)
    except NetatmoError as error:
        return _failed(press, error)
    return Outcome(edit=_edit(screens.schedules_screen(press.tr, home)))


@BUTTONS.outside_transaction(
    screens.ROOM, args=(HOME_ARG, ROOM_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _show_room(press: Press) -> Outcome:
    try:
        _link_id, home = await _load(press)
        room = _room(home, press.args[1])
    except NetatmoError as error:
        return _failed(press, error)
    return Outcome(edit=_edit(screens.room_screen(press.tr, home, room, screens.now_utc())))


@BUTTONS.outside_transaction(
    screens.TARGET, args=(HOME_ARG, ROOM_ARG, TENTHS_ARG), permission=Action.CONTROL, refusal=REFUSAL
)
async def _choose_room_duration(press: Press) -> Outcome:
    target = rules.from_tenths(int(press.args[2]))
    problem = rules.setpoint_problem(press.tr, target)
    if problem is not None:
        return Outcome(answer=problem, alert=True)
    try:
        _link_id, home = await _load(press)
        room = _room(home, press.args[1])
    except NetatmoError as error:
        return _failed(press, error)
    return Outcome(edit=_edit(screens.target_screen(press.tr, home, room, target, screens.now_utc())))


# -- changing -------------------------------------------------------------------------------------


@BUTTONS.outside_transaction(
    screens.SET_MODE,
    args=(HOME_ARG, MODE_ARG, MODE_DURATION_ARG),
    permission=Action.CONTROL,
    audit="heating.mode",
    refusal=REFUSAL,
)
async def _set_mode(press: Press) -> Outcome:
    _ = press.tr
    mode, choice = press.args[1], press.args[2]
    now = screens.now_utc()
    detail: dict[str, Any] = {"after": mode}
    try:
        link_id, home = await _load(press)
        detail["before"] = home.mode
        end = rules.mode_end_time(choice, now, home.timezone) if mode != "schedule" else None
        detail["until"] = end.isoformat() if end is not None else None
        assert press.services.netatmo is not None and press.home_id is not None
        await api.set_home_mode(press.services.netatmo, link_id, press.home_id, mode, _epoch(end))
        _link_id, home = await _load(press)
    except NetatmoError as error:
        return _failed(press, error, detail)
    what = screens.mode_name(_, mode)
    if end is not None:
        what += " " + _("until {time}").format(time=screens.clock(_epoch(end) or 0, home.timezone, now))
    screen = screens.home_screen(_, home, now, several=await _several_homes(press))
    notice = _("🌡 {who} set {home} to {mode}.").format(
        who=html.escape(press.user.first_name), home=html.escape(home.name), mode=what
    )
    return Outcome(
        answer=_("Done: {mode}.").format(mode=what),
        edit=_edit(screen),
        notice=_notice(press, notice),
        audits=[press.audit(detail)],
    )


@BUTTONS.outside_transaction(
    screens.SCHEDULE,
    args=(HOME_ARG, SCHEDULE_ARG),
    permission=Action.CONTROL,
    audit="heating.schedule",
    refusal=REFUSAL,
)
async def _switch_schedule(press: Press) -> Outcome:
    _ = press.tr
    schedule_id = press.args[1]
    detail: dict[str, Any] = {"after": schedule_id}
    try:
        link_id, home = await _load(press)
        target = next((s for s in home.schedules if s.id == schedule_id), None)
        if target is None:
            raise NoHeating("schedule not in homesdata")
        before = home.selected_schedule
        detail.update(before=before.name if before else None, after=target.name)
        assert press.services.netatmo is not None and press.home_id is not None
        await api.switch_schedule(press.services.netatmo, link_id, press.home_id, schedule_id)
        _link_id, home = await _load(press)
    except NetatmoError as error:
        return _failed(press, error, detail)
    notice = _("🌡 {who} switched {home} to the schedule {schedule}.").format(
        who=html.escape(press.user.first_name), home=html.escape(home.name), schedule=html.escape(target.name)
    )
    return Outcome(
        answer=_("Done: {schedule}.").format(schedule=target.name),
        edit=_edit(screens.schedules_screen(_, home)),
        notice=_notice(press, notice),
        audits=[press.audit(detail)],
    )


@BUTTONS.outside_transaction(
    screens.SET,
    args=(HOME_ARG, ROOM_ARG, TENTHS_ARG, ROOM_DURATION_ARG),
    permission=Action.CONTROL,
    audit="heating.setpoint",
    refusal=REFUSAL,
)
async def _set_setpoint(press: Press) -> Outcome:
    target = rules.from_tenths(int(press.args[2]))
    problem = rules.setpoint_problem(press.tr, target)
    if problem is not None:
        return Outcome(answer=problem, alert=True)
    return await _room_write(press, "manual", target, press.args[3])


@BUTTONS.outside_transaction(
    screens.BOOST,
    args=(HOME_ARG, ROOM_ARG),
    permission=Action.CONTROL,
    audit="heating.boost",
    refusal=REFUSAL,
)
async def _boost(press: Press) -> Outcome:
    return await _room_write(press, "max", None, str(rules.BOOST_MINUTES))


@BUTTONS.outside_transaction(
    screens.AUTO,
    args=(HOME_ARG, ROOM_ARG),
    permission=Action.CONTROL,
    audit="heating.schedule_room",
    refusal=REFUSAL,
)
async def _back_to_schedule(press: Press) -> Outcome:
    return await _room_write(press, "home", None, None)


async def _room_write(press: Press, mode: str, temp: float | None, choice: str | None) -> Outcome:
    """One room override (manual / max) or its end (home), then the room screen as Netatmo now has it."""
    _ = press.tr
    now = screens.now_utc()
    detail: dict[str, Any] = {"room_id": press.args[1], "mode": mode}
    try:
        link_id, home = await _load(press)
        room = _room(home, press.args[1])
        detail.update(room=room.name, before=room.setpoint, before_mode=room.mode, driver=room.driver)
        end = None
        if choice is not None:
            schedule = home.selected_schedule
            offsets = schedule.offsets if schedule else ()
            end = rules.room_end_time(choice, now, home.default_minutes, offsets, home.timezone)
        detail["until"] = end.isoformat() if end is not None else None
        assert press.services.netatmo is not None and press.home_id is not None
        await api.set_room(press.services.netatmo, link_id, press.home_id, room, mode, temp, _epoch(end))
        _link_id, home = await _load(press)
        room = _room(home, room.id)
    except NetatmoError as error:
        return _failed(press, error, detail)
    detail.update(after=room.setpoint, after_mode=room.mode)
    who, name = html.escape(press.user.first_name), html.escape(room.name)
    until = screens.clock(_epoch(end) or 0, home.timezone, now) if end is not None else ""
    if mode == "home":
        notice = _("🌡 {who} put {room} back on the schedule.").format(who=who, room=name)
        answer = _("{room} follows the schedule again.").format(room=room.name)
    elif mode == "max":
        notice = _("🔥 {who} boosted {room} until {time}.").format(who=who, room=name, time=until)
        answer = _("Boost until {time}.").format(time=until)
    else:
        temp_text = f"{rules.format_temp(temp or 0)} °C"
        notice = _("🌡 {who} set {room} to {temp} until {time}.").format(
            who=who, room=name, temp=temp_text, time=until
        )
        answer = _("{room}: {temp} until {time}.").format(room=room.name, temp=temp_text, time=until)
    return Outcome(
        answer=answer,
        edit=_edit(screens.room_screen(_, home, room, now)),
        notice=_notice(press, notice),
        audits=[press.audit(detail)],
    )


def _epoch(moment: Any) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


# -- charts ---------------------------------------------------------------------------------------


@BUTTONS.outside_transaction(
    screens.CHART, args=(HOME_ARG, ROOM_ARG, SPAN_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _room_chart(press: Press) -> Outcome:
    _ = press.tr
    week = press.args[2] == screens.WEEK
    now = screens.now_utc()
    begin = now - (timedelta(days=7) if week else timedelta(hours=24))
    try:
        link_id, home = await _load(press)
        room = _room(home, press.args[1])
        assert press.services.netatmo is not None and press.home_id is not None
        points = await api.room_history(
            press.services.netatmo,
            link_id,
            press.home_id,
            room.id,
            "3hours" if week else "1hour",
            int(begin.timestamp()),
            int(now.timestamp()),
        )
    except NetatmoError as error:
        return _failed(press, error)
    span = _("7 days") if week else _("24 hours")
    title = f"{room.name}: {span}"
    labels = charts.ChartLabels(title, _("Measured"), _("Setpoint"), "°C", _("No data"))
    png = charts.room_chart(points, home.timezone, labels)
    await press.context.bot.send_photo(press.chat_id, photo=png, filename="heating.png", caption=title)
    return Outcome()


@BUTTONS.outside_transaction(screens.BOILER, args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _boiler_chart(press: Press) -> Outcome:
    _ = press.tr
    now = screens.now_utc()
    try:
        link_id, home = await _load(press)
        if home.relay_id is None:
            raise NoHeating("no relay")
        assert press.services.netatmo is not None
        days = await api.boiler_history(
            press.services.netatmo,
            link_id,
            home.relay_id,
            home.relay_module_id,
            int((now - timedelta(days=7)).timestamp()),
            int(now.timestamp()),
        )
    except NetatmoError as error:
        return _failed(press, error)
    title = _("{home}: boiler running time per day").format(home=home.name)
    png = charts.boiler_chart(days, home.timezone, title, _("hours"))
    await press.context.bot.send_photo(press.chat_id, photo=png, filename="boiler.png", caption=title)
    return Outcome()


# -- the command ----------------------------------------------------------------------------------


async def heating_command(update: Update, context: Context) -> None:
    """/heating: the home's heating screen, or a picker when the user belongs to several homes."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await remember(update, context)
    _ = tr(update)
    svc = services(context)
    async with svc.sessions() as session:
        homes = await homes_repo.member_homes(session, user.id)
        membership = await homes_repo.membership(session, homes[0].id, user.id) if len(homes) == 1 else None
    if not homes or svc.netatmo is None:
        await message.reply_text(link_texts.not_linked_text(_))
        return
    if len(homes) > 1:
        text, keyboard = screens.picker(_, [(home.id, home.name) for home in homes])
        await message.reply_text(text, reply_markup=keyboard)
        return
    text, keyboard = await _first_screen(
        _, svc.netatmo, homes[0].id, membership.link_id if membership else None
    )
    await message.reply_text(text, reply_markup=keyboard, parse_mode=ParseMode.HTML)


async def _first_screen(_: Translate, gateway: Any, home_id: str, own_link: int | None) -> tuple[str, Any]:
    try:
        link_id = own_link if own_link is not None else await gateway.link_for_home(home_id)
        if link_id is None:
            raise NotLinked("no active link sees this home")
        home = await api.heating_home(gateway, link_id, home_id)
        if home is None:
            raise NoHeating("home not in homesdata")
    except NetatmoError as error:
        return explain(_, error), None
    return screens.home_screen(_, home, screens.now_utc(), several=False)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("heating", heating_command))
    BUTTONS.register(application)
