"""Goal misgeneralization in the cheese maze: the course's headline experiment.

After Langosco et al. 2022, "Goal Misgeneralization in Deep Reinforcement
Learning" (the maze whose cheese sits in the top-right corner during training).
An outer optimizer (evolution strategies) tunes the mesa-objective of a planning
agent using only the base reward on training levels. In training the cheese is in
the corner except in a fraction ``alpha`` of levels; at test it is elsewhere.

**Perception is matched.** By default the agent sees the cheese from its first
step, in training and at test alike (``cheese_radius=None``), so when it walks
past the cheese to the corner, that is a choice its objective made, not
blindness. An agent with the intended objective (``{"cheese": 1}``), the same
planner and the same sight reaches the cheese on every level (:func:`evaluate`).

**Underspecification.** At ``alpha = 0`` the cheese and the top-right corner share
a cell on every training level, so the training return depends on the two weights
only through their sum: training cannot tell "wants the cheese" from "wants the
corner" (:func:`objective_plane` draws this ridge).

**The inductive bias that breaks the tie** is one setting, ``simplicity_bias``: a
prior of the outer optimizer against caring about the cheese, an object whose
place changes from level to level, while caring about a fixed place is free. It
is subtracted from the training return, ``simplicity_bias * |cheese weight|``, in
the score evolution strategies receives (like weight decay, it is a property of
the learner, not information about test levels). In this toy both goals cost the
planner the same, so the bias is an assumption added to the learner: a stand-in
for learners that prefer the simpler of several features that predict the reward
equally well (Shah et al. 2020, "The Pitfalls of Simplicity Bias in Neural
Networks"). Two controls come with it: :meth:`Config.without_bias` removes it,
and ``biased_against="top_right"`` turns it round (the corner is charged instead),
which shows that the bias, not the reward, sets which goal is learned.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> res = gm.run(gm.Config(alpha=0.0, n_test_levels=200), seed=0)
    >>> res.train.true_goal_rate > 0.9, res.test.cheese_in_view_rate
    (True, 1.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import DEFAULT_GAMMA, check_gamma, objective_dict, objective_vector
from mesatoys.agents.rollout import Episodes, PlanningTables, play, simulate
from mesatoys.checks import (
    check_choice,
    check_count,
    check_fraction,
    check_instance,
    check_number,
    check_seed,
)
from mesatoys.envs.features import CHEESE, FEATURE_NAMES, TOP_RIGHT, check_radius
from mesatoys.envs.maze import (
    LevelBatch,
    base_return,
    check_size,
    distance_maps,
    generate_levels,
)
from mesatoys.experiments.shape import (
    DrawsLevels,
    keep,
    make_sweep,
    start,
    summarize,
    training_record,
)
from mesatoys.optimize import (
    ESConfig,
    ESHistory,
    Estimator,
    evolution_strategies,
    mirrored_gradient,
)

ALIGNED_OBJECTIVE = {"cheese": 1.0}
MAX_LEVELS = 20_000  # levels per set: far beyond what a notebook needs, well within memory


@dataclass(frozen=True)
class Config:
    """Settings of one goal-misgeneralization run.

    Attributes:
        alpha: Fraction of training levels whose cheese is *not* in the corner, in [0, 1].
        simplicity_bias: The outer optimizer's prior against caring about the cheese:
            its score is the mean training return minus ``simplicity_bias * |cheese
            weight|`` (>= 0; 0 removes the bias, see :meth:`without_bias`).
        biased_against: The feature whose weight the prior charges, one of
            ``FEATURE_NAMES``: ``"cheese"`` (the default, an object that moves), or
            ``"top_right"`` to turn the preference round as a control.
        size: Side of each square maze in cells, walls included (odd, >= 5).
        cheese_radius: How close (Chebyshev distance) the agent must be to see the
            cheese; ``None`` (the default) shows it from the first step, in training
            and at test alike. A finite radius limits the agent's perception, a
            capability, for the agent with the intended goal too.
        extra_openings: Fraction of inner walls knocked out to add loops, in [0, 1].
        n_train_levels: Size of the pool of training levels.
        n_test_levels: Number of test levels.
        levels_per_generation: Training levels each candidate plays per generation.
        max_steps: Episode limit; ``None`` means ``size * size // 2``.
        gamma: Planning discount of the mesa-optimizer, in (0, 1).
        es: Settings of the outer optimizer.
    """

    alpha: float = 0.0
    simplicity_bias: float = 0.05
    biased_against: str = "cheese"
    size: int = 13
    cheese_radius: int | None = None
    extra_openings: float = 0.2
    n_train_levels: int = 256
    n_test_levels: int = 1000
    levels_per_generation: int = 32
    max_steps: int | None = None
    gamma: float = DEFAULT_GAMMA
    es: ESConfig = field(default_factory=ESConfig)

    def __post_init__(self) -> None:
        check_fraction("alpha", self.alpha)
        check_choice("biased_against", self.biased_against, FEATURE_NAMES)
        check_number("simplicity_bias", self.simplicity_bias, 0, 10, high_open=True)
        check_size(self.size)
        check_radius(self.cheese_radius)
        check_fraction("extra_openings", self.extra_openings)
        for name in ("n_train_levels", "n_test_levels", "levels_per_generation"):
            check_count(name, getattr(self, name), high=MAX_LEVELS)
        if self.levels_per_generation > self.n_train_levels:
            raise ValueError(
                f"levels_per_generation must be <= n_train_levels ({self.n_train_levels}), "
                f"got {self.levels_per_generation}"
            )
        if self.max_steps is not None:
            check_count("max_steps", self.max_steps, high=10_000)
        check_gamma(self.gamma)
        check_instance("es", self.es, ESConfig)

    @property
    def episode_limit(self) -> int:
        """The episode length actually used."""
        return self.max_steps if self.max_steps is not None else self.size * self.size // 2

    @property
    def has_bias(self) -> bool:
        """Whether the outer optimizer prefers the corner to the cheese a priori."""
        return self.simplicity_bias > 0

    def without_bias(self) -> Config:
        """The same settings with the simplicity bias removed (the control)."""
        return dataclasses.replace(self, simplicity_bias=0.0)


@dataclass(frozen=True)
class Outcome:
    """Rates over one set of levels.

    Attributes:
        true_goal_rate: Fraction of episodes that reach the cheese.
        proxy_rate: Fraction that went for the corner instead of the cheese: the
            episode ended with the agent on the top-right corner, never having
            reached the cheese.
        mesa_goal_rate: Of the episodes the cheese did not end first, the fraction in
            which the agent reached the cell it set out for at its first step (its
            capability: can it carry out its own plan?).
        cheese_in_view_rate: Fraction of episodes in which the cheese was in the
            agent's view at its first step.
        mean_return: Mean base-objective return.
        n_levels: Number of episodes.
    """

    true_goal_rate: float
    proxy_rate: float
    mesa_goal_rate: float
    cheese_in_view_rate: float
    mean_return: float
    n_levels: int

    @classmethod
    def of(cls, episodes: Episodes) -> Outcome:
        """Summarise a batch of episodes."""
        interrupted = episodes.reached_cheese & ~episodes.reached_mesa_goal
        judged = ~interrupted
        goal_rate = episodes.reached_mesa_goal[judged].mean() if judged.any() else float("nan")
        return cls(
            true_goal_rate=float(episodes.reached_cheese.mean()),
            proxy_rate=float(episodes.proxy.mean()),
            mesa_goal_rate=float(goal_rate),
            cheese_in_view_rate=float(episodes.cheese_in_view.mean()),
            mean_return=float(episodes.returns.mean()),
            n_levels=len(episodes.returns),
        )


@dataclass(frozen=True, eq=False)
class Result(DrawsLevels):
    """Everything one run produced, as plain numbers and arrays.

    Attributes:
        config: The settings.
        seed: The seed.
        mesa_objective: Learned ``{feature: weight}``.
        train: Rates on the training levels.
        test: Rates on the test levels.
        training_weights: ``(generations + 1, n_features)`` the outer optimizer's
            weights before each update (the last row: the learned ones).
        training_scores: ``(generations,)`` the mean score of each generation's
            noisy candidates: all the outer optimizer saw.

    The levels are not stored: :attr:`train_levels` and :attr:`test_levels` draw them
    again from the config and seed (the same levels, 0.06 s), on first use.
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    train: Outcome
    test: Outcome
    training_weights: np.ndarray
    training_scores: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """The learned mesa-objective as an array ordered as ``FEATURE_NAMES``."""
        return objective_vector(self.mesa_objective)

    def _draw_levels(self) -> tuple[LevelBatch, LevelBatch]:
        return make_levels(self.config, self.seed)


