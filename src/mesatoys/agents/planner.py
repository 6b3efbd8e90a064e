"""The mesa-optimizer: an agent that searches, at decision time, for its own goal.

The agent carries a *mesa-objective*: one weight per named cell feature
(:data:`mesatoys.envs.features.FEATURE_NAMES`). At every step it scores each cell
it knows about by the summed weights of the features on it, runs value iteration
over the maze to find how good each position is (a cell ``d`` steps from a target
of utility ``u`` is worth ``u * gamma**d``), and steps to the neighbour with the
highest value, or stays if no neighbour is better. When it reaches a target, that
target is used up and it plans again. It never sees the environment's reward.

Value iteration over the whole maze is the planner's definition
(:func:`value_iteration`); the batched rollout (:func:`simulate`) uses the same
values computed feature by feature, which is exact because the utility is a sum of
point features.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mesatoys.envs.features import (
    CHEESE,
    FEATURE_NAMES,
    TOP_RIGHT,
    cheese_in_view,
    corner_cells,
    feature_cells,
    shared_cells,
)
from mesatoys.envs.maze import MOVES, LevelBatch, distance_maps

DEFAULT_GAMMA = 0.95


def objective_vector(mesa_objective: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """Turn a mesa-objective into a weight vector ordered as ``FEATURE_NAMES``.

    Args:
        mesa_objective: A ``{feature: weight}`` dict (missing features weigh 0) or
            an array of ``len(FEATURE_NAMES)`` weights.

    Returns:
        Float array of weights.

    Raises:
        ValueError: On an unknown feature name or a wrong-length array.
    """
    if isinstance(mesa_objective, Mapping):
        unknown = sorted(set(mesa_objective) - set(FEATURE_NAMES))
        if unknown:
            raise ValueError(
                f"mesa_objective has unknown features {unknown}; allowed: {list(FEATURE_NAMES)}"
            )
        return np.array([float(mesa_objective.get(f, 0.0)) for f in FEATURE_NAMES])
    weights = np.asarray(mesa_objective, dtype=float)
    if weights.shape != (len(FEATURE_NAMES),):
        raise ValueError(
            f"mesa_objective must have {len(FEATURE_NAMES)} weights "
            f"(one per {list(FEATURE_NAMES)}), got shape {weights.shape}"
        )
    return weights


def objective_dict(weights: np.ndarray) -> dict[str, float]:
    """``{feature name: weight}`` for a weight vector ordered as ``FEATURE_NAMES``."""
    return {name: float(w) for name, w in zip(FEATURE_NAMES, weights, strict=True)}


def value_iteration(
    walls: np.ndarray, utility: np.ndarray, gamma: float = DEFAULT_GAMMA, tol: float = 1e-12
) -> np.ndarray:
    """Value of every cell when the agent may walk and stop to collect a cell's utility.

    Solves ``V(s) = max(u(s), gamma * max_{s' next to s} V(s'))`` by repeated
    synchronous Bellman backups, for a batch of mazes at once.

    Args:
        walls: ``(n, size, size)`` walls.
        utility: ``(n, size, size)`` utility of stopping in each cell.
        gamma: Discount per step, in (0, 1).
        tol: Convergence tolerance.

    Returns:
        ``(n, size, size)`` values; walls get 0.
    """
    value = np.where(walls, 0.0, np.maximum(utility, 0.0))
    for _ in range(walls.shape[-1] ** 2):
        best = value.copy()
        np.maximum(best[:, 1:, :], gamma * value[:, :-1, :], out=best[:, 1:, :])
        np.maximum(best[:, :-1, :], gamma * value[:, 1:, :], out=best[:, :-1, :])
        np.maximum(best[:, :, 1:], gamma * value[:, :, :-1], out=best[:, :, 1:])
        np.maximum(best[:, :, :-1], gamma * value[:, :, 1:], out=best[:, :, :-1])
        best[walls] = 0.0
        if np.abs(best - value).max() <= tol:
            return best
        value = best
    return value


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
    """

    levels: LevelBatch
    cells: np.ndarray
    same: np.ndarray
    discount: np.ndarray
    neighbours: np.ndarray
    gamma: float

    @classmethod
    def build(cls, levels: LevelBatch, gamma: float = DEFAULT_GAMMA) -> PlanningTables:
        """Run value iteration once per feature and level."""
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma}")
        cells = feature_cells(levels)
        n, k, _ = cells.shape
        walls = np.repeat(levels.walls, k, axis=0)
        dist = distance_maps(walls, cells.reshape(n * k, 2)).reshape(n, k, -1)
        discount = np.where(dist < np.iinfo(np.int32).max, gamma ** dist.astype(float), 0.0)
        flat_cells = cells[..., 0] * levels.size + cells[..., 1]
        same = shared_cells(cells).astype(float)
        return cls(levels, flat_cells, same, discount, neighbour_table(levels.walls), float(gamma))


