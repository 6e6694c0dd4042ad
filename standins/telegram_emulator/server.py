"""The aiohttp routes of the fake Bot API: ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``.

Dispatch does what Telegram's front end does before a method runs: check the token (401), the method
name, case-insensitively (404), decode the parameters (400 on garbage), and log the call. Fault injection
sits here too, so a test can make any method answer 429/5xx/403 or hang without touching the handlers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .messaging import Handler
from .methods import HANDLERS
from .params import ApiError, Params, UploadedFile, decode_request
from .state import World

JSON = dict[str, Any]
log = logging.getLogger(__name__)

WORLD_KEY = web.AppKey("playground_world", World)

_METHODS = {name.lower(): (name, handler) for name, handler in HANDLERS.items()}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class RequestRecord:
    """One Bot API call as the emulator saw it (``time`` is ``time.monotonic()``)."""

    method: str
    params: JSON
    files: dict[str, UploadedFile]
    time: float
    status: int | None = None


@dataclass
class Fault:
    status: int
    retry_after: int | None
    description: str | None

    def error(self) -> ApiError:
        if self.status == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            description = self.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, description, {"retry_after": retry})
        parameters = {"retry_after": self.retry_after} if self.retry_after is not None else None
        default = _DEFAULT_DESCRIPTIONS.get(self.status, "Internal Server Error")
        return ApiError(self.status, self.description or default, parameters)


@dataclass
class Faults:
    """Queued failures and hangs per method name (lower-cased, like Telegram's method matching)."""

    failures: dict[str, deque[Fault]] = field(default_factory=dict)
    hangs: dict[str, deque[float]] = field(default_factory=dict)

    def fail_next(
        self, method: str, status: int, count: int, retry_after: int | None, description: str | None
    ) -> None:
        queue = self.failures.setdefault(method.lower(), deque())
        queue.extend(Fault(status, retry_after, description) for _ in range(count))

    def hang_next(self, method: str, seconds: float) -> None:
        self.hangs.setdefault(method.lower(), deque()).append(seconds)

    def pop_failure(self, method: str) -> Fault | None:
        queue = self.failures.get(method.lower())
        return queue.popleft() if queue else None

    def pop_hang(self, method: str) -> float | None:
        queue = self.hangs.get(method.lower())
        return queue.popleft() if queue else None


class BotApiServer:
    """Owns the request log and answers Bot API calls against one ``World``."""

    def __init__(self, world: World, faults: Faults) -> None:
        self.world = world
        self.faults = faults
        self.requests: list[RequestRecord] = []

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            return ApiError(401, "Unauthorized").response()
        entry = _METHODS.get(request.match_info["method"].lower())
        if entry is None:
            return ApiError(404, "Not Found").response()
        name, handler = entry
        try:
            params = await decode_request(request)
        except ApiError as exc:
            self.requests.append(RequestRecord(name, {}, {}, time.monotonic(), exc.status))
            return exc.response()
        record = RequestRecord(name, params.loggable(), dict(params.files), time.monotonic())
        self.requests.append(record)
        self.world.touch()
        work = asyncio.ensure_future(self._run(name, handler, params))
        work.add_done_callback(_retrieve_exception)
        try:
            # Like Telegram, a call whose client gave up (timeout) still takes effect: only the long
            # poll is cancelled with the connection (handler_cancellation), every other call is shielded.
            result = await (work if name == "getUpdates" else asyncio.shield(work))
        except ApiError as exc:
            record.status = exc.status
            self.world.touch()
            log.debug("bot api error method=%s status=%s description=%s", name, exc.status, exc.description)
            return exc.response()
        record.status = 200
        self.world.touch()
        return web.json_response({"ok": True, "result": result})

    async def _run(self, name: str, handler: Handler, params: Params) -> Any:
        hang = self.faults.pop_hang(name)
        if hang:
            await asyncio.sleep(hang)
        fault = self.faults.pop_failure(name)
        if fault is not None:
            raise fault.error()
        return await handler(self.world, params)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            return ApiError(401, "Unauthorized").response()
        stored = self.world.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return ApiError(404, "Not Found").response()
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    """A shielded call whose client left may fail unobserved; mark its error as seen."""
    if not task.cancelled():
        task.exception()


def create_app(world: World, faults: Faults) -> tuple[web.Application, BotApiServer]:
    """The Bot API application; the web chat routes are added by ``webchat.setup``."""
    app = web.Application(client_max_size=60 * 1024 * 1024)
    server = BotApiServer(world, faults)
    app[WORLD_KEY] = world
    app.router.add_route("*", "/bot{token}/{method}", server.handle_method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", server.handle_file)
    return app, server
