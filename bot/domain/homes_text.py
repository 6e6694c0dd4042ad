"""Texts of /homes and the minimal /status: plain data in, one message out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Translate


@dataclass(frozen=True)
class DeviceLine:
    name: str
    is_camera: bool
    reachable: bool


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


def home_status_text(
    _: Translate, home_name: str, devices: Sequence[DeviceLine], *, problem: str = ""
) -> str:
    lines = [f"🏠 {home_name}"]
    if problem:
        lines.append(problem)
        return "\n".join(lines)
    if not devices:
        lines.append(_("No cameras or alarms."))
    for device in devices:
        icon = "📷" if device.is_camera else "🔥"
        state = _("online") if device.reachable else _("offline")
        lines.append(f"{icon} {device.name}: {state}")
    return "\n".join(lines)