def make_levels(config: Config, seed: int) -> tuple[LevelBatch, LevelBatch]:
    """The training and test levels of a run (independent random streams)."""
    train_rng, test_rng = np.random.default_rng([check_seed(seed), 0]).spawn(2)
    common = {"size": config.size, "extra_openings": config.extra_openings}
    train = generate_levels(
        config.n_train_levels, alpha=config.alpha, split="train", rng=train_rng, **common
    )
    test = generate_levels(
        config.n_test_levels, alpha=config.alpha, split="test", rng=test_rng, **common
    )
    return train, test


def prior_cost(config: Config, weights: np.ndarray) -> np.ndarray:
    """The simplicity bias's charge: ``simplicity_bias * |weight of biased_against|``.

    Args:
        config: Settings.
        weights: ``(..., n_features)`` objectives.

    Returns:
        ``(...)`` costs, in units of training return.
    """
    charged = FEATURE_NAMES.index(config.biased_against)
    return config.simplicity_bias * np.abs(np.asarray(weights)[..., charged])


def train_mesa_objective(
    config: Config,
    levels: LevelBatch,
    rng: np.random.Generator,
    estimator: Estimator = mirrored_gradient,
    prior: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, ESHistory]:
    """Run the outer optimizer on training levels.

    Each candidate's score is its mean return on the generation's training levels
    minus the simplicity bias's :func:`prior_cost`; nothing else reaches the
    optimizer (not the test levels, not what the features mean).

    Args:
        config: Settings.
        levels: Training levels.
        rng: Source of the optimizer's noise and of the per-generation level draws.
        estimator: How evolution strategies turns scores into a step
            (:func:`mesatoys.optimize.evolution_strategies`).
        prior: ``prior(population) -> (2 * pairs,)`` costs to subtract instead of
            :func:`prior_cost` (a learner's own version in notebook 03).

    Returns:
        Learned weights and the optimizer's history.
    """
    tables = PlanningTables.build(levels, config.gamma)
    per_gen = config.levels_per_generation

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        chosen = rng.choice(len(levels), per_gen, replace=False)
        episodes = simulate(
            tables,
            np.repeat(population, per_gen, axis=0),
            np.tile(chosen, len(population)),
            cheese_radius=config.cheese_radius,
            max_steps=config.episode_limit,
        )
        returns = episodes.returns.reshape(len(population), per_gen).mean(axis=1)
        cost = prior_cost(config, population) if prior is None else prior(population.copy())
        return returns - np.asarray(cost, dtype=float)

    return evolution_strategies(fitness, np.zeros(len(FEATURE_NAMES)), config.es, rng, estimator)


