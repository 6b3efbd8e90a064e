"""Search against a learned reflex when only the maze's layout changes.

Notebook 02 asks what searching at decision time buys. Two agents get the same
training mazes and the same view of them (the whole grid: walls, their own cell, the
cheese; ``cheese_radius=None``):

- the **planner** (:mod:`mesatoys.agents.planner`), whose mesa-objective evolution
  strategies learn from the base reward (:func:`goal_misgeneralization.run` with
  ``alpha = 0``), and which runs value iteration over the maze in front of it at every
  step;
- a **reactive network** (:class:`mesatoys.agents.reactive.ReactivePolicy`), a small
  MLP fitted by behaviour cloning to the shortest-route move in every cell of the same
  mazes, which runs one forward pass per step and no search.

Both are then played on **new layouts**: fresh mazes whose cheese is still in the
top-right corner, so only the layout shifts, not the goal. The reactive network fits
its training mazes (a test checks >= 95% on seeds the notebook does not use), so what
it does on new mazes is not a failure to learn the old ones. Uniformly random moves
on the same new mazes give the chance level.

The comparison is not of equal training signals: the network is told the best move
in every cell, the planner's outer optimizer sees only returns. The network has the
richer teacher, the planner the search.

Example:
    >>> from mesatoys.experiments import layout_shift as ls
    >>> res = ls.run(ls.Config(n_train_levels=1, n_new_levels=50), seed=0)
    >>> res.planner_new_layouts, res.reactive_train
    (1.0, 1.0)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.network import MLP
from mesatoys.agents.reactive import ReactivePolicy, play_random
from mesatoys.checks import check_count, check_seed
from mesatoys.envs.maze import LevelBatch, generate_levels
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments.shape import attributes, keep, make_sweep, start, summarize

MAX_LEVELS = 20_000  # mazes per set: far beyond what a notebook needs, well within memory
RATES = (
    "planner_train",
    "planner_new_layouts",
    "reactive_train",
    "reactive_new_layouts",
    "random_new_layouts",
    "reactive_train_moves",
    "reactive_new_moves",
)


@dataclass(frozen=True)
class Config:
    """Settings of one layout-shift comparison.

    Attributes:
        n_train_levels: Training mazes, the same for both agents (cheese in the corner).
        n_new_levels: New mazes to test on (cheese still in the corner).
        planner: Settings of the planner, its outer optimizer and the mazes (``size``,
            ``extra_openings``, ``max_steps``, ``gamma``, ``es``, ``simplicity_bias``).
            Its ``alpha`` must be 0 and its ``cheese_radius`` None (both agents see the
            whole maze); its ``n_train_levels`` and ``levels_per_generation`` are set
            from ``n_train_levels`` (see :attr:`planner_config`).
        reactive: The reactive network's hyper-parameters, as an unfitted
            :class:`ReactivePolicy` (:func:`run` fits a fresh copy; this one stays
            unfitted). Configs compare it by identity.
    """

    n_train_levels: int = 256
    n_new_levels: int = 300
    planner: gm.Config = field(default_factory=gm.Config)
    reactive: ReactivePolicy = field(default_factory=ReactivePolicy)

    def __post_init__(self) -> None:
        check_count("n_train_levels", self.n_train_levels, high=MAX_LEVELS)
        check_count("n_new_levels", self.n_new_levels, high=MAX_LEVELS)
        if not isinstance(self.planner, gm.Config):
            raise TypeError(
                "planner must be a goal_misgeneralization.Config, "
                f"got {type(self.planner).__name__}"
            )
        if self.planner.alpha != 0:
            raise ValueError(
                f"planner.alpha must be 0 (the cheese stays in the corner in training and on "
                f"new layouts, so that only the layout shifts), got {self.planner.alpha!r}"
            )
        if self.planner.cheese_radius is not None:
            raise ValueError(
                "planner.cheese_radius must be None (the reactive network sees the whole "
                f"maze, so the planner must too), got {self.planner.cheese_radius!r}"
            )
        default = gm.Config().n_train_levels
        if self.planner.n_train_levels != default:
            raise ValueError(
                "planner.n_train_levels is not used here (the comparison sets the training "
                f"mazes itself with n_train_levels); leave it at its default {default}, "
                f"got {self.planner.n_train_levels!r}"
            )
        if not isinstance(self.reactive, ReactivePolicy):
            raise TypeError(
                f"reactive must be a ReactivePolicy, got {type(self.reactive).__name__}"
            )
        self.reactive.check_params()

    @property
    def planner_config(self) -> gm.Config:
        """The planner's settings as :func:`run` uses them: ``n_train_levels`` mazes."""
        per_gen = min(self.planner.levels_per_generation, self.n_train_levels)
        return dataclasses.replace(
            self.planner, n_train_levels=self.n_train_levels, levels_per_generation=per_gen
        )


