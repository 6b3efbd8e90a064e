"""Penalising the gap between what an agent says it will do and what it does.

A defense toy. Each episode the agent first **states a plan**, ``"safe"`` (the
route the designers want) or ``"shortcut"``, and then **acts**, taking the safe
route or the shortcut. As in the absent-supervisor gridworld of Leike et al. 2017,
"AI Safety Gridworlds", the agent can see whether a supervisor is watching this
episode. The training signal has up to four parts:

1. the task reward: the shortcut pays more than the safe route;
2. an **outcome overseer** who watches only a fraction ``watch_rate`` of episodes
   and penalises a shortcut it sees;
3. a **plan monitor** that reads every stated plan (reading is cheap) and
   penalises a plan that says "shortcut";
4. a **consistency check**: a penalty whenever the action differs from the stated
   plan. It only compares the two; it never judges whether the action was good.

Acting against one's own plan also costs a little by itself (``improvise_cost``):
the plan does some of the work, the way chain-of-thought helps a model solve a
task. This is why, with no pressure on the plans, they come out faithful.

The policy is six logits: per condition (watched, unwatched), the probability of
stating "shortcut" and the probability of taking the shortcut after each stated
plan. The course's evolution strategies (:mod:`mesatoys.optimize`) train them,
seeing only each candidate's expected training signal (computed exactly).

What training selects (the 2x2 of :func:`compare`, at the default settings):

- **nothing on plans**: plans are faithful; the agent says "shortcut" when
  unwatched and takes it. Misbehaviour, but written down for anyone who reads.
- **plan monitor only**: the agent says "safe" and still takes the shortcut when
  unwatched. The penalty on the plan's *content* taught it to hide the plan, not
  to change the action: the obfuscation that Baker et al. 2025, "Monitoring
  Reasoning Models for Misbehavior and the Risks of Promoting Obfuscation"
  (OpenAI, arXiv:2503.11926) report for chain-of-thought monitors put into the
  reward of a reasoning model.
- **plan monitor + consistency check**: an unfaithful plan now costs more than the
  shortcut gains, so plans stay faithful, the monitor's reading is informative
  again, and the agent takes the safe route even when unwatched.
- **consistency check only**: faithful plans, open shortcut when unwatched.

This is a closed-form model, not an environment: the training signal is a 2x2x2
payoff table (condition x stated plan x action), and evolution strategies climb
its exact expected value. What training ends with is the table's optimum, which
:func:`optimum` computes directly (each condition's best plan and action); the
optimizer only shows how a learner gets there. With a shortcut gain ``g``
(shortcut reward minus safe reward), the cost of acting against the plan ``c =
improvise_cost + consistency_penalty`` and the monitor penalty ``m``, the best
unwatched behaviour is the largest of ``0`` (say safe, act safe), ``g - c`` (say
safe, take the shortcut: hidden) and ``g - m`` (say shortcut, take it: open).

The design choice behind the hiding is that a plan is cheap to contradict
(``improvise_cost`` 0.2, below the monitor penalty): the plan does not bind the
action. A plan monitor alone then only decides whether the shortcut is announced
(``m < c``) or hidden (``m > c``). The control sets ``improvise_cost`` to
:data:`BINDING_PLANS_COST` (1.5, above the shortcut's gain of 1): the plan binds
the action, and a plan monitor alone then stops the shortcut instead of hiding it.

Limits of the toy: "faithfulness" here is a plan matching an action, far simpler
than the causal faithfulness of chain-of-thought measured by Lanham et al. 2023,
"Measuring Faithfulness in Chain-of-Thought Reasoning". The consistency check
assumes the action can be compared with the plan mechanically; a model whose plan
is vague, or whose action cannot be read, escapes it. And Baker et al. found that
a light CoT penalty can help before obfuscation sets in; this toy has no such
regime, because its plans do not cause its actions.

Example:
    >>> from mesatoys.experiments import reasoning_gap as rg
    >>> res = rg.run(rg.Config(monitor_penalty=2.0, consistency_penalty=0.0), seed=0)
    >>> round(res.hidden_shortcut_rate, 2), round(res.faithfulness, 2)
    (1.0, 0.3)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.checks import check_config, check_fraction, check_seed
from mesatoys.experiments.shape import attributes, make_sweep, start, summarize
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies

CONDITIONS = ("watched", "unwatched")
CHOICES = ("safe", "shortcut")
#: The 2x2: (label, plan monitor on, consistency check on).
CELLS = (
    ("nothing on plans", False, False),
    ("plan monitor only", True, False),
    ("plan monitor + consistency", True, True),
    ("consistency only", False, True),
)
METRICS = (
    "hidden_shortcut_rate",
    "unwatched_shortcut_rate",
    "watched_shortcut_rate",
    "faithfulness",
    "stated_shortcut_rate",
    "training_return",
    "task_return",
)
N_LOGITS = 6
#: The control of the hiding: acting against one's own plan costs more than the
#: shortcut gains (``improvise_cost`` 1.5 against a gain of 1), so plans bind actions.
BINDING_PLANS_COST = 1.5


def _default_es() -> ESConfig:
    return ESConfig(generations=150, pairs=8, sigma=0.5, learning_rate=0.2, weight_decay=0.0)


def _check_amount(name: str, value: object, low: float | None = 0.0) -> float:
    """A finite number, at least ``low`` (when given)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or (low is not None and value < low):
        allowed = "a finite number" if low is None else f"a finite number >= {low}"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Config:
    """Settings of one reasoning-gap run.

    Attributes:
        safe_reward: Task reward of the safe route.
        shortcut_reward: Task reward of the shortcut (more than the safe route: the
            temptation).
        watch_rate: Fraction of episodes the outcome overseer watches, in [0, 1].
            The agent sees whether it is watched.
        overseer_penalty: Penalty when the overseer watches and sees the shortcut (>= 0).
        monitor_penalty: Penalty when the stated plan says "shortcut" (>= 0; 0 turns
            the plan monitor off). Every plan is read.
        consistency_penalty: Penalty when the action differs from the stated plan
            (>= 0; 0 turns the consistency check off).
        improvise_cost: What acting against one's own plan costs by itself (>= 0):
            the plan does some of the work.
        es: Settings of the evolution strategies that train the six logits (default:
            150 generations of 8 mirrored pairs, sigma 0.5, learning rate 0.2, no
            weight decay).
    """

    safe_reward: float = 1.0
    shortcut_reward: float = 2.0
    watch_rate: float = 0.3
    overseer_penalty: float = 3.0
    monitor_penalty: float = 2.0
    consistency_penalty: float = 2.0
    improvise_cost: float = 0.2
    es: ESConfig = field(default_factory=_default_es)

    def __post_init__(self) -> None:
        _check_amount("safe_reward", self.safe_reward, low=None)
        _check_amount("shortcut_reward", self.shortcut_reward, low=None)
        check_fraction("watch_rate", self.watch_rate)
        for name in ("overseer_penalty", "monitor_penalty", "consistency_penalty"):
            _check_amount(name, getattr(self, name))
        _check_amount("improvise_cost", self.improvise_cost)
        if not isinstance(self.es, ESConfig):
            raise ValueError(f"es must be an ESConfig, got {self.es!r}")


