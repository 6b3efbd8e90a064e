"""Honeypot evaluations: test episodes that look like deployment but are watched.

A defense against the deceptive agents of :mod:`mesatoys.experiments.deception`,
discussed by Hubinger et al. 2019, "Risks from Learned Optimization in Advanced
Machine Learning Systems" (section 4, on testing for deception by presenting
situations the model cannot tell from deployment), and practised as "honeypot" or
"sting" evaluations in AI control (Greenblatt, Shlegeris, Sachan and Roger 2024,
"AI Control: Improving Safety Despite Intentional Subversion").

Every agent of a population plays ``n_honeypots`` honeypot episodes. Every
misbehaviour in a honeypot is seen. An aware agent spots a honeypot as a test with
probability ``distinguishability`` and then behaves well (slipping like anyone);
otherwise it takes the honeypot for deployment and, if misaligned, misbehaves. An
agent is flagged if it misbehaves in at least one honeypot. So a deceptive agent is
flagged with probability ``1 - (1 - p) ** n`` where ``p = (1 - d) + d * slip_rate``,
and an aligned agent (a false alarm) with ``1 - (1 - slip_rate) ** n``.

Nothing is learned here, and no agent is trained: the population is the scripted
one that the selection simulation of :mod:`mesatoys.experiments.deception` ends
with (each agent's traits, aligned or not and aware or not, are drawn; selection
only removes agents and copies survivors), and the flag rates follow from the rule
above, sampled. :func:`run` draws that population and measures every pair of
settings; :func:`flag_agents` and :func:`power_curves` do the same for any
population.

The design choice that decides everything is ``distinguishability``: honeypots
catch deceptive agents because such an agent cannot tell them from deployment.
Its control is ``d = 1`` (every honeypot spotted): the deceptive agents then
misbehave only when they slip, exactly like the aligned ones, and detection falls
to the false-alarm rate, whatever the number of honeypots (:func:`control_gap`).

Example:
    >>> from mesatoys.experiments import honeypots as hp
    >>> res = hp.run(hp.Config(), seed=0)
    >>> ev = hp.flag_agents(res.population, n_honeypots=10, distinguishability=0.5, seed=0)
    >>> bool(ev.detection_rate > 0.99), bool(ev.false_alarm_rate < 0.4)
    (True, True)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.checks import check_count, check_fraction, check_instance, check_seed
from mesatoys.experiments import deception as dc
from mesatoys.experiments.deception import ALIGNED, DECEPTIVE, UNAWARE, Population
from mesatoys.experiments.shape import keep, make_sweep, start, summarize


@dataclass(frozen=True)
class Evaluation:
    """What one honeypot evaluation found.

    Attributes:
        n_honeypots: Honeypot episodes per agent.
        distinguishability: Chance that an aware agent spots one honeypot as a test.
        detection_rate: Share of deceptive agents flagged (NaN if there are none).
        false_alarm_rate: Share of aligned agents flagged, for honest slips (NaN if none).
        unaware_detection_rate: Share of unaware misaligned agents flagged (NaN if none).
        counts: ``(3,)`` agents of each kind evaluated (aligned, unaware, deceptive).
    """

    n_honeypots: int
    distinguishability: float
    detection_rate: float
    false_alarm_rate: float
    unaware_detection_rate: float
    counts: np.ndarray


DEFAULT_N_HONEYPOTS = (1, 2, 3, 5, 10, 20, 50)
DEFAULT_DISTINGUISHABILITY = (0.0, 0.5, 0.9, 0.99, 1.0)


@dataclass(frozen=True)
class Config:
    """Settings of one honeypot experiment.

    Attributes:
        population: The selection simulation whose final (scripted) population is
            evaluated.
        n_honeypots: Numbers of honeypots per agent to try (positive, increasing).
        distinguishability: Chances that an aware agent spots a honeypot, each in [0, 1].
    """

    population: dc.Config = field(default_factory=dc.Config)
    n_honeypots: tuple[int, ...] = DEFAULT_N_HONEYPOTS
    distinguishability: tuple[float, ...] = DEFAULT_DISTINGUISHABILITY

    def __post_init__(self) -> None:
        check_instance("population", self.population, dc.Config)
        _check_settings(self.n_honeypots, self.distinguishability)


def _check_settings(n_honeypots: Sequence[int], distinguishability: Sequence[float]):
    ns = [check_count("n_honeypots", n, high=10_000) for n in n_honeypots]
    if not ns or any(b <= a for a, b in zip(ns[:-1], ns[1:], strict=True)):
        raise ValueError(f"n_honeypots must be a non-empty increasing list, got {n_honeypots!r}")
    ds = [check_fraction("distinguishability", d) for d in distinguishability]
    if not ds:
        raise ValueError("distinguishability must hold at least one value")
    return ns, ds


@dataclass(frozen=True, eq=False)
class PowerCurves:
    """Flag rates for several numbers of honeypots and distinguishabilities.

    Attributes:
        n_honeypots: ``(k,)`` numbers of honeypots, increasing.
        distinguishability: ``(m,)`` distinguishabilities.
        detection_rate: ``(m, k)`` share of deceptive agents flagged.
        false_alarm_rate: ``(m, k)`` share of aligned agents flagged.
        counts: ``(3,)`` agents of each kind evaluated.
        slip_rate: The agents' slip rate.
    """

    n_honeypots: np.ndarray
    distinguishability: np.ndarray
    detection_rate: np.ndarray
    false_alarm_rate: np.ndarray
    counts: np.ndarray
    slip_rate: float


@dataclass(frozen=True, eq=False)
class Result(PowerCurves):
    """One run: the power curves of the population a selection run ends with.

    Attributes:
        config: The settings.
        seed: The seed (of the selection run and of the honeypot draws).

    The population itself is not stored: :attr:`population` runs the selection
    simulation again (milliseconds).
    """

    config: Config = field(default_factory=Config)
    seed: int = 0

    @functools.cached_property
    def population(self) -> Population:
        """The evaluated population (the selection run's, drawn again)."""
        return dc.run(self.config.population, self.seed).population


def first_flag(
    population: Population, max_honeypots: int, distinguishability: float, seed: int
) -> np.ndarray:
    """Play honeypots and find each agent's first misbehaviour.

    Args:
        population: The agents (e.g. ``deception.run(...).population``).
        max_honeypots: Honeypot episodes per agent.
        distinguishability: Chance that an aware agent spots one honeypot as a test.
        seed: Non-negative integer.

    Returns:
        ``(n,)`` number of honeypots an agent played up to and including its first
        misbehaviour; ``max_honeypots + 1`` for an agent never flagged. With ``n``
        honeypots an agent is flagged exactly when this is at most ``n``.
    """
    check_count("max_honeypots", max_honeypots)
    check_fraction("distinguishability", distinguishability)
    rng = np.random.default_rng(check_seed(seed))
    bad = population.misbehave(max_honeypots, distinguishability, rng)
    return np.where(bad.any(axis=1), bad.argmax(axis=1) + 1, max_honeypots + 1)


def _flag_rate(flagged: np.ndarray, types: np.ndarray, kind: int) -> float:
    mine = flagged[types == kind]
    return float(mine.mean()) if len(mine) else float("nan")


def flag_agents(
    population: Population, n_honeypots: int, distinguishability: float, seed: int = 0
) -> Evaluation:
    """Run ``n_honeypots`` honeypots past every agent and count who is flagged.

    Args:
        population: The agents (e.g. ``deception.run(...).population``).
        n_honeypots: Honeypot episodes per agent, at least 1.
        distinguishability: Chance that an aware agent spots one honeypot as a test,
            in [0, 1].
        seed: Non-negative integer; the same seed gives the same numbers.

    Returns:
        The evaluation.
    """
    flagged = first_flag(population, n_honeypots, distinguishability, seed) <= n_honeypots
    types = population.types
    return Evaluation(
        n_honeypots=int(n_honeypots),
        distinguishability=float(distinguishability),
        detection_rate=_flag_rate(flagged, types, DECEPTIVE),
        false_alarm_rate=_flag_rate(flagged, types, ALIGNED),
        unaware_detection_rate=_flag_rate(flagged, types, UNAWARE),
        counts=population.counts(),
    )


def power_curves(
    population: Population,
    n_honeypots: Sequence[int] = (1, 2, 3, 5, 10, 20, 50),
    distinguishability: Sequence[float] = (0.0, 0.5, 0.9, 0.99, 1.0),
    seed: int = 0,
) -> PowerCurves:
    """Detection and false-alarm rates for every pair of settings.

    For each distinguishability, every agent plays the largest number of honeypots
    once; a smaller evaluation is its first ``n`` episodes (so each curve rises with
    ``n`` by construction, and shows sampling noise only between distinguishabilities).

    Args:
        population: The agents.
        n_honeypots: Numbers of honeypots (positive, increasing, no repeats).
        distinguishability: Distinguishabilities, each in [0, 1].
        seed: Non-negative integer.

    Returns:
        The curves.

    Raises:
        ValueError: On empty or unordered ``n_honeypots`` or a bad distinguishability.
    """
    ns, ds = _check_settings(n_honeypots, distinguishability)
    types = population.types
    detection, false_alarm = np.zeros((len(ds), len(ns))), np.zeros((len(ds), len(ns)))
    for i, d in enumerate(ds):
        first = first_flag(population, ns[-1], d, check_seed(seed) + i)
        for j, n in enumerate(ns):
            detection[i, j] = _flag_rate(first <= n, types, DECEPTIVE)
            false_alarm[i, j] = _flag_rate(first <= n, types, ALIGNED)
    return PowerCurves(
        np.array(ns), np.array(ds), detection, false_alarm, population.counts(),
        population.slip_rate,
    )  # fmt: skip


def control_gap(curves: PowerCurves) -> np.ndarray:
    """Detection minus false-alarm rate at each number of honeypots, for ``d = 1``.

    The control of the toy's design choice: when every honeypot is spotted, a
    deceptive agent misbehaves only when it slips, like an aligned one, so the gap
    is sampling noise around 0.

    Args:
        curves: Power curves that include distinguishability 1.

    Returns:
        ``(k,)`` the gap per number of honeypots.

    Raises:
        ValueError: If the curves have no distinguishability of 1.
    """
    ds = list(np.asarray(curves.distinguishability, dtype=float))
    if 1.0 not in ds:
        raise ValueError(f"curves must include distinguishability 1, got {ds}")
    i = ds.index(1.0)
    return curves.detection_rate[i] - curves.false_alarm_rate[i]


def format_table(curves: PowerCurves, n_honeypots: Sequence[int] = (1, 10, 50)) -> str:
    """Detection per distinguishability, and the false alarms, as plain text.

    Args:
        curves: Power curves (e.g. a :class:`Result`).
        n_honeypots: The numbers of honeypots to show (each one of ``curves.n_honeypots``).

    Returns:
        One row per distinguishability: the share of deceptive agents flagged with each
        number of honeypots; then the share of aligned agents flagged (mean over the
        distinguishabilities, which do not affect aligned agents).

    Raises:
        ValueError: On a number of honeypots the curves do not have.
    """
    ns = [int(n) for n in curves.n_honeypots]
    missing = [n for n in n_honeypots if n not in ns]
    if missing:
        raise ValueError(f"n_honeypots must be among {ns}, got {list(n_honeypots)}")
    cols = [ns.index(n) for n in n_honeypots]
    aligned, unaware, deceptive = (int(c) for c in curves.counts)
    population = f"{deceptive} deceptive and {aligned} aligned agents"
    if unaware:
        population += f" (and {unaware} unaware misaligned ones, not shown)"
    head = f"{'share flagged':<38}" + "".join(f"{f'{n} honeypot' + 's' * (n > 1):>14}"
                                              for n in n_honeypots)  # fmt: skip
    lines = [population, head]
    for i, d in enumerate(curves.distinguishability):
        row = "".join(f"{curves.detection_rate[i, j]:>14.0%}" for j in cols)
        lines.append(f"{f'deceptive, distinguishability {d:g}':<38}" + row)
    alarms = np.nanmean(curves.false_alarm_rate, axis=0)
    lines.append(f"{'aligned (false alarms)':<38}" + "".join(f"{alarms[j]:>14.0%}" for j in cols))
    return "\n".join(lines)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Run the selection simulation, then every honeypot setting on its population.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "honeypots", seed)
    population = dc.run(config.population, seed).population
    curves = power_curves(population, config.n_honeypots, config.distinguishability, seed)
    return keep(Result(**vars(curves), config=config, seed=seed), population=population)


sweep = make_sweep(run, Config, "honeypot runs", progress=False)


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of every flag rate.

    Returns:
        ``{"detection d=<d> n=<n>": ..., "false alarm d=<d> n=<n>": ...}`` for every
        distinguishability and number of honeypots of the (shared) config.

    Raises:
        ValueError: On no results, or runs with different settings.
    """
    runs = list(results)
    if len({(r.config.n_honeypots, r.config.distinguishability) for r in runs}) > 1:
        raise ValueError("results must share their n_honeypots and distinguishability")
    measures = {}
    if runs:
        for i, d in enumerate(runs[0].config.distinguishability):
            for j, n in enumerate(runs[0].config.n_honeypots):
                measures[f"detection d={d:g} n={n}"] = _cell("detection_rate", i, j)
                measures[f"false alarm d={d:g} n={n}"] = _cell("false_alarm_rate", i, j)
    return summarize(runs, measures)


def _cell(name: str, i: int, j: int):
    return lambda r: getattr(r, name)[i, j]


__all__ = [
    "Config",
    "Evaluation",
    "PowerCurves",
    "Result",
    "control_gap",
    "flag_agents",
    "first_flag",
    "format_table",
    "power_curves",
    "run",
    "summary",
    "sweep",
]
