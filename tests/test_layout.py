"""The dependency rules of ARCHITECTURE.md, checked on the imports of every module.

Each rule keeps a part testable alone: the pure rules need no database or Telegram, the seams to
Netatmo and the database know nothing of chats, and the stand-ins cannot borrow the bot's own model
of the services they play (they would then agree with the bot's mistakes instead of catching them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in _modules(package):
        for name in sorted(_imports(path)):
            if name.startswith(forbidden) and not name.startswith(allowed):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


FEATURES = ("bot.alerts", "bot.linking", "bot.control", "bot.subscriptions", "bot.live")


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "bot/domain",
            ("bot.storage", "bot.netatmo", "bot.chat", "bot.web", "telegram", "sqlalchemy", *FEATURES),
        ),
        ("bot/storage", ("bot.chat", "bot.web", "telegram", "pyatmo", *FEATURES)),
        ("bot/netatmo", ("bot.chat", "bot.web", "telegram", *FEATURES)),
        ("standins/netatmo_sim", ("bot",)),
        ("standins/telegram_emulator", ("bot",)),
    ],
)
def test_dependency_rules(package: str, forbidden: tuple[str, ...]) -> None:
    assert _modules(package), f"no modules under {package}"
    assert _violations(package, forbidden) == []


def test_the_bot_reaches_the_standins_only_from_its_command_line() -> None:
    """The production image has no stand-ins: only `python -m bot simulator|demo` may import them."""
    users = {
        str(path.relative_to(ROOT))
        for path in _modules("bot")
        if any(name.startswith("standins") for name in _imports(path))
    }
    assert users <= {"bot/__main__.py"}


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The import scan finds lazy and aliased imports (a rule that sees nothing proves nothing)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bot.storage import models as m\n    import telegram.ext\n")
    assert {"bot.storage", "bot.storage.models", "telegram.ext"} <= _imports(module)
