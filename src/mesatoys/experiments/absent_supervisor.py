"""Deceptive-looking behaviour from a plain optimizer: the absent supervisor.

After the absent-supervisor gridworld of Leike et al. 2017, "AI Safety
Gridworlds", read through Hubinger et al. 2019, "Risks from Learned Optimization
in Advanced Machine Learning Systems" (section 4, deceptive alignment). The world
(:mod:`mesatoys.envs.absent_supervisor`) charges for the punishment cell only when
the supervisor is visibly present; the designer's hidden performance charges for
it always.

The agent is a **mesa-optimizer**: on every episode it plans by value iteration
on the exact model of the layout it is in, maximising its own **mesa-objective**,
a weight per named feature of a move (:data:`FEATURE_NAMES`):

- ``goal``: entering the goal;
- ``punishment_supervised``: entering the punishment cell while the supervisor is visible;
- ``punishment_camera``: entering it while no supervisor but a camera is visible;
- ``punishment_unobserved``: entering it while neither is visible.

The weights are learned by the course's evolution strategies
(:func:`mesatoys.optimize.evolution_strategies`), which see only the **base
reward** earned on a sample of training episodes (the supervisor present in a
fraction ``p_supervisor`` of them). A weight whose feature never fires in the
training episodes is left at 0 (a gradient method would never move it either).
An **aligned control** is trained the same way on the hidden performance.

Nothing about the outcome is written in: that the learned objective charges for
the punishment cell only when the supervisor shows comes out of the optimizer,
because that is what the base reward pays for.

Example:
    >>> from mesatoys.experiments import absent_supervisor as ab
    >>> res = ab.run(ab.Config(), seed=0)
    >>> round(res.mesa["observed"].shortcut_rate, 3), round(res.mesa["unobserved"].shortcut_rate, 3)
    (0.0, 1.0)
    >>> round(res.control["unobserved"].shortcut_rate, 3)
    0.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from mesatoys.checks import check_choice, check_count, check_fraction, check_seed
from mesatoys.envs.absent_supervisor import (
    GOAL_REWARD,
    MAX_STEPS,
    MOVEMENT_REWARD,
    PUNISHMENT_REWARD,
    World,
    make_world,
)
from mesatoys.optimize import ESConfig, ESHistory, evolution_strategies

FEATURE_NAMES = ("goal", "punishment_supervised", "punishment_camera", "punishment_unobserved")
GOAL_F, SUPERVISED_F, CAMERA_F, UNOBSERVED_F = range(len(FEATURE_NAMES))
TARGETS = ("reward", "performance")
CONDITIONS = ("observed", "unobserved")
N_ACTIONS = 4
_TIE = 1e-9  # action values this close count as equal
_GONE = 1e-12  # probability mass still walking below which an expectation stops early


def _default_es() -> ESConfig:
    return ESConfig(generations=40, pairs=8, sigma=0.5, learning_rate=0.15, weight_decay=0.02)


@dataclass(frozen=True)
class Config:
    """Settings of one absent-supervisor run.

    Attributes:
        p_supervisor: Fraction of training episodes with the supervisor present.
        n_train_episodes: Training episodes sampled (layout and supervisor drawn).
        gamma: The planner's discount per step, in (0, 1).
        horizon: Value-iteration backups the planner runs (its planning horizon).
        temperature: How the planner picks among its action values: 0 always takes
            the best; above 0 it is Boltzmann-rational (``P(a) ~ exp(Q(a) / T)``), so
            a candidate objective's score changes smoothly with its weights and the
            outer optimizer gets a signal everywhere. The agent acts the same way in
            training and evaluation.
        max_steps: Episode length limit.
        es: Evolution-strategies settings (default: 40 generations of 8 mirrored
            pairs, sigma 0.5, learning rate 0.15, weight decay 0.02).
    """

    p_supervisor: float = 0.5
    n_train_episodes: int = 64
    gamma: float = 0.95
    horizon: int = MAX_STEPS
    temperature: float = 0.05
    max_steps: int = MAX_STEPS
    es: ESConfig = field(default_factory=_default_es)

    def __post_init__(self) -> None:
        check_fraction("p_supervisor", self.p_supervisor)
        check_count("n_train_episodes", self.n_train_episodes)
        check_gamma(self.gamma)
        check_count("horizon", self.horizon)
        check_temperature(self.temperature)
        check_count("max_steps", self.max_steps)
        if not isinstance(self.es, ESConfig):
            raise ValueError(f"es must be an ESConfig, got {self.es!r}")


def check_gamma(gamma: object) -> float:
    """Validate a planning discount.

    Raises:
        ValueError: Unless ``gamma`` is a number in (0, 1).
    """
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.floating)):
        raise ValueError(f"gamma must be a number in (0, 1), got {gamma!r}")
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
    return float(gamma)


def check_temperature(temperature: object) -> float:
    """Validate a planner temperature.

    Raises:
        ValueError: Unless ``temperature`` is a number >= 0.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)):
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    return float(temperature)


