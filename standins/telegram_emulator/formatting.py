"""Telegram's HTML ``parse_mode``, checked loosely: plain text plus entities, or a 400 like Telegram's.

Only the tags Telegram documents are accepted, and they must nest properly; a bot that sends ``<br>`` or
an unclosed ``<b>`` fails here as it would in production. Offsets are in UTF-16 code units, as Telegram's.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .params import bad_request

JSON = dict[str, Any]

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.position = 0
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[JSON] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self.position}'
            )
        self.stack.append((tag, self.position, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise bad_request(
            f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self.position}'
        )

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise bad_request(
                f'can\'t parse entities: Unexpected end tag "{tag}" at byte offset {self.position}'
            )
        open_tag, start, attrs = self.stack.pop()
        if open_tag != tag:
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset {self.position}, "
                f'expected "</{open_tag}>", found "</{tag}>"'
            )
        length = self.position - start
        if length == 0:
            return
        entity: JSON = {"type": _TAGS[tag], "offset": start, "length": length}
        if tag == "a":
            href = attrs.get("href")
            if not href:
                return
            entity["url"] = href
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            return
        if tag == "pre" and "language" in attrs:
            entity["language"] = attrs["language"]
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.position += utf16_len(data)


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Return the visible text and its entities, or raise a 400 ``can't parse entities``."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\"")
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?")


def command_entities(text: str) -> list[JSON]:
    """A ``bot_command`` entity for a leading ``/command`` or ``/command@botname``."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def render(text: str, parse_mode: str | None, entities: list[Any] | None) -> tuple[str, list[JSON]]:
    """Text and entities as Telegram stores them for a send/edit with these parameters."""
    if entities:
        return text, [e for e in entities if isinstance(e, dict)]
    if parse_mode and parse_mode.upper() == "HTML":
        return parse_html(text)
    return text, []
