"""Command line: `python -m bot run | migrate | simulator | demo` (the README describes each)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import eventloop
from bot.config import ConfigError, load_settings
from bot.logs import configure_logging


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.app import BotRuntime, run_until_signalled
    from bot.wiring import default_components, default_routes

    settings = load_settings()
    configure_logging(settings.log_level)
    settings.require_telegram()
    runtime = BotRuntime(settings, routes=default_routes(), components=default_components())
    eventloop.run(run_until_signalled(runtime))
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage import migrate

    settings = load_settings()
    configure_logging(settings.log_level)
    eventloop.run(migrate.upgrade(settings.effective_database_url))
    print("Database is up to date.")
    return 0


def _cmd_simulator(args: argparse.Namespace) -> int:
    from standins.netatmo_sim import run_simulator
    from standins.netatmo_sim.cli import config_from_args

    configure_logging(args.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        eventloop.run(run_simulator(config_from_args(args)))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from standins.demo import run_demo

    configure_logging(args.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        eventloop.run(run_demo(args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="A Telegram bot for Netatmo homes.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (reads the environment and .env)").set_defaults(
        func=_cmd_run
    )
    commands.add_parser("migrate", help="apply database migrations and exit").set_defaults(func=_cmd_migrate)

    simulator = commands.add_parser("simulator", help="run the local Netatmo simulator")
    simulator.add_argument("--log-level", default="INFO")
    try:
        from standins.netatmo_sim.cli import add_arguments
    except ImportError:
        simulator.add_argument("--host", default="127.0.0.1")
        simulator.add_argument("--port", type=int, default=8081)
        simulator.add_argument("--homes", type=int, default=0)
        simulator.add_argument("--seed", type=int, default=0)
    else:
        add_arguments(simulator)
    simulator.set_defaults(func=_cmd_simulator)

    demo = commands.add_parser("demo", help="simulator + Telegram emulator + the bot + a web chat page")
    demo.add_argument("--host", default="127.0.0.1", help="interface for all three servers")
    demo.add_argument("--port", type=int, default=8090, help="port of the web chat page")
    demo.add_argument("--simulator-port", type=int, default=8081)
    demo.add_argument("--bot-port", type=int, default=8080, help="the bot's web server (OAuth callback)")
    demo.add_argument("--events-every", type=float, default=60.0, help="seconds between random events")
    demo.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    demo.add_argument("--log-level", default="INFO")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"Configuration problem: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        if exc.name and exc.name.startswith("standins"):
            # The production image ships the bot alone; the simulator and the emulator stay in the repository.
            print(
                f"'{args.command}' needs the stand-ins, which this installation leaves out ({exc.name} is "
                "missing): run it from a checkout of the repository.",
                file=sys.stderr,
            )
            return 3
        raise


if __name__ == "__main__":
    sys.exit(main())
