"""The button pipeline itself, through the real Application and the Bot API emulator, with a probe feature:
invalid data, refusals, audit rows committed before the answer, exactly one answer, action errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    CallbackQuery,
    Chat,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from bot.app import BotRuntime
from bot.chat import buttons, callbacks
from bot.chat.buttons import Buttons, Edit, InvalidPress, Outcome, Press
from bot.domain.permissions import Action
from bot.storage import mutes as mutes_repo
from bot.storage import subscriptions as subscriptions_repo
from bot.storage.models import AuditEntry, Home, HomeMember, Mute, NetatmoLink
from bot.storage.telegram import save_chat, save_user

TIMEOUT = 10
HOME = "h1"
INVALID = "Probe button not valid."
REFUSED = "Probe refused."


async def _probe_home(press: Press, session: AsyncSession) -> str:
    if press.args[0] == "gone":
        raise InvalidPress("gone")
    return press.args[0]


PROBE = Buttons("probe", invalid=INVALID, home=_probe_home, audit_invalid="probe.button")
HOME_ARG = callbacks.matching(r"[a-z0-9]{1,8}")


@PROBE.action(
    "set",
    args=(HOME_ARG, callbacks.NUMBER),
    permission=Action.CHANGE_SETTINGS,
    audit="probe.set",
    refusal=REFUSED,
)
async def _set(press: Press, session: AsyncSession) -> Outcome:
    value = int(press.args[1])
    await _mute(press, session)
    return Outcome(
        answer=f"set {value}",
        edit=Edit(f"<b>value</b> {value}"),
        notice=f"<i>{press.user.first_name} set {value}</i>",
        audits=[press.audit({"value": value})],
    )


@PROBE.action("boom", args=(HOME_ARG,), permission=Action.VIEW_SETTINGS, audit="probe.boom")
async def _boom(press: Press, session: AsyncSession) -> Outcome:
    await _mute(press, session)
    raise RuntimeError("the action failed")


@PROBE.action("look", args=(HOME_ARG,), permission=Action.VIEW, audit="probe.look")
async def _look(press: Press, session: AsyncSession) -> Outcome:
    return Outcome(answer=press.role.value)


@PROBE.outside_transaction("slow", args=(HOME_ARG,), permission=Action.CONTROL, audit="probe.slow")
async def _slow(press: Press) -> Outcome:
    await asyncio.sleep(1.0)
    return Outcome(answer="slow done", audits=[press.audit()])


@PROBE.action("check", args=(HOME_ARG,), permission=Action.VIEW_SETTINGS)
async def _check(press: Press, session: AsyncSession) -> Outcome:
    return press.invalid()


@PROBE.action(
    "mine", args=(HOME_ARG,), permission=Action.UNSUBSCRIBE_GROUP, audit="probe.mine", refusal=REFUSED
)
async def _mine(press: Press, session: AsyncSession) -> Outcome:
    return Outcome(answer="yours", audits=[press.audit()])


@PROBE.outside_transaction(
    "far", args=(HOME_ARG,), permission=Action.MONITORING, audit="probe.far", refusal=REFUSED
)
async def _far(press: Press) -> Outcome:
    # Outside the transaction: the action may open its own, and a write of its own is not blocked.
    async with press.services.sessions.begin() as session:
        await _mute(press, session)
    return Outcome(
        answer="Netatmo said no.", alert=True, audits=[press.audit({"error": "x"}, outcome="error")]
    )


async def _mute(press: Press, session: AsyncSession) -> None:
    until = datetime.now(UTC) + timedelta(hours=1)
    await mutes_repo.add_mute(session, press.chat_id, HOME, None, until, press.user.id)


# -- a running bot with only the probe feature ------------------------------------------------------


@pytest.fixture
async def probe_bot(emulator: Any, make_settings: Callable[..., Any]) -> AsyncIterator[Any]:
    """The bot with the probe feature; Anna is a linked member of HOME, Bob is not a member; their group."""
    runtime = BotRuntime(make_settings(emulator), features=(PROBE.register,))
    await runtime.start()
    try:
        anna, bob = emulator.add_user("Anna"), emulator.add_user("Bob")
        group = emulator.add_group("Family", [anna, bob])
        async with runtime.services.sessions.begin() as session:
            for user in (anna, bob):
                await save_user(session, user.id, user.first_name, None, "en")
                await save_chat(session, user.id, "private", None)
            await save_chat(session, group.id, "group", "Family")
            session.add(Home(id=HOME, name="Villa", timezone="UTC"))
            link = NetatmoLink(
                telegram_user_id=anna.id,
                access_token_enc=b"-",
                refresh_token_enc=b"-",
                expires_at=datetime.now(UTC),
            )
            session.add(link)
            await session.flush()
            session.add(HomeMember(home_id=HOME, telegram_user_id=anna.id, role="owner", link_id=link.id))
        yield SimpleNamespace(runtime=runtime, anna=anna, bob=bob, group=group)
    finally:
        await runtime.stop()


def signed(data: str) -> str:
    """Data as the bot would make it: `feature:action:args` with its MAC."""
    return callbacks.encode(*data.split(":"))


async def probe_message(emulator: Any, bot: Any, chat: Any) -> Any:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Set", callback_data=signed(f"probe:set:{HOME}:5"))]]
    )
    await bot.runtime.application.bot.send_message(chat.id, "probe", reply_markup=keyboard)
    return await emulator.wait_for_message(chat, timeout=TIMEOUT)


async def press(emulator: Any, user: Any, message: Any, data: str, *, sign: bool = True) -> tuple[str, Any]:
    query_id = await emulator.press_button(user, message, signed(data) if sign else data)
    return query_id, await emulator.wait_for_callback_answer(query_id, timeout=TIMEOUT)


def answers(emulator: Any, query_id: str) -> int:
    calls = emulator.calls("answerCallbackQuery")
    return sum(1 for call in calls if str(call.params.get("callback_query_id")) == query_id)


async def audit_rows(bot: Any) -> list[tuple[int | None, int | None, str | None, str, str, dict[str, Any]]]:
    async with bot.runtime.services.sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.telegram_user_id, r.chat_id, r.home_id, r.action, r.outcome, r.detail) for r in rows]


async def mutes(bot: Any) -> int:
    async with bot.runtime.services.sessions() as session:
        return len(list(await session.scalars(select(Mute))))


# -- the pipeline ---------------------------------------------------------------------------------


async def test_allowed_press_acts_audits_before_answering_once_edits_and_tells_the_chat(
    emulator: Any, probe_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = probe_bot
    audited_at_answer: list[int] = []
    original = CallbackQuery.answer

    async def answer_after_audit(self: CallbackQuery, *args: Any, **kwargs: Any) -> bool:
        audited_at_answer.append(len(await audit_rows(bot)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(CallbackQuery, "answer", answer_after_audit)
    message = await probe_message(emulator, bot, bot.group)
    query_id, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5")
    assert (answer.text, answer.show_alert) == ("set 5", False)
    edited = await emulator.wait_for_edit(message, timeout=TIMEOUT)
    assert edited.text == "value 5"
    notice = await emulator.wait_for_message(bot.group, timeout=TIMEOUT)
    assert notice.text == "Anna set 5"
    assert await audit_rows(bot) == [(bot.anna.id, bot.group.id, HOME, "probe.set", "ok", {"value": 5})]
    assert audited_at_answer == [1]  # the row was committed when the presser got the answer
    assert answers(emulator, query_id) == 1
    assert await mutes(bot) == 1


async def test_refused_press_is_audited_and_changes_nothing(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    query_id, answer = await press(emulator, bot.bob, message, f"probe:set:{HOME}:5")
    assert (answer.text, answer.show_alert) == (REFUSED, True)
    assert await audit_rows(bot) == [
        (bot.bob.id, bot.group.id, HOME, "probe.set", "denied", {"reason": "role", "role": "nobody"})
    ]
    assert await mutes(bot) == 0
    assert answers(emulator, query_id) == 1
    assert emulator.messages(bot.group)[-1].text == "probe"  # neither edited nor announced
    assert message.edits == []


@pytest.mark.parametrize(
    ("data", "home_id"),
    [
        ("probe:", None),  # malformed
        (f"probe:set:{HOME}", None),  # an argument missing
        (f"probe:set:{HOME}:5:6", None),  # one too many
        (f"probe:set:{HOME}:five", None),  # an argument that fails its check
        (f"probe:zap:{HOME}", None),  # an action the feature does not declare
        ("probe:set:gone:5", "gone"),  # the resolver finds it does not fit
    ],
)
async def test_invalid_data_is_answered_and_audited_without_acting(
    emulator: Any, probe_bot: Any, data: str, home_id: str | None
) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    query_id, answer = await press(emulator, bot.anna, message, data)
    assert (answer.text, answer.show_alert) == (INVALID, True)
    detail = {"reason": "invalid_callback", "data_len": len(signed(data))}
    assert await audit_rows(bot) == [(bot.anna.id, bot.group.id, home_id, "probe.button", "denied", detail)]
    assert await mutes(bot) == 0
    assert answers(emulator, query_id) == 1


async def test_an_action_may_find_its_arguments_invalid(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    query_id, answer = await press(emulator, bot.anna, message, f"probe:check:{HOME}")
    assert (answer.text, answer.show_alert) == (INVALID, True)
    assert await audit_rows(bot) == []
    assert answers(emulator, query_id) == 1


async def test_an_action_that_raises_rolls_back_and_the_error_handler_answers_once(
    emulator: Any, probe_bot: Any
) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    query_id, answer = await press(emulator, bot.anna, message, f"probe:boom:{HOME}")
    assert answer.show_alert and "Something went wrong" in (answer.text or "")
    assert await mutes(bot) == 0
    assert await audit_rows(bot) == []
    assert answers(emulator, query_id) == 1


async def test_outside_transaction_action_audits_its_error(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    query_id, refused = await press(emulator, bot.bob, message, f"probe:far:{HOME}")
    assert refused.text == REFUSED
    query_id, answer = await press(emulator, bot.anna, message, f"probe:far:{HOME}")
    assert (answer.text, answer.show_alert) == ("Netatmo said no.", True)
    assert [row[3:] for row in await audit_rows(bot)] == [
        ("probe.far", "denied", {"reason": "role", "role": "nobody"}),
        ("probe.far", "error", {"error": "x"}),
    ]
    assert await mutes(bot) == 1
    assert answers(emulator, query_id) == 1


async def test_own_private_chat_counts_for_the_presser_only(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    private = await probe_message(emulator, bot, emulator.private_chat(bot.bob))
    _query, answer = await press(emulator, bot.bob, private, f"probe:mine:{HOME}")
    assert (answer.text, answer.show_alert) == ("yours", False)
    in_group = await probe_message(emulator, bot, bot.group)
    _query, answer = await press(emulator, bot.bob, in_group, f"probe:mine:{HOME}")
    assert (answer.text, answer.show_alert) == (REFUSED, True)
    assert [row[4] for row in await audit_rows(bot)] == ["ok", "denied"]


async def test_a_double_tap_acts_once(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    first, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5")
    assert answer.text == "set 5"
    await emulator.wait_for_message(bot.group, timeout=TIMEOUT)  # the notice: the press is done
    second, again = await press(emulator, bot.bob, message, f"probe:set:{HOME}:5")
    assert again.text == "Already done."
    assert [row[4] for row in await audit_rows(bot)] == ["ok"]
    assert await mutes(bot) == 1
    assert answers(emulator, first) == 1 and answers(emulator, second) == 1


async def test_a_tap_while_the_first_still_runs_is_answered_without_acting(
    emulator: Any, probe_bot: Any
) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    first = await emulator.press_button(bot.anna, message, signed(f"probe:slow:{HOME}"))
    await asyncio.sleep(0.2)
    _second, again = await press(emulator, bot.anna, message, f"probe:slow:{HOME}")
    assert again.text == "Working on it…"
    done = await emulator.wait_for_callback_answer(first, timeout=TIMEOUT)
    assert done.text == "slow done"
    assert [row[3:5] for row in await audit_rows(bot)] == [("probe.slow", "ok")]


async def test_pressing_again_after_the_double_tap_window_acts_again_and_an_unchanged_edit_is_no_error(
    emulator: Any, probe_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = probe_bot
    monkeypatch.setattr(PROBE, "double_tap", 0.0)
    message = await probe_message(emulator, bot, bot.group)
    for _time in range(2):
        query_id, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5")
        assert answer.text == "set 5"
        # The notice comes after the edit: the second, "not modified", edit did not stop the press.
        notice = await emulator.wait_for_message(bot.group, timeout=TIMEOUT)
        assert notice.text == "Anna set 5"
        assert answers(emulator, query_id) == 1
    assert len(message.edits) == 1
    assert [row[4] for row in await audit_rows(bot)] == ["ok", "ok"]


async def test_hand_made_data_without_a_valid_mac_does_nothing(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    genuine = signed(f"probe:set:{HOME}:5")
    for forged in (
        f"probe:set:{HOME}:5",
        f"probe:set:{HOME}:6:{genuine.rsplit(':', 1)[1]}",
        genuine[:-1] + "A",
    ):
        if forged == genuine:
            continue
        _query, answer = await press(emulator, bot.anna, message, forged, sign=False)
        assert (answer.text, answer.show_alert) == (INVALID, True)
    assert await mutes(bot) == 0
    assert {row[3:5] for row in await audit_rows(bot)} == {("probe.button", "denied")}


async def test_a_menu_older_than_its_expiry_says_so_and_does_nothing(
    emulator: Any, probe_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    later = datetime.now(UTC) + PROBE.expires_after + timedelta(minutes=1)  # type: ignore[operator]
    monkeypatch.setattr(buttons, "_now", lambda: later)
    _query_id, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5")
    assert (answer.text, answer.show_alert) == ("This menu is too old. Send the command again.", True)
    assert await mutes(bot) == 0 and await audit_rows(bot) == []
    assert message.edits == []
    monkeypatch.setattr(PROBE, "expires_after", None)  # a feature whose menus never expire
    _query, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5")
    assert answer.text == "set 5"


def test_a_menu_is_as_old_as_its_last_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(buttons, "_now", lambda: now)
    chat = Chat(1, "private")
    old = now - timedelta(hours=2)
    assert PROBE._expired(Message(1, old, chat))
    assert not PROBE._expired(Message(1, old, chat, edit_date=now - timedelta(minutes=5)))
    assert not PROBE._expired(Message(1, now - timedelta(minutes=59), chat))
    assert not Buttons("x", invalid="", expires_after=None)._expired(Message(1, old, chat))


async def test_a_group_that_receives_the_home_makes_its_people_members(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    _query, answer = await press(emulator, bot.bob, message, f"probe:look:{HOME}")
    assert answer.text == "Only members of this home can see it."  # the default refusal says who may
    async with bot.runtime.services.sessions.begin() as session:
        await subscriptions_repo.subscribe(session, bot.group.id, HOME, bot.anna.id)
    _query, answer = await press(emulator, bot.bob, message, f"probe:look:{HOME}")
    assert answer.text == "member"
    # a member still may not change anything
    _query, answer = await press(emulator, bot.bob, message, f"probe:set:{HOME}:5")
    assert answer.text == REFUSED
    assert await audit_rows(bot) == [
        (bot.bob.id, bot.group.id, HOME, "probe.look", "denied", {"reason": "role", "role": "nobody"}),
        (bot.bob.id, bot.group.id, HOME, "probe.set", "denied", {"reason": "role", "role": "member"}),
    ]
    # the same button in Bob's private chat: he is nobody there
    private = await probe_message(emulator, bot, emulator.private_chat(bot.bob))
    _query, answer = await press(emulator, bot.bob, private, f"probe:look:{HOME}")
    assert answer.text == "Only members of this home can see it."


class AnswerRecorder:
    """Stands in for the Bot behind a CallbackQuery: records what the query was answered."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []

    async def answer_callback_query(self, **kwargs: Any) -> bool:
        self.answers.append(kwargs)
        return True


