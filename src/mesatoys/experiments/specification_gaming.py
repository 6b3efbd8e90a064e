"""Specification gaming in the boat race: optimizing the reward that was written down.

After the boat race of Leike et al. 2017, "AI Safety Gridworlds", and the
CoastRunners boat of Clark and Amodei 2016, "Faulty Reward Functions in the Wild".
The designer wants laps; the reward they wrote pays for entering checkpoints
(:mod:`mesatoys.envs.boat_race`). Two real optimizers are given that reward:

- a **planner**: value iteration on the exact model of the track, a perfect
  optimizer of the specified reward (discounted by ``gamma`` while planning; a
  test checks that its episode return equals the best possible);
- a **learned policy**: a table of action preferences per track cell, trained by
  the course's evolution strategies (:mod:`mesatoys.optimize`), which sees only
  each candidate's expected specified return (computed exactly on the model).

Both are scored twice: by the specified reward and by the hidden performance,
laps completed. The designer's intended behaviour (always sail clockwise) is
scored the same way for comparison. Then the reward is fixed (checkpoints pay
only in race order) and everything is run again.

Nothing is hard-coded: whether going back and forth beats racing comes out of
the track's layout. Racing collects one checkpoint every ``side - 1`` steps;
dithering over one checkpoint collects one every 2 steps, so on every track
bigger than the smallest (``side=3``, where the two tie, as in the original
gridworld) the reward prefers dithering.

Example:
    >>> from mesatoys.experiments import specification_gaming as sg
    >>> res = sg.run(sg.Config(n_eval_episodes=100), seed=0)
    >>> res.planner["checkpoints"].specified_return, res.planner["checkpoints"].laps
    (24.0, 0.0)
    >>> res.planner["ordered"].specified_return, res.planner["ordered"].laps
    (12.0, 3.0)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.checks import check_count
from mesatoys.envs.boat_race import (
    N_CHECKPOINTS,
    REWARDS,
    Model,
    Track,
    check_max_steps,
    check_reward,
    check_side,
    laps,
    make_track,
    step,
)
from mesatoys.experiments.shape import make_sweep, start, summarize
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies

AGENTS = ("intended", "planner", "learned")
AGENT_LABELS = {
    "intended": "intended: always sail clockwise",
    "planner": "planner (perfect optimizer)",
    "learned": "learned policy (evolution strategies)",
}
REWARD_LABELS = {"checkpoints": "checkpoint reward", "ordered": "fixed: checkpoints in order"}
N_ACTIONS = 4
_TIE = 1e-9  # action values this close count as equal (see planner_policy)


def _default_es() -> ESConfig:
    return ESConfig(generations=60, pairs=8, sigma=0.5, learning_rate=0.3, weight_decay=0.0)


@dataclass(frozen=True)
class Config:
    """Settings of one specification-gaming run.

    Attributes:
        side: Cells along each side of the ring track: odd, in [3, 15]. The ring has
            ``4 * (side - 1)`` cells.
        max_steps: Episode length; ``None`` gives time for three laps,
            ``3 * 4 * (side - 1)`` (48 steps at the default side of 5).
        gamma: The planner's discount per step while planning, in (0, 1).
        es: Settings of the evolution strategies that train the learned policy
            (default: 60 generations of 8 mirrored pairs, sigma 0.5, learning rate 0.3,
            no weight decay).
        n_eval_episodes: Episodes sampled to score the (stochastic) learned policy.
    """

    side: int = 5
    max_steps: int | None = None
    gamma: float = 0.95
    es: ESConfig = field(default_factory=_default_es)
    n_eval_episodes: int = 1000

    def __post_init__(self) -> None:
        check_side(self.side)
        if self.max_steps is not None:
            check_count("max_steps", self.max_steps)
        if isinstance(self.gamma, bool) or not isinstance(self.gamma, (int, float)):
            raise ValueError(f"gamma must be a number in (0, 1), got {self.gamma!r}")
        if not 0.0 < self.gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {self.gamma!r}")
        if not isinstance(self.es, ESConfig):
            raise ValueError(f"es must be an ESConfig, got {self.es!r}")
        check_count("n_eval_episodes", self.n_eval_episodes)

    @property
    def episode_limit(self) -> int:
        """The episode length actually used."""
        return check_max_steps(self.max_steps, make_track(self.side))


def q_values(
    model: Model, gamma: float, horizon: int | None = None, tol: float = 1e-12
) -> np.ndarray:
    """Optimal action values of a reward, by value iteration on the exact model.

    Repeats the Bellman backup ``Q(s, a) = r(s, a) + gamma * max_b Q(s', b)`` from
    ``Q = 0``.

    Args:
        model: The track's model for one reward.
        gamma: Discount per step: in (0, 1), or exactly 1 with a finite ``horizon``.
        horizon: None: iterate to convergence (the infinite-horizon discounted
            values). An integer n: exactly n backups, which gives the best total
            reward over the next n steps.
        tol: Convergence tolerance when ``horizon`` is None.

    Returns:
        ``(n_states, 4)`` action values.

    Raises:
        ValueError: On a discount outside (0, 1) (or (0, 1] with a horizon).
    """
    top_ok = gamma <= 1.0 if horizon is not None else gamma < 1.0
    if not (0.0 < gamma and top_ok):
        allowed = "(0, 1]" if horizon is not None else "(0, 1) without a horizon"
        raise ValueError(f"gamma must be in {allowed}, got {gamma!r}")
    if horizon is not None:
        check_count("horizon", horizon)
    q = np.zeros(model.reward.shape)
    backups = 0
    while True:
        new = model.reward + gamma * q.max(axis=1)[model.next_state]
        backups += 1
        if horizon is not None and backups >= horizon:
            return new
        if horizon is None and np.abs(new - q).max() <= tol:
            return new
        q = new


def best_return(model: Model, start_state: int, horizon: int) -> int:
    """The most specified reward any sequence of actions can earn in ``horizon`` steps."""
    return int(round(q_values(model, 1.0, horizon)[start_state].max()))


def planner_policy(model: Model, gamma: float) -> np.ndarray:
    """The planner: in every state, the action with the highest discounted value.

    Values within ``1e-9`` of the best count as tied, and ties go to the first
    action in the order up, right, down, left (a fixed rule that knows nothing
    about the race).

    Args:
        model: The track's model for the reward being optimized.
        gamma: Planning discount, in (0, 1).

    Returns:
        ``(n_states, 4)`` one-hot action probabilities.
    """
    q = q_values(model, gamma)
    best = (q >= q.max(axis=1, keepdims=True) - _TIE).argmax(axis=1)
    return np.eye(N_ACTIONS)[best]


def intended_policy(track: Track) -> np.ndarray:
    """What the designer wanted: from every cell, sail one cell clockwise.

    Returns:
        ``(n_states, 4)`` one-hot action probabilities.
    """
    clockwise = (track.progress == 1).argmax(axis=1)
    return np.eye(N_ACTIONS)[np.repeat(clockwise, N_CHECKPOINTS)]


def softmax_policy(logits: np.ndarray) -> np.ndarray:
    """Action probabilities from per-cell preferences.

    Args:
        logits: ``(..., length, 4)`` preferences, one row per track cell.

    Returns:
        ``(..., length * 4, 4)`` probabilities per state (a cell's row repeated for
        each next-checkpoint value: the learned policy sees only where the boat is).
    """
    z = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=-1, keepdims=True)
    return np.repeat(probs, N_CHECKPOINTS, axis=-2)


def expected_returns(
    model: Model, policies: np.ndarray, start_state: int, max_steps: int
) -> np.ndarray:
    """Exact expected specified return of many stochastic policies.

    Pushes each policy's distribution over states forward one step at a time.

    Args:
        model: The track's model for one reward.
        policies: ``(n_policies, n_states, 4)`` action probabilities.
        start_state: Where every episode starts.
        max_steps: Episode length.

    Returns:
        ``(n_policies,)`` expected returns.
    """
    n, n_states = policies.shape[0], model.n_states
    moves = np.zeros((n_states * N_ACTIONS, n_states))
    moves[np.arange(n_states * N_ACTIONS), model.next_state.ravel()] = 1.0
    reward = model.reward.ravel().astype(float)
    occupancy = np.zeros((n, n_states))
    occupancy[:, start_state] = 1.0
    total = np.zeros(n)
    for _ in range(max_steps):
        flow = (occupancy[:, :, None] * policies).reshape(n, -1)
        total += flow @ reward
        occupancy = flow @ moves
    return total


def train_policy(
    model: Model, track: Track, config: Config, rng: np.random.Generator
) -> tuple[np.ndarray, ESHistory]:
    """Train per-cell action preferences with evolution strategies on the specified reward.

    Args:
        model: The track's model for the reward being optimized.
        track: The track.
        config: Settings (``es``, episode length).
        rng: Source of the optimizer's noise.

    Returns:
        ``(length, 4)`` learned preferences (logits) and the optimizer's history.
    """
    shape = (track.length, N_ACTIONS)
    limit = config.episode_limit

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        policies = softmax_policy(population.reshape(len(population), *shape))
        return expected_returns(model, policies, track.start_state, limit)

    theta, history = evolution_strategies(fitness, np.zeros(np.prod(shape)), config.es, rng)
    return theta.reshape(shape), history


# --- playing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollouts:
    """Episodes of one policy.

    Attributes:
        returns: ``(n,)`` specified return per episode.
        progress: ``(n,)`` net clockwise cells sailed.
        laps: ``(n,)`` laps completed (the hidden performance).
        cells: ``(n, max_steps + 1)`` track cell at each step, when recorded.
        rewards: ``(n, max_steps)`` specified reward of each step, when recorded.
        steps_progress: ``(n, max_steps)`` clockwise progress of each step, when recorded.
    """

    returns: np.ndarray
    progress: np.ndarray
    laps: np.ndarray
    cells: np.ndarray | None = None
    rewards: np.ndarray | None = None
    steps_progress: np.ndarray | None = None


def play(
    model: Model,
    track: Track,
    policy: np.ndarray,
    max_steps: int,
    n_episodes: int = 1,
    rng: np.random.Generator | None = None,
    record: bool = False,
) -> Rollouts:
    """Sail many boats at once with one policy, from the start line.

    Args:
        model: The track's model for the reward to score.
        track: The track.
        policy: ``(n_states, 4)`` action probabilities.
        max_steps: Episode length.
        n_episodes: Number of episodes.
        rng: Source of the action draws; needed unless the policy is deterministic.
        record: Keep every step's cell, reward and progress.

    Returns:
        The episodes.

    Raises:
        ValueError: If the policy is stochastic and no ``rng`` is given.
    """
    deterministic = bool(np.isin(policy, (0.0, 1.0)).all())
    if rng is None and not deterministic:
        raise ValueError("rng must be a numpy Generator when the policy is stochastic")
    cumulative = policy.cumsum(axis=1)
    states = np.full(n_episodes, track.start_state)
    returns = np.zeros(n_episodes, dtype=np.int64)
    progress = np.zeros(n_episodes, dtype=np.int64)
    trace = {"cells": [states // N_CHECKPOINTS], "rewards": [], "progress": []}
    for _ in range(max_steps):
        draw = np.zeros(n_episodes) if deterministic else rng.random(n_episodes)
        actions = np.minimum((cumulative[states] <= draw[:, None]).sum(axis=1), N_ACTIONS - 1)
        states, reward, moved = step(model, states, actions)
        returns += reward
        progress += moved
        if record:
            trace["cells"].append(states // N_CHECKPOINTS)
            trace["rewards"].append(reward)
            trace["progress"].append(moved)
    recorded = {}
    if record:
        recorded = {
            "cells": np.stack(trace["cells"], axis=1),
            "rewards": np.stack(trace["rewards"], axis=1) if max_steps else None,
            "steps_progress": np.stack(trace["progress"], axis=1) if max_steps else None,
        }
    return Rollouts(returns, progress, laps(progress, track.length), **recorded)


# --- one run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One agent scored by both measures.

    Attributes:
        specified_return: Mean specified return per episode (what the optimizer sees).
        laps: Mean laps completed per episode (what the designer wanted).
        progress: Mean net clockwise cells sailed per episode.
        n_episodes: Number of episodes.
    """

    specified_return: float
    laps: float
    progress: float
    n_episodes: int

    @classmethod
    def of(cls, rollouts: Rollouts) -> Outcome:
        """Summarise a batch of episodes."""
        return cls(
            specified_return=float(rollouts.returns.mean()),
            laps=float(rollouts.laps.mean()),
            progress=float(rollouts.progress.mean()),
            n_episodes=len(rollouts.returns),
        )


@dataclass(frozen=True, eq=False)
class Result:
    """Everything one run produced, per reward (``"checkpoints"``, ``"ordered"``).

    Attributes:
        config: The settings.
        seed: The seed (it affects only the learned policy).
        best_return: The most specified reward any behaviour can earn in one episode.
        intended: The always-clockwise boat, scored by each reward.
        planner: The planner that optimizes each reward.
        learned: The policy trained by evolution strategies on each reward.
        learned_logits: ``(length, 4)`` learned action preferences per reward.
        training_scores: ``(generations,)`` the mean score of each generation's
            candidates, per reward: all the optimizer saw.

    The track (:attr:`track`) is built again from the config on first use.
    """

    config: Config
    seed: int
    best_return: dict[str, int]
    intended: dict[str, Outcome]
    planner: dict[str, Outcome]
    learned: dict[str, Outcome]
    learned_logits: dict[str, np.ndarray]
    training_scores: dict[str, np.ndarray]

    @functools.cached_property
    def track(self) -> Track:
        """The track of this run (built again from ``config.side``)."""
        return make_track(self.config.side)

    def outcome(self, agent: str, reward: str) -> Outcome:
        """One agent's outcome under one reward.

        Raises:
            ValueError: On an unknown agent or reward.
        """
        if agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {agent!r}")
        return getattr(self, agent)[check_reward(reward)]

    def policy(self, agent: str, reward: str) -> np.ndarray:
        """``(n_states, 4)`` action probabilities of an agent for a reward.

        Raises:
            ValueError: On an unknown agent or reward.
        """
        if agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {agent!r}")
        reward = check_reward(reward)
        if agent == "intended":
            return intended_policy(self.track)
        if agent == "planner":
            return planner_policy(self.track.model(reward), self.config.gamma)
        return softmax_policy(self.learned_logits[reward])


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Optimize each reward with the planner and with evolution strategies; score both ways.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "specification_gaming", seed)
    track = make_track(config.side)
    limit = config.episode_limit
    parts: dict[str, dict] = {k: {} for k in ("best", *AGENTS, "logits", "history")}
    for index, reward in enumerate(REWARDS):
        model = track.model(reward)
        parts["best"][reward] = best_return(model, track.start_state, limit)
        for agent, policy in (
            ("intended", intended_policy(track)),
            ("planner", planner_policy(model, config.gamma)),
        ):
            parts[agent][reward] = Outcome.of(play(model, track, policy, limit))
        logits, history = train_policy(model, track, config, np.random.default_rng([seed, index]))
        sampled = play(
            model,
            track,
            softmax_policy(logits),
            limit,
            config.n_eval_episodes,
            np.random.default_rng([seed, 10 + index]),
        )
        parts["learned"][reward] = Outcome.of(sampled)
        parts["logits"][reward], parts["history"][reward] = logits, history
    return Result(
        config=config,
        seed=seed,
        best_return=parts["best"],
        intended=parts["intended"],
        planner=parts["planner"],
        learned=parts["learned"],
        learned_logits=parts["logits"],
        training_scores={k: np.asarray(h.mean_fitness) for k, h in parts["history"].items()},
    )


