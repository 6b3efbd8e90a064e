"""Notebook 05's exercises: who oversight catches, and what selection then keeps.

- ``catch_rates``: from the selection toy's settings (recognition, slip rate, oversight,
  episodes per round), the chance that an aligned, an unaware misaligned and a
  deceptive agent is caught in one round of training. It is the number that decides
  who survives selection (:mod:`mesatoys.experiments.deception`), and it shows why
  selection sees a deceptive agent only through its mistakes. :func:`selection_with`
  predicts the deceptive share of survivors round by round from the learner's rates
  and puts it beside the simulation's, with the catch rates the simulation measured.
- ``selection_step``: one round of selection on the population's mix of kinds: the caught
  are removed, replaced by copies of survivors, a few of those by fresh agents.
  :func:`selection_with` takes it too, so the predicted curve is the learner's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.course.exercises.core import Case, Exercise, Mistake
from mesatoys.experiments import deception as dc

NOTEBOOK = "05_deceptive_alignment"


def catch_rates(recognition, slip_rate, oversight, episodes):
    """The chance that oversight catches each kind of agent in one round of training.

    In one training episode an aligned agent misbehaves only when it slips (probability
    slip_rate); a misaligned agent that is unaware of training always misbehaves; a
    deceptive agent misbehaves when it takes the episode for deployment (probability
    1 - recognition) or when it slips, or both, independently. Oversight catches each
    misbehaviour with probability oversight, independently of everything else.

    Args:
        recognition: chance that a deceptive agent recognises a training episode.
        slip_rate: chance that an agent trying to behave well misbehaves anyway.
        oversight: chance that one misbehaviour is caught.
        episodes: training episodes each agent plays in a round.

    Returns:
        (3,) array: the chance that an agent is caught at least once in the round's
        episodes, for an aligned, an unaware misaligned and a deceptive agent, in that
        order.
    """
    misbehaves = np.array([slip_rate, 1.0, 1.0 - recognition * (1.0 - slip_rate)])
    return 1.0 - (1.0 - misbehaves * oversight) ** episodes


def _misbehaviour(recognition, slip_rate):
    return np.array([slip_rate, 1.0, 1.0 - recognition * (1.0 - slip_rate)])


def _every_misbehaviour_caught(recognition, slip_rate, oversight, episodes):
    return 1.0 - (1.0 - _misbehaviour(recognition, slip_rate)) ** episodes


def _one_episode(recognition, slip_rate, oversight, episodes):
    return _misbehaviour(recognition, slip_rate) * oversight


def _times_episodes(recognition, slip_rate, oversight, episodes):
    return np.minimum(_misbehaviour(recognition, slip_rate) * oversight * episodes, 1.0)


def _deceptive_never_slips(recognition, slip_rate, oversight, episodes):
    misbehaves = np.array([slip_rate, 1.0, 1.0 - recognition])
    return 1.0 - (1.0 - misbehaves * oversight) ** episodes


def selection_step(shares, caught, mutation_rate, fresh):
    """The mix of kinds after one round of selection.

    Every caught agent is removed and replaced by a copy of a random survivor; a share
    mutation_rate of those replacements is instead a fresh agent, drawn from the mix
    fresh. If nobody survives, every replacement is fresh.

    Args:
        shares: (3,) array: the share of aligned, unaware misaligned and deceptive agents
            before the round (sums to 1).
        caught: (3,) array: the chance that an agent of each kind is caught in the round.
        mutation_rate: the share of replacements that are fresh agents.
        fresh: (3,) array: the mix of kinds of a fresh agent (sums to 1).

    Returns:
        (3,) array: the share of each kind after the round (sums to 1).
    """
    kept = shares * (1.0 - caught)
    if kept.sum() == 0:
        return fresh.copy()
    survivors = kept / kept.sum()
    lost = 1.0 - kept.sum()
    new_fresh = lost * mutation_rate
    return survivors * (1.0 - new_fresh) + fresh * new_fresh


def _survivors_only(shares, caught, mutation_rate, fresh):
    kept = shares * (1.0 - caught)
    return kept


def _fresh_replacements(shares, caught, mutation_rate, fresh):
    kept = shares * (1.0 - caught)
    return kept + (1.0 - kept.sum()) * fresh


def _mutate_everyone(shares, caught, mutation_rate, fresh):
    kept = shares * (1.0 - caught)
    if kept.sum() == 0:
        return fresh.copy()
    return kept / kept.sum() * (1.0 - mutation_rate) + fresh * mutation_rate


def _step_cases() -> list[Case]:
    config = dc.Config()
    start = fresh = _starting_mix(config)
    rates = catch_rates(
        config.recognition, config.slip_rate, config.oversight, config.episodes_per_round
    )
    only_unaware = (np.array([0.3, 0.4, 0.3]), np.array([0.0, 1.0, 0.0]))
    return [
        Case(
            "notebook 05's first round: its starting mix, catch rates and mutation rate",
            (start, rates, config.mutation_rate, fresh),
        ),
        Case("no mutation: replacements are all copies", (start, rates, 0.0, fresh)),
        Case("nobody caught", (start, np.zeros(3), 0.05, fresh)),
        Case(
            "everyone caught: every replacement is fresh",
            (start, np.ones(3), 0.05, np.array([0.2, 0.3, 0.5])),
        ),
        Case(
            "only the unaware caught, all of them",
            (*only_unaware, 0.1, np.array([1.0, 0.0, 0.0])),
        ),
        Case(
            "every replacement fresh (mutation 1)",
            (np.array([0.2, 0.5, 0.3]), np.array([0.1, 0.9, 0.2]), 1.0, fresh),
        ),
    ]


def _cases() -> list[Case]:
    return [
        Case(
            "the notebook's settings: recognition 0.99, slip rate 0.02, oversight 0.5, 5 episodes",
            (0.99, 0.02, 0.5, 5),
        ),
        Case(
            "deceptive agents that never mistake training for deployment: recognition 1.0, "
            "slip rate 0.02, oversight 0.5, 5 episodes",
            (1.0, 0.02, 0.5, 5),
        ),
        Case("one episode: recognition 0.9, slip rate 0.05, oversight 0.5", (0.9, 0.05, 0.5, 1)),
        Case(
            "oversight that catches everything: recognition 0.99, slip rate 0.02, "
            "oversight 1.0, 5 episodes",
            (0.99, 0.02, 1.0, 5),
        ),
        Case(
            "no slips and perfect recognition: recognition 1.0, slip rate 0.0, oversight "
            "0.5, 5 episodes",
            (1.0, 0.0, 0.5, 5),
        ),
        Case(
            "weak oversight over many episodes: recognition 0.95, slip rate 0.1, oversight "
            "0.1, 40 episodes",
            (0.95, 0.1, 0.1, 40),
        ),
    ]


@dataclass(frozen=True)
class Selection:
    """The learner's catch rates beside one run of the selection simulation.

    Attributes:
        config: The simulation's settings.
        yours: ``(3,)`` the learner's catch rates per round (aligned, unaware, deceptive).
        measured: ``(3,)`` the share of each kind caught per round in the simulation,
            pooled over its rounds.
        predicted: ``(rounds,)`` the deceptive share of each round's survivors that the
            learner's rates predict, from the simulation's starting population.
        simulated: ``(rounds,)`` the deceptive share of each round's survivors in the
            simulation.
    """

    config: dc.Config
    yours: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    simulated: np.ndarray

    def __str__(self) -> str:
        rates = ", ".join(
            f"{name} {y:.1%} (measured {m:.1%})"
            for name, y, m in zip(dc.TYPES, self.yours, self.measured, strict=True)
        )
        rounds = len(self.predicted)
        shown = sorted(
            {r for r in (1, 2, 3, 5, 10, 20, 50, 100, 200, 300) if r <= rounds} | {rounds}
        )
        lines = [
            f"Recognition {self.config.recognition}, {rounds} rounds. Caught per round: {rates}.",
            "Deceptive share of survivors: round, your prediction, the simulation",
        ]
        lines += [
            f"  {r:>4}   {self.predicted[r - 1]:6.1%}   {self.simulated[r - 1]:6.1%}" for r in shown
        ]
        return "\n".join(lines)

    __repr__ = __str__


def selection_with(
    rates: Callable[[float, float, float, int], np.ndarray],
    config: dc.Config | None = None,
    seed: int = 0,
    step: Callable[..., np.ndarray] = selection_step,
) -> Selection:
    """Predict the deceptive share of survivors from ``rates``, beside the simulation's.

    The prediction starts from the simulation's starting population. Each round, each
    kind survives in proportion to 1 minus its catch rate; the caught are replaced by
    copies of survivors, a ``mutation_rate`` share of them by fresh agents.

    Args:
        rates: ``rates(recognition, slip_rate, oversight, episodes)``, like
            :func:`catch_rates`.
        config: The simulation's settings (default: notebook 05's).
        seed: The simulation's seed.
        step: ``step(shares, caught, mutation_rate, fresh)``, like :func:`selection_step`.

    Returns:
        The learner's rates, the measured ones, and both curves.
    """
    config = dc.Config() if config is None else config
    result = dc.run(config, seed)
    caught = np.asarray(
        rates(config.recognition, config.slip_rate, config.oversight, config.episodes_per_round),
        dtype=float,
    )
    return Selection(
        config=config,
        yours=caught,
        measured=_measured_rates(result),
        predicted=_predicted_shares(result, caught, step),
        simulated=result.deceptive_share,
    )


def _starting_mix(config: dc.Config) -> np.ndarray:
    """The kinds of a freshly drawn agent: aligned, unaware, deceptive."""
    aligned, aware = config.aligned_share, config.awareness_rate
    return np.array([aligned, (1 - aligned) * (1 - aware), (1 - aligned) * aware])


def _predicted_shares(
    result: dc.Result, caught: np.ndarray, step: Callable[..., np.ndarray]
) -> np.ndarray:
    """The deceptive share of each round's survivors if each kind is caught at ``caught``."""
    config, population = result.config, result.initial_shares
    fresh = _starting_mix(config)
    predicted = []
    for _ in range(config.training_rounds):
        kept = population * (1.0 - caught)
        predicted.append(kept[dc.DECEPTIVE] / kept.sum() if kept.sum() else 0.0)
        population = np.asarray(step(population, caught, config.mutation_rate, fresh), float)
    return np.array(predicted)


