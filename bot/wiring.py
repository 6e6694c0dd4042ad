"""Which web routes and background components the running bot has, and how the alert path's parts meet.

Kept apart from `app.py` so tests can start a runtime with exactly the parts they exercise.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.alerts.delivery import build_worker
from bot.alerts.watcher import IntakeWatcher
from bot.linking import web as linking_web
from bot.linking.topology import topology_component
from bot.services import Component, ComponentFactory, Services
from bot.web.netatmo_webhook import register_netatmo_webhook
from bot.web.server import RouteRegistrar


def delivery_component(services: Services, application: Application) -> Component:
    """The delivery worker; the intake watcher hands it new rows as `services.delivery`."""
    worker = build_worker(services, application)
    services.delivery = worker
    return worker


def intake_component(services: Services, application: Application) -> Component:
    """The intake watcher: webhook inbox, polls, webhook registration."""
    return IntakeWatcher(services)


def default_routes() -> list[RouteRegistrar]:
    return [linking_web.register, register_netatmo_webhook]


def default_components() -> list[ComponentFactory]:
    # The worker starts first, so the watcher's first intake can hand it rows; it stops last.
    return [delivery_component, intake_component, topology_component]
