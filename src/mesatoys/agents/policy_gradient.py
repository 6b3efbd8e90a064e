"""A small network policy trained by policy gradient, with no search and no teacher.

:class:`PolicyNetwork` sees what every agent of the course sees, the whole grid: three
one-hot planes over its interior (walls, its own cell, the cheese's cell; the layout of
:func:`mesatoys.agents.reactive.observation_planes`), mapped by one ReLU hidden layer
(:class:`mesatoys.agents.network.MLP`) to four logits, one per move (up, right, down,
left). It acts by *sampling* a move from their softmax.

It learns from the base reward alone, by REINFORCE (Williams 1992, "Simple Statistical
Gradient-Following Algorithms for Connectionist Reinforcement Learning") with a learned
baseline: play a batch of episodes on freshly drawn training levels, then raise the
log-probability of every move taken by its *advantage*, how much better the discounted
return that followed was than the value a linear head on the hidden layer predicted for
that state. The value head is fitted alongside by least squares, and a small entropy
bonus keeps the policy from settling early. One Adam step (:class:`mesatoys.optimize.Adam`)
per batch. Nobody tells it where the cheese is or which move is best.

The first layer is computed from the planes' structure rather than as a dense product:
a level's walls and cheese are fixed within an episode, and the agent's plane is one-hot.
:meth:`PolicyNetwork.logits_of` does the dense product on a Gymnasium observation, and
a test checks that both agree.

For steering and probing, :meth:`PolicyNetwork.activations` returns the hidden layer's
activations in any state (optionally with the cheese removed from the input), and
:meth:`PolicyNetwork.play` can add a vector to them at every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.agents.network import MLP, log_softmax, matmul_one_thread, t_matmul_one_thread
from mesatoys.agents.reactive import N_PLANES, interior_index, observation_planes, wall_planes
from mesatoys.checks import check_count, check_instance, check_number
from mesatoys.envs.maze import LevelBatch, base_return, neighbour_table
from mesatoys.optimize import Adam

#: The network's four outputs are these actions of :data:`mesatoys.envs.maze.ACTION_NAMES`.
MOVE_ACTIONS = np.array([1, 2, 3, 4])
N_MOVES = len(MOVE_ACTIONS)
#: ``draw(n, rng) -> LevelBatch``: where the training levels come from.
LevelSource = Callable[[int, np.random.Generator], LevelBatch]


@dataclass(frozen=True)
class Rollout:
    """A batch of episodes played by a :class:`PolicyNetwork`.

    Attributes:
        reached_cheese: ``(n,)`` the agent stepped on the cheese.
        reached_corner_first: ``(n,)`` the agent stepped on the top-right corner, which
            did not hold the cheese, before any cheese.
        steps: ``(n,)`` moves taken (the episode ends on the cheese or at the limit).
        returns: ``(n,)`` base-objective return.
        final_pos: ``(n, 2)`` where each episode ended.
        paths: ``(n, max_steps + 1, 2)`` every visited cell, when recorded (an episode
            that ended early repeats its last cell).
        episode: ``(k,)`` for each decision taken, its episode;
        time: ``(k,)`` its step (0 for the first move);
        agent: ``(k,)`` the agent's interior cell then (:func:`interior_index`);
        move: ``(k,)`` the move chosen, an index into :data:`MOVE_ACTIONS`.
    """

    reached_cheese: np.ndarray
    reached_corner_first: np.ndarray
    steps: np.ndarray
    returns: np.ndarray
    final_pos: np.ndarray
    paths: np.ndarray | None
    episode: np.ndarray
    time: np.ndarray
    agent: np.ndarray
    move: np.ndarray


class PolicyNetwork:
    """A one-hidden-layer network from the whole grid to a move, trained by REINFORCE.

    Args:
        hidden: Width of the ReLU hidden layer.
        updates: Adam steps, one per batch of episodes.
        episodes_per_update: Episodes played (on fresh training levels) per step.
        learning_rate: Adam's step size.
        discount: Per-step discount of the return a move is credited with, in (0, 1].
        entropy_bonus: Weight of the policy's entropy in the objective (>= 0).
        value_weight: Weight of the value head's squared error in the loss (>= 0).

    Attributes:
        network_: The fitted :class:`~mesatoys.agents.network.MLP`, input
            ``3 * (size - 2) ** 2`` (walls, agent, cheese planes), output 4 logits in
            the order of :data:`MOVE_ACTIONS`.
        initial_network_: The same network before training (a copy of its first weights).
        value_: ``(hidden + 1,)`` the value head's weights, bias last.
        size_: Side of the grids it was trained on.
        success_curve_: ``(updates,)`` share of each training batch's episodes that
            reached the cheese.
        return_curve_: ``(updates,)`` their mean return.

    Example:
        >>> from mesatoys.envs.maze import generate_levels
        >>> draw = lambda n, rng: generate_levels(n, 9, 0.0, "train", rng, layout="room")
        >>> policy = PolicyNetwork(updates=5).fit(draw, 40, np.random.default_rng(0))
        >>> policy.network_.sizes
        [147, 64, 4]
    """

    def __init__(
        self,
        hidden: int = 64,
        updates: int = 250,
        episodes_per_update: int = 256,
        learning_rate: float = 3e-3,
        discount: float = 0.95,
        entropy_bonus: float = 0.03,
        value_weight: float = 0.5,
    ):
        self.hidden = hidden
        self.updates = updates
        self.episodes_per_update = episodes_per_update
        self.learning_rate = learning_rate
        self.discount = discount
        self.entropy_bonus = entropy_bonus
        self.value_weight = value_weight

    def get_params(self) -> dict:
        """The hyper-parameters, as passed to ``__init__``."""
        return {
            "hidden": self.hidden,
            "updates": self.updates,
            "episodes_per_update": self.episodes_per_update,
            "learning_rate": self.learning_rate,
            "discount": self.discount,
            "entropy_bonus": self.entropy_bonus,
            "value_weight": self.value_weight,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"PolicyNetwork({args})"

    def check_params(self) -> None:
        """Validate the hyper-parameters.

        Raises:
            ValueError: Naming the first bad one, its value and what is allowed.
        """
        check_count("hidden", self.hidden, 1, 1024)
        check_count("updates", self.updates, 0, 100_000)
        check_count("episodes_per_update", self.episodes_per_update, 1, 10_000)
        check_number("learning_rate", self.learning_rate, 0, 1, low_open=True, high_open=True)
        check_number("discount", self.discount, 0, 1, low_open=True)
        check_number("entropy_bonus", self.entropy_bonus, 0)
        check_number("value_weight", self.value_weight, 0)

    # --- training ------------------------------------------------------------------------------

    def fit(
        self,
        draw: LevelSource,
        max_steps: int,
        rng: np.random.Generator,
        progress: bool = False,
    ) -> PolicyNetwork:
        """Train on levels from ``draw``; returns ``self``.

        Args:
            draw: ``draw(n, rng)`` returns ``n`` fresh training levels (all of one size).
            max_steps: Episode limit.
            rng: Source of the initial weights, the levels and the sampled moves.
            progress: Show a progress bar.

        Returns:
            ``self``, trained.

        Raises:
            ValueError: On bad hyper-parameters or arguments.
        """
        self.check_params()
        check_count("max_steps", max_steps, high=10_000)
        check_instance("rng", rng, np.random.Generator)
        first = _checked_levels(draw(1, rng))  # one level tells the grids' size
        self.size_ = first.size
        m = (first.size - 2) ** 2
        self.network_ = MLP.init([N_PLANES * m, self.hidden, N_MOVES], rng)
        self.network_.weights[-1] *= 0.1  # start close to uniform moves
        self.initial_network_ = MLP(
            [w.copy() for w in self.network_.weights], [b.copy() for b in self.network_.biases]
        )
        self.value_ = np.zeros(self.hidden + 1, dtype=np.float32)
        adam = Adam([*self.network_.params, self.value_], self.learning_rate)
        self.success_curve_ = np.zeros(self.updates)
        self.return_curve_ = np.zeros(self.updates)
        from tqdm.auto import tqdm

        for update in tqdm(range(self.updates), desc="training", disable=not progress):
            levels = _checked_levels(draw(self.episodes_per_update, rng), self.size_)
            played = self.play(levels, max_steps, rng)
            adam.step(self._gradients(levels, played))
            self.success_curve_[update] = played.reached_cheese.mean()
            self.return_curve_[update] = played.returns.mean()
        return self

    def _gradients(self, levels: LevelBatch, played: Rollout) -> list[np.ndarray]:
        """The loss's gradient for every parameter: policy, entropy and value terms.

        Written out for the one hidden layer (every product on one BLAS thread):
        ``h = relu(pre)``, ``logits = h W_1 + b_1``, ``value = h v + c``.
        """
        net, m = self.network_, (self.size_ - 2) ** 2
        episode, agent = played.episode, played.agent
        w1, v = net.weights[1], self.value_[:-1]
        h = np.maximum(self._level_part(levels)[episode] + net.weights[0][m + agent], 0.0)
        logits = matmul_one_thread(h, w1) + net.biases[1]
        value = (h * v).sum(axis=1) + self.value_[-1]
        to_go = played.steps[episode] - 1 - played.time
        target = (played.returns[episode] * self.discount**to_go).astype(np.float32)
        advantage = target - value
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        logp = log_softmax(logits)
        p = np.exp(logp)
        k = len(episode)
        chosen = np.zeros_like(p)
        chosen[np.arange(k), played.move] = 1.0
        entropy_grad = p * (logp - (p * logp).sum(axis=1, keepdims=True))  # of -entropy
        dlogits = (-advantage[:, None] * (chosen - p) + self.entropy_bonus * entropy_grad) / k
        dlogits = dlogits.astype(np.float32)
        dvalue = (self.value_weight * 2 * (value - target) / k).astype(np.float32)
        dpre = (matmul_one_thread(dlogits, w1.T) + np.outer(dvalue, v)) * (h > 0)
        return [
            *self._first_layer_grads(levels, played, dpre),
            t_matmul_one_thread(h, dlogits),
            dlogits.sum(axis=0),
            np.append((h * dvalue[:, None]).sum(axis=0), dvalue.sum()).astype(np.float32),
        ]

    def _first_layer_grads(
        self, levels: LevelBatch, played: Rollout, dpre: np.ndarray
    ) -> list[np.ndarray]:
        """Gradients of ``W_0`` and ``b_0`` from the one-hot structure of the input."""
        m = (self.size_ - 2) ** 2
        per_level = _sum_rows_by(played.episode, dpre, len(levels))
        dw0 = np.zeros_like(self.network_.weights[0])
        dw0[:m] = t_matmul_one_thread(wall_planes(levels), per_level)
        dw0[m : 2 * m] = _sum_rows_by(played.agent, dpre, m)
        dw0[2 * m :] = _sum_rows_by(self._cheese_cells(levels), per_level, m)
        return [dw0, dpre.sum(axis=0)]

    # --- acting --------------------------------------------------------------------------------

    def _cheese_cells(self, levels: LevelBatch) -> np.ndarray:
        return interior_index(levels.size)[levels.cheese[:, 0] * levels.size + levels.cheese[:, 1]]

    def _level_part(self, levels: LevelBatch, cheese: bool = True) -> np.ndarray:
        """The first pre-activation's part fixed within an episode: walls, cheese, bias."""
        m, w0 = (levels.size - 2) ** 2, self.network_.weights[0]
        part = matmul_one_thread(wall_planes(levels), w0[:m]) + self.network_.biases[0]
        return part + w0[2 * m + self._cheese_cells(levels)] if cheese else part

    def play(
        self,
        levels: LevelBatch,
        max_steps: int,
        rng: np.random.Generator,
        record: bool = False,
        shift: np.ndarray | None = None,
    ) -> Rollout:
        """Play every level once from its start, sampling each move from the policy.

        An episode ends on the cheese or after ``max_steps`` moves; a move into a wall
        leaves the agent where it is.

        Args:
            levels: Grids of the size the policy was trained on.
            max_steps: Episode limit.
            rng: Source of the sampled moves.
            record: Keep every episode's path.
            shift: Added to the hidden activations at every step, before the output
                layer (steering): ``(hidden,)`` for every episode or ``(n, hidden)``, one
                per level.

        Returns:
            The episodes, with every decision taken.
        """
        self._check_fitted(levels)
        check_count("max_steps", max_steps, high=10_000)
        check_instance("rng", rng, np.random.Generator)
        shift = self._checked_shift(shift, len(levels))
        base = self._level_part(levels)
        m = (self.size_ - 2) ** 2
        w0, w1, b1 = self.network_.weights[0], self.network_.weights[1], self.network_.biases[1]

        def choose(live: np.ndarray, cell: np.ndarray) -> np.ndarray:
            h = base[live] + w0[m + cell]
            np.maximum(h, 0.0, out=h)
            if shift is not None:
                h += shift[live]
            return _sample(matmul_one_thread(h, w1) + b1, rng)

        return _roll_out(levels, max_steps, choose, record)

    def activations(self, levels: LevelBatch, agent: np.ndarray, cheese: bool = True) -> np.ndarray:
        """Hidden activations with the agent at ``agent[i]`` in level ``i``.

        Args:
            levels: Grids of the size the policy was trained on.
            agent: ``(n, 2)`` open cells, one per level.
            cheese: Include the cheese in the input (False: its plane is all zero, as
                if there were no cheese).

        Returns:
            ``(n, hidden)`` activations after the ReLU.
        """
        self._check_fitted(levels)
        agent = np.asarray(agent)
        cell = interior_index(self.size_)[agent[:, 0] * self.size_ + agent[:, 1]]
        m = (self.size_ - 2) ** 2
        pre = self._level_part(levels, cheese) + self.network_.weights[0][m + cell]
        return np.maximum(pre, 0.0)

    def logits_of(self, observation: np.ndarray) -> np.ndarray:
        """Move logits from a Gymnasium observation (``(size, size)`` grid, or a batch).

        The observation codes are those of :class:`~mesatoys.envs.CheeseMazeEnv`;
        logit ``j`` is for action ``MOVE_ACTIONS[j]``.
        """
        self._check_fitted()
        obs = np.asarray(observation)
        if obs.shape[-2:] != (self.size_, self.size_):
            raise ValueError(
                f"observation must be a {self.size_} x {self.size_} grid (the size the policy "
                f"was trained on), got shape {obs.shape}"
            )
        return self.network_.forward(observation_planes(obs))

    def _checked_shift(self, shift: object, n: int) -> np.ndarray | None:
        if shift is None:
            return None
        width = self.network_.weights[0].shape[1]
        array = np.asarray(shift, dtype=np.float32)
        if array.shape not in ((width,), (n, width)) or not np.isfinite(array).all():
            raise ValueError(
                f"shift must be None or finite numbers of shape ({width},) or ({n}, {width}), "
                f"got shape {array.shape}"
            )
        return np.broadcast_to(array, (n, width))

    def _check_fitted(self, levels: LevelBatch | None = None) -> None:
        if not hasattr(self, "network_"):
            raise RuntimeError("PolicyNetwork must be trained first: call fit(draw, ...)")
        if levels is not None:
            _checked_levels(levels, self.size_)


