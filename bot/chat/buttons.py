"""One way through for every inline-button press: check the data, find the home, check the presser, act,
audit, answer.

Every member of a group can press every button, and a modified client can send any callback data at
all, so a press must never be trusted for what it claims. Doing the checks here, once, means a feature
only declares its buttons (action, arguments, permission, how to find the home) and writes what each
does; it cannot forget a check, an audit row or the answer. A press goes:

1. the callback data's MAC is checked and the data parsed against the feature's declared actions;
   malformed or hand-made data, or a message Telegram no longer gives us, gets the feature's "not valid"
   sentence (and an audit row when the feature asks for one); a menu older than the feature's
   `expires_after` says so and does nothing; a second press of the same button on the same message while
   the first is running, or just after it, is answered without acting (a double tap acts once);
2. the feature's resolver names the home the press is about (or finds it does not fit: "not valid"),
   and the PRESSER's role in that home, in this chat, is loaded (`from.id`, never the chat alone: a
   group that receives the home's alerts makes its people members, nothing more);
3. `bot.domain.permissions` decides; a refusal is audited and answered with who may, and nothing changes;
4. the action runs: inside the transaction of steps 2-3 for database work, so a change and its audit
   row commit together, or outside any transaction when it waits on Netatmo, so no connection or lock
   is held meanwhile;
5. the audit rows are committed before the query is answered, so the record exists once the presser
   sees the result; the query is answered exactly once; then the message is edited and the chat told.

An exception in an action rolls its transaction back and reaches the application's error handler,
which answers the still unanswered query.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot.chat import callbacks
from bot.chat.common import Context, query_message, services, tr
from bot.chat.netatmo_errors import WorkingLine
from bot.chat.press_guard import DOUBLE_TAP_SECONDS, guard_of
from bot.domain.audit_text import change_text
from bot.domain.permissions import Action, Membership, Role, allowed, refusal
from bot.i18n import N_, Translate
from bot.netatmo.writes import WRITE_PROGRESS
from bot.services import Services
from bot.storage import audit as audit_repo
from bot.storage import homes as homes_repo
from bot.storage.models import Home

LOG = logging.getLogger(__name__)

# How long a menu stays usable unless its feature says otherwise: older ones show stale state.
DEFAULT_EXPIRY = timedelta(hours=1)
EXPIRED = N_("This menu is too old. Send the command again.")


class InvalidPress(Exception):
    """Raised by a home resolver when the press does not fit what the bot knows (e.g. a subscription of
    another chat): answered as "not valid". `home_id` is the home the data named, for the audit row."""

    def __init__(self, home_id: str | None = None) -> None:
        super().__init__(home_id)
        self.home_id = home_id


@dataclass(frozen=True)
class Audit:
    """One audit row to write for a press."""

    action: str
    outcome: str  # ok | denied | error
    home_id: str | None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class Edit:
    """The new content of the message the button sits on."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    html: bool = True


@dataclass(frozen=True)
class Outcome:
    """What an action did, for the pipeline to record and show."""

    answer: str | None = None  # the callback answer's text; None answers silently
    alert: bool = False  # show the answer as a pop-up the presser must dismiss
    edit: Edit | None = None
    notice: str | None = None  # an HTML message to the whole chat, so nobody wonders what changed
    audits: Sequence[Audit] = ()
    acted: bool = True  # False when the press did nothing (refused, invalid): a repeat is judged afresh