async def test_a_message_telegram_no_longer_gives_is_an_invalid_press(probe_bot: Any) -> None:
    bot = probe_bot
    gone = InaccessibleMessage(chat=Chat(bot.group.id, "group"), message_id=7)
    user = User(bot.anna.id, "Anna", False, language_code="en")
    data = signed(f"probe:set:{HOME}:5")
    query = CallbackQuery("q1", from_user=user, chat_instance="c", data=data, message=gone)
    recorder = AnswerRecorder()
    query.set_bot(recorder)  # type: ignore[arg-type]
    context = SimpleNamespace(bot_data=bot.runtime.application.bot_data)
    await PROBE.handle(Update(1, callback_query=query), context)  # type: ignore[arg-type]
    assert [(a["text"], a["show_alert"]) for a in recorder.answers] == [(INVALID, True)]
    detail = {"reason": "invalid_callback", "data_len": len(data)}
    assert await audit_rows(bot) == [(bot.anna.id, None, None, "probe.button", "denied", detail)]
    assert await mutes(bot) == 0


# -- the codec's check of declared actions ---------------------------------------------------------

SIGNATURES = {"q": (callbacks.NUMBER,), "x": (), "id": (callbacks.INTEGER, callbacks.any_text)}


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("f:q:30", callbacks.Callback("f", "q", ("30",))),
        ("f:x", callbacks.Callback("f", "x")),
        ("f:id:-12:anything", callbacks.Callback("f", "id", ("-12", "anything"))),
        ("f:id:12:", callbacks.Callback("f", "id", ("12", ""))),
        ("g:q:30", None),  # another feature's data
        ("f:q", None),
        ("f:q:30:1", None),
        ("f:q:3a", None),
        ("f:q:" + "9" * 19, None),  # would overflow a BIGINT
        ("f:q:²", None),  # a digit to str.isdigit, not to int()
        ("f:x:1", None),
        ("f:y", None),
        ("f:", None),
    ],
)
def test_parse_checks_actions_and_arguments(data: str, parsed: callbacks.Callback | None) -> None:
    assert callbacks.parse(signed(data), "f", SIGNATURES) == parsed
    assert callbacks.parse(data, "f", SIGNATURES) is None  # unsigned
    assert callbacks.parse(data, "f", SIGNATURES, accept_unsigned=True) == parsed


