"""Agents: the mesa-optimizer (a planner with a learned objective) and a reactive baseline."""

from mesatoys.agents.planner import MesaOptimizer
from mesatoys.agents.reactive import ReactivePolicy

__all__ = ["MesaOptimizer", "ReactivePolicy"]
