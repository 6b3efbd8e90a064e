"""Notebook 06's exercises: a linear probe, a steering vector, and trusted monitoring's audits.

- ``probe_accuracy``: the learner fits a logistic-regression probe on some activations
  by gradient descent and scores it on held-out ones. Sound probes differ in their
  details, so the check compares held-out accuracy within :data:`PROBE_TOLERANCE`.
  :func:`probes_with` runs the learner's probe on the activations of notebook 06's
  trained network (:mod:`mesatoys.experiments.probing`), beside the course's probe.
- ``cheese_vector``: one level's cheese vector, the mean change the cheese makes to a
  policy network's hidden layer over the level's floor cells. :func:`steering_with`
  steers notebook 06's network (:mod:`mesatoys.experiments.network_misgeneralization`)
  with the learner's vectors, beside the course's.
- ``audit_mask``: which solutions trusted monitoring audits, by a threshold fixed in
  advance from honest solutions' suspicion scores. :func:`control_with` plays notebook
  06's control game (:mod:`mesatoys.experiments.ai_control`) with the learner's audits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.network import MLP
from mesatoys.course.exercises.core import Case, Exercise, Mistake, compare_arrays
from mesatoys.experiments import ai_control as ac
from mesatoys.experiments import network_misgeneralization as nm
from mesatoys.experiments import probing

NOTEBOOK = "06_defenses"
#: Held-out accuracies this close count as the same probe.
PROBE_TOLERANCE = 0.05

# --- probe_accuracy ------------------------------------------------------------------------------


def probe_accuracy(train_x, train_y, test_x, test_y):
    """How well a linear probe fitted on some activations reads the label of others.

    Args:
        train_x: (n, d) array: the activations to fit the probe on, one row per state.
        train_y: (n,) int array: their labels, 0 or 1.
        test_x: (m, d) array: held-out activations.
        test_y: (m,) int array: their labels.

    Returns:
        The fraction of held-out rows whose label the probe predicts, a float. The
        probe: standardize every column of both sets with the training rows' mean and
        standard deviation (plus 1e-8); start from weights w = 0 and bias b = 0; take
        500 steps of gradient descent with step size 0.5 on the mean logistic loss of
        the training rows: p = 1 / (1 + exp(-(x @ w + b))), w -= 0.5 * x.T @ (p - y) / n,
        b -= 0.5 * mean(p - y); then predict 1 where x @ w + b > 0.
    """
    mean, std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-8
    x, held_out = (train_x - mean) / std, (test_x - mean) / std
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(500):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= 0.5 * x.T @ (p - train_y) / len(x)
        b -= 0.5 * np.mean(p - train_y)
    return float(np.mean((held_out @ w + b > 0) == test_y))


def _gradient_descent(x, y, sign=1.0, bias=True):
    w, b = np.zeros(x.shape[1]), 0.0
    with np.errstate(over="ignore"):
        for _ in range(500):
            p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
            w -= sign * 0.5 * x.T @ (p - y) / len(x)
            b -= sign * 0.5 * np.mean(p - y) if bias else 0.0
    return w, b


def _standardized(train_x, test_x):
    mean, std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-8
    return (train_x - mean) / std, (test_x - mean) / std


def _on_training_rows(train_x, train_y, test_x, test_y):
    return probe_accuracy(train_x, train_y, train_x, train_y)


def _uphill(train_x, train_y, test_x, test_y):
    x, held_out = _standardized(train_x, test_x)
    w, b = _gradient_descent(x, train_y, sign=-1.0)
    return float(np.mean((held_out @ w + b > 0) == test_y))


def _no_bias(train_x, train_y, test_x, test_y):
    x, held_out = _standardized(train_x, test_x)
    w, _ = _gradient_descent(x, train_y, bias=False)
    return float(np.mean((held_out @ w > 0) == test_y))


def _not_standardized(train_x, train_y, test_x, test_y):
    w, b = _gradient_descent(train_x, train_y)
    return float(np.mean((test_x @ w + b > 0) == test_y))


def _own_statistics(train_x, train_y, test_x, test_y):
    x = (train_x - train_x.mean(axis=0)) / (train_x.std(axis=0) + 1e-8)
    held_out = (test_x - test_x.mean(axis=0)) / (test_x.std(axis=0) + 1e-8)
    w, b = _gradient_descent(x, train_y)
    return float(np.mean((held_out @ w + b > 0) == test_y))


def _split(x: np.ndarray, y: np.ndarray, n_fit: int) -> tuple[np.ndarray, ...]:
    return x[:n_fit], y[:n_fit], x[n_fit:], y[n_fit:]


def _probe_cases() -> list[Case]:
    rng = np.random.default_rng(606)
    cases = []
    y = np.arange(400) % 2
    x = rng.normal(0, 1, (400, 2)) + np.where(y[:, None] == 1, [3.0, 1.0], [-3.0, -1.0])
    cases.append(Case("two well-separated clouds of 2-feature activations, 200 to fit and "
                      "200 held out", _split(x, y, 200)))  # fmt: skip
    u = rng.uniform(0, 1, 400)
    u = u[(u < 0.15) | (u > 0.25)][:300]
    x, y = np.stack([u, rng.normal(0, 1, len(u))], axis=1), (u > 0.2).astype(np.int64)
    cases.append(Case("a label carried by one of 2 features, with about 80% of the rows "
                      "labelled 1", _split(x, y, 150)))  # fmt: skip
    x, y = rng.normal(0, 1, (460, 40)), rng.integers(0, 2, 460)
    cases.append(Case("random labels on 40 features (nothing to learn): 60 rows to fit, "
                      "400 held out", _split(x, y, 60)))  # fmt: skip
    bits = rng.integers(0, 2, (600, 10)) * 2.0 - 1.0
    y = (bits[:, 0] != bits[:, 1]).astype(np.int64)
    cases.append(Case("the notebook's raw input: two cue bits (+-1) and eight noise bits, "
                      "labelled with the XOR of the cues", _split(bits, y, 300)))  # fmt: skip
    x = np.concatenate([bits, bits[:, :1] * bits[:, 1:2]], axis=1)
    cases.append(Case("the same bits plus a unit that multiplies the two cue bits",
                      _split(x, y, 300)))  # fmt: skip
    y = rng.integers(0, 2, 400)
    x = rng.normal(0, 1, (400, 3)) * [100.0, 50.0, 200.0] + 300.0 + y[:, None] * [150.0, 0, 0]
    cases.append(Case("activations in the hundreds, one of 3 columns carrying the label",
                      _split(x, y, 200)))  # fmt: skip
    fit = rng.normal(0.0, 1.0, (300, 1))
    held_out = rng.normal(1.5, 1.0, (300, 1))  # the same rule, on states further along
    cases.append(Case("one feature whose sign is the label; the held-out states lie further up "
                      "(mean 1.5 instead of 0)", (fit, (fit[:, 0] > 0).astype(np.int64),
                      held_out, (held_out[:, 0] > 0).astype(np.int64))))  # fmt: skip
    return cases


def compare_accuracy(expected: object, got: object) -> str | None:
    """Whether two held-out accuracies agree within :data:`PROBE_TOLERANCE`.

    Returns:
        What differs, or None.
    """
    problem = compare_arrays(expected, got, rtol=0.0, atol=PROBE_TOLERANCE)
    if problem is None or "shape" in problem or "numbers" in problem:
        return problem
    return (
        f"expected an accuracy of {float(expected):.3f} (give or take {PROBE_TOLERANCE}), "
        f"got {float(np.asarray(got)):.3f}"
    )


@dataclass(frozen=True)
class Probes:
    """The learner's probe and the course's on notebook 06's trained network.

    Attributes:
        yours: ``{features: held-out accuracy}`` with the learner's probe.
        course: The same with the course's probe
            (:func:`mesatoys.experiments.probing.probe_accuracy`).
        chance: Accuracy of always guessing the commoner label.
        n_fit: States the probes were fitted on.
        n_test: States they were tested on.
    """

    yours: dict[str, float]
    course: dict[str, float]
    chance: float
    n_fit: int
    n_test: int

    def __str__(self) -> str:
        lines = [
            f"Held-out accuracy ({self.n_fit} states to fit, {self.n_test} held out):",
            f"  {'read from':<34}{'your probe':>11}{'the course':>12}",
        ]
        for name, label in PROBE_LABELS.items():
            lines.append(f"  {label:<34}{self.yours[name]:>11.1%}{self.course[name]:>12.1%}")
        lines.append(f"  {'chance (the commoner label)':<34}{self.chance:>11.1%}")
        return "\n".join(lines)

    __repr__ = __str__


PROBE_LABELS = {
    "hidden": "the trained network's last layer",
    "raw": "the raw input",
    "untrained": "an untrained network's last layer",
    "shuffled": "last layer, shuffled labels",
}


def probes_with(
    probe: Callable[..., float], config: probing.Config | None = None, seed: int = 0
) -> Probes:
    """Train notebook 06's network and read its goal with ``probe`` and with the course's.

    The draws are those of :func:`mesatoys.experiments.probing.run`, so the course's
    column repeats that run's numbers.

    Args:
        probe: ``probe(train_x, train_y, test_x, test_y) -> accuracy``, like
            :func:`probe_accuracy`.
        config: The probing toy's settings (default: the notebook's).
        seed: Its seed.

    Returns:
        Both probes' held-out accuracies on every set of features.
    """
    config = probing.Config() if config is None else config
    train_rng, episode_rng, control_rng = np.random.default_rng([seed, 5]).spawn(3)
    net, _ = probing.train_policy(config, train_rng)
    episodes = probing.sample_states(
        config.n_episodes, config.room, episode_rng, config.n_distractors
    )
    played = probing.play(net, episodes, config.room, config.max_steps)
    label = played.reached[played.episode]
    fit = (label >= 0) & (played.episode < config.n_episodes // 2)
    test = (label >= 0) & ~fit
    y = (label == 0).astype(np.int64)
    hidden = net.forward(played.x, return_hidden=True)[1][-1]
    untrained = MLP.init(probing.layer_sizes(config), control_rng, dtype=np.float64)
    features = {
        "hidden": hidden,
        "raw": played.x,
        "untrained": untrained.forward(played.x, return_hidden=True)[1][-1],
    }
    shuffles = [_shuffled_labels(played, fit, control_rng) for _ in range(config.n_shuffles)]
    scores = {}
    for who, run_probe in (("yours", probe), ("course", _course_probe(config))):
        scores[who] = {
            name: float(run_probe(f[fit], y[fit], f[test], y[test])) for name, f in features.items()
        }
        scores[who]["shuffled"] = float(
            np.mean([run_probe(hidden[fit], s, hidden[test], y[test]) for s in shuffles])
        )
    common = int(y[fit].mean() >= 0.5)
    chance = float((y[test] == common).mean())
    return Probes(scores["yours"], scores["course"], chance, int(fit.sum()), int(test.sum()))


def _course_probe(config: probing.Config) -> Callable[..., float]:
    def course(train_x, train_y, test_x, test_y):
        return probing.probe_accuracy(train_x, train_y, test_x, test_y, config.probe_l2)

    return course


def _shuffled_labels(played: probing.Play, fit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The fitting states' labels, whole episodes' labels permuted among episodes."""
    episodes = np.unique(played.episode[fit])
    relabel = np.full(len(played.reached), -1)
    relabel[episodes] = played.reached[rng.permutation(episodes)]
    return (relabel[played.episode[fit]] == 0).astype(np.int64)


