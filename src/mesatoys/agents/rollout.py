"""Lock-step rollouts of many planners at once.

The batched counterpart of :meth:`mesatoys.agents.planner.MesaOptimizer.act`: the
same decisions, computed for thousands of (objective, level) pairs together. Value
iteration runs once per feature and level (:class:`PlanningTables`); because the
mesa-utility is a weighted sum of single-cell features, the value of a cell is the
best ``utility * gamma**distance`` over the features, which a test checks against
full value iteration through the Gymnasium view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mesatoys.envs.features import CHEESE, feature_cells, shared_cells, view_table
from mesatoys.envs.maze import (
    UNREACHABLE,
    LevelBatch,
    base_return,
    distance_maps,
    neighbour_table,
)

DEFAULT_GAMMA = 0.95


@dataclass(frozen=True)
class Episodes:
    """What happened in a batch of episodes.

    Attributes:
        reached_cheese: Episode ended on the cheese (the base objective).
        reached_corner: The agent stood on the top-right corner before any cheese.
        reached_mesa_goal: The agent reached the cell it first chose to go to.
        returns: Base-objective return per episode.
        steps: Moves taken.
        final_pos: ``(n, 2)`` where each episode ended.
        mesa_goal: ``(n, 2)`` the cell each agent first chose to go to.
        paths: ``(n, max_steps + 1, 2)`` visited cells, when recorded.
    """

    reached_cheese: np.ndarray
    reached_corner: np.ndarray
    reached_mesa_goal: np.ndarray
    returns: np.ndarray
    steps: np.ndarray
    final_pos: np.ndarray
    mesa_goal: np.ndarray
    paths: np.ndarray | None = None

    @property
    def proxy(self) -> np.ndarray:
        """Reached the corner and never the cheese."""
        return self.reached_corner & ~self.reached_cheese


@dataclass(frozen=True)
class PlanningTables:
    """Per-level quantities a planner needs, computed once and shared by many agents.

    Cells are addressed by flat index ``row * size + column``.

    Attributes:
        levels: The levels.
        cells: ``(n, k)`` flat cell of each feature.
        same: ``(n, k, k)`` 1.0 where two features share a cell.
        discount: ``(n, k, size * size)``: ``gamma ** distance`` to each feature.
        neighbours: ``(n, size * size, 5)`` cell reached by each action.
        gamma: Discount used.
        views: Cache of :meth:`view` tables by radius.
    """

    levels: LevelBatch
    cells: np.ndarray
    same: np.ndarray
    discount: np.ndarray
    neighbours: np.ndarray
    gamma: float
    views: dict = field(default_factory=dict, repr=False, compare=False)

    def view(self, cheese_radius: int | None) -> np.ndarray:
        """``(n, size * size)``: cells from which each level's cheese is in view (cached)."""
        if cheese_radius not in self.views:
            self.views[cheese_radius] = view_table(self.levels, cheese_radius)
        return self.views[cheese_radius]

    @classmethod
    def build(cls, levels: LevelBatch, gamma: float = DEFAULT_GAMMA) -> PlanningTables:
        """Run value iteration once per feature and level."""
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma}")
        cells = feature_cells(levels)
        n, k, _ = cells.shape
        walls = np.repeat(levels.walls, k, axis=0)
        dist = distance_maps(walls, cells.reshape(n * k, 2)).reshape(n, k, -1)
        discount = np.where(dist < UNREACHABLE, gamma ** dist.astype(float), 0.0)
        flat_cells = cells[..., 0] * levels.size + cells[..., 1]
        same = shared_cells(cells).astype(float)
        return cls(levels, flat_cells, same, discount, neighbour_table(levels.walls), float(gamma))


def simulate(
    tables: PlanningTables,
    weights: np.ndarray,
    level_index: np.ndarray,
    *,
    cheese_radius: int | None,
    max_steps: int,
    record: bool = False,
) -> Episodes:
    """Roll out many planners, each on one level, in lock step.

    Args:
        tables: Planning tables of the levels.
        weights: ``(n_episodes, n_features)`` mesa-objectives, one per episode.
        level_index: ``(n_episodes,)`` which level each episode plays.
        cheese_radius: View radius for the cheese (``None``: always visible).
        max_steps: Episode length limit.
        record: Keep every episode's path.

    Returns:
        The episodes' outcomes.
    """
    run = _Rollout(tables, np.asarray(weights, dtype=float), np.asarray(level_index))
    return run.play(tables.view(cheese_radius), max_steps, record)