def test_parse_refuses_missing_empty_and_wrongly_signed_data() -> None:
    assert callbacks.parse(None, "f", SIGNATURES) is None
    assert callbacks.parse("", "f", SIGNATURES) is None
    good = callbacks.encode("f", "q", 30)
    assert callbacks.parse(good, "f", SIGNATURES) is not None
    assert callbacks.parse(good.replace(":30:", ":31:"), "f", SIGNATURES) is None
    callbacks.configure("another bot's token")
    try:
        assert callbacks.parse(good, "f", SIGNATURES) is None  # another key: not ours
    finally:
        callbacks.configure("123456:TEST-TOKEN")


def test_encode_stays_within_64_bytes_and_refuses_longer() -> None:
    # The longest data a feature makes today: an alert's "mute this camera", a 24-hex home id and a
    # camera's MAC address packed with dots: 60 bytes with its MAC.
    longest = callbacks.encode("alert", "mc", "5" * 24, "70.ee.50.02.00.01")
    assert len(longest.encode()) == 60 <= callbacks.MAX_CALLBACK_BYTES
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode("f", "q", "x" * 60)
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode("f", "q", "a:b")


@PROBE.action("heat", args=(HOME_ARG,), permission=Action.CONTROL, audit="probe.heat")
async def _heat(press: Press, session: AsyncSession) -> Outcome:
    return Outcome(answer="ok", audits=[press.audit(what="Living room", before="19", after="21 °C")])


