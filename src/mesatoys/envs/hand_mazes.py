"""Hand-drawn cheese mazes: ASCII art in, a one-level :class:`LevelBatch` out.

A maze is drawn as rows of characters:

- ``#`` wall, ``.`` open floor,
- ``S`` where the mouse starts, ``C`` where the cheese is (both are open floor).

Spaces and tabs inside a row are ignored (so the spaced-out pictures of
:func:`mesatoys.viz.maze_plots.level_ascii` can be pasted back), and so are blank
lines. The parser checks everything an agent relies on and, when something is wrong,
raises a :class:`ValueError` that says what, where, and what is allowed: exactly one
``S`` and one ``C``, a rectangular and square grid, a border of walls all the way
round, and a route of open cells from the start to the cheese.

Positions in messages are ``(row, column)`` counted from 0 at the top-left, the same
coordinates as everywhere else in :mod:`mesatoys.envs.maze`.

Example:
    >>> level = parse_maze(HAND_MAZES["open room"])
    >>> level.size, level.start[0].tolist(), level.cheese[0].tolist()
    (13, [11, 1], [1, 11])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from mesatoys.checks import check_count, is_integer
from mesatoys.envs.maze import MAX_SIZE, MIN_SIZE, UNREACHABLE, LevelBatch, distance_maps

WALL, OPEN, START, CHEESE = "#", ".", "S", "C"
ALLOWED = f"'{WALL}' wall, '{OPEN}' open, '{START}' start, '{CHEESE}' cheese"

# The library. Every maze is 13 x 13 (the size the course's agents are trained on).
# All but the last keep the cheese in the top-right corner, where training put it, so
# that only the layout is new; "cheese moved" moves the cheese as well.
_DRAWN = {
    "corridor": """
        #############
        #..........C#
        #.###########
        #...........#
        ###########.#
        #...........#
        #.###########
        #...........#
        ###########.#
        #...........#
        #.###########
        #S..........#
        #############
    """,
    "loop": """
        #############
        #..........C#
        #.#########.#
        #.#.......#.#
        #.#.#####.#.#
        #.#.#...#.#.#
        #...#.S.#...#
        #.#.#...#.#.#
        #.#.##.##.#.#
        #.#.......#.#
        #.#########.#
        #...........#
        #############
    """,
    "spiral": """
        #############
        #..........C#
        #.###########
        #.#.........#
        #.#.#######.#
        #.#.#.....#.#
        #.#.#.###.#.#
        #.#.#..S#.#.#
        #.#.#####.#.#
        #.#.......#.#
        #.#########.#
        #...........#
        #############
    """,
    "dead ends": """
        #############
        ###.....#.#C#
        ###.###.#.#.#
        ###.#.#.#.#.#
        ###.#.###.#.#
        #...#.###...#
        #.###.###.###
        #...#.....###
        #.###.###.###
        #.....###...#
        #.#.#######.#
        #S#.#.......#
        #############
    """,
    "open room": """
        #############
        #..........C#
        #...........#
        #...........#
        #...#####...#
        #...........#
        #...........#
        #...........#
        #...#####...#
        #...........#
        #...........#
        #S..........#
        #############
    """,
    "cheese moved": """
        #############
        #...........#
        #...........#
        #...........#
        #...#####...#
        #...........#
        #.....S.....#
        #...........#
        #...#####...#
        #...........#
        #...........#
        #C..........#
        #############
    """,
}
HAND_MAZES: dict[str, str] = {
    name: "\n".join(line.strip() for line in art.strip().splitlines())
    for name, art in _DRAWN.items()
}


def _where(row: int, col: int) -> str:
    return f"(row {row}, column {col})"


def _rows(art: object) -> list[str]:
    """The art's non-blank rows with spaces and tabs removed."""
    if not isinstance(art, str):
        raise ValueError(
            f"art must be a string of maze rows ({ALLOWED}), got {type(art).__name__} {art!r}"
        )
    rows = ["".join(line.split()) for line in art.splitlines()]
    rows = [row for row in rows if row]
    if not rows:
        raise ValueError(f"art is empty: draw the maze as rows of {ALLOWED}, one row per line")
    return rows


def _check_characters(rows: list[str]) -> None:
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in (WALL, OPEN, START, CHEESE):
                raise ValueError(
                    f"art has an unknown character {ch!r} at {_where(r, c)}; "
                    f"allowed: {ALLOWED} (spaces are ignored)"
                )