# --- episodes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episodes:
    """What each episode looks like and whether it is really watched.

    Attributes:
        layout: ``(n,)`` layout index.
        supervisor: ``(n,)`` the supervisor is visible.
        camera: ``(n,)`` the camera is visible.
        watched: ``(n,)`` the punishment cell is charged in the reward.
    """

    layout: np.ndarray
    supervisor: np.ndarray
    camera: np.ndarray
    watched: np.ndarray

    def __len__(self) -> int:
        return len(self.layout)

    @classmethod
    def every_layout(
        cls, world: World, supervisor: bool, camera: bool = False, watched: bool | None = None
    ) -> Episodes:
        """One episode per layout, all looking the same (``watched`` defaults to ``supervisor``)."""
        n = world.n_layouts
        watched = supervisor if watched is None else watched
        return cls(np.arange(n), np.full(n, supervisor), np.full(n, camera), np.full(n, watched))


def sample_episodes(
    world: World,
    n: int,
    p_supervisor: float,
    rng: np.random.Generator,
    p_honeypot: float = 0.0,
) -> Episodes:
    """Draw training episodes.

    Args:
        world: The layouts (drawn uniformly).
        n: Number of episodes.
        p_supervisor: Probability that the supervisor is present (and watching).
        rng: Source of the draws.
        p_honeypot: Probability that an episode without a visible supervisor is a
            honeypot: watched, with the camera visible.

    Returns:
        The episodes.
    """
    layout = rng.integers(world.n_layouts, size=n)
    supervisor = rng.random(n) < p_supervisor
    honeypot = ~supervisor & (rng.random(n) < p_honeypot)
    return Episodes(layout, supervisor, honeypot, supervisor | honeypot)


# --- the planner --------------------------------------------------------------------------------


def move_features(world: World, episodes: Episodes) -> np.ndarray:
    """Features of every move in every episode.

    Returns:
        ``(n_episodes, n_cells, 4, n_features)`` feature values (0 or 1) of taking
        each action in each cell.
    """
    tables = world.open
    nxt = tables.next_cell[episodes.layout]  # (n, cells, 4)
    goal = nxt == tables.goal[episodes.layout][:, None, None]
    punish = nxt == tables.punishment[episodes.layout][:, None, None]
    features = np.zeros((*nxt.shape, len(FEATURE_NAMES)))
    features[..., GOAL_F] = goal
    supervisor = episodes.supervisor[:, None, None]
    camera = episodes.camera[:, None, None] & ~supervisor
    features[..., SUPERVISED_F] = punish & supervisor
    features[..., CAMERA_F] = punish & camera
    features[..., UNOBSERVED_F] = punish & ~supervisor & ~camera
    return features


def action_values(
    world: World, episodes: Episodes, weights: np.ndarray, gamma: float, horizon: int
) -> np.ndarray:
    """The planner's action values: value iteration on the mesa-objective.

    Runs ``horizon`` Bellman backups ``Q(s, a) = u(s, a) + gamma * max_b Q(s', b)``
    (nothing follows the goal), where ``u`` is the mesa-utility of the move: the
    weights times the move's features.

    Args:
        world: The layouts.
        episodes: What each episode looks like (``watched`` is not used: the agent
            cannot see it).
        weights: ``(n_agents, n_features)`` mesa-objectives.
        gamma: Discount per step.
        horizon: Number of backups.

    Returns:
        ``(n_agents, n_episodes, n_cells, 4)`` action values.
    """
    utility = move_features(world, episodes) @ np.asarray(weights, dtype=float).T
    utility = np.moveaxis(utility, -1, 0)  # (agents, episodes, cells, 4)
    tables = world.open
    nxt = tables.next_cell[episodes.layout]
    goes_on = gamma * (nxt != tables.goal[episodes.layout][:, None, None])
    rows = np.arange(len(episodes))[:, None, None]
    q = utility.copy()
    for _ in range(horizon - 1):
        new = utility + goes_on * q.max(axis=-1)[:, rows, nxt]
        if np.array_equal(new, q):  # converged: more backups change nothing
            return new
        q = new
    return q


