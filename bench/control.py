"""Control benchmark: a button press that writes to Netatmo, against the bare round trip of that write.

    .venv/bin/python bench/control.py [--presses 50] [--interval 0.7] [--netatmo-ms 0] [--storm 0]

One process, one event loop: the Netatmo simulator, the Telegram Bot API emulator and the bot (the
production runtime and wiring, on SQLite) are started in-process, a Telegram user is linked to the
simulator's demo account through the real code exchange, and an alert with its buttons is sent to the
user's private chat. Then, `--presses` times, alternately:

1. the user presses the alert's "⏻ Monitoring off" (the emulator's press API); measured from the press to
   the bot's answer of the callback (sent once the setstate write returned) and to the notice message
   the bot posts in the chat ("⏻ Anna turned monitoring off on …");
2. the same write made bare: one POST /api/setstate with the link's token over a plain aiohttp session
   (monitoring back on, so that every press changes the camera again): the floor.

Presses are paced (`--interval` between them) so that the account's request budget (40 per 10 s) and
the simulator's limit (50 per 10 s) are never what is measured. `--storm N` instead makes the simulator
refuse each press's first N setstate calls with 429 code 26 (Retry-After 1 s) and runs the press through
the write queue (`bot.netatmo.writes`) directly, printing how long writes took to get through.

Printed: p50/p95 of each measure, and the ratio press→answer p50 / bare p50 (goal: within 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")

import aiohttp
from aiohttp import web

from bot import eventloop
from bot.alerts.render import load_alert_names, render_alert
from bot.app import BotRuntime
from bot.config import Settings
from bot.domain.events import Kind, SecurityEvent
from bot.i18n import translator
from bot.linking.service import PendingLink, complete_link
from bot.netatmo.errors import NetatmoError
from bot.netatmo.scopes import scope_string
from bot.storage.telegram import save_chat, save_user
from bot.wiring import default_components, default_routes
from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT, HOME_ONE_ID, OUTDOOR_CAMERA_ID
from standins.telegram_emulator import BotApiEmulator

TIMEOUT = 15.0
BUTTON = "⏻ Monitoring off"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<34} n={len(ms):<3} p50={percentile(ms, 0.5):7.1f} ms  p95={percentile(ms, 0.95):7.1f} ms"
        f"  mean={statistics.fmean(ms) if ms else float('nan'):7.1f} ms"
    )


def settings_for(emulator: BotApiEmulator, simulator: Simulator, data_dir: Path) -> Settings:
    port = free_port()
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        webrtc_ice_servers=[],
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        netatmo_api_url=simulator.base_url,
        netatmo_client_id=simulator.config.client_id,
        netatmo_client_secret=simulator.config.client_secret,
    )


async def link(runtime: BotRuntime, simulator: Simulator, user_id: int) -> int:
    """Link the Telegram user to the demo account through the real code exchange; the link id."""
    services = runtime.services
    assert services is not None and services.netatmo is not None
    async with services.sessions.begin() as session:
        await save_user(session, user_id, "Anna", None, "en")
        await save_chat(session, user_id, "private", None)
    settings = services.settings
    code = await simulator.authorize(
        DEMO_ACCOUNT, settings.netatmo_client_id, settings.oauth_redirect_uri, scope_string()
    )
    result = await complete_link(
        services.netatmo, services.http, settings, PendingLink(user_id, user_id), code
    )
    return result.link_id


async def send_alert(runtime: BotRuntime, chat_id: int) -> None:
    """An alert of the garden camera, with its buttons, as the delivery worker would send it."""
    assert runtime.services is not None and runtime.application is not None
    event = SecurityEvent(
        home_id=HOME_ONE_ID,
        event_id="bench",
        kind=Kind.HUMAN,
        netatmo_type="outdoor/human",
        time=int(time.time()),
        device_id=OUTDOOR_CAMERA_ID,
        device_type="NOC",
    )
    async with runtime.services.sessions() as session:
        names = await load_alert_names(session, event)
    view = render_alert([event], names, translator("en"))
    await runtime.application.bot.send_message(
        chat_id, view.text, reply_markup=view.keyboard, parse_mode="HTML"
    )


async def bare_write(http: aiohttp.ClientSession, url: str, token: str, on: bool) -> float:
    """One setstate over a plain session (no budget, no token store); its round trip in seconds."""
    body = {
        "home": {
            "id": HOME_ONE_ID,
            "modules": [{"id": OUTDOOR_CAMERA_ID, "monitoring": "on" if on else "off"}],
        }
    }
    started = time.perf_counter()
    async with http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - started


async def inject_storm(http: aiohttp.ClientSession, simulator: Simulator, count: int) -> None:
    fault = {"endpoint": "setstate", "preset": "usage_limit", "count": count, "retry_after": 1}
    async with http.post(f"{simulator.base_url}/_sim/faults", json=fault) as resp:
        assert resp.status == 200


class DistantSimulator(Simulator):
    """The simulator answering its REST API `delay` seconds later, like Netatmo's servers over the
    internet (the bare write pays the same delay: the floor moves with it)."""

    def __init__(self, config: SimulatorConfig, delay: float) -> None:
        super().__init__(config)
        self.delay = delay

    def build_app(self) -> web.Application:
        app = super().build_app()
        delay = self.delay

        @web.middleware
        async def distance(request: web.Request, handler: Any) -> web.StreamResponse:
            if delay > 0 and request.path.startswith("/api/"):
                await asyncio.sleep(delay)
            response: web.StreamResponse = await handler(request)
            return response

        app.middlewares.insert(0, distance)
        return app


async def run(presses: int, interval: float, storm: int, netatmo_ms: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        simulator = DistantSimulator(SimulatorConfig(port=0), netatmo_ms / 1000)
        async with simulator, BotApiEmulator() as emulator:
            runtime = BotRuntime(
                settings_for(emulator, simulator, Path(tmp)),
                routes=default_routes(),
                components=default_components(),
            )
            await runtime.start()
            try:
                await measure(runtime, simulator, emulator, presses, interval, storm)
            finally:
                await runtime.stop()


async def measure(
    runtime: BotRuntime,
    simulator: Simulator,
    emulator: BotApiEmulator,
    presses: int,
    interval: float,
    storm: int,
) -> None:
    services = runtime.services
    assert services is not None and services.netatmo is not None
    gateway = services.netatmo
    user = emulator.add_user("Anna")
    chat = emulator.private_chat(user)
    link_id = await link(runtime, simulator, user.id)
    token = (await gateway.tokens.current(link_id)).token
    url = f"{simulator.base_url}/api/setstate"
    answer_times: list[float] = []
    notice_times: list[float] = []
    bare_times: list[float] = []
    storm_times: list[float] = []
    failures = 0
    async with aiohttp.ClientSession() as http:
        await send_alert(runtime, chat.id)
        alert = await emulator.wait_for_message(chat, predicate=lambda m: bool(m.buttons), timeout=TIMEOUT)
        for _warm in range(3):  # connections, caches, statement cache
            await bare_write(http, url, token, True)
            query = await emulator.press_button(user, alert, text=BUTTON)
            await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
            await emulator.wait_for_message(chat, timeout=TIMEOUT)
        for _ in range(presses):
            bare_times.append(await bare_write(http, url, token, True))
            await asyncio.sleep(interval / 2)
            if storm:
                await inject_storm(http, simulator, storm)
                started = time.perf_counter()
                try:
                    await gateway.writes.submit(
                        link_id,
                        "bench monitoring off",
                        lambda: gateway.set_monitoring(link_id, HOME_ONE_ID, OUTDOOR_CAMERA_ID, False),
                    )
                    storm_times.append(time.perf_counter() - started)
                except NetatmoError:
                    failures += 1
            else:
                started = time.perf_counter()
                query = await emulator.press_button(user, alert, text=BUTTON)
                answer = await emulator.wait_for_callback_answer(query, timeout=TIMEOUT)
                answer_times.append(time.perf_counter() - started)
                await emulator.wait_for_message(chat, timeout=TIMEOUT)
                notice_times.append(time.perf_counter() - started)
                if not (answer.text or "").startswith("Monitoring is off"):
                    failures += 1
            await asyncio.sleep(interval / 2)
    writes = [w for w in simulator.state.write_log if w["endpoint"] == "setstate"]
    print(
        f"presses: {presses}, interval {interval:.2f} s, "
        f"setstate calls the simulator carried out: {len(writes)}"
    )
    print(line("bare setstate round trip (floor)", bare_times))
    if storm:
        print(line(f"write queue through a {storm}x429 storm", storm_times))
        print(f"failed writes: {failures}; retried tries: {gateway.writes.retried}")
        return
    print(line("press -> callback answer", answer_times))
    print(line("press -> notice message", notice_times))
    floor = percentile(bare_times, 0.5)
    print(f"failed presses: {failures}")
    print(
        f"ratio p50 press->answer / bare: {percentile(answer_times, 0.5) / floor:.2f}x "
        f"(press->notice: {percentile(notice_times, 0.5) / floor:.2f}x; goal: within 1.5x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="press-to-answer latency of a Netatmo write")
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.7, help="seconds between presses (budget)")
    parser.add_argument("--storm", type=int, default=0, help="429 answers before each write goes through")
    parser.add_argument(
        "--netatmo-ms", type=float, default=0.0, help="added to every Netatmo API answer (internet distance)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"Netatmo API distance: {args.netatmo_ms:.0f} ms")
    eventloop.run(run(args.presses, args.interval, args.storm, args.netatmo_ms))


if __name__ == "__main__":
    main()
