"""Agents: the mesa-optimizer (a planner with a learned objective) and a reactive baseline.

:class:`MLP` is the small numpy network the learned policies are made of;
:class:`PolicyNetwork` is one trained by policy gradient from the base reward alone.
:mod:`mesatoys.agents.watched_planner` is the absent-supervisor world's mesa-optimizer
(a planner that sees who is watching), and :mod:`mesatoys.agents.watched_evaluator`
computes exactly what its policies earn there.
"""

from mesatoys.agents.network import MLP
from mesatoys.agents.planner import MesaOptimizer
from mesatoys.agents.policy_gradient import PolicyNetwork
from mesatoys.agents.reactive import ReactivePolicy

__all__ = ["MLP", "MesaOptimizer", "PolicyNetwork", "ReactivePolicy"]