@dataclass
class Press:
    """One button press that passed the checks of step 1, and what steps 2-3 found about it."""

    update: Update
    context: Context
    query: CallbackQuery
    message: Message
    action: str
    args: tuple[str, ...]
    tr: Translate
    spec: ButtonAction
    invalid_text: str
    home_id: str | None = None
    home: Home | None = None  # None when no home applies, or the data named one we do not know
    membership: Membership | None = None

    @property
    def user(self) -> User:
        return self.query.from_user

    @property
    def chat_id(self) -> int:
        return self.message.chat.id

    @property
    def own_private_chat(self) -> bool:
        """The presser's private chat with the bot: some settings concern nobody else there."""
        return self.message.chat.type == ChatType.PRIVATE and self.chat_id == self.user.id

    @property
    def services(self) -> Services:
        return services(self.context)

    def audit(
        self,
        detail: dict[str, Any] | None = None,
        *,
        outcome: str = "ok",
        home_id: str | None = None,
        what: str | None = None,
        before: object = None,
        after: object = None,
    ) -> Audit:
        """An audit row under this action's audit name, for `home_id` or else the press's home when the
        bot knows it (an id that only the callback data names is not worth recording).

        `what` (plain text: "Living room", "Garden camera monitoring"), `before` and `after` (values as
        shown: "19 °C", "on") make the /log line and the group's notice "Paul: Living room 19 → 21 °C"."""
        assert self.spec.audit is not None, f"button {self.action!r} declares no audit action"
        full = dict(detail or {})
        for key, value in (("what", what), ("before", before), ("after", after)):
            if value is not None:
                full[key] = str(value)
        home = home_id if home_id is not None else self.known_home_id
        return Audit(self.spec.audit, outcome, home, full or None)

    @property
    def role(self) -> Role:
        """The presser's role in the press's home, in this chat (NOBODY when no home applies)."""
        return self.membership.level if self.membership is not None else Role.NOBODY

    @property
    def known_home_id(self) -> str | None:
        return self.home.id if self.home is not None else None

    def invalid(self) -> Outcome:
        """The answer to arguments the action itself found wrong (a camera the home does not have...)."""
        return Outcome(answer=self.invalid_text, alert=True, acted=False)

    def refused(self) -> Outcome:
        """The answer to a presser the action itself found not allowed, audited like the pipeline's."""
        audits = [self.audit(self.spec.refusal_detail(self), outcome="denied")] if self.spec.audit else []
        msgid = self.spec.refusal_msgid()
        answer = self.tr(msgid) if msgid else self.invalid_text
        return Outcome(answer=answer, alert=True, audits=audits, acted=False)


# A database action, given the session of the press's transaction: its changes and audit rows commit together.
Run = Callable[[Press, AsyncSession], Awaitable[Outcome]]
# An action that waits on something slow (Netatmo), run outside any transaction.
Call = Callable[[Press], Awaitable[Outcome]]
# Decides, for a button that is not about a home's roles, whether the presser may press it.
Check = Callable[[Press], bool]
HomeResolver = Callable[[Press, AsyncSession], Awaitable[str | None]]


def home_from_arg(index: int = 0) -> HomeResolver:
    """A resolver for buttons whose argument `index` is a home id. The home must be visible in the chat of
    the press: a group that receives its alerts, or the presser's own private chat when they belong to
    the home. A button replayed into any other chat is "not valid", whoever presses it."""

    async def resolve(press: Press, session: AsyncSession) -> str:
        home_id = press.args[index]
        if not await homes_repo.visible_in_chat(
            session, home_id, press.chat_id, press.user.id, own_private_chat=press.own_private_chat
        ):
            raise InvalidPress(home_id if await homes_repo.get_home(session, home_id) else None)
        return home_id

    return resolve


def not_allowed(press: Press) -> dict[str, Any]:
    """The default audit detail of a refusal: the role that was not enough."""
    return {"reason": "role", "role": press.role.value}


not_linked_member = not_allowed  # the former name, for features written against it


