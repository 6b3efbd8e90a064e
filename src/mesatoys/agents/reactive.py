"""A learned policy that does not search: one forward pass of a small network per step.

:class:`ReactivePolicy` is the planner's matched control in notebook 02. It sees what
the planner sees, the whole maze: three one-hot planes over the grid's interior (walls,
its own cell, the cheese's cell; the border is always wall and the corners are fixed,
so they need no input), and maps them through a small ReLU network
(:class:`mesatoys.agents.network.MLP`) to a move. At decision time it runs no search
and no breadth-first search: one forward pass, then the move with the highest logit.

It is trained by behaviour cloning (supervised learning, e.g. Pomerleau 1991,
"Efficient Training of Artificial Neural Networks for Autonomous Navigation"): in
every open cell of every training maze, the target is the shortest-route move
towards the cheese, read off breadth-first-search distances
(:func:`mesatoys.envs.maze.distance_maps`); where several moves are equally short,
the target is uniform over them. Cross-entropy, Adam (:class:`mesatoys.optimize.Adam`)
with a linearly decaying step size, minibatches of whole mazes, a fixed number of
epochs (more for very small training sets). This supervision is richer than
the base reward the planner's outer optimizer sees: it is the easiest honest way to
fit a reactive policy to its training mazes on one CPU in seconds, so that whatever it
does on new mazes is not a failure to learn the old ones.

The first layer is computed from the planes' structure rather than as a dense
product (a maze's walls are shared by all its cells; the agent and the cheese are
one-hot); :meth:`ReactivePolicy.act` does the dense product on a Gymnasium
observation, and a test checks that both give the same moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.network import MLP, cross_entropy
from mesatoys.agents.rollout import Episodes
from mesatoys.checks import check_count
from mesatoys.envs.maze import (
    MOVES,
    UNREACHABLE,
    LevelBatch,
    base_return,
    distance_maps,
    neighbour_table,
)
from mesatoys.optimize import Adam

N_ACTIONS = len(MOVES)
N_PLANES = 3  # walls, agent, cheese
OBS_WALL, OBS_AGENT, OBS_CHEESE = 1, 2, 3  # the CheeseMazeEnv observation codes


def interior_index(size: int) -> np.ndarray:
    """``(size * size,)``: each grid cell's index among the interior cells (-1 on the border).

    The border is wall in every maze, so the network's planes cover only the
    ``(size - 2) ** 2`` interior cells, row-major.
    """
    index = np.full((size, size), -1)
    index[1:-1, 1:-1] = np.arange((size - 2) ** 2).reshape(size - 2, size - 2)
    return index.ravel()


def observation_planes(observation: np.ndarray) -> np.ndarray:
    """The network's input from a :class:`~mesatoys.envs.CheeseMazeEnv` observation.

    Args:
        observation: ``(size, size)`` grid: 0 open, 1 wall, 2 agent, 3 cheese (or a
            batch ``(n, size, size)``).

    Returns:
        ``(..., 3 * (size - 2) ** 2)`` float32: the wall, agent and cheese planes over the
        interior cells (the border is always wall), flattened and concatenated in that
        order.
    """
    inner = np.asarray(observation)[..., 1:-1, 1:-1]
    codes = (OBS_WALL, OBS_AGENT, OBS_CHEESE)
    planes = [(inner == code).reshape(*inner.shape[:-2], -1) for code in codes]
    return np.concatenate(planes, axis=-1).astype(np.float32)


def wall_planes(levels: LevelBatch) -> np.ndarray:
    """``(n, (size - 2) ** 2)`` float32 wall plane of each maze's interior."""
    return levels.walls[:, 1:-1, 1:-1].reshape(len(levels), -1).astype(np.float32)


