"""Small helpers every grid picture of the course shares."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes


def frame_grid(ax: Axes, height: int, width: int, title: str | None = None) -> Axes:
    """Frame a picture of a ``height`` x ``width`` grid: row 0 on top, no ticks, a title.

    Args:
        ax: The axes the grid is drawn on (cell ``(r, c)`` centred at ``x=c, y=r``).
        height: Rows.
        width: Columns.
        title: Axes title (None: leave it as it is).

    Returns:
        ``ax``.
    """
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def cell_words(cell: Sequence[int], height: int, width: int | None = None) -> str:
    """Where a cell is, for a reader who cannot see the picture.

    Args:
        cell: ``(row, column)``.
        height: Rows of the grid.
        width: Columns (default: ``height``).

    Returns:
        For example ``"row 1, column 11 (top right)"``.
    """
    width = height if width is None else width
    r, c = int(cell[0]), int(cell[1])
    row = ("top", "middle", "bottom")[min(2, 3 * r // height)]
    col = ("left", "centre", "right")[min(2, 3 * c // width)]
    where = "centre" if (row, col) == ("middle", "centre") else f"{row} {col}"
    return f"row {r}, column {c} ({where})"
