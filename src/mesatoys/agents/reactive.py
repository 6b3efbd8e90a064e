"""A non-searching baseline: a learned lookup table from what the agent sees to a move.

:class:`ReactivePolicy` is tabular Q-learning (Watkins and Dayan 1992, "Q-learning")
over a local observation: the agent's cell and which of its four sides are walls.
It is trained on the same levels and base reward as the mesa-optimizer, but it
does no search at decision time: it repeats the move that paid off in that
situation during training. On the mazes it was trained on this can work; on new
mazes the situations it meets are new or mean something else.
"""

from __future__ import annotations

import numpy as np

from mesatoys.agents.rollout import Episodes
from mesatoys.envs.maze import MOVES, LevelBatch, base_return, neighbour_table

N_ACTIONS = len(MOVES)


def local_state(walls: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Observation index per agent: flat cell * 256 + an 8-bit code of the walls around it.

    Args:
        walls: ``(n, size, size)`` walls, one maze per agent.
        pos: ``(n,)`` flat cells.

    Returns:
        ``(n,)`` integer states in ``[0, size * size * 256)``.
    """
    n, size, _ = walls.shape
    flat = walls.reshape(n, -1)
    offsets = np.array([-size - 1, -size, -size + 1, 1, size + 1, size, size - 1, -1])
    inside = np.clip(pos[:, None] + offsets[None], 0, size * size - 1)
    bits = flat[np.arange(n)[:, None], inside]
    return pos * 256 + bits @ (1 << np.arange(8))


class ReactivePolicy:
    """Tabular Q-learning on local observations, trained on many levels in parallel.

    Args:
        episodes: Training episodes in total.
        parallel: Episodes run side by side.
        learning_rate: Step size of the Q update.
        discount: Discount of future reward.
        epsilon: Exploration rate of the epsilon-greedy behaviour policy.
        explore_factor: Training episodes may last this many times ``max_steps``, so
            that random exploration finds the cheese at all; the discount still
            favours short routes.

    Attributes:
        q_table_: ``(states, 5)`` learned action values, after :meth:`fit`.
    """

    def __init__(
        self,
        episodes: int = 4000,
        parallel: int = 256,
        learning_rate: float = 0.5,
        discount: float = 0.95,
        epsilon: float = 0.3,
        explore_factor: int = 4,
    ):
        self.episodes = episodes
        self.parallel = parallel
        self.learning_rate = learning_rate
        self.discount = discount
        self.epsilon = epsilon
        self.explore_factor = explore_factor

    def fit(self, levels: LevelBatch, max_steps: int, rng: np.random.Generator) -> ReactivePolicy:
        """Learn from the base reward on ``levels``; returns ``self``."""
        size = levels.size
        nbrs = neighbour_table(levels.walls)
        self.q_table_ = np.zeros((size * size * 256, N_ACTIONS))
        lvl = rng.integers(0, len(levels), self.parallel)
        pos, t = self._starts(levels, lvl), np.zeros(self.parallel, dtype=np.int64)
        finished = 0
        while finished < self.episodes:
            state = local_state(levels.walls[lvl], pos)
            greedy = self.greedy(state, rng)
            explore = rng.random(self.parallel) < self.epsilon
            action = np.where(explore, rng.integers(0, N_ACTIONS, self.parallel), greedy)
            pos = nbrs[lvl, pos, action]
            t += 1
            cheese = levels.cheese[lvl]
            won = pos == cheese[:, 0] * size + cheese[:, 1]
            reward = won.astype(float)
            end = won | (t >= self.explore_factor * max_steps)
            nxt_value = self.q_table_[local_state(levels.walls[lvl], pos)].max(axis=1)
            target = reward + np.where(won, 0.0, self.discount * nxt_value)
            self.q_table_[state, action] += self.learning_rate * (
                target - self.q_table_[state, action]
            )
            finished += int(end.sum())
            if end.any():
                lvl[end] = rng.integers(0, len(levels), int(end.sum()))
                pos[end] = self._starts(levels, lvl[end])
                t[end] = 0
        return self

    @staticmethod
    def _starts(levels: LevelBatch, lvl: np.ndarray) -> np.ndarray:
        start = levels.start[lvl]
        return start[:, 0] * levels.size + start[:, 1]

    def greedy(self, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Best known action per state, ties broken at random (unseen states act randomly)."""
        values = self.q_table_[state]
        noise = rng.random(values.shape) * 1e-9
        return (values + noise).argmax(axis=1)

    def play(self, levels: LevelBatch, max_steps: int, rng: np.random.Generator) -> Episodes:
        """Play every level once, greedily (random among equally valued moves)."""
        if not hasattr(self, "q_table_"):
            raise RuntimeError("ReactivePolicy.play called before fit")
        size, n = levels.size, len(levels)
        nbrs = neighbour_table(levels.walls)
        lvl = np.arange(n)
        pos = self._starts(levels, lvl)
        cheese = levels.cheese[:, 0] * size + levels.cheese[:, 1]
        corner = size + size - 2
        got = np.zeros(n, dtype=bool)
        at_corner = np.zeros(n, dtype=bool)
        steps = np.zeros(n, dtype=np.int64)
        for _ in range(max_steps):
            live = ~got
            action = self.greedy(local_state(levels.walls, pos), rng)
            pos = np.where(live, nbrs[lvl, pos, action], pos)
            steps += live
            got |= pos == cheese
            at_corner |= live & (pos == corner) & ~got
        final = np.stack(np.divmod(pos, size), axis=1)
        returns = np.where(got, base_return(steps, max_steps), 0.0)
        nowhere = np.full((n, 2), -1)
        return Episodes(got, at_corner, at_corner | got, returns, steps, final, nowhere)
