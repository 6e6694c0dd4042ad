"""The simulated Netatmo world: plain data plus the rules that change it (no HTTP)."""

from __future__ import annotations

from standins.netatmo_sim.world.world import World

__all__ = ["World"]
