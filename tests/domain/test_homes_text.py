"""The words of /homes (pure functions); /status's are in test_status.py."""

from __future__ import annotations

from bot.domain.homes_text import homes_list_text
from bot.i18n import translator

_ = translator(None)


def test_homes_text() -> None:
    text = homes_list_text(_, [("Flat", "owner", 2, 1)])
    assert "• Flat (owner, 2 camera(s), 1 alarm(s))" in text
    assert "Relink" in homes_list_text(_, [("Flat", "owner", 0, 0)], link_broken=True)
