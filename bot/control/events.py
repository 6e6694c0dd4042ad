"""/events: the home's recent events (every camera, the doorbell, alarms), five per page.

Older/Newer edit the same message; "Pictures" sends that page's pictures as one album. The list is read
from Netatmo's getevents each time (the bot stores only events it alerted about), so it shows what the
Netatmo app shows.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot.chat import callbacks
from bot.chat.buttons import Edit, Outcome, Press
from bot.control.security_common import (
    HOME_ARG,
    VIEW_REFUSAL,
    button,
    failed,
    gateway_of,
    picker_feature,
    press_link,
)
from bot.domain.captions import headline, local_time
from bot.domain.events import SecurityEvent
from bot.domain.permissions import Action
from bot.i18n import N_, Translate
from bot.netatmo import security as netatmo_security
from bot.netatmo.errors import NetatmoError
from bot.netatmo.gateway import NetatmoGateway
from bot.services import Services

LOG = logging.getLogger(__name__)

FEATURE = "ev"
PAGE_SIZE = 5
MAX_PAGES = 10
PAGE_ARG = callbacks.matching(r"[0-9]")


def event_line(_: Translate, event: SecurityEvent, names: Mapping[str, str], timezone: str) -> str:
    """ "14:32 · John seen by Hall camera" (plain text)."""
    device = names.get(event.module_id or "") or names.get(event.device_id or "")
    what = headline(event, _, device, event.person_name)
    return f"{local_time(event.time, timezone)} · {what}"


async def home_names(gateway: NetatmoGateway, link_id: int, home_id: str) -> tuple[str, str, dict[str, str]]:
    """(home name, time zone, device id → name) from homesdata."""
    topology = await netatmo_security.home_topology(gateway, link_id, home_id)
    names = {
        str(m["id"]): str(m.get("name") or m["id"])
        for m in topology.get("modules") or []
        if isinstance(m, dict) and m.get("id")
    }
    return str(topology.get("name") or home_id), str(topology.get("timezone") or "UTC"), names


async def page_events(
    gateway: NetatmoGateway, link_id: int, home_id: str, page: int
) -> tuple[list[SecurityEvent], bool]:
    """The events of one page and whether an older page exists."""
    events = await netatmo_security.recent_events(gateway, link_id, home_id, (page + 1) * PAGE_SIZE + 1)
    start = page * PAGE_SIZE
    return events[start : start + PAGE_SIZE], len(events) > start + PAGE_SIZE and page + 1 < MAX_PAGES


async def render_page(svc: Services, link_id: int, home_id: str, _: Translate, page: int = 0) -> Edit:
    gateway = gateway_of(svc)
    home_name, timezone, names = await home_names(gateway, link_id, home_id)
    events, older = await page_events(gateway, link_id, home_id, page)
    lines = [_("<b>🗒 Events — {home}</b> (page {page})").format(home=html.escape(home_name), page=page + 1)]
    lines += [html.escape(event_line(_, e, names, timezone)) for e in events]
    if not events:
        lines.append(_("No events."))
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(button(_("« Newer"), FEATURE, "p", home_id, page - 1))
    if older:
        nav.append(button(_("Older »"), FEATURE, "p", home_id, page + 1))
    rows = [nav] if nav else []
    if any(e.snapshot is not None for e in events):
        rows.append([button(_("🖼 Pictures"), FEATURE, "pic", home_id, page)])
    rows.append([button(_("🔄 Refresh"), FEATURE, "p", home_id, page), button(_("« Homes"), FEATURE, "list")])
    return Edit("\n".join(lines), InlineKeyboardMarkup(rows))


async def render(svc: Services, link_id: int, home_id: str, _: Translate) -> Edit:
    return await render_page(svc, link_id, home_id, _)


async def send_album(
    press: Press, link_id: int, events: Sequence[SecurityEvent], names: Mapping[str, str], timezone: str
) -> int:
    """The events' pictures as one album (one photo alone when only one can be fetched), their lines as
    the first picture's caption; returns how many pictures were sent."""
    _ = press.tr
    gateway = gateway_of(press.services)
    camera_urls: dict[str, str | None] = {}
    if any(e.snapshot is not None and e.snapshot.filename for e in events):
        view = await netatmo_security.security_view(gateway, link_id, press.args[0])
        camera_urls = {c.id: c.vpn_url for c in view.cameras}
    pictures: list[tuple[SecurityEvent, bytes]] = []
    for event in events:
        url = netatmo_security.picture_url(
            event.snapshot, press.services.settings.netatmo_api_url, camera_urls.get(event.device_id or "")
        )
        if url is None:
            continue
        try:
            pictures.append((event, await netatmo_security.fetch_picture(gateway, link_id, url)))
        except NetatmoError as error:
            LOG.info("event_picture_failed event=%s error=%s", event.event_id, error.kind)
    if not pictures:
        return 0
    caption = "\n".join(html.escape(event_line(_, e, names, timezone)) for e, _data in pictures)[:1024]
    bot = press.context.bot
    if len(pictures) == 1:
        await bot.send_photo(press.chat_id, pictures[0][1], caption=caption, parse_mode=ParseMode.HTML)
        return 1
    media = [
        InputMediaPhoto(
            data,
            filename=f"event{i}.jpg",
            caption=caption if i == 0 else None,
            parse_mode=ParseMode.HTML if i == 0 else None,
        )
        for i, (_event, data) in enumerate(pictures)
    ]
    await bot.send_media_group(press.chat_id, media)
    return len(pictures)


events_command, BUTTONS = picker_feature(
    FEATURE, render, N_("This button is not valid any more. Send /events again."), N_("Events of which home?")
)


@BUTTONS.outside_transaction("home", args=(HOME_ARG,), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _home(press: Press) -> Outcome:
    return await _show(press, 0)


@BUTTONS.outside_transaction("p", args=(HOME_ARG, PAGE_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _page(press: Press) -> Outcome:
    return await _show(press, int(press.args[1]))


@BUTTONS.outside_transaction("pic", args=(HOME_ARG, PAGE_ARG), permission=Action.VIEW, refusal=VIEW_REFUSAL)
async def _pictures(press: Press) -> Outcome:
    _ = press.tr
    try:
        link_id = await press_link(press)
        gateway = gateway_of(press.services)
        _name, timezone, names = await home_names(gateway, link_id, press.args[0])
        events, _older = await page_events(gateway, link_id, press.args[0], int(press.args[1]))
        sent = await send_album(
            press, link_id, [e for e in events if e.snapshot is not None], names, timezone
        )
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(
        answer=_("{count} pictures sent.").format(count=sent) if sent else _("No pictures for these events.")
    )


async def _show(press: Press, page: int) -> Outcome:
    try:
        edit = await render_page(press.services, await press_link(press), press.args[0], press.tr, page)
    except NetatmoError as error:
        return failed(press, error)
    return Outcome(edit=edit)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("events", events_command))
    BUTTONS.register(application)
