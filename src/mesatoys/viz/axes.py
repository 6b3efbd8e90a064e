"""Small helpers every grid picture of the course shares."""

from __future__ import annotations

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
