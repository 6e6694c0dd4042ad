"""The real PTB Application against the emulator: commands, buttons, edits, photos, media groups."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from standins.telegram_emulator import BotApiEmulator

AppFactory = Callable[..., Any]
RunApp = Callable[..., AbstractAsyncContextManager[Any]]
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ping", callback_data="ping"),
            InlineKeyboardButton("Docs", url="https://example.org"),
        ],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    payload = " ".join(context.args or [])
    await update.effective_message.reply_text(
        f"Hello <b>{update.effective_user.first_name}</b> {payload}".strip(),
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("pong!")
    await query.edit_message_text(f"pressed {query.data}")


def install(app: Any) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))


@pytest.fixture
def alice_app(emulator: BotApiEmulator, app_factory: AppFactory) -> tuple[Any, Any]:
    """(chat, app): the private chat of a new user, Alice, and a bot application on the emulator."""
    return emulator.private_chat(emulator.add_user("Alice")), app_factory(emulator)


async def test_command_reply_in_private_chat(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    alice = emulator.add_user("Alice", username="alice")
    chat = emulator.private_chat(alice)
    app = app_factory(emulator)
    install(app)
    async with run_app(app):
        sent = await emulator.send_message(alice, chat, "/start link-42")
        assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        reply = await emulator.wait_for_message(chat)
    assert reply.text == "Hello Alice link-42"
    assert reply.entities == [{"type": "bold", "offset": 6, "length": 5}]
    assert reply.buttons == [("Ping", "ping"), ("Docs", "https://example.org")]
    assert reply.chat_id == alice.id and reply.message_id == 2


async def test_command_in_group_uses_bot_username(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    alice, bob = emulator.add_user("Alice"), emulator.add_user("Bob")
    family = emulator.add_group("Family", [alice, bob], admins=[bob])
    assert family.id < 0
    app = app_factory(emulator)
    install(app)
    async with run_app(app):
        sent = await emulator.send_message(bob, family, "/start")
        assert sent["text"] == "/start@netatmo_test_bot"
        reply = await emulator.wait_for_message(family)
        member = await app.bot.get_chat_member(family.id, bob.id)
        admins = await app.bot.get_chat_administrators(family.id)
        chat = await app.bot.get_chat(family.id)
    assert reply.text == "Hello Bob"
    assert member.status == "administrator"
    assert {a.user.id for a in admins} == {alice.id, bob.id}
    assert chat.title == "Family" and chat.type == "group"


async def test_button_press_answers_and_edits(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    alice = emulator.add_user("Alice")
    chat = emulator.private_chat(alice)
    app = app_factory(emulator)
    install(app)
    async with run_app(app):
        await emulator.send_message(alice, chat, "/start")
        message = await emulator.wait_for_message(chat)
        query_id = await emulator.press_button(alice, message, text="Ping")
        answer = await emulator.wait_for_callback_answer(query_id)
        edited = await emulator.wait_for_edit(message)
        # a forged callback_data is delivered as is: the bot's own validation must handle it
        forged = await emulator.press_button(alice, message, "admin:delete-everything")
        await emulator.wait_for_callback_answer(forged)
        second_edit = await emulator.wait_for_edit(message)
    assert answer.text == "pong!" and not answer.show_alert
    assert edited.text == "pressed admin:delete-everything" == second_edit.text
    assert [e.text for e in message.edits] == ["pressed ping", "pressed admin:delete-everything"]
    assert message.buttons == []  # editMessageText without reply_markup removes the keyboard
    update = next(r for r in emulator.calls("answerCallbackQuery"))
    assert update.params["callback_query_id"] == query_id


async def test_photo_upload_then_reuse_by_file_id(
    emulator: BotApiEmulator, run_app: RunApp, jpeg: Callable[..., bytes], alice_app: Any
) -> None:
    chat, app = alice_app
    picture = jpeg(800, 600)
    async with run_app(app, poll=False):
        first = await app.bot.send_photo(chat.id, photo=picture, filename="snap.jpg", caption="Front door")
        file_id = first.photo[-1].file_id
        second = await app.bot.send_photo(chat.id, photo=file_id, caption="again", disable_notification=True)
        downloaded = await (await app.bot.get_file(file_id)).download_as_bytearray()
    assert [(p.width, p.height) for p in first.photo] == [(320, 240), (800, 600)]
    assert second.photo[-1].file_unique_id == first.photo[-1].file_unique_id
    uploads = [r for r in emulator.calls("sendPhoto") if "photo" in r.files]
    by_id = [r for r in emulator.calls("sendPhoto") if r.params.get("photo") == file_id]
    assert len(uploads) == 1 and len(by_id) == 1
    assert uploads[0].files["photo"].filename == "snap.jpg"
    sent = emulator.messages(chat)
    assert [m.was_upload for m in sent] == [True, False]
    assert sent[0].photo_bytes == sent[1].photo_bytes == picture == bytes(downloaded)
    assert sent[1].photo_file_id == file_id and sent[1].disable_notification


async def test_media_group_and_edit_media(
    emulator: BotApiEmulator, run_app: RunApp, jpeg: Callable[..., bytes], alice_app: Any
) -> None:
    chat, app = alice_app
    async with run_app(app, poll=False):
        media = [
            InputMediaPhoto(jpeg(color="red"), caption="one", filename="1.jpg"),
            InputMediaPhoto(jpeg(color="blue"), filename="2.jpg"),
        ]
        album = await app.bot.send_media_group(chat.id, media)
        photo = await app.bot.send_photo(
            chat.id, jpeg(color="green"), filename="g.jpg", reply_markup=KEYBOARD
        )
        await app.bot.edit_message_media(
            InputMediaPhoto(album[0].photo[-1].file_id, caption="swapped"),
            chat_id=chat.id,
            message_id=photo.message_id,
            reply_markup=KEYBOARD,
        )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert [m.message_id for m in album] == [1, 2]
    stored = emulator.messages(chat)
    assert stored[0].caption == "one" and stored[1].caption is None
    assert stored[2].caption == "swapped" and stored[2].photo_bytes == stored[0].photo_bytes
    assert stored[2].edits[-1].method == "editMessageMedia"


async def test_edit_media_adds_a_photo_to_a_text_message(
    emulator: BotApiEmulator, run_app: RunApp, jpeg: Callable[..., bytes], alice_app: Any
) -> None:
    chat, app = alice_app
    picture = jpeg(color="red")
    async with run_app(app, poll=False):
        text = await app.bot.send_message(chat.id, "Movement at the door", reply_markup=KEYBOARD)
        edited = await app.bot.edit_message_media(
            InputMediaPhoto(picture, caption="Movement at the door", filename="late.jpg"),
            chat_id=chat.id,
            message_id=text.message_id,
            reply_markup=KEYBOARD,
        )
    assert isinstance(edited, Message) and edited.photo and edited.caption == "Movement at the door"
    stored = emulator.messages(chat)[0]
    assert stored.text is None and stored.photo_bytes == picture
    assert stored.edits[-1].method == "editMessageMedia"


async def test_commands_and_settings_round_trip(
    emulator: BotApiEmulator, app_factory: AppFactory, run_app: RunApp
) -> None:
    app = app_factory(emulator)
    async with run_app(app, poll=False):
        await app.bot.set_my_commands([("start", "Start"), ("status", "Home status")])
        commands = await app.bot.get_my_commands()
        await app.bot.set_my_description("Netatmo alerts")
        description = await app.bot.get_my_description()
        me = await app.bot.get_me()
        await app.bot.delete_my_commands()
        after = await app.bot.get_my_commands()
    assert [c.command for c in commands] == ["start", "status"]
    assert description.description == "Netatmo alerts"
    assert me.is_bot and me.username == "netatmo_test_bot" and me.can_join_groups
    assert after == ()
