"""Netatmo Connect simulator: OAuth, REST API, cameras, WebRTC, webhooks and an admin API.

See standins/netatmo_sim/README.md. Shares no code with the bot's own Netatmo model on purpose.
"""

from __future__ import annotations

from standins.netatmo_sim.config import SimulatorConfig
from standins.netatmo_sim.server import Simulator, run_simulator

__all__ = ["Simulator", "SimulatorConfig", "run_simulator"]
