"""Which web routes and background components the running bot has.

Kept apart from `app.py` so tests can start a runtime with exactly the parts they exercise.
"""

from __future__ import annotations

from bot.alerts.delivery import delivery_component
from bot.alerts.watcher import intake_component
from bot.app import ComponentFactory
from bot.linking import web as linking_web
from bot.linking.topology import topology_component
from bot.web.netatmo_webhook import register_netatmo_webhook
from bot.web.server import RouteRegistrar


def default_routes() -> list[RouteRegistrar]:
    return [linking_web.register, register_netatmo_webhook]


def default_components() -> list[ComponentFactory]:
    return [delivery_component, intake_component, topology_component]
