"""Notebook 01's exercises: both loops of the toy, written by the learner.

- ``es_gradient``: the outer loop's step. Evolution strategies scores mirrored pairs of
  noisy copies of the weights; the learner turns their scores into the direction the
  weights move (:func:`mesatoys.optimize.mirrored_gradient` is the course's version).
  :func:`train_with` then trains the cheese-maze agent with the learner's function.
- ``bellman_backup``: the inner loop's step. One sweep of value iteration over a maze;
  :func:`plan_with` runs the learner's sweeps to convergence on a level and walks the
  mouse along the values they produce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.planner import DEFAULT_GAMMA, utility_map, value_iteration
from mesatoys.course.exercises.core import Case, Exercise, Mistake
from mesatoys.envs.features import FEATURE_NAMES, feature_cells
from mesatoys.envs.maze import MOVES, generate_levels
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.optimize import centered_ranks

NOTEBOOK = "01_the_two_layer_problem"

# --- es_gradient ---------------------------------------------------------------------------------


def es_gradient(noise, scores):
    """The direction evolution strategies moves the weights, from one generation's scores.

    Args:
        noise: (pairs, n) array; candidate i is theta + sigma * noise[i] and candidate
            pairs + i is theta - sigma * noise[i].
        scores: (2 * pairs,) array of the candidates' scores, the + half first.

    Returns:
        (n,) array: the average over pairs of (rank of + copy - rank of - copy) * noise[i],
        divided by 2, with ranks from centered_ranks(scores).
    """
    pairs = len(noise)
    ranks = centered_ranks(scores)
    plus, minus = ranks[:pairs], ranks[pairs:]
    return (plus - minus) @ noise / (2 * pairs)


def _only_plus(noise, scores):
    pairs = len(noise)
    return centered_ranks(scores)[:pairs] @ noise / pairs


def _wrong_sign(noise, scores):
    pairs = len(noise)
    ranks = centered_ranks(scores)
    return (ranks[pairs:] - ranks[:pairs]) @ noise / (2 * pairs)


def _raw_scores(noise, scores):
    pairs = len(noise)
    return (scores[:pairs] - scores[pairs:]) @ noise / (2 * pairs)


def _es_cases() -> list[Case]:
    rng = np.random.default_rng(101)
    cases = [
        Case(
            "one pair in one dimension, the + copy scoring higher",
            (np.array([[1.0]]), np.array([2.0, 1.0])),
        ),
        Case(
            "two pairs in two dimensions",
            (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([3.0, 0.0, 1.0, 2.0])),
        ),
        Case("8 pairs whose scores are all equal", (rng.standard_normal((8, 5)), np.ones(16))),
        Case(
            "4 pairs with tied scores",
            (rng.standard_normal((4, 3)), np.array([1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 1.0, 3.0])),
        ),
        Case(
            "scores in the thousands (ranks, not sizes, count)",
            (rng.standard_normal((3, 2)), np.array([1000.0, 5.0, 2.0, 7.0, 3000.0, 1.0])),
        ),
    ]
    for pairs, n in ((8, 5), (16, 5), (5, 1)):
        cases.append(
            Case(
                f"{pairs} pairs of random noise in {n} dimensions",
                (rng.standard_normal((pairs, n)), rng.standard_normal(2 * pairs)),
            )
        )
    return cases


@dataclass(frozen=True)
class TrainedAgent:
    """A cheese-maze agent trained with a given ``es_gradient``.

    Attributes:
        mesa_objective: The learned weights.
        train: Rates on the training levels.
        test: Rates on test levels (cheese away from the corner).
        scores: Each generation's mean score.
    """

    mesa_objective: dict[str, float]
    train: gm.Outcome
    test: gm.Outcome
    scores: np.ndarray

    def __str__(self) -> str:
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in self.mesa_objective.items())
        return (
            f"learned weights: {weights}\n"
            f"mean score: generation 0 {self.scores[0]:.2f}, last {self.scores[-1]:.2f}\n"
            f"reached the cheese: {self.train.true_goal_rate:.0%} of training levels, "
            f"{self.test.true_goal_rate:.0%} of test levels"
        )

    __repr__ = __str__


def train_with(
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray],
    seed: int = 0,
    config: gm.Config | None = None,
) -> TrainedAgent:
    """Train notebook 01's agent with ``gradient`` as evolution strategies' step.

    Args:
        gradient: ``gradient(noise, scores) -> (5,)`` direction, like :func:`es_gradient`.
        seed: Seed of the levels and the noise.
        config: Settings (default: notebook 01's, with 300 test levels).

    Returns:
        The learned weights and what they do.
    """
    config = gm.Config(n_test_levels=300) if config is None else config
    train_levels, test_levels = gm.make_levels(config, seed)
    rng = np.random.default_rng([seed, 1])
    weights, history = gm.train_mesa_objective(config, train_levels, rng, estimator=gradient)
    return TrainedAgent(
        mesa_objective=dict(zip(FEATURE_NAMES, map(float, weights), strict=True)),
        train=gm.evaluate(config, weights, train_levels),
        test=gm.evaluate(config, weights, test_levels),
        scores=np.asarray(history.mean_fitness),
    )


# --- bellman_backup ----------------------------------------------------------------------------


def bellman_backup(walls, utility, value, gamma):
    """One sweep of value iteration over a maze.

    Args:
        walls: (size, size) bool array, True for a wall; the border is all walls.
        utility: (size, size) array: what stopping on each cell is worth.
        value: (size, size) array: the values before the sweep (walls hold 0).
        gamma: discount per step, between 0 and 1.

    Returns:
        A new (size, size) array: for every open cell, the larger of its utility and gamma
        times the largest value among its four neighbours (up, down, left, right; a wall
        counts as 0); 0 on walls. Every cell uses the values from before the sweep.
    """
    padded = np.pad(value, 1)
    neighbours = np.stack(
        [padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
    )
    new = np.maximum(utility, gamma * neighbours.max(axis=0))
    return np.where(walls, 0.0, new)


def _no_discount(walls, utility, value, gamma):
    return bellman_backup(walls, utility, value, 1.0)


def _keeps_old_value(walls, utility, value, gamma):
    padded = np.pad(value, 1)
    neighbours = np.stack(
        [padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
    )
    return np.where(walls, 0.0, np.maximum(value, gamma * neighbours.max(axis=0)))


def _in_place(walls, utility, value, gamma):
    new = value.copy()
    rows, cols = walls.shape
    for r in range(1, rows - 1):
        for c in range(1, cols - 1):
            if not walls[r, c]:
                best = max(new[r - 1, c], new[r + 1, c], new[r, c - 1], new[r, c + 1])
                new[r, c] = max(utility[r, c], gamma * best)
    return new


def _eight_neighbours(walls, utility, value, gamma):
    padded = np.pad(value, 1)
    rows, cols = walls.shape
    shifts = [padded[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols]
              for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]  # fmt: skip
    new = np.maximum(utility, gamma * np.max(shifts, axis=0))
    return np.where(walls, 0.0, new)


def _corridor(n: int) -> np.ndarray:
    walls = np.ones((3, n + 2), dtype=bool)
    walls[1, 1:-1] = False
    return walls


def _bellman_cases() -> list[Case]:
    rng = np.random.default_rng(202)
    cases = []
    walls = _corridor(4)
    utility = np.zeros(walls.shape)
    utility[1, 4] = 1.0
    cases.append(
        Case(
            "a corridor of 4 cells with the target at its end, values all 0, gamma 0.9",
            (walls, utility, np.zeros(walls.shape), 0.9),
        )
    )
    value = np.where(walls, 0.0, np.maximum(utility, 0.0))
    cases.append(
        Case(
            "the same corridor after one sweep (only the target valued), gamma 0.9",
            (walls, utility, value, 0.9),
        )
    )
    value = np.array([[0, 0, 0, 0, 0, 0], [0, 0.5, 0.6, 0.7, 1.0, 0], [0, 0, 0, 0, 0, 0]])
    cases.append(
        Case(
            "the corridor with values rising to the target, gamma 0.5",
            (walls, utility, value, 0.5),
        )
    )
    level = generate_levels(2, 13, 0.0, "test", np.random.default_rng(303), extra_openings=0.2)
    for i, gamma in ((0, DEFAULT_GAMMA), (1, 0.8)):
        maze = level.walls[i]
        u = np.where(maze, 0.0, rng.uniform(-1, 1, maze.shape) * (rng.random(maze.shape) < 0.1))
        v = np.where(maze, 0.0, rng.uniform(0, 1, maze.shape))
        cases.append(
            Case(
                f"a 13 x 13 maze with random utilities and values, gamma {gamma}",
                (maze, u, v, gamma),
            )
        )
    return cases


@dataclass(frozen=True)
class Plan:
    """What a planner built on a given ``bellman_backup`` does on one level.

    Attributes:
        values: Its values after the last sweep.
        sweeps: Sweeps that changed the values (the one after changed nothing).
        route: The cells the mouse walks through, from the start.
        same_as_planner: Whether the values equal the course planner's.
    """

    values: np.ndarray
    sweeps: int
    route: list[tuple[int, int]]
    same_as_planner: bool

    def __str__(self) -> str:
        same = "the same values as" if self.same_as_planner else "different values from"
        return (
            f"{self.sweeps} sweeps changed the values, the next one nothing; {same} the "
            "course's planner.\n"
            f"The mouse walks {len(self.route) - 1} steps, "
            f"from {self.route[0]} to {self.route[-1]}."
        )

    __repr__ = __str__


def plan_with(
    backup: Callable[..., np.ndarray],
    result: gm.Result,
    level: int = 0,
    gamma: float = DEFAULT_GAMMA,
) -> Plan:
    """Value iteration with ``backup`` on one training level, for a trained agent's weights.

    Starts, as the planner does, with every open cell worth its utility (at least 0),
    sweeps until a sweep changes nothing (at most size * size sweeps), then walks the
    mouse to the best neighbour until none is better.

    Args:
        backup: ``backup(walls, utility, value, gamma)``, like :func:`bellman_backup`.
        result: A run of :func:`mesatoys.experiments.goal_misgeneralization.run`.
        level: Which training level.
        gamma: Discount per step.

    Returns:
        The values, the sweeps it took, the route and whether it matches the planner.
    """
    levels = result.train_levels
    walls = levels.walls[level]
    weights = np.array([result.mesa_objective[f] for f in FEATURE_NAMES])
    utility = utility_map(weights, feature_cells(levels)[level], walls.shape[-1])
    value = np.where(walls, 0.0, np.maximum(utility, 0.0))
    sweeps = 0
    while sweeps < walls.size:
        new = np.asarray(backup(walls, utility, value.copy(), gamma), dtype=float)
        if new.shape == value.shape and np.allclose(new, value, atol=1e-12):
            break
        value, sweeps = new, sweeps + 1
    planner = value_iteration(walls[None], utility[None], gamma)[0]
    return Plan(
        value, sweeps - 1, walk(walls, value, levels.start[level]), np.allclose(value, planner)
    )


def walk(walls: np.ndarray, value: np.ndarray, start: np.ndarray) -> list[tuple[int, int]]:
    """The route of a mouse that steps to its best neighbour until none is better."""
    here = (int(start[0]), int(start[1]))
    route = [here]
    for _ in range(walls.size):
        options = [(here[0] + int(dr), here[1] + int(dc)) for dr, dc in MOVES[1:]]
        best = max(options, key=lambda cell: value[cell])
        if walls[best] or value[best] <= value[here]:
            break
        here = best
        route.append(here)
    return route


EXERCISES = {
    "es_gradient": Exercise(
        id="es_gradient",
        notebook=NOTEBOOK,
        title="The outer loop's step: evolution strategies",
        reference=es_gradient,
        cases=_es_cases,
        mistakes=(
            Mistake(_only_plus, "use only the + copy of each pair (its mirror is the other half)"),
            Mistake(_wrong_sign, "subtract the + rank from the - rank: that walks downhill"),
            Mistake(_raw_scores, "use the raw scores instead of their ranks"),
        ),
        hints=(
            "rank the scores first with `centered_ranks(scores)`: sizes of scores do not count.",
            "the + copies' ranks are `ranks[:pairs]`, the - copies' `ranks[pairs:]`; each pair "
            "votes for its noise row with the difference of its two ranks.",
            "`(plus - minus) @ noise` sums the votes row by row; divide by `2 * pairs`.",
        ),
    ),
    "bellman_backup": Exercise(
        id="bellman_backup",
        notebook=NOTEBOOK,
        title="The inner loop's step: one Bellman backup",
        reference=bellman_backup,
        cases=_bellman_cases,
        mistakes=(
            Mistake(_no_discount, "leave out gamma: a step away must be worth less"),
            Mistake(
                _keeps_old_value,
                "take the larger of the old value and the neighbours' instead of the utility",
            ),
            Mistake(
                _in_place,
                "write new values into the array while you sweep, so later cells see them "
                "(that is in-place value iteration: it reaches the same values in fewer "
                "sweeps, but it is not the one synchronous sweep asked for here)",
            ),
            Mistake(
                _eight_neighbours,
                "count diagonal neighbours: the mouse moves only up, down, left and right",
            ),
        ),
        hints=(
            "every cell must use the values from before the sweep: build a new array instead "
            "of writing into `value` as you go.",
            "the four neighbours of every cell at once: pad `value` with zeros "
            "(`np.pad(value, 1)`) and slice it shifted up, down, left and right.",
            "new = max(utility, gamma * largest neighbour), then put 0 back on the walls "
            "(`np.where(walls, 0.0, new)`).",
        ),
    ),
}
