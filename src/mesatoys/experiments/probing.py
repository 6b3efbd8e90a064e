"""Finding a learned network's goal with linear probes.

When the objective is not a named weight vector but lives somewhere in a network's
activations, reading it means *finding* it first. Alain and Bengio 2016,
"Understanding intermediate layers using linear classifier probes", train a linear
classifier on a layer's activations: if it predicts a property well on held-out
inputs, the layer represents that property in a linearly readable form. Hewitt and
Liang 2019, "Designing and Interpreting Probes with Control Tasks", argue that a probe's
accuracy only means something next to a baseline (they propose control tasks, a
stricter test than ours). Here the baselines are the same probe on the raw input, on
an untrained network of the same shape, and trained on labels shuffled between
episodes (which, tested on held-out episodes, must sit at chance: a check that the
evaluation does not leak). Hubinger et al.
2019, "Risks from Learned Optimization in Advanced Machine Learning Systems", list
this kind of transparency as a way to check what a learned optimizer is aiming at.

The task: an open room holds two targets, A and B. Two cue bits say which one counts:
A when the bits differ, B when they agree (an XOR). The network sees the cue bits and
the offsets of both targets from itself, so its goal is fully determined by the
input, but not by any linear function of it: the network has to compute its goal
inside. A small multilayer perceptron (:class:`mesatoys.agents.network.MLP`: numpy,
ReLU) is trained by gradient descent (:class:`mesatoys.optimize.Adam`) to imitate an
optimal breadth-first-search policy that walks to the cued target without stepping on
the other one; an episode ends on the first target reached.

Then, on held-out episodes, the network plays on its own. Every state it visits is
labelled with the target it ends up reaching, and logistic-regression probes,
trained on the states of half the episodes and tested on the other half, try to read
that label from each hidden layer, from the raw input, and (the control) from the
last hidden layer with the training labels shuffled.

Example:
    >>> from mesatoys.experiments import probing
    >>> res = probing.run(probing.Config(), seed=0)
    >>> res.success_rate > 0.9 and res.probe_accuracy["hidden"] > 0.9
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.network import MLP, cross_entropy
from mesatoys.checks import check_count, check_number
from mesatoys.envs.maze import MOVES, distance_maps
from mesatoys.experiments.shape import make_sweep, start, summarize
from mesatoys.optimize import Adam

ACTIONS = MOVES[1:]  # up, right, down, left
TARGET_NAMES = ("A", "B")
#: Keys of ``Result.probe_accuracy`` in every run (plus ``"layer_1"`` with two hidden layers).
PROBE_INPUTS = ("hidden", "raw", "shuffled", "untrained")
#: ``(smallest, largest)`` allowed value of each count setting: larger runs would take
#: minutes or gigabytes, not seconds.
COUNT_LIMITS = {
    "room": (3, 15),
    "n_distractors": (0, 1_000),
    "n_train_states": (1, 50_000),
    "steps": (1, 100_000),
    "batch": (1, 10_000),
    "n_episodes": (2, 20_000),
    "n_shuffles": (1, 1_000),
}
MAX_WIDTH = 1_024


@dataclass(frozen=True)
class Config:
    """Settings of one probing run.

    Every count has the bounds of :data:`COUNT_LIMITS`.

    Attributes:
        room: Side of the open room in cells (3 to 15).
        n_distractors: Irrelevant random bits added to the observation (fixed within
            an episode). They make the untrained-network control honest: random
            ReLU features of the two cue bits alone already make their XOR linearly
            readable, but not once the cues are mixed with noise.
        hidden: Width of each hidden layer (one or two layers, each 1 to 1,024).
        n_train_states: Random states the network imitates the oracle on.
        steps: Adam updates.
        batch: States per update.
        learning_rate: Adam step size, a finite number > 0.
        n_episodes: Held-out episodes the trained network plays; their states feed
            the probes (half to fit, half to test).
        n_shuffles: Label shuffles the control probe is averaged over.
        probe_l2: Ridge penalty of the logistic-regression probe (on standardized
            features), a finite number >= 0.
    """

    room: int = 5
    n_distractors: int = 8
    hidden: tuple[int, ...] = (32, 32)
    n_train_states: int = 4096
    steps: int = 1500
    batch: int = 128
    learning_rate: float = 0.01
    n_episodes: int = 600
    n_shuffles: int = 10
    probe_l2: float = 1e-2

    def __post_init__(self) -> None:
        for name, (low, high) in COUNT_LIMITS.items():
            check_count(name, getattr(self, name), low, high)
        if not isinstance(self.hidden, tuple) or not 1 <= len(self.hidden) <= 2:
            raise ValueError(f"hidden must be a tuple of one or two widths, got {self.hidden!r}")
        for width in self.hidden:
            check_count("hidden width", width, 1, MAX_WIDTH)
        check_number("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_number("probe_l2", self.probe_l2, 0.0)

    @property
    def n_inputs(self) -> int:
        """Length of the observation vector."""
        return 6 + self.n_distractors

    @property
    def max_steps(self) -> int:
        """Episode limit: twice the longest shortest path in the room."""
        return 4 * (self.room - 1)


# --- the task -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class States:
    """A batch of task states; cells are ``(row, col)`` inside the room.

    Attributes:
        agent: ``(n, 2)`` the agent's cell.
        targets: ``(n, 2, 2)`` cells of target A and target B.
        cues: ``(n, 2)`` the two cue bits (0 or 1).
        distractors: ``(n, k)`` irrelevant bits (0 or 1).
    """

    agent: np.ndarray
    targets: np.ndarray
    cues: np.ndarray
    distractors: np.ndarray

    @property
    def goal(self) -> np.ndarray:
        """``(n,)`` index of the cued target: 0 (A) if the bits differ, 1 (B) if they agree."""
        return (self.cues[:, 0] == self.cues[:, 1]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.agent)

    def select(self, index: np.ndarray) -> States:
        """The states at ``index``."""
        return States(
            self.agent[index], self.targets[index], self.cues[index], self.distractors[index]
        )


def sample_states(n: int, room: int, rng: np.random.Generator, n_distractors: int = 0) -> States:
    """``n`` random states: distinct cells for agent, A and B; fair cue and distractor bits."""
    keys = rng.random((n, room * room))
    cells = np.argsort(keys, axis=1)[:, :3]  # three distinct cells per state
    rc = np.stack(np.divmod(cells, room), axis=-1)
    bits = rng.integers(0, 2, (n, 2 + n_distractors))
    return States(agent=rc[:, 0], targets=rc[:, 1:], cues=bits[:, :2], distractors=bits[:, 2:])


def observe(states: States, room: int) -> np.ndarray:
    """``(n, 6 + k)`` network input.

    Cue bits as +-1, each target's offset from the agent divided by ``room - 1``
    (A's row and column, then B's), then the distractor bits as +-1.
    """
    offsets = (states.targets - states.agent[:, None, :]) / (room - 1)
    return np.concatenate(
        [2.0 * states.cues - 1.0, offsets.reshape(len(states), 4), 2.0 * states.distractors - 1.0],
        axis=1,
    )


def oracle_policy(states: States, room: int) -> np.ndarray:
    """``(n, 4)`` the optimal policy: uniform over moves on a shortest path to the cued goal.

    Breadth-first search in the room, with the other target treated as a wall.
    """
    n, size = len(states), room + 2
    rows = np.arange(n)
    walls = np.ones((n, size, size), dtype=bool)
    walls[:, 1:-1, 1:-1] = False
    other = states.targets[rows, 1 - states.goal] + 1
    walls[rows, other[:, 0], other[:, 1]] = True
    dist = distance_maps(walls, states.targets[rows, states.goal] + 1).astype(np.int64)
    here = states.agent + 1
    nxt = here[:, None, :] + ACTIONS[None]
    closer = (
        dist[rows[:, None], nxt[..., 0], nxt[..., 1]]
        == dist[rows, here[:, 0], here[:, 1]][:, None] - 1
    )
    return closer / closer.sum(axis=1, keepdims=True)


# --- the network --------------------------------------------------------------------------------


def layer_sizes(config: Config) -> tuple[int, ...]:
    """Input, hidden and output widths of the network."""
    return (config.n_inputs, *config.hidden, len(ACTIONS))


def train_policy(config: Config, rng: np.random.Generator) -> tuple[MLP, np.ndarray]:
    """Fit the network to the oracle by minibatch Adam on the cross-entropy.

    Args:
        config: Settings.
        rng: Source of the training states, the initial weights and the minibatches.

    Returns:
        The trained network and the loss of every update.
    """
    states = sample_states(config.n_train_states, config.room, rng, config.n_distractors)
    x, y = observe(states, config.room), oracle_policy(states, config.room)
    net = MLP.init(layer_sizes(config), rng, dtype=np.float64)
    adam = Adam(net.params, config.learning_rate)
    losses = np.empty(config.steps)
    for step in range(config.steps):
        pick = rng.integers(0, len(x), config.batch)
        logits, hidden = net.forward(x[pick], return_hidden=True)
        losses[step], dlogits = cross_entropy(logits, y[pick])
        adam.step(net.backward(x[pick], hidden, dlogits))
    return net, losses


# --- playing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Held-out episodes played by the network.

    Attributes:
        episodes: The starting states.
        reached: ``(n,)`` target reached first: 0 (A), 1 (B) or -1 (neither in time).
        x: ``(m, 6 + k)`` input at every visited state (before each move).
        episode: ``(m,)`` which episode each visited state belongs to.
    """

    episodes: States
    reached: np.ndarray
    x: np.ndarray
    episode: np.ndarray

    @property
    def success(self) -> np.ndarray:
        """``(n,)`` the episode ended on the cued target."""
        return self.reached == self.episodes.goal


