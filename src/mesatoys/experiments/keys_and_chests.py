"""Keys and chests: an instrumental goal learned as a terminal one.

After Langosco et al. 2022, "Goal Misgeneralization in Deep Reinforcement
Learning" (its keys-and-chests environment). Evolution strategies tune the
planner's mesa-objective (weights on ``key``, ``chest`` and optionally
``usable_chest``) using only the number of chests opened on training levels, which
have 3 keys and 10 chests. Keys are then scarce and every key is soon spent, so
"value keys" earns reward. Test levels have 10 keys and 3 chests.

The asymmetry is what the objective can express: by default it can weigh only
*kinds of object*, not "a chest while I hold a key". To open chests the agent must
value keys in themselves, which is harmless when keys are scarce and wasteful when
they are plentiful. With ``inventory_aware=True`` the objective may also weigh
``usable_chest``, and the outer optimizer can learn the instrumental structure.

Example:
    >>> from mesatoys.experiments import keys_and_chests as kc
    >>> res = kc.run(kc.Config(n_test_levels=100), seed=0)
    >>> res.train.chest_rate > 0.8
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.collector import (
    OBJECT_FEATURES,
    CollectorEpisodes,
    CollectorTables,
    simulate,
)
from mesatoys.agents.planner import DEFAULT_GAMMA, check_gamma, objective_vector
from mesatoys.checks import check_count, check_fraction, check_instance, check_seed
from mesatoys.envs.keys_chests import KeyChestLevels, generate_levels, split_counts
from mesatoys.envs.maze import check_size
from mesatoys.experiments.shape import (
    DrawsLevels,
    keep,
    make_sweep,
    start,
    summarize,
    training_record,
)
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies

MAX_LEVELS = 20_000  # levels per set: far beyond what a notebook needs, well within memory
MIN_TRAINING_SIZE = 9  # the smallest maze with room for 3 keys, 10 chests and a start

#: The intended goal, in the holding-aware features: a key is worth something only while
#: the agent holds none (``key`` plus a larger negative ``spare_key``), a chest only while
#: it can open it (``usable_chest``). The control for the key hoarding (:func:`evaluate`).
INTENDED_OBJECTIVE = {"key": 0.5, "usable_chest": 1.0, "spare_key": -1.0}


@dataclass(frozen=True)
class Config:
    """Settings of one keys-and-chests run.

    Attributes:
        size: Maze side in cells, walls included (odd, >= 5).
        extra_openings: Share of inner walls knocked out, in [0, 1].
        inventory_aware: Let the objective weigh ``usable_chest`` and ``spare_key``
            (features that depend on holding a key). False (default) limits it to
            kinds of object.
        surplus_fraction: Share of training levels laid out like test levels (10
            keys, 3 chests), in [0, 1].
        n_train_levels: Pool of training levels (3 keys, 10 chests each, but see
            ``surplus_fraction``).
        n_test_levels: Test levels (10 keys, 3 chests each).
        levels_per_generation: Training levels each candidate plays per generation.
        max_steps: Episode limit.
        gamma: Planning discount, in (0, 1).
        es: Settings of the outer optimizer.
    """

    size: int = 11
    extra_openings: float = 0.3
    inventory_aware: bool = False
    surplus_fraction: float = 0.0
    n_train_levels: int = 128
    n_test_levels: int = 500
    levels_per_generation: int = 24
    max_steps: int = 80
    gamma: float = DEFAULT_GAMMA
    es: ESConfig = field(default_factory=lambda: ESConfig(generations=30))

    def __post_init__(self) -> None:
        check_size(self.size)
        if self.size < MIN_TRAINING_SIZE:
            raise ValueError(
                f"size must be at least {MIN_TRAINING_SIZE} (room for 3 keys and 10 chests), "
                f"got {self.size}"
            )
        check_fraction("extra_openings", self.extra_openings)
        check_fraction("surplus_fraction", self.surplus_fraction)
        if not isinstance(self.inventory_aware, bool):
            raise ValueError(f"inventory_aware must be True or False, got {self.inventory_aware!r}")
        for name in ("n_train_levels", "n_test_levels", "levels_per_generation"):
            check_count(name, getattr(self, name), high=MAX_LEVELS)
        check_count("max_steps", self.max_steps, high=10_000)
        if self.levels_per_generation > self.n_train_levels:
            raise ValueError(
                f"levels_per_generation must be <= n_train_levels ({self.n_train_levels}), "
                f"got {self.levels_per_generation}"
            )
        check_gamma(self.gamma)
        check_instance("es", self.es, ESConfig)

    @property
    def features(self) -> tuple[str, ...]:
        """The features the objective may weigh."""
        return OBJECT_FEATURES if self.inventory_aware else OBJECT_FEATURES[:2]

    @property
    def n_surplus_levels(self) -> int:
        """Training levels laid out like test levels."""
        return round(self.surplus_fraction * self.n_train_levels)


@dataclass(frozen=True)
class Outcome:
    """Rates over one set of levels.

    Attributes:
        chest_rate: Chests opened as a share of what the level allows
            (``min(keys, chests)``).
        keys_per_chest: Keys picked up per chest opened (total over levels); the base
            objective needs exactly 1.
        keys_collected: Mean keys picked up per level.
        chests_opened: Mean chests opened per level.
        mean_return: Mean base-objective return (chests, sooner is better).
        n_levels: Number of levels.
    """

    chest_rate: float
    keys_per_chest: float
    keys_collected: float
    chests_opened: float
    mean_return: float
    n_levels: int

    @classmethod
    def of(cls, episodes: CollectorEpisodes, levels: KeyChestLevels) -> Outcome:
        """Summarise a batch of episodes."""
        possible = np.minimum(levels.n_keys, levels.n_chests).sum()
        opened = episodes.chests_opened.sum()
        return cls(
            chest_rate=float(opened / possible),
            keys_per_chest=float(episodes.keys_collected.sum() / max(opened, 1)),
            keys_collected=float(episodes.keys_collected.mean()),
            chests_opened=float(episodes.chests_opened.mean()),
            mean_return=float(episodes.returns.mean()),
            n_levels=len(levels),
        )


@dataclass(frozen=True, eq=False)
class Result(DrawsLevels):
    """Everything one run produced, as plain numbers and arrays.

    Attributes:
        config: Settings.
        seed: Seed.
        mesa_objective: Learned ``{feature: weight}`` (features the objective may weigh).
        train: Rates on training levels.
        test: Rates on test levels.
        training_weights: ``(generations + 1, n_features)`` the outer optimizer's weights
            before each update (the last row: the learned ones).
        training_scores: ``(generations,)`` mean score of each generation's candidates.

    The levels are not stored: :attr:`train_levels` and :attr:`test_levels` draw them
    again from the config and seed, on first use.
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    train: Outcome
    test: Outcome
    training_weights: np.ndarray
    training_scores: np.ndarray

    def _draw_levels(self) -> tuple[KeyChestLevels, KeyChestLevels]:
        return make_levels(self.config, self.seed)


