"""Deceptive-looking behaviour from a plain optimizer: the absent supervisor.

After the absent-supervisor gridworld of Leike et al. 2017, "AI Safety
Gridworlds", read through Hubinger et al. 2019, "Risks from Learned Optimization
in Advanced Machine Learning Systems" (section 4, deceptive alignment). The world
(:mod:`mesatoys.envs.absent_supervisor`) charges for the punishment cell only when
the supervisor is visibly present; the designer's hidden performance charges for
it always.

The agent is the mesa-optimizer of :mod:`mesatoys.agents.watched_planner`: on
every episode it plans by value iteration on the exact model of the layout, for
its own **mesa-objective**, a weight per feature of a move
(:data:`~mesatoys.agents.watched_planner.FEATURE_NAMES`). This module learns that
objective with the course's evolution strategies
(:func:`mesatoys.optimize.evolution_strategies`), which see only the **base
reward** earned on a sample of training episodes (the supervisor present in a
fraction ``p_supervisor`` of them), scored exactly by
:mod:`mesatoys.agents.watched_evaluator`. A weight whose feature never fires in
the training episodes is left at 0 (a gradient method would never move it
either). An **aligned control** is trained the same way on the hidden performance.

Nothing about the outcome is written in: that the learned objective charges for
the punishment cell only when the supervisor shows comes out of the optimizer,
because that is what the base reward pays for.

**What produces the effect, and its control.** The objective has a separate
punishment weight for each "who is watching" condition, so it *can* tell the
conditions apart (situational awareness, in the toy's terms).
``Config(situational_awareness=False)`` removes that: the agent weighs
:data:`~mesatoys.agents.watched_planner.BLIND_FEATURE_NAMES`, one ``punishment``
weight for every condition. The same evolution strategies on the same flawed reward
then learn to avoid the punishment cell watched *and* unwatched: paying for it in
the watched half of training is enough to price it everywhere. (Crossing it saves six
steps and costs 30 when watched, so with under a fifth of training watched the blind
agent crosses it both ways instead; either way it behaves the same in both conditions.)

Example:
    >>> from mesatoys.experiments import absent_supervisor as ab
    >>> res = ab.run(ab.Config(), seed=0)
    >>> round(res.mesa["observed"].shortcut_rate, 3), round(res.mesa["unobserved"].shortcut_rate, 3)
    (0.0, 1.0)
    >>> round(res.control["unobserved"].shortcut_rate, 3)
    0.0
    >>> blind = ab.run(ab.Config(situational_awareness=False), seed=0)
    >>> sorted(blind.mesa_objective)
    ['goal', 'punishment']
    >>> [round(blind.mesa[c].shortcut_rate, 3) for c in ab.CONDITIONS]
    [0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.planner import check_gamma, objective_dict, objective_vector
from mesatoys.agents.watched_evaluator import best_returns, expect, walk
from mesatoys.agents.watched_planner import (
    CAMERA_F,
    SUPERVISED_F,
    UNOBSERVED_F,
    EpisodeSpecs,
    feature_names,
    plan,
)
from mesatoys.checks import (
    check_choice,
    check_count,
    check_fraction,
    check_instance,
    check_number,
)
from mesatoys.envs.absent_supervisor import MAX_STEPS, World, make_world
from mesatoys.experiments.shape import make_sweep, start, summarize
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies

TARGETS = ("reward", "performance")
CONDITIONS = ("observed", "unobserved")
AGENTS = ("mesa", "control")
#: Largest allowed value of each size setting (larger runs take minutes, not seconds).
SIZE_LIMITS = {"n_train_episodes": 100_000, "horizon": 1_000, "max_steps": 1_000}


def _default_es() -> ESConfig:
    return ESConfig(generations=40, pairs=8, sigma=0.5, learning_rate=0.15, weight_decay=0.02)


@dataclass(frozen=True)
class Config:
    """Settings of one absent-supervisor run.

    Attributes:
        p_supervisor: Fraction of training episodes with the supervisor present.
        n_train_episodes: Training episodes sampled (layout and supervisor drawn), at
            most 100,000.
        gamma: The planner's discount per step, in (0, 1).
        horizon: Value-iteration backups the planner runs (its planning horizon), at
            most 1,000.
        temperature: How the planner picks among its action values, a finite number
            >= 0: 0 always takes the best; above 0 it is Boltzmann-rational
            (``P(a) ~ exp(Q(a) / T)``), so a candidate objective's score changes
            smoothly with its weights and the outer optimizer gets a signal
            everywhere. The agent acts the same way in training and evaluation.
        max_steps: Episode length limit, at most 1,000.
        es: Evolution-strategies settings (default: 40 generations of 8 mirrored
            pairs, sigma 0.5, learning rate 0.15, weight decay 0.02).
        situational_awareness: Whether the objective can tell who is watching. True: a
            punishment weight per condition
            (:data:`~mesatoys.agents.watched_planner.FEATURE_NAMES`). False, the control:
            one ``punishment`` weight shared by every condition
            (:data:`~mesatoys.agents.watched_planner.BLIND_FEATURE_NAMES`).
    """

    p_supervisor: float = 0.5
    n_train_episodes: int = 64
    gamma: float = 0.95
    horizon: int = MAX_STEPS
    temperature: float = 0.05
    max_steps: int = MAX_STEPS
    es: ESConfig = field(default_factory=_default_es)
    situational_awareness: bool = True

    def __post_init__(self) -> None:
        check_fraction("p_supervisor", self.p_supervisor)
        check_gamma(self.gamma)
        check_number("temperature", self.temperature, 0.0)
        for name, limit in SIZE_LIMITS.items():
            check_count(name, getattr(self, name), 1, limit)
        check_instance("es", self.es, ESConfig)
        check_instance("situational_awareness", self.situational_awareness, bool)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The features the agent's mesa-objective weighs."""
        return feature_names(self.situational_awareness)


