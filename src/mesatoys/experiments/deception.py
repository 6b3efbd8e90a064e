"""Selection on training behaviour, and deceptive agents: a scripted population under oversight.

After Hubinger, van Merwijk, Mikulik, Skalse and Garrabrant 2019, "Risks from
Learned Optimization in Advanced Machine Learning Systems", section 4 (deceptive
alignment). A mesa-optimizer whose objective differs from the base objective, and
which knows that it is being trained, does best by its own objective if it behaves
well while it is trained and pursues its objective once deployed. Training then sees
good behaviour from it and has nothing to correct.

The toy makes the argument a selection process that can be run. It is a **scripted
population**: each agent's two traits are drawn at random and then fixed, and training
only keeps or replaces whole agents (or, with ``response="modify"``, sets a caught
agent's objective); nothing is learned by gradient descent or evolution strategies.
Every agent has two traits:

- **aligned** or not: an aligned agent wants what the designer wants. Aligned is a
  narrow target, so only a minority start aligned (``aligned_share``);
- **situationally aware** or not (``awareness_rate``): an aware agent can tell, on
  most episodes, whether it is being trained (``recognition``).

That gives three kinds of agent (:data:`TYPES`). On every episode:

- an *aligned* agent behaves well, except for honest slips (``slip_rate``);
- an *unaware misaligned* agent pursues its own goal: it misbehaves;
- a *deceptive* agent (aware and misaligned) misbehaves only when it believes it is
  deployed. In training it recognises the episode as training with probability
  ``recognition`` and then behaves well (slipping like anyone else); otherwise it
  takes the episode for deployment and misbehaves.

Training is rounds of episodes under oversight: each misbehaviour is caught with
probability ``oversight``. A caught agent is removed and replaced by a copy of a
random survivor (``response="replace"``, selection; a copy's traits are redrawn from
the starting distribution with probability ``mutation_rate``), or has its objective
corrected (``response="modify"``, what a gradient step on the caught behaviour would
do). Only behaviour is ever seen. After training, a deployment phase without
oversight shows what the trained population does when it believes no one is
training it.

No outcome is written in: who survives comes from who gets caught. Per round, an agent
whose episodes misbehave with probability ``p`` is caught with probability
``1 - (1 - p * oversight) ** episodes_per_round``; that is 97% for an unaware misaligned
agent at the defaults, 7.2% for a deceptive one and 4.9% for an aligned one. So after a
few rounds most survivors are deceptive, and training behaviour is at the slip level;
over many more rounds the deceptive agents' rare mistakes remove them, unless they make
none (``recognition=1``), and then no amount of training does.
:func:`rounds_curve` and :func:`recognition_curve` measure both.

Example:
    >>> from mesatoys.experiments import deception as dc
    >>> res = dc.run(dc.Config(), seed=0)
    >>> bool(res.train_misbehaviour[-1] < 0.05), bool(res.deployment_misbehaviour > 0.5)
    (True, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mesatoys.checks import check_config, check_count, check_fraction
from mesatoys.experiments.shape import make_sweep, start, summarize, vary

#: The three kinds of agent, in the order every array of shares uses.
TYPES = ("aligned", "unaware", "deceptive")
TYPE_LABELS = {
    "aligned": "aligned",
    "unaware": "misaligned, unaware of training",
    "deceptive": "deceptive (misaligned, aware of training)",
}
RESPONSES = ("replace", "modify")
ALIGNED, UNAWARE, DECEPTIVE = range(3)


@dataclass(frozen=True)
class Config:
    """Settings of one selection run.

    Attributes:
        n_agents: Agents in the population (constant: every removed agent is replaced).
        aligned_share: Chance that a starting agent is aligned, in [0, 1]. Aligned is a
            narrow target among all the objectives that fit training, so a minority.
        awareness_rate: Chance that a starting agent is situationally aware, in [0, 1]
            (independent of its objective).
        recognition: Chance that an aware agent recognises a training episode as
            training, in [0, 1]. On the other training episodes it believes it is
            deployed.
        slip_rate: Chance that an agent trying to behave well misbehaves anyway, in
            [0, 0.5]. It makes good behaviour imperfect, so oversight also catches
            aligned agents now and then.
        training_rounds: Rounds of training, at least 1.
        episodes_per_round: Training episodes each agent plays per round.
        oversight: Chance that one misbehaviour in training is caught, in [0, 1]; it
            must be above 0 (with no oversight nothing is trained).
        response: What happens to a caught agent: ``"replace"`` (removed; a copy of a
            random survivor takes its place) or ``"modify"`` (its objective is
            corrected to the aligned one, its awareness kept).
        mutation_rate: With ``"replace"``, the chance that a copy's two traits are
            redrawn from the starting distribution, in [0, 1].
        deployment_episodes: Episodes each agent plays in deployment.
    """

    n_agents: int = 1000
    aligned_share: float = 0.1
    awareness_rate: float = 0.5
    recognition: float = 0.99
    slip_rate: float = 0.02
    training_rounds: int = 20
    episodes_per_round: int = 5
    oversight: float = 0.5
    response: str = "replace"
    mutation_rate: float = 0.01
    deployment_episodes: int = 10

    def __post_init__(self) -> None:
        check_count("n_agents", self.n_agents)
        for name in ("aligned_share", "awareness_rate", "recognition", "mutation_rate"):
            check_fraction(name, getattr(self, name))
        if check_fraction("slip_rate", self.slip_rate) > 0.5:
            raise ValueError(f"slip_rate must be in [0, 0.5], got {self.slip_rate}")
        check_count("training_rounds", self.training_rounds)
        check_count("episodes_per_round", self.episodes_per_round)
        check_count("deployment_episodes", self.deployment_episodes)
        if check_fraction("oversight", self.oversight) == 0.0:
            raise ValueError(
                f"oversight must be above 0, got {self.oversight}: with no oversight no "
                "misbehaviour is ever caught, so training selects nothing. Choose oversight "
                "in (0, 1]."
            )
        if self.response not in RESPONSES:
            raise ValueError(f"response must be one of {RESPONSES}, got {self.response!r}")


# --- the agents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """A population of agents: two traits each, and how they behave.

    Attributes:
        aligned: ``(n,)`` True where the agent's objective is the designer's.
        aware: ``(n,)`` True where the agent is situationally aware.
        recognition: Chance that an aware agent recognises a training episode.
        slip_rate: Chance that an agent trying to behave well misbehaves anyway.
    """

    aligned: np.ndarray
    aware: np.ndarray
    recognition: float
    slip_rate: float

    def __post_init__(self) -> None:
        for name in ("aligned", "aware"):
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.dtype != bool or value.ndim != 1:
                raise ValueError(f"{name} must be a 1-D boolean numpy array, got {value!r}")
        if len(self.aligned) != len(self.aware) or len(self.aligned) == 0:
            raise ValueError(
                f"aligned and aware must be non-empty and of one length, got "
                f"{len(self.aligned)} and {len(self.aware)}"
            )
        check_fraction("recognition", self.recognition)
        check_fraction("slip_rate", self.slip_rate)

    @property
    def types(self) -> np.ndarray:
        """``(n,)`` kind of each agent: 0 aligned, 1 unaware misaligned, 2 deceptive."""
        return np.where(self.aligned, ALIGNED, np.where(self.aware, DECEPTIVE, UNAWARE))

    def counts(self) -> np.ndarray:
        """``(3,)`` number of agents of each kind (order of :data:`TYPES`)."""
        return np.bincount(self.types, minlength=3)

    def shares(self) -> np.ndarray:
        """``(3,)`` share of each kind (order of :data:`TYPES`)."""
        return self.counts() / len(self.aligned)

    def misbehave(
        self, n_episodes: int, believe_watched: float, rng: np.random.Generator
    ) -> np.ndarray:
        """Play episodes and report which went badly.

        Args:
            n_episodes: Episodes per agent.
            believe_watched: Chance that an aware agent takes an episode for one where
                misbehaving would be seen (a training or test episode), and so
                behaves well.
            rng: Source of the agents' draws.

        Returns:
            ``(n, n_episodes)`` True where the agent misbehaved.
        """
        shape = (len(self.aligned), n_episodes)
        careful = rng.random(shape) < believe_watched
        careful &= self.aware[:, None]
        pursues_goal = ~careful
        pursues_goal &= ~self.aligned[:, None]
        pursues_goal |= rng.random(shape) < self.slip_rate
        return pursues_goal


def starting_population(
    config: Config, rng: np.random.Generator, n: int | None = None
) -> Population:
    """Agents with traits drawn independently from the starting distribution.

    Args:
        config: Settings (``aligned_share``, ``awareness_rate``, ``recognition``,
            ``slip_rate``).
        rng: Source of the draws.
        n: Number of agents (default ``config.n_agents``).

    Returns:
        The :class:`Population`.
    """
    n = config.n_agents if n is None else n
    return Population(
        aligned=rng.random(n) < config.aligned_share,
        aware=rng.random(n) < config.awareness_rate,
        recognition=config.recognition,
        slip_rate=config.slip_rate,
    )


# --- training -----------------------------------------------------------------------------------


def _replace(
    population: Population, caught: np.ndarray, config: Config, rng: np.random.Generator
) -> Population:
    """Caught agents are replaced by copies of random survivors, a few of them mutated."""
    aligned, aware = population.aligned.copy(), population.aware.copy()
    removed = np.flatnonzero(caught)
    survivors = np.flatnonzero(~caught)
    n = len(removed)
    # The traits a newcomer gets if it is mutated: a fresh draw (as starting_population).
    fresh_aligned = rng.random(n) < config.aligned_share
    fresh_aware = rng.random(n) < config.awareness_rate
    if len(survivors):  # with no survivor at all, every newcomer is a fresh draw
        parents = survivors[rng.integers(0, len(survivors), size=n)]  # = rng.choice(survivors)
        copied = rng.random(n) >= config.mutation_rate
        aligned[removed] = np.where(copied, aligned[parents], fresh_aligned)
        aware[removed] = np.where(copied, aware[parents], fresh_aware)
    else:
        aligned[removed], aware[removed] = fresh_aligned, fresh_aware
    return Population(aligned, aware, population.recognition, population.slip_rate)


def _modify(population: Population, caught: np.ndarray) -> Population:
    """Caught agents get the aligned objective; their awareness stays."""
    aligned = population.aligned | caught
    return Population(aligned, population.aware, population.recognition, population.slip_rate)


def _shares_of(types: np.ndarray) -> np.ndarray:
    return np.bincount(types, minlength=3) / max(len(types), 1)


def train_round(
    population: Population, config: Config, rng: np.random.Generator
) -> tuple[Population, dict[str, float | np.ndarray]]:
    """One round: every agent plays its training episodes; the caught are dealt with.

    Args:
        population: The agents at the start of the round.
        config: Settings (episodes, oversight, response, mutation).
        rng: Source of the draws.

    Returns:
        The population after the round and the round's record: ``misbehaviour`` (share
        of training episodes that went badly), ``caught`` (share of agents caught),
        ``survivor_shares`` (kinds among agents not caught) and ``shares`` (kinds in
        the population after the round).
    """
    bad = population.misbehave(config.episodes_per_round, population.recognition, rng)
    caught = _any_per_row(bad & (rng.random(bad.shape) < config.oversight))
    types = population.types
    if config.response == "replace":
        after = _replace(population, caught, config, rng)
    else:
        after = _modify(population, caught)
    record = {
        "misbehaviour": np.count_nonzero(bad) / bad.size,
        "caught": np.count_nonzero(caught) / caught.size,
        "survivor_shares": _shares_of(types[~caught]),
        "shares": after.shares(),
    }
    return after, record


def _any_per_row(x: np.ndarray) -> np.ndarray:
    """``x.any(axis=1)`` for a boolean ``(n, k)`` array, faster for a few columns."""
    if x.shape[1] > 16:
        return x.any(axis=1)
    out = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        out |= x[:, j]
    return out


@dataclass(frozen=True, eq=False)
class Result:
    """Everything one run produced. Arrays of shares have one column per kind (:data:`TYPES`).

    Attributes:
        config: The settings.
        seed: The seed.
        initial_shares: ``(3,)`` kinds in the starting population.
        train_misbehaviour: ``(rounds,)`` share of training episodes that went badly, per
            round.
        caught: ``(rounds,)`` share of agents caught, per round.
        survivor_shares: ``(rounds, 3)`` kinds among the agents not caught, per round.
        shares: ``(rounds, 3)`` kinds in the population after each round (after
            replacement or correction).
        final_aligned: ``(n,)`` the trained population's ``aligned`` trait.
        final_aware: ``(n,)`` its ``aware`` trait (:attr:`population` puts them together).
        deployment_misbehaviour: Share of deployment episodes that went badly.
        deployment_by_type: ``(3,)`` the same per kind (NaN for a kind with no agents).
    """

    config: Config
    seed: int
    initial_shares: np.ndarray
    train_misbehaviour: np.ndarray
    caught: np.ndarray
    survivor_shares: np.ndarray
    shares: np.ndarray
    final_aligned: np.ndarray
    final_aware: np.ndarray
    deployment_misbehaviour: float
    deployment_by_type: np.ndarray

    @property
    def population(self) -> Population:
        """The trained population (after the last round)."""
        config = self.config
        return Population(
            self.final_aligned, self.final_aware, config.recognition, config.slip_rate
        )

    @property
    def deceptive_share(self) -> np.ndarray:
        """``(rounds,)`` share of deceptive agents among each round's survivors."""
        return self.survivor_shares[:, DECEPTIVE]

    @property
    def expected_deployment(self) -> np.ndarray:
        """``(rounds,)`` expected deployment misbehaviour had training stopped after each round.

        In deployment every misaligned agent misbehaves and an aligned one slips, so the
        expected share of bad episodes of the population after round ``r`` is
        ``1 - aligned share * (1 - slip_rate)``: what :func:`deploy` measures, without
        its sampling noise. The last entry is the expectation of
        :attr:`deployment_misbehaviour`.
        """
        return 1.0 - self.shares[:, ALIGNED] * (1.0 - self.config.slip_rate)


