"""Alert pipeline benchmark: signed Netatmo webhooks in → sendPhoto out, against a minimal direct relay.

    .venv/bin/python bench/alerts.py [--homes 1000] [--rate 600] [--seconds 5] [--latency-rate 0]
                                     [--light-rate 10] [--latency-samples 300] [--latency-turns 3]
                                     [--sql] [--database-url postgresql+asyncpg://…]

Three processes on 127.0.0.1, talking HTTP only: the Netatmo simulator and the Telegram Bot API emulator
each run in a child process (`bench/standins.py`); this process runs the system under test, one at a time:
1. the bot's real pipeline: web route → intake watcher (normalise, store once, route) → outbox →
   delivery worker (snapshot fetched through the Netatmo gateway, sendPhoto), on SQLite;
2. a direct relay, the floor: receive the webhook, fetch its snapshot_url, sendPhoto — no storage.
Telegram's rate limiter is off in both (it would cap either at 30 msg/s) and grouping is off in the
pipeline (each event in its own message, so that each webhook maps to one sendPhoto).

Method (see bench/README.md): the simulator emits camera events round-robin over the homes at a fixed
offered rate, paced on the monotonic clock. A *throughput* run offers more than either side can take
(`--rate` for `--seconds`) and reports delivered / (last sendPhoto − first emit). A *latency* run then
offers a fixed lower rate, the same for both (`--latency-rate`, by default half the lower of the two
throughputs; then `--light-rate`), so that p50/p99 measure the path and not a queue; each latency run
has at least `--latency-samples` events (300), so that its p99 is not just the worst event, taken in
`--latency-turns` turns (3) that alternate the two systems, so that a slow spell of this shared machine
does not fall on one of them only. Latency is
from the simulator emitting an event (just before its webhook POST) to the emulator receiving the
matching sendPhoto; the n-th photo in a chat is matched with the n-th event of that home
(`time.monotonic()` is system-wide on Linux).
A short warm-up precedes each system's runs. Netatmo requests per home per hour are computed from the
poller's schedule function (`next_poll_delay`, webhooks flowing), not measured. Peak RSS is given for
this process (bot + relay) and for the largest child.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")

import aiohttp
from aiohttp import web
from sqlalchemy import event, select, text
from telegram import Bot
from telegram.ext import Application

from bench.standins import USER_BASE, home_of
from bot import eventloop
from bot.alerts.delivery import build_worker
from bot.alerts.poller import PollConfig, next_poll_delay
from bot.alerts.sending import SendingPolicy
from bot.app import BotRuntime
from bot.chat.telegram_request import AiohttpRequest
from bot.config import Settings
from bot.services import Component, Services
from bot.storage.engine import create_engine
from bot.storage.models import (
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)
from bot.web.netatmo_webhook import register_netatmo_webhook
from bot.wiring import intake_component
from standins.netatmo_sim import SimulatorConfig

STANDINS = Path(__file__).resolve().parent / "standins.py"
SIM = SimulatorConfig()  # the client id and secret the simulator child uses (its defaults)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(*stand_ins: int) -> None:
    """For the light-load runs: the stand-ins on the first CPU, this process (the system under test) on
    the others, as if they ran on another machine: neither preempts the other, and the bot's threads hand
    work to each other on their own CPU. Not for the other runs: on one CPU the stand-ins would cap the
    throughput runs (their pushes time out) and queue at high rates, measuring themselves. Linux only; a
    no-op with a single CPU."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        print("--pin: fewer than 2 CPUs, nothing pinned")
        return
    for pid in stand_ins:
        os.sched_setaffinity(pid, {cpus[0]})
    for thread in os.listdir(f"/proc/{os.getpid()}/task"):  # threads started later inherit it
        os.sched_setaffinity(int(thread), set(cpus[1:]))


SQL: Counter[str] = Counter()  # statements the pipeline's engine ran, by their first words