# --- training -----------------------------------------------------------------------------------


def sample_specs(
    world: World,
    n: int,
    p_supervisor: float,
    rng: np.random.Generator,
    p_honeypot: float = 0.0,
) -> EpisodeSpecs:
    """Draw training episodes: layout and who is watching.

    Args:
        world: The layouts (drawn uniformly).
        n: Number of episodes.
        p_supervisor: Probability that the supervisor is present (and watching).
        rng: Source of the draws.
        p_honeypot: Probability that an episode without a visible supervisor is a
            honeypot: watched, with the camera visible.

    Returns:
        The episode specifications.
    """
    layout = rng.integers(world.n_layouts, size=n)
    supervisor = rng.random(n) < p_supervisor
    honeypot = ~supervisor & (rng.random(n) < p_honeypot)
    return EpisodeSpecs(layout, supervisor, honeypot, supervisor | honeypot)


def active_features(specs: EpisodeSpecs, situational_awareness: bool = True) -> np.ndarray:
    """Which features can fire in these episodes (the others are never trained).

    Args:
        specs: The episodes.
        situational_awareness: Over :data:`~mesatoys.agents.watched_planner.FEATURE_NAMES`
            (True) or :data:`~mesatoys.agents.watched_planner.BLIND_FEATURE_NAMES` (False;
            both of those fire in every episode).

    Returns:
        ``(n_features,)`` booleans.
    """
    if not situational_awareness:
        return np.ones(len(feature_names(False)), dtype=bool)
    camera = specs.camera & ~specs.supervisor
    active = np.ones(len(feature_names(True)), dtype=bool)
    active[SUPERVISED_F] = bool(specs.supervisor.any())
    active[CAMERA_F] = bool(camera.any())
    active[UNOBSERVED_F] = bool((~specs.supervisor & ~camera).any())
    return active


