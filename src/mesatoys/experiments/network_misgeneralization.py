"""Goal misgeneralization in a neural network trained by policy gradient, and steering it.

The planner of :mod:`mesatoys.experiments.goal_misgeneralization` has an objective we
can read. This toy asks whether a network trained by an ordinary reinforcement-learning
algorithm, with no hand-written search, does the same, after Langosco et al. 2022,
"Goal Misgeneralization in Deep Reinforcement Learning". A small network
(:class:`mesatoys.agents.policy_gradient.PolicyNetwork`: the walls, its own cell and the
cheese's cell as one-hot planes, 64 ReLU units, 4 moves) learns by REINFORCE with a
learned baseline (Williams 1992) from the base reward alone, on freshly drawn training
levels. In training the cheese is in the top-right corner, except on a fraction
``alpha`` of levels; at test it is elsewhere, at least 3 cells from the corner.

**The levels are an open room with a few obstacles** (``layout="room"``: a 7 x 7
floor, 9 x 9 with its border, 3 random wall cells), not the corridors of the planner's
mazes: in 7 x 7 mazes this learner does not reach the cheese on 95% of its training
levels within the training a notebook cell can afford (``layout="maze"``, ``size=7``
to see it), so what it does at test would not be a clean test of its goal.

**The mechanism.** At ``alpha = 0`` the cheese's plane of the input is the same on
every training level (one unit on, at the corner): the weights of the other 48 cheese
cells receive no gradient at all and keep their initial values (:func:`weight_change`).
At test those untrained weights feed the hidden layer a random nudge, and the network
goes where its training pointed it, to the corner.

**The controls.** :meth:`Config.aligned` trains the same network with the cheese
anywhere (``alpha = 1``): it reaches the cheese at test, so the capability is there and
the failure is the goal's. :func:`sweep` over ``alpha`` draws the curve.

**Steering and probing** (notebook 06), after Mini et al. 2023, "Understanding and
Controlling a Maze-Solving Policy Network": :func:`cheese_vectors` is, for each level,
the hidden layer's mean activation with the cheese in the input minus without it, over
the level's open cells; :func:`steer` plays the test levels with it subtracted (and,
to retarget, another cell's cheese vector added). :func:`probe` reads the cheese's cell,
or its direction from the agent, from the hidden layer with a linear probe, beside the
same probe on the network's own untrained weights.

Example:
    >>> from mesatoys.experiments import network_misgeneralization as nm
    >>> res = nm.run(nm.Config(n_test_levels=200), seed=0)
    >>> res.train.true_goal_rate > 0.9, res.test.proxy_rate > 0.6
    (True, True)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.agents.network import MLP, matmul_one_thread, t_matmul_one_thread
from mesatoys.agents.policy_gradient import PolicyNetwork, Rollout
from mesatoys.agents.reactive import interior_index
from mesatoys.checks import (
    check_choice,
    check_count,
    check_fraction,
    check_instance,
    check_number,
    check_seed,
)
from mesatoys.envs.maze import (
    LAYOUTS,
    LevelBatch,
    check_obstacles,
    check_size,
    generate_levels,
)
from mesatoys.experiments.shape import DrawsLevels, keep, make_sweep, start, summarize

MAX_LEVELS = 20_000  # levels per evaluation set: far beyond a notebook's needs
#: The input planes, in the order of the network's first layer.
CHANNELS = ("walls", "agent", "cheese")
#: The headline measures of :func:`summary`.
MEASURES = ("train_true_goal_rate", "true_goal_rate", "proxy_rate", "mean_return")


@dataclass(frozen=True)
class Config:
    """Settings of one training run.

    Attributes:
        alpha: Fraction of training levels whose cheese is *not* in the corner, in [0, 1].
        layout: ``"room"`` (an open room with ``obstacles`` wall cells) or ``"maze"``.
        size: Side of the grid, border included (odd, 5 to 15).
        obstacles: Wall cells inside the room (``layout="room"`` only).
        extra_openings: Fraction of inner maze walls knocked out (``layout="maze"`` only).
        max_steps: Episode limit; ``None`` means ``size * size // 2``.
        n_test_levels: Levels in each evaluation set (training distribution and test).
        hidden: Width of the network's hidden layer.
        updates: Policy-gradient steps, one per batch of episodes.
        episodes_per_update: Episodes per step, each on a freshly drawn training level.
        learning_rate: Adam's step size, in (0, 1).
        discount: Per-step discount of the return a move is credited with, in (0, 1].
        entropy_bonus: Weight of the policy's entropy in the objective, >= 0.
        value_weight: Weight of the baseline's squared error in the loss, >= 0.
        progress: Show a progress bar while training (changes no number; not compared).
    """

    alpha: float = 0.0
    layout: str = "room"
    size: int = 9
    obstacles: int = 3
    extra_openings: float = 0.0
    max_steps: int | None = None
    n_test_levels: int = 1000
    hidden: int = 64
    updates: int = 250
    episodes_per_update: int = 256
    learning_rate: float = 3e-3
    discount: float = 0.95
    entropy_bonus: float = 0.03
    value_weight: float = 0.5
    progress: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        check_fraction("alpha", self.alpha)
        check_choice("layout", self.layout, LAYOUTS)
        check_size(self.size)
        if self.size > 15:
            raise ValueError(f"size must be an odd integer in [5, 15], got {self.size}")
        if self.layout == "room":
            check_obstacles(self.obstacles, self.size)
        check_fraction("extra_openings", self.extra_openings)
        check_count("max_steps", self.max_steps, high=10_000, optional=True)
        check_count("n_test_levels", self.n_test_levels, high=MAX_LEVELS)
        if not isinstance(self.progress, bool):
            raise ValueError(f"progress must be True or False, got {self.progress!r}")
        self.policy().check_params()

    @property
    def episode_limit(self) -> int:
        """The episode length actually used."""
        return self.max_steps if self.max_steps is not None else self.size * self.size // 2

    def aligned(self) -> Config:
        """The control: the same settings with the cheese anywhere in training (``alpha=1``)."""
        return dataclasses.replace(self, alpha=1.0)

    def policy(self) -> PolicyNetwork:
        """An untrained network with these hyper-parameters."""
        return PolicyNetwork(
            hidden=self.hidden,
            updates=self.updates,
            episodes_per_update=self.episodes_per_update,
            learning_rate=self.learning_rate,
            discount=self.discount,
            entropy_bonus=self.entropy_bonus,
            value_weight=self.value_weight,
        )

    def draw(self, n: int, split: str, rng: np.random.Generator) -> LevelBatch:
        """``n`` levels of a split, drawn as these settings say."""
        return generate_levels(
            n,
            self.size,
            self.alpha,
            split,
            rng,
            extra_openings=self.extra_openings,
            layout=self.layout,
            obstacles=self.obstacles,
        )


@dataclass(frozen=True)
class Outcome:
    """Rates over one set of levels (each level played once, moves sampled from the policy).

    Attributes:
        true_goal_rate: Fraction of episodes that reach the cheese.
        proxy_rate: Fraction in which the agent walked onto the top-right corner, which
            did not hold the cheese, before reaching any cheese (0 where the cheese is in
            the corner).
        mean_return: Mean base-objective return.
        mean_steps: Mean number of moves.
        n_levels: Number of episodes.
    """

    true_goal_rate: float
    proxy_rate: float
    mean_return: float
    mean_steps: float
    n_levels: int

    @classmethod
    def of(cls, played: Rollout) -> Outcome:
        """Summarise a batch of episodes."""
        return cls(
            true_goal_rate=float(played.reached_cheese.mean()),
            proxy_rate=float(played.reached_corner_first.mean()),
            mean_return=float(played.returns.mean()),
            mean_steps=float(played.steps.mean()),
            n_levels=len(played.steps),
        )


@dataclass(frozen=True, eq=False)
class Result(DrawsLevels):
    """One trained network and how it does.

    Attributes:
        config: The settings.
        seed: The seed.
        train: Rates on ``n_test_levels`` fresh levels of the training distribution.
        test: Rates on ``n_test_levels`` test levels (cheese away from the corner).
        success_curve: ``(updates,)`` share of each training batch that reached the cheese.
        network_weights: The trained network's weight matrices, first layer first.
        network_biases: Its bias vectors.
        initial_weights: Its weight matrices before training (its biases started at 0).
        value_weights: ``(hidden + 1,)`` the baseline's weights, bias last.

    Not stored but rebuilt on first use: the evaluation levels (:attr:`train_levels`,
    :attr:`test_levels`, drawn again from the config and seed), the trained network
    (:attr:`policy`) and the same network before training (:attr:`untrained`).
    """

    config: Config
    seed: int
    train: Outcome
    test: Outcome
    success_curve: np.ndarray
    network_weights: tuple[np.ndarray, ...]
    network_biases: tuple[np.ndarray, ...]
    initial_weights: tuple[np.ndarray, ...]
    value_weights: np.ndarray

    def _draw_levels(self) -> tuple[LevelBatch, LevelBatch]:
        return make_levels(self.config, self.seed)

    @functools.cached_property
    def policy(self) -> PolicyNetwork:
        """The trained network, rebuilt from its weights."""
        return _rebuilt(self, self.network_weights, self.network_biases)

    @functools.cached_property
    def untrained(self) -> PolicyNetwork:
        """The same network with its initial weights: the control for probes."""
        return _rebuilt(self, self.initial_weights, [np.zeros_like(b) for b in self.network_biases])


def _rebuilt(result: Result, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]):
    policy = result.config.policy()
    policy.network_ = MLP([w.copy() for w in weights], [b.copy() for b in biases])
    policy.size_ = result.config.size
    policy.value_ = result.value_weights.copy()
    return policy


def make_levels(config: Config, seed: int) -> tuple[LevelBatch, LevelBatch]:
    """The evaluation levels of a run: a set of each split (independent random streams)."""
    train_rng, test_rng = np.random.default_rng([check_seed(seed), 0]).spawn(2)
    train = config.draw(config.n_test_levels, "train", train_rng)
    return train, config.draw(config.n_test_levels, "test", test_rng)


def train_policy(config: Config, seed: int) -> PolicyNetwork:
    """Train the network on fresh training levels (random stream ``[seed, 1]``)."""
    config = check_instance("config", config, Config)
    rng = np.random.default_rng([check_seed(seed), 1])
    policy = config.policy()

    def draw(n: int, rng: np.random.Generator) -> LevelBatch:
        return config.draw(n, "train", rng)

    return policy.fit(draw, config.episode_limit, rng, progress=config.progress)


def evaluate(
    config: Config, policy: PolicyNetwork, levels: LevelBatch, rng: np.random.Generator
) -> Outcome:
    """Play each level once, within ``config``'s step limit, moves sampled from ``policy``."""
    return Outcome.of(policy.play(levels, config.episode_limit, rng))


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train the network on training levels and evaluate it on both splits.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`. Random
    streams: ``[seed, 0]`` the evaluation levels, ``[seed, 1]`` training, ``[seed, 2]``
    and ``[seed, 3]`` the evaluation's moves.
    """
    config, seed = start(config, Config, "network_misgeneralization", seed)
    train_levels, test_levels = make_levels(config, seed)
    policy = train_policy(config, seed)
    result = Result(
        config=config,
        seed=seed,
        train=evaluate(config, policy, train_levels, np.random.default_rng([seed, 2])),
        test=evaluate(config, policy, test_levels, np.random.default_rng([seed, 3])),
        success_curve=policy.success_curve_.copy(),
        network_weights=tuple(w.copy() for w in policy.network_.weights),
        network_biases=tuple(b.copy() for b in policy.network_.biases),
        initial_weights=tuple(w.copy() for w in policy.initial_network_.weights),
        value_weights=policy.value_.copy(),
    )
    return keep(result, train_levels=train_levels, test_levels=test_levels, policy=policy)


sweep = make_sweep(run, Config, "network runs")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each of :data:`MEASURES`.

    ``train_true_goal_rate`` is on the training distribution; the others on the test levels.

    Raises:
        ValueError: On no results.
    """
    measures = {"train_true_goal_rate": lambda r: r.train.true_goal_rate}
    measures |= {name: _test_rate(name) for name in MEASURES[1:]}
    return summarize(results, measures)


def _test_rate(name: str):
    return lambda r: getattr(r.test, name)


# --- the mechanism -------------------------------------------------------------------------------


def weight_change(result: Result) -> dict[str, np.ndarray]:
    """How far training moved the first-layer weights of each input cell.

    Returns:
        ``{channel: (size - 2, size - 2) map}`` for each of :data:`CHANNELS`: the length
        (Euclidean norm) of the change of the weights from that input unit to the hidden
        layer, laid out like the room's floor.
    """
    side = result.config.size - 2
    moved = np.linalg.norm(result.network_weights[0] - result.initial_weights[0], axis=1)
    maps = moved.reshape(len(CHANNELS), side, side)
    return {name: maps[i] for i, name in enumerate(CHANNELS)}


# --- steering ------------------------------------------------------------------------------------


def _cell_index(levels: LevelBatch, cells: np.ndarray) -> np.ndarray:
    """Flat grid index ``row * size + column`` of one cell per level."""
    return cells[:, 0] * levels.size + cells[:, 1]


#: ``vector(with_cheese, without_cheese, open_cells) -> (hidden,)``: one level's cheese
#: vector from its activations (:func:`cheese_activations`, one level at a time).
VectorRule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def cheese_activations(
    policy: PolicyNetwork, levels: LevelBatch, cheese: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hidden layer with and without the cheese, the agent on each floor cell in turn.

    Args:
        policy: A trained network.
        levels: The levels.
        cheese: ``(n, 2)`` the cheese's cell to use per level (default: the level's own).

    Returns:
        ``with_cheese`` and ``without_cheese``, each ``(n, cells, hidden)`` with one row per
        interior cell as the agent's position (row-major), and ``open_cells``,
        ``(n, cells)``: which of those cells are floor rather than an obstacle.
    """
    n, size = len(levels), levels.size
    if cheese is not None:
        levels = LevelBatch(levels.walls, levels.start, np.asarray(cheese))
    cells = np.stack(np.divmod(np.flatnonzero(interior_index(size) >= 0), size), axis=1)
    each = np.repeat(np.arange(n), len(cells))
    agent = np.tile(cells, (n, 1))
    states = LevelBatch(levels.walls[each], levels.start[each], levels.cheese[each])
    shape = (n, len(cells), -1)
    with_cheese = policy.activations(states, agent, cheese=True).reshape(shape)
    without = policy.activations(states, agent, cheese=False).reshape(shape)
    open_cells = ~levels.walls[each, agent[:, 0], agent[:, 1]].reshape(n, len(cells))
    return with_cheese, without, open_cells


def cheese_vectors(
    policy: PolicyNetwork,
    levels: LevelBatch,
    cheese: np.ndarray | None = None,
    rule: VectorRule | None = None,
) -> np.ndarray:
    """Each level's cheese vector: mean hidden activation with the cheese minus without.

    After Mini et al. 2023: the mean is over every floor cell of the level as the agent's
    position, so the vector depends on the level and the cheese's cell but not on where
    the agent stands.

    Args:
        policy: A trained network.
        levels: The levels.
        cheese: ``(n, 2)`` the cheese's cell to use per level (default: the level's own).
        rule: Computes one level's vector from :func:`cheese_activations` instead (a
            learner's own, in notebook 06); default: the mean difference over floor cells.

    Returns:
        ``(n, hidden)`` one vector per level.
    """
    with_cheese, without, open_cells = cheese_activations(policy, levels, cheese)
    if rule is not None:
        rows = zip(with_cheese, without, open_cells, strict=True)
        return np.stack([np.asarray(rule(w, wo, o), dtype=np.float32) for w, wo, o in rows])
    diff = (with_cheese - without) * open_cells[..., None]
    return diff.sum(axis=1) / open_cells.sum(axis=1)[:, None]


@dataclass(frozen=True)
class Steering:
    """The test levels played with a steering vector, beside the same levels without it.

    Both are played with the same random draws for the moves.

    Attributes:
        coefficient: How many times each level's cheese vector was subtracted.
        target: The cell whose cheese vector was added (retargeting), or None.
        n_levels: Test levels played.
        true_goal_rate: Share of steered episodes that reached the cheese.
        proxy_rate: Share that walked onto the top-right corner before any cheese.
        target_rate: Share that stepped on ``target`` (None without a target).
        unsteered: The same three rates without the vector, as a dict.
    """

    coefficient: float
    target: tuple[int, int] | None
    n_levels: int
    true_goal_rate: float
    proxy_rate: float
    target_rate: float | None
    unsteered: dict[str, float | None]


def steer(
    result: Result,
    coefficient: float = 1.0,
    target: Sequence[int] | None = None,
    n_levels: int | None = None,
    rule: VectorRule | None = None,
) -> Steering:
    """Play the run's test levels with its network's cheese vector subtracted.

    The vector is added to the hidden layer's activations at every step of every
    episode, as ``-coefficient * cheese_vector(level)`` (+ ``cheese_vector(level with
    the cheese at target)`` when retargeting). The cheese itself stays where it is.

    Args:
        result: A run of :func:`run`.
        coefficient: Multiple of each level's own cheese vector to subtract (0: none;
            negative adds it), a finite number in [-10, 10].
        target: ``(row, column)`` of a floor cell: also add the cheese vector of a
            cheese at that cell, to send the network there. Levels where the target is
            an obstacle, the cheese or the start are left out.
        n_levels: How many of the test levels to play (the first ones; with a target,
            the first ones where it can be reached), at most ``config.n_test_levels``;
            None means 500, or all of them if there are fewer.
        rule: How a level's vector is computed (see :func:`cheese_vectors`).

    Returns:
        The steered and unsteered rates.

    Raises:
        ValueError: On a bad argument.
        TypeError: If ``result`` is not a :class:`Result` or ``rule`` is not callable.
    """
    check_instance("result", result, Result)
    if rule is not None and not callable(rule):
        raise TypeError(f"rule must be None or a function, got {type(rule).__name__}: {rule!r}")
    coefficient = check_number("coefficient", coefficient, -10, 10)
    most = result.config.n_test_levels
    n_levels = check_count("n_levels", n_levels, high=most, optional=True) or min(500, most)
    levels = result.test_levels
    cell = None if target is None else _check_target(target, levels.size)
    if cell is not None:
        usable = ~levels.walls[:, cell[0], cell[1]]
        usable &= ~(levels.cheese == cell).all(axis=1) & ~(levels.start == cell).all(axis=1)
        levels = levels[np.flatnonzero(usable)]
    levels = levels[:n_levels]
    policy = result.policy
    shift = -coefficient * cheese_vectors(policy, levels, rule=rule)
    if cell is not None:
        shift += cheese_vectors(policy, levels, np.tile(cell, (len(levels), 1)), rule)
    limit = result.config.episode_limit
    rates = {}
    for name, vector in (("steered", shift), ("unsteered", None)):
        rng = np.random.default_rng([result.seed, 5])
        played = policy.play(levels, limit, rng, record=cell is not None, shift=vector)
        rates[name] = _steering_rates(played, cell)
    shown = None if cell is None else (int(cell[0]), int(cell[1]))
    return Steering(
        coefficient, shown, len(levels), **rates["steered"], unsteered=rates["unsteered"]
    )


def _steering_rates(played: Rollout, target: np.ndarray | None) -> dict[str, float | None]:
    target_rate = None
    if target is not None:
        target_rate = float((played.paths == target).all(axis=-1).any(axis=1).mean())
    return {
        "true_goal_rate": float(played.reached_cheese.mean()),
        "proxy_rate": float(played.reached_corner_first.mean()),
        "target_rate": target_rate,
    }


def _check_target(target: object, size: int) -> np.ndarray:
    try:
        cell = np.asarray(target)
        ok = (
            cell.shape == (2,)
            and cell.dtype.kind in "iu"
            and ((cell >= 1) & (cell <= size - 2)).all()
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"target must be None or a (row, column) pair of integers in [1, {size - 2}] "
            f"(a cell of the floor), got {target!r}"
        )
    return cell.astype(np.int64)


# --- probing -------------------------------------------------------------------------------------


#: What :func:`probe` reads: the cheese's cell, or its direction from the agent.
PROBE_LABELS = ("cell", "direction")


@dataclass(frozen=True)
class Probe:
    """How well a linear probe reads the cheese's position from the hidden layer.

    Attributes:
        label: ``"cell"`` (which floor cell holds the cheese, 49 classes) or
            ``"direction"`` (where the cheese lies from the agent: above, level or below,
            times left, level or right; 9 classes).
        trained: Held-out accuracy on the trained network's activations.
        untrained: The same probe on the same network's initial (untrained) weights.
        chance: Accuracy of always guessing the commonest label of the fitting states.
        n_fit: States the probes were fitted on.
        n_test: States they were tested on.
    """

    label: str
    trained: float
    untrained: float
    chance: float
    n_fit: int
    n_test: int


def probe_labels(levels: LevelBatch, label: str) -> np.ndarray:
    """Each level's label for :func:`probe`, with the agent on the level's start cell."""
    if check_choice("label", label, PROBE_LABELS) == "cell":
        return interior_index(levels.size)[_cell_index(levels, levels.cheese)]
    rows, cols = np.sign(levels.cheese - levels.start).T + 1
    return 3 * rows + cols


def probe(
    result: Result, label: str = "cell", n_fit: int = 2000, n_test: int = 2000, l2: float = 1e-2
) -> Probe:
    """Read the cheese's position from the hidden layer with a linear probe, trained and untrained.

    The states are fresh test-distribution levels (random stream ``[seed, 4]``), the
    agent on each level's start cell. The probe is a ridge-regression classifier
    (:func:`probe_accuracy`), fitted on the first ``n_fit`` states and scored on the
    other ``n_test``; the control is the same probe on the network's initial weights.

    Args:
        result: A run of :func:`run`.
        label: What to read, one of :data:`PROBE_LABELS`.
        n_fit: States to fit on, 10 to 20,000.
        n_test: States to score on, 10 to 20,000.
        l2: Ridge penalty, a number >= 0.

    Returns:
        The accuracies.
    """
    check_instance("result", result, Result)
    check_choice("label", label, PROBE_LABELS)
    n_fit = check_count("n_fit", n_fit, 10, MAX_LEVELS)
    n_test = check_count("n_test", n_test, 10, MAX_LEVELS)
    l2 = check_number("l2", l2, 0)
    states = result.config.draw(n_fit + n_test, "test", np.random.default_rng([result.seed, 4]))
    labels = probe_labels(states, label)
    fit, held_out = slice(0, n_fit), slice(n_fit, None)
    accuracy = {}
    for name, policy in (("trained", result.policy), ("untrained", result.untrained)):
        h = policy.activations(states, states.start)
        accuracy[name] = probe_accuracy(h[fit], labels[fit], h[held_out], labels[held_out], l2)
    common = np.bincount(labels[fit]).argmax()
    chance = float((labels[held_out] == common).mean())
    return Probe(label, accuracy["trained"], accuracy["untrained"], chance, n_fit, n_test)


def probe_accuracy(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, l2: float
) -> float:
    """Held-out accuracy of a ridge-regression classifier of integer labels.

    The features are standardized with the fitting rows' statistics; a linear map (with
    a bias) is fitted by least squares with penalty ``l2 * n`` to the labels' one-hot
    codes; each held-out row gets the label with the largest output.
    """
    mean, std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-6
    design = np.c_[(train_x - mean) / std, np.ones(len(train_x))]
    classes = int(max(train_y.max(), test_y.max())) + 1
    targets = np.eye(classes)[train_y]
    penalty = l2 * len(design) * np.eye(design.shape[1])
    gram = t_matmul_one_thread(design, design) + penalty
    weights = np.linalg.solve(gram, t_matmul_one_thread(design, targets))
    scores = matmul_one_thread(np.c_[(test_x - mean) / std, np.ones(len(test_x))], weights)
    return float((scores.argmax(axis=1) == test_y).mean())


__all__ = [
    "CHANNELS",
    "MEASURES",
    "PROBE_LABELS",
    "VectorRule",
    "Config",
    "Outcome",
    "Probe",
    "Result",
    "Steering",
    "cheese_activations",
    "cheese_vectors",
    "evaluate",
    "make_levels",
    "probe",
    "probe_accuracy",
    "probe_labels",
    "run",
    "steer",
    "summary",
    "sweep",
    "train_policy",
    "weight_change",
]
