"""Pictures in words: what a widget's picture shows, and which numbers a figure lists.

- :class:`Picture`: ``ipywidgets.Image`` has no ``alt`` attribute, so a screen reader can
  say nothing of it. A Picture shows PNG bytes in an ``ipywidgets.HTML`` instead, as an
  ``<img>`` whose ``alt`` text says what the learner now sees
  (:func:`mesatoys.display.png_html`), and keeps both, so that every redraw replaces the
  picture and its words together.
- :func:`spread`: which points of a long curve a figure's table of numbers lists.
"""

from __future__ import annotations

from typing import Any

from mesatoys.display import png_html

#: The most rows a figure's table of numbers lists.
MAX_ROWS = 30


class Picture:
    """PNG bytes and the words that say what they show, in an HTML widget.

    Args:
        **layout: ``ipywidgets.Layout`` settings of the widget (e.g. ``max_width="100%"``).

    Attributes:
        widget: The ``ipywidgets.HTML`` to put in a container.
        png: The PNG bytes shown (empty before the first :meth:`show`).
        alt: Their text alternative (empty before the first :meth:`show`).
    """

    def __init__(self, **layout: Any):
        import ipywidgets as w

        self.widget = w.HTML("", layout=w.Layout(**layout))
        self.png, self.alt = b"", ""

    def show(self, png: bytes, alt: str) -> None:
        """Show new PNG bytes with their text alternative.

        Args:
            png: The picture.
            alt: What it shows and what it finds, with its numbers, in a sentence or three.

        Raises:
            ValueError: If ``alt`` is empty.
        """
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError(f"alt must describe the picture in words, got {alt!r}")
        self.png, self.alt = bytes(png), " ".join(alt.split())
        self.widget.value = png_html(self.png, self.alt)


def spread(n: int, most: int = MAX_ROWS) -> list[int]:
    """Indices of at most ``most`` of ``n`` points: every 1st, 2nd, 5th, 10th, 20th, 50th...

    The step is the smallest of those that keeps ``most`` points or fewer; the last point
    is always kept.

    Args:
        n: Points on the curve (at least 1).
        most: The most to keep (at least 2).

    Returns:
        For example ``spread(201)``: 0, 10, 20, ..., 200.
    """
    if n <= 0:
        return []
    step = 1
    while True:
        for factor in (1, 2, 5):
            kept = list(range(0, n, step * factor))
            if kept[-1] != n - 1:
                kept.append(n - 1)
            if len(kept) <= most:
                return kept
        step *= 10
