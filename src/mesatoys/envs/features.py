"""Named cell features of the cheese maze: what a mesa-objective can care about.

Each feature marks one cell per level. The four corners are always visible; the
cheese is visible only once the agent has come within ``cheese_radius`` (Chebyshev
distance) of it, as a small object is only seen from nearby.
"""

from __future__ import annotations

import numpy as np

from mesatoys.checks import is_integer
from mesatoys.envs.maze import LevelBatch, chebyshev

FEATURE_NAMES = ("cheese", "top_right", "top_left", "bottom_left", "bottom_right")
CHEESE = FEATURE_NAMES.index("cheese")
TOP_RIGHT = FEATURE_NAMES.index("top_right")


def corner_cells(size: int) -> np.ndarray:
    """``(4, 2)`` open corner cells in the order of ``FEATURE_NAMES[1:]``."""
    last = size - 2
    return np.array([(1, last), (1, 1), (last, 1), (last, last)])


def feature_cells(levels: LevelBatch) -> np.ndarray:
    """Cell of every feature in every level.

    Args:
        levels: The levels.

    Returns:
        Integer array ``(n_levels, n_features, 2)`` ordered as :data:`FEATURE_NAMES`.
    """
    fixed = np.broadcast_to(corner_cells(levels.size), (len(levels), 4, 2))
    return np.concatenate([levels.cheese[:, None, :], fixed], axis=1)


def cheese_in_view(pos: np.ndarray, cheese: np.ndarray, radius: int | None) -> np.ndarray:
    """Whether the cheese is within the agent's view (``radius=None``: always)."""
    if radius is None:
        return np.ones(np.broadcast_shapes(np.shape(pos), np.shape(cheese))[:-1], dtype=bool)
    return chebyshev(pos, cheese) <= radius


def shared_cells(cells: np.ndarray) -> np.ndarray:
    """``(n, k, k)`` mask: feature j sits on the same cell as feature k."""
    return (cells[:, :, None, :] == cells[:, None, :, :]).all(axis=-1)


def check_radius(cheese_radius: int | None) -> int | None:
    """Validate a view radius: ``None`` (see everything) or an integer >= 0.

    Raises:
        ValueError: Otherwise.
    """
    if cheese_radius is None:
        return None
    if not is_integer(cheese_radius):
        raise ValueError(f"cheese_radius must be None or an integer >= 0, got {cheese_radius!r}")
    if cheese_radius < 0:
        raise ValueError(f"cheese_radius must be None or an integer >= 0, got {cheese_radius}")
    return int(cheese_radius)


def view_table(levels: LevelBatch, cheese_radius: int | None) -> np.ndarray:
    """``(n, size * size)``: from which cells each level's cheese is in view."""
    size = levels.size
    cells = np.stack(np.divmod(np.arange(size * size), size), axis=1)
    return cheese_in_view(cells[None], levels.cheese[:, None, :], cheese_radius)
