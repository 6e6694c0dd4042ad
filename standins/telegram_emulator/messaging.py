"""Bot API methods that create, edit and delete messages.

Each handler takes the world and the decoded parameters and returns the ``result`` Telegram would
return, or raises ``ApiError`` with Telegram's own description (tests and the bot's error handling
both depend on those exact words, e.g. "message is not modified").
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from .formatting import render
from .media import obtain_file
from .params import ApiError, Params, bad_request
from .state import Chat, SentMessage, World

JSON = dict[str, Any]
Handler = Callable[[World, Params], Awaitable[Any]]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_BUTTON_KINDS = ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat")
_BUTTON_KINDS_MORE = (
    "login_url",
    "web_app",
    "callback_game",
    "pay",
    "copy_text",
    "switch_inline_query_chosen_chat",
)


def check_can_send(chat: Chat) -> None:
    """The errors Telegram gives for a migrated group, a blocked bot or a bot removed from a group."""
    if chat.migrated_to is not None:
        raise ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": chat.migrated_to},
        )
    if chat.type == "private" and chat.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if chat.is_group and chat.bot_status in ("kicked", "left"):
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")


def target_chat(world: World, params: Params) -> Chat:
    chat = world.chat(params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    check_can_send(chat)
    return chat


def parse_markup(params: Params | JSON) -> JSON | None:
    """Validate ``reply_markup``; inline keyboards are checked button by button like Telegram does."""
    markup = params.json_object("reply_markup") if isinstance(params, Params) else params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if not any(k in button for k in _BUTTON_KINDS + _BUTTON_KINDS_MORE):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode()) <= 64):
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


def _new_bot_message(world: World, chat: Chat, params: Params) -> SentMessage:
    """Common options of every send: reply, thread, silence, keyboard."""
    markup = parse_markup(params)
    reply_parameters = params.json_object("reply_parameters") or {}
    reply_to = reply_parameters.get("message_id", params.integer("reply_to_message_id"))
    if reply_to is not None:
        allow = reply_parameters.get("allow_sending_without_reply") or params.flag(
            "allow_sending_without_reply"
        )
        if not isinstance(reply_to, int) or world.find_message(chat.id, reply_to) is None:
            if not allow:
                raise bad_request("message to be replied not found")
            reply_to = None
    message = world.new_message(chat, None)
    message.reply_markup = markup
    message.reply_to_message_id = reply_to
    message.disable_notification = params.flag("disable_notification")
    message.message_thread_id = params.integer("message_thread_id")
    return message


async def send_message(world: World, params: Params) -> JSON:
    chat = target_chat(world, params)
    raw = params.text("text")
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text, entities = render(raw, params.text("parse_mode"), params.json_list("entities"))
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > 4096:
        raise bad_request("message is too long")
    message = _new_bot_message(world, chat, params)
    message.text, message.entities, message.parse_mode = text, entities, params.text("parse_mode")
    world.touch()
    return world.message_api(message)


def _caption(params: Params | JSON) -> tuple[str | None, list[JSON]]:
    if isinstance(params, Params):
        raw, mode, entities = (
            params.text("caption"),
            params.text("parse_mode"),
            params.json_list("caption_entities"),
        )
    else:
        raw, mode, entities = params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
    if raw is None or raw == "":
        return None, []
    caption, caption_entities = render(str(raw), mode, entities if isinstance(entities, list) else None)
    if len(caption) > 1024:
        raise bad_request("message caption is too long")
    return caption, caption_entities


def _send_media(kind: str) -> Handler:
    async def handler(world: World, params: Params) -> JSON:
        chat = target_chat(world, params)
        stored, uploaded = await obtain_file(
            world, params, kind, params.values.get(kind), params.files.get(kind), params
        )
        caption, caption_entities = _caption(params)
        message = _new_bot_message(world, chat, params)
        message.media_kind, message.media, message.was_upload = kind, stored, uploaded
        message.caption, message.caption_entities = caption, caption_entities
        world.touch()
        return world.message_api(message)

    return handler


async def send_media_group(world: World, params: Params) -> list[JSON]:
    chat = target_chat(world, params)
    items = params.json_list("media")
    if not items or not 2 <= len(items) <= 10:
        raise bad_request("media group must contain 2-10 items" if items else "media is empty")
    prepared = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document", "audio"):
            raise bad_request("can't parse InputMedia JSON object")
        kind = str(item["type"])
        stored, uploaded = await obtain_file(world, params, kind, item.get("media"), None, item)
        prepared.append((kind, stored, uploaded, *_caption(item)))
    group_id = str(secrets.randbits(60))
    results = []
    for kind, stored, uploaded, caption, caption_entities in prepared:
        message = _new_bot_message(world, chat, params)
        message.media_kind, message.media, message.was_upload = kind, stored, uploaded
        message.caption, message.caption_entities = caption, caption_entities
        message.media_group_id = group_id
        message.reply_markup = None
        results.append(world.message_api(message))
    world.touch()
    return results


def _editable(world: World, params: Params) -> SentMessage:
    if params.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = world.chat(params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    message_id = params.integer("message_id", required=True)
    message = world.find_message(chat.id, message_id or 0)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _edit(world: World, message: SentMessage, method: str, **fields: Any) -> JSON:
    """Set `fields` of `message` as the edit `method` asks, or refuse as Telegram does when nothing
    changes; the edited message as the Bot API returns it."""
    if all(getattr(message, name) == value for name, value in fields.items()):
        raise bad_request(NOT_MODIFIED)
    for name, value in fields.items():
        setattr(message, name, value)
    message.record_edit(method)
    world.touch()
    return world.message_api(message)


async def edit_message_text(world: World, params: Params) -> JSON:
    message = _editable(world, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    raw = params.text("text")
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text, entities = render(raw, params.text("parse_mode"), params.json_list("entities"))
    markup = parse_markup(params)
    return _edit(world, message, "editMessageText", text=text, entities=entities, reply_markup=markup)


async def edit_message_caption(world: World, params: Params) -> JSON:
    message = _editable(world, params)
    if message.media is None:
        raise bad_request("there is no caption in the message to edit")
    caption, caption_entities = _caption(params)
    markup = parse_markup(params)
    return _edit(
        world,
        message,
        "editMessageCaption",
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup,
    )


async def edit_message_media(world: World, params: Params) -> JSON:
    # Since Bot API 9.x a text message may gain media this way (the text gives way to the caption).
    message = _editable(world, params)
    item = params.json_object("media")
    if not item or item.get("type") not in ("photo", "video", "document", "audio"):
        raise bad_request("can't parse InputMedia JSON object")
    kind = str(item["type"])
    stored, uploaded = await obtain_file(world, params, kind, item.get("media"), None, item)
    caption, caption_entities = _caption(item)
    markup = parse_markup(params)
    same_media = (
        message.media is not None
        and message.media.file_unique_id == stored.file_unique_id
        and message.media_kind == kind
    )
    if same_media and (caption, caption_entities, markup) == (
        message.caption,
        message.caption_entities,
        message.reply_markup,
    ):
        raise bad_request(NOT_MODIFIED)
    message.media_kind, message.media, message.was_upload = kind, stored, uploaded
    message.caption, message.caption_entities, message.reply_markup = caption, caption_entities, markup
    message.text, message.entities = None, []
    message.record_edit("editMessageMedia")
    world.touch()
    return world.message_api(message)


async def edit_message_reply_markup(world: World, params: Params) -> JSON:
    message = _editable(world, params)
    markup = parse_markup(params)
    return _edit(world, message, "editMessageReplyMarkup", reply_markup=markup)


async def delete_message(world: World, params: Params) -> bool:
    chat = world.chat(params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    message = world.find_message(chat.id, params.integer("message_id", required=True) or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    world.touch()
    return True


async def send_chat_action(world: World, params: Params) -> bool:
    target_chat(world, params)
    params.text("action", required=True)
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": _send_media("photo"),
    "sendVideo": _send_media("video"),
    "sendDocument": _send_media("document"),
    "sendMediaGroup": send_media_group,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageMedia": edit_message_media,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
}
