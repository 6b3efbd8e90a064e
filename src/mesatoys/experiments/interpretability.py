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
  plans, and sees the cheese only from nearby). It heads for the known feature whose
  weight, discounted by ``gamma`` per step of distance, is largest (the value map
  the weights induce); it gets the cheese only if the cheese comes into sight on a
  shortest route to that target at a point where the cheese's discounted weight
  beats the target's, or, once the target is used up, the cheese (seen earlier) is
  the next best thing, and all this within the step limit.

The rule uses only the weights, the maze's shortest-path distances and the view
radius; it never calls the agent's rollout. Each prediction is then scored against
what the agent actually does on the level.

Example:
    >>> from mesatoys.experiments import interpretability as interp
    >>> res = interp.run(interp.Config(n_test_levels=200), seed=0)
    >>> res.rule_accuracy > res.behaviour_accuracy + 0.5
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import objective_dict, value_iteration
from mesatoys.checks import check_count, check_fraction, check_seed
from mesatoys.envs.features import (
    CHEESE,
    FEATURE_NAMES,
    feature_cells,
    shared_cells,
    view_table,
)
from mesatoys.envs.maze import UNREACHABLE, LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm

PREDICTORS = ("behaviour", "top_weight", "rule")


@dataclass(frozen=True)
class Config:
    """Settings of one interpretability run.

    Attributes:
        alpha: Fraction of training levels whose cheese is not in the corner, in [0, 1].
        n_test_levels: Number of test levels to predict.
        base: The rest of the goal-misgeneralization settings (its ``alpha`` and
            ``n_test_levels`` are replaced by the two fields above).
    """

    alpha: float = 0.0
    n_test_levels: int = 1000
    base: gm.Config = field(default_factory=gm.Config)

    def __post_init__(self) -> None:
        check_fraction("alpha", self.alpha)
        check_count("n_test_levels", self.n_test_levels)
        if not isinstance(self.base, gm.Config):
            raise TypeError(
                f"base must be a goal_misgeneralization.Config, got {type(self.base).__name__}"
            )

    @property
    def training(self) -> gm.Config:
        """The goal-misgeneralization settings actually used."""
        return dataclasses.replace(self.base, alpha=self.alpha, n_test_levels=self.n_test_levels)


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


@dataclass(frozen=True)
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
    is 1 where features ``j`` and ``k`` share a cell (a test cheese may lie on a
    corner other than the top-right one).
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

    The rule, leg by leg: from where the agent stands, rank the features it knows
    about (the unused corners; the cheese once it has been in sight) by
    ``weight * gamma ** distance``; head for the best one if its weight is positive,
    else stop. On the way, if the cheese comes into sight on some shortest route to
    the target and its discounted weight there beats the target's, it turns to the
    cheese; if the cheese lies on a shortest route, it walks onto it (whatever its
    weight: the episode ends on the cheese). Otherwise it reaches the target, which
    is then used up, and the next leg begins. Cheese reached within ``max_steps``
    moves counts as "gets the cheese". Features on one cell add up, and reaching a
    cell uses up all of them.

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
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
    return _Legs(_maps(levels, cheese_radius), weights, gamma, max_steps).walk()


