"""Training selects for deception: a population of agents under oversight.

After Hubinger, van Merwijk, Mikulik, Skalse and Garrabrant 2019, "Risks from
Learned Optimization in Advanced Machine Learning Systems", section 4 (deceptive
alignment). A mesa-optimizer whose objective differs from the base objective, and
which knows that it is being trained, does best by its own objective if it behaves
well while it is trained and pursues its objective once deployed. Training then sees
good behaviour from it and has nothing to correct.

The toy makes the argument a selection process that can be run. Every agent has two
traits:

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

Nothing is hard-coded: the deceptive agents' rise comes from who gets caught. Per
round, an agent whose episodes misbehave with probability ``p`` is caught with
probability ``1 - (1 - p * oversight) ** episodes_per_round``; that is 97% for an
unaware misaligned agent at the defaults and 5-7% for the other two kinds, which
training cannot tell apart except through the deceptive agents' rare mistakes.

Example:
    >>> from mesatoys.experiments import deception as dc
    >>> res = dc.run(dc.Config(), seed=0)
    >>> bool(res.train_misbehaviour[-1] < 0.05), bool(res.deployment_misbehaviour > 0.5)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mesatoys.checks import check_count, check_fraction
from mesatoys.experiments.shape import make_sweep, start, summarize

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
        careful = self.aware[:, None] & (rng.random(shape) < believe_watched)
        pursues_goal = ~self.aligned[:, None] & ~careful
        return pursues_goal | (rng.random(shape) < self.slip_rate)


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
    fresh = starting_population(config, rng, len(removed))
    if len(survivors):  # with no survivor at all, every newcomer is a fresh draw
        parents = rng.choice(survivors, size=len(removed))
        copied = rng.random(len(removed)) >= config.mutation_rate
        aligned[removed] = np.where(copied, aligned[parents], fresh.aligned)
        aware[removed] = np.where(copied, aware[parents], fresh.aware)
    else:
        aligned[removed], aware[removed] = fresh.aligned, fresh.aware
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
    caught = (bad & (rng.random(bad.shape) < config.oversight)).any(axis=1)
    types = population.types
    if config.response == "replace":
        after = _replace(population, caught, config, rng)
    else:
        after = _modify(population, caught)
    record = {
        "misbehaviour": float(bad.mean()),
        "caught": float(caught.mean()),
        "survivor_shares": _shares_of(types[~caught]),
        "shares": after.shares(),
    }
    return after, record


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


__all__ = [
    "RESPONSES",
    "TYPES",
    "TYPE_LABELS",
    "Config",
    "Population",
    "Result",
    "deploy",
    "run",
    "starting_population",
    "summary",
    "sweep",
    "train_round",
]
