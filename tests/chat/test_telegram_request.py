"""AiohttpRequest under a real ``telegram.Bot``, against the Bot API emulator on 127.0.0.1.

What the bot relies on: the Bot API parses what is sent (form fields, multipart uploads, attach://
parts), error answers become PTB's exceptions, and timeouts and dead servers raise TimedOut/NetworkError
(the delivery worker retries on those).
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.chat.telegram_request import AiohttpRequest, _encode
from standins.telegram_emulator.params import UploadedFile, _decode_multipart

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Mute 1 h", callback_data="mute:1h"),
            InlineKeyboardButton("Open", url="https://example.org"),
        ]
    ]
)
TOKEN = "123456:TEST-TOKEN"
MakeBot = Callable[..., Bot]


def jpeg(color: str, size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
async def make_bot(emulator: Any) -> AsyncIterator[MakeBot]:
    """Bots on AiohttpRequest (for getUpdates too); every transport is shut down after the test, also
    those a never-initialised Bot opened lazily (Bot.shutdown skips them)."""
    requests: list[AiohttpRequest] = []

    def make(base_url: str | None = None, **request_kwargs: Any) -> Bot:
        pair = [AiohttpRequest(trust_env=False, **request_kwargs) for _ in range(2)]
        requests.extend(pair)
        return Bot(
            emulator.token,
            base_url=base_url or emulator.api_url,
            base_file_url=emulator.file_url,
            request=pair[0],
            get_updates_request=pair[1],
        )

    yield make
    for request in requests:
        await request.shutdown()


async def test_get_me_and_a_formatted_message_with_a_keyboard(emulator: Any, make_bot: MakeBot) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    async with make_bot() as bot:
        me = await bot.get_me()
        sent = await bot.send_message(
            chat.id, "<b>Front door</b>: motion & a person 👤", parse_mode="HTML", reply_markup=KEYBOARD
        )
    assert me.username == emulator.bot.username and me.is_bot
    assert sent.text == "Front door: motion & a person 👤"
    assert sent.entities == (MessageEntity(MessageEntity.BOLD, 0, 10),)
    stored = emulator.messages(chat)
    assert [m.text for m in stored] == [sent.text]
    assert stored[0].buttons == [("Mute 1 h", "mute:1h"), ("Open", "https://example.org")]
    (call,) = emulator.calls("sendMessage")
    assert call.params["chat_id"] == str(chat.id) and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == json.loads(KEYBOARD.to_json())


async def test_photo_upload_then_resend_by_file_id(emulator: Any, make_bot: MakeBot) -> None:
    anna, ben = emulator.add_user("Anna"), emulator.add_user("Ben")
    picture = jpeg("teal", (640, 480))
    async with make_bot() as bot:
        first = await bot.send_photo(
            emulator.private_chat(anna).id, picture, caption="Garden: animal", filename="garden.jpg"
        )
        again = await bot.send_photo(emulator.private_chat(ben).id, first.photo[-1].file_id, caption="again")
    upload, by_id = emulator.calls("sendPhoto")
    assert upload.files["photo"].data == picture and len(upload.files["photo"].data) == len(picture)
    assert (upload.files["photo"].filename, upload.files["photo"].content_type) == (
        "garden.jpg",
        "image/jpeg",
    )
    assert upload.params == {"chat_id": str(emulator.private_chat(anna).id), "caption": "Garden: animal"}
    assert by_id.files == {} and by_id.params["photo"] == first.photo[-1].file_id
    (for_anna,) = emulator.messages(emulator.private_chat(anna))
    (for_ben,) = emulator.messages(emulator.private_chat(ben))
    assert for_anna.was_upload and for_anna.photo_bytes == picture and for_anna.caption == "Garden: animal"
    assert not for_ben.was_upload and for_ben.photo_bytes == picture and for_ben.caption == "again"
    assert first.photo[-1].width == 640 and again.photo[-1].file_id == first.photo[-1].file_id


async def test_edit_message_media_uploads_through_attach(emulator: Any, make_bot: MakeBot) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    late = jpeg("orange")
    async with make_bot() as bot:
        text = await bot.send_message(chat.id, "Movement at the door")
        edited = await bot.edit_message_media(
            InputMediaPhoto(late, caption="Movement at the door", filename="late.jpg"),
            chat_id=chat.id,
            message_id=text.message_id,
            reply_markup=KEYBOARD,
        )
    (call,) = emulator.calls("editMessageMedia")
    attach = call.params["media"]["media"]
    assert attach.startswith("attach://") and list(call.files) == [attach.removeprefix("attach://")]
    assert call.files[attach.removeprefix("attach://")].data == late
    (stored,) = emulator.messages(chat)
    assert stored.text is None and stored.photo_bytes == late and stored.caption == "Movement at the door"
    assert stored.buttons[0] == ("Mute 1 h", "mute:1h")
    assert edited.caption == "Movement at the door" and edited.photo


async def test_error_answers_become_ptb_exceptions(emulator: Any, make_bot: MakeBot) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    emulator.fail_next("sendMessage", 429, retry_after=7)
    emulator.fail_next("sendMessage", 502)
    emulator.fail_next("sendMessage", 500, description="Internal Server Error: restart")
    emulator.fail_next("sendMessage", 403)
    async with make_bot() as bot:
        with pytest.raises(RetryAfter) as throttled:
            await bot.send_message(chat.id, "one")
        with pytest.raises(NetworkError, match="Bad Gateway") as gateway:
            await bot.send_message(chat.id, "two")
        with pytest.raises(NetworkError, match="restart"):
            await bot.send_message(chat.id, "three")
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(chat.id, "four")
        await bot.send_message(chat.id, "five")
    assert throttled.value.retry_after == timedelta(seconds=7)
    assert not isinstance(gateway.value, TimedOut)
    assert [c.status for c in emulator.calls("sendMessage")] == [429, 502, 500, 403, 200]
    assert [m.text for m in emulator.messages(chat)] == ["five"]


async def test_a_hung_call_times_out_after_the_read_timeout(emulator: Any, make_bot: MakeBot) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    emulator.hang_next("sendMessage", 3.0)
    emulator.hang_next("sendMessage", 3.0)
    async with make_bot(read_timeout=1.0) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(chat.id, "slow")
        waited = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(TimedOut):  # a per-call read timeout replaces the instance's
            await bot.send_message(chat.id, "slower", read_timeout=0.1)
        waited_override = time.monotonic() - started
        await bot.send_message(chat.id, "fast")  # the transport is still usable
    # Bounds with room for a busy machine: each call ends at its own read timeout, well before the hang.
    assert 1.0 <= waited < 2.9 and 0.1 <= waited_override < 0.9
    # like Telegram, the emulator still carries out the calls the client gave up on
    await emulator.wait_for(lambda: len(emulator.messages(chat)) == 3 or None, timeout=3)
    assert sorted(m.text for m in emulator.messages(chat)) == ["fast", "slow", "slower"]


async def test_long_polling_waits_past_the_read_timeout(emulator: Any, make_bot: MakeBot) -> None:
    anna = emulator.add_user("Anna")
    async with make_bot(read_timeout=0.3) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()  # PTB adds the poll's timeout to the read timeout
        assert time.monotonic() - started >= 0.9
        await emulator.send_message(anna, None, "hello")
        (update,) = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "hello"


async def test_pool_timeout_when_every_connection_is_busy(emulator: Any, make_bot: MakeBot) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    emulator.hang_next("sendMessage", 2.0)  # long enough to outlast the pool timeout on a busy machine
    async with make_bot(connection_pool_size=1, pool_timeout=0.2) as bot:
        slow = asyncio.create_task(bot.send_message(chat.id, "holds the only connection"))
        await emulator.wait_for(lambda: emulator.calls("sendMessage") or None, timeout=2)
        with pytest.raises(TimedOut, match="Pool timeout") as caught:
            await bot.send_message(chat.id, "never sent")
        assert "not* sent" in caught.value.message
        await slow
        await bot.send_message(chat.id, "after")
    assert [m.text for m in emulator.messages(chat)] == ["holds the only connection", "after"]


async def test_a_closed_port_is_a_network_error_without_the_token(
    make_bot: MakeBot, free_port: Callable[[], int]
) -> None:
    bot = make_bot(base_url=f"http://127.0.0.1:{free_port()}/bot", connect_timeout=2.0)
    with pytest.raises(NetworkError) as caught:
        await bot.get_me()  # before initialize(): the session is opened on first use
    assert not isinstance(caught.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in caught.value.message
    assert TOKEN not in caught.value.message and "TEST-TOKEN" not in caught.value.message


async def test_a_stalled_upload_times_out_with_the_media_write_timeout(make_bot: MakeBot) -> None:
    """aiohttp has no write timeout; a peer that accepts but never reads must still end in TimedOut."""
    loop = asyncio.get_running_loop()
    accepted: list[socket.socket] = []

    async def accept(server: socket.socket) -> None:
        connection, _ = await loop.sock_accept(server)
        accepted.append(connection)  # never read from

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        acceptor = asyncio.create_task(accept(server))
        bot = make_bot(
            base_url=f"http://127.0.0.1:{server.getsockname()[1]}/bot",
            read_timeout=0.2,
            connect_timeout=0.2,
            write_timeout=60.0,  # must not apply: uploads use media_write_timeout
            media_write_timeout=0.4,
        )
        started = time.monotonic()
        try:
            with pytest.raises(TimedOut):
                async with asyncio.timeout(10):  # a TimeoutError here would not be PTB's TimedOut
                    await bot.send_document(1, b"\0" * (64 * 1024 * 1024), filename="big.bin")
            waited = time.monotonic() - started
        finally:
            acceptor.cancel()
            for connection in accepted:
                connection.close()
    assert 0.75 <= waited < 5.0  # connect + media write + read = 0.8 s, plus building 64 MB of multipart


async def test_shutdown_then_initialize_again(emulator: Any) -> None:
    chat = emulator.private_chat(emulator.add_user("Anna"))
    request = AiohttpRequest(trust_env=False)
    bot = Bot(emulator.token, base_url=emulator.api_url, request=request)
    await bot.initialize()
    await request.initialize()  # idempotent
    await bot.send_message(chat.id, "first")
    await bot.shutdown()
    await request.shutdown()  # idempotent
    with pytest.raises(NetworkError, match="not initialized"):  # as with httpx: no silent reopening
        await bot.send_message(chat.id, "lost")
    await bot.initialize()
    await bot.send_message(chat.id, "second")
    await bot.shutdown()
    assert [m.text for m in emulator.messages(chat)] == ["first", "second"]
    assert request.read_timeout == 5.0


class _Recorder(BaseRequest):
    """A transport that keeps what PTB asks it to send and answers with a minimal message."""

    def __init__(self) -> None:
        self.seen: list[RequestData | None] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        self.seen.append(request_data)
        message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
        return 200, json.dumps({"ok": True, "result": message}).encode()


SENDS: list[Callable[[Bot], Awaitable[Any]]] = [
    lambda bot: bot.send_photo(  # an alert: text fields, a keyboard as JSON, the snapshot
        7000001,
        jpeg("teal"),
        filename="snapshot.jpg",
        caption="<b>Caméra du jardin</b> ✓ personne",
        parse_mode="HTML",
        disable_notification=True,
        reply_markup=KEYBOARD,
    ),
    # a file name that needs escaping: quotes, a backslash, a control character, accents
    lambda bot: bot.send_document(-100123, b"%PDF-1.4 ...", filename='rapport "mai"\\été\x01.pdf'),
    lambda bot: bot.send_message(1, "a&b=c ✓", reply_markup=KEYBOARD),  # no file: form-urlencoded
    # a body above 1 MiB goes as a file object
    lambda bot: bot.send_document(1, bytes(range(256)) * 5000, filename="big.bin"),
]


@pytest.mark.parametrize("send", SENDS)
async def test_bodies_are_those_httpx_would_send(send: Callable[[Bot], Awaitable[Any]]) -> None:
    """PTB's default transport is httpx with ``data=json_parameters, files=multipart_data``: the bytes
    sent here are the same (given the same boundary), so the Bot API sees what it sees from PTB."""
    recorder = _Recorder()
    await send(Bot(TOKEN, request=recorder))
    (data,) = recorder.seen
    assert data is not None
    expected = httpx.Request(
        "POST", "http://127.0.0.1/", data=data.json_parameters, files=data.multipart_data or None
    )
    expected_body = expected.read()
    content_type = expected.headers["Content-Type"]
    boundary = content_type.split("boundary=")[1] if "boundary=" in content_type else None
    body, headers = _encode(data, data.multipart_data, boundary=boundary)
    raw = body.getvalue() if isinstance(body, io.BytesIO) else body
    assert raw == expected_body
    assert isinstance(body, io.BytesIO) == (len(expected_body) > 2**20)
    assert headers is not None and headers["Content-Type"] == content_type


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_PLAIN_NAME = st.text(  # what is sent unescaped: no quote, backslash or control character
    st.characters(blacklist_categories=("Cs", "Cc")).filter(lambda c: c not in '"\\'), min_size=1, max_size=20
)


@settings(max_examples=150, deadline=None)
@given(
    fields=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), _TEXT, max_size=6),
    filename=_PLAIN_NAME,
    content=st.binary(max_size=2000),
)
def test_what_is_encoded_the_emulator_decodes_back(
    fields: dict[str, str], filename: str, content: bytes
) -> None:
    """The transport's multipart and the Bot API emulator's parser agree on any text and any bytes."""
    fields = {name: value for name, value in fields.items() if name != "document"}
    data = cast(RequestData, SimpleNamespace(json_parameters=fields))  # all `_encode` reads of it
    body, headers = _encode(data, {"document": (filename, content, "application/octet-stream")})
    assert isinstance(body, bytes) and headers is not None
    values: dict[str, Any] = {}
    uploads: dict[str, UploadedFile] = {}
    _decode_multipart(headers["Content-Type"], body, values, uploads)
    assert values == fields
    assert (uploads["document"].filename, uploads["document"].data) == (filename, content)