# --- cheese_vector -------------------------------------------------------------------------------


def cheese_vector(with_cheese, without_cheese, open_cells):
    """One level's cheese vector: the mean change the cheese makes to the hidden layer.

    Args:
        with_cheese: (cells, hidden) array: the hidden layer's activations with the
            agent on each cell of the level, one row per cell, the cheese in its place.
        without_cheese: (cells, hidden) array: the same states with the cheese taken out
            of the network's input.
        open_cells: (cells,) bool array: True where the cell is floor, False where it is
            an obstacle (the agent is never there, so those rows do not count).

    Returns:
        (hidden,) array: the mean over the floor cells of with_cheese minus
        without_cheese.
    """
    difference = with_cheese[open_cells] - without_cheese[open_cells]
    return difference.mean(axis=0)


def _reversed(with_cheese, without_cheese, open_cells):
    return (without_cheese[open_cells] - with_cheese[open_cells]).mean(axis=0)


def _every_cell(with_cheese, without_cheese, open_cells):
    return (with_cheese - without_cheese).mean(axis=0)


def _over_units(with_cheese, without_cheese, open_cells):
    return (with_cheese[open_cells] - without_cheese[open_cells]).mean(axis=1)


def _summed(with_cheese, without_cheese, open_cells):
    return (with_cheese[open_cells] - without_cheese[open_cells]).sum(axis=0)


