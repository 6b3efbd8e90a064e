"""How every widget of the course displays: the widget, or readable text without it."""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Iterator
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

    Subclasses provide ``text_summary()`` and either ``_build_widget()``, which the
    ``widget`` property calls once, on first use, or a ``widget`` set in ``__init__``.
    """

    @functools.cached_property
    def widget(self):
        """The ipywidgets view, built on first use (``_build_widget()``) and kept."""
        return self._build_widget()

    def _built_widget(self):
        """The widget if it has been built or set, else None (without building it)."""
        return self.__dict__.get("widget")

    def _plain_text(self) -> str:
        return self.text_summary()

    def text_fallback(self) -> None:
        """Print the plain-text view (for front ends without widgets)."""
        print(self._plain_text())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._plain_text()
        return bundle


class SyncsControls:
    """Mixin for widgets whose controls are set from code as well as by the learner.

    While code moves the controls to match the state (``with self._quietly(): ...``), their
    observers must not act on those changes as if the learner had made them.
    ``_controls`` maps each control's name to the control.
    """

    _syncing = False

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Within this block, set controls without their observers reacting."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _changed_control(self, change: dict) -> str | None:
        """Which control the learner changed (its name), or None while code sets them."""
        if self._syncing:
            return None
        return next(name for name, c in self._controls.items() if c is change["owner"])
