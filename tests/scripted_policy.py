"""A reactive network set by hand, for tests that need to know its every move."""

import numpy as np

from mesatoys.agents.network import MLP
from mesatoys.agents.reactive import ReactivePolicy, interior_index

UP, RIGHT, DOWN, LEFT, STAY = 1, 2, 3, 4, 0


def scripted_policy(moves: dict, default: int = UP, size: int = 13) -> ReactivePolicy:
    """A policy whose move in each interior cell is given: ``(row, col) -> action``.

    Args:
        moves: Actions for chosen cells.
        default: The action everywhere else.
        size: Maze side the policy plays.

    Returns:
        A "fitted" :class:`ReactivePolicy` whose hidden unit ``k`` fires when the agent
        stands in interior cell ``k``.
    """
    m = (size - 2) ** 2
    w0 = np.zeros((3 * m, m), np.float32)
    w0[m : 2 * m] = np.eye(m)
    w1 = np.zeros((m, 5), np.float32)
    w1[:, default] = 1
    inner = interior_index(size)
    for (row, col), action in moves.items():
        w1[inner[row * size + col]] = np.eye(5)[action]
    policy = ReactivePolicy()
    policy.network_ = MLP([w0, w1], [np.zeros(m, np.float32), np.zeros(5, np.float32)])
    policy.size_ = size
    return policy
