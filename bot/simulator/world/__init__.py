"""The simulated Netatmo world: plain data plus the rules that change it (no HTTP)."""

from __future__ import annotations

from bot.simulator.world.world import World

__all__ = ["World"]