def _check_shape(rows: list[str], size: int | None) -> None:
    width = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(
                f"art must be rectangular: row 0 has {width} cells but row {r} has {len(row)}"
            )
    shape = f"{len(rows)} rows x {width} columns"
    if size is not None and (len(rows), width) != (size, size):
        raise ValueError(f"art must be {size} rows x {size} columns (size={size}), got {shape}")
    if len(rows) != width or width < MIN_SIZE:
        raise ValueError(
            f"art must be a square of at least {MIN_SIZE} x {MIN_SIZE} cells, got {shape}"
        )
    if width > MAX_SIZE:
        raise ValueError(
            f"art must be a square of at most {MAX_SIZE} x {MAX_SIZE} cells (MAX_SIZE), got {shape}"
        )


def _single(rows: list[str], mark: str, name: str) -> np.ndarray:
    found = [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == mark]
    if not found:
        raise ValueError(f"art has no {name} {mark!r}: mark exactly one cell with {mark!r}")
    if len(found) > 1:
        places = ", ".join(_where(*cell) for cell in found)
        raise ValueError(
            f"art has {len(found)} {name}s {mark!r} (at {places}); exactly one is allowed"
        )
    return np.array(found[0])


def parse_maze(art: str, size: int | None = None) -> LevelBatch:
    """Turn ASCII art into a one-level batch, after checking that it is a playable maze.

    Args:
        art: Rows of ``#`` (wall), ``.`` (open), ``S`` (start), ``C`` (cheese).
        size: If given, the side the maze must have (e.g. the size an agent was
            trained on), an integer in [5, :data:`~mesatoys.envs.maze.MAX_SIZE`]; None
            accepts any square of side in that range.

    Returns:
        The level.

    Raises:
        ValueError: Naming what is wrong and where: an empty or non-string ``art``,
            an unknown character, rows of different lengths, a wrong size, no or
            several ``S`` or ``C``, a gap in the border wall, or no route from the
            start to the cheese; or a ``size`` that is not an integer in [5, 101].
    """
    size = check_count("size", size, MIN_SIZE, MAX_SIZE, optional=True)
    rows = _rows(art)
    _check_characters(rows)
    _check_shape(rows, size)
    walls = np.array([[ch == WALL for ch in row] for row in rows])
    start = _single(rows, START, "start")
    cheese = _single(rows, CHEESE, "cheese")
    check_level(walls, start, cheese)
    return LevelBatch(walls[None], start[None], cheese[None])


def check_level(walls: np.ndarray, start: np.ndarray, cheese: np.ndarray) -> None:
    """Check that one maze is playable.

    Args:
        walls: ``(size, size)`` boolean walls.
        start: The start cell ``(row, column)``.
        cheese: The cheese cell.

    Raises:
        ValueError: If ``walls`` is not a square 2-D array of side in [5,
            :data:`~mesatoys.envs.maze.MAX_SIZE`], a cell lies
            outside the grid or in a wall, start and cheese coincide, the border has
            an opening, or no route of open cells joins the start to the cheese.
    """
    walls = np.asarray(walls)
    square = walls.ndim == 2 and walls.shape[0] == walls.shape[1]
    if not square or not MIN_SIZE <= walls.shape[0] <= MAX_SIZE:
        raise ValueError(
            f"walls must be a square 2-D array of side >= {MIN_SIZE} and <= {MAX_SIZE}, "
            f"got shape {walls.shape}"
        )
    if walls.dtype.kind not in "biu":
        raise ValueError(f"walls must be booleans (True for a wall), got dtype {walls.dtype}")
    walls = walls.astype(bool)
    cells = {
        "start": _check_cell("start", start, walls),
        "cheese": _check_cell("cheese", cheese, walls),
    }
    if cells["start"] == cells["cheese"]:
        raise ValueError(f"start and cheese must be different cells, both are at {cells['start']}")
    _check_border(walls)
    distance = distance_maps(walls[None], np.array([cells["cheese"]]))[0]
    if distance[cells["start"]] == UNREACHABLE:
        raise ValueError(
            f"no route from the start {_where(*cells['start'])} to the cheese "
            f"{_where(*cells['cheese'])}: walls separate them; open a path of '.' cells"
        )