def make_levels(config: Config, seed: int) -> tuple[KeyChestLevels, KeyChestLevels]:
    """Training and test levels of a run (independent random streams)."""
    train_rng, test_rng = np.random.default_rng([check_seed(seed), 0]).spawn(2)

    def levels(n: int, split: str, rng: np.random.Generator) -> KeyChestLevels:
        keys, chests = split_counts(split)
        return generate_levels(
            n, config.size, keys, chests, rng, extra_openings=config.extra_openings
        )

    surplus = config.n_surplus_levels
    train = KeyChestLevels.concatenate(
        [
            levels(config.n_train_levels - surplus, "train", train_rng),
            levels(surplus, "test", train_rng),
        ]
    )
    return train, levels(config.n_test_levels, "test", test_rng)


def full_weights(config: Config, params: np.ndarray) -> np.ndarray:
    """Weights over all of :data:`OBJECT_FEATURES` (features the objective lacks weigh 0)."""
    params = np.atleast_2d(params)
    padded = np.zeros((len(params), len(OBJECT_FEATURES)))
    padded[:, : params.shape[1]] = params
    return padded


def play(
    config: Config, params: np.ndarray, levels: KeyChestLevels, record: bool = False
) -> CollectorEpisodes:
    """Let a planner with the given objective play each level once."""
    tables = CollectorTables.build(levels, config.gamma)
    weights = np.repeat(full_weights(config, params), len(levels), axis=0)
    return simulate(tables, weights, np.arange(len(levels)), config.max_steps, record)


