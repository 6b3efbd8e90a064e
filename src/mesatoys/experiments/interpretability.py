"""Reading the mesa-objective: predict test behaviour from the learned weights alone.

Hubinger et al. 2019, "Risks from Learned Optimization in Advanced Machine Learning
Systems", name transparency as a defense against inner misalignment: if we could
read a mesa-optimizer's objective off its parameters, we could tell what it will do
off-distribution *before* it gets there. Behaviour in training cannot tell us this:
an agent trained on mazes whose cheese is always in the top-right corner reaches the
cheese on every training level, whether it wants the cheese or the corner.

This toy makes the comparison with numbers. It trains the headline agent of
:mod:`mesatoys.experiments.goal_misgeneralization` (evolution strategies on
training levels), then, for every test level, predicts whether the agent will get
the cheese in three ways, without running it on that level:

- **behaviour**: what training supports, "it goes to the cheese" (it did on every
  training level);
- **top weight**: the crudest reading of the weights, "it goes to the feature with
  the largest weight";
- **interpreter's rule**: the weights plus what we know of the architecture (it
  plans, and stops where it wants to be). It heads for the cell whose utility,
  discounted by ``gamma`` per step of distance, is largest; it gets the cheese if
  that cell holds the cheese, if the cheese lies on a shortest route to it, or if
  the cheese first comes into sight (with a limited view) on such a route at a
  point where its discounted utility beats the target's; all within the step limit.

The rule uses only the weights, the maze's shortest-path distances and the view
radius; it never calls the agent's rollout. Each prediction is then scored against
what the agent actually does on the level.

Example:
    >>> from mesatoys.experiments import interpretability as interp
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> res = interp.run(interp.Config(gm.Config(n_test_levels=200)), seed=0)
    >>> res.rule_accuracy > res.behaviour_accuracy + 0.5
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import MesaOptimizer, check_gamma, feature_utilities
from mesatoys.envs.features import (
    CHEESE,
    FEATURE_NAMES,
    feature_cells,
    shared_cells,
    view_table,
)
from mesatoys.envs.maze import UNREACHABLE, LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments.shape import make_sweep, start, summarize

PREDICTORS = ("behaviour", "top_weight", "rule")


@dataclass(frozen=True)
class Config:
    """Settings of one interpretability run.

    Attributes:
        training: The goal-misgeneralization run whose agent is read.
    """

    training: gm.Config = field(default_factory=gm.Config)

    def __post_init__(self) -> None:
        if not isinstance(self.training, gm.Config):
            raise TypeError(
                "training must be a goal_misgeneralization.Config, "
                f"got {type(self.training).__name__}"
            )


@dataclass(frozen=True)
class Prediction:
    """What the interpreter's rule expects on each level.

    Attributes:
        first_target: ``(n,)`` index into ``FEATURE_NAMES`` of the feature the agent
            heads for from its start (-1: none, it stays put).
        gets_cheese: ``(n,)`` the agent ends on the cheese within the step limit.
        steps: ``(n,)`` predicted moves until the cheese (meaningful where
            ``gets_cheese``).
    """

    first_target: np.ndarray
    gets_cheese: np.ndarray
    steps: np.ndarray


@dataclass(frozen=True, eq=False)
class Result:
    """One run: the learned weights, the predictions and what really happened.

    Attributes:
        config: The settings.
        seed: The seed.
        mesa_objective: Learned ``{feature: weight}``.
        train_true_goal_rate: Fraction of training levels on which the agent got the cheese.
        predicted: ``{predictor: (n,) bool}``: "gets the cheese" per test level, for
            each of :data:`PREDICTORS`.
        first_target: ``(n,)`` the feature the rule says the agent heads for first.
        actual: ``(n,)`` the agent got the cheese (from running it).
        actual_first_target: ``(n,)`` the feature the agent actually set out for
            (-1 where it set out for nothing).
        misgeneralization: The underlying training run (levels, history, rates).
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    train_true_goal_rate: float
    predicted: dict[str, np.ndarray]
    first_target: np.ndarray
    actual: np.ndarray
    actual_first_target: np.ndarray
    misgeneralization: gm.Result

    @property
    def weights(self) -> np.ndarray:
        """The learned weights, ordered as ``FEATURE_NAMES``."""
        return np.array([self.mesa_objective[name] for name in FEATURE_NAMES])

    @property
    def accuracy(self) -> dict[str, float]:
        """Per-level accuracy of each predictor's "gets the cheese" call."""
        return {k: float((v == self.actual).mean()) for k, v in self.predicted.items()}

    @property
    def behaviour_accuracy(self) -> float:
        """Accuracy of "it goes to the cheese" (what training behaviour supports)."""
        return self.accuracy["behaviour"]

    @property
    def top_weight_accuracy(self) -> float:
        """Accuracy of "it goes to the feature with the largest weight"."""
        return self.accuracy["top_weight"]

    @property
    def rule_accuracy(self) -> float:
        """Accuracy of the interpreter's rule."""
        return self.accuracy["rule"]

    @property
    def first_target_accuracy(self) -> float:
        """How often the rule names the feature the agent actually set out for."""
        return float((self.first_target == self.actual_first_target).mean())

    @property
    def test_true_goal_rate(self) -> float:
        """Fraction of test levels on which the agent got the cheese."""
        return float(self.actual.mean())