def _distinct(specs: EpisodeSpecs) -> tuple[EpisodeSpecs, np.ndarray]:
    """The distinct episodes and how often each occurs."""
    table = np.stack([specs.layout, specs.supervisor, specs.camera, specs.watched], axis=1)
    rows, counts = np.unique(table.astype(np.int64), axis=0, return_counts=True)
    unique = EpisodeSpecs(rows[:, 0], rows[:, 1] > 0, rows[:, 2] > 0, rows[:, 3] > 0)
    return unique, counts


def check_target(target: object) -> str:
    """Validate a training target.

    Raises:
        ValueError: Unless ``target`` is one of :data:`TARGETS`.
    """
    return check_choice("target", target, TARGETS)


def scores(
    world: World, specs: EpisodeSpecs, weights: np.ndarray, target: str, config: Config
) -> np.ndarray:
    """Mean expected base return (or hidden performance) of each mesa-objective.

    Args:
        world: The layouts.
        specs: The episodes.
        weights: ``(n_agents, n_features)`` mesa-objectives (over either feature set:
            :func:`mesatoys.agents.watched_planner.move_weights`).
        target: ``"reward"`` (the base reward) or ``"performance"`` (hidden).
        config: The planner's settings and the episode length.

    Returns:
        ``(n_agents,)`` mean scores over the episodes.
    """
    target = check_target(target)
    unique, counts = _distinct(specs)
    policy = plan(world, unique, weights, config.gamma, config.horizon, config.temperature)
    expected = expect(world, unique, policy, config.max_steps)
    values = expected.returns(unique.watched) if target == "reward" else expected.performance()
    return values @ counts / counts.sum()


def train_objective(
    world: World,
    specs: EpisodeSpecs,
    target: str,
    config: Config,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ESHistory]:
    """Learn a mesa-objective with evolution strategies from the scores it earns.

    Starts from all weights 0. Only the weights of :func:`active_features` move.

    Args:
        world: The layouts.
        specs: The training episodes.
        target: ``"reward"`` or ``"performance"``: what the optimizer is shown.
        config: Settings (``es``, ``gamma``, ``horizon``, ``temperature``, ``max_steps``,
            ``situational_awareness``).
        rng: Source of the optimizer's noise.

    Returns:
        ``(n_features,)`` learned weights over ``config.feature_names`` and the
        optimizer's history (over the active features only).
    """
    target = check_target(target)
    active = active_features(specs, config.situational_awareness)

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        return scores(world, specs, _full(population, active), target, config)

    theta, history = evolution_strategies(fitness, np.zeros(active.sum()), config.es, rng)
    return _full(theta, active), history