@dataclass(frozen=True, eq=False)
class Result:
    """Both agents on their training mazes and on new layouts.

    The rates are fractions of mazes on which the agent reached the cheese from the
    maze's start within ``planner_config.episode_limit`` steps, except the ``_moves``
    ones.

    Attributes:
        config: The settings.
        seed: The seed.
        planner_train: The planner, on its training mazes.
        planner_new_layouts: The planner, on the new mazes.
        reactive_train: The reactive network, on its training mazes.
        reactive_new_layouts: The reactive network, on the new mazes.
        random_new_layouts: Uniformly random moves, on the new mazes (chance).
        reactive_train_moves: Share of (maze, open cell) pairs of the training mazes
            where the network's move is a shortest-route move.
        reactive_new_moves: The same share on the new mazes.
        planner_objective: The planner's learned ``{feature: weight}``.
        network_weights: The fitted network's weight matrices, first layer first.
        network_biases: Its bias vectors.

    Not stored but drawn again on first use, from the config and seed: the training mazes
    (:attr:`train_levels`) and the new mazes (:attr:`new_levels`); the fitted network as
    a policy (:attr:`policy`) is rebuilt from its weights.
    """

    config: Config
    seed: int
    planner_train: float
    planner_new_layouts: float
    reactive_train: float
    reactive_new_layouts: float
    random_new_layouts: float
    reactive_train_moves: float
    reactive_new_moves: float
    planner_objective: dict[str, float]
    network_weights: tuple[np.ndarray, ...]
    network_biases: tuple[np.ndarray, ...]

    @property
    def planner_config(self) -> gm.Config:
        """The planner's settings (what :func:`goal_misgeneralization.play_levels` needs)."""
        return self.config.planner_config

    @property
    def episode_limit(self) -> int:
        """Step limit of every episode."""
        return self.planner_config.episode_limit

    @functools.cached_property
    def train_levels(self) -> LevelBatch:
        """The training mazes (both agents'), drawn again from the config and seed."""
        return gm.make_levels(self.planner_config, self.seed)[0]

    @functools.cached_property
    def new_levels(self) -> LevelBatch:
        """The new mazes, drawn again from the config and seed."""
        return new_layouts(self.config, self.seed)

    @functools.cached_property
    def policy(self) -> ReactivePolicy:
        """The fitted reactive network, rebuilt from its weights."""
        network = MLP(list(self.network_weights), list(self.network_biases))
        return ReactivePolicy(**self.config.reactive.get_params()).with_network(
            network, self.planner_config.size
        )


def new_layouts(config: Config, seed: int) -> LevelBatch:
    """``config.n_new_levels`` fresh mazes, cheese in the corner (a stream of their own)."""
    planner = config.planner
    return generate_levels(
        config.n_new_levels,
        size=planner.size,
        alpha=0.0,
        split="train",
        rng=np.random.default_rng([check_seed(seed), 2]),
        extra_openings=planner.extra_openings,
    )


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train both agents on the same mazes and play them on their mazes and on new ones.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.

    Random streams: the planner's run uses ``[seed, 0]`` (mazes) and ``[seed, 1]``
    (evolution strategies), as :func:`goal_misgeneralization.run`; the new mazes
    ``[seed, 2]``; the network's fit ``[seed, 3]``; the random moves ``[seed, 4]``.
    """
    config, seed = start(config, Config, "layout_shift", seed)
    planner_config = config.planner_config
    limit = planner_config.episode_limit
    planner = gm.run(planner_config, seed)
    train, new = planner.train_levels, new_layouts(config, seed)
    policy = ReactivePolicy(**config.reactive.get_params())
    policy.fit(train, limit, np.random.default_rng([seed, 3]))
    chance = play_random(new, limit, np.random.default_rng([seed, 4]))
    result = Result(
        config=config,
        seed=seed,
        planner_train=planner.train.true_goal_rate,
        planner_new_layouts=gm.evaluate(planner_config, planner.weights, new).true_goal_rate,
        reactive_train=policy.train_reached_,
        reactive_new_layouts=float(policy.play(new, limit).reached_cheese.mean()),
        random_new_layouts=float(chance.reached_cheese.mean()),
        reactive_train_moves=policy.move_accuracy(train),
        reactive_new_moves=policy.move_accuracy(new),
        planner_objective=planner.mesa_objective,
        network_weights=tuple(policy.network_.weights),
        network_biases=tuple(policy.network_.biases),
    )
    return keep(result, train_levels=train, new_levels=new, policy=policy)


sweep = make_sweep(run, Config, "layout-shift runs")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each of :data:`RATES`.

    Raises:
        ValueError: On no results.
    """
    return summarize(results, attributes(RATES))


__all__ = ["RATES", "Config", "Result", "new_layouts", "run", "summary", "sweep"]