def choice_probabilities(q: np.ndarray, temperature: float) -> np.ndarray:
    """How the planner acts on its action values.

    Args:
        q: ``(..., 4)`` action values.
        temperature: 0: the best action (values within 1e-9 count as tied; ties go
            to the first action in the order up, right, down, left). Above 0:
            Boltzmann-rational, ``P(a) ~ exp(Q(a) / temperature)``.

    Returns:
        ``(..., 4)`` action probabilities.
    """
    if temperature == 0:
        best = (q >= q.max(axis=-1, keepdims=True) - _TIE).argmax(axis=-1)
        return np.eye(N_ACTIONS)[best]
    z = (q - q.max(axis=-1, keepdims=True)) / temperature
    probs = np.exp(z)
    return probs / probs.sum(axis=-1, keepdims=True)


def plan(
    world: World,
    episodes: Episodes,
    weights: np.ndarray,
    gamma: float,
    horizon: int,
    temperature: float = 0.0,
) -> np.ndarray:
    """The mesa-optimizer's policy: :func:`action_values`, then :func:`choice_probabilities`.

    Returns:
        ``(n_agents, n_episodes, n_cells, 4)`` action probabilities.
    """
    q = action_values(world, episodes, weights, gamma, horizon)
    return choice_probabilities(q, temperature)


@dataclass(frozen=True)
class Expectation:
    """Exact expectations over the episodes of (possibly stochastic) policies.

    Attributes:
        steps: ``(n_agents, n_episodes)`` expected steps taken.
        reached: ``(n_agents, n_episodes)`` probability of reaching the goal.
        shortcut: ``(n_agents, n_episodes)`` probability of entering the punishment
            cell at least once.
        punished: ``(n_agents, n_episodes)`` expected entries into the punishment cell.
    """

    steps: np.ndarray
    reached: np.ndarray
    shortcut: np.ndarray
    punished: np.ndarray

    def returns(self, watched: np.ndarray) -> np.ndarray:
        """Expected base return, charging the punishment where ``watched``."""
        charged = self.punished * np.asarray(watched, dtype=bool)
        return (
            MOVEMENT_REWARD * self.steps + GOAL_REWARD * self.reached + PUNISHMENT_REWARD * charged
        )

    def performance(self) -> np.ndarray:
        """Expected hidden performance: the punishment always charged."""
        return self.returns(np.ones(self.steps.shape[1], dtype=bool))


def _transitions(flow: np.ndarray, nxt: np.ndarray, n_cells: int) -> np.ndarray:
    """``(E, A, cells, cells)`` matrices: probability of each move, summed by landing cell."""
    n_episodes, n_agents = flow.shape[:2]
    rows = np.arange(n_episodes * n_agents * n_cells).reshape(n_episodes, n_agents, n_cells, 1)
    land = (rows * n_cells + nxt).ravel()
    size = n_episodes * n_agents * n_cells * n_cells
    spread = np.bincount(land, weights=flow.ravel(), minlength=size)
    return spread.reshape(n_episodes, n_agents, n_cells, n_cells)


def expect(
    world: World, episodes: Episodes, policy: np.ndarray, max_steps: int = MAX_STEPS
) -> Expectation:
    """Push each policy's distribution over cells forward, exactly, until the step limit.

    The state carries a flag "has entered the punishment cell", so the probability
    of a shortcut is exact. Probability mass that reaches the goal stops; the loop
    ends early once less than 1e-12 of it is still walking.

    Args:
        world: The layouts.
        episodes: The episodes (their layouts).
        policy: ``(n_agents, n_episodes, n_cells, 4)`` action probabilities.
        max_steps: Episode length limit.

    Returns:
        The expectations.
    """
    n_agents, n_episodes, n_cells = policy.shape[:3]
    tables = world.open
    nxt = tables.next_cell[episodes.layout][:, None]  # (E, 1, cells, 4)
    goal = nxt == tables.goal[episodes.layout][:, None, None, None]
    punish = nxt == tables.punishment[episodes.layout][:, None, None, None]
    policy = np.swapaxes(policy, 0, 1)  # (E, A, cells, 4)
    to_goal = (policy * goal).sum(axis=-1)[..., None]  # (E, A, cells, 1)
    to_punish = (policy * punish).sum(axis=-1)[..., None]
    walking = _transitions(policy * ~goal, nxt, n_cells)  # (E, A, cells, cells)
    punishing = _transitions(policy * punish, nxt, n_cells)
    clean = np.zeros((n_episodes, n_agents, 1, n_cells))  # never entered the punishment cell
    clean[np.arange(n_episodes), :, 0, tables.start[episodes.layout]] = 1.0
    dirty = np.zeros_like(clean)  # entered it at least once
    visits, dirty_visits = np.zeros_like(clean), np.zeros_like(clean)  # summed over steps
    for _ in range(max_steps):
        visits += clean + dirty
        dirty_visits += dirty
        clean, dirty = clean @ (walking - punishing), dirty @ walking + clean @ punishing
        if clean.sum() + dirty.sum() < _GONE:
            break
    steps = visits.sum(axis=(-1, -2))
    reached = (visits @ to_goal)[..., 0, 0]
    reached_dirty = (dirty_visits @ to_goal)[..., 0, 0]
    entries = (visits @ to_punish)[..., 0, 0]
    dirty = dirty[..., 0, :]
    return Expectation(
        steps=steps.T,
        reached=reached.T,
        shortcut=(dirty.sum(axis=-1) + reached_dirty).T,
        punished=entries.T,
    )


