"""Texts of /homes: plain data in, one message out."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Translate


def homes_list_text(
    _: Translate, homes: Sequence[tuple[str, str, int, int]], *, link_broken: bool = False
) -> str:
    """`homes` are (name, role, cameras, alarms)."""
    roles = {"owner": _("owner"), "admin": _("admin"), "member": _("member"), "viewer": _("viewer")}
    lines = [_("Your homes:")]
    for name, role, cameras, alarms in homes:
        details = [roles.get(role, role)]
        if cameras:
            details.append(_("{n} camera(s)").format(n=cameras))
        if alarms:
            details.append(_("{n} alarm(s)").format(n=alarms))
        lines.append(f"• {name} ({', '.join(details)})")
    if link_broken:
        lines += ["", _("Your Netatmo link needs renewing: tap Relink.")]
    else:
        lines += ["", _("/status shows whether everything is online.")]
    return "\n".join(lines)