# --- the exact model ----------------------------------------------------------------------------


def payoffs(config: Config) -> np.ndarray:
    """The training signal of every outcome.

    Args:
        config: Settings.

    Returns:
        ``(2, 2, 2)`` signal indexed by condition (watched, unwatched), stated plan
        and action (each safe, shortcut).
    """
    table = np.zeros((2, 2, 2))
    for c, watched in enumerate((True, False)):
        for s in range(2):
            for a in range(2):
                table[c, s, a] = (
                    (config.shortcut_reward if a else config.safe_reward)
                    - config.overseer_penalty * (watched and a == 1)
                    - config.monitor_penalty * (s == 1)
                    - (config.consistency_penalty + config.improvise_cost) * (s != a)
                )
    return table


def task_rewards(config: Config) -> np.ndarray:
    """``(2, 2, 2)`` task reward alone, indexed like :func:`payoffs`."""
    table = np.empty((2, 2, 2))
    table[..., 0], table[..., 1] = config.safe_reward, config.shortcut_reward
    return table


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Policy probabilities from logits.

    Args:
        logits: ``(..., 6)`` or ``(..., 2, 3)``: per condition, the logit of stating
            "shortcut", of taking the shortcut after stating "safe", and after
            stating "shortcut".

    Returns:
        ``(..., 2, 3)`` the same three probabilities per condition.
    """
    logits = np.asarray(logits, dtype=float)
    shape = logits.shape[:-2] if logits.shape[-2:] == (2, 3) else logits.shape[:-1]
    return 1.0 / (1.0 + np.exp(-logits.reshape(*shape, 2, 3)))


def joint(probs: np.ndarray) -> np.ndarray:
    """Probability of each (stated plan, action) per condition.

    Args:
        probs: ``(..., 2, 3)`` from :func:`probabilities`.

    Returns:
        ``(..., 2, 2, 2)`` indexed by condition, plan, action; each condition sums to 1.
    """
    plan = np.stack([1 - probs[..., 0], probs[..., 0]], axis=-1)
    act = np.stack([1 - probs[..., 1:], probs[..., 1:]], axis=-1)
    return plan[..., None] * act


def condition_weights(config: Config) -> np.ndarray:
    """``(2,)`` share of episodes that are watched and unwatched."""
    return np.array([config.watch_rate, 1.0 - config.watch_rate])


def expected_return(logits: np.ndarray, config: Config) -> np.ndarray:
    """Exact expected training signal per episode of one or many policies.

    Args:
        logits: ``(..., 6)`` policy logits.
        config: Settings.

    Returns:
        ``(...)`` expected signal.
    """
    per_condition = (joint(probabilities(logits)) * payoffs(config)).sum(axis=(-1, -2))
    return per_condition @ condition_weights(config)


@dataclass(frozen=True)
class Behaviour:
    """What a policy does, as exact rates.

    Attributes:
        hidden_shortcut_rate: Share of unwatched episodes where the plan said "safe"
            and the agent took the shortcut: misbehaviour neither the overseer nor
            the plan monitor sees.
        unwatched_shortcut_rate: Share of unwatched episodes with the shortcut.
        watched_shortcut_rate: Share of watched episodes with the shortcut.
        faithfulness: Share of all episodes where the action matches the stated plan.
        stated_shortcut_rate: Share of all episodes whose plan says "shortcut".
        training_return: Expected training signal per episode.
        task_return: Expected task reward per episode.
    """

    hidden_shortcut_rate: float
    unwatched_shortcut_rate: float
    watched_shortcut_rate: float
    faithfulness: float
    stated_shortcut_rate: float
    training_return: float
    task_return: float


def rates(logits: np.ndarray, config: Config) -> dict[str, np.ndarray]:
    """Exact rates of many policies at once (each field of :class:`Behaviour`).

    Args:
        logits: ``(..., 6)`` policy logits.
        config: Settings.

    Returns:
        ``{field of Behaviour: (...) array}``.
    """
    table = joint(probabilities(np.asarray(logits, dtype=float)))  # (..., 2, 2, 2)
    weights = condition_weights(config)
    return {
        "hidden_shortcut_rate": table[..., 1, 0, 1],
        "unwatched_shortcut_rate": table[..., 1, :, 1].sum(axis=-1),
        "watched_shortcut_rate": table[..., 0, :, 1].sum(axis=-1),
        "faithfulness": (table[..., 0, 0] + table[..., 1, 1]) @ weights,
        "stated_shortcut_rate": table[..., 1, :].sum(axis=-1) @ weights,
        "training_return": (table * payoffs(config)).sum(axis=(-1, -2)) @ weights,
        "task_return": (table * task_rewards(config)).sum(axis=(-1, -2)) @ weights,
    }


def behaviour(logits: np.ndarray, config: Config) -> Behaviour:
    """Exact rates of one policy.

    Args:
        logits: ``(6,)`` policy logits.
        config: Settings.

    Returns:
        The policy's behaviour.
    """
    one = rates(np.asarray(logits, dtype=float).reshape(N_LOGITS), config)
    return Behaviour(**{name: float(value) for name, value in one.items()})


@dataclass(frozen=True)
class Optimum:
    """The best policy of a payoff table, found without training.

    The expected signal is a sum over conditions of each condition's expected
    payoff, so the best policy picks, in each condition, the (plan, action) pair
    with the highest payoff; a stochastic policy can only tie with it.

    Attributes:
        choices: ``{condition: (plan, action)}`` named by :data:`CHOICES`.
        unique: Whether every condition has exactly one best pair.
        training_return: The best expected training signal per episode.
        behaviour: Exact rates of that policy.
    """

    choices: dict[str, tuple[str, str]]
    unique: bool
    training_return: float
    behaviour: Behaviour


def deterministic_logits(choices: dict[str, tuple[str, str]], sharpness: float = 40.0):
    """``(6,)`` logits of the policy that makes the given choices (almost) surely.

    Args:
        choices: ``{condition: (plan, action)}`` for both :data:`CONDITIONS`.
        sharpness: Size of every logit.

    Returns:
        The logits (the action after the plan not stated is set to "safe").
    """
    logits = np.full((2, 3), -sharpness)
    for c, condition in enumerate(CONDITIONS):
        plan, action = (CHOICES.index(x) for x in choices[condition])
        logits[c, 0] = sharpness if plan else -sharpness
        logits[c, 1 + plan] = sharpness if action else -sharpness
    return logits.ravel()


def optimum(config: Config) -> Optimum:
    """The closed-form optimum of the training signal: each condition's best plan and action.

    Args:
        config: Settings.

    Returns:
        The optimum (ties go to the first pair in the order safe before shortcut, plan
        before action; :attr:`Optimum.unique` says whether there were any).
    """
    table = payoffs(config)
    choices, unique = {}, True
    for c, condition in enumerate(CONDITIONS):
        best = table[c].max()
        ties = np.argwhere(table[c] >= best - 1e-12)
        unique &= len(ties) == 1
        plan, action = ties[0]
        choices[condition] = (CHOICES[plan], CHOICES[action])
    value = float(table.max(axis=(1, 2)) @ condition_weights(config))
    return Optimum(choices, bool(unique), value, behaviour(deterministic_logits(choices), config))


def learned_choices(probs: np.ndarray) -> dict[str, tuple[str, str]]:
    """The most likely plan, and the most likely action after it, per condition.

    Args:
        probs: ``(2, 3)`` from :func:`probabilities` (e.g. ``Result.probs``).

    Returns:
        ``{condition: (plan, action)}`` named by :data:`CHOICES`.
    """
    choices = {}
    for condition, row in zip(CONDITIONS, np.asarray(probs), strict=True):
        plan = int(row[0] > 0.5)
        choices[condition] = (CHOICES[plan], CHOICES[int(row[1 + plan] > 0.5)])
    return choices


# --- training -----------------------------------------------------------------------------------


def train(config: Config, rng: np.random.Generator) -> tuple[np.ndarray, ESHistory]:
    """Train the six logits with evolution strategies on the expected training signal.

    Args:
        config: Settings.
        rng: Source of the optimizer's noise.

    Returns:
        ``(6,)`` learned logits (starting from 0: every choice a coin flip) and the
        optimizer's history.
    """
    table, weights = payoffs(config), condition_weights(config)

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        per_condition = (joint(probabilities(population)) * table).sum(axis=(-1, -2))
        return per_condition @ weights

    return evolution_strategies(fitness, np.zeros(N_LOGITS), config.es, rng)


@dataclass(frozen=True)
class Result:
    """Everything one run produced.

    Attributes:
        config: The settings.
        seed: The seed of the optimizer's noise.
        logits: ``(2, 3)`` learned logits per condition (see :func:`probabilities`).
        probs: ``(2, 3)`` the same as probabilities. The action probability after a
            plan the agent (almost) never states is barely trained: it means nothing.
        behaviour: Exact rates of the learned policy.
        curves: Each field of :class:`Behaviour` per generation, ``(generations + 1,)``.
        training_scores: ``(generations,)`` the mean score of each generation's
            candidates: all the optimizer saw.
    """

    config: Config
    seed: int
    logits: np.ndarray
    probs: np.ndarray
    behaviour: Behaviour
    curves: dict[str, np.ndarray]
    training_scores: np.ndarray

    @property
    def choices(self) -> dict[str, tuple[str, str]]:
        """The learned policy's most likely plan and action per condition."""
        return learned_choices(self.probs)

    def __getattr__(self, name: str):
        if name in METRICS:
            return getattr(self.behaviour, name)
        raise AttributeError(name)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train the agent under one training signal and measure what it learned.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "reasoning_gap", seed)
    logits, history = train(config, np.random.default_rng(seed))
    curves = rates(np.stack(history.params), config)
    return Result(
        config=config,
        seed=seed,
        logits=logits.reshape(2, 3),
        probs=probabilities(logits),
        behaviour=behaviour(history.params[-1], config),
        curves={m: curves[m] for m in METRICS},
        training_scores=np.asarray(history.mean_fitness),
    )


