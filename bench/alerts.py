"""Alert pipeline benchmark: signed Netatmo webhooks in → sendPhoto out, against a minimal direct relay.

    .venv/bin/python bench/alerts.py [--homes 1000] [--events 2000]

Everything runs in this one process on 127.0.0.1: the Netatmo simulator (with `--homes` extra homes, each
pushing signed webhooks), the Telegram Bot API emulator, and then, one after the other,
1. the bot's real pipeline: web route → intake watcher (normalise, store once, route) → outbox →
   delivery worker (snapshot fetched through the Netatmo gateway, sendPhoto), on SQLite;
2. a direct relay, the floor: receive the webhook, fetch its snapshot_url, sendPhoto — no storage.
Telegram's rate limiter is off in both (it would cap either at 30 msg/s) and grouping is off in the
pipeline (each event in its own home and message, so that each webhook maps to one sendPhoto).
Latency is from the moment the simulator emits an event (its webhook POST starts) to the emulator
receiving the matching sendPhoto; the n-th photo in a chat is matched with the n-th event of that home.
Netatmo requests per home per hour are computed from the poller's schedule function (`next_poll_delay`,
webhooks flowing), not measured. Peak RSS is the whole process (simulator and emulator included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")

import aiohttp
from aiohttp import web
from sqlalchemy import select
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.app import BotRuntime, Component
from bot.config import Settings
from bot.playground import BotApiEmulator
from bot.services import Services
from bot.simulator import Simulator, SimulatorConfig
from bot.simulator.world import generated
from bot.storage.models import (
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)
from bot.watcher.delivery import build_worker
from bot.watcher.intake_watcher import intake_component
from bot.watcher.poller import PollConfig, next_poll_delay
from bot.watcher.sending import SendingPolicy
from bot.web.netatmo_webhook import register_netatmo_webhook

USER_BASE = 7_000_000


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_delivery(services: Services, application: Application) -> Component:
    """The production worker with Telegram's rate limiter off and grouping off (see the docstring)."""
    application.bot._rate_limiter = None  # measure our pipeline, not Telegram's published limits
    return build_worker(services, application, policy=SendingPolicy(group_max=1))


def home_of(index: int) -> tuple[str, str, str]:
    return (
        generated.home_id(index),
        generated.device_id(index, generated.ROLE_CAMERA),
        generated.account_id(index),
    )


async def seed(runtime: BotRuntime, emulator: BotApiEmulator, homes: int) -> None:
    """Links, homes, cameras, chats and subscriptions written directly, as linking would have left them."""
    services = runtime.services
    assert services is not None
    far = datetime.now(UTC) + timedelta(days=1)
    token = services.cipher.encrypt("bench-token")
    async with services.sessions.begin() as session:
        for index in range(homes):
            home_id, camera_id, _ = home_of(index)
            user_id = USER_BASE + index
            emulator.private_chat(emulator.add_user(f"Owner{index}", user_id=user_id))
            session.add(TelegramUser(id=user_id, first_name=f"Owner{index}", language_code="en"))
            session.add(TelegramChat(id=user_id, type="private"))
            # next_poll_at in the future: the bench measures webhooks, polling would only add noise.
            session.add(Home(id=home_id, name=f"Home {index}", timezone="UTC", next_poll_at=far))
        await session.flush()
        for index in range(homes):
            home_id, camera_id, _ = home_of(index)
            user_id = USER_BASE + index
            session.add(HomeDevice(home_id=home_id, device_id=camera_id, type="NACamera", name="Camera"))
            session.add(
                NetatmoLink(
                    telegram_user_id=user_id,
                    netatmo_user_id=home_of(index)[2],
                    access_token_enc=token,
                    refresh_token_enc=token,
                    expires_at=far,
                    scopes=["read_camera", "access_camera"],
                )
            )
            session.add(Subscription(chat_id=user_id, home_id=home_id, created_by=user_id, active=True))
        await session.flush()
        rows = await session.execute(select(NetatmoLink.telegram_user_id, NetatmoLink.id))
        links = {user_id: link_id for user_id, link_id in rows}
        for index in range(homes):
            home_id, _, _ = home_of(index)
            user_id = USER_BASE + index
            session.add(
                HomeMember(home_id=home_id, telegram_user_id=user_id, role="owner", link_id=links[user_id])
            )


def register_webhooks(simulator: Simulator, homes: int, url: str) -> None:
    pusher = simulator.state.webhooks
    for index in range(homes):
        pusher.add(home_of(index)[2], simulator.config.client_id, url)


