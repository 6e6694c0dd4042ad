"""What to tell a user when a Netatmo call fails: what happened and what to do next, in one sentence.

Pure text: the chat layer passes the error's `kind` (see `bot.netatmo.errors`) and its details, so this
module stays free of the Netatmo client and is unit-tested alone.
"""

from __future__ import annotations

from bot.i18n import N_, Translate

# Which permission a scope belongs to, in the words of the linking message.
_PERMISSION_BY_PREFIX: tuple[tuple[tuple[str, ...], str], ...] = (
    (("camera", "presence", "camerapro", "doorbell"), N_("cameras and doorbell")),
    (("smokedetector", "carbonmonoxidedetector"), N_("smoke and CO alarms")),
    (("thermostat",), N_("heating")),
    (("magellan", "bubendorff"), N_("Home+Control scenarios, lights and shutters")),
    (("station", "homecoach"), N_("weather station and Home Coach")),
)


def permission_label(_: Translate, scope: str | None) -> str:
    """A scope such as "write_presence" as the permission a user recognises ("cameras and doorbell")."""
    product = (scope or "").partition("_")[2]
    for products, label in _PERMISSION_BY_PREFIX:
        if product in products:
            return _(label)
    return _("this feature")


def netatmo_error_text(
    _: Translate, kind: str, *, scope: str | None = None, retry_after: float | None = None
) -> str:
    """The sentence for a failure kind: not_linked, link_broken, throttled, device_unreachable,
    missing_scope, unavailable, invalid_request (anything else gets a generic sentence)."""
    if kind == "device_unreachable":
        return _("The device is offline right now. Check its power and Wi-Fi, then try again.")
    if kind == "missing_scope":
        return _(
            "Your Netatmo link does not include the permission for {permission}. "
            "Send /link and allow it on the Netatmo page to grant it."
        ).format(permission=permission_label(_, scope))
    if kind == "throttled":
        if retry_after is not None and retry_after > 90:
            minutes = round(retry_after / 60)
            return _("Netatmo is busy right now. Please try again in {minutes} minutes.").format(
                minutes=minutes
            )
        return _("Netatmo is busy right now. Please try again in a minute.")
    if kind == "unavailable":
        return _("Netatmo is not answering right now. Please try again in a minute.")
    if kind == "link_broken":
        return _("I lost access to your Netatmo account. Send /link to restore it.")
    if kind == "not_linked":
        return _("Link your Netatmo account first: send /link in a private chat with me.")
    if kind == "invalid_request":
        return _("Netatmo refused that request. Send the command again to get fresh buttons.")
    return _("Something went wrong talking to Netatmo. Please try again.")