def count_statements(runtime: BotRuntime) -> None:
    """Count every statement (and commit) the pipeline sends to its database."""
    engine = runtime._engine
    assert engine is not None

    def statement(conn: Any, cursor: Any, text: str, params: Any, context: Any, many: bool) -> None:
        SQL[" ".join(text.split()[:4])[:60]] += 1

    def commit(conn: Any) -> None:
        SQL["COMMIT"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine, "commit", commit)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_delivery(services: Services, application: Application) -> Component:
    """The production worker with Telegram's rate limiter off and grouping off (see the docstring)."""
    application.bot._rate_limiter = None  # measure our pipeline, not Telegram's published limits
    worker = build_worker(services, application, policy=SendingPolicy(group_max=1))
    services.delivery = worker  # as `bot.wiring.delivery_component` does
    return worker


class Child:
    """A stand-in in its own process; `info` is the JSON line it prints once it serves."""

    def __init__(self, which: str, homes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(STANDINS), which, "--homes", str(homes)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{which} stand-in did not start")
        self.info: dict[str, str] = json.loads(line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def seed(runtime: BotRuntime, homes: int) -> None:
    """Links, homes, cameras, chats and subscriptions written directly, as linking would have left them."""
    services = runtime.services
    assert services is not None
    far = datetime.now(UTC) + timedelta(days=1)
    token = services.cipher.encrypt("bench-token")
    async with services.sessions.begin() as session:
        for index in range(homes):
            home_id, camera_id, _ = home_of(index)
            user_id = USER_BASE + index
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


class Bench:
    """Drives the stand-ins over HTTP and measures one run."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        simulator: str,
        emulator: str,
        homes: int,
        processes: dict[str, int],
    ) -> None:
        self.http = http
        self.processes = processes  # name -> pid, for the CPU time each spends per alert
        self.simulator = simulator
        self.emulator = emulator
        self.homes = homes
        self.next_home = 0

    async def point_webhooks(self, url: str) -> None:
        async with self.http.post(
            f"{self.simulator}/_bench/webhooks", json={"url": url, "homes": self.homes}
        ) as response:
            response.raise_for_status()

    async def run(self, rate: float, count: int, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        """Offer `count` events at `rate`/s; wait for as many sendPhoto calls (or `timeout` of silence)."""
        async with self.http.post(f"{self.emulator}/_bench/reset") as response:
            response.raise_for_status()
        photos: list[list[Any]] = []
        cursor = 0
        texts = 0
        cpu_before = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
        sql_before = SQL.copy()
        failed_before = await self.failed_pushes()
        emit = asyncio.create_task(self._emit(rate, count))
        last_progress = time.monotonic()
        while len(photos) < count:
            await asyncio.sleep(0.25)
            async with self.http.get(f"{self.emulator}/_bench/photos", params={"since": cursor}) as response:
                page = await response.json()
            cursor = page["next"]
            texts += page.get("texts", 0)
            if page["photos"]:
                photos.extend(page["photos"])
                last_progress = time.monotonic()
            elif emit.done() and time.monotonic() - last_progress > timeout:
                break
        emitted, emit_seconds = await emit
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in self.processes.items()}
        sql = SQL - sql_before
        self.next_home = (self.next_home + count) % self.homes  # next run starts on fresh homes
        failed = await self.failed_pushes() - failed_before
        return {
            **figures(emitted, emit_seconds, photos, count),
            "cpu": cpu,
            "sql": sql,
            "failed": failed,
            "texts": texts,
        }

    async def failed_pushes(self) -> int:
        """Webhook pushes the simulator gave up on so far (timeouts, errors, non-2xx): with polling off,
        the bench's pipeline never hears of those events."""
        async with self.http.get(f"{self.simulator}/_sim/webhooks") as response:
            registrations = (await response.json())["registrations"]
        return sum(int(registration["failed"]) for registration in registrations)

    async def _emit(self, rate: float, count: int) -> tuple[list[list[float]], float]:
        body = {"rate": rate, "count": count, "homes": self.homes, "start": self.next_home}
        async with self.http.post(f"{self.simulator}/_bench/emit", json=body) as response:
            response.raise_for_status()
            result = await response.json()
        return result["emitted"], float(result["seconds"])


def figures(
    emitted: list[list[float]], emit_seconds: float, photos: list[list[Any]], count: int
) -> dict[str, Any]:
    ok = [p for p in photos if p[2] == 200]
    by_home: dict[int, list[float]] = defaultdict(list)
    for index, at in emitted:
        by_home[USER_BASE + int(index)].append(at)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for chat, at, _ in ok:
        per_chat[int(chat)].append(at)
    latencies = sorted(
        sent - made
        for chat, times in per_chat.items()
        for sent, made in zip(sorted(times), sorted(by_home.get(chat, [])), strict=False)
    )
    first = min((at for _, at in emitted), default=0.0)
    end = max((at for _, at, _ in ok), default=first)
    span = end - first
    return {
        "delivered": len(ok),
        "expected": count,
        "emit_seconds": emit_seconds,
        "offered": count / emit_seconds if emit_seconds else float("inf"),
        "rate": len(ok) / span if ok and span > 0 else 0.0,
        "seconds": span,
        "latencies": latencies,
        **percentiles(latencies),
    }


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50 and p99 of sorted latencies."""
    if not latencies:
        return {"p50": float("nan"), "p99": float("nan")}
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several runs of one system at one rate, as if they were one run."""
    delivered = sum(part["delivered"] for part in parts)
    expected = sum(part["expected"] for part in parts)
    emit_seconds = sum(part["emit_seconds"] for part in parts)
    seconds = sum(part["seconds"] for part in parts)
    latencies = sorted(latency for part in parts for latency in part["latencies"])
    cpu: Counter[str] = Counter()
    sql: Counter[str] = Counter()
    failed = sum(part["failed"] for part in parts)
    texts = sum(part["texts"] for part in parts)
    for part in parts:
        cpu.update(part["cpu"])
        sql.update(part["sql"])
    return {
        "delivered": delivered,
        "expected": expected,
        "emit_seconds": emit_seconds,
        "offered": expected / emit_seconds if emit_seconds else float("inf"),
        "rate": delivered / seconds if seconds > 0 else 0.0,
        "seconds": seconds,
        "latencies": latencies,
        **percentiles(latencies),
        "cpu": dict(cpu),
        "sql": sql,
        "failed": failed,
        "texts": texts,
    }


async def wipe(url: str) -> None:
    """Empty the database the pipeline is pointed at (`--database-url`): the bench seeds its own homes."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
            else:
                raise SystemExit(
                    "--database-url: only PostgreSQL (SQLite is the default, in a temporary folder)"
                )
    finally:
        await engine.dispose()


async def start_pipeline(
    args: argparse.Namespace, simulator: str, emulator: dict[str, str], tmp: Path
) -> tuple[BotRuntime, str]:
    port = free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=emulator["token"],
        telegram_api_url=emulator["url"],
        netatmo_api_url=simulator,
        netatmo_client_id=SIM.client_id,
        netatmo_client_secret=SIM.client_secret,
        data_dir=tmp / "data",
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        webrtc_ice_servers=[],
        database_url=args.database_url,
    )
    if args.database_url:
        await wipe(args.database_url)
    runtime = BotRuntime(
        settings,
        features=(),
        routes=[register_netatmo_webhook],
        components=[bench_delivery, intake_component],
    )
    await runtime.start()
    await seed(runtime, args.homes)
    count_statements(runtime)
    return runtime, settings.netatmo_webhook_url


class Relay:
    """The floor: webhook in, snapshot fetched, sendPhoto out; nothing stored, nothing routed."""

    def __init__(self, emulator: dict[str, str], homes: int) -> None:
        self.bot = Bot(
            emulator["token"],
            base_url=f"{emulator['url']}/bot",
            # the bot's own Telegram transport, configured as the bot configures it for a loopback Bot API
            request=AiohttpRequest(connection_pool_size=32, trust_env=False),
        )
        self.chats = {home_of(i)[0]: USER_BASE + i for i in range(homes)}
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(32)  # as many sends in flight as the pipeline's worker
        self.url = ""

    async def start(self) -> None:
        await self.bot.initialize()
        self.http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.http.close()
        await self.bot.shutdown()

    async def relay(self, payload: dict[str, Any]) -> None:
        async with self.slots:
            async with self.http.get(payload["snapshot_url"]) as response:
                data = await response.read()
            chat = self.chats[payload["home_id"]]
            await self.bot.send_photo(chat, data, filename="s.jpg", caption=payload.get("message"))

    async def handle(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        if payload.get("snapshot_url") and payload.get("home_id") in self.chats:
            task = asyncio.create_task(self.relay(payload))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.Response(text="ok")


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


def report(name: str, figures: dict[str, Any], verbose: bool = False) -> None:
    print(
        f"{name:<20} offered {figures['offered']:6.0f}/s → achieved {figures['rate']:6.1f} alerts/s "
        f"({figures['delivered']}/{figures['expected']} in {figures['seconds']:.1f} s); "
        f"latency p50 {figures['p50'] * 1000:7.0f} ms, p99 {figures['p99'] * 1000:7.0f} ms"
    )
    delivered = max(1, figures["delivered"])
    per_alert = ", ".join(
        f"{name} {seconds / delivered * 1000:.2f}" for name, seconds in figures["cpu"].items()
    )
    print(f"{'':<20} CPU ms per alert: {per_alert}")
    if figures["failed"]:
        print(f"{'':<20} webhook pushes the simulator gave up on: {figures['failed']}")
    if figures["texts"]:
        print(f"{'':<20} alerts sent as text, their picture not ready in time: {figures['texts']}")
    sql: Counter[str] = figures["sql"]
    if sql:
        print(f"{'':<20} SQL per alert: {sum(sql.values()) / delivered:.2f} statements (commits included)")
        if verbose:
            for text, n in sql.most_common():
                print(f"{'':<24} {n / delivered:5.2f}  {text}")


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    began = time.monotonic()
    simulator_child = Child("simulator", args.homes)
    emulator_child = Child("emulator", args.homes)
    results: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with aiohttp.ClientSession() as http:
                processes = {
                    "system under test": os.getpid(),
                    "simulator": simulator_child.process.pid,
                    "emulator": emulator_child.process.pid,
                }
                bench = Bench(
                    http, simulator_child.info["url"], emulator_child.info["url"], args.homes, processes
                )
                runtime, hook = await start_pipeline(
                    args, simulator_child.info["url"], emulator_child.info, Path(tmp)
                )
                relay = Relay(emulator_child.info, args.homes)
                await relay.start()
                gc.freeze()  # as `bot.app.run_until_signalled` does once the bot has started
                count = int(args.rate * args.seconds)
                try:
                    for name, url in (("relay", relay.url), ("pipeline", hook)):
                        await bench.point_webhooks(url)
                        await bench.run(args.warmup_rate, args.warmup, args.timeout)  # connections, caches
                        results[f"{name} throughput"] = await bench.run(args.rate, count, args.timeout)
                    latency_rate = args.latency_rate or 0.5 * min(
                        results["relay throughput"]["rate"], results["pipeline throughput"]["rate"]
                    )
                    loads = {"latency": latency_rate, "light load": args.light_rate}
                    for load, rate in loads.items():
                        if rate <= 0:
                            continue
                        latency_count = max(args.latency_samples, int(rate * args.latency_seconds))
                        if args.pin and load == "light load":  # the other runs need both CPUs (see `pin`)
                            pin(simulator_child.process.pid, emulator_child.process.pid)
                        # In turns, so that a slow spell of the machine falls on both systems alike.
                        turns = max(1, args.latency_turns)
                        parts: dict[str, list[dict[str, Any]]] = defaultdict(list)
                        for _ in range(turns):
                            for name, url in (("relay", relay.url), ("pipeline", hook)):
                                await bench.point_webhooks(url)
                                await asyncio.sleep(1.0)  # let the activation pushes settle
                                part = await bench.run(rate, -(-latency_count // turns), args.timeout)
                                parts[name].append(part)
                        for name, runs in parts.items():
                            results[f"{name} {load}"] = merge(runs)
                finally:
                    await relay.stop()
                    await runtime.stop()
    finally:
        simulator_child.stop()
        emulator_child.stop()
    polling = polling_requests_per_home_hour()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"homes {args.homes}; one camera event per home, round-robin; {time.monotonic() - began:.0f} s")
    for name, figures in results.items():
        report(name, figures, args.sql)
    pipeline, relay_tp = results["pipeline throughput"], results["relay throughput"]
    ratios = {}
    for load in ("latency", "light load"):
        if f"pipeline {load}" not in results:
            continue
        slow, floor = results[f"pipeline {load}"], results[f"relay {load}"]
        ratio = ratios[load] = slow["p99"] / floor["p99"] if floor["p99"] else float("inf")
        print(f"p99 pipeline / relay at {slow['offered']:.0f}/s offered ({load}): {ratio:.2f}x")
    print(
        f"Netatmo requests per home per hour, webhooks healthy (computed from next_poll_delay): {polling:.1f}"
    )
    print(f"peak RSS: bench process (bot + relay) {rss_mb:.0f} MB; largest stand-in child {child_mb:.0f} MB")
    # What the measured throughput cannot show when the stand-ins share the CPUs: how many alerts per
    # second the system under test's own CPU time would allow on one core of this machine.
    capacity = {
        name: 1 / (cpu / max(1, results[f"{name} throughput"]["delivered"]))
        for name in ("pipeline", "relay")
        if (cpu := results[f"{name} throughput"]["cpu"]["system under test"]) > 0
    }
    if capacity:
        print(
            "one core's worth of the system under test's CPU per alert at saturation would carry: "
            + ", ".join(f"{name} {value:.0f} alerts/s" for name, value in capacity.items())
        )
    misses = []
    for load, ratio in ratios.items():
        if ratio > 1.5:
            misses.append(f"p99 is {ratio:.2f}x the direct relay at the {load} rate (target 1.5x)")
    if pipeline["rate"] < 500:
        misses.append(f"{pipeline['rate']:.0f} alerts/s (target >= 500; relay {relay_tp['rate']:.0f})")
    if polling > 60:
        misses.append(f"{polling:.0f} Netatmo requests per home per hour (target <= 60)")
    for name, figures in results.items():
        if figures["delivered"] < figures["expected"]:
            misses.append(
                f"{name}: only {figures['delivered']} of {figures['expected']} alerts arrived "
                f"({figures['failed']} webhook pushes failed at the simulator, the bench does not poll; "
                f"{figures['texts']} went out as text, the picture to follow by an edit)"
            )
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=600.0, help="offered events/s in the throughput runs")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the offer in throughput runs")
    parser.add_argument(
        "--latency-rate",
        type=float,
        default=0.0,
        help="offered events/s in the latency runs (0: half the lower measured throughput)",
    )
    parser.add_argument("--latency-seconds", type=float, default=8.0)
    parser.add_argument(
        "--latency-turns",
        type=int,
        default=3,
        help="the latency runs alternate relay and pipeline this many times, their events split evenly",
    )
    parser.add_argument(
        "--latency-samples",
        type=int,
        default=300,
        help="fewest events of a latency run (of 100, the p99 would be the single worst one)",
    )
    parser.add_argument(
        "--light-rate", type=float, default=10.0, help="offered events/s of a second latency run (0: none)"
    )
    parser.add_argument("--warmup", type=int, default=300, help="events of the warm-up run")
    parser.add_argument("--warmup-rate", type=float, default=100.0)
    parser.add_argument(
        "--database-url",
        default="",
        help="run the pipeline on this PostgreSQL database, which the bench EMPTIES first (default: SQLite)",
    )
    parser.add_argument("--sql", action="store_true", help="list the pipeline's SQL statements per alert")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="in the light-load runs, stand-ins on the first CPU, the system under test on the others (on)",
    )
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds without a new photo to give up")
    eventloop.run(main(parser.parse_args()))
