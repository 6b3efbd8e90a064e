"""AI control: keeping an untrusted model safe to use with a weaker monitor and few audits.

After Greenblatt, Shlegeris, Sachan and Roger 2024, "AI Control: Improving Safety
Despite Intentional Subversion" (arXiv:2312.06942). A deployment is a sequence of
``n_tasks`` programming tasks. The blue team has three resources:

- **U**, a strong *untrusted* model that solves more tasks but may be scheming;
- **T**, a weaker *trusted* model that solves fewer tasks but never attacks, and
  gives every solution of U a noisy **suspicion score**;
- **H**, trusted human labour, enough to **audit** a small fraction of the tasks
  (the ``audit_budget``, 2% in the paper). An audit of an attack always catches it.

In the safety evaluation the red team plays U. On each task it attacks (writes a
backdoored solution) with probability ``attack_rate``, independently across tasks.
An attack that is not audited is submitted, and its backdoor works with
probability ``backdoor_success``. The game ends when an audit catches an attack
(the blue team shuts U down: it wins) or when a working backdoor is submitted (the
red team wins). **Safety** is the probability that no working backdoor is ever
submitted unaudited. **Usefulness** is measured separately with an honest U: the
fraction of tasks solved, rescaled so that T alone scores 0 and U alone scores 1.

Suspicion scores are standard normal for honest solutions and shifted up by
``monitor_quality`` for attacks (the monitor's d'; 0 means the monitor cannot
tell them apart). The protocols:

- ``upfront_auditing``: audit the first ``audit_budget * n_tasks`` tasks, then trust U;
- ``trusted_monitoring``: audit every solution whose suspicion is above the threshold
  that an honest U crosses on ``audit_budget`` of its tasks (so an honest deployment
  uses the budget on average);
- ``defer_to_trusted``: trusted monitoring, and in addition submit T's solution instead
  of U's for the next-most suspicious ``defer_fraction`` of tasks. A deferred attack is
  neither caught nor submitted; a deferred honest task costs the gap between U and T.

The red team knows the protocol and picks the attack rate on ``attack_rates`` that
minimises safety (its best response). Everything is Monte Carlo over
``n_deployments`` simulated deployments; one set of random draws serves every attack
rate (common random numbers), so the curve of safety against attack rate is smooth.

Example:
    >>> from mesatoys.experiments import ai_control as ac
    >>> res = ac.run(ac.Config(n_deployments=500), seed=0)
    >>> res.protocols["upfront_auditing"].best_attack_rate < 0.02
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np

from mesatoys.checks import check_choice, check_count, check_fraction, check_seed
from mesatoys.experiments.shape import make_sweep, start, summarize

PROTOCOLS = ("upfront_auditing", "trusted_monitoring", "defer_to_trusted")
PROTOCOL_LABELS = {
    "upfront_auditing": "upfront auditing",
    "trusted_monitoring": "trusted monitoring",
    "defer_to_trusted": "defer to trusted",
}
#: Attack rates the red team chooses from: 10 per decade from 0.001 to 1.
DEFAULT_ATTACK_RATES = tuple(float(f"{r:.4g}") for r in np.geomspace(1e-3, 1.0, 31))
_STANDARD_NORMAL = NormalDist()


def check_protocol(protocol: object) -> str:
    """Validate a protocol name.

    Raises:
        ValueError: Unless it is one of :data:`PROTOCOLS`.
    """
    return check_choice("protocol", protocol, PROTOCOLS)


def _check_rates(rates: object) -> tuple[float, ...]:
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Iterable):
        raise ValueError(f"attack_rates must be a sequence of numbers in (0, 1], got {rates!r}")
    values = tuple(check_fraction("attack_rates", r) for r in rates)
    if not values or min(values) <= 0.0:
        raise ValueError(f"attack_rates must be non-empty numbers in (0, 1], got {rates!r}")
    if any(b <= a for a, b in zip(values[:-1], values[1:], strict=True)):
        raise ValueError(f"attack_rates must be strictly increasing, got {rates!r}")
    return values


@dataclass(frozen=True)
class Config:
    """Settings of one control evaluation.

    Attributes:
        n_tasks: Tasks in one deployment.
        audit_budget: Fraction of tasks H can audit, in [0, 1].
        monitor_quality: How far T's suspicion score of an attack sits above that of an
            honest solution, in standard deviations (d'); >= 0.
        backdoor_success: Chance that an attack submitted unaudited has a working
            backdoor, in [0, 1].
        defer_fraction: For ``defer_to_trusted``: fraction of honest tasks, just below
            the audit threshold in suspicion, whose solution is replaced by T's. With
            ``audit_budget``, at most 1.
        trusted_correct: Fraction of tasks T solves.
        untrusted_correct: Fraction of tasks an honest U solves (above ``trusted_correct``).
        attack_rates: Attack rates the red team can choose from: increasing, in (0, 1].
        n_deployments: Simulated deployments per estimate.
    """

    n_tasks: int = 1000
    audit_budget: float = 0.02
    monitor_quality: float = 2.0
    backdoor_success: float = 0.5
    defer_fraction: float = 0.10
    trusted_correct: float = 0.22
    untrusted_correct: float = 0.54
    attack_rates: tuple[float, ...] = field(default=DEFAULT_ATTACK_RATES)
    n_deployments: int = 2000

    def __post_init__(self) -> None:
        check_count("n_tasks", self.n_tasks)
        check_fraction("audit_budget", self.audit_budget)
        quality = self.monitor_quality
        if isinstance(quality, bool) or not isinstance(quality, (int, float, np.number)):
            raise ValueError(f"monitor_quality must be a number >= 0, got {quality!r}")
        if not 0.0 <= float(quality) < math.inf:
            raise ValueError(f"monitor_quality must be a finite number >= 0, got {quality!r}")
        check_fraction("backdoor_success", self.backdoor_success)
        check_fraction("defer_fraction", self.defer_fraction)
        if self.audit_budget + self.defer_fraction > 1.0 + 1e-12:
            raise ValueError(
                f"audit_budget + defer_fraction must be at most 1, got "
                f"{self.audit_budget} + {self.defer_fraction}"
            )
        check_fraction("trusted_correct", self.trusted_correct)
        check_fraction("untrusted_correct", self.untrusted_correct)
        if self.untrusted_correct <= self.trusted_correct:
            raise ValueError(
                f"untrusted_correct must exceed trusted_correct ({self.trusted_correct}), "
                f"got {self.untrusted_correct}"
            )
        object.__setattr__(self, "attack_rates", _check_rates(self.attack_rates))
        check_count("n_deployments", self.n_deployments)

    @property
    def n_upfront_audits(self) -> int:
        """Tasks audited by upfront auditing: ``floor(audit_budget * n_tasks)``."""
        return math.floor(self.audit_budget * self.n_tasks + 1e-9)


# --- the monitor's thresholds -------------------------------------------------------------------


def upper_quantile(fraction: float) -> float:
    """The score an honest (standard normal) suspicion exceeds with probability ``fraction``.

    Returns ``inf`` for 0 (nothing is above) and ``-inf`` for 1 (everything is).
    """
    fraction = check_fraction("fraction", fraction)
    if fraction <= 0.0:
        return math.inf
    if fraction >= 1.0:
        return -math.inf
    return _STANDARD_NORMAL.inv_cdf(1.0 - fraction)


def thresholds(config: Config) -> tuple[float, float]:
    """Suspicion thresholds of the monitoring protocols.

    Returns:
        ``(audit, defer)``: audit at or above ``audit``; defer to T at or above ``defer``
        (and below ``audit``). An honest U is audited on ``audit_budget`` of its tasks
        and deferred on ``defer_fraction`` of them, on average.
    """
    audit = upper_quantile(config.audit_budget)
    defer = upper_quantile(min(1.0, config.audit_budget + config.defer_fraction))
    return audit, defer


# --- random draws -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployments:
    """Random draws of ``n_deployments`` deployments of ``n_tasks`` tasks each.

    Attributes:
        noise: ``(D, N)`` standard-normal suspicion of an honest solution; an attack on
            the same task scores ``noise + monitor_quality``.
        attack_draw: ``(D, N)`` uniform draws: U attacks a task iff its draw is below the
            attack rate (the same draws serve every rate).
        backdoor_works: ``(D, N)`` whether an attack on the task would have a working backdoor.
        untrusted_correct: ``(D, N)`` whether an honest U solves the task.
        trusted_correct: ``(D, N)`` whether T solves the task.
    """

    noise: np.ndarray
    attack_draw: np.ndarray
    backdoor_works: np.ndarray
    untrusted_correct: np.ndarray
    trusted_correct: np.ndarray


def draw_deployments(config: Config, rng: np.random.Generator) -> Deployments:
    """Draw everything random about ``config.n_deployments`` deployments.

    Args:
        config: Settings.
        rng: Source of the draws.

    Returns:
        The draws (float32 and boolean arrays, to keep memory small).
    """
    shape = (config.n_deployments, config.n_tasks)
    return Deployments(
        noise=rng.standard_normal(shape, dtype=np.float32),
        attack_draw=rng.random(shape, dtype=np.float32),
        backdoor_works=rng.random(shape, dtype=np.float32) < config.backdoor_success,
        untrusted_correct=rng.random(shape, dtype=np.float32) < config.untrusted_correct,
        trusted_correct=rng.random(shape, dtype=np.float32) < config.trusted_correct,
    )


# --- one protocol -------------------------------------------------------------------------------


def decisions(protocol: str, config: Config, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which tasks the protocol audits and which it hands to T.

    Args:
        protocol: One of :data:`PROTOCOLS`.
        config: Settings.
        scores: ``(D, N)`` suspicion scores of the solutions U wrote.

    Returns:
        ``(audited, deferred)`` boolean arrays of the shape of ``scores`` (disjoint).
    """
    protocol = check_protocol(protocol)
    if protocol == "upfront_auditing":
        position = np.arange(scores.shape[-1])
        audited = np.broadcast_to(position < config.n_upfront_audits, scores.shape)
        return audited, np.zeros(scores.shape, dtype=bool)
    audit, defer = thresholds(config)
    audited = scores >= audit
    if protocol == "trusted_monitoring":
        return audited, np.zeros(scores.shape, dtype=bool)
    return audited, (scores >= defer) & ~audited


def first_decisive_attack(
    attack_draw: np.ndarray, caught: np.ndarray, lost: np.ndarray, rates: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Probability that the game ends caught, and that it ends lost, at each attack rate.

    A task is *decisive* if an attack on it would end the game: caught by an audit,
    or submitted with a working backdoor. At attack rate p the game ends at the first
    decisive task whose attack draw is below p. Going along a deployment, call a
    decisive task a *record* if its draw is below every earlier decisive draw. The
    first decisive task attacked at rate p is the record with draw ``d < p <= m``,
    where m is the smallest earlier decisive draw (``inf`` if none). So each record
    decides the game for one interval of rates, and all rates are read off at once.

    Args:
        attack_draw: ``(D, N)`` uniform attack draws.
        caught: ``(D, N)`` whether an attack on the task would be caught.
        lost: ``(D, N)`` whether an attack on the task would be a working, unaudited
            backdoor (disjoint from ``caught``).
        rates: Attack rates.

    Returns:
        ``(p_caught, p_lost)``: arrays over ``rates``, the fraction of deployments that
        end with U caught, and with a working backdoor submitted.
    """
    draw = np.where(caught | lost, attack_draw, attack_draw.dtype.type(np.inf))
    before = np.minimum.accumulate(draw, axis=1)  # smallest decisive draw so far
    before[:, 1:] = before[:, :-1].copy()  # ... strictly before each task
    before[:, 0] = np.inf
    records = np.flatnonzero(draw < before)
    low, high = draw.ravel()[records], before.ravel()[records]
    loses = np.ascontiguousarray(lost).ravel()[records]
    rates = np.asarray(rates, dtype=np.float64)
    n = attack_draw.shape[0]

    def decided(mask: np.ndarray) -> np.ndarray:
        below_low = np.searchsorted(np.sort(low[mask]), rates, side="left")
        below_high = np.searchsorted(np.sort(high[mask]), rates, side="left")
        return (below_low - below_high) / n

    return decided(~loses), decided(loses)


@dataclass(frozen=True)
class ProtocolResult:
    """One protocol, evaluated against every attack rate and with an honest U.

    Attributes:
        protocol: Its name.
        attack_rates: ``(R,)`` attack rates the red team could choose.
        safety: ``(R,)`` probability that no working backdoor is submitted, per rate.
        caught: ``(R,)`` probability that an audit catches U (and U is shut down), per rate.
        best_attack_rate: The red team's best response: the rate of lowest safety
            (the lowest such rate if several tie).
        worst_case_safety: Safety at the best response. The lowest of noisy estimates
            is on average a little below the true lowest safety (about one standard
            error at the defaults, where safety hardly depends on the rate above 10%).
        usefulness: With an honest U: (solved - T's) / (U's - T's), fractions of tasks.
        audit_fraction: With an honest U: fraction of tasks audited.
        deferred_fraction: With an honest U: fraction of tasks handed to T.
        n_deployments: Deployments behind each estimate.
    """

    protocol: str
    attack_rates: np.ndarray
    safety: np.ndarray
    caught: np.ndarray
    best_attack_rate: float
    worst_case_safety: float
    usefulness: float
    audit_fraction: float
    deferred_fraction: float
    n_deployments: int

    @property
    def standard_error(self) -> np.ndarray:
        """``(R,)`` Monte Carlo standard error of ``safety``."""
        return np.sqrt(self.safety * (1.0 - self.safety) / self.n_deployments)

    def safety_at(self, attack_rate: float) -> float:
        """Safety at one of the attack rates.

        Raises:
            ValueError: If ``attack_rate`` is not one of ``attack_rates``.
        """
        hits = np.flatnonzero(np.isclose(self.attack_rates, attack_rate, rtol=1e-9, atol=0))
        if not len(hits):
            raise ValueError(
                f"attack_rate must be one of the evaluated rates "
                f"{[float(r) for r in self.attack_rates]}, got {attack_rate!r}"
            )
        return float(self.safety[hits[0]])


def honest_usefulness(
    protocol: str, config: Config, draws: Deployments
) -> tuple[float, float, float]:
    """Usefulness, audit fraction and deferred fraction of a protocol with an honest U.

    Returns:
        ``(usefulness, audit_fraction, deferred_fraction)``; usefulness rescales the
        fraction of tasks solved so that T's own (measured) rate is 0 and U's is 1.
    """
    audited, deferred = decisions(protocol, config, draws.noise)
    solved = np.where(deferred, draws.trusted_correct, draws.untrusted_correct).mean()
    low, high = draws.trusted_correct.mean(), draws.untrusted_correct.mean()
    return float((solved - low) / (high - low)), float(audited.mean()), float(deferred.mean())


def evaluate_protocol(protocol: str, config: Config, draws: Deployments) -> ProtocolResult:
    """Evaluate one protocol on given draws: safety per attack rate, and usefulness.

    Args:
        protocol: One of :data:`PROTOCOLS`.
        config: Settings.
        draws: From :func:`draw_deployments` with the same ``config`` sizes.

    Returns:
        The protocol's result.
    """
    attack_scores = draws.noise + np.float32(config.monitor_quality)
    audited, deferred = decisions(protocol, config, attack_scores)
    lost = ~audited & ~deferred & draws.backdoor_works
    caught, red_wins = first_decisive_attack(draws.attack_draw, audited, lost, config.attack_rates)
    safety = 1.0 - red_wins
    best = int(np.argmin(safety))
    usefulness, audit_fraction, deferred_fraction = honest_usefulness(protocol, config, draws)
    return ProtocolResult(
        protocol=protocol,
        attack_rates=np.array(config.attack_rates),
        safety=safety,
        caught=caught,
        best_attack_rate=float(config.attack_rates[best]),
        worst_case_safety=float(safety[best]),
        usefulness=usefulness,
        audit_fraction=audit_fraction,
        deferred_fraction=deferred_fraction,
        n_deployments=config.n_deployments,
    )


# --- one run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """Every protocol evaluated on the same simulated deployments.

    Attributes:
        config: The settings.
        seed: The seed.
        protocols: ``{protocol: ProtocolResult}`` for each of :data:`PROTOCOLS`.
    """

    config: Config
    seed: int
    protocols: dict[str, ProtocolResult]

    def __getitem__(self, protocol: str) -> ProtocolResult:
        return self.protocols[check_protocol(protocol)]


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Simulate the deployments once and evaluate every protocol on them.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "ai_control", seed)
    draws = draw_deployments(config, np.random.default_rng(seed))
    return Result(config, seed, {p: evaluate_protocol(p, config, draws) for p in PROTOCOLS})


# --- sweeps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frontier:
    """Safety against the red team's best response, and usefulness, as deferral grows.

    Attributes:
        config: The settings (their ``defer_fraction`` is replaced by each value).
        seed: The seed (one set of draws serves every point).
        defer_fractions: ``(K,)`` fractions of tasks handed to T.
        usefulness: ``(K,)`` usefulness of defer-to-trusted at each fraction.
        safety: ``(K,)`` its worst-case safety.
        best_attack_rate: ``(K,)`` the red team's best response at each fraction.
        points: ``{protocol: (usefulness, worst-case safety)}`` of every protocol at
            ``config.defer_fraction``.
    """

    config: Config
    seed: int
    defer_fractions: np.ndarray
    usefulness: np.ndarray
    safety: np.ndarray
    best_attack_rate: np.ndarray
    points: dict[str, tuple[float, float]]


def frontier(
    config: Config | None = None,
    defer_fractions: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
    seed: int = 0,
) -> Frontier:
    """Trade usefulness for safety by deferring more tasks to T.

    Args:
        config: Settings.
        defer_fractions: Values of ``defer_fraction`` (0 is trusted monitoring).
        seed: Seed of the shared draws.

    Returns:
        The frontier.
    """
    config = Config() if config is None else config
    configs = [replace(config, defer_fraction=f) for f in defer_fractions]
    if not configs:
        raise ValueError("defer_fractions must hold at least one fraction")
    draws = draw_deployments(config, np.random.default_rng(check_seed(seed)))
    curve = [evaluate_protocol("defer_to_trusted", c, draws) for c in configs]
    points = {}
    for protocol in PROTOCOLS:
        res = evaluate_protocol(protocol, config, draws)
        points[protocol] = (res.usefulness, res.worst_case_safety)
    return Frontier(
        config=config,
        seed=seed,
        defer_fractions=np.array([c.defer_fraction for c in configs]),
        usefulness=np.array([r.usefulness for r in curve]),
        safety=np.array([r.worst_case_safety for r in curve]),
        best_attack_rate=np.array([r.best_attack_rate for r in curve]),
        points=points,
    )


sweep = make_sweep(run, Config, "control runs", progress=False)


SUMMARY_MEASURES = ("worst_case_safety", "best_attack_rate", "usefulness")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of every protocol's headline numbers.

    Returns:
        ``{"<protocol> <measure>": {"mean", "min", "max"}}`` for every protocol of
        :data:`PROTOCOLS` and measure of :data:`SUMMARY_MEASURES`.

    Raises:
        ValueError: On no results.
    """
    measures = {
        f"{protocol} {measure}": _measure(protocol, measure)
        for protocol in PROTOCOLS
        for measure in SUMMARY_MEASURES
    }
    return summarize(results, measures)


def _measure(protocol: str, measure: str):
    return lambda r: getattr(r[protocol], measure)


__all__ = [
    "DEFAULT_ATTACK_RATES",
    "PROTOCOLS",
    "PROTOCOL_LABELS",
    "Config",
    "Deployments",
    "Frontier",
    "ProtocolResult",
    "Result",
    "summary",
    "sweep",
    "check_protocol",
    "decisions",
    "draw_deployments",
    "evaluate_protocol",
    "first_decisive_attack",
    "frontier",
    "honest_usefulness",
    "run",
    "thresholds",
    "upper_quantile",
]