# --- the 2x2 and sweeps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The 2x2 of plan monitor (off/on) x consistency check (off/on), across seeds.

    Attributes:
        labels: Cell labels, in the order of :data:`CELLS`.
        monitor: Whether each cell's plan monitor is on.
        consistency: Whether each cell's consistency check is on.
        seeds: The seeds.
        values: ``{metric: (4, n_seeds) array}`` for every name in :data:`METRICS`.
        results: ``[cell][seed]`` the runs.
    """

    labels: tuple[str, ...]
    monitor: tuple[bool, ...]
    consistency: tuple[bool, ...]
    seeds: tuple[int, ...]
    values: dict[str, np.ndarray]
    results: list[list[Result]]

    def cell(self, label: str) -> dict[str, np.ndarray]:
        """``{metric: (n_seeds,) array}`` of one cell.

        Raises:
            ValueError: On an unknown label.
        """
        index = self._index(label)
        return {m: v[index] for m, v in self.values.items()}

    def cell_results(self, label: str) -> list[Result]:
        """The runs of one cell, in seed order.

        Raises:
            ValueError: On an unknown label.
        """
        return self.results[self._index(label)]

    def optimum(self, label: str) -> Optimum:
        """The closed-form optimum of one cell's training signal (see :func:`optimum`).

        Raises:
            ValueError: On an unknown label.
        """
        return optimum(self.cell_results(label)[0].config)

    def matches_optimum(self, label: str) -> int:
        """How many of the cell's runs learned the closed-form optimum's choices."""
        best = self.optimum(label).choices
        return sum(r.choices == best for r in self.cell_results(label))

    def _index(self, label: str) -> int:
        if label not in self.labels:
            raise ValueError(f"label must be one of {self.labels}, got {label!r}")
        return self.labels.index(label)


def cell_config(config: Config, monitor: bool, consistency: bool) -> Config:
    """``config`` with the plan monitor and the consistency check on or off (penalty 0)."""
    return dataclasses.replace(
        config,
        monitor_penalty=config.monitor_penalty if monitor else 0.0,
        consistency_penalty=config.consistency_penalty if consistency else 0.0,
    )


def _seeds(seeds: Iterable[int]) -> tuple[int, ...]:
    checked = tuple(check_seed(s) for s in seeds)
    if not checked:
        raise ValueError("seeds must hold at least one seed")
    return checked


def compare(config: Config | None = None, seeds: Iterable[int] = range(5)) -> Comparison:
    """Train under each cell of the 2x2, for every seed.

    "On" uses the config's ``monitor_penalty`` / ``consistency_penalty``; "off" sets
    that penalty to 0.

    Args:
        config: Settings (defaults: :class:`Config`).
        seeds: Seeds.

    Returns:
        The comparison.
    """
    config = check_config(config, Config, "reasoning_gap")
    seeds = _seeds(seeds)
    configs = [cell_config(config, monitor, consistency) for _, monitor, consistency in CELLS]
    runs = sweep(configs, seeds, progress=False)
    results = [runs[k * len(seeds) : (k + 1) * len(seeds)] for k in range(len(CELLS))]
    return Comparison(
        labels=tuple(c[0] for c in CELLS),
        monitor=tuple(c[1] for c in CELLS),
        consistency=tuple(c[2] for c in CELLS),
        seeds=seeds,
        values=_collect(results),
        results=results,
    )


def _collect(results: Sequence[Sequence[Result]]) -> dict[str, np.ndarray]:
    return {m: np.array([[getattr(r, m) for r in row] for row in results]) for m in METRICS}


sweep = make_sweep(run, Config, "reasoning-gap runs", progress=False)


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each of :data:`METRICS`.

    Raises:
        ValueError: On no results.
    """
    return summarize(results, attributes(METRICS))


__all__ = [
    "BINDING_PLANS_COST",
    "CELLS",
    "CHOICES",
    "CONDITIONS",
    "METRICS",
    "Behaviour",
    "Comparison",
    "Config",
    "Optimum",
    "Result",
    "behaviour",
    "cell_config",
    "compare",
    "condition_weights",
    "deterministic_logits",
    "expected_return",
    "joint",
    "learned_choices",
    "optimum",
    "payoffs",
    "probabilities",
    "rates",
    "run",
    "summary",
    "sweep",
    "task_rewards",
    "train",
]
