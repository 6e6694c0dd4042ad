"""Bot API methods about the bot itself, chats, callback answers, files and menu settings."""

from __future__ import annotations

import json
from typing import Any

from . import messaging, updates
from .messaging import Handler
from .params import JSON_FIELDS, Params, bad_request
from .state import Chat, User, World

JSON = dict[str, Any]

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


def member_api(user: User, status: str, *, is_self: bool = False) -> JSON:
    """A ChatMember of the given status with every field PTB 22 requires for it."""
    data: JSON = {"status": status, "user": user.to_api()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(can_be_edited=False, is_anonymous=False, **dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        data["until_date"] = 0
    return data


async def get_me(world: World, params: Params) -> JSON:
    data = world.bot.to_api()
    data.update(
        can_join_groups=True,
        can_read_all_group_messages=False,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )
    return data


def _scope_key(params: Params) -> str:
    scope = params.json_object("scope") or {"type": "default"}
    return json.dumps([scope, params.text("language_code") or ""], sort_keys=True)


async def set_my_commands(world: World, params: Params) -> bool:
    commands = params.json_list("commands")
    if commands is None:
        raise bad_request("commands is empty")
    for command in commands:
        name = command.get("command") if isinstance(command, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 32 or not command.get("description"):
            raise bad_request("BOT_COMMAND_INVALID")
    world.commands[_scope_key(params)] = commands
    world.touch()
    return True


async def get_my_commands(world: World, params: Params) -> list[JSON]:
    return world.commands.get(_scope_key(params), [])


async def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(_scope_key(params), None)
    world.touch()
    return True


def _chat(world: World, params: Params) -> Chat:
    chat = world.chat(params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    return chat


async def get_chat(world: World, params: Params) -> JSON:
    chat = _chat(world, params)
    messaging.check_can_send(chat)
    return chat.full_info()


async def get_chat_member(world: World, params: Params) -> JSON:
    chat = _chat(world, params)
    messaging.check_can_send(chat)
    user_id = params.integer("user_id", required=True)
    if user_id == world.bot.id:
        return member_api(world.bot, chat.bot_status)
    user = world.users.get(user_id or 0)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return member_api(user, chat.members.get(user.id, "left"))


async def get_chat_administrators(world: World, params: Params) -> list[JSON]:
    chat = _chat(world, params)
    messaging.check_can_send(chat)
    admins = [
        member_api(world.users[uid], status)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator") and uid in world.users
    ]
    if chat.bot_status == "administrator":
        admins.append(member_api(world.bot, "administrator"))
    return admins


async def get_chat_member_count(world: World, params: Params) -> int:
    chat = _chat(world, params)
    active = [s for s in chat.members.values() if s in ("creator", "administrator", "member")]
    return len(active) + (1 if chat.bot_status in ("member", "administrator") else 0)


async def answer_callback_query(world: World, params: Params) -> bool:
    query = world.callback_queries.get(params.text("callback_query_id") or "")
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.text = text
    query.show_alert = params.flag("show_alert")
    query.url = params.text("url")
    world.touch()
    return True


async def get_file(world: World, params: Params) -> JSON:
    stored = world.files.get(params.text("file_id", required=True) or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


def _accept_setting(name: str, *fields: str) -> Handler:
    """Settings the bot may set and read back (descriptions, menu button) but nothing acts upon."""

    async def handler(world: World, params: Params) -> bool:
        for field in fields:
            value = params.json(field) if field in JSON_FIELDS else params.text(field)
            world.settings[f"{name}:{field}:{params.text('language_code') or ''}"] = value
        world.touch()
        return True

    return handler


def _read_setting(name: str, field: str, default: Any) -> Handler:
    async def handler(world: World, params: Params) -> Any:
        value = world.settings.get(f"{name}:{field}:{params.text('language_code') or ''}")
        if field == "menu_button":
            return value or default
        return {field: value if value is not None else default}

    return handler


async def accept(world: World, params: Params) -> bool:
    return True


HANDLERS: dict[str, Handler] = {
    **messaging.HANDLERS,
    "getMe": get_me,
    "getUpdates": updates.get_updates,
    "setWebhook": updates.set_webhook,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
    "setChatMenuButton": _accept_setting("menu", "menu_button"),
    "getChatMenuButton": _read_setting("menu", "menu_button", {"type": "commands"}),
    "setMyDescription": _accept_setting("description", "description"),
    "getMyDescription": _read_setting("description", "description", ""),
    "setMyShortDescription": _accept_setting("short_description", "short_description"),
    "getMyShortDescription": _read_setting("short_description", "short_description", ""),
    "setMyName": _accept_setting("name", "name"),
    "logOut": accept,
    "close": accept,
}
