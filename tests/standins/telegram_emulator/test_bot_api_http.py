"""The emulator's HTTP surface seen raw: envelopes, status codes, getUpdates semantics, body formats."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from standins.telegram_emulator import BotApiEmulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emu: BotApiEmulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with http.post(f"{emu.api_url}{emu.token}/{method}", data=form) as response:
        return response.status, await response.json()


def _picture(size: tuple[int, int], colour: str, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


async def test_envelopes_and_status_codes(emulator: BotApiEmulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{emulator.api_url}999:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    status, body = await call(http, emulator, "noSuchMethod")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await call(http, emulator, "GETME")  # method names are case-insensitive
    assert status == 200 and body["result"]["is_bot"] is True
    emulator.fail_next("getMe", 429, retry_after=3)
    async with http.get(f"{emulator.api_url}{emulator.token}/getMe") as response:
        assert response.status == 429 and response.headers["Retry-After"] == "3"
        body = await response.json()
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }


async def test_json_body_and_get_query(emulator: BotApiEmulator, http: aiohttp.ClientSession) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = f"{emulator.api_url}{emulator.token}/sendMessage"
    async with http.post(url, json={"chat_id": chat.id, "text": "json", "reply_markup": markup}) as response:
        body = await response.json()
    assert body["result"]["reply_markup"] == markup
    assert isinstance(body["result"]["date"], int) and body["result"]["date"] < 10_000_000_000
    async with http.get(url, params={"chat_id": str(chat.id), "text": "query"}) as response:
        assert (await response.json())["result"]["message_id"] == 2
    assert emulator.calls("sendMessage")[0].params["reply_markup"] == markup


async def test_get_updates_offset_limit_and_long_poll(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emulator.add_user("Alice")
    chat = emulator.private_chat(alice)
    for text in ("one", "two", "three"):
        await emulator.send_message(alice, chat, text)

    async def ids(**params: Any) -> list[int]:
        status, body = await call(http, emulator, "getUpdates", **params)
        assert status == 200
        return [u["update_id"] for u in body["result"]]

    assert await ids() == [1, 2, 3]
    assert await ids() == [1, 2, 3]  # not confirmed yet
    assert await ids(offset=2) == [2, 3]  # confirms 1
    assert await ids(offset=2, limit=1) == [2]
    assert await ids(offset=-1) == [3]  # keeps only the last one
    assert await ids(offset=4) == []

    started = time.monotonic()
    assert await ids(offset=4, timeout=0.3) == []
    assert time.monotonic() - started >= 0.25

    async def later() -> None:
        await asyncio.sleep(0.2)
        await emulator.send_message(alice, chat, "four")

    task = asyncio.create_task(later())
    started = time.monotonic()
    assert await ids(offset=4, timeout=5) == [4]  # the long poll returns as soon as one arrives
    assert time.monotonic() - started < 2
    await task

    await emulator.send_message(alice, chat, "five")
    assert await ids(offset=5, allowed_updates=["callback_query"]) == []  # messages filtered out
    message = emulator.world.new_message(chat, None)
    message.text = "bot"
    query_id = await emulator.press_button(alice, message, "x")
    _status, body = await call(http, emulator, "getUpdates", offset=5)
    assert [u["callback_query"]["id"] for u in body["result"]] == [query_id]
    assert body["result"][0]["callback_query"]["chat_instance"]


async def test_raw_and_malformed_updates_are_delivered(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    await emulator.send_update({"message": {"text": "no chat, no date"}})
    await emulator.send_update({"update_id": 77, "weird": True})
    _status, body = await call(http, emulator, "getUpdates")
    assert body["result"] == [
        {"update_id": 1, "message": {"text": "no chat, no date"}},
        {"update_id": 77, "weird": True},
    ]


async def test_photo_from_loopback_url_and_file_download(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    chat = emulator.private_chat(emulator.add_user("Alice"))
    red = _picture((100, 50), "red", "PNG")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat.id))
    form.add_field("photo", red, filename="red.png", content_type="image/png")
    async with http.post(f"{emulator.api_url}{emulator.token}/sendPhoto", data=form) as response:
        first = (await response.json())["result"]
    status, body = await call(http, emulator, "getFile", file_id=first["photo"][-1]["file_id"])
    file_url = f"{emulator.file_url}{emulator.token}/{body['result']['file_path']}"
    status, body = await call(http, emulator, "sendPhoto", chat_id=chat.id, photo=file_url)
    assert status == 200
    assert emulator.messages(chat)[1].photo_bytes == red
    status, body = await call(http, emulator, "sendPhoto", chat_id=chat.id, photo="AgACnonsense")
    assert (status, body["description"]) == (400, "Bad Request: wrong file identifier/HTTP URL specified")
    status, body = await call(
        http, emulator, "sendDocument", chat_id=chat.id, document=first["photo"][0]["file_id"]
    )
    assert status == 400 and "can't use file of type Photo as Document" in body["description"]


async def test_multipart_fields_files_and_broken_bodies(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    """Text parts become parameters (UTF-8, JSON fields decoded), parts with a file name become files."""
    chat = emulator.private_chat(emulator.add_user("Alice"))
    blue = _picture((64, 32), "blue", "JPEG")
    markup = {"inline_keyboard": [[{"text": "Sourdine 1 h", "callback_data": "m:1"}]]}
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat.id))
    form.add_field("caption", "Caméra du jardin ✓")
    form.add_field("reply_markup", json.dumps(markup))
    form.add_field("photo", blue, filename="snapshot.jpg", content_type="image/jpeg")
    url = f"{emulator.api_url}{emulator.token}/sendPhoto"
    async with http.post(url, data=form) as response:
        assert response.status == 200
        result = (await response.json())["result"]
    assert result["caption"] == "Caméra du jardin ✓"
    assert result["reply_markup"] == markup
    assert emulator.messages(chat)[0].photo_bytes == blue
    assert (result["photo"][-1]["width"], result["photo"][-1]["height"]) == (64, 32)

    boundary = "b0undary"
    whole = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n{chat.id}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--{boundary}--\r\n'
    ).encode()
    for content_type, body, wanted in [
        (f"multipart/form-data; boundary={boundary}", whole, 200),
        (f"multipart/form-data; boundary={boundary}", whole[: len(whole) // 2], 400),  # truncated
        ("multipart/form-data", whole, 400),  # no boundary
        (f"multipart/form-data; boundary={boundary}", whole.replace(b"hi", b"\xff\xfe"), 400),  # not UTF-8
    ]:
        async with http.post(
            f"{emulator.api_url}{emulator.token}/sendMessage",
            data=body,
            headers={"Content-Type": content_type},
        ) as response:
            answer = await response.json()
        assert response.status == wanted, answer
        if wanted == 400:
            assert answer["description"].startswith("Bad Request: can't parse request body")
    assert [m.text for m in emulator.messages(chat)[1:]] == ["hi"]
