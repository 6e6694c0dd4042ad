"""Value types of the emulated Telegram: users, chats, files, messages, button presses, webhooks.

They are plain mutable dataclasses that serialise themselves to Telegram's JSON shapes (``to_api``);
the ``World`` in ``state`` holds them. None of this is shared with the bot's own model of Telegram.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

#: Update types delivered when the bot never chose ``allowed_updates`` (Telegram's default).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "chat_join_request",
    }
)
#: Every update type Telegram knows; a raw update of another shape is always delivered (tests need that).
ALL_UPDATE_TYPES = DEFAULT_ALLOWED_UPDATES | {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "purchased_paid_media",
}


def now() -> int:
    """Telegram dates are Unix time in whole seconds (PTB rejects milliseconds)."""
    return int(time.time())


@dataclass
class User:
    """A Telegram user (or the bot itself when ``is_bot``)."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    last_name: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    """A private chat with one user, or a group/supergroup with members and their statuses."""

    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    blocked: bool = False
    migrated_to: int | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def instance(self) -> str:
        """A stable ``chat_instance`` for callback queries from this chat (PTB requires one)."""
        return str(int(hashlib.sha256(f"instance:{self.id}".encode()).hexdigest()[:15], 16))

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or ""
        return data

    def full_info(self) -> JSON:
        """``getChat`` answers a ChatFullInfo; PTB 22 requires these extra fields."""
        data = self.to_api()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data


@dataclass
class StoredFile:
    """Bytes the bot uploaded (or the emulator generated), addressable by ``file_id`` and ``file_path``."""

    file_id: str
    file_unique_id: str
    data: bytes
    kind: str
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    #: the Telegram object(s) describing this file: a PhotoSize list for photos, else one dict
    api: Any = None


@dataclass(frozen=True)
class MessageEdit:
    """The state of a message right after one edit (the history tests look at)."""

    method: str
    date: int
    text: str | None
    caption: str | None
    reply_markup: JSON | None
    media_file_id: str | None


@dataclass
class SentMessage:
    """One message in a chat; ``from_user is None`` means the bot sent it."""

    message_id: int
    chat_id: int
    date: int
    from_user: User | None = None
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    parse_mode: str | None = None
    media_kind: str | None = None
    media: StoredFile | None = None
    was_upload: bool = False
    reply_markup: JSON | None = None
    disable_notification: bool = False
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None
    media_group_id: str | None = None
    edit_date: int | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    deleted: bool = False
    extra: JSON = field(default_factory=dict)

    @property
    def from_bot(self) -> bool:
        return self.from_user is None

    @property
    def photo_bytes(self) -> bytes | None:
        return self.media.data if self.media_kind == "photo" and self.media else None

    @property
    def photo_file_id(self) -> str | None:
        return self.media.file_id if self.media_kind == "photo" and self.media else None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline buttons flattened row by row as ``(label, callback_data or url)``."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (str(b.get("text", "")), b.get("callback_data", b.get("url")))
            for row in rows
            for b in row
            if isinstance(b, dict)
        ]

    def record_edit(self, method: str) -> None:
        self.edit_date = now()
        media_id = self.media.file_id if self.media else None
        self.edits.append(
            MessageEdit(method, self.edit_date, self.text, self.caption, self.reply_markup, media_id)
        )


@dataclass
class CallbackQuery:
    """A button press and, once the bot answered it, what it answered."""

    id: str
    user: User
    message: SentMessage
    data: str | None
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST the emulator made to the bot's webhook (so tests can see a rejected secret)."""

    update_id: int
    url: str
    secret_token: str | None
    status: int | None
    error: str | None
