"""The benchmark's stand-ins, each run in a child process of `bench/alerts.py`:

    python bench/standins.py simulator --homes N   # Netatmo simulator + /_bench/ control routes
    python bench/standins.py emulator --users N    # Telegram Bot API emulator + /_bench/ control routes

Each binds 127.0.0.1 on a free port and prints one JSON line (`{"url": ...}`) once it serves. The bench
talks to them over HTTP only: the bot under test shares no event loop and no CPU time slice with them.

Simulator control:
- `POST /_bench/webhooks {"url", "homes"}` registers `url` as the webhook of the first `homes` accounts
  (replacing any earlier one) and waits for the activation pushes.
- `POST /_bench/emit {"rate", "count", "homes"}` triggers `count` camera events round-robin over the
  homes at `rate` events per second (paced on the monotonic clock, in small bursts each loop turn) and
  answers, once all are emitted, with the emit time (`time.monotonic()`, system-wide) of each event.

Emulator control:
- `GET /_bench/photos?since=K` the answered sendPhoto calls from the K-th request on, as
  `[chat_id, arrival time, status]`, how many alerts went out as text instead (`texts`: their picture
  was not ready in time), and the cursor to ask from next time.
- `POST /_bench/reset` forgets the request log and the stored files (memory stays flat over runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from aiohttp import web

from bot import eventloop
from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.world import generated
from standins.telegram_emulator import BotApiEmulator

USER_BASE = 7_000_000


def home_of(index: int) -> tuple[str, str, str]:
    """(home id, camera id, account id) of the index-th generated home."""
    return (
        generated.home_id(index),
        generated.device_id(index, generated.ROLE_CAMERA),
        generated.account_id(index),
    )


class BenchSimulator(Simulator):
    """The simulator with the bench's control routes added to its app."""

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.router.add_post("/_bench/webhooks", self._webhooks)
        app.router.add_post("/_bench/emit", self._emit)
        return app

    async def _webhooks(self, request: web.Request) -> web.Response:
        body = await request.json()
        pusher = self.state.webhooks
        assert pusher is not None
        for index in range(int(body["homes"])):
            pusher.add(home_of(index)[2], self.config.client_id, str(body["url"]))
        await self.drain_webhooks()
        return web.json_response({"registered": int(body["homes"])})

    async def _emit(self, request: web.Request) -> web.Response:
        body = await request.json()
        rate, count, homes = float(body["rate"]), int(body["count"]), int(body["homes"])
        start_index = int(body.get("start", 0))
        emitted: list[tuple[int, float]] = []
        start = time.monotonic()
        n = 0
        while n < count:
            due = min(count, int((time.monotonic() - start) * rate) + 1)
            while n < due:
                index = (start_index + n) % homes
                home_id, camera_id, _ = home_of(index)
                emitted.append((index, time.monotonic()))
                self.world.trigger_event(home_id, camera_id, "movement")  # pushes its webhook
                n += 1
            await asyncio.sleep(0.002)
        return web.json_response({"emitted": emitted, "seconds": time.monotonic() - start})


async def run_simulator(homes: int) -> None:
    simulator = BenchSimulator(SimulatorConfig(port=0, extra_homes=homes))
    await simulator.start()
    print(json.dumps({"url": simulator.base_url}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()


async def run_emulator(users: int) -> None:
    emulator = BotApiEmulator()
    server = emulator._server

    async def photos(request: web.Request) -> web.Response:
        # Only answered calls (a record is logged on arrival, its status set once it is answered).
        cursor = int(request.query.get("since", 0))
        rows = []
        texts = 0  # alerts sent as text (their picture was not ready), completed by an edit later
        requests = server.requests
        while cursor < len(requests) and requests[cursor].status is not None:
            record = requests[cursor]
            if record.method == "sendPhoto":
                rows.append([int(record.params.get("chat_id", 0)), record.time, record.status])
            elif record.method == "sendMessage" and record.status == 200:
                texts += 1
            cursor += 1
        return web.json_response({"photos": rows, "texts": texts, "next": cursor})

    async def reset(_: web.Request) -> web.Response:
        server.requests.clear()
        emulator.world.files.clear()
        emulator.world.files_by_path.clear()
        return web.json_response({"ok": True})

    emulator.app.router.add_get("/_bench/photos", photos)
    emulator.app.router.add_post("/_bench/reset", reset)
    for index in range(users):
        emulator.private_chat(emulator.add_user(f"Owner{index}", user_id=USER_BASE + index))
    await emulator.start()
    print(json.dumps({"url": emulator.base_url, "token": emulator.token}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="bench stand-ins")
    parser.add_argument("which", choices=("simulator", "emulator"))
    parser.add_argument("--homes", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runner = run_simulator if args.which == "simulator" else run_emulator
    with contextlib.suppress(KeyboardInterrupt):
        eventloop.run(runner(args.homes))


if __name__ == "__main__":
    main()
