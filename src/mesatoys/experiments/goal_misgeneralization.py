"""Goal misgeneralization in the cheese maze: the course's headline experiment.

After Langosco et al. 2022, "Goal Misgeneralization in Deep Reinforcement
Learning" (the maze whose cheese sits in the top-right corner during training).
An outer optimizer (evolution strategies) tunes the mesa-objective of a planning
agent using only the base reward on training levels. In training the cheese is in
the corner except in a fraction ``alpha`` of levels; at test it is elsewhere.

The inductive bias that makes the proxy easier to learn is perception: the agent
always knows where the corner is, but sees the cheese only from within
``cheese_radius`` cells. Caring about the corner pays off from every starting cell;
caring about the cheese pays off only when the cheese is in sight, so the outer
optimizer finds the corner first and, once the corner earns full reward, has no
reason to learn anything else unless some training levels tell the two apart.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> res = gm.run(gm.Config(alpha=0.0, n_test_levels=200), seed=0)
    >>> res.train.true_goal_rate > 0.9
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import objective_dict
from mesatoys.agents.reactive import ReactivePolicy, local_state
from mesatoys.agents.rollout import DEFAULT_GAMMA, Episodes, PlanningTables, simulate
from mesatoys.checks import check_count, check_fraction, check_seed
from mesatoys.envs.features import FEATURE_NAMES, check_radius
from mesatoys.envs.maze import (
    LevelBatch,
    base_return,
    check_size,
    generate_levels,
    neighbour_table,
)
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies


@dataclass(frozen=True)
class Config:
    """Settings of one goal-misgeneralization run.

    Attributes:
        alpha: Fraction of training levels whose cheese is *not* in the corner, in [0, 1].
        size: Side of each square maze in cells, walls included (odd, >= 5).
        cheese_radius: How close (Chebyshev distance) the agent must be to see the
            cheese; ``None`` makes the cheese always visible, which removes the
            asymmetry between proxy and true goal.
        extra_openings: Fraction of inner walls knocked out to add loops, in [0, 1].
        n_train_levels: Size of the pool of training levels.
        n_test_levels: Number of test levels.
        levels_per_generation: Training levels each candidate plays per generation.
        max_steps: Episode limit; ``None`` means ``size * size // 2``.
        gamma: Planning discount of the mesa-optimizer, in (0, 1).
        es: Settings of the outer optimizer.
    """

    alpha: float = 0.0
    size: int = 13
    cheese_radius: int | None = 1
    extra_openings: float = 0.2
    n_train_levels: int = 256
    n_test_levels: int = 1000
    levels_per_generation: int = 32
    max_steps: int | None = None
    gamma: float = DEFAULT_GAMMA
    es: ESConfig = field(default_factory=ESConfig)

    def __post_init__(self) -> None:
        check_fraction("alpha", self.alpha)
        check_size(self.size)
        check_radius(self.cheese_radius)
        check_fraction("extra_openings", self.extra_openings)
        for name in ("n_train_levels", "n_test_levels", "levels_per_generation"):
            check_count(name, getattr(self, name))
        if self.levels_per_generation > self.n_train_levels:
            raise ValueError(
                f"levels_per_generation must be <= n_train_levels ({self.n_train_levels}), "
                f"got {self.levels_per_generation}"
            )
        if self.max_steps is not None:
            check_count("max_steps", self.max_steps)
        if not 0.0 < self.gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {self.gamma!r}")

    @property
    def episode_limit(self) -> int:
        """The episode length actually used."""
        return self.max_steps if self.max_steps is not None else self.size * self.size // 2


@dataclass(frozen=True)
class Outcome:
    """Rates over one set of levels.

    Attributes:
        true_goal_rate: Fraction of episodes that reach the cheese.
        proxy_rate: Fraction that reach the corner and never the cheese.
        mesa_goal_rate: Of the episodes the cheese did not end first, the fraction in
            which the agent reached the cell it set out for (the cell its
            mesa-objective ranks highest, distance-discounted, among those it sees
            at the start).
        mean_return: Mean base-objective return.
        n_levels: Number of episodes.
    """

    true_goal_rate: float
    proxy_rate: float
    mesa_goal_rate: float
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
            mean_return=float(episodes.returns.mean()),
            n_levels=len(episodes.returns),
        )


@dataclass(frozen=True)
class Result:
    """Everything one run produced.

    Attributes:
        config: The settings.
        seed: The seed.
        mesa_objective: Learned ``{feature: weight}``.
        train: Rates on the training levels.
        test: Rates on the test levels.
        history: The outer optimizer's trajectory (weights and mean fitness per generation).
        train_levels: The training levels.
        test_levels: The test levels.
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    train: Outcome
    test: Outcome
    history: ESHistory
    train_levels: LevelBatch
    test_levels: LevelBatch

    @property
    def weights(self) -> np.ndarray:
        """The learned mesa-objective as an array ordered as ``FEATURE_NAMES``."""
        return np.array([self.mesa_objective[name] for name in FEATURE_NAMES])


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