def _roll_out(
    levels: LevelBatch,
    max_steps: int,
    choose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    record: bool,
) -> Rollout:
    """Step every level with ``choose(live episodes, agents' interior cells) -> moves``."""
    size, n = levels.size, len(levels)
    inner = interior_index(size)
    nbrs = neighbour_table(levels.walls)
    pos = levels.start[:, 0] * size + levels.start[:, 1]
    cheese = levels.cheese[:, 0] * size + levels.cheese[:, 1]
    corner = size + size - 2
    corner_first = np.zeros(n, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    paths = np.repeat(pos[:, None], max_steps + 1, axis=1) if record else None
    decisions: list[tuple[np.ndarray, ...]] = []
    live = np.arange(n)
    for t in range(max_steps):
        cell = inner[pos[live]]
        move = choose(live, cell)
        decisions.append((live, np.full(len(live), t), cell, move))
        pos[live] = nbrs[live, pos[live], MOVE_ACTIONS[move]]
        steps[live] = t + 1
        if record:
            paths[live, t + 1 :] = pos[live, None]
        corner_first[live] |= (pos[live] == corner) & (cheese[live] != corner)
        live = live[pos[live] != cheese[live]]
        if len(live) == 0:
            break
    got = pos == cheese
    unflat = lambda flat: np.stack(np.divmod(flat, size), axis=-1)  # noqa: E731
    episode, time, agent, move = (np.concatenate(parts) for parts in zip(*decisions, strict=True))
    return Rollout(
        reached_cheese=got,
        reached_corner_first=corner_first,
        steps=steps,
        returns=np.where(got, base_return(steps, max_steps), 0.0),
        final_pos=unflat(pos),
        paths=None if paths is None else unflat(paths),
        episode=episode,
        time=time,
        agent=agent,
        move=move,
    )


def _sample(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One move per row, drawn with probabilities ``softmax(logits)`` (inverse CDF)."""
    logits -= logits.max(axis=1, keepdims=True)
    cumulative = np.exp(logits, out=logits).cumsum(axis=1)
    threshold = rng.random(len(logits)) * cumulative[:, -1]
    return np.minimum((cumulative < threshold[:, None]).sum(axis=1), N_MOVES - 1)


def _sum_rows_by(index: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """``(n, width)``: row ``i`` is the sum of the ``rows`` whose ``index`` is ``i``."""
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    out = np.zeros((n, rows.shape[1]), dtype=rows.dtype)
    out[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


def _checked_levels(levels: object, size: int | None = None) -> LevelBatch:
    if not isinstance(levels, LevelBatch) or len(levels) == 0:
        raise ValueError(f"levels must be a non-empty LevelBatch, got {levels!r}")
    if size is not None and levels.size != size:
        raise ValueError(
            f"levels must be {size} x {size} grids (the size the policy was trained on), "
            f"got size {levels.size}"
        )
    return levels


__all__ = ["MOVE_ACTIONS", "N_MOVES", "LevelSource", "PolicyNetwork", "Rollout"]