async def burst(
    simulator: Simulator,
    emulator: BotApiEmulator,
    homes: int,
    events: int,
    timeout: float,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Trigger `events` events round-robin over the homes; wait for that many new sendPhoto calls."""
    before = len(emulator.calls("sendPhoto"))
    emitted: dict[int, list[float]] = defaultdict(list)
    start = time.monotonic()
    for n in range(events):
        index = n % homes
        home_id, camera_id, _ = home_of(index)
        emitted[USER_BASE + index].append(time.monotonic())
        await simulator.trigger_event(home_id, camera_id, "movement")
        if n % 50 == 49:
            await asyncio.sleep(0)  # let pushes start, as a real stream would interleave
    deadline = time.monotonic() + timeout
    while len(emulator.calls("sendPhoto")) - before < events and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    photos = [r for r in emulator.calls("sendPhoto")[before:] if r.status == 200]
    per_chat: dict[int, list[float]] = defaultdict(list)
    for record in photos:
        per_chat[int(record.params["chat_id"])].append(record.time)
    latencies = []
    for chat, times in per_chat.items():
        for sent, made in zip(sorted(times), emitted.get(chat, []), strict=False):
            latencies.append(sent - made)
    end = max((r.time for r in photos), default=time.monotonic())
    latencies.sort()
    return {
        "delivered": len(photos),
        "expected": events,
        "seconds": end - start,
        "rate": len(photos) / (end - start) if photos else 0.0,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
        "uploads": sum(1 for r in photos if r.files),
    }


async def run_pipeline(
    args: argparse.Namespace, simulator: Simulator, emulator: BotApiEmulator, tmp: Path
) -> dict[str, Any]:
    port = free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        netatmo_api_url=simulator.base_url,
        netatmo_client_id=simulator.config.client_id,
        netatmo_client_secret=simulator.config.client_secret,
        data_dir=tmp / "data",
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        webrtc_ice_servers="",
    )
    runtime = BotRuntime(
        settings,
        features=(),
        routes=[register_netatmo_webhook],
        components=[intake_component, bench_delivery],
    )
    await runtime.start()
    try:
        await seed(runtime, emulator, args.homes)
        register_webhooks(simulator, args.homes, settings.netatmo_webhook_url)
        await simulator.drain_webhooks()
        await asyncio.sleep(0.5)
        return await burst(simulator, emulator, args.homes, args.events, args.timeout)
    finally:
        await runtime.stop()


async def run_relay(
    args: argparse.Namespace, simulator: Simulator, emulator: BotApiEmulator
) -> dict[str, Any]:
    """The floor: webhook in, snapshot fetched, sendPhoto out; nothing stored, nothing routed."""
    bot = Bot(
        emulator.token,
        base_url=f"{emulator.base_url}/bot",
        request=HTTPXRequest(connection_pool_size=32, httpx_kwargs={"trust_env": False}),
    )
    await bot.initialize()
    http = aiohttp.ClientSession()
    chats = {home_of(i)[0]: USER_BASE + i for i in range(args.homes)}
    tasks: set[asyncio.Task[None]] = set()

    slots = asyncio.Semaphore(32)  # as many sends in flight as the pipeline's worker (PTB's pool size)

    async def relay(payload: dict[str, Any]) -> None:
        async with slots:
            async with http.get(payload["snapshot_url"]) as response:
                data = await response.read()
            chat = chats[payload["home_id"]]
            await bot.send_photo(chat, data, filename="s.jpg", caption=payload.get("message"))

    async def handle(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        if payload.get("snapshot_url") and payload.get("home_id") in chats:
            task = asyncio.create_task(relay(payload))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        register_webhooks(simulator, args.homes, f"http://127.0.0.1:{port}/hook")
        await simulator.drain_webhooks()
        return await burst(simulator, emulator, args.homes, args.events, args.timeout)
    finally:
        await runner.cleanup()
        await http.close()
        await bot.shutdown()


def polling_requests_per_home_hour() -> float:
    config = PollConfig()
    now = datetime.now(UTC)
    delay = next_poll_delay(
        now=now,
        webhook_registered=True,
        last_webhook_at=now - timedelta(minutes=5),
        last_missed_at=None,
        homes_on_account=1,
        failures=0,
        config=config,
    )
    return 3600.0 / delay * config.requests_per_poll


def report(name: str, figures: dict[str, Any]) -> None:
    print(
        f"{name:<9} delivered {figures['delivered']}/{figures['expected']} in {figures['seconds']:.2f} s "
        f"→ {figures['rate']:.0f} alerts/s; latency p50 {figures['p50'] * 1000:.0f} ms, "
        f"p99 {figures['p99'] * 1000:.0f} ms; uploads {figures['uploads']}"
    )


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        simulator = Simulator(SimulatorConfig(port=0, extra_homes=args.homes))
        emulator = BotApiEmulator()
        await simulator.start()
        await emulator.start()
        try:
            pipeline = await run_pipeline(args, simulator, emulator, Path(tmp))
            relay = await run_relay(args, simulator, emulator)
        finally:
            await emulator.stop()
            await simulator.stop()
    polling = polling_requests_per_home_hour()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"homes {args.homes}, events {args.events} (one camera event per home, round-robin)")
    report("pipeline", pipeline)
    report("relay", relay)
    ratio = pipeline["p99"] / relay["p99"] if relay["p99"] else float("inf")
    print(f"p99 pipeline / relay: {ratio:.2f}x")
    print(
        f"Netatmo requests per home per hour, webhooks healthy (computed from next_poll_delay): {polling:.1f}"
    )
    print(f"peak RSS (whole process: bot + simulator + emulator): {rss_mb:.0f} MB")
    misses = []
    if ratio > 1.5:
        misses.append(f"p99 is {ratio:.2f}x the direct relay (target 1.5x)")
    if pipeline["rate"] < 500:
        misses.append(f"{pipeline['rate']:.0f} alerts/s (target >= 500)")
    if polling > 60:
        misses.append(f"{polling:.0f} Netatmo requests per home per hour (target <= 60)")
    if pipeline["delivered"] < pipeline["expected"]:
        misses.append(f"only {pipeline['delivered']} of {pipeline['expected']} alerts arrived in time")
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each burst")
    asyncio.run(main(parser.parse_args()))