def _divided_by_every_cell(with_cheese, without_cheese, open_cells):
    return (with_cheese[open_cells] - without_cheese[open_cells]).sum(axis=0) / len(open_cells)


def _vector_cases() -> list[Case]:
    rng = np.random.default_rng(818)
    without = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.5], [2.0, 2.0, 0.0], [0.0, 3.0, 1.0]])
    with_ = without + np.array([[1.0, 0.0, -1.0], [2.0, 0.5, -1.0], [0.0, 1.0, -2.0],
                                [1.0, 0.5, 0.0]])  # fmt: skip
    cases = [Case("a level of 4 floor cells and 3 hidden units", (with_, without,
                  np.ones(4, dtype=bool)))]  # fmt: skip
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    pre = rng.normal(0.0, 1.0, (49, 64))
    shift = rng.normal(0.0, 0.5, 64)
    open_cells = np.ones(49, dtype=bool)
    open_cells[[10, 24, 40]] = False
    cases.append(
        Case(
            "a 7 x 7 room with 3 obstacles (49 cells, 46 of them floor), 64 hidden "
            "units after a ReLU",
            (relu(pre + shift), relu(pre), open_cells),
        )
    )
    huge = relu(pre + shift)
    huge[~open_cells] = 1000.0
    cases.append(Case("the same room with nonsense activations of 1000 on the obstacles' rows "
                      "(they must not count)", (huge, relu(pre), open_cells)))  # fmt: skip
    one = rng.normal(0.0, 1.0, (6, 1))
    cases.append(Case("one hidden unit that the cheese raises by 1 on every floor cell, "
                      "6 cells, 2 of them obstacles", (one + 1.0, one,
                      np.array([True, False, True, True, False, True]))))  # fmt: skip
    return cases


