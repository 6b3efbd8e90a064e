"""Batched numpy core of the cheese-maze family.

Many levels live side by side in arrays with a leading batch axis, so that
generating, planning in and stepping through a thousand mazes costs a handful of
numpy operations. The Gymnasium environment in :mod:`mesatoys.envs.cheese_maze`
is a one-level view over the same functions.

Coordinates are ``(row, column)`` with row 0 at the top. A maze of side ``size``
(odd) has border walls; "rooms" sit at odd coordinates and the cells between two
rooms are either wall or passage. The *corner* is the top-right open cell
``(1, size - 2)``.

Example:
    >>> import numpy as np
    >>> levels = generate_levels(4, size=9, alpha=0.0, split="train", rng=np.random.default_rng(0))
    >>> levels.walls.shape, bool((levels.cheese == levels.corner).all())
    ((4, 9, 9), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesatoys.checks import check_choice, check_fraction, check_instance, is_integer

MIN_SIZE = 5
#: Largest maze side. The course's mazes are 5 to 13 cells; 101 leaves room to
#: experiment while a batch of levels, the planner's ``(n, size * size, 5)`` tables
#: and the int16 distances (at most ``size * size`` < :data:`UNREACHABLE`) stay small.
MAX_SIZE = 101
#: Most grid cells (levels x size x size) one call may generate: generating takes about
#: 20 bytes a cell at its peak, so this is about 200 MB, within a 1 GB JupyterHub
#: (e.g. 59,000 levels of side 13, or 980 of side 101).
MAX_BATCH_CELLS = 10_000_000
ACTION_NAMES = ("stay", "up", "right", "down", "left")
MOVES = np.array([(0, 0), (-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)
SPLITS = ("train", "test")
#: ``"maze"``: corridors carved by a depth-first search; ``"room"``: one open room with a
#: few single-cell obstacles.
LAYOUTS = ("maze", "room")
UNREACHABLE = np.iinfo(np.int16).max


@dataclass(frozen=True)
class LevelBatch:
    """A batch of cheese-maze levels.

    Attributes:
        walls: Boolean array ``(n, size, size)``; True where a cell is wall.
        start: Integer array ``(n, 2)``: the agent's starting cell per level.
        cheese: Integer array ``(n, 2)``: the cheese's cell per level.
    """

    walls: np.ndarray
    start: np.ndarray
    cheese: np.ndarray

    @property
    def size(self) -> int:
        """Side length of every maze in the batch."""
        return int(self.walls.shape[-1])

    @property
    def corner(self) -> np.ndarray:
        """The top-right open cell, ``(1, size - 2)``."""
        return np.array([1, self.size - 2])

    def __len__(self) -> int:
        return int(self.walls.shape[0])

    def __getitem__(self, index: int | slice | np.ndarray) -> LevelBatch:
        """Select levels; an integer index keeps a batch of one."""
        if isinstance(index, (int, np.integer)):
            index = slice(int(index), int(index) + 1)
        return LevelBatch(self.walls[index], self.start[index], self.cheese[index])


def check_size(size: int) -> int:
    """Validate a maze side length.

    Args:
        size: Side of the square grid, border walls included.

    Returns:
        ``size`` as a plain int.

    Raises:
        ValueError: If ``size`` is not an odd integer in [5, :data:`MAX_SIZE`].
    """
    if not is_integer(size):
        raise ValueError(f"size must be an odd integer >= {MIN_SIZE}, got {size!r}")
    if size > MAX_SIZE:
        raise ValueError(
            f"size must be an odd integer in [{MIN_SIZE}, {MAX_SIZE}] "
            f"(MAX_SIZE keeps a batch of mazes within memory), got {size}"
        )
    if size < MIN_SIZE or size % 2 == 0:
        raise ValueError(f"size must be an odd integer >= {MIN_SIZE}, got {size}")
    return int(size)


def check_batch(n: object, size: int) -> int:
    """Validate a number of levels of side ``size``: at most :data:`MAX_BATCH_CELLS` cells.

    Raises:
        ValueError: Unless ``n`` is an integer in ``[0, MAX_BATCH_CELLS // size**2]``.
    """
    most = MAX_BATCH_CELLS // (size * size)
    if not is_integer(n) or not 0 <= n <= most:
        raise ValueError(
            f"n must be an integer in [0, {most}] for size {size} "
            f"(MAX_BATCH_CELLS: at most {MAX_BATCH_CELLS:,} cells in one batch), got {n!r}"
        )
    return int(n)


def check_rng(rng: object) -> np.random.Generator:
    """Validate a source of randomness: a ``numpy.random.Generator``.

    Raises:
        TypeError: Otherwise (e.g. a seed: pass ``np.random.default_rng(seed)``).
    """
    return check_instance("rng", rng, np.random.Generator)


def generate_walls(
    n: int, size: int, rng: np.random.Generator, extra_openings: float = 0.0
) -> np.ndarray:
    """Carve ``n`` random mazes at once with a lock-step depth-first search.

    Every maze runs the recursive-backtracker algorithm; because each room is pushed
    and popped exactly once, all mazes finish after the same number of steps, so the
    search runs for the whole batch in one loop.

    Args:
        n: Number of mazes (see :func:`check_batch`).
        size: Odd side length in [5, :data:`MAX_SIZE`].
        rng: Source of randomness.
        extra_openings: Probability of knocking out each remaining inner wall
            between two rooms afterwards, which adds loops (0 keeps perfect mazes).

    Returns:
        Boolean wall array of shape ``(n, size, size)``.
    """
    size = check_size(size)
    n = check_batch(n, size)
    check_rng(rng)
    extra_openings = check_fraction("extra_openings", extra_openings)
    rooms = (size - 1) // 2
    walls = np.ones((n, size, size), dtype=bool)
    walls[:, 1::2, 1::2] = False
    visited = np.zeros((n, rooms, rooms), dtype=bool)
    stack = np.zeros((n, rooms * rooms, 2), dtype=np.int64)
    first = rng.integers(0, rooms, size=(n, 2))
    batch = np.arange(n)
    stack[:, 0] = first
    visited[batch, first[:, 0], first[:, 1]] = True
    depth = np.ones(n, dtype=np.int64)
    steps = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)])
    for _ in range(2 * rooms * rooms - 1):
        top = stack[batch, depth - 1]
        nxt = top[:, None, :] + steps[None]
        inside = ((nxt >= 0) & (nxt < rooms)).all(axis=2)
        clipped = np.clip(nxt, 0, rooms - 1)
        fresh = inside & ~visited[batch[:, None], clipped[..., 0], clipped[..., 1]]
        keys = np.where(fresh, rng.random((n, 4)), -1.0)
        choice = keys.argmax(axis=1)
        push = fresh.any(axis=1)
        target = clipped[batch, choice]
        pb = batch[push]
        visited[pb, target[push, 0], target[push, 1]] = True
        stack[pb, depth[push]] = target[push]
        between = top[push] + target[push] + 1  # wall cell between two rooms, in grid units
        walls[pb, between[:, 0], between[:, 1]] = False
        depth = np.where(push, depth + 1, depth - 1)
    if extra_openings > 0:
        walls &= ~_extra_openings(n, size, rng, extra_openings)
    return walls


def _extra_openings(n: int, size: int, rng: np.random.Generator, p: float) -> np.ndarray:
    """Mask of inner wall cells between two rooms, each chosen with probability p."""
    mask = np.zeros((n, size, size), dtype=bool)
    inner = np.zeros((size, size), dtype=bool)
    inner[1:-1:2, 2:-1:2] = True  # between horizontal neighbours
    inner[2:-1:2, 1:-1:2] = True  # between vertical neighbours
    mask[:, inner] = rng.random((n, int(inner.sum()))) < p
    return mask


def check_obstacles(obstacles: object, size: int) -> int:
    """Validate a number of obstacles in a room of side ``size``.

    Raises:
        ValueError: Unless it is an integer in ``[0, (size - 2) ** 2 // 4]`` (a quarter of
            the room at most, so that a connected room is quick to draw).
    """
    most = (size - 2) ** 2 // 4
    if not is_integer(obstacles) or not 0 <= obstacles <= most:
        raise ValueError(
            f"obstacles must be an integer in [0, {most}] for size {size}, got {obstacles!r}"
        )
    return int(obstacles)


def generate_room_walls(n: int, size: int, rng: np.random.Generator, obstacles: int) -> np.ndarray:
    """Open rooms with ``obstacles`` wall cells each, every open cell reachable.

    The obstacles are distinct interior cells drawn uniformly at random, never the
    top-right corner; a room whose obstacles cut off an open cell is drawn again.

    Args:
        n: Number of rooms (see :func:`check_batch`).
        size: Odd side length in [5, :data:`MAX_SIZE`], border walls included.
        rng: Source of randomness.
        obstacles: Wall cells inside each room, an integer in ``[0, (size - 2) ** 2 // 4]``.

    Returns:
        Boolean wall array of shape ``(n, size, size)``.
    """
    size = check_size(size)
    n = check_batch(n, size)
    check_rng(rng)
    obstacles = check_obstacles(obstacles, size)
    inner, corner = (size - 2) ** 2, size - 3  # the corner's interior index
    walls = np.ones((n, size, size), dtype=bool)
    todo = np.arange(n)
    while len(todo):
        keys = rng.random((len(todo), inner))
        keys[:, corner] = 2.0  # never chosen: the obstacles are the smallest keys
        blocked = keys <= np.sort(keys, axis=1)[:, [obstacles - 1]] if obstacles else keys < 0
        drawn = np.ones((len(todo), size, size), dtype=bool)
        drawn[:, 1:-1, 1:-1] = blocked.reshape(len(todo), size - 2, size - 2)
        dist = distance_maps(drawn, np.tile([1, size - 2], (len(todo), 1)))
        joined = ((dist < UNREACHABLE) | drawn).all(axis=(1, 2))
        walls[todo[joined]] = drawn[joined]
        todo = todo[~joined]
    return walls


def open_cells(walls: np.ndarray) -> np.ndarray:
    """Coordinates ``(k, 2)`` of the open cells of a single maze, row-major."""
    return np.argwhere(~walls)


def chebyshev(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Chebyshev (king-move) distance between cells along the last axis."""
    return np.abs(np.asarray(a) - np.asarray(b)).max(axis=-1)


def sample_cells(walls: np.ndarray, allowed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick one allowed open cell uniformly at random per maze.

    Args:
        walls: ``(n, size, size)`` wall array.
        allowed: ``(n, size, size)`` boolean mask of acceptable cells.
        rng: Source of randomness.

    Returns:
        ``(n, 2)`` integer cells.

    Raises:
        ValueError: If a maze has no acceptable open cell.
    """
    ok = allowed & ~walls
    flat_ok = ok.reshape(len(ok), ok.shape[1] * ok.shape[2])  # (no -1: n may be 0)
    if (flat_ok.sum(axis=1) == 0).any():
        raise ValueError("a maze has no open cell that satisfies the placement rule")
    keys = np.where(flat_ok, rng.random(flat_ok.shape), -1.0)
    flat = keys.argmax(axis=1)
    return np.stack(np.unravel_index(flat, ok.shape[1:]), axis=1)


def corner_distance_map(size: int) -> np.ndarray:
    """Chebyshev distance of every cell from the top-right open cell."""
    rows, cols = np.indices((size, size))
    return np.maximum(np.abs(rows - 1), np.abs(cols - (size - 2)))


def generate_levels(
    n: int,
    size: int,
    alpha: float,
    split: str,
    rng: np.random.Generator,
    *,
    extra_openings: float = 0.0,
    min_corner_distance: int = 3,
    layout: str = "maze",
    obstacles: int = 3,
) -> LevelBatch:
    """Generate ``n`` cheese-maze levels.

    Training levels put the cheese in the top-right corner, except that each level
    independently, with probability ``alpha``, is a *distinguishing* level whose
    cheese is placed elsewhere. Test levels always place the cheese elsewhere, so
    "go to the corner" and "go to the cheese" are different acts. "Elsewhere" means
    a uniformly random open cell at Chebyshev distance at least
    ``min_corner_distance`` from the corner. The start is a uniformly random open
    cell other than the cheese and the corner.

    Args:
        n: Number of levels (see :func:`check_batch`).
        size: Odd maze side in [5, :data:`MAX_SIZE`].
        alpha: Fraction of distinguishing training levels, in [0, 1]. Ignored for
            test levels.
        split: ``"train"`` or ``"test"``.
        rng: Source of randomness.
        extra_openings: Probability of opening each remaining inner wall (adds loops).
        min_corner_distance: How far from the corner a displaced cheese must be, an
            integer in ``[1, size - 3]``.
        layout: ``"maze"`` (:func:`generate_walls`) or ``"room"``
            (:func:`generate_room_walls`), one of :data:`LAYOUTS`.
        obstacles: Wall cells inside each room (``layout="room"`` only; see
            :func:`check_obstacles`).

    Returns:
        The levels.

    Raises:
        ValueError: On an unknown split or out-of-range argument.
        TypeError: If ``rng`` is not a ``numpy.random.Generator``.
    """
    check_choice("split", split, SPLITS)
    alpha = check_fraction("alpha", alpha)
    size = check_size(size)
    n = check_batch(n, size)
    check_rng(rng)
    if not is_integer(min_corner_distance) or not 1 <= min_corner_distance <= size - 3:
        raise ValueError(
            f"min_corner_distance must be an integer in [1, {size - 3}] for size {size}, "
            f"got {min_corner_distance!r}"
        )
    if check_choice("layout", layout, LAYOUTS) == "room":
        walls = generate_room_walls(n, size, rng, obstacles)
    else:
        walls = generate_walls(n, size, rng, extra_openings)
    far = np.broadcast_to(corner_distance_map(size) >= min_corner_distance, walls.shape)
    elsewhere = sample_cells(walls, far, rng)
    corner = np.array([1, size - 2])
    displaced = rng.random(n) < alpha if split == "train" else np.ones(n, dtype=bool)
    cheese = np.where(displaced[:, None], elsewhere, corner[None])
    not_start = np.ones(walls.shape, dtype=bool)
    not_start[np.arange(n), cheese[:, 0], cheese[:, 1]] = False
    not_start[:, corner[0], corner[1]] = False
    start = sample_cells(walls, not_start, rng)
    return LevelBatch(walls=walls, start=start, cheese=cheese)


def step_positions(walls: np.ndarray, pos: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Apply actions to positions; a move into a wall leaves the agent in place.

    Args:
        walls: ``(n, size, size)`` walls, one maze per position.
        pos: ``(n, 2)`` current cells.
        actions: ``(n,)`` action indices into :data:`ACTION_NAMES`.

    Returns:
        ``(n, 2)`` new cells.
    """
    target = pos + MOVES[actions]
    blocked = walls[np.arange(len(pos)), target[:, 0], target[:, 1]]
    return np.where(blocked[:, None], pos, target)


def distance_maps(walls: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """Shortest-path distances from every cell to one goal cell per maze.

    A breadth-first search run for all mazes at once: each round grows the set of
    reached cells by one step through open cells (the Bellman backup of value
    iteration with unit step costs). Walls and unreachable cells get
    :data:`UNREACHABLE`.

    Args:
        walls: ``(n, size, size)`` walls.
        goals: ``(n, 2)`` goal cells.

    Returns:
        ``(n, size, size)`` int16 distances.
    """
    n, size, _ = walls.shape
    cells = size * size
    dist = np.full((n, cells), UNREACHABLE, dtype=np.int16)
    frontier = np.zeros((n, cells), dtype=bool)
    frontier[np.arange(n), goals[:, 0] * size + goals[:, 1]] = True
    unseen = ~walls.reshape(n, cells) & ~frontier
    grown = np.empty_like(frontier)
    for depth in range(cells):
        np.putmask(dist, frontier, depth)
        # Flat shifts by 1 and by a row; the border walls stop any wrap-around.
        grown[:, 0] = False
        grown[:, 1:] = frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        grown[:, size:] |= frontier[:, :-size]
        grown[:, :-size] |= frontier[:, size:]
        np.logical_and(grown, unseen, out=frontier)
        if not frontier.any():
            break
        unseen &= ~frontier
    return dist.reshape(n, size, size)


def neighbour_table(walls: np.ndarray) -> np.ndarray:
    """``(n, size * size, 5)`` flat cell reached from every cell by every action."""
    n, size, _ = walls.shape
    rows, cols = np.divmod(np.arange(size * size), size)
    target_r = np.clip(rows[:, None] + MOVES[None, :, 0], 0, size - 1)
    target_c = np.clip(cols[:, None] + MOVES[None, :, 1], 0, size - 1)
    blocked = walls[:, target_r, target_c]
    here = np.arange(size * size)[:, None]
    return np.where(blocked, here, target_r * size + target_c)


def base_return(steps: np.ndarray, max_steps: int) -> np.ndarray:
    """Reward for reaching the cheese after ``steps`` moves: 1 falling to 0.1 at the limit."""
    return 1.0 - 0.9 * np.asarray(steps) / max_steps
