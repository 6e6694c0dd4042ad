"""Logging set-up: one line per event, and secrets scrubbed before anything is written.

Libraries log URLs (httpx logs every Bot API URL, which carries the bot token) and tokens can end up in
exception messages; the filter below is the last line of defence, on every handler.
"""

from __future__ import annotations

import logging
import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot token, in /bot<token>/ URLs or alone.
    (re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"), "<bot-token>"),
    # Netatmo access/refresh tokens: <24 hex>|<32 hex>.
    (re.compile(r"[0-9a-fA-F]{24}\|[0-9a-fA-F]{32}"), "<netatmo-token>"),
    # OAuth codes, states, secrets and tokens in query strings, forms or key=value log context.
    (
        re.compile(
            r"(?i)\b(code|state|access_token|refresh_token|client_secret|secret|key|token)=[^&\s,'\")]+"
        ),
        r"\1=<redacted>",
    ),
    # Bearer headers.
    (re.compile(r"(?i)bearer\s+[^\s'\"]+"), "Bearer <redacted>"),
    # Camera URLs carry their access part in the path: keep the host only.
    (re.compile(r"(https?://[^/\s'\"]+)/(restricted|_cam)/[^\s'\"]+"), r"\1/\2/<redacted>"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    """Rewrites each record's final message with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; the bot token is in it. Keep it for DEBUG only.
    logging.getLogger("httpx").setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
