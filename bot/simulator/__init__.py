"""Netatmo Connect simulator: OAuth, REST API, cameras, WebRTC, webhooks and an admin API.

See bot/simulator/README.md. Shares no code with the bot's own Netatmo model on purpose.
"""

from __future__ import annotations

from bot.simulator.config import SimulatorConfig
from bot.simulator.server import Simulator, run_simulator

__all__ = ["Simulator", "SimulatorConfig", "run_simulator"]
