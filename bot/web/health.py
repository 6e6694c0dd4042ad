"""GET /healthz: is this replica able to do its job? Used by Docker's HEALTHCHECK and load balancers."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.services import Services
from bot.storage.engine import ping

SERVICES = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    health = services.health
    try:
        async with asyncio.timeout(3):
            async with services.sessions() as session:
                await ping(session)
        database = "ok"
    except Exception as exc:  # any failure means unhealthy; the type goes in the report, not a trace
        database = f"error: {type(exc).__name__}"
    telegram_ok = health.telegram_healthy()
    watcher_ok = health.watcher.get("state", "ok") != "error"
    healthy = database == "ok" and telegram_ok and watcher_ok
    body = {
        "status": "ok" if healthy else "unhealthy",
        "database": database,
        "telegram": {"mode": health.telegram_mode, "error": health.telegram_error},
        "watcher": health.watcher or {"state": "not started"},
    }
    return web.json_response(body, status=200 if healthy else 503)
