"""/heating: the home's mode and weekly schedule, each room's setpoint, boost, and charts.

Every screen reads the home fresh from Netatmo (homesdata + homestatus) rather than from our topology
copy, so a renamed room or a setpoint changed in the Netatmo app shows at once. Looking needs
`Action.VIEW`, changing needs `Action.CONTROL`; both are checked by the button pipeline against the
presser. Writes call Netatmo outside any transaction, then show the state Netatmo reports afterwards
(not what we asked for), record before → after, and tell a group who changed what.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Outcome, Press
from bot.chat.common import Context, Sender, command, services
from bot.chat.netatmo_errors import explain
from bot.control import charts, menu
from bot.control import heating_screens as screens
from bot.control.heating_press import (
    BUTTONS,
    HOME_ARG,
    MODE_ARG,
    MODE_DURATION_ARG,
    REFUSAL,
    ROOM_ARG,
    ROOM_DURATION_ARG,
    SCHEDULE_ARG,
    SPAN_ARG,
    TENTHS_ARG,
    VIEW_REFUSAL,
    NoHeating,
    edit,
    epoch,
    failed,
    group_notice,
    load,
    room_of,
    several_homes,
)
from bot.domain import heating as rules
from bot.domain.permissions import Action
from bot.i18n import Translate
from bot.linking import texts as link_texts
from bot.netatmo import heating as api
from bot.netatmo.errors import NetatmoError, NotLinked
from bot.netatmo.gateway import NetatmoGateway
from bot.storage import homes as homes_repo

# -- looking --------------------------------------------------------------------------------------


@BUTTONS.outside_transaction(screens.HOMES, permission=lambda press: True)
async def _picker(press: Press) -> Outcome:
    async with press.services.sessions() as session:
        homes = await homes_repo.member_homes(session, press.user.id)
    if not homes:
        return Outcome(answer=link_texts.not_linked_text(press.tr), alert=True)
    return Outcome(edit=edit(screens.picker(press.tr, [(h.id, h.name) for h in homes])))


@BUTTONS.outside_transaction(screens.HOME, args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _show_home(press: Press) -> Outcome:
    try:
        _link_id, home = await load(press)
    except NetatmoError as error:
        return failed(press, error)
    screen = screens.home_screen(press.tr, home, screens.now_utc(), several=await several_homes(press))
    return Outcome(edit=edit(screen))


@menu.changes_home(BUTTONS, screens.MODE, args=(HOME_ARG, MODE_ARG), refusal=REFUSAL)
async def _choose_mode_duration(press: Press) -> Outcome:
    try:
        _link_id, home = await load(press)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit(screens.mode_duration_screen(press.tr, home, press.args[1])))


@BUTTONS.outside_transaction(
    screens.SCHEDULES, args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _show_schedules(press: Press) -> Outcome:
    try:
        _link_id, home = await load(press)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit(screens.schedules_screen(press.tr, home)))


@BUTTONS.outside_transaction(
    screens.ROOM, args=(HOME_ARG, ROOM_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL
)
async def _show_room(press: Press) -> Outcome:
    try:
        _link_id, home = await load(press)
        room = room_of(home, press.args[1])
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit(screens.room_screen(press.tr, home, room, screens.now_utc())))


@menu.changes_home(BUTTONS, screens.TARGET, args=(HOME_ARG, ROOM_ARG, TENTHS_ARG), refusal=REFUSAL)
async def _choose_room_duration(press: Press) -> Outcome:
    target = rules.from_tenths(int(press.args[2]))
    problem = rules.setpoint_problem(press.tr, target)
    if problem is not None:
        return Outcome(answer=problem, alert=True)
    try:
        _link_id, home = await load(press)
        room = room_of(home, press.args[1])
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit(screens.target_screen(press.tr, home, room, target, screens.now_utc())))


# -- changing -------------------------------------------------------------------------------------


@menu.changes_home(
    BUTTONS,
    screens.SET_MODE,
    args=(HOME_ARG, MODE_ARG, MODE_DURATION_ARG),
    audit="heating.mode",
    refusal=REFUSAL,
)
async def _set_mode(press: Press) -> Outcome:
    _ = press.tr
    mode, choice = press.args[1], press.args[2]
    now = screens.now_utc()
    detail: dict[str, Any] = {"after": mode}
    try:
        link_id, home = await load(press)
        detail["before"] = home.mode
        end = rules.mode_end_time(choice, now, home.timezone) if mode != "schedule" else None
        detail["until"] = end.isoformat() if end is not None else None
        assert press.services.netatmo is not None and press.home_id is not None
        await api.set_home_mode(press.services.netatmo, link_id, press.home_id, mode, epoch(end))
        _link_id, home = await load(press)
    except NetatmoError as error:
        return failed(press, error, detail)
    what = screens.mode_name(_, mode)
    if end is not None:
        what += " " + _("until {time}").format(time=screens.clock(epoch(end) or 0, home.timezone, now))
    screen = screens.home_screen(_, home, now, several=await several_homes(press))
    told = _("🌡 {who} set {home} to {mode}.").format(
        who=html.escape(press.user.first_name), home=html.escape(home.name), mode=what
    )
    return Outcome(
        answer=_("Done: {mode}.").format(mode=what),
        edit=edit(screen),
        notice=group_notice(press, told),
        audits=[press.audit(detail)],
    )


@menu.changes_home(
    BUTTONS, screens.SCHEDULE, args=(HOME_ARG, SCHEDULE_ARG), audit="heating.schedule", refusal=REFUSAL
)
async def _switch_schedule(press: Press) -> Outcome:
    _ = press.tr
    detail: dict[str, Any] = {}
    try:
        link_id, home = await load(press)
        # the button carries the digest of the schedule's id: found among the home's schedules of now
        schedule_id = callbacks.find_digest((s.id for s in home.schedules), press.args[1])
        target = next((s for s in home.schedules if s.id == schedule_id), None)
        if target is None:
            raise NoHeating("schedule not in homesdata")
        before = home.selected_schedule
        detail.update(before=before.name if before else None, after=target.name)
        assert press.services.netatmo is not None and press.home_id is not None
        await api.switch_schedule(press.services.netatmo, link_id, press.home_id, target.id)
        _link_id, home = await load(press)
    except NetatmoError as error:
        return failed(press, error, detail)
    told = _("🌡 {who} switched {home} to the schedule {schedule}.").format(
        who=html.escape(press.user.first_name), home=html.escape(home.name), schedule=html.escape(target.name)
    )
    return Outcome(
        answer=_("Done: {schedule}.").format(schedule=target.name),
        edit=edit(screens.schedules_screen(_, home)),
        notice=group_notice(press, told),
        audits=[press.audit(detail)],
    )


@menu.changes_home(
    BUTTONS,
    screens.SET,
    args=(HOME_ARG, ROOM_ARG, TENTHS_ARG, ROOM_DURATION_ARG),
    audit="heating.setpoint",
    refusal=REFUSAL,
)
async def _set_setpoint(press: Press) -> Outcome:
    target = rules.from_tenths(int(press.args[2]))
    problem = rules.setpoint_problem(press.tr, target)
    if problem is not None:
        return Outcome(answer=problem, alert=True)
    return await _room_write(press, "manual", target, press.args[3])


@menu.changes_home(BUTTONS, screens.BOOST, args=(HOME_ARG, ROOM_ARG), audit="heating.boost", refusal=REFUSAL)
async def _boost(press: Press) -> Outcome:
    return await _room_write(press, "max", None, str(rules.BOOST_MINUTES))


@menu.changes_home(
    BUTTONS, screens.AUTO, args=(HOME_ARG, ROOM_ARG), audit="heating.schedule_room", refusal=REFUSAL
)
async def _back_to_schedule(press: Press) -> Outcome:
    return await _room_write(press, "home", None, None)


async def _room_write(press: Press, mode: str, temp: float | None, choice: str | None) -> Outcome:
    """One room override (manual / max) or its end (home), then the room screen as Netatmo now has it."""
    _ = press.tr
    now = screens.now_utc()
    detail: dict[str, Any] = {"room_id": press.args[1], "mode": mode}
    try:
        link_id, home = await load(press)
        room = room_of(home, press.args[1])
        detail.update(room=room.name, before=room.setpoint, before_mode=room.mode, driver=room.driver)
        end = None
        if choice is not None:
            schedule = home.selected_schedule
            offsets = schedule.offsets if schedule else ()
            end = rules.room_end_time(choice, now, home.default_minutes, offsets, home.timezone)
        detail["until"] = end.isoformat() if end is not None else None
        assert press.services.netatmo is not None and press.home_id is not None
        await api.set_room(press.services.netatmo, link_id, press.home_id, room, mode, temp, epoch(end))
        _link_id, home = await load(press)
        room = room_of(home, room.id)
    except NetatmoError as error:
        return failed(press, error, detail)
    detail.update(after=room.setpoint, after_mode=room.mode)
    who, name = html.escape(press.user.first_name), html.escape(room.name)
    until = screens.clock(epoch(end) or 0, home.timezone, now) if end is not None else ""
    if mode == "home":
        told = _("🌡 {who} put {room} back on the schedule.").format(who=who, room=name)
        answer = _("{room} follows the schedule again.").format(room=room.name)
    elif mode == "max":
        told = _("🔥 {who} boosted {room} until {time}.").format(who=who, room=name, time=until)
        answer = _("Boost until {time}.").format(time=until)
    else:
        temp_text = f"{rules.format_temp(temp or 0)} °C"
        told = _("🌡 {who} set {room} to {temp} until {time}.").format(
            who=who, room=name, temp=temp_text, time=until
        )
        answer = _("{room}: {temp} until {time}.").format(room=room.name, temp=temp_text, time=until)
    return Outcome(
        answer=answer,
        edit=edit(screens.room_screen(_, home, room, now)),
        notice=group_notice(press, told),
        audits=[press.audit(detail)],
    )


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
        link_id, home = await load(press)
        room = room_of(home, press.args[1])
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
        return failed(press, error)
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
        link_id, home = await load(press)
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
        return failed(press, error)
    title = _("{home}: boiler running time per day").format(home=home.name)
    png = charts.boiler_chart(days, home.timezone, title, _("hours"))
    await press.context.bot.send_photo(press.chat_id, photo=png, filename="boiler.png", caption=title)
    return Outcome()


# -- the command ----------------------------------------------------------------------------------


@command
async def heating_command(sender: Sender, context: Context) -> None:
    """/heating: the home's heating screen, or a picker when the user belongs to several homes."""
    message, _ = sender.message, sender.tr
    found = await menu.linked_homes(sender, services(context))
    if found is None:
        return
    homes, membership, gateway = found
    if len(homes) > 1:
        text, keyboard = screens.picker(_, [(home.id, home.name) for home in homes])
        await message.reply_text(text, reply_markup=keyboard)
        return
    text, first = await _first_screen(_, gateway, homes[0].id, membership.link_id if membership else None)
    await message.reply_text(text, reply_markup=first, parse_mode=ParseMode.HTML)


async def _first_screen(
    _: Translate, gateway: NetatmoGateway, home_id: str, own_link: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
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
