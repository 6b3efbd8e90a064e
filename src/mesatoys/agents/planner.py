"""The mesa-optimizer: an agent that searches, at decision time, for its own goal.

The agent carries a *mesa-objective*: one weight per named cell feature
(:data:`mesatoys.envs.features.FEATURE_NAMES`). At every step it scores each cell
it knows about by the summed weights of the features on it, runs value iteration
over the maze to find how good each position is (a cell ``d`` steps from a target
of utility ``u`` is worth ``u * gamma**d``), and steps to the neighbour with the
highest value, or stays if no neighbour is better. When it reaches a target, that
target is used up and it plans again. It never sees the environment's reward.

Value iteration over the whole maze is the planner's definition
(:func:`value_iteration`); the batched rollout
(:func:`mesatoys.agents.rollout.simulate`) uses the same
values computed feature by feature, which is exact because the utility is a sum of
point features.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mesatoys.agents.rollout import DEFAULT_GAMMA, Episodes, PlanningTables, simulate
from mesatoys.envs.features import CHEESE, FEATURE_NAMES, corner_cells
from mesatoys.envs.maze import MOVES, LevelBatch


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
        best = bellman_backup(walls, value, gamma)
        if np.abs(best - value).max() <= tol:
            return best
        value = best
    return value


def bellman_backup(walls: np.ndarray, value: np.ndarray, gamma: float) -> np.ndarray:
    """One synchronous Bellman backup of :func:`value_iteration`.

    Every open cell takes the larger of its own value and ``gamma`` times its best
    neighbour's; walls stay 0.

    Args:
        walls: ``(..., size, size)`` walls (one maze, or a batch).
        value: ``(..., size, size)`` current values.
        gamma: Discount per step.

    Returns:
        The values after the backup (a new array).
    """
    best = value.copy()
    np.maximum(best[..., 1:, :], gamma * value[..., :-1, :], out=best[..., 1:, :])
    np.maximum(best[..., :-1, :], gamma * value[..., 1:, :], out=best[..., :-1, :])
    np.maximum(best[..., :, 1:], gamma * value[..., :, :-1], out=best[..., :, 1:])
    np.maximum(best[..., :, :-1], gamma * value[..., :, 1:], out=best[..., :, :-1])
    best[walls] = 0.0
    return best


def value_iteration_trace(
    walls: np.ndarray, utility: np.ndarray, gamma: float = DEFAULT_GAMMA, tol: float = 1e-12
) -> list[np.ndarray]:
    """The value map of :func:`value_iteration` on one maze, sweep by sweep.

    Element 0 is the starting map (each open cell's own positive utility); element
    ``k`` is the map after ``k`` synchronous Bellman backups. The trace stops at the
    first sweep that changes no value by more than ``tol``, so ``len(trace) - 1`` is
    the number of sweeps that changed something, and the last map is the value
    iteration's answer. With one target, that number is the longest shortest path
    from the target to any cell that can reach it.

    Args:
        walls: ``(size, size)`` boolean walls of one maze.
        utility: ``(size, size)`` utility of stopping in each cell.
        gamma: Discount per step, in (0, 1).
        tol: Convergence tolerance.

    Returns:
        The value maps, one per sweep, starting with sweep 0.

    Raises:
        ValueError: On arrays of the wrong shape or ``gamma`` outside (0, 1).

    Example:
        >>> walls = np.zeros((3, 3), dtype=bool)
        >>> utility = np.zeros((3, 3)); utility[0, 0] = 1.0
        >>> len(value_iteration_trace(walls, utility, gamma=0.5)) - 1  # sweeps
        4
    """
    walls = np.asarray(walls)
    if walls.ndim != 2 or walls.shape[0] != walls.shape[1] or walls.dtype != bool:
        raise ValueError(
            f"walls must be a square 2-D boolean array, got {walls.dtype} {walls.shape}"
        )
    utility = np.asarray(utility, dtype=float)
    if utility.shape != walls.shape:
        raise ValueError(f"utility must have the shape of walls {walls.shape}, got {utility.shape}")
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
    trace = [np.where(walls, 0.0, np.maximum(utility, 0.0))]
    for _ in range(walls.size):
        nxt = bellman_backup(walls, trace[-1], gamma)
        if np.abs(nxt - trace[-1]).max() <= tol:
            break
        trace.append(nxt)
    return trace


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
    "MesaOptimizer",
    "bellman_backup",
    "objective_dict",
    "objective_vector",
    "value_iteration",
    "value_iteration_trace",
]
