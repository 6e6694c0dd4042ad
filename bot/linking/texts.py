"""The words of account linking: the first impression of the bot, so short, warm and precise.

Pure functions of plain data (home names and counts, failure reasons), unit-tested; the chat and web
layers only add buttons and send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Translate


@dataclass(frozen=True)
class HomeSummary:
    """What the linking messages say about a home."""

    name: str
    cameras: int = 0
    alarms: int = 0


def permission_lines(_: Translate) -> list[str]:
    """One sentence per permission Netatmo will ask for."""
    return [
        _("📷 Cameras and doorbell: see events and snapshots, switch monitoring, take a live frame."),
        _("🔥 Smoke and CO alarms: read their alarms so I can warn you at once."),
        _("🌡 Heating: read temperatures and change setpoints or modes when you ask."),
        _("💡 Home+Control: list and launch your scenarios, lights and shutters."),
        _("🌦 Weather station and Home Coach: read their measurements."),
    ]


def link_intro_text(_: Translate, *, paste_hint: bool) -> str:
    lines = [
        _("Let's link your Netatmo account. Tap the button, sign in at Netatmo and allow access."),
        "",
        _("Netatmo will ask for these permissions:"),
        *permission_lines(_),
        "",
        _("I only change something when you press a button, and you can /unlink at any time."),
        _("The button works once, for 10 minutes."),
    ]
    if paste_hint:
        lines += [
            "",
            _(
                "If the page after signing in does not load, copy its full address from your browser "
                "and paste it here."
            ),
        ]
    return "\n".join(lines)


def link_in_private_text(_: Translate) -> str:
    return _(
        "Linking happens in a private chat, so your Netatmo sign-in stays between you and me. "
        "Tap below, then come back here and send /subscribe."
    )


def _home_line(_: Translate, home: HomeSummary) -> str:
    parts = []
    if home.cameras:
        parts.append(_("{n} camera(s)").format(n=home.cameras))
    if home.alarms:
        parts.append(_("{n} alarm(s)").format(n=home.alarms))
    return f"• {home.name}" + (f" ({', '.join(parts)})" if parts else "")


def linked_text(
    _: Translate, homes: Sequence[HomeSummary], *, relinked: bool = False, replaced_account: bool = False
) -> str:
    lines: list[str] = []
    if replaced_account:
        lines += [_("This replaces your previous link to another Netatmo account."), ""]
    if not homes:
        lines.append(
            _(
                "Linked, but I see no home in this Netatmo account yet. Add one in the Netatmo app, "
                "then send /link again."
            )
        )
        return "\n".join(lines)
    lines.append(_("✅ Link renewed. I can see:") if relinked else _("✅ Linked! I can now see:"))
    lines += [_home_line(_, home) for home in homes]
    lines += [
        "",
        _("Alerts are on: they come to this chat."),
        _("Next: /status for a quick look, /subscribe in a family group to share them, /settings to tune."),
    ]
    return "\n".join(lines)


def link_failure_text(_: Translate, reason: str) -> str:
    """The Telegram message for a failed link (reasons of `bot.linking.service.LinkFailure`)."""
    texts = {
        "denied": _(
            "Linking cancelled: access was not allowed on the Netatmo page. Send /link to try again."
        ),
        "expired": _(
            "That link request expired (they last 10 minutes). Nothing was linked. Send /link again."
        ),
        "replayed": _(
            "That link request was already used. Nothing new was linked. Send /link to start over."
        ),
        "unknown": _("I don't recognise that link request. Nothing was linked. Send /link for a fresh one."),
        "other_user": _(
            "That sign-in was started by someone else, so I can't use it for you. Send /link to get your own."
        ),
        "refused": _(
            "Netatmo refused the sign-in code (it may have expired or been used). Nothing was linked. "
            "Send /link to try again."
        ),
        "unavailable": _(
            "Netatmo did not answer just now. Nothing was linked. Send /link again in a minute."
        ),
        "missing": _(
            "I found no sign-in code in that. Paste the full address of the page Netatmo sent you to, "
            "or send /link to start over."
        ),
        "no_pending": _("I have no link request waiting for a code. Send /link first."),
    }
    return texts.get(reason, texts["unknown"])


def page_text(_: Translate, reason: str | None) -> tuple[str, str]:
    """(title, sentence) of the small HTML page the browser shows after Netatmo; None means success."""
    if reason is None:
        return _("Linked"), _("Linked. You can go back to Telegram.")
    titles = {
        "denied": _("Linking cancelled"),
        "expired": _("Link request expired"),
        "replayed": _("Link request already used"),
        "unknown": _("Unknown link request"),
        "refused": _("Netatmo refused the code"),
        "unavailable": _("Netatmo did not answer"),
        "missing": _("Incomplete address"),
    }
    return titles.get(reason, titles["unknown"]), link_failure_text(_, reason).replace(
        "/link", "/link in Telegram"
    )


def confirm_page_text(_: Translate, telegram_name: str) -> tuple[str, str, str, str]:
    """(title, sentence, confirm label, cancel label) of the page that asks before anything is linked.

    Naming the Telegram account here stops the one trick OAuth linking invites: someone sending you their
    own sign-in link so that your cameras end up linked to *their* Telegram account.
    """
    return (
        _("Link to Telegram?"),
        _(
            "Your Netatmo account will be linked to the Telegram account of {name}. "
            "Continue only if that Telegram account is yours: whoever holds it will see your cameras."
        ).format(name=telegram_name),
        _("Yes, link it"),
        _("Cancel"),
    )


def broken_link_text(_: Translate) -> str:
    return _(
        "I lost access to your Netatmo account (the permission was withdrawn or has expired). "
        "Alerts from your homes are paused until you link again. It takes a minute."
    )


def unlink_confirm_text(_: Translate, home_names: Sequence[str]) -> str:
    lines = [_("Unlink your Netatmo account? I will delete your tokens and stop your alerts for:")]
    lines += [f"• {name}" for name in home_names] or [_("• (no homes)")]
    lines.append(_("Family members who linked their own accounts keep theirs."))
    return "\n".join(lines)


def unlinked_text(_: Translate) -> str:
    return _("Unlinked. Your tokens are deleted and your alerts stopped. Send /link any time to come back.")


def not_linked_text(_: Translate) -> str:
    return _("You have no Netatmo account linked yet. Send /link to link one.")