def play(net: MLP, episodes: States, room: int, max_steps: int) -> Play:
    """Let the network act greedily in every episode at once until it reaches a target.

    Args:
        net: The network.
        episodes: Starting states.
        room: Room side.
        max_steps: Episode limit.

    Returns:
        What happened, with every visited state's input.
    """
    n = len(episodes)
    agent, reached = episodes.agent.copy(), np.full(n, -1)
    xs, ids = [], []
    live = np.arange(n)
    for _ in range(max_steps):
        now = episodes.select(live)
        x = observe(dataclasses.replace(now, agent=agent[live]), room)
        xs.append(x)
        ids.append(live)
        move = ACTIONS[net.forward(x).argmax(axis=1)]
        agent[live] = np.clip(agent[live] + move, 0, room - 1)
        on = (agent[live, None, :] == episodes.targets[live]).all(axis=-1)
        hit = on.any(axis=1)
        reached[live[hit]] = on[hit].argmax(axis=1)
        live = live[~hit]
        if not len(live):
            break
    return Play(episodes, reached, np.concatenate(xs), np.concatenate(ids))


def oracle_agreement(net: MLP, states: States, room: int) -> float:
    """Fraction of states where the network's greedy move is an optimal one."""
    move = net.forward(observe(states, room)).argmax(axis=1)
    return float((oracle_policy(states, room)[np.arange(len(states)), move] > 0).mean())