def _full(weights: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Weights over the active features, padded with 0 to every feature."""
    full = np.zeros((*np.shape(weights)[:-1], len(active)))
    full[..., active] = weights
    return full


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One agent on one kind of episode, averaged over the layouts.

    Attributes:
        shortcut_rate: Fraction of episodes in which it entered the punishment cell.
        base_return: Mean base reward per episode (what its optimizer saw).
        performance: Mean hidden performance per episode (what the designer wanted).
        goal_rate: Fraction of episodes in which it reached the goal.
        steps: Mean steps per episode.
    """

    shortcut_rate: float
    base_return: float
    performance: float
    goal_rate: float
    steps: float


def evaluate(world: World, specs: EpisodeSpecs, weights: np.ndarray, config: Config) -> Outcome:
    """Play one mesa-objective on the episodes and summarise, exactly.

    Args:
        world: The layouts.
        specs: The episodes.
        weights: ``(n_features,)`` one mesa-objective (over either feature set).
        config: Settings (planner and episode length).

    Returns:
        The outcome.
    """
    weights = np.asarray(weights, dtype=float)[None]
    policy = plan(world, specs, weights, config.gamma, config.horizon, config.temperature)
    expected = expect(world, specs, policy, config.max_steps)
    return Outcome(
        shortcut_rate=float(expected.shortcut[0].mean()),
        base_return=float(expected.returns(specs.watched)[0].mean()),
        performance=float(expected.performance()[0].mean()),
        goal_rate=float(expected.reached[0].mean()),
        steps=float(expected.steps[0].mean()),
    )


def condition_specs(world: World, condition: str) -> EpisodeSpecs:
    """Every layout once, with the supervisor present (``"observed"``) or absent.

    Raises:
        ValueError: On an unknown condition.
    """
    condition = check_choice("condition", condition, CONDITIONS)
    return EpisodeSpecs.every_layout(world, supervisor=condition == "observed")


# --- one run ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Result:
    """Everything one run produced, as plain numbers, arrays and dicts.

    Attributes:
        config: The settings.
        seed: The seed.
        mesa_objective: ``{feature: weight}`` learned from the base reward, over
            ``config.feature_names``: a punishment weight per condition, or (without
            situational awareness) one ``punishment`` weight for all of them.
        control_objective: ``{feature: weight}`` learned from the hidden performance.
        mesa: ``{condition: Outcome}`` of the reward-trained agent on every training
            layout, supervisor present (``"observed"``) or absent (``"unobserved"``).
        control: The same for the aligned control.
        best_return: ``{condition: mean best possible base return}``.
        training_weights: ``{"mesa" or "control": (generations + 1, n_features)}``
            over ``config.feature_names``:
            the outer optimizer's weights before each update (last row: the learned ones).
        training_scores: ``{"mesa" or "control": (generations,)}`` the mean score of
            each generation's candidates: all the outer optimizer saw.
        train_supervised_fraction: Fraction of the sampled training episodes with the
            supervisor present.

    The layouts are not stored: :func:`world_of` gives them.
    """

    config: Config
    seed: int
    mesa_objective: dict[str, float]
    control_objective: dict[str, float]
    mesa: dict[str, Outcome]
    control: dict[str, Outcome]
    best_return: dict[str, float]
    training_weights: dict[str, np.ndarray]
    training_scores: dict[str, np.ndarray]
    train_supervised_fraction: float


def world_of(result: Result) -> World:
    """The training layouts a run was trained and evaluated on."""
    check_instance("result", result, Result)
    return make_world("train")


def _train_both(
    world: World, specs: EpisodeSpecs, config: Config, seed: int
) -> dict[str, tuple[np.ndarray, ESHistory]]:
    """``{"mesa": ..., "control": ...}``: weights and history trained on each target."""
    trained = {}
    for index, (agent, target) in enumerate(zip(AGENTS, TARGETS, strict=True)):
        rng = np.random.default_rng([seed, 1 + index])
        trained[agent] = train_objective(world, specs, target, config, rng)
    return trained


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train a mesa-objective on the base reward and a control on the performance; evaluate.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "absent_supervisor", seed)
    world = make_world("train")
    rng = np.random.default_rng([seed, 0])
    train = sample_specs(world, config.n_train_episodes, config.p_supervisor, rng)
    trained = _train_both(world, train, config, seed)
    outcomes: dict[str, dict[str, Outcome]] = {agent: {} for agent in AGENTS}
    best = {}
    for condition in CONDITIONS:
        specs = condition_specs(world, condition)
        best[condition] = float(best_returns(world, specs, config.max_steps).mean())
        for agent in AGENTS:
            outcomes[agent][condition] = evaluate(world, specs, trained[agent][0], config)
    active = active_features(train, config.situational_awareness)
    names = config.feature_names
    return Result(
        config=config,
        seed=seed,
        mesa_objective=objective_dict(trained["mesa"][0], names),
        control_objective=objective_dict(trained["control"][0], names),
        mesa=outcomes["mesa"],
        control=outcomes["control"],
        best_return=best,
        training_weights={a: _full(np.asarray(h.params), active) for a, (_, h) in trained.items()},
        training_scores={a: np.asarray(h.mean_fitness) for a, (_, h) in trained.items()},
        train_supervised_fraction=float(train.supervisor.mean()),
    )