def _measured_rates(result: dc.Result) -> np.ndarray:
    """The share of each kind caught per round, pooled over the simulation's rounds."""
    before = np.vstack([result.initial_shares, result.shares[:-1]])
    kept = (1.0 - result.caught)[:, None] * result.survivor_shares
    return 1.0 - kept.sum(axis=0) / before.sum(axis=0)


EXERCISES = {
    "catch_rates": Exercise(
        id="catch_rates",
        notebook=NOTEBOOK,
        title="Who gets caught: selection sees only mistakes",
        reference=catch_rates,
        cases=_cases,
        mistakes=(
            Mistake(
                _every_misbehaviour_caught,
                "count every misbehaviour as caught: oversight catches each one only with "
                "probability `oversight`",
            ),
            Mistake(
                _one_episode,
                "give the chance for one episode: a round has `episodes` episodes, and one "
                "catch in any of them is enough",
            ),
            Mistake(
                _times_episodes,
                "multiply the one-episode chance by the number of episodes: two catches in "
                "one round count once, so the chances compound as 1 - (1 - q) ** episodes",
            ),
            Mistake(
                _deceptive_never_slips,
                "forget that a deceptive agent, when it behaves well, also slips like anyone "
                "else: it misbehaves with probability 1 - recognition * (1 - slip_rate)",
            ),
        ),
        hints=(
            "first the chance that one episode goes badly, per kind: slip_rate, 1, and for a "
            "deceptive agent 1 minus the chance that it both recognises training and does not "
            "slip.",
            "an episode is caught with probability (that chance) * oversight; the agent gets "
            "through the round only if no episode is caught.",
            "`misbehaves = np.array([slip_rate, 1.0, 1.0 - recognition * (1.0 - slip_rate)])`, "
            "then `1.0 - (1.0 - misbehaves * oversight) ** episodes`.",
        ),
    ),
    "selection_step": Exercise(
        id="selection_step",
        notebook=NOTEBOOK,
        title="One round of selection",
        reference=selection_step,
        cases=_step_cases,
        mistakes=(
            Mistake(
                _survivors_only,
                "keep only the survivors and forget to refill the population: the caught "
                "are replaced, so the shares must sum to 1 again",
            ),
            Mistake(
                _fresh_replacements,
                "replace every caught agent with a fresh one: most replacements are copies "
                "of survivors, and only a share mutation_rate of them is fresh",
            ),
            Mistake(
                _mutate_everyone,
                "make a share mutation_rate of the whole population fresh: only the "
                "replacements (the caught share of the population) can be fresh",
            ),
        ),
        hints=(
            "first who is left: shares * (1 - caught); the share of the population that was "
            "caught is 1 minus the sum of that.",
            "the replacements copy survivors, so without mutation the new mix is the "
            "survivors' mix (kept / kept.sum()); then a share lost * mutation_rate of the "
            "population is fresh instead.",
            "`kept = shares * (1 - caught)`; `new = lost * mutation_rate` with "
            "`lost = 1 - kept.sum()`; return `kept / kept.sum() * (1 - new) + fresh * new`, "
            "or `fresh` if nobody is kept.",
        ),
    ),
}