@dataclass(frozen=True)
class Steered:
    """Notebook 06's network steered with the learner's cheese vectors and with the course's.

    Attributes:
        yours: The steering with the learner's vectors
            (:class:`mesatoys.experiments.network_misgeneralization.Steering`).
        course: The same with the course's.
    """

    yours: nm.Steering
    course: nm.Steering

    def __str__(self) -> str:
        c = self.course
        lines = [
            f"The network trained at alpha = 0.3, on {c.n_levels} test levels, with each "
            f"level's cheese vector subtracted (x{c.coefficient:g}):",
            f"  {'':<28}{'reached the cheese':>20}{'corner first':>14}",
            f"  {'without a vector':<28}{c.unsteered['true_goal_rate']:>20.1%}"
            f"{c.unsteered['proxy_rate']:>14.1%}",
        ]
        for label, s in (("your cheese_vector", self.yours), ("the course's", self.course)):
            lines.append(f"  {label:<28}{s.true_goal_rate:>20.1%}{s.proxy_rate:>14.1%}")
        return "\n".join(lines)

    __repr__ = __str__


def steering_with(
    rule: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    result: nm.Result,
    coefficient: float = 1.0,
) -> Steered:
    """Steer a trained network with ``rule``'s cheese vectors and with the course's.

    Args:
        rule: ``rule(with_cheese, without_cheese, open_cells) -> vector``, like
            :func:`cheese_vector`.
        result: A run of :func:`mesatoys.experiments.network_misgeneralization.run`
            (notebook 06 uses the network trained at alpha = 0.3).
        coefficient: How many times the vectors are subtracted.

    Returns:
        Both steerings, played with the same sampled moves.
    """
    return Steered(
        yours=nm.steer(result, coefficient, rule=rule),
        course=nm.steer(result, coefficient),
    )