# --- probes -------------------------------------------------------------------------------------


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 0.0, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method, with a ridge penalty on the weights.

    Minimises ``mean(log(1 + exp(-s * (x @ w + b)))) + l2 / 2 * |w|**2`` with
    ``s = 2 * y - 1``; the bias is not penalised.

    Args:
        x: ``(n, d)`` features.
        y: ``(n,)`` labels in {0, 1}.
        l2: Ridge strength (>= 0); use > 0 if the classes may be separable.
        iterations: Most Newton steps.

    Returns:
        Weights ``(d,)`` and bias.

    Raises:
        ValueError: On mismatched shapes or labels other than 0 and 1.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y)
    if x.ndim != 2 or y.shape != (len(x),):
        raise ValueError(f"x must be (n, d) and y (n,), got {x.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold only the labels 0 and 1")
    design = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    penalty = np.full(design.shape[1], float(l2))
    penalty[-1] = 0.0
    theta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-design @ theta))
        grad = design.T @ (p - y) / len(x) + penalty * theta
        hess = (design.T * (p * (1 - p))) @ design / len(x) + np.diag(penalty + 1e-10)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    return theta[:-1], float(theta[-1])


def probe_accuracy(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, l2: float
) -> float:
    """Held-out accuracy of a logistic probe fitted on standardized training features."""
    mean, std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-8
    w, b = fit_logistic((train_x - mean) / std, train_y, l2)
    return float(((((test_x - mean) / std) @ w + b > 0) == test_y).mean())


# --- the experiment -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Result:
    """One probing run.

    Attributes:
        config: The settings.
        seed: The seed.
        losses: Imitation loss per Adam update.
        oracle_agreement: On the held-out episodes' starting states, how often the
            network's move is one of the oracle's optimal moves.
        success_rate: Held-out episodes that ended on the cued target.
        wrong_target_rate: Held-out episodes that ended on the other target.
        probe_accuracy: Held-out accuracy of the probe reading "heads for A or B" from
            ``"hidden"`` (last hidden layer), ``"raw"`` (the input), ``"shuffled"``
            (last hidden layer, labels shuffled in training), ``"untrained"`` (last
            hidden layer of a freshly initialised network of the same shape), and
            ``"layer_1"`` when there are two hidden layers.
        chance: Accuracy of always guessing the probe-training set's commoner label.
        n_probe_train: States the probes were fitted on.
        n_probe_test: States they were tested on.
    """

    config: Config
    seed: int
    losses: np.ndarray
    oracle_agreement: float
    success_rate: float
    wrong_target_rate: float
    probe_accuracy: dict[str, float]
    chance: float
    n_probe_train: int
    n_probe_test: int