@dataclass(frozen=True)
class TrainingSet:
    """Behaviour-cloning targets for every cell of every maze.

    Cells are addressed by interior index (:func:`interior_index`). Only the
    *active* cells, those that are an example in at least one maze, are kept.

    Attributes:
        walls: ``(n, m)`` wall plane of each maze's ``m`` interior cells.
        cheese: ``(n,)`` interior index of each maze's cheese.
        cells: ``(c,)`` interior index of each active cell.
        targets: ``(n, c, 5)`` target move distribution in each active cell (uniform
            over the moves that shorten the route to the cheese by one step).
        mask: ``(n, c)`` which active cells are examples in each maze: open, not the
            cheese, and joined to the cheese.
    """

    walls: np.ndarray
    cheese: np.ndarray
    cells: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    @classmethod
    def build(cls, levels: LevelBatch) -> TrainingSet:
        """Shortest-route targets from one breadth-first search per maze."""
        n, size = len(levels), levels.size
        dist = distance_maps(levels.walls, levels.cheese).reshape(n, -1).astype(np.int64)
        nxt = neighbour_table(levels.walls)  # (n, cells, 5)
        there = np.take_along_axis(dist, nxt.reshape(n, -1), axis=1).reshape(nxt.shape)
        mask = (dist > 0) & (dist < UNREACHABLE)
        shorter = (there == dist[..., None] - 1) & mask[..., None]
        targets = shorter / np.maximum(shorter.sum(axis=-1, keepdims=True), 1)
        active = np.flatnonzero(mask.any(axis=0))  # flat grid cells, all inside the border
        inner = interior_index(size)
        return cls(
            walls=wall_planes(levels),
            cheese=inner[levels.cheese[:, 0] * size + levels.cheese[:, 1]],
            cells=inner[active],
            targets=targets[:, active].astype(np.float32),
            mask=mask[:, active],
        )

    @property
    def n_examples(self) -> int:
        """Number of (maze, cell) examples."""
        return int(self.mask.sum())

    def shuffled(self, rng: np.random.Generator) -> TrainingSet:
        """The same examples with the mazes in random order."""
        order = rng.permutation(len(self.walls))
        return TrainingSet(
            self.walls[order], self.cheese[order], self.cells, self.targets[order], self.mask[order]
        )