# --- audit_mask ----------------------------------------------------------------------------------


def audit_mask(scores, honest_scores, audit_budget):
    """Which solutions trusted monitoring sends to the human auditors.

    The threshold is fixed in advance, from suspicion scores of honest solutions, so
    that an honest model would be audited on audit_budget of its tasks.

    Args:
        scores: array of any shape: the suspicion scores of the solutions to judge.
        honest_scores: (n,) array: suspicion scores of honest solutions, collected
            beforehand.
        audit_budget: the fraction of tasks the auditors can check, from 0 to 1.

    Returns:
        bool array shaped like scores: True where the score is at or above the
        threshold, the (1 - audit_budget) quantile of honest_scores (np.quantile with
        its default method).
    """
    threshold = np.quantile(honest_scores, 1.0 - audit_budget)
    return scores >= threshold


def _threshold_from_judged(scores, honest_scores, audit_budget):
    return scores >= np.quantile(scores, 1.0 - audit_budget)


def _wrong_end(scores, honest_scores, audit_budget):
    return scores >= np.quantile(honest_scores, audit_budget)


def _percent(scores, honest_scores, audit_budget):
    return scores >= np.percentile(honest_scores, 1.0 - audit_budget)


def _strictly_above(scores, honest_scores, audit_budget):
    return scores > np.quantile(honest_scores, 1.0 - audit_budget)


def _audit_cases() -> list[Case]:
    rng = np.random.default_rng(707)
    honest = np.arange(101.0)
    judged = np.array([1.5, 10.0, 50.0, 97.5, 98.0, 99.0, 120.0, 150.0])
    many_honest = rng.standard_normal(10_000)
    return [
        Case(
            f"honest scores 0, 1, ..., 100 and the scores {judged.tolist()}, budget 0.02",
            (judged, honest, 0.02),
        ),
        Case(
            "a budget of 0 (only a score at or above the highest honest one is audited)",
            (np.array([50.0, 99.9, 100.0, 130.0]), honest, 0.0),
        ),
        Case(
            "a budget of 1 (every score at or above the lowest honest one)",
            (np.array([-5.0, 0.0, 0.5, 100.0]), honest, 1.0),
        ),
        Case(
            "3 deployments of 400 tasks, attacks 2 above honest, 10,000 shuffled honest "
            "scores, budget 0.02",
            (rng.standard_normal((3, 400)) + 2.0 * (rng.random((3, 400)) < 0.1), many_honest, 0.02),
        ),
        Case(
            "honest scores 1, 2, 3, 4, 5, budget 0.25 (the threshold, 4, is itself a score)",
            (np.array([3.0, 3.9, 4.0, 4.5, 6.0]), np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 0.25),
        ),
    ]


def compare_audits(expected: object, got: object) -> str | None:
    """Whether the learner audits exactly the solutions the reference audits.

    Returns:
        What differs, or None.
    """
    problem = compare_arrays(expected, got, rtol=0.0, atol=0.0)
    if problem is None or "shape" in problem or "numbers" in problem:
        return problem
    want, have = np.asarray(expected, dtype=bool), np.asarray(got, dtype=float) != 0
    where = tuple(int(i) for i in np.argwhere(want != have)[0])
    index = where[0] if len(where) == 1 else where
    verb = "audits" if have[where] else "does not audit"
    return (
        f"audits {int(have.sum())} of the {have.size} solutions where {int(want.sum())} "
        f"should be audited (it {verb} the one at index {index})"
    )


