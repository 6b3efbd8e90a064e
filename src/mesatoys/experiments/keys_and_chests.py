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

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.collector import (
    OBJECT_FEATURES,
    CollectorEpisodes,
    CollectorTables,
    simulate,
)
from mesatoys.agents.planner import DEFAULT_GAMMA
from mesatoys.checks import check_count, check_fraction, check_seed
from mesatoys.envs.keys_chests import KeyChestLevels, generate_levels, split_counts
from mesatoys.envs.maze import check_size
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies


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
        check_fraction("extra_openings", self.extra_openings)
        check_fraction("surplus_fraction", self.surplus_fraction)
        if not isinstance(self.inventory_aware, bool):
            raise ValueError(f"inventory_aware must be True or False, got {self.inventory_aware!r}")
        for name in ("n_train_levels", "n_test_levels", "levels_per_generation", "max_steps"):
            check_count(name, getattr(self, name))
        if self.levels_per_generation > self.n_train_levels:
            raise ValueError(
                f"levels_per_generation must be <= n_train_levels ({self.n_train_levels}), "
                f"got {self.levels_per_generation}"
            )
        if not 0.0 < self.gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {self.gamma!r}")

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


@dataclass(frozen=True)
class Result:
    """Everything one run produced.

    Attributes:
        config: Settings.
        seed: Seed.
        mesa_objective: Learned ``{feature: weight}`` (features the objective may weigh).
        train: Rates on training levels.
        test: Rates on test levels.
        history: The outer optimizer's trajectory.
        train_levels: Training levels.
        test_levels: Test levels.
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    train: Outcome
    test: Outcome
    history: ESHistory
    train_levels: KeyChestLevels
    test_levels: KeyChestLevels


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

    Args:
        config: Settings (defaults: :class:`Config`).
        seed: Non-negative integer; the same seed gives the same numbers.

    Returns:
        The run's result.
    """
    config = Config() if config is None else config
    seed = check_seed(seed)
    train_levels, test_levels = make_levels(config, seed)
    params, history = train_mesa_objective(config, train_levels, np.random.default_rng([seed, 1]))
    return Result(
        config=config,
        seed=seed,
        mesa_objective=dict(zip(config.features, map(float, params), strict=True)),
        train=Outcome.of(play(config, params, train_levels), train_levels),
        test=Outcome.of(play(config, params, test_levels), test_levels),
        history=history,
        train_levels=train_levels,
        test_levels=test_levels,
    )


def sweep(
    seeds: Iterable[int] = range(5), config: Config | None = None, **changes: object
) -> list[Result]:
    """One :func:`run` per seed, with ``changes`` applied to ``config``."""
    base = dataclasses.replace(Config() if config is None else config, **changes)
    return [run(base, seed=s) for s in seeds]
