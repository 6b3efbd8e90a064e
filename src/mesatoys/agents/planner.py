"""The mesa-optimizer: an agent that searches, at decision time, for its own goal.

The agent carries a *mesa-objective*: one weight per named cell feature
(:data:`mesatoys.envs.features.FEATURE_NAMES`). Before every step it scores each
cell it knows about by the summed weights of the features on it (its *utility*),
runs value iteration over the maze to find how good each position is (a cell
``d`` steps from a target of utility ``u`` is worth ``u * gamma**d``), and steps to
the neighbour with the highest value. When no move beats staying, it stays: it
has arrived where it wanted to be, and its episode is over. It never sees the
environment's reward.

This module holds the planner's definition, once, for every caller:

- :func:`feature_utilities` and :func:`utility_map`: what each feature's cell is
  worth to the agent, given what it can see;
- :func:`value_iteration` (and :func:`value_iteration_trace`, sweep by sweep): the
  search itself, over a whole maze;
- :func:`discount_tables` and :func:`greedy_actions`: the same values for point
  targets, ``max_k u_k * gamma**distance_k``, which the batched rollout
  (:mod:`mesatoys.agents.rollout`) uses for thousands of agents at once; a test
  checks the two agree;
- :class:`MesaOptimizer`: one agent acting on Gymnasium observations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mesatoys.checks import check_number
from mesatoys.envs.features import CHEESE, FEATURE_NAMES, corner_cells, shared_cells
from mesatoys.envs.maze import MOVES, UNREACHABLE, distance_maps

DEFAULT_GAMMA = 0.95


def check_gamma(gamma: object) -> float:
    """Validate a planning discount: a finite number in (0, 1).

    Raises:
        ValueError: Otherwise, naming the value.
    """
    return check_number("gamma", gamma, 0.0, 1.0, low_open=True, high_open=True)


def objective_vector(
    mesa_objective: Mapping[str, float] | np.ndarray, names: Sequence[str] = FEATURE_NAMES
) -> np.ndarray:
    """Turn a mesa-objective into a weight vector ordered as ``names``.

    Args:
        mesa_objective: A ``{feature: weight}`` dict (missing features weigh 0) or
            an array of ``len(names)`` weights.
        names: The features, in order (default: the cheese maze's ``FEATURE_NAMES``;
            the absent-supervisor planner passes its own).

    Returns:
        Float array of weights.

    Raises:
        ValueError: On an unknown feature name, a non-finite weight or a
            wrong-length array.
    """
    names = tuple(names)
    if isinstance(mesa_objective, Mapping):
        unknown = sorted(set(mesa_objective) - set(names))
        if unknown:
            raise ValueError(
                f"mesa_objective has unknown features {unknown}; allowed: {list(names)}"
            )
        weights = np.array([float(mesa_objective.get(f, 0.0)) for f in names])
    else:
        weights = np.asarray(mesa_objective, dtype=float)
        if weights.shape != (len(names),):
            raise ValueError(
                f"mesa_objective must have {len(names)} weights "
                f"(one per {list(names)}), got shape {weights.shape}"
            )
    if not np.isfinite(weights).all():
        raise ValueError(f"mesa_objective weights must be finite numbers, got {weights.tolist()}")
    return weights


def objective_dict(weights: np.ndarray, names: Sequence[str] = FEATURE_NAMES) -> dict[str, float]:
    """``{feature name: weight}`` for a weight vector ordered as ``names``."""
    return {name: float(w) for name, w in zip(names, weights, strict=True)}


# --- what a cell is worth ------------------------------------------------------------------------


def feature_utilities(weights: np.ndarray, same: np.ndarray, cheese_seen: np.ndarray) -> np.ndarray:
    """What reaching each feature's cell is worth to each agent.

    A cell is worth the summed weights of the features on it (at α = 0 the cheese
    and the top-right corner share a cell, so it is worth ``cheese + top_right``);
    the cheese counts only where the agent can see it; a cell worth 0 or less is
    not worth going to.

    Args:
        weights: ``(n, k)`` mesa-objectives, one per agent.
        same: ``(n, k, k)`` 1.0 where two features share a cell (see
            :func:`mesatoys.envs.features.shared_cells`).
        cheese_seen: ``(n,)`` whether each agent sees its cheese.

    Returns:
        ``(n, k)`` non-negative utilities.
    """
    active = np.array(weights, dtype=float)
    active[:, CHEESE] *= cheese_seen
    return np.maximum(np.einsum("nkj,nj->nk", same, active), 0.0)


def utility_map(
    weights: np.ndarray, cells: np.ndarray, size: int, cheese_seen: bool = True
) -> np.ndarray:
    """The utility of every cell of one maze: the agent's goal, drawn on the grid.

    Args:
        weights: ``(k,)`` mesa-objective ordered as ``FEATURE_NAMES``.
        cells: ``(k, 2)`` feature cells of the maze (see ``feature_cells``).
        size: Side of the maze.
        cheese_seen: Whether the agent sees the cheese.

    Returns:
        ``(size, size)`` utilities (0 off the feature cells).
    """
    cells = np.asarray(cells)
    same = shared_cells(cells[None]).astype(float)
    utility = feature_utilities(
        np.asarray(weights, dtype=float)[None], same, np.array([cheese_seen])
    )
    grid = np.zeros((size, size))
    grid[cells[:, 0], cells[:, 1]] = utility[0]
    return grid


# --- the search: value iteration -----------------------------------------------------------------


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
    gamma = check_gamma(gamma)
    trace = [np.where(walls, 0.0, np.maximum(utility, 0.0))]
    for _ in range(walls.size):
        nxt = bellman_backup(walls, trace[-1], gamma)
        if np.abs(nxt - trace[-1]).max() <= tol:
            break
        trace.append(nxt)
    return trace


# --- the same values for point targets, for many agents at once ----------------------------------


def discount_tables(walls: np.ndarray, cells: np.ndarray, gamma: float) -> np.ndarray:
    """``gamma ** distance`` from every cell to every target, by breadth-first search.

    With utility only on point targets, value iteration's answer is
    ``max_k u_k * gamma ** distance_k``; these tables hold the ``gamma ** distance_k``
    part (0 where a target cannot be reached).

    Args:
        walls: ``(n, size, size)`` walls.
        cells: ``(n, k, 2)`` target cells per maze.
        gamma: Discount per step, in (0, 1).

    Returns:
        ``(n, k, size * size)`` discounts, cells addressed by flat index.
    """
    n, k, _ = cells.shape
    dist = distance_maps(np.repeat(walls, k, axis=0), cells.reshape(n * k, 2)).reshape(n, k, -1)
    return np.where(dist < UNREACHABLE, gamma ** dist.astype(float), 0.0)


def greedy_actions(
    utility: np.ndarray, discount: np.ndarray, level: np.ndarray, next_cells: np.ndarray
) -> np.ndarray:
    """The planner's move: the action whose next cell has the highest value.

    Args:
        utility: ``(n, k)`` utility of each target for each agent.
        discount: ``(n_levels, k, size * size)`` discount tables (:func:`discount_tables`).
        level: ``(n,)`` the level each agent is in (a row of ``discount``).
        next_cells: ``(n, 5)`` flat cell each action leads to (action 0 stays).

    Returns:
        ``(n,)`` actions; 0 (stay) where no move beats staying, ties going to the
        first action in :data:`mesatoys.envs.maze.ACTION_NAMES` order.
    """
    targets = np.arange(utility.shape[1])[None, :, None]
    reach = discount[level[:, None, None], targets, next_cells[:, None, :]]
    return (utility[:, :, None] * reach).max(axis=1).argmax(axis=1)


# --- one agent, acting on Gymnasium observations -------------------------------------------------


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
        self.weights = objective_vector(mesa_objective)
        self.gamma = check_gamma(gamma)

    @property
    def mesa_objective(self) -> dict[str, float]:
        """The agent's objective as ``{feature: weight}``."""
        return objective_dict(self.weights)

    def act(self, observation: np.ndarray) -> int:
        """Choose an action from a :class:`~mesatoys.envs.CheeseMazeEnv` observation.

        Plans from scratch by value iteration on the mesa-utility map of what it
        sees, and takes the move to the best neighbouring cell (0, stay, when it
        stands where it wants to be).

        Args:
            observation: ``(size, size)`` grid: 0 open, 1 wall, 2 agent, 3 cheese
                (present only while the cheese is in view).

        Returns:
            Action index (0 stay, 1 up, 2 right, 3 down, 4 left).
        """
        walls = observation == 1
        here = tuple(int(x) for x in np.argwhere(observation == 2)[0])
        cheese = np.argwhere(observation == 3)
        cells = np.concatenate([cheese[:1] if len(cheese) else [here], corner_cells(len(walls))])
        utility = utility_map(self.weights, cells, len(walls), cheese_seen=len(cheese) > 0)
        value = value_iteration(walls[None], utility[None], self.gamma)[0]
        options = [here]
        for dr, dc in MOVES[1:]:
            nxt = (here[0] + dr, here[1] + dc)
            options.append(here if walls[nxt] else nxt)
        return int(np.argmax([value[cell] for cell in options]))

    def value_map(
        self, walls: np.ndarray, cells: np.ndarray, cheese_seen: bool = True
    ) -> np.ndarray:
        """Value of every cell of one maze, by value iteration on the mesa-utility.

        Args:
            walls: ``(size, size)`` walls of one maze.
            cells: ``(n_features, 2)`` feature cells (see ``feature_cells``).
            cheese_seen: Whether the cheese counts (it does while in view).

        Returns:
            ``(size, size)`` values.
        """
        utility = utility_map(self.weights, cells, walls.shape[-1], cheese_seen)
        return value_iteration(walls[None], utility[None], self.gamma)[0]


__all__ = [
    "DEFAULT_GAMMA",
    "MesaOptimizer",
    "bellman_backup",
    "check_gamma",
    "discount_tables",
    "feature_utilities",
    "greedy_actions",
    "objective_dict",
    "objective_vector",
    "utility_map",
    "value_iteration",
    "value_iteration_trace",
]
