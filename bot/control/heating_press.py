"""What every /heating button shares: its callback arguments, the pipeline declaration, and the steps
of an action (which link, the home read fresh from Netatmo, a failure turned into a sentence).

The buttons themselves are declared in `bot.control.heating`; this module keeps that one readable.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.constants import ChatType

from bot.chat import callbacks
from bot.chat.buttons import Buttons, Edit, Outcome, Press
from bot.chat.netatmo_errors import explain
from bot.control import heating_screens as screens
from bot.control import menu
from bot.domain import heating as rules
from bot.i18n import N_
from bot.netatmo import heating as api
from bot.netatmo.errors import NetatmoError, NetatmoUnavailable, NotLinked
from bot.storage import homes as homes_repo

LOG = logging.getLogger(__name__)

HOME_ARG = callbacks.matching(r"[0-9a-fA-F]{24}")
ROOM_ARG = callbacks.matching(r"[0-9A-Za-z_-]{1,20}")
SCHEDULE_ARG = callbacks.DIGEST  # the schedule id's digest (`callbacks.digest`)
TENTHS_ARG = callbacks.matching(r"[0-9]{1,4}")
MODE_ARG = callbacks.matching("|".join(rules.HOME_MODES))
MODE_DURATION_ARG = callbacks.matching("|".join(rules.MODE_DURATIONS))
ROOM_DURATION_ARG = callbacks.matching("|".join(rules.ROOM_DURATIONS))
SPAN_ARG = callbacks.matching(f"{screens.DAY}|{screens.WEEK}")
REFUSAL = N_("Only the home's owners and admins can change its heating.")
VIEW_REFUSAL = N_("Only members of this home can see its heating.")


async def home_of_press(press: Press, session: AsyncSession) -> str | None:
    """The home the button names, as long as the bot knows it (the picker names none)."""
    return await menu.known_home(press, session) if press.args else None


BUTTONS = Buttons(
    screens.FEATURE,
    invalid=N_("This button is not valid any more. Send /heating again."),
    home=home_of_press,
    audit_invalid="heating.button",
    expires_after=menu.CONTROL_EXPIRY,
)


class NoHeating(NetatmoError):
    """Netatmo no longer lists the home or room the button was made for."""

    kind = "invalid_request"


async def link_for(press: Press) -> int:
    gateway = press.services.netatmo
    if gateway is None:
        raise NetatmoUnavailable("gateway not configured")
    assert press.home_id is not None
    own = press.membership.link_id if press.membership is not None else None
    link_id = own if own is not None else await gateway.link_for_home(press.home_id)
    if link_id is None:
        raise NotLinked("no active link sees this home")
    return link_id


async def load(press: Press) -> tuple[int, api.HeatingHome]:
    link_id = await link_for(press)
    assert press.home_id is not None and press.services.netatmo is not None
    home = await api.heating_home(press.services.netatmo, link_id, press.home_id)
    if home is None:
        raise NoHeating("home not in homesdata")
    return link_id, home


def room_of(home: api.HeatingHome, room_id: str) -> api.HeatingRoom:
    room = home.room(room_id)
    if room is None:
        raise NoHeating("room not in homesdata")
    return room


async def several_homes(press: Press) -> bool:
    async with press.services.sessions() as session:
        return len(await homes_repo.member_homes(session, press.user.id)) > 1


def failed(press: Press, error: NetatmoError, detail: dict[str, Any] | None = None) -> Outcome:
    LOG.warning(
        "heating_failed action=%s user=%s home=%s error=%s", press.action, press.user.id, press.home_id, error
    )
    audits = (
        [press.audit({**(detail or {}), "error": error.kind}, outcome="error")] if press.spec.audit else []
    )
    # Nothing changed (acted=False): pressing again at once is a retry, not a double tap.
    if isinstance(error, NoHeating):
        return Outcome(answer=press.invalid_text, alert=True, audits=audits, acted=False)
    return Outcome(answer=explain(press.tr, error), alert=True, audits=audits, acted=False)


def edit(screen: tuple[str, InlineKeyboardMarkup]) -> Edit:
    return Edit(screen[0], screen[1])


def group_notice(press: Press, text: str) -> str | None:
    """A line for the whole chat in groups; in a private chat the edited screen says it all."""
    return text if press.message.chat.type != ChatType.PRIVATE else None


def epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None