# --- the interpreter's rule ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Maps:
    """Shortest-path distances the rule needs, cells addressed by flat index.

    ``dist[:, k]`` is the distance from every cell to feature ``k`` (k < 5) or from
    the start (k = 5); ``cells[:, k]`` is the flat cell of feature ``k`` or the start;
    ``view`` marks the cells from which the cheese is in sight; ``same[:, j, k]``
    is 1 where features ``j`` and ``k`` share a cell.
    """

    dist: np.ndarray
    cells: np.ndarray
    view: np.ndarray
    same: np.ndarray


def _maps(levels: LevelBatch, cheese_radius: int | None) -> _Maps:
    features = feature_cells(levels)
    cells = np.concatenate([features, levels.start[:, None, :]], axis=1)
    n, k, _ = cells.shape
    walls = np.repeat(levels.walls, k, axis=0)
    dist = distance_maps(walls, cells.reshape(n * k, 2)).reshape(n, k, -1).astype(np.int64)
    flat = cells[..., 0] * levels.size + cells[..., 1]
    same = shared_cells(features).astype(float)
    return _Maps(dist, flat, view_table(levels, cheese_radius), same)


def predict(
    weights: np.ndarray,
    levels: LevelBatch,
    *,
    cheese_radius: int | None,
    max_steps: int,
    gamma: float,
) -> Prediction:
    """Apply the interpreter's rule to every level, using only the weights and the maze.

    From the start, rank the cells the agent knows about by utility (the summed
    weights of the features on the cell, the cheese only if in sight) times
    ``gamma ** distance``; head for the best if it is worth anything, else stay put.
    The agent gets the cheese if the target holds it, if the cheese lies on some
    shortest route to the target (it walks onto it), or if the cheese, out of sight
    at the start, comes into sight on such a route at a cell where its discounted
    utility beats the target's (it turns to the cheese). Otherwise it stops at the
    target without the cheese. Cheese reached within ``max_steps`` moves counts as
    "gets the cheese".

    Args:
        weights: ``(len(FEATURE_NAMES),)`` mesa-objective.
        levels: Levels to predict.
        cheese_radius: The agent's view radius for the cheese (None: always visible).
        max_steps: Episode limit.
        gamma: The agent's planning discount, in (0, 1).

    Returns:
        The predictions.

    Raises:
        ValueError: On a weight vector of the wrong shape or ``gamma`` outside (0, 1).
    """
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(FEATURE_NAMES),):
        raise ValueError(f"weights must have shape ({len(FEATURE_NAMES)},), got {weights.shape}")
    gamma = check_gamma(gamma)
    maps = _maps(levels, cheese_radius)
    n, rows = len(levels), np.arange(len(levels))
    start = maps.cells[:, -1]
    seen = maps.view[rows, start]
    each = np.broadcast_to(weights, (n, len(weights)))
    utility = feature_utilities(each, maps.same, seen)
    to_feature = maps.dist[:, : len(FEATURE_NAMES)]
    score = utility * _discount(to_feature[rows, :, start], gamma)
    target = score.argmax(axis=1)
    moves = score[rows, target] > 0
    cheese_value = feature_utilities(each, maps.same, np.ones(n, dtype=bool))[:, CHEESE]
    steps = _steps_to_cheese(maps, target, cheese_value, utility[rows, target], seen, gamma)
    steps = np.where(moves, steps, _NEVER)
    return Prediction(
        first_target=np.where(moves, target, -1),
        gets_cheese=steps <= max_steps,
        steps=np.where(steps < _NEVER, steps, -1),
    )


_NEVER = np.iinfo(np.int64).max


def _discount(dist: np.ndarray, gamma: float) -> np.ndarray:
    return np.where(dist < UNREACHABLE, gamma ** np.minimum(dist, 10_000), 0.0)


