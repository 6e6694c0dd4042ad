"""What simulated users do: write messages, press buttons, block the bot, move groups around.

Each action changes the world and queues the update Telegram would send for it. Both the test API
(``emulator``) and the web chat page (``webchat``) go through here, so the demo and the tests exercise
the same paths.
"""

from __future__ import annotations

import secrets
from typing import Any

from .formatting import command_entities
from .methods import member_api
from .state import CallbackQuery, Chat, SentMessage, User, World, now

JSON = dict[str, Any]


class ActionError(ValueError):
    """A simulated user tried something Telegram would not let them do."""


def user_message(
    world: World, user: User, chat: Chat, text: str, *, mention_bot: bool | None = None
) -> SentMessage:
    """A text message from ``user`` in ``chat`` and its ``message`` update.

    In groups a bare ``/command`` becomes ``/command@botname`` unless ``mention_bot=False``, as it does
    when a member picks the command from the menu. No update is queued if the bot is not in the chat.
    """
    if chat.is_group and user.id not in chat.members:
        raise ActionError(f"{user.first_name} is not a member of {chat.title}")
    if chat.migrated_to is not None:
        raise ActionError(f"group {chat.id} was migrated to {chat.migrated_to}")
    if chat.type == "private" and chat.blocked:
        unblock(world, chat)
    if mention_bot is None:
        mention_bot = chat.is_group
    entities = command_entities(text)
    if entities and mention_bot and "@" not in text.split(maxsplit=1)[0]:
        command, _, rest = text.partition(" ")
        text = f"{command}@{world.bot.username}" + (f" {rest}" if rest else "")
        entities = command_entities(text)
    message = world.new_message(chat, user)
    message.text, message.entities = text, entities
    if bot_is_present(chat):
        world.enqueue("message", world.message_api(message))
    else:
        world.touch()
    return message


def bot_is_present(chat: Chat) -> bool:
    if chat.type == "private":
        return not chat.blocked
    return chat.bot_status in ("member", "administrator", "creator")


def press_button(
    world: World,
    user: User,
    message: SentMessage,
    callback_data: str | None = None,
    *,
    text: str | None = None,
) -> str:
    """Press an inline button by its data or label; data not on the keyboard is sent as is (forgery)."""
    chat = world.chats[message.chat_id]
    if chat.is_group and user.id not in chat.members:
        raise ActionError(f"{user.first_name} is not a member of {chat.title}")
    if text is not None:
        matches = [data for label, data in message.buttons if label == text]
        if not matches:
            raise ActionError(f"no button labelled {text!r} on message {message.message_id}")
        callback_data = matches[0]
    elif callback_data is None:
        raise ActionError("press_button needs callback_data or text")
    query_id = str(secrets.randbits(63))
    world.callback_queries[query_id] = CallbackQuery(query_id, user, message, callback_data)
    payload: JSON = {
        "id": query_id,
        "from": user.to_api(),
        "message": world.message_api(message),
        "chat_instance": chat.instance,
    }
    if callback_data is not None:
        payload["data"] = callback_data
    world.enqueue("callback_query", payload)
    return query_id


def _member_update(world: World, chat: Chat, by: User, old: str, new: str) -> None:
    world.enqueue(
        "my_chat_member",
        {
            "chat": chat.to_api(),
            "from": by.to_api(),
            "date": now(),
            "old_chat_member": member_api(world.bot, old),
            "new_chat_member": member_api(world.bot, new),
        },
    )


def block(world: World, chat: Chat) -> None:
    """The user blocks the bot: sends fail with 403 and the bot gets a ``my_chat_member`` update."""
    if chat.user is None or chat.blocked:
        return
    chat.blocked = True
    _member_update(world, chat, chat.user, "member", "kicked")


def unblock(world: World, chat: Chat) -> None:
    if chat.user is None or not chat.blocked:
        return
    chat.blocked = False
    _member_update(world, chat, chat.user, "kicked", "member")


def kick_bot(world: World, chat: Chat, by: User | None = None) -> None:
    """The bot is removed from a group: sends fail with 403 "bot was kicked from the group chat"."""
    actor = by or _first_admin(world, chat)
    old = chat.bot_status
    chat.bot_status = "kicked"
    _member_update(world, chat, actor, old, "kicked")


def add_bot(world: World, chat: Chat, by: User | None = None, *, admin: bool = False) -> None:
    """The bot is added to a group (``my_chat_member`` left → member/administrator)."""
    actor = by or _first_admin(world, chat)
    old = chat.bot_status
    chat.bot_status = "administrator" if admin else "member"
    _member_update(world, chat, actor, old, chat.bot_status)


def _first_admin(world: World, chat: Chat) -> User:
    for user_id, status in chat.members.items():
        if status in ("creator", "administrator") and user_id in world.users:
            return world.users[user_id]
    return world.users[next(iter(chat.members))]


def migrate(world: World, chat: Chat) -> Chat:
    """Upgrade a group to a supergroup: new id, service messages in both chats, old id answers 400."""
    if chat.type != "group":
        raise ActionError("only basic groups can be migrated")
    new = Chat(
        id=world.new_group_id(supergroup=True),
        type="supergroup",
        title=chat.title,
        members=dict(chat.members),
        bot_status=chat.bot_status,
    )
    world.add_chat(new)
    actor = _first_admin(world, chat)
    old_notice = world.new_message(chat, actor)
    old_notice.extra = {"migrate_to_chat_id": new.id}
    new_notice = world.new_message(new, actor)
    new_notice.extra = {"migrate_from_chat_id": chat.id}
    if bot_is_present(chat):
        world.enqueue("message", world.message_api(old_notice))
        world.enqueue("message", world.message_api(new_notice))
    chat.migrated_to = new.id
    world.touch()
    return new