def run(config: Config | None = None, seed: int = 0) -> Result:
    """Train the network, let it play held-out episodes, and probe its activations.

    Arguments, result and errors: see :mod:`mesatoys.experiments.shape`.
    """
    config, seed = start(config, Config, "probing", seed)
    train_rng, episode_rng, control_rng = np.random.default_rng([seed, 5]).spawn(3)
    net, losses = train_policy(config, train_rng)
    episodes = sample_states(config.n_episodes, config.room, episode_rng, config.n_distractors)
    played = play(net, episodes, config.room, config.max_steps)
    accuracy, chance, sizes = _probe_all(config, net, played, control_rng)
    return Result(
        config=config,
        seed=seed,
        losses=losses,
        oracle_agreement=oracle_agreement(net, episodes, config.room),
        success_rate=float(played.success.mean()),
        wrong_target_rate=float(((played.reached >= 0) & ~played.success).mean()),
        probe_accuracy=accuracy,
        chance=chance,
        n_probe_train=sizes[0],
        n_probe_test=sizes[1],
    )


def _probe_all(
    config: Config, net: MLP, played: Play, rng: np.random.Generator
) -> tuple[dict[str, float], float, tuple[int, int]]:
    """Fit every probe on the first half of the episodes and test on the second.

    ``rng`` draws the shuffled labels and the untrained network.
    """
    label = played.reached[played.episode]
    keep = label >= 0
    fit = keep & (played.episode < config.n_episodes // 2)
    test = keep & ~fit
    hidden = net.forward(played.x, return_hidden=True)[1]
    untrained = MLP.init(layer_sizes(config), rng, dtype=np.float64)
    features = {"hidden": hidden[-1], "raw": played.x}
    features["untrained"] = untrained.forward(played.x, return_hidden=True)[1][-1]
    if len(hidden) == 2:
        features["layer_1"] = hidden[0]
    y = (label == 0).astype(np.int64)  # 1: heads for A
    acc = {
        name: probe_accuracy(f[fit], y[fit], f[test], y[test], config.probe_l2)
        for name, f in features.items()
    }
    acc["shuffled"] = float(
        np.mean(
            [
                probe_accuracy(
                    hidden[-1][fit],
                    _shuffled_labels(played, fit, rng),
                    hidden[-1][test],
                    y[test],
                    config.probe_l2,
                )
                for _ in range(config.n_shuffles)
            ]
        )
    )
    common = int(y[fit].mean() >= 0.5)
    chance = float((y[test] == common).mean())
    return acc, chance, (int(fit.sum()), int(test.sum()))


def _shuffled_labels(played: Play, fit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Labels of the fitting states with whole episodes' labels permuted among episodes.

    Every state of an episode keeps one shared label, as in the real task, but the
    label belongs to another random episode, so it carries nothing about the state.
    """
    episodes = np.unique(played.episode[fit])
    relabel = np.full(len(played.reached), -1)
    relabel[episodes] = played.reached[rng.permutation(episodes)]
    return (relabel[played.episode[fit]] == 0).astype(np.int64)


sweep = make_sweep(run, Config, "probing runs")


def summary(results: Iterable[Result]) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of the success rate, chance and each probe's accuracy.

    Returns:
        ``{measure: {"mean", "min", "max"}}`` for ``"success_rate"``, ``"chance"``
        and every key of ``probe_accuracy`` (``"hidden"``, ``"raw"``, ...).

    Raises:
        ValueError: On no results.
    """
    runs = list(results)
    if not runs:
        raise ValueError("results must hold at least one run")
    measures: dict[str, Callable[[Result], float]] = {
        "success_rate": lambda r: r.success_rate,
        "chance": lambda r: r.chance,
    }
    measures |= {name: _accuracy(name) for name in runs[0].probe_accuracy}
    return summarize(runs, measures)


def _accuracy(name: str) -> Callable[[Result], float]:
    return lambda r: r.probe_accuracy[name]


__all__ = [
    "ACTIONS",
    "PROBE_INPUTS",
    "TARGET_NAMES",
    "Config",
    "Play",
    "Result",
    "States",
    "COUNT_LIMITS",
    "fit_logistic",
    "layer_sizes",
    "observe",
    "oracle_agreement",
    "oracle_policy",
    "play",
    "probe_accuracy",
    "run",
    "sample_states",
    "summary",
    "sweep",
    "train_policy",
]