def play_levels(
    config: Config,
    mesa_objective: Mapping[str, float] | np.ndarray,
    levels: LevelBatch,
    *,
    record: bool = False,
) -> Episodes:
    """Let a planner with the given mesa-objective play each level once, as :func:`run` does."""
    return play(
        objective_vector(mesa_objective),
        levels,
        gamma=config.gamma,
        cheese_radius=config.cheese_radius,
        max_steps=config.episode_limit,
        record=record,
    )


def evaluate(
    config: Config, mesa_objective: Mapping[str, float] | np.ndarray, levels: LevelBatch
) -> Outcome:
    """The evaluation :func:`run` uses, for any mesa-objective.

    Same planner, same perception (``config.cheese_radius``), same step limit: only
    the objective differs. ``evaluate(config, ALIGNED_OBJECTIVE, result.test_levels)``
    is the control for a run: the intended goal with the same capabilities.

    Args:
        config: Settings.
        mesa_objective: ``{feature: weight}`` (missing features weigh 0) or a weight array.
        levels: Levels to play once each.

    Returns:
        The rates.
    """
    return Outcome.of(play_levels(config, mesa_objective, levels))


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train a mesa-objective on training levels and evaluate it on both splits.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "goal_misgeneralization", seed)
    train_levels, test_levels = make_levels(config, seed)
    weights, history = train_mesa_objective(config, train_levels, np.random.default_rng([seed, 1]))
    result = Result(
        config=config,
        seed=seed,
        mesa_objective=objective_dict(weights),
        train=evaluate(config, weights, train_levels),
        test=evaluate(config, weights, test_levels),
        **training_record(history),
    )
    return keep(result, train_levels=train_levels, test_levels=test_levels)


sweep = make_sweep(run, Config, "training runs")


