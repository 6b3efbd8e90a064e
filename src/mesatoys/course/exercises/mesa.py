"""Notebook 02's exercise: what the mesa-objective says each cell is worth.

- ``cell_utility``: the learner turns the planner's five weights into a utility map of a
  maze (the goal, drawn on the grid). :func:`route_with` plans on the learner's map with
  the course's value iteration and compares the route with the real planner's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.planner import DEFAULT_GAMMA, utility_map, value_iteration
from mesatoys.course.exercises.core import Case, Exercise, Mistake
from mesatoys.course.exercises.two_layer import walk
from mesatoys.envs.features import FEATURE_NAMES, feature_cells
from mesatoys.envs.maze import LevelBatch, generate_levels

NOTEBOOK = "02_mesa_optimization"


def cell_utility(weights, cells, size, cheese_seen=True):
    """What stopping on each cell of a maze is worth to a planner.

    Args:
        weights: (5,) array, one weight per feature: cheese, top_right, top_left,
            bottom_left, bottom_right.
        cells: (5, 2) int array, the (row, column) of each feature in that order; two
            features may share a cell (the cheese on a corner).
        size: the maze's side.
        cheese_seen: whether the planner can see the cheese (if not, its weight counts 0).

    Returns:
        (size, size) array: each feature cell is worth the sum of the weights of the
        features on it, or 0 if that sum is negative; every other cell is worth 0.
    """
    weights = np.array(weights, dtype=float)
    if not cheese_seen:
        weights[0] = 0.0
    grid = np.zeros((size, size))
    for weight, (row, col) in zip(weights, cells, strict=True):
        grid[row, col] += weight
    return np.maximum(grid, 0.0)


def _assigns(weights, cells, size, cheese_seen=True):
    weights = np.array(weights, dtype=float)
    if not cheese_seen:
        weights[0] = 0.0
    grid = np.zeros((size, size))
    for weight, (row, col) in zip(weights, cells, strict=True):
        grid[row, col] = weight
    return np.maximum(grid, 0.0)


def _keeps_negative(weights, cells, size, cheese_seen=True):
    weights = np.array(weights, dtype=float)
    if not cheese_seen:
        weights[0] = 0.0
    grid = np.zeros((size, size))
    for weight, (row, col) in zip(weights, cells, strict=True):
        grid[row, col] += weight
    return grid


def _always_sees(weights, cells, size, cheese_seen=True):
    return cell_utility(weights, cells, size, cheese_seen=True)


def _cases() -> list[Case]:
    rng = np.random.default_rng(404)
    corners = [(1, 5), (1, 1), (5, 1), (5, 5)]
    cases = [
        Case(
            "a 7 x 7 maze, the cheese on the top-right corner, weights cheese 0.4, top_right 0.5",
            (np.array([0.4, 0.5, 0.0, 0.0, 0.0]), np.array([(1, 5), *corners]), 7),
        ),
        Case(
            "a 7 x 7 maze, the cheese at (3, 3), a negative bottom-left weight",
            (np.array([1.0, 0.2, 0.1, -0.7, 0.3]), np.array([(3, 3), *corners]), 7),
        ),
        Case(
            "the cheese at (3, 3) out of sight (cheese_seen=False), cheese weight 2",
            (np.array([2.0, 0.2, 0.1, 0.0, 0.3]), np.array([(3, 3), *corners]), 7),
            {"cheese_seen": False},
        ),
        Case(
            "the cheese on the top-right corner, cheese 1.0 and top_right -0.6",
            (np.array([1.0, -0.6, 0.0, 0.0, 0.0]), np.array([(1, 5), *corners]), 7),
        ),
    ]
    levels = generate_levels(3, 13, 0.3, "train", rng, extra_openings=0.2)
    for i, cells in enumerate(feature_cells(levels)):
        weights = rng.normal(0.0, 1.0, 5).round(2)
        cases.append(
            Case(f"level {i} of a 13 x 13 batch, weights {weights.tolist()}", (weights, cells, 13))
        )
    return cases


@dataclass(frozen=True)
class Route:
    """A planner that plans on a given utility map, against the course's planner.

    Attributes:
        route: The cells it walks through.
        planner_route: The cells the course's planner walks through.
    """

    route: list[tuple[int, int]]
    planner_route: list[tuple[int, int]]

    def __str__(self) -> str:
        same = "the same route as" if self.route == self.planner_route else "a different route from"
        return (
            f"With your utilities the mouse walks {len(self.route) - 1} steps to "
            f"{self.route[-1]}: {same} the course's planner (which ends at "
            f"{self.planner_route[-1]})."
        )

    __repr__ = __str__


def route_with(
    utility: Callable[..., np.ndarray],
    mesa_objective: dict[str, float],
    levels: LevelBatch,
    index: int = 0,
    gamma: float = DEFAULT_GAMMA,
) -> Route:
    """Plan on one level with ``utility``'s map, and with the course's, and walk both.

    Args:
        utility: ``utility(weights, cells, size)``, like :func:`cell_utility`.
        mesa_objective: ``{feature: weight}`` (missing features weigh 0).
        levels: Levels; one of them is used.
        index: Which level.
        gamma: Discount per step.

    Returns:
        Both routes.
    """
    weights = np.array([float(mesa_objective.get(f, 0.0)) for f in FEATURE_NAMES])
    walls, cells = levels.walls[index], feature_cells(levels)[index]
    start, size = levels.start[index], levels.size
    routes = []
    for grid in (utility(weights.copy(), cells.copy(), size), utility_map(weights, cells, size)):
        values = value_iteration(walls[None], np.asarray(grid, dtype=float)[None], gamma)[0]
        routes.append(walk(walls, values, start))
    return Route(*routes)


EXERCISES = {
    "cell_utility": Exercise(
        id="cell_utility",
        notebook=NOTEBOOK,
        title="The goal on the grid: a mesa-objective's utility map",
        reference=cell_utility,
        cases=_cases,
        mistakes=(
            Mistake(
                _assigns,
                "write each feature's weight into its cell instead of adding it, "
                "so a feature sharing a cell overwrites the other",
            ),  # fmt: skip
            Mistake(
                _keeps_negative,
                "leave negative sums in place: a cell worth less than "
                "nothing is not a place the planner would stop",
            ),  # fmt: skip
            Mistake(_always_sees, "ignore cheese_seen: a cheese out of sight cannot count"),
        ),
        hints=(
            "start from `np.zeros((size, size))` and go through the five features with "
            "`zip(weights, cells)`.",
            "two features can sit on one cell (the cheese on the top-right corner at α = 0): "
            "add with `+=`, do not overwrite.",
            "set the cheese weight to 0 when `cheese_seen` is False, and clip the grid at 0 "
            "with `np.maximum(grid, 0.0)` at the end.",
        ),
    ),
}
