"""Command-line wiring for `python -m bot simulator` (the lead's CLI calls these two functions)."""

from __future__ import annotations

import argparse

from standins.netatmo_sim.config import SimulatorConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to a (sub)parser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to bind (0 = any free port)")
    parser.add_argument("--homes", type=int, default=0, help="extra generated accounts with one home each")
    parser.add_argument("--seed", type=int, default=0, help="seed that makes the world reproducible")
    parser.add_argument(
        "--events-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="generate a random camera event every SECONDS",
    )
    parser.add_argument("--client-id", default="sim-client-id", help="OAuth client id the simulator accepts")
    parser.add_argument(
        "--client-secret", default="sim-client-secret", help="its client secret (signs webhooks)"
    )
    parser.add_argument("--token-lifetime", type=int, default=10800, help="access token lifetime in seconds")
    parser.add_argument("--public-url", default=None, help="base URL written into camera and snapshot URLs")
    parser.add_argument(
        "--ice-server",
        action="append",
        default=[],
        dest="ice_servers",
        help="STUN/TURN URL for the WebRTC answerer (repeatable; none by default)",
    )
    loopback = parser.add_mutually_exclusive_group()
    loopback.add_argument(
        "--loopback-only",
        dest="loopback_only",
        action="store_true",
        default=True,
        help="restrict WebRTC host candidates and webhook targets to 127.0.0.1 (default)",
    )
    loopback.add_argument(
        "--no-loopback-only",
        dest="loopback_only",
        action="store_false",
        help="allow non-loopback ICE candidates and webhook URLs",
    )


def config_from_args(ns: argparse.Namespace) -> SimulatorConfig:
    """Build the config from parsed arguments."""
    return SimulatorConfig(
        host=ns.host,
        port=ns.port,
        extra_homes=ns.homes,
        seed=ns.seed,
        events_every=ns.events_every,
        client_id=ns.client_id,
        client_secret=ns.client_secret,
        token_lifetime=ns.token_lifetime,
        ice_servers=list(ns.ice_servers),
        loopback_only=ns.loopback_only,
        public_url=ns.public_url,
    )