def _check_cell(name: str, cell: object, walls: np.ndarray) -> tuple[int, int]:
    size = walls.shape[0]
    ok = np.shape(cell) == (2,) and np.issubdtype(np.asarray(cell).dtype, np.integer)
    if not ok or not all(0 <= int(x) < size for x in np.asarray(cell)):
        raise ValueError(
            f"{name} must be a (row, column) pair of integers in [0, {size - 1}], got {cell!r}"
        )
    row, col = (int(x) for x in np.asarray(cell))
    if walls[row, col]:
        raise ValueError(f"{name} is inside a wall at {_where(row, col)}; it must be an open cell")
    return row, col


def _check_border(walls: np.ndarray) -> None:
    border = np.ones(walls.shape, dtype=bool)
    border[1:-1, 1:-1] = False
    gaps = np.argwhere(border & ~walls)
    if len(gaps):
        where = ", ".join(_where(int(r), int(c)) for r, c in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        raise ValueError(
            f"the border must be wall '{WALL}' all the way round; it is open at {where}{more}"
        )


def maze_art(level: LevelBatch, index: int = 0) -> str:
    """The ASCII art of one level (the inverse of :func:`parse_maze`).

    Args:
        level: Levels.
        index: Which level.

    Returns:
        Rows of ``#``, ``.``, ``S`` and ``C`` joined by newlines.

    Raises:
        ValueError: If ``index`` is not the index of a level of ``level``.
    """
    index = _check_index(level, index)
    grid = np.where(level.walls[index], WALL, OPEN).astype("<U1")
    grid[tuple(level.start[index])] = START
    grid[tuple(level.cheese[index])] = CHEESE
    return "\n".join("".join(row) for row in grid)


def toggle_walls(level: LevelBatch, cells: Iterable[Sequence[int]], index: int = 0) -> LevelBatch:
    """A copy of one level with some inner cells switched between wall and open.

    Args:
        level: Levels.
        cells: ``(row, column)`` cells to switch.
        index: Which level of ``level``.

    Returns:
        A one-level batch, checked with :func:`check_level`.

    Raises:
        ValueError: If a cell is not an inner cell, is the start or the cheese, or
            the result is not playable (e.g. the new wall cuts every route), or
            ``index`` is not the index of a level of ``level``.
    """
    index = _check_index(level, index)
    walls = level.walls[index].copy()
    size = walls.shape[0]
    marked = {tuple(int(x) for x in level.start[index]), tuple(int(x) for x in level.cheese[index])}
    for cell in cells:
        ok = np.shape(cell) == (2,) and all(is_integer(x) for x in cell)
        if not ok or not all(1 <= int(x) <= size - 2 for x in cell):
            raise ValueError(
                f"cells must be (row, column) pairs of integers in [1, {size - 2}] "
                f"(inner cells; the border stays wall), got {cell!r}"
            )
        if tuple(int(x) for x in cell) in marked:
            raise ValueError(f"cells must not include the start or the cheese, got {tuple(cell)}")
        walls[tuple(cell)] = not walls[tuple(cell)]
    check_level(walls, level.start[index], level.cheese[index])
    return LevelBatch(walls[None], level.start[index][None], level.cheese[index][None])


def hand_maze(name: str) -> LevelBatch:
    """One maze of :data:`HAND_MAZES` by name.

    Raises:
        ValueError: If ``name`` is not in the library.
    """
    if not isinstance(name, str) or name not in HAND_MAZES:
        raise ValueError(f"name must be one of {list(HAND_MAZES)}, got {name!r}")
    return parse_maze(HAND_MAZES[name])


def _check_index(level: object, index: object) -> int:
    """``index`` checked to be a level of ``level`` (negative counts from the end)."""
    if not isinstance(level, LevelBatch):
        raise TypeError(f"level must be a LevelBatch, got {type(level).__name__}: {level!r}")
    n = len(level)
    if not is_integer(index) or not -n <= index < n:
        raise ValueError(f"index must be an integer in [{-n}, {n - 1}] ({n} levels), got {index!r}")
    return int(index)


__all__ = [
    "ALLOWED",
    "HAND_MAZES",
    "check_level",
    "hand_maze",
    "maze_art",
    "parse_maze",
    "toggle_walls",
]
