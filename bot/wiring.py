"""Which web routes and background components the running bot has.

Kept apart from `app.py` so tests can start a runtime with exactly the parts they exercise.
"""

from __future__ import annotations

from bot.app import ComponentFactory
from bot.watcher.delivery import delivery_component
from bot.watcher.intake_watcher import intake_component
from bot.web import oauth
from bot.web.netatmo_webhook import register_netatmo_webhook
from bot.web.server import RouteRegistrar


def default_routes() -> list[RouteRegistrar]:
    return [oauth.register, register_netatmo_webhook]


def default_components() -> list[ComponentFactory]:
    return [delivery_component, intake_component]