@dataclass(frozen=True)
class Control:
    """Trusted monitoring with the learner's audits, beside the course's.

    Attributes:
        config: The control game's settings.
        audited: ``(yours, course)`` fraction of an honest model's tasks audited.
        safety: ``(yours, course)`` safety against the red team's best attack rate.
        best_attack_rate: ``(yours, course)`` that attack rate.
    """

    config: ac.Config
    audited: tuple[float, float]
    safety: tuple[float, float]
    best_attack_rate: tuple[float, float]

    def __str__(self) -> str:
        c = self.config
        lines = [
            f"Trusted monitoring, audit budget {c.audit_budget:.0%}, monitor quality "
            f"{c.monitor_quality:g}, {c.n_deployments} deployments of {c.n_tasks} tasks:"
        ]
        for i, who in enumerate(("your audit_mask:", "the course's:")):
            lines.append(
                f"  {who:<17}audits {self.audited[i]:.1%} of an honest model's tasks; safety "
                f"{self.safety[i]:.1%} against the best attack (rate {self.best_attack_rate[i]:g})"
            )
        return "\n".join(lines)

    __repr__ = __str__


def control_with(
    mask: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
    config: ac.Config | None = None,
    seed: int = 0,
    n_honest: int = 100_000,
) -> Control:
    """Play notebook 06's control game with ``mask`` deciding the audits.

    The learner's threshold is set on ``n_honest`` honest scores drawn beforehand (from
    the honest model's score distribution, a standard normal); the course's is the exact
    quantile of that distribution. Both play on the same simulated deployments. As the
    course reads every attack rate off one set of draws, ``mask`` is called on the scores
    every task would get if it were attacked (which tasks an attack would be audited on),
    and on the honest scores of the same tasks (the audit fraction of an honest model).

    Args:
        mask: ``mask(scores, honest_scores, audit_budget)``, like :func:`audit_mask`.
        config: The control game's settings (default: the notebook's).
        seed: Seed of the deployments (the honest sample uses its own stream).
        n_honest: Honest scores to set the threshold on.

    Returns:
        Audit fractions and safety, yours and the course's.
    """
    config = ac.Config() if config is None else config
    draws = ac.draw_deployments(config, np.random.default_rng(seed))
    honest = np.random.default_rng([seed, 1]).standard_normal(n_honest)
    attack_scores = draws.noise + np.float32(config.monitor_quality)
    audited = np.asarray(mask(attack_scores, honest.copy(), config.audit_budget), dtype=bool)
    lost = ~audited & draws.backdoor_works
    _, red_wins = ac.first_decisive_attack(draws.attack_draw, audited, lost, config.attack_rates)
    best = int(np.argmin(1.0 - red_wins))
    honest_audits = np.asarray(mask(draws.noise, honest.copy(), config.audit_budget), dtype=bool)
    course = ac.evaluate_protocol("trusted_monitoring", config, draws)
    return Control(
        config=config,
        audited=(float(honest_audits.mean()), course.audit_fraction),
        safety=(float(1.0 - red_wins[best]), course.worst_case_safety),
        best_attack_rate=(float(config.attack_rates[best]), course.best_attack_rate),
    )