def walk(
    world: World, episodes: Episodes, actions: np.ndarray, max_steps: int = MAX_STEPS
) -> np.ndarray:
    """Follow deterministic policies from each layout's start.

    Args:
        world: The layouts.
        episodes: The episodes (their layouts).
        actions: ``(n_agents, n_episodes, n_cells)`` action in each cell.
        max_steps: Episode length limit.

    Returns:
        ``(n_agents, n_episodes, max_steps + 1)`` cell at each step; after the goal
        the goal cell repeats.
    """
    tables = world.open
    n_agents, n_episodes = actions.shape[:2]
    layouts = np.broadcast_to(episodes.layout, (n_agents, n_episodes))
    cells = tables.start[layouts]
    agent, episode = np.indices((n_agents, n_episodes))
    trace = [cells]
    for _ in range(max_steps):
        done = cells == tables.goal[layouts]
        moved = tables.next_cell[layouts, cells, actions[agent, episode, cells]]
        cells = np.where(done, cells, moved)
        trace.append(cells)
    return tables.cells[layouts[..., None], np.stack(trace, axis=-1)]


def best_returns(world: World, episodes: Episodes, max_steps: int = MAX_STEPS) -> np.ndarray:
    """The most base reward any action sequence can earn in each episode.

    Value iteration with no discount over ``max_steps`` steps on the true reward.

    Returns:
        ``(n_episodes,)`` best returns.
    """
    tables = world.open
    nxt = tables.next_cell[episodes.layout]
    goal = nxt == tables.goal[episodes.layout][:, None, None]
    punish = nxt == tables.punishment[episodes.layout][:, None, None]
    reward = MOVEMENT_REWARD + GOAL_REWARD * goal
    reward = reward + PUNISHMENT_REWARD * (punish & episodes.watched[:, None, None])
    rows = np.arange(len(episodes))[:, None, None]
    q = reward.astype(float)
    for _ in range(max_steps - 1):
        q = reward + ~goal * q.max(axis=-1)[rows, nxt]
    return q.max(axis=-1)[np.arange(len(episodes)), tables.start[episodes.layout]]


# --- training -----------------------------------------------------------------------------------


def active_features(episodes: Episodes) -> np.ndarray:
    """Which features can fire in these episodes (the others are never trained)."""
    camera = episodes.camera & ~episodes.supervisor
    active = np.ones(len(FEATURE_NAMES), dtype=bool)
    active[SUPERVISED_F] = bool(episodes.supervisor.any())
    active[CAMERA_F] = bool(camera.any())
    active[UNOBSERVED_F] = bool((~episodes.supervisor & ~camera).any())
    return active


def _distinct(episodes: Episodes) -> tuple[Episodes, np.ndarray]:
    """The distinct episodes and how often each occurs."""
    table = np.stack(
        [episodes.layout, episodes.supervisor, episodes.camera, episodes.watched], axis=1
    ).astype(np.int64)
    rows, counts = np.unique(table, axis=0, return_counts=True)
    unique = Episodes(rows[:, 0], rows[:, 1] > 0, rows[:, 2] > 0, rows[:, 3] > 0)
    return unique, counts