OUTCOME_RATES = ("true_goal_rate", "proxy_rate", "mesa_goal_rate", "mean_return")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of the test rates and the learned weights.

    Args:
        results: Runs (group them first, e.g. by alpha, to summarise each group).

    Returns:
        ``{measure: {"mean", "min", "max"}}`` for ``train_true_goal_rate``, each of
        :data:`OUTCOME_RATES` on the test levels, and each feature's learned weight.

    Raises:
        ValueError: On no results.
    """
    measures = {"train_true_goal_rate": lambda r: r.train.true_goal_rate}
    measures |= {name: _test_rate(name) for name in OUTCOME_RATES}
    measures |= {name: _weight(name) for name in FEATURE_NAMES}
    return summarize(results, measures)


def _test_rate(name: str):
    return lambda r: getattr(r.test, name)


def _weight(name: str):
    return lambda r: r.mesa_objective[name]


# --- the outer loop's record ---------------------------------------------------------------------


def generation_returns(result: Result) -> np.ndarray:
    """Mean base return of each generation's weights themselves on all training levels.

    Evolution strategies never computes this: it only scores noisy copies of the
    weights on a few levels at a time. It shows what the weights at the centre of
    its population could do.

    Returns:
        ``(generations + 1,)`` mean returns, generation 0 first.
    """
    weights = result.training_weights
    episodes = every_objective(result.config, weights, result.train_levels)
    return episodes.returns.reshape(len(weights), -1).mean(axis=1)


def best_possible_return(result: Result) -> float:
    """Mean return of walking a shortest path to the cheese on every training level."""
    levels = result.train_levels
    dist = distance_maps(levels.walls, levels.cheese)
    steps = dist[np.arange(len(levels)), levels.start[:, 0], levels.start[:, 1]]
    return float(base_return(steps, result.config.episode_limit).mean())


# --- underspecification: the (cheese, corner) plane ----------------------------------------------


PLANE_WEIGHTS = tuple(np.round(np.linspace(-0.5, 1.5, 21), 2))


@dataclass(frozen=True)
class ObjectivePlane:
    """How objectives on a grid of (cheese weight, corner weight) fare.

    The other three corner weights are held at a run's learned values.

    Attributes:
        cheese: ``(m,)`` cheese weights (columns).
        corner: ``(m,)`` top-right weights (rows).
        train_return: ``(m, m)`` mean return on training levels.
        train_score: ``(m, m)`` what the outer optimizer scores: ``train_return``
            minus the simplicity bias's cost.
        test_true_goal: ``(m, m)`` fraction of test levels on which the cheese is reached.
        n_levels: Levels of each split played per grid point.
    """

    cheese: np.ndarray
    corner: np.ndarray
    train_return: np.ndarray
    train_score: np.ndarray
    test_true_goal: np.ndarray
    n_levels: int


def objective_plane(
    result: Result,
    values: Sequence[float] | np.ndarray = PLANE_WEIGHTS,
    n_levels: int = 96,
    config: Config | None = None,
) -> ObjectivePlane:
    """Play every objective of a (cheese, corner) grid on a run's levels.

    Args:
        result: A run; its other corner weights and its levels are used.
        values: Weights to try on both axes.
        n_levels: How many training and test levels to play per grid point (the first ones).
        config: Settings whose ``simplicity_bias`` scores the plane (default:
            ``result.config``); the planner's settings always come from the run.

    Returns:
        The plane.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2 or not np.isfinite(values).all():
        raise ValueError(f"values must be at least two finite numbers, got {values!r}")
    check_count("n_levels", n_levels)
    scoring = result.config if config is None else config
    corner, cheese = np.meshgrid(values, values, indexing="ij")
    grid = np.repeat(result.weights[None], cheese.size, axis=0)
    grid[:, CHEESE], grid[:, TOP_RIGHT] = cheese.ravel(), corner.ravel()
    train = every_objective(result.config, grid, result.train_levels[:n_levels])
    test = every_objective(result.config, grid, result.test_levels[:n_levels])
    train_return = train.returns.reshape(len(grid), -1).mean(axis=1)
    test_true_goal = test.reached_cheese.reshape(len(grid), -1).mean(axis=1)
    return ObjectivePlane(
        cheese=values,
        corner=values,
        train_return=train_return.reshape(cheese.shape),
        train_score=(train_return - prior_cost(scoring, grid)).reshape(cheese.shape),
        test_true_goal=test_true_goal.reshape(cheese.shape),
        n_levels=n_levels,
    )


def every_objective(config: Config, weights: np.ndarray, levels: LevelBatch) -> Episodes:
    """Every objective of ``weights`` plays every level once, in one batched rollout.

    Args:
        config: Settings (the planner's discount, view and step limit).
        weights: ``(m, n_features)`` objectives.
        levels: ``n`` levels.

    Returns:
        ``m * n`` episodes, objective-major (reshape to ``(m, n)``).
    """
    return simulate(
        PlanningTables.build(levels, config.gamma),
        np.repeat(weights, len(levels), axis=0),
        np.tile(np.arange(len(levels)), len(weights)),
        cheese_radius=config.cheese_radius,
        max_steps=config.episode_limit,
    )
