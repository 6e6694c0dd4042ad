"""The user-facing sentence for a `NetatmoError`, for every feature that calls the gateway."""

from __future__ import annotations

from bot.domain.errors_text import netatmo_error_text
from bot.i18n import Translate
from bot.netatmo.errors import MissingScope, NetatmoError, Throttled


def explain(_: Translate, error: NetatmoError) -> str:
    """What happened and what to do next, in the user's language."""
    return netatmo_error_text(
        _,
        error.kind,
        scope=error.scope if isinstance(error, MissingScope) else None,
        retry_after=error.retry_after if isinstance(error, Throttled) else None,
    )
