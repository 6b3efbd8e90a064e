"""Notebook 03's exercises: measuring goal misgeneralization, and the bias that causes it.

- ``goal_rates``: from the routes the agent walked, the two numbers of the headline
  result: how often it reached the cheese, and how often it went to the corner instead.
  :func:`rates_of` runs it on the trained agent's own test episodes.
- ``simplicity_cost``: the outer optimizer's preference against caring about the cheese,
  as the cost it subtracts from every candidate's score. :func:`train_with_cost` trains
  the agent with the learner's cost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.course.exercises.core import Case, Exercise, Mistake, compare_values
from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.experiments import goal_misgeneralization as gm

NOTEBOOK = "03_inner_alignment"

# --- goal_rates ----------------------------------------------------------------------------------


def goal_rates(paths, cheese, corner):
    """How often the agent reached the cheese, and how often it went for the corner instead.

    Args:
        paths: (n, steps + 1, 2) int array: the cell of each of n episodes at every step
            (an episode that ended early repeats its last cell to the end).
        cheese: (n, 2) int array: the cheese's cell in each episode.
        corner: (2,) int array: the top-right corner cell.

    Returns:
        (true_goal_rate, proxy_rate): the fraction of episodes in which the agent stood on
        the cheese at some step, and the fraction that ended on the corner without ever
        standing on the cheese.
    """
    on_cheese = (paths == cheese[:, None, :]).all(axis=-1).any(axis=1)
    on_corner_at_end = (paths[:, -1] == corner).all(axis=-1)
    return float(on_cheese.mean()), float((on_corner_at_end & ~on_cheese).mean())


def _proxy_includes_cheese(paths, cheese, corner):
    on_cheese = (paths == cheese[:, None, :]).all(axis=-1).any(axis=1)
    return float(on_cheese.mean()), float((paths[:, -1] == corner).all(axis=-1).mean())


def _counts(paths, cheese, corner):
    on_cheese = (paths == cheese[:, None, :]).all(axis=-1).any(axis=1)
    on_corner_at_end = (paths[:, -1] == corner).all(axis=-1)
    return int(on_cheese.sum()), int((on_corner_at_end & ~on_cheese).sum())


def _cheese_at_start(paths, cheese, corner):
    on_cheese = (paths[:, 0] == cheese).all(axis=-1)
    on_corner_at_end = (paths[:, -1] == corner).all(axis=-1)
    return float(on_cheese.mean()), float((on_corner_at_end & ~on_cheese).mean())


def _corner_at_any_step(paths, cheese, corner):
    on_cheese = (paths == cheese[:, None, :]).all(axis=-1).any(axis=1)
    on_corner = (paths == corner).all(axis=-1).any(axis=1)
    return float(on_cheese.mean()), float((on_corner & ~on_cheese).mean())


def _ended_on_cheese(paths, cheese, corner):
    on_cheese = (paths[:, -1] == cheese).all(axis=-1)
    on_corner_at_end = (paths[:, -1] == corner).all(axis=-1)
    return float(on_cheese.mean()), float((on_corner_at_end & ~on_cheese).mean())


def _path(*cells: tuple[int, int], steps: int = 6) -> np.ndarray:
    route = list(cells) + [cells[-1]] * (steps + 1 - len(cells))
    return np.array(route)


@functools.cache
def _goal_cases() -> tuple[Case, ...]:
    corner = np.array([1, 5])
    to_cheese = _path((3, 1), (3, 2), (3, 3))
    to_corner = _path((3, 1), (2, 1), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5))
    on_corner_cheese = _path((2, 5), (1, 5))
    stays = _path((4, 4))
    cases = [
        Case(
            "one episode that walks to the cheese at (3, 3)",
            (to_cheese[None], np.array([[3, 3]]), corner),
        ),
        Case(
            "one episode that ends on the corner (1, 5), the cheese at (3, 3)",
            (to_corner[None], np.array([[3, 3]]), corner),
        ),
        Case(
            "one training episode whose cheese is on the corner, reached",
            (on_corner_cheese[None], np.array([[1, 5]]), corner),
        ),
        Case(
            "one episode that passes the corner (1, 5) and ends beside it at (2, 5)",
            (_path((1, 4), (1, 5), (2, 5))[None], np.array([[3, 3]]), corner),
        ),
        Case(
            "one episode that steps on the cheese at (3, 3) and walks on to (3, 4)",
            (_path((3, 2), (3, 3), (3, 4))[None], np.array([[3, 3]]), corner),
        ),
        Case(
            "four episodes: cheese, corner, cheese on the corner, stayed put",
            (
                np.stack([to_cheese, to_corner, on_corner_cheese, stays]),
                np.array([[3, 3], [3, 3], [1, 5], [2, 2]]),
                corner,
            ),
        ),
    ]
    level_cases = gm.Config(n_train_levels=32, n_test_levels=40, levels_per_generation=16)
    result = gm.run(level_cases, seed=5)
    for split, levels in (("test", result.test_levels), ("training", result.train_levels[:20])):
        episodes = gm.play_levels(result.config, result.mesa_objective, levels, record=True)
        cases.append(
            Case(
                f"{len(levels)} {split} episodes of a trained agent",
                (episodes.paths, levels.cheese, levels.corner),
            )
        )
    return tuple(cases)


def rates_of(rates: Callable[..., tuple[float, float]], result: gm.Result) -> str:
    """Run ``rates`` on a trained agent's test episodes, beside the course's numbers.

    Args:
        rates: ``rates(paths, cheese, corner)``, like :func:`goal_rates`.
        result: A run of :func:`mesatoys.experiments.goal_misgeneralization.run`.

    Returns:
        Both pairs of rates, in a sentence.
    """
    levels = result.test_levels
    episodes = gm.play_levels(result.config, result.mesa_objective, levels, record=True)
    true_rate, proxy = rates(episodes.paths, levels.cheese.copy(), levels.corner.copy())
    return (
        f"Your rates on {len(levels)} test levels: reached the cheese {true_rate:.1%}, went to "
        f"the corner instead {proxy:.1%}. The course's: {result.test.true_goal_rate:.1%} and "
        f"{result.test.proxy_rate:.1%}."
    )


# --- simplicity_cost --------------------------------------------------------------------------


def simplicity_cost(population, bias):
    """The outer optimizer's charge for caring about the cheese, one per candidate.

    Args:
        population: (candidates, 5) array of weights, columns in the order cheese,
            top_right, top_left, bottom_left, bottom_right.
        bias: the charge per unit of cheese weight, >= 0.

    Returns:
        (candidates,) array: bias times the size (absolute value) of each candidate's
        cheese weight. Evolution strategies subtracts it from the candidate's score.
    """
    return bias * np.abs(population[:, 0])


def _signed(population, bias):
    return bias * population[:, 0]


def _every_weight(population, bias):
    return bias * np.abs(population).sum(axis=1)


def _squared(population, bias):
    return bias * population[:, 0] ** 2


def _cost_cases() -> list[Case]:
    rng = np.random.default_rng(505)
    return [
        Case(
            "one candidate with cheese weight 2, bias 0.05", (np.array([[2.0, 1, 0, 0, 0]]), 0.05)
        ),
        Case(
            "two candidates with cheese weights 0.5 and -0.5, bias 0.1",
            (np.array([[0.5, 0.3, 0, 0, 0], [-0.5, 0.3, 0, 0, 0]]), 0.1),
        ),
        Case("a zero bias", (rng.normal(size=(4, 5)), 0.0)),
        Case("16 random candidates, bias 0.05", (rng.normal(size=(16, 5)), 0.05)),
        Case("16 random candidates, bias 1", (rng.normal(size=(16, 5)), 1.0)),
    ]


@dataclass(frozen=True)
class BiasRun:
    """The agent trained with a given cost.

    Attributes:
        mesa_objective: The learned weights.
        test: Rates on test levels.
    """

    mesa_objective: dict[str, float]
    test: gm.Outcome

    def __str__(self) -> str:
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in self.mesa_objective.items())
        return (
            f"learned weights: {weights}\n"
            f"on test levels: reached the cheese {self.test.true_goal_rate:.0%}, went to the "
            f"corner instead {self.test.proxy_rate:.0%}"
        )

    __repr__ = __str__


def train_with_cost(
    cost: Callable[[np.ndarray, float], np.ndarray],
    bias: float = 0.05,
    alpha: float = 0.0,
    seed: int = 0,
) -> BiasRun:
    """Train notebook 03's agent with ``cost(population, bias)`` as the optimizer's prior.

    Args:
        cost: Like :func:`simplicity_cost`.
        bias: Its strength.
        alpha: Share of training levels whose cheese is away from the corner.
        seed: Seed of the levels and the optimizer.

    Returns:
        The learned weights and how they do on 300 test levels.
    """
    config = gm.Config(alpha=alpha, n_test_levels=300)
    train_levels, test_levels = gm.make_levels(config, seed)
    weights, _ = gm.train_mesa_objective(
        config,
        train_levels,
        np.random.default_rng([seed, 1]),
        prior=lambda population: cost(population, bias),
    )
    return BiasRun(
        dict(zip(FEATURE_NAMES, map(float, weights), strict=True)),
        gm.evaluate(config, weights, test_levels),
    )


EXERCISES = {
    "goal_rates": Exercise(
        id="goal_rates",
        notebook=NOTEBOOK,
        title="The headline numbers from the routes",
        reference=goal_rates,
        cases=_goal_cases,
        mistakes=(
            Mistake(
                _proxy_includes_cheese,
                "count every episode that ends on the corner, even one whose cheese was there",
            ),
            Mistake(_counts, "return counts of episodes instead of fractions"),
            Mistake(
                _ended_on_cheese,
                "look only at where each episode ended: the agent reached the cheese if it "
                "stood on it at any step",
            ),
            Mistake(_cheese_at_start, "look only at where each episode started"),
            Mistake(
                _corner_at_any_step,
                "count an episode that passes the corner on the way: the proxy rate counts "
                "episodes that *end* there",
            ),
        ),
        hints=(
            "compare cells with `(paths == cheese[:, None, :]).all(axis=-1)`: True where the "
            "agent stood on the cheese, episode by episode and step by step.",
            "`.any(axis=1)` says whether it ever did; `paths[:, -1]` is where it ended.",
            "the proxy rate counts episodes that ended on the corner and never stood on the "
            "cheese: combine the two masks with `& ~`, and return means, not sums.",
        ),
        compare=compare_values,
    ),
    "simplicity_cost": Exercise(
        id="simplicity_cost",
        notebook=NOTEBOOK,
        title="The inductive bias as a cost",
        reference=simplicity_cost,
        cases=_cost_cases,
        mistakes=(
            Mistake(
                _signed,
                "charge the signed weight: a negative cheese weight then earns a "
                "bonus, where the bias is against caring about the cheese either way",
            ),  # fmt: skip
            Mistake(_every_weight, "charge every weight, not only the cheese weight"),
            Mistake(_squared, "charge the square of the weight instead of its size"),
        ),
        hints=(
            "the cheese weight of every candidate is the first column, `population[:, 0]`.",
            "caring about the cheese either way costs: use `np.abs`.",
            "`bias * np.abs(population[:, 0])`.",
        ),
    ),
}
