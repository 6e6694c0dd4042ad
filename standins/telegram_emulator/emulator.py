"""``BotApiEmulator``: the test-facing API of the local Telegram Bot API.

End-to-end tests start one emulator, point the real PTB Application at ``base_url``, then act as users
(``send_message``, ``press_button``) and await what the bot did (``wait_for_message``, ``wait_for_edit``,
``wait_for_callback_answer``). Everything is in-process and on 127.0.0.1, so a test can also inspect the
raw request log and inject faults.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from . import actions, webchat
from .server import Faults, RequestRecord, create_app
from .state import JSON, CallbackQuery, Chat, SentMessage, User, WebhookDelivery, World
from .updates import WebhookPusher

T = TypeVar("T")
ChatRef = Chat | int


@dataclass(frozen=True)
class DemoCast:
    """The users and chats of the offline demo."""

    alice: User
    bob: User
    alice_chat: Chat
    bob_chat: Chat
    family: Chat


class BotApiEmulator:
    """A Telegram Bot API on 127.0.0.1 that PTB talks to unchanged, with hooks for tests."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "netatmo_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_first_name: str = "Netatmo Test Bot",
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.world = World(token, bot_username, bot_first_name)
        self.faults = Faults()
        self.app, self._server = create_app(self.world, self.faults)
        webchat.setup(self.app, self.world)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._pusher = WebhookPusher(self.world, retry_delay=webhook_retry_delay)
        self._consumed: set[tuple[int, int]] = set()
        self._edits_seen: dict[tuple[int, int], int] = {}

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; read ``base_url`` afterwards)."""
        # handler_cancellation: stopping must not wait for a pending getUpdates long poll.
        self._runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._pusher.start()

    async def stop(self) -> None:
        await self._pusher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def bot(self) -> User:
        return self.world.bot

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url`` (PTB appends the token)."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_file_url``."""
        return f"{self.base_url}/file/bot"

    # -- building the world --------------------------------------------------------------------
    def add_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        return self.world.add_user(first_name, user_id, username, language_code)

    def private_chat(self, user: User) -> Chat:
        return self.world.private_chat(user)

    def add_group(
        self,
        title: str,
        members: Iterable[User],
        *,
        admins: Iterable[User] = (),
        supergroup: bool = False,
        creator: User | None = None,
        bot_is_admin: bool = False,
    ) -> Chat:
        """A group with the bot already in it; ``creator`` defaults to the first member."""
        members = list(members)
        admin_ids = {u.id for u in admins}
        owner = creator or (members[0] if members else None)
        statuses = {}
        for user in [*members, *admins]:
            statuses[user.id] = "administrator" if user.id in admin_ids else "member"
        if owner is not None:
            statuses[owner.id] = "creator"
        chat = Chat(
            id=self.world.new_group_id(supergroup),
            type="supergroup" if supergroup else "group",
            title=title,
            members=statuses,
            bot_status="administrator" if bot_is_admin else "member",
        )
        return self.world.add_chat(chat)

    def block_bot(self, user: User) -> None:
        actions.block(self.world, self.private_chat(user))

    def unblock_bot(self, user: User) -> None:
        actions.unblock(self.world, self.private_chat(user))

    def kick_bot(self, chat: ChatRef, by: User | None = None) -> None:
        actions.kick_bot(self.world, self.chat(chat), by)

    async def add_bot_to_group(self, chat: ChatRef, by: User | None = None, *, admin: bool = False) -> None:
        actions.add_bot(self.world, self.chat(chat), by, admin=admin)

    def migrate_chat(self, chat: ChatRef) -> int:
        """Upgrade a basic group to a supergroup; returns the new chat id."""
        return actions.migrate(self.world, self.chat(chat)).id

    def chat(self, chat: ChatRef) -> Chat:
        found = self.world.chats.get(chat if isinstance(chat, int) else chat.id)
        if found is None:
            raise KeyError(f"unknown chat {chat!r}")
        return found

    def seed_demo(self) -> DemoCast:
        """Alice and Bob with private chats, and a "Family" group with both (Alice is the creator)."""
        alice = self.add_user("Alice", username="alice")
        bob = self.add_user("Bob", username="bob")
        family = self.add_group("Family", [alice, bob])
        return DemoCast(alice, bob, self.private_chat(alice), self.private_chat(bob), family)

    # -- acting as users -----------------------------------------------------------------------
    async def send_message(
        self, user: User, chat: ChatRef | None, text: str, *, mention_bot: bool | None = None
    ) -> JSON:
        """``user`` writes ``text`` in ``chat`` (their private chat when ``None``); returns the Message."""
        target = self.private_chat(user) if chat is None else self.chat(chat)
        message = actions.user_message(self.world, user, target, text, mention_bot=mention_bot)
        await asyncio.sleep(0)
        return self.world.message_api(message)

    async def press_button(
        self,
        user: User,
        message: SentMessage | JSON,
        callback_data: str | None = None,
        *,
        text: str | None = None,
    ) -> str:
        """Press a button by data or label (forged data is sent as is); returns the callback query id."""
        target = self._message(message)
        query_id = actions.press_button(self.world, user, target, callback_data, text=text)
        await asyncio.sleep(0)
        return query_id

    async def send_update(self, update: JSON) -> JSON:
        """Queue an arbitrary (even malformed) update; an ``update_id`` is assigned when missing."""
        update = self.world.enqueue_raw(update)
        await asyncio.sleep(0)
        return update

    # -- what the bot did ----------------------------------------------------------------------
    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in ``chat`` in their current state."""
        return [
            m
            for m in self.world.timeline.get(self.chat(chat).id, [])
            if m.from_bot and (include_deleted or not m.deleted)
        ]

    def timeline(self, chat: ChatRef) -> list[SentMessage]:
        """Every message in ``chat``: the users' and the bot's, deleted ones included."""
        return list(self.world.timeline.get(self.chat(chat).id, []))

    @property
    def requests(self) -> list[RequestRecord]:
        return self._server.requests

    def calls(self, method: str) -> list[RequestRecord]:
        """The logged calls of one method (case-insensitive name)."""
        return [r for r in self._server.requests if r.method.lower() == method.lower()]

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self.world.webhook_deliveries

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self.world.updates)

    def callback_query(self, query_id: str) -> CallbackQuery:
        return self.world.callback_queries[query_id]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        key = json.dumps([scope or {"type": "default"}, language_code], sort_keys=True)
        return self.world.commands.get(key, [])

    async def wait_for(self, condition: Callable[[], T | None], timeout: float = 5.0, what: str = "") -> T:  # noqa: ASYNC109
        """Poll ``condition`` on every state change until it returns non-None; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = condition()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition!r}")
            await self.world.wait_changed(min(remaining, 0.5))

    async def wait_for_message(
        self,
        chat: ChatRef,
        *,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """The next bot message in ``chat`` not returned before (and matching ``predicate``)."""
        chat_id = self.chat(chat).id

        def find() -> SentMessage | None:
            for message in self.world.timeline.get(chat_id, []):
                key = (chat_id, message.message_id)
                if (
                    message.from_bot
                    and key not in self._consumed
                    and (predicate is None or predicate(message))
                ):
                    self._consumed.add(key)
                    return message
            return None

        return await self.wait_for(find, timeout, f"a bot message in chat {chat_id}")

    async def wait_for_edit(self, message: SentMessage | JSON, *, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """Wait until ``message`` has an edit not returned before; returns it in its edited state."""
        target = self._message(message)
        key = (target.chat_id, target.message_id)

        def find() -> SentMessage | None:
            seen = self._edits_seen.get(key, 0)
            if len(target.edits) > seen:
                self._edits_seen[key] = len(target.edits)
                return target
            return None

        return await self.wait_for(find, timeout, f"an edit of message {key}")

    async def wait_for_callback_answer(self, query_id: str, *, timeout: float = 5.0) -> CallbackQuery:  # noqa: ASYNC109
        def find() -> CallbackQuery | None:
            query = self.world.callback_queries.get(query_id)
            return query if query is not None and query.answered else None

        return await self.wait_for(find, timeout, f"an answer to callback query {query_id}")

    # -- faults --------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (429 carries ``retry_after``)."""
        self.faults.fail_next(method, status, count, retry_after, description)

    def hang_next(self, method: str, seconds: float) -> None:
        """The next call of ``method`` waits ``seconds`` before being answered."""
        self.faults.hang_next(method, seconds)

    def _message(self, message: SentMessage | JSON) -> SentMessage:
        if isinstance(message, SentMessage):
            return message
        chat_id = int(message["chat"]["id"])
        found = self.world.find_message(chat_id, int(message["message_id"]))
        if found is None:
            raise KeyError(f"unknown message {message.get('message_id')} in chat {chat_id}")
        return found