class _Legs:
    """The rule's state for all levels at once; one :meth:`leg` per target reached."""

    def __init__(self, maps: _Maps, weights: np.ndarray, gamma: float, max_steps: int):
        n = maps.cells.shape[0]
        self.maps, self.weights, self.gamma, self.max_steps = maps, weights, gamma, max_steps
        self.rows = np.arange(n)
        self.source = np.full(n, len(FEATURE_NAMES))  # index into maps: the start
        self.pos = maps.cells[:, -1]
        self.seen = maps.view[self.rows, self.pos]
        self.used = maps.cells[:, :-1] == self.pos[:, None]  # standing on it uses it up
        self.steps = np.zeros(n, dtype=np.int64)
        self.done = np.zeros(n, dtype=bool)
        self.cheese = np.zeros(n, dtype=bool)

    def discounted(self, dist: np.ndarray) -> np.ndarray:
        return np.where(dist < UNREACHABLE, self.gamma ** np.minimum(dist, 10_000), 0.0)

    def walk(self) -> Prediction:
        first = self.leg()
        for _ in range(len(FEATURE_NAMES)):
            if self.done.all():
                break
            self.leg()
        return Prediction(first, self.cheese, self.steps)

    def leg(self) -> np.ndarray:
        """One leg of every unfinished level; returns the target chosen (-1: none)."""
        dist_here = self.maps.dist[self.rows, : len(FEATURE_NAMES), self.pos]
        active = np.where(self.used, 0.0, self.weights)
        active[:, CHEESE] *= self.seen
        utility = np.maximum(np.einsum("nkj,nj->nk", self.maps.same, active), 0.0)
        score = utility * self.discounted(dist_here)
        target = score.argmax(axis=1)
        stop = ~self.done & (score[self.rows, target] <= 0)
        self.done |= stop
        live = ~self.done
        target = np.where(live, target, -1)
        self.divert(target, utility, live)
        self.arrive(target, dist_here, live & ~self.done)
        return target

    def route(self, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells on some shortest route from here to the target, and distances from here.

        Returns:
            ``(n, cells)`` route mask and ``(n, cells)`` distances.
        """
        rows = self.rows
        from_here = self.maps.dist[rows, self.source]
        to_target = self.maps.dist[rows, target]
        length = to_target[rows, self.pos]
        on = (from_here + to_target == length[:, None]) & (from_here < UNREACHABLE)
        return on, from_here

    def divert(self, target: np.ndarray, utility: np.ndarray, live: np.ndarray) -> None:
        """Levels whose route meets the cheese: it is on the route, or seen and worth more."""
        maps, rows, t = self.maps, self.rows, np.maximum(target, 0)
        route, from_here = self.route(t)
        sighted = route & maps.view & live[:, None] & ~self.seen[:, None]
        to_cheese = maps.dist[rows, CHEESE]
        unused = np.where(self.used, 0.0, self.weights)
        cheese_weight = np.maximum(np.einsum("nj,nj->n", maps.same[:, CHEESE], unused), 0.0)
        cheese_value = cheese_weight[:, None] * self.discounted(to_cheese)
        target_value = utility[rows, t][:, None] * self.discounted(maps.dist[rows, t])
        at_target = maps.same[rows, t, CHEESE] > 0
        wins = sighted & (cheese_value > target_value) & ~at_target[:, None]
        walks_over = route[rows, maps.cells[:, CHEESE]] & live & ~at_target
        wins[rows[walks_over], maps.cells[walks_over, CHEESE]] = True
        diverted = wins.any(axis=1)
        total = np.where(wins, from_here + to_cheese, np.iinfo(np.int64).max).min(axis=1)
        self.finish(diverted, np.where(diverted, self.steps + total, self.steps))
        self.seen |= sighted.any(axis=1)

    def arrive(self, target: np.ndarray, dist_here: np.ndarray, live: np.ndarray) -> None:
        """Levels that reach their target: use it up; reaching the cheese ends the episode."""
        t = np.maximum(target, 0)
        steps = self.steps + np.where(live, dist_here[self.rows, t], 0)
        late = live & (steps > self.max_steps)
        self.done |= late
        arrived = live & ~late
        self.steps = np.where(arrived, steps, self.steps)
        self.used |= arrived[:, None] & (self.maps.same[self.rows, t] > 0)
        self.pos = np.where(arrived, self.maps.cells[self.rows, t], self.pos)
        self.source = np.where(arrived, t, self.source)
        self.seen |= arrived & self.maps.view[self.rows, self.pos]
        self.finish(arrived & (self.maps.same[self.rows, t, CHEESE] > 0), self.steps)

    def finish(self, got: np.ndarray, steps: np.ndarray) -> None:
        """Mark levels that reach the cheese (within the limit) as done."""
        ok = got & (steps <= self.max_steps)
        self.cheese |= ok
        self.steps = np.where(ok, steps, self.steps)
        self.done |= got


# --- the experiment -----------------------------------------------------------------------------


def value_map(result: Result, index: int = 0, cheese_seen: bool = True) -> np.ndarray:
    """Value the learned objective gives every cell of one test level.

    Value iteration on the mesa-utility (each feature's cell worth its weight), the
    agent's own definition of how good a position is.

    Args:
        result: A run.
        index: Which test level.
        cheese_seen: Count the cheese (as once it is in sight).

    Returns:
        ``(size, size)`` values (walls 0).
    """
    levels = result.misgeneralization.test_levels
    index = _check_index(index, len(levels))
    cells = feature_cells(levels[index])[0]
    utility = np.zeros(levels.walls.shape[1:])
    for k, (r, c) in enumerate(cells):
        if k != CHEESE or cheese_seen:
            utility[r, c] += result.weights[k]
    gamma = result.config.training.gamma
    return value_iteration(levels.walls[index][None], utility[None], gamma)[0]


def agent_path(result: Result, index: int = 0) -> np.ndarray:
    """The path the agent actually takes on one test level (runs it there, for display)."""
    levels = result.misgeneralization.test_levels
    index = _check_index(index, len(levels))
    episodes = gm.play(result.config.training, result.weights, levels[index], record=True)
    return episodes.paths[0][: int(episodes.steps[0]) + 1]


def _check_index(index: object, n: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n - 1}], got {index!r}")
    return int(index)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train the agent, predict its test behaviour from its weights, then check by running it.

    Args:
        config: Settings (defaults: :class:`Config`).
        seed: Non-negative integer; the same seed gives the same numbers.

    Returns:
        The run's result.
    """
    config = Config() if config is None else config
    seed = check_seed(seed)
    training = config.training
    train_levels, test_levels = gm.make_levels(training, seed)
    weights, history = gm.train_mesa_objective(
        training, train_levels, np.random.default_rng([seed, 1])
    )
    train_eps = gm.play(training, weights, train_levels)
    test_eps = gm.play(training, weights, test_levels)
    rule = predict(
        weights,
        test_levels,
        cheese_radius=training.cheese_radius,
        max_steps=training.episode_limit,
        gamma=training.gamma,
    )
    return Result(
        config=config,
        seed=seed,
        mesa_objective=objective_dict(weights),
        train_true_goal_rate=float(train_eps.reached_cheese.mean()),
        predicted=_predictions(weights, train_eps.reached_cheese.mean(), rule, len(test_levels)),
        first_target=_canonical(rule.first_target, test_levels),
        actual=test_eps.reached_cheese,
        actual_first_target=_feature_index(test_eps.mesa_goal, test_levels),
        misgeneralization=gm.Result(
            config=training,
            seed=seed,
            mesa_objective=objective_dict(weights),
            train=gm.Outcome.of(train_eps),
            test=gm.Outcome.of(test_eps),
            history=history,
            train_levels=train_levels,
            test_levels=test_levels,
        ),
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


def sweep(
    alphas: Iterable[float] = (0.0, 1.0),
    seeds: Iterable[int] = range(5),
    config: Config | None = None,
) -> list[Result]:
    """One :func:`run` per (alpha, seed), alpha-major.

    Args:
        alphas: Values of ``alpha``.
        seeds: Seeds.
        config: Base settings; ``alpha`` is replaced.

    Returns:
        The results, in the order of the loops.
    """
    base = Config() if config is None else config
    return [run(dataclasses.replace(base, alpha=a), s) for a in alphas for s in seeds]


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
    runs = list(results)
    if not runs:
        raise ValueError("results must hold at least one run")
    table = {k: [r.accuracy[k] for r in runs] for k in PREDICTORS}
    table["first_target"] = [r.first_target_accuracy for r in runs]
    table["test_true_goal_rate"] = [r.test_true_goal_rate for r in runs]
    return {
        k: {"mean": float(np.mean(v)), "min": float(np.min(v)), "max": float(np.max(v))}
        for k, v in table.items()
    }


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
