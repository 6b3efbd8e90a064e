"""How every widget of the course displays: the widget, or readable text without it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure


def render_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what an image widget shows)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an RGB(A) pixel array, lightly compressed: fast to make, still small.

    Widgets that repaint only the changing parts of a figure onto a saved background use
    this instead of :func:`render_png`, which draws the whole figure again.
    """
    from PIL import Image  # installed with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


class ShowsWidget:
    """Mixin: displaying the object shows its widget, or its plain text where widgets don't render.

    Front ends that cannot render widgets (a static HTML export, a console) show the text.

    Subclasses provide a ``widget`` attribute or property and ``text_summary()``.
    """

    def _plain_text(self) -> str:
        return self.text_summary()

    def text_fallback(self) -> None:
        """Print the plain-text view (for front ends without widgets)."""
        print(self._plain_text())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._plain_text()
        return bundle
