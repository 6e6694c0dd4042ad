"""The web chat page of the offline demo and its small JSON API under ``/_playground/api``.

The page (``static/index.html`` + ``static/chat.js``, no CDN) polls these endpoints; a human playing
Alice or Bob goes through the same ``actions`` as the tests do. The API is documented in README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from . import actions
from .state import Chat, SentMessage, World

JSON = dict[str, Any]
_STATIC = {"index.html": "text/html", "chat.js": "text/javascript"}


def _static(name: str) -> bytes:
    return (Path(__file__).parent / "static" / name).read_bytes()


def message_view(world: World, message: SentMessage) -> JSON:
    """One message as the page renders it: flat fields, media as URLs, buttons as rows."""
    author = message.from_user or world.bot
    view: JSON = {
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "from": {"id": author.id, "first_name": author.first_name},
        "date": message.date,
        "text": message.text,
        "entities": message.entities,
        "caption": message.caption,
        "caption_entities": message.caption_entities,
        "media_kind": message.media_kind,
        "media_url": f"/_playground/api/files/{message.media.file_id}" if message.media else None,
        "file_name": message.media.file_name if message.media else None,
        "buttons": [
            [
                {k: b[k] for k in ("text", "callback_data", "url") if k in b}
                for b in row
                if isinstance(b, dict)
            ]
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            if isinstance(row, list)
        ],
        "edits": len(message.edits),
        "deleted": message.deleted,
        "silent": message.disable_notification,
        "service": None,
    }
    if "migrate_to_chat_id" in message.extra:
        view["service"] = f"Group upgraded to a supergroup ({message.extra['migrate_to_chat_id']})"
    elif "migrate_from_chat_id" in message.extra:
        view["service"] = f"Supergroup created from group {message.extra['migrate_from_chat_id']}"
    return view


def chat_view(chat: Chat) -> JSON:
    title = chat.title if chat.is_group else (chat.user.first_name if chat.user else str(chat.id))
    return {
        "id": chat.id,
        "type": chat.type,
        "title": title,
        "members": sorted(chat.members),
        "bot_status": chat.bot_status,
        "blocked": chat.blocked,
        "migrated_to": chat.migrated_to,
    }


class WebChat:
    """Handlers of the page and its JSON API over one ``World``."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=_static("index.html"), content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=_STATIC[name], charset="utf-8")

    async def state(self, request: web.Request) -> web.Response:
        world = self.world
        return web.json_response(
            {
                "version": world.version,
                "bot": world.bot.to_api(),
                "users": [u.to_api() for u in world.users.values()],
                "chats": [chat_view(c) for c in world.chats.values()],
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        chat = self._chat(request.match_info["chat_id"])
        timeline = self.world.timeline.get(chat.id, [])
        ids = {m.message_id for m in timeline}
        answers = [
            {"query_id": q.id, "text": q.text, "show_alert": q.show_alert, "message_id": q.message.message_id}
            for q in self.world.callback_queries.values()
            if q.answered and q.text and q.message.chat_id == chat.id and q.message.message_id in ids
        ]
        return web.json_response(
            {
                "version": self.world.version,
                "chat": chat_view(chat),
                "messages": [message_view(self.world, m) for m in timeline],
                "answers": answers,
            }
        )

    async def send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user_id"))
        chat = self._chat(body.get("chat_id"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _client_error("text is empty")
        try:
            message = actions.user_message(self.world, user, chat, text)
        except actions.ActionError as exc:
            raise _client_error(str(exc)) from None
        return web.json_response({"ok": True, "message": message_view(self.world, message)})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user_id"))
        chat = self._chat(body.get("chat_id"))
        message_id = body.get("message_id")
        message = self.world.find_message(chat.id, message_id) if isinstance(message_id, int) else None
        if message is None:
            raise _client_error("message not found")
        data = body.get("callback_data")
        try:
            query_id = actions.press_button(
                self.world, user, message, data if isinstance(data, str) else None
            )
        except actions.ActionError as exc:
            raise _client_error(str(exc)) from None
        return web.json_response({"ok": True, "query_id": query_id})

    async def file(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _body(self, request: web.Request) -> JSON:
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise _client_error("body must be JSON") from None
        if not isinstance(body, dict):
            raise _client_error("body must be a JSON object")
        return body

    def _user(self, value: Any) -> Any:
        try:
            return self.world.users[int(value)]
        except (TypeError, ValueError, KeyError):
            raise _client_error("unknown user_id") from None

    def _chat(self, value: Any) -> Chat:
        try:
            return self.world.chats[int(value)]
        except (TypeError, ValueError, KeyError):
            raise _client_error("unknown chat_id") from None


def _client_error(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"ok": False, "error": message}), content_type="application/json"
    )


def setup(app: web.Application, world: World) -> None:
    """Add the page and ``/_playground/api/*`` routes to the emulator's application."""
    chat = WebChat(world)
    app.router.add_get("/", chat.page)
    app.router.add_get("/_playground/static/{name}", chat.static)
    app.router.add_get("/_playground/api/state", chat.state)
    app.router.add_get("/_playground/api/chats/{chat_id}/messages", chat.messages)
    app.router.add_post("/_playground/api/send", chat.send)
    app.router.add_post("/_playground/api/press", chat.press)
    app.router.add_get("/_playground/api/files/{file_id}", chat.file)