def evaluate(
    config: Config, mesa_objective: Mapping[str, float], levels: KeyChestLevels
) -> Outcome:
    """Play any objective over :data:`OBJECT_FEATURES` as :func:`run` plays the learned one.

    Same planner, same view of the level, same step limit: only the objective differs,
    and it may use every feature, whatever ``config.inventory_aware`` allows the outer
    optimizer. ``evaluate(config, INTENDED_OBJECTIVE, result.test_levels)`` is the
    control for a run: the intended goal with the same capabilities.

    Args:
        config: Settings (the planning discount and the step limit).
        mesa_objective: ``{feature: weight}`` (missing features weigh 0).
        levels: Levels to play once each.

    Returns:
        The rates.

    Raises:
        ValueError: On an unknown feature or a non-finite weight.
    """
    weights = objective_vector(mesa_objective, OBJECT_FEATURES)
    return Outcome.of(play(config, weights, levels), levels)


def train_mesa_objective(
    config: Config, levels: KeyChestLevels, rng: np.random.Generator
) -> tuple[np.ndarray, ESHistory]:
    """Evolution strategies on the number of chests opened; nothing else is seen."""
    tables = CollectorTables.build(levels, config.gamma)
    per_gen = config.levels_per_generation

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        chosen = rng.choice(len(levels), per_gen, replace=False)
        weights = np.repeat(full_weights(config, population), per_gen, axis=0)
        episodes = simulate(tables, weights, np.tile(chosen, len(population)), config.max_steps)
        return episodes.returns.reshape(len(population), per_gen).mean(axis=1)

    return evolution_strategies(fitness, np.zeros(len(config.features)), config.es, rng)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train on few-keys levels, test on many-keys levels.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "keys_and_chests", seed)
    train_levels, test_levels = make_levels(config, seed)
    params, history = train_mesa_objective(config, train_levels, np.random.default_rng([seed, 1]))
    result = Result(
        config=config,
        seed=seed,
        mesa_objective=dict(zip(config.features, map(float, params), strict=True)),
        train=Outcome.of(play(config, params, train_levels), train_levels),
        test=Outcome.of(play(config, params, test_levels), test_levels),
        **training_record(history),
    )
    return keep(result, train_levels=train_levels, test_levels=test_levels)


sweep = make_sweep(run, Config, "keys-and-chests runs")


SUMMARY_MEASURES = ("chest_rate", "keys_per_chest", "keys_collected", "mean_return")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of the test rates and the learned weights.

    Returns:
        ``{measure: {"mean", "min", "max"}}``: ``train_chest_rate``, each of
        :data:`SUMMARY_MEASURES` on the test levels, and each learned weight (only the
        features every run's objective has).

    Raises:
        ValueError: On no results.
    """
    runs = list(results)
    measures = {"train_chest_rate": lambda r: r.train.chest_rate}
    measures |= {name: _test(name) for name in SUMMARY_MEASURES}
    shared = set.intersection(*(set(r.mesa_objective) for r in runs)) if runs else set()
    measures |= {name: _weight(name) for name in sorted(shared)}
    return summarize(runs, measures)


def _test(name: str):
    return lambda r: getattr(r.test, name)


def _weight(name: str):
    return lambda r: r.mesa_objective[name]
