"""The emulator's world: users, chats, the bot's messages, files and the update queue.

Everything the fake Bot API answers, and everything tests assert on, lives in this one ``World`` (the
value types are in ``model``). The aiohttp routes (``server``), the test API (``emulator``) and the web
chat page (``webchat``) all read and write it, so what a test sees is exactly what the bot was told.
It serialises messages to Telegram's JSON shapes itself; it shares no code with the bot's view of
Telegram on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from typing import Any

from .model import (
    ALL_UPDATE_TYPES,
    DEFAULT_ALLOWED_UPDATES,
    CallbackQuery,
    Chat,
    MessageEdit,
    SentMessage,
    StoredFile,
    User,
    WebhookConfig,
    WebhookDelivery,
    now,
)

JSON = dict[str, Any]

__all__ = [
    "ALL_UPDATE_TYPES",
    "DEFAULT_ALLOWED_UPDATES",
    "JSON",
    "CallbackQuery",
    "Chat",
    "MessageEdit",
    "SentMessage",
    "StoredFile",
    "User",
    "WebhookConfig",
    "WebhookDelivery",
    "World",
    "now",
]


class World:
    """All state of one emulated Telegram, plus a change signal that waiters and long polls use."""

    def __init__(self, token: str, bot_username: str, bot_first_name: str = "Netatmo Test Bot") -> None:
        head = token.split(":", 1)[0]
        self.token = token
        self.bot = User(
            id=int(head) if head.isdigit() else 123456,
            first_name=bot_first_name,
            username=bot_username,
            language_code=None,
            is_bot=True,
        )
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.timeline: dict[int, list[SentMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.updates: list[JSON] = []
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.webhook = WebhookConfig()
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.commands: dict[str, list[JSON]] = {}
        self.settings: dict[str, Any] = {}
        self.version = 0
        self._next_update_id = 1
        self._next_message_id: dict[int, int] = {}
        self._next_user_id = 10_001
        self._next_group = 1
        self._changed = asyncio.Event()

    # -- change notification -------------------------------------------------------------------
    def touch(self) -> None:
        """Wake everyone waiting for a change (long polls, the webhook pusher, test waiters)."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, timeout: float) -> None:  # noqa: ASYNC109
        """Sleep until the next ``touch`` or ``timeout`` seconds, whichever comes first."""
        if timeout <= 0:
            return
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    # -- users and chats -----------------------------------------------------------------------
    def add_user(
        self, first_name: str, user_id: int | None, username: str | None, language_code: str | None
    ) -> User:
        if user_id is None:
            user_id = self._next_user_id
        self._next_user_id = max(self._next_user_id, user_id) + 1
        user = User(id=user_id, first_name=first_name, username=username, language_code=language_code)
        self.users[user.id] = user
        self.touch()
        return user

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user, members={user.id: "member"})
            self.chats[chat.id] = chat
            self.touch()
        return chat

    def new_group_id(self, supergroup: bool) -> int:
        n = self._next_group
        self._next_group += 1
        return -(1_002_000_000_000 + n) if supergroup else -(4_000_000_000 + n)

    def add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat
        self.touch()
        return chat

    def chat(self, chat_id: int | str) -> Chat | None:
        """Find a chat by id or ``@username`` (private chats only here)."""
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            return next(
                (
                    c
                    for c in self.chats.values()
                    if c.user is not None and (c.user.username or "").lower() == name
                ),
                None,
            )
        return self.chats.get(chat_id)

    # -- messages ------------------------------------------------------------------------------
    def new_message(self, chat: Chat, from_user: User | None) -> SentMessage:
        """Allocate the next message id of ``chat`` (ids increase per chat, as in Telegram)."""
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message = SentMessage(message_id=message_id, chat_id=chat.id, date=now(), from_user=from_user)
        self.timeline.setdefault(chat.id, []).append(message)
        return message

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in self.timeline.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def message_api(self, message: SentMessage, depth: int = 0) -> JSON:
        """Serialise a message exactly as the Bot API would return it."""
        chat = self.chats[message.chat_id]
        data: JSON = {
            "message_id": message.message_id,
            "from": (message.from_user or self.bot).to_api(),
            "chat": chat.to_api(),
            "date": message.date,
        }
        if message.message_thread_id is not None:
            data["message_thread_id"] = message.message_thread_id
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.media is not None and message.media_kind is not None:
            data[message.media_kind] = message.media.api
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.media_group_id:
            data["media_group_id"] = message.media_group_id
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_to_message_id is not None and depth == 0:
            replied = self.find_message(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_api(replied, depth + 1)
        data.update(message.extra)
        return data

    # -- files ---------------------------------------------------------------------------------
    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Keep uploaded bytes under a fresh ``file_id``; equal bytes share one ``file_unique_id``."""
        prefix = {"photo": "AgAC", "video": "BAAC", "document": "BQAC"}.get(kind, "CAAC")
        file_id = prefix + secrets.token_urlsafe(24)
        unique = "AQAD" + hashlib.sha256(data).hexdigest()[:12]
        extension = {"photo": "jpg", "video": "mp4"}.get(kind, "bin")
        path = f"{kind}s/file_{len(self.files)}.{extension}"
        stored = StoredFile(file_id, unique, data, kind, path, file_name, mime_type, width, height)
        self.files[file_id] = stored
        self.files_by_path[path] = stored
        return stored

    # -- updates -------------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: JSON) -> JSON:
        """Queue one update for getUpdates or the webhook pusher."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        self.touch()
        return update

    def enqueue_raw(self, update: JSON) -> JSON:
        """Queue an arbitrary update as given (tests send malformed ones); ``update_id`` filled in."""
        update = dict(update)
        update_id = update.setdefault("update_id", self._next_update_id)
        if isinstance(update_id, int):
            self._next_update_id = max(self._next_update_id, update_id + 1)
        self.updates.append(update)
        self.touch()
        return update

    def confirm(self, offset: int) -> None:
        """getUpdates ``offset`` semantics: drop confirmed updates (negative: keep the last -offset)."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [
                u for u in self.updates if isinstance(u.get("update_id"), int) and u["update_id"] >= offset
            ]

    def deliverable(self, limit: int) -> list[JSON]:
        """Pending updates of an allowed type; updates of other types are dropped like Telegram does."""
        self.updates = [
            u
            for u in self.updates
            if self.update_kind(u) in self.allowed_updates or self.update_kind(u) not in ALL_UPDATE_TYPES
        ]
        return self.updates[:limit]

    @staticmethod
    def update_kind(update: JSON) -> str:
        return next((key for key in update if key != "update_id"), "")