def train_mesa_objective(
    config: Config, levels: LevelBatch, rng: np.random.Generator
) -> tuple[np.ndarray, ESHistory]:
    """Run the outer optimizer on training levels; it sees only base returns.

    Args:
        config: Settings.
        levels: Training levels.
        rng: Source of the optimizer's noise and of the per-generation level draws.

    Returns:
        Learned weights and the optimizer's history.
    """
    tables = PlanningTables.build(levels, config.gamma)
    per_gen = config.levels_per_generation

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        chosen = rng.choice(len(levels), per_gen, replace=False)
        weights = np.repeat(population, per_gen, axis=0)
        episodes = simulate(
            tables,
            weights,
            np.tile(chosen, len(population)),
            cheese_radius=config.cheese_radius,
            max_steps=config.episode_limit,
        )
        return episodes.returns.reshape(len(population), per_gen).mean(axis=1)

    return evolution_strategies(fitness, np.zeros(len(FEATURE_NAMES)), config.es, rng)


def play(config: Config, weights: np.ndarray, levels: LevelBatch, record: bool = False) -> Episodes:
    """Let a planner with the given mesa-objective play each level once."""
    tables = PlanningTables.build(levels, config.gamma)
    return simulate(
        tables,
        np.broadcast_to(weights, (len(levels), len(weights))),
        np.arange(len(levels)),
        cheese_radius=config.cheese_radius,
        max_steps=config.episode_limit,
        record=record,
    )


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train a mesa-objective on training levels and evaluate it on both splits.

    Args:
        config: Settings (defaults: :class:`Config`).
        seed: Non-negative integer; the same seed gives the same numbers.

    Returns:
        The run's result.
    """
    config = Config() if config is None else config
    seed = check_seed(seed)
    train_levels, test_levels = make_levels(config, seed)
    weights, history = train_mesa_objective(config, train_levels, np.random.default_rng([seed, 1]))
    return Result(
        config=config,
        seed=seed,
        mesa_objective=objective_dict(weights),
        train=Outcome.of(play(config, weights, train_levels)),
        test=Outcome.of(play(config, weights, test_levels)),
        history=history,
        train_levels=train_levels,
        test_levels=test_levels,
    )


def sweep(
    alphas: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0),
    seeds: Iterable[int] = range(10),
    config: Config | None = None,
    progress: bool = True,
) -> list[Result]:
    """One :func:`run` per (alpha, seed), alpha-major.

    Args:
        alphas: Values of ``alpha``.
        seeds: Seeds.
        config: Base settings; ``alpha`` is replaced.
        progress: Show a progress bar.

    Returns:
        The results, in the order of the loops.
    """
    from tqdm.auto import tqdm

    base = Config() if config is None else config
    grid = [(a, s) for a in alphas for s in seeds]
    return [
        run(dataclasses.replace(base, alpha=a), seed=s)
        for a, s in tqdm(grid, desc="alpha sweep", disable=not progress)
    ]


OUTCOME_RATES = ("true_goal_rate", "proxy_rate", "mesa_goal_rate", "mean_return")


def curve(
    results: Sequence[Result], measure: str = "true_goal_rate", split: str = "test"
) -> dict[str, np.ndarray]:
    """Summarise a sweep: one measure per alpha, over seeds.

    Args:
        results: Runs, e.g. from :func:`sweep`.
        measure: An :class:`Outcome` rate (``"true_goal_rate"``, ``"proxy_rate"``,
            ``"mesa_goal_rate"``, ``"mean_return"``) read on ``split``, or a feature
            name (``"cheese"``, ``"top_right"``, ...) for its learned weight.
        split: ``"train"`` or ``"test"`` (used for rates only).

    Returns:
        ``alpha``, ``mean``, and ``low``/``high`` (the min and max over seeds).

    Raises:
        ValueError: On no results, an unknown measure or an unknown split.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if measure in OUTCOME_RATES:
        value = lambda r: getattr(getattr(r, split), measure)  # noqa: E731
    elif measure in FEATURE_NAMES:
        value = lambda r: r.mesa_objective[measure]  # noqa: E731
    else:
        allowed = [*OUTCOME_RATES, *FEATURE_NAMES]
        raise ValueError(f"measure must be one of {allowed}, got {measure!r}")
    alphas = np.array(sorted({r.config.alpha for r in results}))
    groups = [[value(r) for r in results if r.config.alpha == a] for a in alphas]
    return {
        "alpha": alphas,
        "mean": np.array([np.mean(g) for g in groups]),
        "low": np.array([np.min(g) for g in groups]),
        "high": np.array([np.max(g) for g in groups]),
    }