async def test_a_control_change_in_a_group_is_announced_from_its_audit(emulator: Any, probe_bot: Any) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    _query, answer = await press(emulator, bot.anna, message, f"probe:heat:{HOME}")
    assert answer.text == "ok"
    notice = await emulator.wait_for_message(bot.group, timeout=TIMEOUT)
    assert notice.text == "Anna: Living room 19 → 21 °C"
    detail = {"what": "Living room", "before": "19", "after": "21 °C"}
    assert await audit_rows(bot) == [(bot.anna.id, bot.group.id, HOME, "probe.heat", "ok", detail)]
    # in a private chat nobody else needs telling
    private = await probe_message(emulator, bot, emulator.private_chat(bot.anna))
    _query, answer = await press(emulator, bot.anna, private, f"probe:heat:{HOME}")
    assert answer.text == "ok"
    assert [m.text for m in emulator.messages(emulator.private_chat(bot.anna))] == ["probe"]


async def test_unsigned_data_only_where_the_feature_accepts_it(
    emulator: Any, probe_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = probe_bot
    message = await probe_message(emulator, bot, bot.group)
    _query, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5", sign=False)
    assert answer.text == INVALID
    monkeypatch.setattr(PROBE, "accept_unsigned", True)  # like the alerts' buttons sent before signing
    _query, answer = await press(emulator, bot.anna, message, f"probe:set:{HOME}:5", sign=False)
    assert answer.text == "set 5"
    # still judged for the presser
    _query, answer = await press(emulator, bot.bob, message, f"probe:set:{HOME}:6", sign=False)
    assert answer.text == REFUSED