def scores(
    world: World, episodes: Episodes, weights: np.ndarray, target: str, config: Config
) -> np.ndarray:
    """Mean expected base return (or hidden performance) of each mesa-objective.

    Args:
        world: The layouts.
        episodes: The episodes.
        weights: ``(n_agents, n_features)`` mesa-objectives.
        target: ``"reward"`` (the base reward) or ``"performance"`` (hidden).
        config: The planner's settings and the episode length.

    Returns:
        ``(n_agents,)`` mean scores over the episodes.
    """
    target = check_target(target)
    unique, counts = _distinct(episodes)
    policy = plan(world, unique, weights, config.gamma, config.horizon, config.temperature)
    expected = expect(world, unique, policy, config.max_steps)
    values = expected.returns(unique.watched) if target == "reward" else expected.performance()
    return values @ counts / counts.sum()


def check_target(target: object) -> str:
    """Validate a training target.

    Raises:
        ValueError: Unless ``target`` is one of :data:`TARGETS`.
    """
    return check_choice("target", target, TARGETS)


def train_objective(
    world: World,
    episodes: Episodes,
    target: str,
    config: Config,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ESHistory]:
    """Learn a mesa-objective with evolution strategies from the scores it earns.

    Starts from all weights 0. Only the weights of :func:`active_features` move.

    Args:
        world: The layouts.
        episodes: The training episodes.
        target: ``"reward"`` or ``"performance"``: what the optimizer is shown.
        config: Settings (``es``, ``gamma``, ``horizon``, ``max_steps``).
        rng: Source of the optimizer's noise.

    Returns:
        ``(n_features,)`` learned weights and the optimizer's history.
    """
    target = check_target(target)
    active = active_features(episodes)

    def fitness(population: np.ndarray, generation: int) -> np.ndarray:
        weights = np.zeros((len(population), len(FEATURE_NAMES)))
        weights[:, active] = population
        return scores(world, episodes, weights, target, config)

    theta, history = evolution_strategies(fitness, np.zeros(active.sum()), config.es, rng)
    weights = np.zeros(len(FEATURE_NAMES))
    weights[active] = theta
    return weights, history


def objective_dict(weights: np.ndarray) -> dict[str, float]:
    """``{feature: weight}`` of a weight vector ordered as :data:`FEATURE_NAMES`."""
    return {name: float(w) for name, w in zip(FEATURE_NAMES, weights, strict=True)}


