"""Lock-step rollouts of many planners at once.

The batched counterpart of :meth:`mesatoys.agents.planner.MesaOptimizer.act`: the
same decisions, computed for thousands of (objective, level) pairs together. The
planner's values come from :func:`mesatoys.agents.planner.discount_tables` (one
breadth-first search per feature and level, shared by every agent that plays the
level) and :func:`mesatoys.agents.planner.greedy_actions`; a test checks them
against full value iteration through the Gymnasium view.

An episode ends when the agent reaches the cheese (the environment's only
reward), when it stops because no move beats staying where it is (it has arrived
at the cell its mesa-objective values most, or values nothing), or at the step
limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import (
    DEFAULT_GAMMA,
    check_gamma,
    discount_tables,
    feature_utilities,
    greedy_actions,
)
from mesatoys.envs.features import CHEESE, feature_cells, shared_cells, view_table
from mesatoys.envs.maze import LevelBatch, base_return, neighbour_table


@dataclass(frozen=True)
class Episodes:
    """What happened in a batch of episodes.

    Attributes:
        reached_cheese: The agent reached the cheese (the base objective).
        proxy: The episode ended on the top-right corner and the agent never
            reached the cheese: it went for the corner instead of the cheese.
        reached_mesa_goal: The agent reached the cell it set out for at its first step.
        cheese_in_view: The cheese was in the agent's view at its first step.
        returns: Base-objective return per episode.
        steps: Moves taken.
        final_pos: ``(n, 2)`` where each episode ended.
        mesa_goal: ``(n, 2)`` the cell each agent set out for at its first step
            (``(-1, -1)``: it valued no cell and stayed put).
        paths: ``(n, max_steps + 1, 2)`` visited cells, when recorded.
    """

    reached_cheese: np.ndarray
    proxy: np.ndarray
    reached_mesa_goal: np.ndarray
    cheese_in_view: np.ndarray
    returns: np.ndarray
    steps: np.ndarray
    final_pos: np.ndarray
    mesa_goal: np.ndarray
    paths: np.ndarray | None = None


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
        """One breadth-first search per feature and level."""
        gamma = check_gamma(gamma)
        cells = feature_cells(levels)
        discount = discount_tables(levels.walls, cells, gamma)
        flat_cells = cells[..., 0] * levels.size + cells[..., 1]
        same = shared_cells(cells).astype(float)
        return cls(levels, flat_cells, same, discount, neighbour_table(levels.walls), gamma)


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
    weights = np.asarray(weights, dtype=float)
    lvl = np.asarray(level_index)
    size = tables.levels.size
    view = tables.view(cheese_radius)
    start = tables.levels.start[lvl]
    pos = start[:, 0] * size + start[:, 1]
    seen = view[lvl, pos]
    in_view = seen.copy()
    cheese = tables.cells[lvl, CHEESE]
    utility = feature_utilities(weights, tables.same[lvl], seen)
    goal = _first_goal(tables, lvl, pos, utility)
    got = np.zeros(len(lvl), dtype=bool)
    reached_goal = pos == goal
    steps = np.zeros(len(lvl), dtype=np.int64)
    paths = np.repeat(pos[:, None], max_steps + 1, axis=1) if record else None
    ids = np.arange(len(lvl))
    for t in range(1, max_steps + 1):
        nxt = tables.neighbours[lvl[ids], pos[ids]]
        action = greedy_actions(utility[ids], tables.discount, lvl[ids], nxt)
        moving = action != 0
        ids, nxt, action = ids[moving], nxt[moving], action[moving]
        if len(ids) == 0:
            break
        pos[ids] = nxt[np.arange(len(ids)), action]
        steps[ids] = t
        if record:
            paths[ids, t:] = pos[ids, None]
        reached_goal[ids] |= pos[ids] == goal[ids]
        sighted = ~seen[ids] & view[lvl[ids], pos[ids]]
        if sighted.any():
            new = ids[sighted]
            seen[new] = True
            utility[new] = feature_utilities(weights[new], tables.same[lvl[new]], seen[new])
        on_cheese = pos[ids] == cheese[ids]
        got[ids[on_cheese]] = True
        ids = ids[~on_cheese]
    corner = size + size - 2
    unflat = lambda flat: np.stack(np.divmod(flat, size), axis=-1)  # noqa: E731
    return Episodes(
        reached_cheese=got,
        proxy=(pos == corner) & ~got,
        reached_mesa_goal=reached_goal,
        cheese_in_view=in_view,
        returns=np.where(got, base_return(steps, max_steps), 0.0),
        steps=steps,
        final_pos=unflat(pos),
        mesa_goal=np.where(goal[:, None] >= 0, unflat(np.maximum(goal, 0)), -1),
        paths=None if paths is None else unflat(paths),
    )


def _first_goal(
    tables: PlanningTables, lvl: np.ndarray, pos: np.ndarray, utility: np.ndarray
) -> np.ndarray:
    """Flat cell each agent values most from where it starts (-1: it values none)."""
    rows = np.arange(len(lvl))
    value = utility * tables.discount[lvl, :, pos]
    best = value.argmax(axis=1)
    return np.where(value[rows, best] > 0, tables.cells[lvl, best], -1)


def play(
    weights: np.ndarray,
    levels: LevelBatch,
    *,
    gamma: float = DEFAULT_GAMMA,
    cheese_radius: int | None,
    max_steps: int,
    record: bool = False,
) -> Episodes:
    """One planner (one weight vector) plays every level once.

    Args:
        weights: ``(n_features,)`` mesa-objective ordered as ``FEATURE_NAMES``.
        levels: The levels.
        gamma: Planning discount, in (0, 1).
        cheese_radius: View radius for the cheese (``None``: always visible).
        max_steps: Episode length limit.
        record: Keep every episode's path.

    Returns:
        The episodes' outcomes, one per level.
    """
    weights = np.asarray(weights, dtype=float)
    return simulate(
        PlanningTables.build(levels, gamma),
        np.broadcast_to(weights, (len(levels), len(weights))),
        np.arange(len(levels)),
        cheese_radius=cheese_radius,
        max_steps=max_steps,
        record=record,
    )
