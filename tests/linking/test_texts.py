"""The words of linking (pure functions)."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from bot.linking.texts import (
    HomeSummary,
    link_failure_text,
    link_intro_text,
    linked_text,
    page_text,
    permission_lines,
    unlink_confirm_text,
)

_ = translator(None)


def test_intro_explains_each_permission_in_one_sentence() -> None:
    lines = permission_lines(_)
    assert len(lines) == 5
    assert all(line.count(".") == 1 and line.endswith(".") for line in lines)
    text = link_intro_text(_, paste_hint=False)
    assert all(line in text for line in lines) and "paste" not in text and "10 minutes" in text
    assert "paste it here" in link_intro_text(_, paste_hint=True)


def test_linked_text_lists_homes_and_next_steps() -> None:
    text = linked_text(_, [HomeSummary("Flat", 2, 1), HomeSummary("Cottage")])
    assert "• Flat (2 camera(s), 1 alarm(s))" in text and "• Cottage" in text
    assert "/status" in text and "Alerts are on" in text
    assert text.startswith("✅ Linked!")
    replaced = linked_text(_, [HomeSummary("Flat")], replaced_account=True)
    assert replaced.startswith("This replaces your previous link")
    assert "Link renewed" in linked_text(_, [HomeSummary("Flat")], relinked=True)
    assert "no home" in linked_text(_, [])


@pytest.mark.parametrize(
    "reason", ["denied", "expired", "replayed", "unknown", "other_user", "refused", "unavailable", "missing"]
)
def test_every_failure_says_nothing_happened_and_what_to_do(reason: str) -> None:
    text = link_failure_text(_, reason)
    assert "/link" in text
    title, sentence = page_text(_, reason)
    assert title and "/link in Telegram" in sentence


def test_success_page() -> None:
    assert page_text(_, None) == ("Linked", "Linked. You can go back to Telegram.")


def test_unlink_confirmation_names_the_homes() -> None:
    text = unlink_confirm_text(_, ["Flat", "Cottage"])
    assert "• Flat" in text and "• Cottage" in text
