"""A planning agent for keys and chests, with a mesa-objective over object kinds.

Its mesa-objective weighs what lies on a cell: ``key`` and ``chest``, and optionally
two features that depend on what the agent carries: ``usable_chest`` (a chest while
the agent holds a key) and ``spare_key`` (a key while it already holds one). Without
those, the objective can only weigh *kinds of object*: it cannot say "a chest is
worth something only if I hold a key". That limit is the inductive bias of the
keys-and-chests toy.

At each step the agent values every remaining object by its utility discounted by
maze distance (value iteration, as in :mod:`mesatoys.agents.planner`) and steps
towards the best; it stays put when no move improves on where it stands, which is
where an episode ends for it. :func:`simulate` runs many episodes in lock step;
:class:`CollectorAgent` acts on one Gymnasium observation and must agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesatoys.agents.planner import (
    DEFAULT_GAMMA,
    check_gamma,
    discount_tables,
    greedy_actions,
    objective_vector,
    value_iteration,
)
from mesatoys.envs.keys_chests import CHEST, KEY, KeyChestLevels
from mesatoys.envs.maze import MOVES, base_return, neighbour_table

OBJECT_FEATURES = ("key", "chest", "usable_chest", "spare_key")


def object_utilities(weights: np.ndarray, is_key: np.ndarray, holding: np.ndarray) -> np.ndarray:
    """Utility of each object for each agent.

    Args:
        weights: ``(n, 4)`` weights over :data:`OBJECT_FEATURES`.
        is_key: ``(n, n_objects)`` True for keys, False for chests.
        holding: ``(n,)`` whether each agent holds at least one key.

    Returns:
        ``(n, n_objects)`` utilities.
    """
    chest = weights[:, 1] + np.where(holding, weights[:, 2], 0.0)
    key = weights[:, 0] + np.where(holding, weights[:, 3], 0.0)
    return np.where(is_key, key[:, None], chest[:, None])


@dataclass(frozen=True)
class CollectorEpisodes:
    """Outcomes of keys-and-chests episodes.

    Attributes:
        chests_opened: Chests opened per episode.
        returns: Base-objective return: each chest pays ``1 - 0.9 * t / max_steps``
            when opened at step ``t``.
        keys_collected: Keys picked up per episode.
        steps: Moves made.
        paths: ``(n, max_steps + 1, 2)`` visited cells, when recorded.
    """

    chests_opened: np.ndarray
    returns: np.ndarray
    keys_collected: np.ndarray
    steps: np.ndarray
    paths: np.ndarray | None = None


@dataclass(frozen=True)
class CollectorTables:
    """Per-level distances and moves, shared by every agent that plays the levels.

    Attributes:
        levels: The levels.
        objects: ``(n, n_objects)`` flat cells.
        discount: ``(n, n_objects, size * size)``: ``gamma ** distance``.
        neighbours: ``(n, size * size, 5)`` cell reached by each action.
    """

    levels: KeyChestLevels
    objects: np.ndarray
    discount: np.ndarray
    neighbours: np.ndarray

    @classmethod
    def build(cls, levels: KeyChestLevels, gamma: float = DEFAULT_GAMMA) -> CollectorTables:
        """Discount tables from every object (one breadth-first search per object)."""
        cells = levels.objects
        discount = discount_tables(levels.walls, cells, check_gamma(gamma))
        flat = cells[..., 0] * levels.size + cells[..., 1]
        return cls(levels, flat, discount, neighbour_table(levels.walls))


def simulate(
    tables: CollectorTables,
    weights: np.ndarray,
    level_index: np.ndarray,
    max_steps: int,
    record: bool = False,
) -> CollectorEpisodes:
    """Play many (objective, level) pairs in lock step.

    Args:
        tables: Tables of the levels.
        weights: ``(n_episodes, 4)`` weights over :data:`OBJECT_FEATURES`.
        level_index: ``(n_episodes,)`` level of each episode.
        max_steps: Episode limit.
        record: Keep the paths.

    Returns:
        The outcomes.
    """
    weights = np.asarray(weights, dtype=float)
    lvl = np.asarray(level_index)
    n = len(lvl)
    rows = np.arange(n)
    size = tables.levels.size
    start = tables.levels.start[lvl]
    pos = start[:, 0] * size + start[:, 1]
    objects = tables.objects[lvl]
    is_key = tables.levels.is_key[lvl]
    alive = np.ones(objects.shape, dtype=bool)
    held = np.zeros(n, dtype=np.int64)
    opened = np.zeros(n, dtype=np.int64)
    returns = np.zeros(n)
    collected = np.zeros(n, dtype=np.int64)
    steps = np.zeros(n, dtype=np.int64)
    live = np.ones(n, dtype=bool)
    paths = np.repeat(pos[:, None], max_steps + 1, axis=1) if record else None
    for t in range(1, max_steps + 1):
        ids = rows[live]
        utility = object_utilities(weights[ids], is_key[ids], held[ids] > 0)
        utility = np.maximum(np.where(alive[ids], utility, 0.0), 0.0)
        nxt = tables.neighbours[lvl[ids], pos[ids]]
        action = greedy_actions(utility, tables.discount, lvl[ids], nxt)
        moving = action != 0
        live[ids[~moving]] = False
        ids, nxt, action = ids[moving], nxt[moving], action[moving]
        if len(ids) == 0:
            break
        pos[ids] = nxt[np.arange(len(ids)), action]
        steps[ids] = t
        here = (objects[ids] == pos[ids, None]) & alive[ids]
        key_here = (here & is_key[ids]).any(axis=1)
        chest_here = (here & ~is_key[ids]).any(axis=1) & (held[ids] > 0)
        take = here & (is_key[ids] | chest_here[:, None])
        alive[ids] &= ~take
        held[ids] += key_here.astype(int) - chest_here.astype(int)
        collected[ids] += key_here
        opened[ids] += chest_here
        returns[ids] += chest_here * base_return(t, max_steps)
        live[ids[~(alive[ids] & ~is_key[ids]).any(axis=1)]] = False
        if record:
            paths[ids, t:] = pos[ids, None]
    unflat = None if paths is None else np.stack(np.divmod(paths, size), axis=-1)
    return CollectorEpisodes(opened, returns, collected, steps, unflat)


class CollectorAgent:
    """One keys-and-chests planner acting on Gymnasium observations.

    Args:
        weights: ``{feature: weight}`` over :data:`OBJECT_FEATURES` (missing: 0).
        gamma: Planning discount, in (0, 1).
    """

    def __init__(self, weights: dict[str, float], gamma: float = DEFAULT_GAMMA):
        self.weights = objective_vector(weights, OBJECT_FEATURES)
        self.gamma = check_gamma(gamma)

    def act(self, observation: dict) -> int:
        """Action from a :class:`~mesatoys.envs.keys_chests.KeysAndChestsEnv` observation."""
        grid = observation["grid"]
        here = tuple(int(x) for x in observation["agent"])
        key_u, chest_u = object_utilities(
            self.weights[None], np.array([[True, False]]), np.array([observation["keys_held"] > 0])
        )[0]
        utility = np.where(grid == KEY, key_u, np.where(grid == CHEST, chest_u, 0.0))
        value = value_iteration((grid == 1)[None], utility[None], self.gamma)[0]
        options = [here]
        for dr, dc in MOVES[1:]:
            nxt = (here[0] + dr, here[1] + dc)
            options.append(here if grid[nxt] == 1 else nxt)
        return int(np.argmax([value[cell] for cell in options]))
