"""Translation catalogs without extra dependencies: extract, update `.po`, compile `.mo`.

    python -m bot.i18n_catalog          # re-extract, update every bot/locale/*/LC_MESSAGES/bot.po, compile
    python -m bot.i18n_catalog es       # the same, creating the Spanish catalog first if it is missing

Extraction reads the package with `ast` (nothing is imported except `bot.chat.commands` for the menu):
every call of `_`, `N_`, `t` or `translate` whose single argument is a string literal (implicit
concatenation is one literal to `ast`), plus the descriptions in `bot.chat.commands.COMMANDS`. Texts
looked up through a variable (`_(LABELS[key])`) must be marked where they are written, with `N_("…")`.
Updating keeps existing translations, adds new texts with an empty msgstr and keeps texts that are gone
as obsolete `#~` entries. Compiling writes the GNU `.mo` format that `gettext` reads, byte-for-byte
deterministic so the committed `.mo` can be compared with a fresh compile.
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "bot"
KEYWORDS = frozenset({"_", "N_", "t", "translate"})


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    references: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # translator comments, kept verbatim
    flags: list[str] = field(default_factory=list)  # e.g. "fuzzy", "python-brace-format"
    obsolete: bool = False


# -- extraction -----------------------------------------------------------------------------------


def extract(package_dir: Path = PACKAGE_DIR) -> dict[str, list[str]]:
    """Every translatable text of the package → the files that use it, in source order.

    References name files, not lines, so that editing code does not churn the catalogs."""
    found: dict[str, list[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        where = relative.as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        calls = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call)), key=_position)
        for call in calls:
            text = _literal_argument(call)
            references = found.setdefault(text, []) if text else None
            if references is not None and f"bot/{where}" not in references:
                references.append(f"bot/{where}")
    from bot.chat.commands import COMMANDS  # descriptions are translated by variable in bot_commands

    for _command, description in COMMANDS:
        references = found.setdefault(description, [])
        if "bot/chat/commands.py" not in references:
            references.append("bot/chat/commands.py")
    return found


def _position(node: ast.Call) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _literal_argument(node: ast.Call) -> str | None:
    if not (isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
        return None
    if len(node.args) != 1 or node.keywords:
        return None
    argument = node.args[0]
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


# -- .po files ------------------------------------------------------------------------------------


def header(language: str) -> str:
    return (
        "Project-Id-Version: netatmo-telegram-bot\n"
        f"Language: {language}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
    )


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(token: str) -> str:
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise ValueError(f"not a quoted PO string: {token!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), token[1:-1])


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    return '"' + escaped.replace("\n", "\\n") + '"'


def parse_po(text: str) -> list[Entry]:
    """The entries of a PO file (the header is the entry whose msgid is empty). No plurals or contexts."""
    entries: list[Entry] = []
    current = Entry("")
    keyword: str | None = None
    started = False

    def finish() -> None:
        nonlocal current, keyword, started
        if started:
            entries.append(current)
        current, keyword, started = Entry(""), None, False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        try:
            if not line:
                finish()
            elif line.startswith("#:"):
                if keyword == "msgstr":
                    finish()
                current.references.extend(line[2:].split())
            elif line.startswith("#,"):
                if keyword == "msgstr":
                    finish()
                current.flags.extend(flag.strip() for flag in line[2:].split(",") if flag.strip())
            elif line.startswith("#"):
                if keyword == "msgstr":
                    finish()
                if not line.startswith("#."):
                    current.comments.append(raw)
            elif line.startswith("msgid "):
                if keyword == "msgstr":
                    finish()
                keyword, started = "msgid", True
                current.msgid, current.obsolete = _unquote(line[6:].strip()), obsolete
            elif line.startswith("msgstr "):
                keyword = "msgstr"
                current.msgstr = _unquote(line[7:].strip())
            elif line.startswith('"') and keyword == "msgid":
                current.msgid += _unquote(line)
            elif line.startswith('"') and keyword == "msgstr":
                current.msgstr += _unquote(line)
            else:
                raise ValueError(f"unsupported line {raw!r}")
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    finish()
    return entries


def _po_string(keyword: str, text: str, prefix: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if len(lines) <= 1:
        return [f"{prefix}{keyword} {_quote(text)}"]
    return [f'{prefix}{keyword} ""', *(f"{prefix}{_quote(line)}" for line in lines)]


def render_po(entries: list[Entry]) -> str:
    blocks = []
    for entry in entries:
        prefix = "#~ " if entry.obsolete else ""
        lines = [*entry.comments]
        if entry.references and not entry.obsolete:
            lines.append("#: " + " ".join(entry.references))
        if entry.flags:
            lines.append("#, " + ", ".join(entry.flags))
        lines += _po_string("msgid", entry.msgid, prefix) + _po_string("msgstr", entry.msgstr, prefix)
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def update_po(path: Path, language: str, texts: dict[str, list[str]]) -> tuple[int, int]:
    """Rewrite a catalog for the extracted texts; returns (entries, untranslated)."""
    existing = parse_po(path.read_text(encoding="utf-8")) if path.exists() else []
    old = {entry.msgid: entry for entry in existing}
    head = old.pop("", None) or Entry("", header(language), comments=["# Translations of the bot."])
    head.obsolete = False
    entries = [head]
    for msgid, references in texts.items():
        previous = old.pop(msgid, None)
        entry = Entry(msgid, references=references)
        if previous is not None:
            entry.msgstr, entry.comments = previous.msgstr, previous.comments
            entry.flags = [flag for flag in previous.flags if flag != "python-brace-format"]
        if "{" in msgid:
            entry.flags.append("python-brace-format")
        entries.append(entry)
    for gone in old.values():  # keep the work of translators for texts that may come back
        if gone.msgstr:
            gone.obsolete, gone.references = True, []
            entries.append(gone)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_po(entries), encoding="utf-8")
    return len(texts), sum(1 for entry in entries[1:] if not entry.obsolete and not entry.msgstr)


# -- .mo files ------------------------------------------------------------------------------------


def compile_mo(entries: list[Entry]) -> bytes:
    """GNU .mo bytes (little-endian, no hash table) of the translated, non-fuzzy, current entries (the
    header always: it names the charset)."""
    catalog = {
        entry.msgid.encode(): entry.msgstr.encode()
        for entry in entries
        if entry.msgstr and not entry.obsolete and (not entry.msgid or "fuzzy" not in entry.flags)
    }
    keys = sorted(catalog)
    ids = b"".join(key + b"\0" for key in keys)
    strs = b"".join(catalog[key] + b"\0" for key in keys)
    count = len(keys)
    ids_start = 7 * 4 + 16 * count
    strs_start = ids_start + len(ids)
    originals, translations = [], []
    id_offset = str_offset = 0
    for key in keys:
        originals += [len(key), ids_start + id_offset]
        translations += [len(catalog[key]), strs_start + str_offset]
        id_offset += len(key) + 1
        str_offset += len(catalog[key]) + 1
    table = struct.pack(f"<{4 * count}I", *originals, *translations)
    return struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, 0) + table + ids + strs


def po_paths(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def main(argv: list[str] | None = None) -> int:
    new_languages = sys.argv[1:] if argv is None else argv
    for language in new_languages:
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
            print(f"not a language code: {language!r} (use e.g. es or pt_BR)", file=sys.stderr)
            return 2
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")
    texts = extract()
    print(f"{len(texts)} texts")
    for path in po_paths():
        language = path.parent.parent.name
        total, missing = update_po(path, language, texts)
        path.with_suffix(".mo").write_bytes(compile_mo(parse_po(path.read_text(encoding="utf-8"))))
        print(
            f"{language}: {total - missing}/{total} translated" + (f", {missing} missing" if missing else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