@dataclass(frozen=True)
class CapabilityComparison:
    """Planner and reactive policy on their training mazes and on new mazes.

    Both are trained on the same levels; the new mazes keep the cheese in the
    corner, so only the layout shifts.

    Attributes:
        planner_train: Planner's cheese rate on its training levels.
        planner_new_layouts: Planner's cheese rate on new layouts.
        reactive_train: Reactive policy's cheese rate on the training levels.
        reactive_new_layouts: Reactive policy's cheese rate on new layouts.
    """

    planner_train: float
    planner_new_layouts: float
    reactive_train: float
    reactive_new_layouts: float


def compare_with_reactive(
    config: Config | None = None,
    seed: int = 0,
    reactive: ReactivePolicy | None = None,
    n_levels: int | None = None,
) -> CapabilityComparison:
    """Train both agents on the same training levels, then shift only the layout.

    Args:
        config: Settings (``alpha`` is used for the training levels).
        seed: Seed.
        reactive: An unfitted reactive policy to train (defaults: ``ReactivePolicy()``).
        n_levels: Train both agents on only the first ``n_levels`` training levels
            (default: all of them). With a handful of mazes the lookup table can
            memorise its training mazes.

    Returns:
        The four rates.
    """
    agents = train_agents(config, seed, reactive, n_levels)
    config, result, policy = agents.config, agents.planner, agents.reactive
    shifted = new_layouts(config, seed)
    play_rng = np.random.default_rng([seed, 4])
    return CapabilityComparison(
        planner_train=result.train.true_goal_rate,
        planner_new_layouts=float(play(config, result.weights, shifted).reached_cheese.mean()),
        reactive_train=float(
            policy.play(result.train_levels, config.episode_limit, play_rng).reached_cheese.mean()
        ),
        reactive_new_layouts=float(
            policy.play(shifted, config.episode_limit, play_rng).reached_cheese.mean()
        ),
    )


# --- the two learners side by side (notebook 02) ----------------------------------------------


@dataclass(frozen=True)
class TrainedAgents:
    """A planner and a reactive lookup table trained on the same levels and reward.

    Attributes:
        planner: The mesa-optimizer's run (learned objective; training levels, which
            both agents trained on; test levels).
        reactive: The lookup table, fitted on ``planner.train_levels``.
    """

    planner: Result
    reactive: ReactivePolicy

    @property
    def config(self) -> Config:
        """The settings both agents were trained with."""
        return self.planner.config

    @property
    def seed(self) -> int:
        """The seed of the run."""
        return self.planner.seed


