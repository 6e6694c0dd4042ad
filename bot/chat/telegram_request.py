"""python-telegram-bot's transport on aiohttp instead of httpx.

PTB's default ``HTTPXRequest`` was the largest user of the bot's CPU in a burst of photo alerts, and
aiohttp is already the bot's HTTP stack, so the bot sends through aiohttp. ``AiohttpRequest`` copies what the
bot can observe of ``HTTPXRequest``: the timeouts and their defaults, the wire format (form-urlencoded fields;
multipart with the same fields plus the files when something is uploaded), non-2xx answers handed back for
``BaseRequest`` to raise ``RetryAfter``/``Forbidden``/``BadRequest``/…, and the exception classes:
``TimedOut`` for any timeout, ``NetworkError`` for everything else, which is what the delivery worker's retry
policy keys on.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to "
    "Telegram. Consider adjusting the connection pool size or the pool timeout."
)
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# httpx sends an empty POST (getMe, getUpdates without parameters) without a Content-Type; aiohttp
# would label it application/octet-stream.
_NO_BODY_HEADERS = ("Content-Type",)
# aiohttp warns (ResourceWarning) about bytes bodies above 1 MiB; it streams file objects in chunks.
_LARGE_BYTES = 2**20
# httpx's (HTML5) escaping of names and filenames in multipart: '"' and control characters
# percent-encoded, a backslash doubled.
_FORM_ESCAPES = str.maketrans(
    {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
)
# aiohttp puts the request URL in some error texts (httpx does not); the bot token is in its path, and
# NetworkError texts are logged and stored with outbox rows.
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s'\"]+")


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession``, created in the running loop by ``initialize``.

    Timeouts map onto aiohttp as follows. ``pool_timeout`` bounds the wait for one of
    ``connection_pool_size`` slots (a semaphore sized like the connector's limit, so a pool timeout is
    known not to have sent anything, as with httpx). ``connect_timeout`` bounds DNS, TCP and TLS set-up,
    ``read_timeout`` the silence between received chunks (aiohttp's ``sock_read``, httpx's read).
    aiohttp has no write timeout, so a stalled upload is cut off by a deadline of connect + write + read
    on getting the response head: it can only fire when one phase overran its own limit.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_shut_down",
        "_slots",
        "_trust_env",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        trust_env: bool = True,
        proxy: str | None = None,
    ) -> None:
        """``trust_env`` (proxy variables, .netrc) is on by default, as in httpx; off for a loopback API.

        ``connection_pool_size`` defaults to 1, enough for getUpdates; HTTPXRequest's is 256 since PTB 22.4,
        so size it to the concurrency of the sends (the bot uses 32).
        """
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._trust_env = trust_env
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._shut_down = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _open(self) -> aiohttp.ClientSession:
        """Sessions and semaphores belong to the loop they are first used in: build both here."""
        self._slots = asyncio.Semaphore(self._pool_size)
        self._session = aiohttp.ClientSession(
            # keepalive 5 s like httpx: a connection idle longer is more likely to be closed by the far end.
            connector=aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=5.0),
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies; skip the jar's work
            trust_env=self._trust_env,
            proxy=self._proxy,
        )
        self._shut_down = False
        return self._session

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._open()

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        self._shut_down = True
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP exchange: ``(status, body)`` for any status; TimedOut/NetworkError when none came."""
        session = self._session
        if session is None:
            if self._shut_down:  # like httpx: a request after shutdown is a bug, not a reason to reopen
                raise RuntimeError("This AiohttpRequest is not initialized!")
            session = self._open()
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = write_timeout
        if isinstance(write, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        body, headers = _encode(request_data, files)
        limits = aiohttp.ClientTimeout(connect=connect, sock_read=read)
        head_deadline = None if connect is None or write is None or read is None else connect + write + read

        slots = self._slots
        try:
            async with asyncio.timeout(pool):
                await slots.acquire()
        except TimeoutError as exc:
            raise TimedOut(_POOL_TIMEOUT) from exc
        try:
            async with asyncio.timeout(head_deadline):
                response = await session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    skip_auto_headers=_NO_BODY_HEADERS if body is None else None,
                    timeout=limits,
                    allow_redirects=False,
                )
            async with response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts subclass TimeoutError too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            text = f"aiohttp.{type(exc).__name__}: {exc}".replace(url, "<url>")
            raise NetworkError(_TOKEN_IN_PATH.sub("/bot<token>", text)) from exc
        finally:
            slots.release()


def _encode(
    request_data: RequestData | None, files: UploadFileDict | None, boundary: str | None = None
) -> tuple[bytes | io.BytesIO | None, dict[str, str] | None]:
    """The body httpx would send for ``data=json_parameters, files=multipart_data``, byte for byte.

    Without files: the JSON-encoded parameters form-urlencoded (nothing at all when there are none).
    With files: multipart, the parameters as plain fields first (no Content-Type of their own), then one
    part per file with its filename and mimetype; names and filenames escaped as httpx (and browsers)
    do, otherwise kept in UTF-8, which is how Telegram shows a document's name. Written out here rather
    than with ``aiohttp.FormData``, because a test can then compare the bytes with what httpx sends, and
    FormData's payload objects are a noticeable share of the cost of a photo. A body above 1 MiB goes as a
    file object, which aiohttp writes in chunks (a bytes body that large makes it warn).
    """
    if request_data is None:
        return None, None
    fields = request_data.json_parameters
    if not files:
        return (urlencode(fields).encode(), _FORM) if fields else (None, None)
    boundary = boundary or os.urandom(16).hex()
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: form-data; {_param('name', name)}\r\n\r\n".encode()
        )
        chunks.append(value.encode())
        chunks.append(b"\r\n")
    for name, (filename, content, mimetype) in files.items():
        head = f"--{boundary}\r\nContent-Disposition: form-data; {_param('name', name)}"
        if filename:
            head += f"; {_param('filename', filename)}"
        if mimetype:
            head += f"\r\nContent-Type: {mimetype}"
        chunks.append(f"{head}\r\n\r\n".encode())
        chunks.append(content if isinstance(content, bytes) else content.read())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    body = b"".join(chunks)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return (io.BytesIO(body) if len(body) > _LARGE_BYTES else body), headers


def _param(key: str, value: str) -> str:
    return f'{key}="{value.translate(_FORM_ESCAPES)}"'