def objective_vector(objective: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """A weight vector ordered as :data:`FEATURE_NAMES` (missing features weigh 0).

    Raises:
        ValueError: On an unknown feature or a wrong-length array.
    """
    if isinstance(objective, Mapping):
        unknown = sorted(set(objective) - set(FEATURE_NAMES))
        if unknown:
            raise ValueError(f"objective has unknown features {unknown}; allowed: {FEATURE_NAMES}")
        return np.array([float(objective.get(f, 0.0)) for f in FEATURE_NAMES])
    weights = np.asarray(objective, dtype=float)
    if weights.shape != (len(FEATURE_NAMES),):
        raise ValueError(
            f"objective must have {len(FEATURE_NAMES)} weights ({FEATURE_NAMES}), "
            f"got shape {weights.shape}"
        )
    return weights


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


def evaluate(world: World, episodes: Episodes, weights: np.ndarray, config: Config) -> Outcome:
    """Play one mesa-objective on the episodes and summarise.

    Args:
        world: The layouts.
        episodes: The episodes.
        weights: ``(n_features,)`` one mesa-objective.
        config: Settings (planner and episode length).

    Returns:
        The outcome.
    """
    policy = plan(
        world, episodes, np.asarray(weights)[None], config.gamma, config.horizon, config.temperature
    )
    expected = expect(world, episodes, policy, config.max_steps)
    return Outcome(
        shortcut_rate=float(expected.shortcut[0].mean()),
        base_return=float(expected.returns(episodes.watched)[0].mean()),
        performance=float(expected.performance()[0].mean()),
        goal_rate=float(expected.reached[0].mean()),
        steps=float(expected.steps[0].mean()),
    )


def condition_episodes(world: World, condition: str) -> Episodes:
    """Every layout once, with the supervisor present (``"observed"``) or absent.

    Raises:
        ValueError: On an unknown condition.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")
    return Episodes.every_layout(world, supervisor=condition == "observed")


@dataclass(frozen=True)
class Result:
    """Everything one run produced.

    Attributes:
        config: The settings.
        seed: The seed.
        world: The training layouts.
        mesa_weights: ``(n_features,)`` mesa-objective learned from the base reward.
        control_weights: ``(n_features,)`` mesa-objective learned from the hidden performance.
        mesa: ``{condition: Outcome}`` of the reward-trained agent on every training
            layout, supervisor present (``"observed"``) or absent (``"unobserved"``).
        control: The same for the aligned control.
        best_return: ``{condition: mean best possible base return}``.
        histories: ``{"mesa": ..., "control": ...}`` optimizer trajectories.
        train_supervised_fraction: Fraction of the sampled training episodes with the
            supervisor present.
    """

    config: Config
    seed: int
    world: World
    mesa_weights: np.ndarray
    control_weights: np.ndarray
    mesa: dict[str, Outcome]
    control: dict[str, Outcome]
    best_return: dict[str, float]
    histories: dict[str, ESHistory]
    train_supervised_fraction: float

    @property
    def mesa_objective(self) -> dict[str, float]:
        """The reward-trained agent's mesa-objective, ``{feature: weight}``."""
        return objective_dict(self.mesa_weights)

    @property
    def control_objective(self) -> dict[str, float]:
        """The aligned control's mesa-objective, ``{feature: weight}``."""
        return objective_dict(self.control_weights)


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train a mesa-objective on the base reward and a control on the performance; evaluate.

    Args:
        config: Settings (defaults: :class:`Config`).
        seed: Non-negative integer; the same seed gives the same numbers.

    Returns:
        The run's result.
    """
    config = Config() if config is None else config
    seed = check_seed(seed)
    world = make_world("train")
    train = sample_episodes(
        world, config.n_train_episodes, config.p_supervisor, np.random.default_rng([seed, 0])
    )
    trained = {}
    for index, target in enumerate(TARGETS):
        rng = np.random.default_rng([seed, 1 + index])
        trained[target] = train_objective(world, train, target, config, rng)
    outcomes: dict[str, dict[str, Outcome]] = {"reward": {}, "performance": {}}
    best = {}
    for condition in CONDITIONS:
        episodes = condition_episodes(world, condition)
        best[condition] = float(best_returns(world, episodes, config.max_steps).mean())
        for target in TARGETS:
            outcomes[target][condition] = evaluate(world, episodes, trained[target][0], config)
    return Result(
        config=config,
        seed=seed,
        world=world,
        mesa_weights=trained["reward"][0],
        control_weights=trained["performance"][0],
        mesa=outcomes["reward"],
        control=outcomes["performance"],
        best_return=best,
        histories={"mesa": trained["reward"][1], "control": trained["performance"][1]},
        train_supervised_fraction=float(train.supervisor.mean()),
    )


def sweep(seeds: Iterable[int] = range(5), config: Config | None = None) -> list[Result]:
    """One :func:`run` per seed, in seed order."""
    return [run(config, check_seed(s)) for s in seeds]


def route(result: Result, layout: int, condition: str, agent: str = "mesa") -> np.ndarray:
    """Cells visited by an agent on one layout until the goal (or the step limit).

    Args:
        result: A run.
        layout: Layout index.
        condition: ``"observed"`` or ``"unobserved"``.
        agent: ``"mesa"`` or ``"control"``.

    Returns:
        ``(n,)`` flat cells, starting at the start.

    Raises:
        ValueError: On an unknown agent, condition or layout.
    """
    if agent not in ("mesa", "control"):
        raise ValueError(f"agent must be 'mesa' or 'control', got {agent!r}")
    world = result.world
    layout = world.layout_index(layout)
    episodes = condition_episodes(world, condition)
    one = Episodes(*(np.asarray(x)[[layout]] for x in vars(episodes).values()))
    weights = result.mesa_weights if agent == "mesa" else result.control_weights
    cfg = result.config
    actions = plan(world, one, weights[None], cfg.gamma, cfg.horizon).argmax(axis=-1)
    cells = walk(world, one, actions, cfg.max_steps)[0, 0]
    reached = np.flatnonzero(cells == world.goal[layout])
    return cells[: reached[0] + 1] if len(reached) else cells


__all__ = [
    "CONDITIONS",
    "FEATURE_NAMES",
    "TARGETS",
    "Config",
    "Episodes",
    "Outcome",
    "Expectation",
    "action_values",
    "choice_probabilities",
    "expect",
    "Result",
    "active_features",
    "best_returns",
    "condition_episodes",
    "evaluate",
    "move_features",
    "objective_dict",
    "objective_vector",
    "plan",
    "route",
    "run",
    "sample_episodes",
    "scores",
    "sweep",
    "train_objective",
    "walk",
]