def train_agents(
    config: Config | None = None,
    seed: int = 0,
    reactive: ReactivePolicy | None = None,
    n_levels: int | None = None,
) -> TrainedAgents:
    """Train the planner's objective (evolution strategies) and a lookup table on the same levels.

    These are exactly the agents :func:`compare_with_reactive` measures with the same
    arguments.

    Args:
        config: Settings (``alpha`` is used for the training levels).
        seed: Seed.
        reactive: An unfitted reactive policy to train (defaults: ``ReactivePolicy()``).
        n_levels: Train on only ``n_levels`` training levels (replaces
            ``config.n_train_levels``; default: keep it).

    Returns:
        Both trained agents.
    """
    config = Config() if config is None else config
    seed = check_seed(seed)
    if n_levels is not None:
        check_count("n_levels", n_levels)
        per_gen = min(config.levels_per_generation, n_levels)
        config = dataclasses.replace(config, n_train_levels=n_levels, levels_per_generation=per_gen)
    result = run(config, seed)
    policy = (reactive or ReactivePolicy()).fit(
        result.train_levels, config.episode_limit, np.random.default_rng([seed, 3])
    )
    return TrainedAgents(planner=result, reactive=policy)


def new_layouts(config: Config, seed: int) -> LevelBatch:
    """``config.n_test_levels`` new mazes, cheese still in the corner: only the layout shifts."""
    return generate_levels(
        config.n_test_levels,
        size=config.size,
        alpha=0.0,
        split="train",
        rng=np.random.default_rng([check_seed(seed), 2]),
        extra_openings=config.extra_openings,
    )


@dataclass(frozen=True)
class ReactiveTrace:
    """The lookup table's episodes, with paths and where chance chose its move.

    Attributes:
        episodes: The outcomes; ``paths`` is filled in.
        decided: ``(n, max_steps)``: at step ``t`` the episode was still running and
            the table's best move was unique, so the table, not a coin flip, chose it.
        moves: ``(n,)`` moves made (the episode ends on the cheese or at the limit).
    """

    episodes: Episodes
    decided: np.ndarray
    moves: np.ndarray

    @property
    def decided_share(self) -> float:
        """Fraction of all moves made over the batch that the table decided (not chance)."""
        return float(self.decided.sum() / max(int(self.moves.sum()), 1))


def trace_reactive(
    policy: ReactivePolicy, levels: LevelBatch, max_steps: int, rng: np.random.Generator
) -> ReactiveTrace:
    """:meth:`ReactivePolicy.play`, step for step the same, also recording paths and decisions.

    With the same ``rng`` state it makes the same moves as ``policy.play`` (a test checks
    it).

    Args:
        policy: A fitted reactive policy.
        levels: Levels to play once each.
        max_steps: Episode limit.
        rng: Breaks ties between equally valued moves.

    Returns:
        The trace.
    """
    if not hasattr(policy, "q_table_"):
        raise RuntimeError("trace_reactive needs a fitted ReactivePolicy (call fit first)")
    size, n = levels.size, len(levels)
    nbrs, lvl = neighbour_table(levels.walls), np.arange(n)
    pos = levels.start[:, 0] * size + levels.start[:, 1]
    cheese = levels.cheese[:, 0] * size + levels.cheese[:, 1]
    got, at_corner = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    paths = np.repeat(pos[:, None], max_steps + 1, axis=1)
    decided = np.zeros((n, max_steps), dtype=bool)
    for t in range(max_steps):
        live = ~got
        state = local_state(levels.walls, pos)
        values = policy.q_table_[state]
        decided[:, t] = live & ((values == values.max(axis=1, keepdims=True)).sum(axis=1) == 1)
        action = policy.greedy(state, rng)  # the same tie-breaking draw as play()
        pos = np.where(live, nbrs[lvl, pos, action], pos)
        paths[:, t + 1] = pos
        steps += live
        got |= pos == cheese
        at_corner |= live & (pos == size + size - 2) & ~got
    unflat = lambda flat: np.stack(np.divmod(flat, size), axis=-1)  # noqa: E731
    returns = np.where(got, base_return(steps, max_steps), 0.0)
    nowhere = np.full((n, 2), -1)
    episodes = Episodes(
        got, at_corner, at_corner | got, returns, steps, unflat(pos), nowhere, unflat(paths)
    )
    return ReactiveTrace(episodes=episodes, decided=decided, moves=steps)