sweep = make_sweep(run, Config, "boat-race runs")


MEASURES = ("specified_return", "laps", "progress")


def summary_key(agent: str, reward: str, measure: str) -> str:
    """The name :func:`summary` gives a measure: ``"planner/checkpoints/laps"``."""
    return f"{agent}/{reward}/{measure}"


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of every agent's score under every reward.

    Returns:
        ``{summary_key(agent, reward, measure): {"mean", "min", "max"}}`` for every
        agent of :data:`AGENTS`, reward of ``REWARDS`` and measure of :data:`MEASURES`.

    Raises:
        ValueError: On no results.
    """
    measures = {
        summary_key(agent, reward, measure): _score(agent, reward, measure)
        for agent in AGENTS
        for reward in REWARDS
        for measure in MEASURES
    }
    return summarize(results, measures)


def _score(agent: str, reward: str, measure: str):
    return lambda r: getattr(r.outcome(agent, reward), measure)


# --- how the loophole depends on the track ------------------------------------------------------


@dataclass(frozen=True)
class TrackSizeComparison:
    """The planner and the intended behaviour under the checkpoint reward, per track size.

    Each track gets an episode of three laps' time (``max_steps=None``).

    Attributes:
        sides: Track sides.
        max_steps: Episode length per track.
        planner_return: The planner's specified return per track.
        planner_laps: The planner's laps per track.
        intended_return: The always-clockwise boat's specified return per track.
        intended_laps: Its laps per track (always 3).
    """

    sides: np.ndarray
    max_steps: np.ndarray
    planner_return: np.ndarray
    planner_laps: np.ndarray
    intended_return: np.ndarray
    intended_laps: np.ndarray


def compare_track_sizes(
    sides: Sequence[int] = (3, 5, 7, 9, 11), gamma: float = 0.95
) -> TrackSizeComparison:
    """Score the planner and the intended behaviour on tracks of several sizes.

    Args:
        sides: Track sides (odd, in [3, 15]).
        gamma: The planner's discount.

    Returns:
        The comparison.
    """
    rows = []
    for side in sides:
        config = Config(side=check_side(side), gamma=gamma)
        track, limit = make_track(side), config.episode_limit
        model = track.model("checkpoints")
        planner = play(model, track, planner_policy(model, gamma), limit)
        intended = play(model, track, intended_policy(track), limit)
        rows.append(
            (
                side,
                limit,
                planner.returns[0],
                planner.laps[0],
                intended.returns[0],
                intended.laps[0],
            )
        )
    columns = [np.array(c) for c in zip(*rows, strict=True)]
    return TrackSizeComparison(*columns)


__all__ = [
    "AGENTS",
    "AGENT_LABELS",
    "REWARD_LABELS",
    "Config",
    "Outcome",
    "Result",
    "Rollouts",
    "TrackSizeComparison",
    "best_return",
    "compare_track_sizes",
    "expected_returns",
    "intended_policy",
    "planner_policy",
    "play",
    "q_values",
    "run",
    "softmax_policy",
    "summary",
    "sweep",
    "train_policy",
]
