"""The translation catalogs: complete, faithful to the English (placeholders, HTML), compiled, and used.

English is the source language; French and German catalogs live in bot/locale. `make i18n` re-extracts
the texts and compiles the `.mo` files; these tests fail when someone forgot to run it or to translate.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.chat.commands import COMMANDS
from bot.domain.errors_text import _PERMISSION_BY_PREFIX
from bot.i18n import LOCALE_DIR, catalog_languages, translator
from bot.i18n_catalog import Entry, compile_mo, extract, parse_po, render_po, update_po
from bot.subscriptions.settings import GROUP_LABELS, PEOPLE_LABELS

LANGUAGES = ("fr", "de")
CATALOGS = catalog_languages()  # every shipped catalog must be complete, not only the two above
WELCOME = "Hi {name}! I watch your Netatmo home and keep your family in the loop."


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "bot.po"


def catalog(language: str) -> dict[str, Entry]:
    entries = parse_po(po_path(language).read_text(encoding="utf-8"))
    return {entry.msgid: entry for entry in entries if entry.msgid and not entry.obsolete}


@pytest.fixture(scope="module")
def texts() -> dict[str, list[str]]:
    return extract()


def fields(text: str) -> Counter[str]:
    return Counter(name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None)


def tags(text: str) -> Counter[str]:
    return Counter(re.findall(r"</?[a-zA-Z][^<>]*>", text))


# -- the catalogs ---------------------------------------------------------------------------------


def test_french_and_german_catalogs_are_shipped() -> None:
    assert set(LANGUAGES) <= set(catalog_languages())


@pytest.mark.parametrize("language", CATALOGS)
def test_catalog_lists_exactly_the_texts_of_the_code(language: str, texts: dict[str, list[str]]) -> None:
    missing = set(texts) - set(catalog(language))
    stale = set(catalog(language)) - set(texts)
    assert not missing, f"run `make i18n`: {sorted(missing)[:5]}"
    assert not stale, f"run `make i18n`: {sorted(stale)[:5]}"


@pytest.mark.parametrize("language", CATALOGS)
def test_every_text_is_translated(language: str, texts: dict[str, list[str]]) -> None:
    entries = catalog(language)
    untranslated = [msgid for msgid in texts if not entries[msgid].msgstr.strip()]
    fuzzy = [msgid for msgid in texts if "fuzzy" in entries[msgid].flags]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert not fuzzy, f"{language}: fuzzy entries are not compiled: {fuzzy[:3]}"


@pytest.mark.parametrize("language", CATALOGS)
def test_translations_keep_placeholders_and_html_tags(language: str) -> None:
    for msgid, entry in catalog(language).items():
        assert fields(entry.msgstr) == fields(msgid), f"{language}: placeholders differ in {msgid!r}"
        assert tags(entry.msgstr) == tags(msgid), f"{language}: HTML tags differ in {msgid!r}"
        for command in re.findall(r"/[a-z]+\b", msgid):
            assert command in entry.msgstr, f"{language}: {command} must stay untranslated in {msgid!r}"


@pytest.mark.parametrize("language", CATALOGS)
def test_committed_mo_is_a_fresh_compile_of_the_po(language: str) -> None:
    compiled = compile_mo(parse_po(po_path(language).read_text(encoding="utf-8")))
    assert po_path(language).with_suffix(".mo").read_bytes() == compiled, "run `make i18n`"


def test_texts_looked_up_through_variables_are_extracted(texts: dict[str, list[str]]) -> None:
    by_variable = [
        *(description for _command, description in COMMANDS),
        *GROUP_LABELS.values(),
        *PEOPLE_LABELS.values(),
        *(label for _scopes, label in _PERMISSION_BY_PREFIX),
    ]
    assert set(by_variable) <= set(texts)


def test_simulator_and_playground_are_not_extracted(texts: dict[str, list[str]]) -> None:
    references = {reference for where in texts.values() for reference in where}
    assert not any(ref.startswith("standins/") for ref in references)


# -- the translator -------------------------------------------------------------------------------


def test_translator_picks_the_language_and_falls_back() -> None:
    assert translator("fr")(WELCOME).startswith("Bonjour {name} !")
    assert translator("de")(WELCOME).startswith("Hallo {name}!")
    assert translator("de-AT")("Cancel") == "Abbrechen"  # regional code → the language's catalog
    assert translator("fr-CA")("Cancel") == "Annuler"
    assert translator("es")(WELCOME) == WELCOME  # no catalog → English
    assert translator(None)(WELCOME) == WELCOME
    assert translator("fr")("a text nobody wrote") == "a text nobody wrote"


# -- the tool -------------------------------------------------------------------------------------


def test_po_round_trip_keeps_quotes_backslashes_and_newlines() -> None:
    tricky = 'She said "hi"\\n\tthen\nleft'
    entries = [
        Entry("", "Language: xx\nContent-Type: text/plain; charset=UTF-8\n"),
        Entry(tricky, "übersetzt\n« ok »", references=["bot/a.py"], flags=["fuzzy"], comments=["# note"]),
        Entry("gone", "parti", obsolete=True),
    ]
    parsed = parse_po(render_po(entries))
    assert [(e.msgid, e.msgstr, e.obsolete) for e in parsed] == [
        (e.msgid, e.msgstr, e.obsolete) for e in entries
    ]
    assert parsed[1].flags == ["fuzzy"] and parsed[1].comments == ["# note"]


def test_update_keeps_translations_adds_new_texts_and_keeps_removed_ones_as_obsolete(tmp_path: Path) -> None:
    path = tmp_path / "bot.po"
    update_po(path, "xx", {"Hello": ["bot/a.py"], "Bye": ["bot/a.py"]})
    entries = parse_po(path.read_text(encoding="utf-8"))
    for entry in entries:
        entry.msgstr = {"Hello": "Salut", "Bye": "Ciao"}.get(entry.msgid, entry.msgstr)
    path.write_text(render_po(entries), encoding="utf-8")

    total, missing = update_po(path, "xx", {"Hello": ["bot/b.py"], "New {name}": ["bot/b.py"]})

    assert (total, missing) == (2, 1)
    updated = {entry.msgid: entry for entry in parse_po(path.read_text(encoding="utf-8"))}
    assert updated["Hello"].msgstr == "Salut" and updated["Hello"].references == ["bot/b.py"]
    assert updated["New {name}"].msgstr == "" and "python-brace-format" in updated["New {name}"].flags
    assert updated["Bye"].obsolete and updated["Bye"].msgstr == "Ciao"
    assert "Language: xx" in updated[""].msgstr


def test_compiled_mo_is_read_by_gettext() -> None:
    entries = [
        Entry("", "Content-Type: text/plain; charset=UTF-8\n"),
        Entry("Hello", "Grüß dich"),
        Entry("Untranslated"),
        Entry("Unsure", "Vielleicht", flags=["fuzzy"]),
        Entry("Old", "Alt", obsolete=True),
    ]
    translations = gettext.GNUTranslations(io.BytesIO(compile_mo(entries)))
    assert translations.gettext("Hello") == "Grüß dich"
    assert translations.gettext("Untranslated") == "Untranslated"
    assert translations.gettext("Unsure") == "Unsure"
    assert translations.gettext("Old") == "Old"


# -- through the real Application and the Bot API emulator ---------------------------------------


@pytest.mark.parametrize(
    ("language_code", "greeting", "first_step"),
    [
        ("fr", "Bonjour Anna !", "reliez votre compte Netatmo"),
        ("de", "Hallo Anna!", "Verknüpfe zuerst dein Netatmo-Konto"),
        ("de-CH", "Hallo Anna!", "Verknüpfe zuerst dein Netatmo-Konto"),
        ("es", "Hi Anna!", "link your Netatmo account"),
    ],
)
async def test_start_answers_in_the_users_language(
    emulator: Any, start_bot: Any, language_code: str, greeting: str, first_step: str
) -> None:
    await start_bot(emulator)
    anna = emulator.add_user("Anna", language_code=language_code)
    await emulator.send_message(anna, None, "/start")
    reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=10)
    assert greeting in reply.text and first_step in reply.text


async def test_command_menu_is_set_per_language(emulator: Any, start_bot: Any) -> None:
    await start_bot(emulator)
    menus = {language: emulator.commands(language_code=language) for language in ("", *LANGUAGES)}
    for language, menu in menus.items():
        assert [entry["command"] for entry in menu] == [command for command, _text in COMMANDS], language
    start = {language: menu[0]["description"] for language, menu in menus.items()}
    assert start == {
        "": "Welcome and first steps",
        "fr": "Bienvenue et premiers pas",
        "de": "Willkommen und erste Schritte",
    }
