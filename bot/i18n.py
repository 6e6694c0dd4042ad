"""The one translation function for user-visible text.

Texts are written in English in the code and looked up in gettext catalogs under `bot/locale/<lang>/
LC_MESSAGES/bot.mo`, chosen by the Telegram user's `language_code`. A missing catalog falls back to
English, so adding a language is only a matter of adding a catalog.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "bot"

Translate = Callable[[str], str]


@lru_cache(maxsize=64)
def translator(language_code: str | None) -> Translate:
    """Return the gettext function for a Telegram language code such as "fr" or "pt-br"."""
    languages = []
    if language_code:
        code = language_code.replace("-", "_")
        languages = [code, code.split("_")[0]]
    translation = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=languages, fallback=True)
    return translation.gettext


def catalog_languages() -> list[str]:
    """The languages with a compiled catalog, such as ["de", "fr"] (English is the source, not listed)."""
    return sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def N_(text: str) -> str:
    """Marks a text for the catalogs where it is written; it is translated later, where it is shown."""
    return text