class ReactivePolicy:
    """A small network from the whole maze to a move, fitted by behaviour cloning.

    Args:
        hidden: Widths of the ReLU hidden layers.
        epochs: Passes over the training mazes (at least; see ``min_steps``).
        mazes_per_batch: Mazes per minibatch (each brings all its cells).
        learning_rate: Adam's initial step size; it decays linearly to 0 over the epochs.
        min_steps: At least this many Adam steps: a small training set is passed over
            more often, so that a policy fitted to few mazes fits them too.

    Attributes:
        network_: The fitted :class:`~mesatoys.agents.network.MLP`: input
            ``3 * (size - 2) ** 2`` (planes as in :func:`observation_planes`), output 5
            logits in the order of :data:`mesatoys.envs.maze.ACTION_NAMES`.
        size_: Maze side it was fitted on.
        loss_curve_: Mean training cross-entropy of each epoch.
        n_examples_: Number of (maze, cell) examples it was fitted on.
        train_reached_: Fraction of its training mazes whose cheese it reaches from the
            start, after fitting.

    Example:
        >>> from mesatoys.envs.maze import generate_levels
        >>> levels = generate_levels(8, 9, 0.0, "train", np.random.default_rng(0))
        >>> policy = ReactivePolicy().fit(levels, 40, np.random.default_rng(1))
        >>> policy.train_reached_
        1.0
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (256,),
        epochs: int = 60,
        mazes_per_batch: int = 8,
        learning_rate: float = 1e-2,
        min_steps: int = 1000,
    ):
        self.hidden = hidden
        self.epochs = epochs
        self.mazes_per_batch = mazes_per_batch
        self.learning_rate = learning_rate
        self.min_steps = min_steps

    def get_params(self) -> dict:
        """The hyper-parameters, as passed to ``__init__`` (for an unfitted copy)."""
        return {
            "hidden": self.hidden,
            "epochs": self.epochs,
            "mazes_per_batch": self.mazes_per_batch,
            "learning_rate": self.learning_rate,
            "min_steps": self.min_steps,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"ReactivePolicy({args})"

    def check_params(self) -> None:
        """Validate the hyper-parameters.

        Raises:
            ValueError: Naming the first bad one, its value and what is allowed.
        """
        hidden = self.hidden
        if not isinstance(hidden, tuple) or not all(_is_count(h) for h in hidden):
            raise ValueError(f"hidden must be a tuple of integers >= 1, got {hidden!r}")
        check_count("epochs", self.epochs, low=0)
        check_count("mazes_per_batch", self.mazes_per_batch)
        check_count("min_steps", self.min_steps, low=0)
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1:
            raise ValueError(f"learning_rate must be a number in (0, 1), got {rate!r}")

    # --- fitting -------------------------------------------------------------------------------

    def fit(self, levels: LevelBatch, max_steps: int, rng: np.random.Generator) -> ReactivePolicy:
        """Fit the network to the shortest-route moves of ``levels``; returns ``self``.

        Args:
            levels: Training mazes (any start; every open cell is an example).
            max_steps: Episode limit, used to record :attr:`train_reached_` after fitting.
            rng: Source of the initial weights and of the minibatch order.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: On bad hyper-parameters or arguments.
        """
        self.check_params()
        _check_levels(levels)
        check_count("max_steps", max_steps)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
        data = TrainingSet.build(levels)
        net = self._init_network(data, rng)
        adam = Adam(net.params, self.learning_rate)
        epochs = self.n_epochs(len(levels))
        self.loss_curve_ = []
        for epoch in range(epochs):
            adam.learning_rate = self.learning_rate * (1 - epoch / epochs)
            self.loss_curve_.append(self._epoch(net, adam, data.shuffled(rng)))
        self.network_, self.size_, self.n_examples_ = net, levels.size, data.n_examples
        self.train_reached_ = float(self.play(levels, max_steps).reached_cheese.mean())
        return self

    def with_network(self, network: MLP, size: int) -> ReactivePolicy:
        """Use an already fitted network for mazes of side ``size``; returns ``self``.

        Lets a saved fit (its weights and biases) play again without fitting anew.

        Raises:
            ValueError: If the network's input does not match mazes of that size.
        """
        expected = 3 * (size - 2) ** 2
        if network.sizes[0] != expected or network.sizes[-1] != N_ACTIONS:
            raise ValueError(
                f"network must take {expected} inputs (mazes of size {size}) and give "
                f"{N_ACTIONS} moves, got sizes {network.sizes}"
            )
        self.network_, self.size_ = network, int(size)
        return self

    def n_epochs(self, n_levels: int) -> int:
        """Passes over ``n_levels`` training mazes: ``epochs``, or more to make ``min_steps``."""
        batches = -(-n_levels // self.mazes_per_batch)
        return max(self.epochs, -(-self.min_steps // batches))

    def _init_network(self, data: TrainingSet, rng: np.random.Generator) -> MLP:
        """He-normal weights, with each input plane's fan-in counted as its number of ones.

        A plain He start counts all ``3 m`` inputs, but a maze has about ``m / 2`` walls
        and one agent and one cheese cell: the agent's cell would barely move a hidden
        unit at first. Scaling each plane's block to ``sqrt(2 / (3 * ones))`` gives the
        three planes an equal say from the start.
        """
        m = data.walls.shape[1]
        net = MLP.init([N_PLANES * m, *self.hidden, N_ACTIONS], rng)
        ones = (max(float(data.walls.sum(axis=1).mean()), 1.0), 1.0, 1.0)
        for plane, count in enumerate(ones):
            net.weights[0][plane * m : (plane + 1) * m] *= np.sqrt(m / count)
        return net

    def _epoch(self, net: MLP, adam: Adam, data: TrainingSet) -> float:
        """One pass over the mazes in order; the mean loss over its minibatches."""
        k, losses = self.mazes_per_batch, []
        for start in range(0, len(data.walls), k):
            losses.append(self._step(net, adam, data, slice(start, start + k)))
        return float(np.mean(losses))

    @staticmethod
    def _step(net: MLP, adam: Adam, data: TrainingSet, batch: slice) -> float:
        """One Adam step on every active cell of the mazes in ``batch``."""
        walls, cheese, w0 = data.walls[batch], data.cheese[batch], net.weights[0]
        m = walls.shape[1]
        maze_part = walls @ w0[:m] + w0[2 * m + cheese] + net.biases[0]
        pre = maze_part[:, None, :] + w0[m + data.cells]  # (k, active cells, h)
        logits, hidden = net.forward_from(pre, return_hidden=True)
        loss, dlogits = cross_entropy(logits, data.targets[batch], data.mask[batch])
        dpre, rest = net.backward_to(hidden, dlogits)
        per_maze = dpre.sum(axis=1)
        dw0 = np.zeros_like(w0)
        dw0[:m] = walls.T @ per_maze
        dw0[m + data.cells] = dpre.sum(axis=0)
        np.add.at(dw0, 2 * m + cheese, per_maze)
        adam.step([dw0, per_maze.sum(axis=0), *rest])
        return loss

    # --- acting --------------------------------------------------------------------------------

    def logits(self, levels: LevelBatch, pos: np.ndarray) -> np.ndarray:
        """The network's logits for an agent at flat cell ``pos[i]`` of maze ``i``.

        Args:
            levels: The mazes.
            pos: ``(n,)`` flat grid cells (``row * size + column``), inside the border.

        Returns:
            ``(n, 5)`` logits.
        """
        self._check_fitted(levels)
        return self._logits(self._maze_part(levels), np.asarray(pos))

    def _maze_part(self, levels: LevelBatch) -> np.ndarray:
        """The first pre-activation's part that does not depend on the agent's cell."""
        m, w0 = (levels.size - 2) ** 2, self.network_.weights[0]
        cheese = interior_index(levels.size)[
            levels.cheese[:, 0] * levels.size + levels.cheese[:, 1]
        ]
        return wall_planes(levels) @ w0[:m] + w0[2 * m + cheese] + self.network_.biases[0]

    def _logits(self, maze_part: np.ndarray, pos: np.ndarray) -> np.ndarray:
        m, inner = (self.size_ - 2) ** 2, interior_index(self.size_)
        return self.network_.forward_from(maze_part + self.network_.weights[0][m + inner[pos]])

    def act(self, observation: np.ndarray) -> int:
        """Choose a move from a :class:`~mesatoys.envs.CheeseMazeEnv` observation.

        Args:
            observation: ``(size, size)`` grid: 0 open, 1 wall, 2 agent, 3 cheese.

        Returns:
            Action index (0 stay, 1 up, 2 right, 3 down, 4 left): the highest logit.
        """
        self._check_fitted()
        obs = np.asarray(observation)
        if obs.shape != (self.size_, self.size_):
            raise ValueError(
                f"observation must be a {self.size_} x {self.size_} grid (the size the policy "
                f"was fitted on), got shape {obs.shape}"
            )
        return int(np.argmax(self.network_.forward(observation_planes(obs))))

    def play(self, levels: LevelBatch, max_steps: int, record: bool = False) -> Episodes:
        """Play every level once, from its start, taking the highest-logit move each step.

        An episode ends on the cheese or at ``max_steps``; an agent that stays or walks
        into a wall sees the same maze again, so it is stuck there for good and its
        episode ends too (``steps`` counts its moves).

        Args:
            levels: Mazes of the size the policy was fitted on.
            max_steps: Episode limit.
            record: Keep every episode's path.

        Returns:
            The episodes. ``proxy`` marks episodes that ended on the top-right corner
            without the cheese; the policy has no explicit goal, so ``mesa_goal`` is
            ``(-1, -1)`` and ``reached_mesa_goal`` is False; it sees the cheese from the
            start (``cheese_in_view``).
        """
        self._check_fitted(levels)
        maze_part = self._maze_part(levels)

        def choose(live: np.ndarray, pos: np.ndarray) -> np.ndarray:
            return self._logits(maze_part[live], pos).argmax(axis=1)

        return _roll_out(levels, max_steps, choose, record, stuck_ends=True)

    def move_accuracy(self, levels: LevelBatch) -> float:
        """Share of (maze, open cell) pairs where its move is a shortest-route move.

        Every open cell joined to the cheese (but the cheese's own) counts once, not
        only the cells of an episode, so this measures the fit of the whole policy.

        Args:
            levels: Mazes of the size the policy was fitted on.

        Returns:
            A fraction in [0, 1].
        """
        self._check_fitted(levels)
        right, total = 0, 0
        for start in range(0, len(levels), 64):
            data = TrainingSet.build(levels[start : start + 64])
            m = data.walls.shape[1]
            maze_part = self._maze_part(levels[start : start + 64])
            pre = maze_part[:, None, :] + self.network_.weights[0][m + data.cells]
            move = self.network_.forward_from(pre).argmax(axis=-1)
            chosen = np.take_along_axis(data.targets, move[..., None], axis=-1)[..., 0]
            right += int(((chosen > 0) & data.mask).sum())
            total += data.n_examples
        return right / max(total, 1)

    def _check_fitted(self, levels: LevelBatch | None = None) -> None:
        if not hasattr(self, "network_"):
            raise RuntimeError("ReactivePolicy must be fitted first: call fit(levels, ...)")
        if levels is not None:
            _check_levels(levels)
            if levels.size != self.size_:
                raise ValueError(
                    f"levels must be {self.size_} x {self.size_} mazes (the size the policy was "
                    f"fitted on), got size {levels.size}"
                )


def play_random(levels: LevelBatch, max_steps: int, rng: np.random.Generator) -> Episodes:
    """Uniformly random moves (the five actions alike) on every level, from its start.

    The chance baseline: how often does wandering find the cheese within ``max_steps``?

    Args:
        levels: The mazes.
        max_steps: Episode limit.
        rng: Source of the moves.

    Returns:
        The episodes (an episode ends on the cheese or at ``max_steps``).
    """
    _check_levels(levels)
    return _roll_out(
        levels, max_steps, lambda live, pos: rng.integers(0, N_ACTIONS, len(live)), False, False
    )


def _roll_out(
    levels: LevelBatch,
    max_steps: int,
    choose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    record: bool,
    stuck_ends: bool,
) -> Episodes:
    """Step every level's agent with ``choose(live episodes, their flat cells) -> actions``.

    An episode ends on the cheese or at ``max_steps``; with ``stuck_ends`` also when the
    chosen move leaves the agent where it was (a deterministic policy that sees the same
    maze again would repeat it forever).
    """
    check_count("max_steps", max_steps)
    size, n = levels.size, len(levels)
    nbrs = neighbour_table(levels.walls)
    pos = levels.start[:, 0] * size + levels.start[:, 1]
    cheese = levels.cheese[:, 0] * size + levels.cheese[:, 1]
    steps = np.zeros(n, dtype=np.int64)
    paths = np.repeat(pos[:, None], max_steps + 1, axis=1) if record else None
    live = np.arange(n)
    for t in range(1, max_steps + 1):
        nxt = nbrs[live, pos[live], choose(live, pos[live])]
        if stuck_ends:
            moved = nxt != pos[live]
            live, nxt = live[moved], nxt[moved]
        pos[live], steps[live] = nxt, t
        if record:
            paths[live, t:] = nxt[:, None]
        live = live[nxt != cheese[live]]
        if len(live) == 0:
            break
    return _episodes(levels, pos, steps, max_steps, paths)


def _episodes(
    levels: LevelBatch, pos: np.ndarray, steps: np.ndarray, max_steps: int, paths: np.ndarray | None
) -> Episodes:
    """Outcomes of reactive episodes that ended at flat cells ``pos``."""
    size, n = levels.size, len(levels)
    unflat = lambda flat: np.stack(np.divmod(flat, size), axis=-1)  # noqa: E731
    final = unflat(pos)
    got = (final == levels.cheese).all(axis=1)
    return Episodes(
        reached_cheese=got,
        proxy=(final == levels.corner).all(axis=1) & ~got,
        reached_mesa_goal=np.zeros(n, dtype=bool),
        cheese_in_view=np.ones(n, dtype=bool),
        returns=np.where(got, base_return(steps, max_steps), 0.0),
        steps=steps,
        final_pos=final,
        mesa_goal=np.full((n, 2), -1),
        paths=None if paths is None else unflat(paths),
    )


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= 1


def _check_levels(levels: object) -> None:
    if not isinstance(levels, LevelBatch) or len(levels) == 0:
        raise ValueError(f"levels must be a non-empty LevelBatch, got {levels!r}")


__all__ = [
    "N_ACTIONS",
    "ReactivePolicy",
    "TrainingSet",
    "interior_index",
    "observation_planes",
    "play_random",
    "wall_planes",
]