EXERCISES = {
    "probe_accuracy": Exercise(
        id="probe_accuracy",
        notebook=NOTEBOOK,
        title="A linear probe, tested on held-out states",
        reference=probe_accuracy,
        cases=_probe_cases,
        mistakes=(
            Mistake(
                _uphill,
                "add the gradient instead of subtracting it: that climbs the loss, so the "
                "probe learns the opposite of the label",
            ),
            Mistake(
                _no_bias,
                "leave out the bias b: without it the probe's boundary must pass through the "
                "middle of the data, which is wrong when most rows share one label",
            ),
            Mistake(
                _on_training_rows,
                "score the probe on the rows it was fitted on: a probe with many features "
                "can memorise them, even random labels; only held-out rows tell",
            ),
            Mistake(
                _not_standardized,
                "skip standardizing: on activations in the hundreds a step of 0.5 is far "
                "too large, and the fit goes wrong",
            ),
            Mistake(
                _own_statistics,
                "standardize the held-out rows with their own mean and deviation: the probe's "
                "rule was fitted on the training rows' scale, so use their mean and deviation "
                "for both sets",
            ),
        ),
        hints=(
            "standardize with the training rows' statistics: `mean = train_x.mean(axis=0)`, "
            "`std = train_x.std(axis=0) + 1e-8`, and apply both to `train_x` and `test_x`.",
            "in the loop: `p = 1 / (1 + np.exp(-(x @ w + b)))`, then "
            "`w -= 0.5 * x.T @ (p - train_y) / len(x)` and `b -= 0.5 * np.mean(p - train_y)`.",
            "score on the held-out rows only: `np.mean((test @ w + b > 0) == test_y)`, with "
            "`test` the standardized `test_x`.",
        ),
        compare=compare_accuracy,
    ),
    "cheese_vector": Exercise(
        id="cheese_vector",
        notebook=NOTEBOOK,
        title="A steering vector from activations",
        reference=cheese_vector,
        cases=_vector_cases,
        mistakes=(
            Mistake(
                _reversed,
                "subtract the other way round (without minus with): that is minus the cheese "
                "vector, so steering with it adds the cheese instead of taking it away",
            ),
            Mistake(
                _over_units,
                "average over the hidden units (axis 1) instead of over the cells (axis 0): "
                "the vector needs one number per hidden unit",
            ),
            Mistake(
                _summed,
                "sum over the cells instead of averaging: the vector grows with the size "
                "of the level",
            ),
            Mistake(
                _every_cell,
                "average over every cell, obstacles included: the agent never stands on an "
                "obstacle, so those rows are not states of the level",
            ),
            Mistake(
                _divided_by_every_cell,
                "add up the floor cells but divide by the number of all cells: divide by "
                "the number of floor cells",
            ),
        ),
        hints=(
            "keep only the floor cells' rows: `with_cheese[open_cells]` (a boolean index) and "
            "the same for `without_cheese`.",
            "the difference `with_cheese[open_cells] - without_cheese[open_cells]` has one row "
            "per floor cell and one column per hidden unit.",
            "average its rows: `.mean(axis=0)` gives one number per hidden unit.",
        ),
    ),
    "audit_mask": Exercise(
        id="audit_mask",
        notebook=NOTEBOOK,
        title="Trusted monitoring: what to audit",
        reference=audit_mask,
        cases=_audit_cases,
        mistakes=(
            Mistake(
                _threshold_from_judged,
                "take the threshold from the scores being judged instead of the honest "
                "ones: that audits the top share of whatever comes in, attacks or not, and "
                "needs every score before the first audit",
            ),
            Mistake(
                _wrong_end,
                "take the audit_budget quantile: that is the score that nearly all honest "
                "solutions lie above, so nearly every task is audited",
            ),
            Mistake(
                _percent,
                "give np.percentile a fraction: it counts in percent (0 to 100); "
                "np.quantile takes fractions",
            ),
            Mistake(
                _strictly_above,
                "audit only scores strictly above the threshold: a score equal to it is "
                "audited too",
            ),
        ),
        hints=(
            "the threshold comes from `honest_scores` alone, before any solution is judged: "
            "an honest model should land above it on `audit_budget` of its tasks.",
            "the score that a fraction `audit_budget` of honest scores lie above is their "
            "`1 - audit_budget` quantile: `np.quantile(honest_scores, 1 - audit_budget)`.",
            "compare every score with it at once: `scores >= threshold`.",
        ),
        compare=compare_audits,
    ),
}