@dataclass(frozen=True)
class ButtonAction:
    """One kind of button of a feature, named by the action part of its callback data."""

    name: str
    args: tuple[callbacks.Arg, ...]
    # A role rule (checked with the presser's membership of the home), or the feature's own check.
    permission: Action | Check
    run: Run | None = None  # database work, in the transaction
    call: Call | None = None  # slow work (Netatmo), outside any transaction
    audit: str | None = None  # the audit action name; None: presses of this button are not audited
    refusal: str = ""  # msgid of the refusal sentence; "" says who may do the permission's action
    refusal_detail: Callable[[Press], dict[str, Any]] = not_allowed

    def permits(self, press: Press) -> bool:
        if isinstance(self.permission, Action):
            return allowed(self.permission, press.membership, own_private_chat=press.own_private_chat)
        return self.permission(press)

    def refusal_msgid(self) -> str:
        if self.refusal:
            return self.refusal
        return refusal(self.permission) if isinstance(self.permission, Action) else ""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Buttons:
    """The buttons of one feature (the `feature` part of their callback data) and the pipeline they share.

    `invalid` is the msgid answered to data that does not fit; `home` finds the home a press is about
    (None: the feature's buttons are not about one home); `audit_invalid`, when set, is the audit action
    under which presses with invalid data are recorded. `expires_after` is how long a menu stays usable
    after it was sent or last edited (None: forever); `double_tap` how soon a repeat of the press just
    done counts as the same tap; `accept_unsigned` also takes data without a MAC (only for features that
    re-check everything the data names, like the buttons of alerts sent before data was signed).
    """

    feature: str
    invalid: str
    home: HomeResolver | None = None
    audit_invalid: str | None = None
    expires_after: timedelta | None = DEFAULT_EXPIRY
    double_tap: float = DOUBLE_TAP_SECONDS
    accept_unsigned: bool = False
    actions: dict[str, ButtonAction] = field(default_factory=dict)

    def action(
        self,
        *names: str,
        args: tuple[callbacks.Arg, ...] = (),
        permission: Action | Check,
        audit: str | None = None,
        refusal: str = "",
        refusal_detail: Callable[[Press], dict[str, Any]] = not_allowed,
    ) -> Callable[[Run], Run]:
        """Declare buttons (one or more action names) whose action works on the database, in the press's
        transaction."""

        def declare(run: Run) -> Run:
            for name in names:
                self._add(ButtonAction(name, args, permission, run, None, audit, refusal, refusal_detail))
            return run

        return declare

    def outside_transaction(
        self,
        *names: str,
        args: tuple[callbacks.Arg, ...] = (),
        permission: Action | Check,
        audit: str | None = None,
        refusal: str = "",
        refusal_detail: Callable[[Press], dict[str, Any]] = not_allowed,
    ) -> Callable[[Call], Call]:
        """Declare buttons whose action waits on something slow (Netatmo): it runs after the checks'
        transaction has committed, and its audit rows are written in a short transaction of their own."""

        def declare(call: Call) -> Call:
            for name in names:
                self._add(ButtonAction(name, args, permission, None, call, audit, refusal, refusal_detail))
            return call

        return declare

    def _add(self, spec: ButtonAction) -> None:
        assert spec.name not in self.actions, f"{self.feature}:{spec.name} declared twice"
        self.actions[spec.name] = spec

    def register(self, application: Application) -> None:
        application.add_handler(CallbackQueryHandler(self.handle, pattern=callbacks.pattern(self.feature)))

    # -- the pipeline ------------------------------------------------------------------------------

    async def handle(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        press = self._parse(update, context, query)
        if press is None:  # step 1
            message = query_message(query)
            await self._answer_invalid(query, context, tr(update), message.chat.id if message else None)
            return
        if self._expired(press.message):
            LOG.info("button_expired feature=%s user=%s chat=%s", self.feature, press.user.id, press.chat_id)
            await query.answer(press.tr(EXPIRED), show_alert=True)
            return
        guard, data = guard_of(context.bot_data), query.data or ""
        duplicate = guard.start(press.chat_id, press.message.message_id, data, self.double_tap)
        if duplicate is not None:
            LOG.info("button_repeat feature=%s user=%s chat=%s", self.feature, press.user.id, press.chat_id)
            await query.answer(press.tr(duplicate))
            return
        acted = False
        try:
            acted = await self._run(press)
        finally:
            guard.finish(press.chat_id, press.message.message_id, data, acted=acted)

    async def _run(self, press: Press) -> bool:
        """Steps 2-5 of a press that passed step 1; whether the action ran."""
        spec = press.spec
        outcome: Outcome | None = None
        async with press.services.sessions.begin() as session:
            rejection = await self._admit(press, session)  # steps 2-3
            if rejection is None and spec.run is not None:
                outcome = await spec.run(press, session)
                await _record(session, press, outcome.audits)
        if rejection is not None:
            await press.query.answer(rejection, show_alert=True)
            return False
        if outcome is None:
            assert spec.call is not None
            # A write this action makes that Netatmo throttles turns the message into "⏳ working…"
            # until it goes through or gives up (bot.netatmo.writes); the menu comes back if the action
            # shows nothing else.
            working = WorkingLine(press.message, press.tr)
            token = WRITE_PROGRESS.set(working)
            try:
                outcome = await spec.call(press)
            finally:
                WRITE_PROGRESS.reset(token)
            restored = working.restore(outcome.answer) if outcome.edit is None else None
            if restored is not None:
                outcome = replace(outcome, edit=Edit(restored[0], restored[1]))
            if outcome.audits:
                async with press.services.sessions.begin() as session:
                    await _record(session, press, outcome.audits)
        await _show(press, outcome)
        return outcome.acted

    def _expired(self, message: Message) -> bool:
        if self.expires_after is None:
            return False
        shown = max(message.date, message.edit_date) if message.edit_date is not None else message.date
        return _now() - shown > self.expires_after

    def _parse(self, update: Update, context: Context, query: CallbackQuery) -> Press | None:
        message = query_message(query)
        signatures = {name: spec.args for name, spec in self.actions.items()}
        decoded = callbacks.parse(query.data, self.feature, signatures, accept_unsigned=self.accept_unsigned)
        if message is None or decoded is None:
            return None
        _ = tr(update)
        spec = self.actions[decoded.action]
        return Press(update, context, query, message, decoded.action, decoded.args, _, spec, _(self.invalid))

    async def _admit(self, press: Press, session: AsyncSession) -> str | None:
        """Steps 2-3: None when the press may go ahead, else the sentence to answer (its audit row, if
        any, written in `session`)."""
        if self.home is not None:
            try:
                press.home_id = await self.home(press, session)
            except InvalidPress as invalid:
                LOG.info(
                    "button_invalid feature=%s user=%s chat=%s", self.feature, press.user.id, press.chat_id
                )
                await self._audit_invalid(session, press.query, press.chat_id, invalid.home_id)
                return press.invalid_text
        if press.home_id is not None:
            press.home = await homes_repo.get_home(session, press.home_id)
            press.membership = await homes_repo.membership_in_chat(
                session, press.home_id, press.user.id, press.chat_id
            )
        if press.spec.permits(press):
            return None
        LOG.info(
            "button_refused feature=%s action=%s user=%s chat=%s home=%s",
            self.feature,
            press.action,
            press.user.id,
            press.chat_id,
            press.home_id,
        )
        refused = press.refused()
        await _record(session, press, refused.audits)
        return refused.answer

    async def _answer_invalid(
        self, query: CallbackQuery, context: Context, _: Translate, chat_id: int | None
    ) -> None:
        LOG.info("button_invalid feature=%s user=%s chat=%s", self.feature, query.from_user.id, chat_id)
        if self.audit_invalid is not None:
            async with services(context).sessions.begin() as session:
                await self._audit_invalid(session, query, chat_id, None)
        await query.answer(_(self.invalid), show_alert=True)

    async def _audit_invalid(
        self, session: AsyncSession, query: CallbackQuery, chat_id: int | None, home_id: str | None
    ) -> None:
        if self.audit_invalid is None:
            return
        await audit_repo.record_audit(
            session,
            user_id=query.from_user.id,
            chat_id=chat_id,
            home_id=home_id,
            action=self.audit_invalid,
            outcome="denied",
            detail={"reason": "invalid_callback", "data_len": len(query.data or "")},
        )


async def _record(session: AsyncSession, press: Press, audits: Sequence[Audit]) -> None:
    for row in audits:
        await audit_repo.record_audit(
            session,
            user_id=press.user.id,
            chat_id=press.chat_id,
            home_id=row.home_id,
            action=row.action,
            outcome=row.outcome,
            detail=row.detail,
        )


async def _show(press: Press, outcome: Outcome) -> None:
    """Answer once, then edit the message and tell the chat: the presser's spinner stops first."""
    await press.query.answer(outcome.answer, show_alert=outcome.alert)
    edit = outcome.edit
    if edit is not None:
        try:
            await press.query.edit_message_text(
                edit.text, reply_markup=edit.keyboard, parse_mode=ParseMode.HTML if edit.html else None
            )
        except BadRequest as error:
            # Two people pressing the same button edit the message to the same content: Telegram
            # refuses the second edit as "not modified", which is no failure at all.
            level = logging.INFO if "not modified" in error.message.lower() else logging.WARNING
            LOG.log(level, "button_edit_skipped chat=%s error=%s", press.chat_id, error)
    notice = outcome.notice if outcome.notice is not None else _control_notice(press, outcome)
    if notice is not None:
        await press.context.bot.send_message(press.chat_id, notice, parse_mode=ParseMode.HTML)


def _control_notice(press: Press, outcome: Outcome) -> str | None:
    """A change to the home made in a group is announced there ("Paul: Living room 19 → 21 °C") when
    the action gave no notice of its own, so nobody in the family wonders what changed."""
    if press.spec.permission not in (Action.CONTROL, Action.MONITORING):
        return None
    if press.message.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return None
    changes = [
        change_text(press.tr, row.action, row.detail)
        for row in outcome.audits
        if row.outcome == "ok" and row.detail and row.detail.get("what")
    ]
    if not changes:
        return None
    who = html.escape(press.user.first_name)
    return "\n".join(f"{who}: {html.escape(change)}" for change in changes)
