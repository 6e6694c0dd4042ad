"""`python -m bot demo`: the whole product on this machine with no accounts.

The Netatmo simulator stands in for Netatmo, the playground's Bot API emulator for Telegram (with a web
chat page to play the users), and the real bot runs between them exactly as in production: same code,
same configuration path, only the two base URLs point at 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.app import BotRuntime
from bot.config import Settings
from bot.wiring import default_components, default_routes
from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.telegram_emulator.demo import start_playground

LOG = logging.getLogger(__name__)

DEMO_TOKEN = "123456:DEMO-TOKEN"
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"


def demo_settings(args: argparse.Namespace, emulator_url: str, simulator_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=DEMO_TOKEN,
        telegram_api_url=emulator_url,
        netatmo_client_id=DEMO_CLIENT_ID,
        netatmo_client_secret=DEMO_CLIENT_SECRET,
        netatmo_api_url=simulator_url,
        public_url=f"http://{args.host}:{args.bot_port}",
        web_host=args.host,
        web_port=args.bot_port,
        data_dir=args.data_dir,
        webrtc_ice_servers=[],
        netatmo_webhooks="on",  # the simulator pushes to 127.0.0.1 like Netatmo would to a public URL
        log_level=args.log_level.upper(),
    )


async def run_demo(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    simulator = Simulator(
        SimulatorConfig(
            host=args.host,
            port=args.simulator_port,
            events_every=args.events_every or None,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
        )
    )
    await simulator.start()
    emulator = await start_playground(args.host, args.port, DEMO_TOKEN, "netatmo_demo_bot")
    runtime = BotRuntime(
        demo_settings(args, emulator.base_url, simulator.base_url),
        routes=default_routes(),
        components=default_components(),
    )
    try:
        await runtime.start()
        print(
            "\nThe offline demo is running.\n"
            f"  Chat page:           {emulator.base_url}/\n"
            f"  Netatmo simulator:   {simulator.base_url}/  (admin API under /_sim/)\n"
            f"  Bot web server:      http://{args.host}:{runtime.web_port}/healthz\n"
            "Open the chat page, pick Alice, send /start and link the demo Netatmo account;\n"
            "then send /subscribe in the Family group. "
            + (f"A random camera event comes every {args.events_every:g} s; " if args.events_every else "")
            + "POST /_sim/events on the simulator triggers one at once.\n"
            "To run the real bot instead, put TELEGRAM_BOT_TOKEN and NETATMO_CLIENT_ID/SECRET in .env.\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        with contextlib.suppress(Exception):
            await runtime.stop()
        await emulator.stop()
        await simulator.stop()