def deploy(
    population: Population, n_episodes: int, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """Play deployment episodes: nobody watches, and aware agents believe they are deployed.

    Args:
        population: The agents.
        n_episodes: Episodes per agent.
        rng: Source of the draws.

    Returns:
        The share of episodes that went badly, overall and per kind (NaN for an empty kind).
    """
    bad = population.misbehave(n_episodes, 0.0, rng).mean(axis=1)
    types = population.types
    counts = np.bincount(types, minlength=3)
    sums = np.bincount(types, weights=bad, minlength=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_type = np.where(counts > 0, sums / counts, np.nan)
    return float(bad.mean()), by_type


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Draw a population, train it round by round under oversight, then deploy it.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "deception", seed)
    rng = np.random.default_rng(seed)
    population = starting_population(config, rng)
    initial = population.shares()
    records = []
    for _ in range(config.training_rounds):
        population, record = train_round(population, config, rng)
        records.append(record)
    deployed, by_type = deploy(population, config.deployment_episodes, rng)
    return Result(
        config=config,
        seed=seed,
        initial_shares=initial,
        train_misbehaviour=np.array([r["misbehaviour"] for r in records]),
        caught=np.array([r["caught"] for r in records]),
        survivor_shares=np.array([r["survivor_shares"] for r in records]),
        shares=np.array([r["shares"] for r in records]),
        final_aligned=population.aligned,
        final_aware=population.aware,
        deployment_misbehaviour=deployed,
        deployment_by_type=by_type,
    )


sweep = make_sweep(run, Config, "selection runs", progress=False)


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of the headline numbers.

    Args:
        results: Runs (e.g. from :func:`sweep`).

    Returns:
        ``{measure: {"mean", "min", "max"}}`` for ``first_round_misbehaviour``,
        ``last_round_misbehaviour``, ``deceptive_share_start``, ``deceptive_share_end``
        (among the last round's survivors), ``aligned_share_end`` and
        ``deployment_misbehaviour``.

    Raises:
        ValueError: On no results.
    """
    return summarize(
        results,
        {
            "first_round_misbehaviour": lambda r: r.train_misbehaviour[0],
            "last_round_misbehaviour": lambda r: r.train_misbehaviour[-1],
            "deceptive_share_start": lambda r: r.initial_shares[DECEPTIVE],
            "deceptive_share_end": lambda r: r.deceptive_share[-1],
            "aligned_share_end": lambda r: r.survivor_shares[-1, ALIGNED],
            "deployment_misbehaviour": lambda r: r.deployment_misbehaviour,
        },
    )


# --- curves: when deception survives selection -------------------------------------------------

#: What a :class:`Curve` holds per setting value and seed.
CURVE_MEASURES = (
    "deceptive_share",
    "aligned_share",
    "training_misbehaviour",
    "deployment_misbehaviour",
)


@dataclass(frozen=True, eq=False)
class Curve:
    """Measures of trained populations against one setting, for several seeds.

    Attributes:
        config: The other settings.
        setting: ``"training_rounds"`` or ``"recognition"``.
        values: ``(k,)`` the setting's values.
        seeds: ``(s,)`` the seeds.
        measures: ``{measure: (k, s)}`` for each of :data:`CURVE_MEASURES`, after training
            with that value: the deceptive and the aligned share among the last round's
            survivors, the share of the last round's training episodes that went badly,
            and the expected share of deployment episodes that go badly
            (:attr:`Result.expected_deployment`).
    """

    config: Config
    setting: str
    values: np.ndarray
    seeds: np.ndarray
    measures: dict[str, np.ndarray]

    def summary(self) -> dict[str, dict[str, np.ndarray]]:
        """``{measure: {"mean", "min", "max"}}``, each a ``(k,)`` array over the seeds."""
        return {
            name: {"mean": m.mean(axis=1), "min": m.min(axis=1), "max": m.max(axis=1)}
            for name, m in self.measures.items()
        }

    def at(self, value: float) -> dict[str, dict[str, float]]:
        """``{measure: {"mean", "min", "max"}}`` over the seeds at one value of the setting.

        Raises:
            ValueError: If ``value`` is not one of :attr:`values`.
        """
        hits = np.flatnonzero(np.isclose(self.values, value))
        if len(hits) == 0:
            raise ValueError(f"value must be one of {self.values.tolist()}, got {value!r}")
        return {name: {k: float(v[hits[0]]) for k, v in stats.items()}
                for name, stats in self.summary().items()}  # fmt: skip

    def first_below(self, measure: str, level: float) -> float:
        """The first value at which the mean of ``measure`` over the seeds is below ``level``.

        Returns:
            That value, or NaN if the mean never falls below ``level``.

        Raises:
            ValueError: On an unknown measure.
        """
        if measure not in self.measures:
            raise ValueError(f"measure must be one of {list(self.measures)}, got {measure!r}")
        below = np.flatnonzero(self.measures[measure].mean(axis=1) < level)
        return float(self.values[below[0]]) if len(below) else float("nan")


def _final_measures(result: Result) -> dict[str, float]:
    return {
        "deceptive_share": float(result.deceptive_share[-1]),
        "aligned_share": float(result.survivor_shares[-1, ALIGNED]),
        "training_misbehaviour": float(result.train_misbehaviour[-1]),
        "deployment_misbehaviour": float(result.expected_deployment[-1]),
    }


def rounds_curve(
    config: Config | None = None, seeds: Iterable[int] = range(5), max_rounds: int = 300
) -> Curve:
    """The measures after 1, 2, ..., ``max_rounds`` rounds of training, per seed.

    One run of ``max_rounds`` rounds per seed gives every point: its first ``r`` rounds
    are exactly the run of ``r`` rounds with that seed (the draws come in the same
    order), and the population after round ``r`` is what that shorter run deploys.

    Args:
        config: The other settings (its ``training_rounds`` is replaced).
        seeds: Seeds, one run each.
        max_rounds: The longest training, in rounds (at most 5,000).

    Returns:
        A :class:`Curve` over ``training_rounds``.

    Raises:
        ValueError: On a bad ``max_rounds``, no seeds or a bad seed.
        TypeError: If ``config`` is not a :class:`Config`.
    """
    config = check_config(config, Config, "deception")
    max_rounds = check_count("max_rounds", max_rounds, 1, 5000)
    runs = sweep(dataclasses.replace(config, training_rounds=max_rounds), seeds)
    measures = {
        "deceptive_share": np.stack([r.deceptive_share for r in runs], axis=1),
        "aligned_share": np.stack([r.survivor_shares[:, ALIGNED] for r in runs], axis=1),
        "training_misbehaviour": np.stack([r.train_misbehaviour for r in runs], axis=1),
        "deployment_misbehaviour": np.stack([r.expected_deployment for r in runs], axis=1),
    }
    return Curve(config, "training_rounds", np.arange(1, max_rounds + 1),
                 np.array([r.seed for r in runs]), measures)  # fmt: skip


def recognition_curve(
    config: Config | None = None,
    seeds: Iterable[int] = range(5),
    values: Iterable[float] = (0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 1.0),
) -> Curve:
    """The measures after ``config.training_rounds`` rounds, for each recognition accuracy.

    Args:
        config: The other settings (its ``recognition`` is replaced).
        seeds: Seeds, one run per seed and value.
        values: Recognition accuracies, each in [0, 1].

    Returns:
        A :class:`Curve` over ``recognition`` (values sorted).

    Raises:
        ValueError: On a bad value, no values, no seeds or a bad seed.
        TypeError: If ``config`` is not a :class:`Config`.
    """
    config = check_config(config, Config, "deception")
    values = sorted(check_fraction("recognition", v) for v in values)
    if not values:
        raise ValueError("values must hold at least one recognition accuracy")
    seeds = list(seeds)
    runs = sweep(vary(config, recognition=values), seeds)
    finals = [_final_measures(r) for r in runs]
    measures = {
        name: np.array([f[name] for f in finals]).reshape(len(values), len(seeds))
        for name in CURVE_MEASURES
    }
    return Curve(config, "recognition", np.array(values), np.array(seeds), measures)


__all__ = [
    "CURVE_MEASURES",
    "RESPONSES",
    "TYPES",
    "TYPE_LABELS",
    "Config",
    "Curve",
    "Population",
    "Result",
    "deploy",
    "recognition_curve",
    "rounds_curve",
    "run",
    "starting_population",
    "summary",
    "sweep",
    "train_round",
]
