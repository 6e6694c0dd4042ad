"""Decoding Bot API requests the way Telegram does: form, multipart, JSON body or query string.

PTB sends every non-string field as JSON text inside a form field, and files as multipart parts named
after the parameter (or ``attach://name`` for media groups). Any malformed input must end as a 400
``Bad Request`` answer, never as a server error: the hypothesis test feeds random bodies through here.

Multipart bodies are parsed with the ``multipart`` package rather than aiohttp's ``request.post()``:
aiohttp parses each part's headers through the standard library's ``email`` package and spools file
parts to temporary files, which made the emulator, not the bot, the bottleneck of the alert benchmark.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import multipart
from aiohttp import web

JSON = dict[str, Any]

#: Fields whose form value is JSON text (decoded for the handlers and for the request log).
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "menu_button",
        "results",
    }
)


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ..., "parameters": ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    def response(self) -> web.Response:
        headers = {}
        if self.parameters and "retry_after" in self.parameters:
            headers["Retry-After"] = str(self.parameters["retry_after"])
        return web.json_response(self.payload(), status=self.status, headers=headers)


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part: PTB always sends a ``filename``."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Typed access to one request's parameters; every accessor raises ``ApiError(400)`` on bad input."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, (dict, list)):
            raise bad_request(f'field "{name}" must be of type String')
        return str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def json_object(self, name: str) -> JSON | None:
        value = self.json(name)
        if value is not None and not isinstance(value, dict):
            raise bad_request(f'field "{name}" must be a JSON object')
        return value

    def json_list(self, name: str) -> list[Any] | None:
        value = self.json(name)
        if value is not None and not isinstance(value, list):
            raise bad_request(f'field "{name}" must be a JSON array')
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def loggable(self) -> JSON:
        """Parameters for the request log: JSON fields decoded where they parse, files summarised."""
        logged: JSON = {}
        for name, value in self.values.items():
            if name in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            logged[name] = value
        return logged


async def decode_request(request: web.Request) -> Params:
    """Read GET query, urlencoded/multipart form or a JSON body into ``Params``."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, files)
    content_type = request.content_type
    try:
        if content_type == "application/json":
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            values.update(body)
        elif content_type == "multipart/form-data":
            _decode_multipart(request.headers.get("Content-Type", ""), await request.read(), values, files)
        elif content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file:  # aiohttp's temporary file: closed now, not whenever it is collected
                        data = value.file.read()
                    files[name] = UploadedFile(data, value.filename, value.content_type)
                else:
                    values[name] = value if isinstance(value, str) else bytes(value).decode()
        else:
            await request.read()
    except ApiError:
        raise
    except web.HTTPException:
        raise
    except Exception as exc:
        raise bad_request(f"can't parse request body: {type(exc).__name__}") from None
    return Params(values, files)


def _decode_multipart(
    header: str, body: bytes, values: dict[str, Any], files: dict[str, UploadedFile]
) -> None:
    """Parts with a file name are files (as aiohttp and Telegram have it), the others UTF-8 text."""
    boundary = multipart.parse_options_header(header)[1].get("boundary")
    if not boundary:
        raise bad_request("can't parse request body: no multipart boundary")
    segment: multipart.MultipartSegment | None = None
    chunks: list[bytes] = []
    with multipart.PushMultipartParser(boundary, max_segment_count=1000) as parser:
        for event in [*parser.parse(body), *parser.parse(b"")]:
            if isinstance(event, multipart.MultipartSegment):
                segment, chunks = event, []
            elif event:
                chunks.append(bytes(event))
            elif segment is not None:  # None: the end of the segment
                data = b"".join(chunks)
                if segment.filename is not None:
                    files[segment.name] = UploadedFile(data, segment.filename, segment.content_type)
                else:
                    values[segment.name] = data.decode()
