"""The words of /homes and /status (pure functions)."""

from __future__ import annotations

from bot.domain.homes_text import DeviceLine, home_status_text, homes_list_text
from bot.i18n import translator

_ = translator(None)


def test_homes_and_status_texts() -> None:
    text = homes_list_text(_, [("Flat", "owner", 2, 1)])
    assert "• Flat (owner, 2 camera(s), 1 alarm(s))" in text
    assert "Relink" in homes_list_text(_, [("Flat", "owner", 0, 0)], link_broken=True)
    status = home_status_text(_, "Flat", [DeviceLine("Hall", True, True), DeviceLine("Smoke", False, False)])
    assert "📷 Hall: online" in status and "🔥 Smoke: offline" in status