def _steps_to_cheese(
    maps: _Maps,
    target: np.ndarray,
    cheese_value: np.ndarray,
    target_value: np.ndarray,
    seen: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """Moves until the cheese on the way to ``target`` (``_NEVER``: it stops without it)."""
    rows = np.arange(len(target))
    from_start = maps.dist[:, -1]
    to_target = maps.dist[rows, target]
    to_cheese = maps.dist[:, CHEESE]
    length = from_start[rows, maps.cells[rows, target]]
    route = (from_start + to_target == length[:, None]) & (from_start < UNREACHABLE)
    on_target = maps.same[rows, target, CHEESE] > 0
    wins = route & maps.view & ~seen[:, None]
    wins &= cheese_value[:, None] * _discount(to_cheese, gamma) > target_value[:, None] * _discount(
        to_target, gamma
    )
    wins[rows, maps.cells[:, CHEESE]] |= route[rows, maps.cells[:, CHEESE]]
    total = np.where(wins, from_start + to_cheese, _NEVER).min(axis=1)
    return np.where(on_target, length, total)


# --- the experiment -----------------------------------------------------------------------------


def value_map(result: Result, index: int = 0) -> np.ndarray:
    """Value the learned objective gives every cell of one test level.

    Value iteration on the mesa-utility (each feature's cell worth its weight), the
    agent's own definition of how good a position is.

    Args:
        result: A run.
        index: Which test level.

    Returns:
        ``(size, size)`` values (walls 0).
    """
    levels = result.misgeneralization.test_levels
    index = _check_index(index, len(levels))
    agent = MesaOptimizer(result.weights, result.config.training.gamma)
    return agent.value_map(levels.walls[index], feature_cells(levels[index])[0])


def agent_path(result: Result, index: int = 0) -> np.ndarray:
    """The path the agent actually takes on one test level (runs it there, for display)."""
    levels = result.misgeneralization.test_levels
    index = _check_index(index, len(levels))
    episodes = gm.play_levels(result.config.training, result.weights, levels[index], record=True)
    return episodes.paths[0][: int(episodes.steps[0]) + 1]


def _check_index(index: object, n: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n - 1}], got {index!r}")
    return int(index)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train the agent, predict its test behaviour from its weights, then check by running it.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "interpretability", seed)
    training = config.training
    trained = gm.run(training, seed)
    weights, test_levels = trained.weights, trained.test_levels
    test_eps = gm.play_levels(training, weights, test_levels)
    rule = predict(
        weights,
        test_levels,
        cheese_radius=training.cheese_radius,
        max_steps=training.episode_limit,
        gamma=training.gamma,
    )
    return Result(
        config=config,
        seed=trained.seed,
        mesa_objective=trained.mesa_objective,
        train_true_goal_rate=trained.train.true_goal_rate,
        predicted=_predictions(weights, trained.train.true_goal_rate, rule, len(test_levels)),
        first_target=_canonical(rule.first_target, test_levels),
        actual=test_eps.reached_cheese,
        actual_first_target=_feature_index(test_eps.mesa_goal, test_levels),
        misgeneralization=trained,
    )


def _predictions(
    weights: np.ndarray, train_rate: float, rule: Prediction, n: int
) -> dict[str, np.ndarray]:
    """The three predictors' "gets the cheese" calls."""
    return {
        "behaviour": np.full(n, train_rate >= 0.5),
        "top_weight": np.full(n, int(np.argmax(weights)) == CHEESE),
        "rule": rule.gets_cheese,
    }


def _canonical(target: np.ndarray, levels: LevelBatch) -> np.ndarray:
    """Rename each target by its cell, so that features sharing a cell get one name."""
    cells = feature_cells(levels)[np.arange(len(levels)), np.maximum(target, 0)]
    return np.where(target >= 0, _feature_index(cells, levels), -1)


def _feature_index(goal: np.ndarray, levels: LevelBatch) -> np.ndarray:
    """Which feature sits on each goal cell (-1: none); the cheese wins a shared cell."""
    cells = feature_cells(levels)
    match = (cells == goal[:, None, :]).all(axis=-1)
    return np.where(match.any(axis=1), match.argmax(axis=1), -1)


sweep = make_sweep(run, Config, "readings")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each predictor's accuracy and the test cheese rate.

    Args:
        results: Runs.

    Returns:
        ``{measure: {"mean", "min", "max"}}`` for ``behaviour``, ``top_weight``,
        ``rule``, ``first_target`` and ``test_true_goal_rate``.

    Raises:
        ValueError: On no results.
    """
    measures = {k: _accuracy(k) for k in PREDICTORS}
    measures["first_target"] = lambda r: r.first_target_accuracy
    measures["test_true_goal_rate"] = lambda r: r.test_true_goal_rate
    return summarize(results, measures)


def _accuracy(predictor: str):
    return lambda r: r.accuracy[predictor]


__all__ = [
    "PREDICTORS",
    "Config",
    "Prediction",
    "Result",
    "agent_path",
    "predict",
    "run",
    "summary",
    "sweep",
    "value_map",
]
