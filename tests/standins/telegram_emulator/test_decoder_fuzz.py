"""Random request bodies never crash the emulator: every answer is a Telegram envelope, never a 5xx.

The emulator runs in a thread with its own event loop so hypothesis can drive it with a plain sync
client (hypothesis and async function-scoped fixtures do not mix).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standins.telegram_emulator import BotApiEmulator

METHODS = [
    "sendMessage",
    "sendPhoto",
    "sendMediaGroup",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageMedia",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getChatMember",
    "getFile",
]
FIELDS = [
    "chat_id",
    "text",
    "reply_markup",
    "media",
    "parse_mode",
    "message_id",
    "photo",
    "entities",
    "callback_query_id",
    "commands",
    "user_id",
    "file_id",
    "reply_parameters",
    "caption",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/json",
    "text/plain",
]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[int]]]:
    """An emulator with Alice's chat and one bot message, served from a background thread."""
    ready = threading.Event()
    state: dict[str, object] = {}

    async def serve() -> None:
        async with BotApiEmulator() as emu:
            alice = emu.add_user("Alice")
            chat = emu.private_chat(alice)
            message = emu.world.new_message(chat, None)
            message.text = "hello"
            stop = asyncio.Event()
            state.update(
                url=f"{emu.api_url}{emu.token}", ids=[chat.id], loop=asyncio.get_running_loop(), stop=stop
            )
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield str(state["url"]), list(state["ids"])  # type: ignore[call-overload]
    loop = state["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    loop.call_soon_threadsafe(state["stop"].set)  # type: ignore[attr-defined]
    thread.join(10)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as c:
        yield c


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool)
    if not body["ok"]:
        assert body["error_code"] == response.status_code
        assert isinstance(body["description"], str) and body["description"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(METHODS), content_type=st.sampled_from(CONTENT_TYPES), body=st.binary(max_size=300)
)
def test_random_bodies_answer_400_not_500(
    server: tuple[str, list[int]], client: httpx.Client, method: str, content_type: str, body: bytes
) -> None:
    url, _ = server
    check(client.post(f"{url}/{method}", content=body, headers={"Content-Type": content_type}))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(METHODS),
    fields=st.dictionaries(
        st.sampled_from(FIELDS),
        st.text(max_size=40) | json_values.map(json.dumps) | st.sampled_from(["1", "10001", "attach://x"]),
        max_size=6,
    ),
)
def test_random_form_fields_answer_telegram_envelopes(
    server: tuple[str, list[int]], client: httpx.Client, method: str, fields: dict[str, str]
) -> None:
    url, chat_ids = server
    fields.setdefault("chat_id", str(chat_ids[0]))
    check(client.post(f"{url}/{method}", data=fields))