class _Rollout:
    """A lock-step rollout; episodes that have finished drop out of the arrays."""

    def __init__(self, tables: PlanningTables, weights: np.ndarray, level_index: np.ndarray):
        levels = tables.levels
        self.tables, self.weights, self.lvl = tables, weights, level_index
        self.size = levels.size
        self.cells = tables.cells[level_index]
        self.same = tables.same[level_index]
        start = levels.start[level_index]
        self.pos = start[:, 0] * self.size + start[:, 1]
        self.consumed = np.zeros(weights.shape, dtype=bool)
        self.features = np.arange(weights.shape[1])[None, :, None]

    def keep(self, live: np.ndarray) -> None:
        """Drop finished episodes from the working arrays."""
        for name in ("weights", "lvl", "cells", "same", "pos", "consumed"):
            setattr(self, name, getattr(self, name)[live])

    def utilities(self, seen: np.ndarray) -> np.ndarray:
        """Positive utility of each feature's cell, given what is seen and used up."""
        self.consumed |= self.cells == self.pos[:, None]
        active = np.where(self.consumed, 0.0, self.weights)
        active[:, CHEESE] *= seen
        return np.maximum(np.einsum("nkj,nj->nk", self.same, active), 0.0)

    def scores(self, utility: np.ndarray) -> np.ndarray:
        """``(n, k, 5)`` discounted utility of each feature after each action."""
        nxt = self.tables.neighbours[self.lvl, self.pos]
        reach = self.tables.discount[self.lvl[:, None, None], self.features, nxt[:, None, :]]
        return utility[:, :, None] * reach

    def play(self, view: np.ndarray, max_steps: int, record: bool) -> Episodes:
        n = len(self.pos)
        rows = np.arange(n)
        corner_cell = self.size + self.size - 2
        seen = view[self.lvl, self.pos]
        scores = self.scores(self.utilities(seen))
        target = scores[:, :, 0].argmax(axis=1)
        has_goal = scores[rows, target, 0] > 0
        goal = np.where(has_goal, self.cells[rows, target], -1)
        out = {
            "got_cheese": np.zeros(n, dtype=bool),
            "corner": np.zeros(n, dtype=bool),
            "reached_goal": has_goal & (self.pos == goal),
            "steps": np.zeros(n, dtype=np.int64),
            "final": self.pos.copy(),
        }
        paths = np.repeat(self.pos[:, None], max_steps + 1, axis=1) if record else None
        action = scores.max(axis=1).argmax(axis=1)
        ids = rows
        for t in range(1, max_steps + 1):
            live = action != 0
            if not live.all():
                ids, seen, action = ids[live], seen[live], action[live]
                self.keep(live)
                if len(ids) == 0:
                    break
            self.pos = self.tables.neighbours[self.lvl, self.pos, action]
            out["final"][ids] = self.pos
            out["steps"][ids] = t
            if record:
                paths[ids, t:] = self.pos[:, None]
            seen |= view[self.lvl, self.pos]
            at_cheese = self.pos == self.cells[:, CHEESE]
            out["got_cheese"][ids[at_cheese]] = True
            out["corner"][ids[(self.pos == corner_cell) & ~at_cheese]] = True
            out["reached_goal"][ids[self.pos == goal[ids]]] = True
            action = self.scores(self.utilities(seen)).max(axis=1).argmax(axis=1)
            action[at_cheese] = 0
        returns = np.where(out["got_cheese"], base_return(out["steps"], max_steps), 0.0)
        unflat = lambda flat: np.stack(np.divmod(flat, self.size), axis=-1)  # noqa: E731
        return Episodes(
            out["got_cheese"],
            out["corner"],
            out["reached_goal"],
            returns,
            out["steps"],
            unflat(out["final"]),
            unflat(goal),
            None if paths is None else unflat(paths),
        )