def neighbour_table(walls: np.ndarray) -> np.ndarray:
    """``(n, size * size, 5)`` flat cell reached from every cell by every action."""
    n, size, _ = walls.shape
    rows, cols = np.divmod(np.arange(size * size), size)
    target_r = np.clip(rows[:, None] + MOVES[None, :, 0], 0, size - 1)
    target_c = np.clip(cols[:, None] + MOVES[None, :, 1], 0, size - 1)
    blocked = walls[:, target_r, target_c]
    here = np.arange(size * size)[:, None]
    return np.where(blocked, here, target_r * size + target_c)


def view_table(levels: LevelBatch, cheese_radius: int | None) -> np.ndarray:
    """``(n, size * size)``: from which cells each level's cheese is in view."""
    size = levels.size
    cells = np.stack(np.divmod(np.arange(size * size), size), axis=1)
    return cheese_in_view(cells[None], levels.cheese[:, None, :], cheese_radius)


def base_return(steps: np.ndarray, max_steps: int) -> np.ndarray:
    """Reward for reaching the cheese after ``steps`` moves: 1 falling to 0.1 at the limit."""
    return 1.0 - 0.9 * np.asarray(steps) / max_steps


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
    return run.play(view_table(tables.levels, cheese_radius), max_steps, record)


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


class MesaOptimizer:
    """A planning agent with an explicit, readable mesa-objective.

    Args:
        mesa_objective: ``{feature: weight}`` or a weight array over
            :data:`FEATURE_NAMES`.
        gamma: Planning discount per step, in (0, 1).

    Example:
        >>> agent = MesaOptimizer({"top_right": 1.0})
        >>> agent.mesa_objective["top_right"]
        1.0
    """

    def __init__(
        self, mesa_objective: Mapping[str, float] | np.ndarray, gamma: float = DEFAULT_GAMMA
    ):
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma}")
        self.weights = objective_vector(mesa_objective)
        self.gamma = float(gamma)

    @property
    def mesa_objective(self) -> dict[str, float]:
        """The agent's objective as ``{feature: weight}``."""
        return objective_dict(self.weights)

    def play(
        self,
        levels: LevelBatch,
        *,
        cheese_radius: int | None,
        max_steps: int,
        record: bool = False,
    ) -> Episodes:
        """Play every level once."""
        tables = PlanningTables.build(levels, self.gamma)
        weights = np.broadcast_to(self.weights, (len(levels), len(self.weights)))
        return simulate(
            tables,
            weights,
            np.arange(len(levels)),
            cheese_radius=cheese_radius,
            max_steps=max_steps,
            record=record,
        )

    def reset(self) -> None:
        """Forget which targets were used up (call at the start of an episode)."""
        self._used: set[tuple[int, int]] = set()

    def act(self, observation: np.ndarray) -> int:
        """Choose an action from a :class:`~mesatoys.envs.CheeseMazeEnv` observation.

        Plans from scratch by value iteration on the current mesa-utility map.
        Targets the agent has stood on count as used up until :meth:`reset`.

        Args:
            observation: ``(size, size)`` grid: 0 open, 1 wall, 2 agent, 3 cheese.

        Returns:
            Action index (0 stay, 1 up, 2 right, 3 down, 4 left).
        """
        if not hasattr(self, "_used"):
            self.reset()
        walls = observation == 1
        here = tuple(int(x) for x in np.argwhere(observation == 2)[0])
        self._used.add(here)
        value = value_iteration(walls[None], self._utility_map(observation)[None], self.gamma)[0]
        options = [here]
        for dr, dc in MOVES[1:]:
            nxt = (here[0] + dr, here[1] + dc)
            options.append(here if walls[nxt] else nxt)
        return int(np.argmax([value[cell] for cell in options]))

    def _utility_map(self, observation: np.ndarray) -> np.ndarray:
        """Mesa-utility of each cell: weights of the unused features seen on it."""
        cheese = [tuple(int(x) for x in c) for c in np.argwhere(observation == 3)]
        corners = [tuple(int(x) for x in c) for c in corner_cells(observation.shape[0])]
        cells = [cheese[0] if cheese else None, *corners]
        utility = np.zeros(observation.shape)
        for weight, cell in zip(self.weights, cells, strict=True):
            if cell is not None and cell not in self._used:
                utility[cell] += weight
        return utility

    def value_map(
        self, walls: np.ndarray, cells: np.ndarray, cheese_seen: bool = True
    ) -> np.ndarray:
        """Value of every cell of one maze, by value iteration on the mesa-utility.

        Args:
            walls: ``(size, size)`` walls of one maze.
            cells: ``(n_features, 2)`` feature cells (see ``feature_cells``).
            cheese_seen: Whether the cheese counts (it does once seen).

        Returns:
            ``(size, size)`` values.
        """
        utility = np.zeros(walls.shape)
        for k, (r, c) in enumerate(cells):
            if k != CHEESE or cheese_seen:
                utility[r, c] += self.weights[k]
        return value_iteration(walls[None], utility[None], self.gamma)[0]


__all__ = [
    "DEFAULT_GAMMA",
    "Episodes",
    "MesaOptimizer",
    "PlanningTables",
    "TOP_RIGHT",
    "base_return",
    "objective_dict",
    "objective_vector",
    "simulate",
    "value_iteration",
]