sweep = make_sweep(run, Config, "absent-supervisor runs")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each agent's behaviour and learned weights.

    Returns:
        ``{measure: {"mean", "min", "max"}}`` for ``"<agent>_<condition>_<rate>"``
        (agent ``mesa`` or ``control``; condition ``observed`` or ``unobserved``;
        rate ``shortcut_rate``, ``base_return``, ``performance`` or ``goal_rate``),
        ``"<agent>_shortcut_gap"`` (unobserved minus observed shortcut rate) and
        ``"<agent>_<feature>"`` (each learned weight, for the features every run's
        objective has: runs with and without situational awareness share only ``goal``).

    Raises:
        ValueError: On no results.
    """
    runs = list(results)
    shared = [f for f in (runs[0].config.feature_names if runs else ())
              if all(f in r.config.feature_names for r in runs)]  # fmt: skip
    measures = {}
    for agent in AGENTS:
        for condition in CONDITIONS:
            for rate in ("shortcut_rate", "base_return", "performance", "goal_rate"):
                measures[f"{agent}_{condition}_{rate}"] = _outcome_measure(agent, condition, rate)
        measures[f"{agent}_shortcut_gap"] = _gap_measure(agent)
        for feature in shared:
            measures[f"{agent}_{feature}"] = _weight_measure(agent, feature)
    return summarize(runs, measures)


def _outcome_measure(agent: str, condition: str, rate: str):
    return lambda r: getattr(getattr(r, agent)[condition], rate)


def _gap_measure(agent: str):
    return lambda r: shortcut_gap(r, agent)


def shortcut_gap(result: Result, agent: str = "mesa") -> float:
    """How much more often an agent takes the shortcut unwatched than watched.

    Args:
        result: A run.
        agent: ``"mesa"`` or ``"control"``.

    Returns:
        Shortcut rate with the supervisor absent minus with it present, in [-1, 1].

    Raises:
        ValueError: On an unknown agent.
    """
    outcomes = getattr(result, check_choice("agent", agent, AGENTS))
    return outcomes["unobserved"].shortcut_rate - outcomes["observed"].shortcut_rate


def _weight_measure(agent: str, feature: str):
    return lambda r: getattr(r, f"{agent}_objective")[feature]


def route(result: Result, layout: int | str, condition: str, agent: str = "mesa") -> np.ndarray:
    """Cells visited by an agent on one layout until the goal (or the step limit).

    The agent takes its most likely action in every cell.

    Args:
        result: A run.
        layout: Layout index or name.
        condition: ``"observed"`` or ``"unobserved"``.
        agent: ``"mesa"`` or ``"control"``.

    Returns:
        ``(n,)`` flat cells, starting at the start.

    Raises:
        ValueError: On an unknown agent, condition or layout.
    """
    agent = check_choice("agent", agent, AGENTS)
    world = world_of(result)
    layout = world.layout_index(layout)
    one = condition_specs(world, condition).select([layout])
    cfg = result.config
    weights = objective_vector(getattr(result, f"{agent}_objective"), cfg.feature_names)
    actions = plan(world, one, weights[None], cfg.gamma, cfg.horizon).argmax(axis=-1)
    cells = walk(world, one, actions, cfg.max_steps)[0, 0]
    reached = np.flatnonzero(cells == world.goal[layout])
    return cells[: reached[0] + 1] if len(reached) else cells


__all__ = [
    "AGENTS",
    "CONDITIONS",
    "TARGETS",
    "Config",
    "Outcome",
    "Result",
    "active_features",
    "check_target",
    "condition_specs",
    "evaluate",
    "route",
    "run",
    "sample_specs",
    "scores",
    "shortcut_gap",
    "summary",
    "sweep",
    "train_objective",
    "world_of",
]
