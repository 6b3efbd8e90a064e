"""How every widget of the course displays: the widget, or readable text without it."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure


#: The notebook column at 1366 px with JupyterLab's file browser open: wider figures shrink.
COLUMN_PX = 934
#: The least size, in pixels on screen, of any text in a figure.
MIN_TEXT_PX = 10.0


def readable(fig: Figure, dpi: float | None = None) -> Figure:
    """Raise every text of ``fig`` that would show smaller than :data:`MIN_TEXT_PX`.

    A figure wider than the notebook column (:data:`COLUMN_PX`) is shown shrunk to it, so
    its text shrinks too; a narrower one is shown at its own size. Every figure the course
    shows passes through here when it is complete, before it is laid out and drawn.

    Args:
        fig: The figure.
        dpi: The resolution it is shown at (default: the figure's).

    Returns:
        ``fig``.
    """
    from matplotlib.text import Text

    dpi = fig.dpi if dpi is None else dpi
    shrink = min(1.0, COLUMN_PX / (fig.get_figwidth() * dpi))
    least_pt = MIN_TEXT_PX * 72 / (dpi * shrink)
    for text in fig.findobj(Text):
        if text.get_fontsize() < least_pt:
            text.set_fontsize(least_pt)
    return fig


@dataclasses.dataclass(frozen=True)
class DataTable:
    """The numbers a data figure shows, for a reader who cannot see the figure.

    Attributes:
        columns: The column headings.
        rows: The rows, each as many cells as there are columns (numbers or text).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def html(self) -> str:
        """The table as HTML, with header cells."""
        import html

        head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def describe(fig: Figure, alt: str, data: DataTable | None = None) -> Figure:
    """Give a figure its text alternative and, for a data figure, its numbers.

    In a notebook the figure then shows as an image whose ``alt`` text is ``alt``, with a
    "The numbers" disclosure under it holding ``data``; the static site keeps both. The
    figure's text is also kept readable (:func:`readable`).

    Args:
        fig: The complete figure.
        alt: What the figure shows and what it finds, in a sentence or three (not
            "Figure 1").
        data: The numbers behind it, if it plots data.

    Returns:
        ``fig``.

    Raises:
        ValueError: If ``alt`` is empty.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must describe the figure in words, got {alt!r}")
    fig.mesatoys_alt = " ".join(alt.split())
    fig.mesatoys_data = data
    _show_figures_with_alt_text()
    return readable(fig)


def alt_text(fig: Figure) -> str | None:
    """The text alternative :func:`describe` gave a figure (None if it has none)."""
    return getattr(fig, "mesatoys_alt", None)


def figure_html(fig: Figure, dpi: float | None = None) -> str | None:
    """A described figure as HTML: its PNG with its alt text, then its numbers; else None."""
    import base64
    import html

    alt = alt_text(fig)
    if alt is None:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, bbox_inches="tight")
    source = base64.b64encode(buffer.getvalue()).decode("ascii")
    image = f'<img src="data:image/png;base64,{source}" alt="{html.escape(alt, quote=True)}">'
    data = getattr(fig, "mesatoys_data", None)
    numbers = (
        f"<details><summary>The numbers in this figure</summary>{data.html()}</details>"
        if data is not None
        else ""
    )
    return f'<figure style="margin:0">{image}{numbers}</figure>'


@functools.lru_cache(maxsize=1)
def _show_figures_with_alt_text() -> bool:
    """In IPython, show described figures as HTML (image with alt text), once per kernel."""
    shell = _shell(in_kernel=False)
    if shell is None:
        return False
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["text/html"].for_type(Figure, figure_html)
    return True


def png_html(png: bytes, alt: str) -> str:
    """An ``<img>`` of PNG bytes with its text alternative (for widgets that show pictures)."""
    import base64
    import html

    source = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{source}" alt="{html.escape(alt, quote=True)}" '
        'style="max-width:100%;height:auto">'
    )


def render_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what an image widget shows), its text kept readable."""
    readable(fig, dpi)
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


class BlitRenderer:
    """Render a figure to PNG again and again, redrawing only what moves.

    The first call lays the figure out and draws everything except the animated
    artists; that picture and that layout are then kept. Every call pastes the
    picture, draws the animated artists on top, and pastes back the pixels of the
    pinned artists (static ones that belong in front, such as an opaque legend that a
    moving line may cross). That is what makes a slider redraw fast. Nothing else in
    the figure may change between frames.

    Args:
        figure: The figure, with its first frame already set up.
        animated: Callable returning the artists that change between frames, in
            drawing order.
        pinned: Callable returning static artists to keep in front (default: none).
        dpi: Resolution of the PNG (default: the figure's).
        alpha: Keep the alpha channel (False: an RGB PNG).
    """

    def __init__(
        self,
        figure: Figure,
        animated: Callable[[], list],
        pinned: Callable[[], list] | None = None,
        dpi: float | None = None,
        alpha: bool = True,
    ):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure, self.animated, self.alpha = figure, animated, alpha
        self.pinned = pinned or (lambda: [])
        if dpi is not None:
            self.figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self._background = None
        self._pinned_pixels: list = []

    def _draw_background(self) -> None:
        readable(self.figure)
        self.canvas.draw()  # lay out with every artist in place...
        self.figure.set_layout_engine("none")  # ...then keep that layout
        renderer = self.canvas.get_renderer()
        self._pinned_pixels = [
            self.canvas.copy_from_bbox(artist.get_window_extent(renderer).padded(1))
            for artist in self.pinned()
        ]
        for artist in self.animated():
            artist.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)

    def render(self) -> bytes:
        """The current frame as PNG bytes."""
        import numpy as np

        if self._background is None:
            self._draw_background()
        self.canvas.restore_region(self._background)
        for artist in self.animated():
            self.figure.draw_artist(artist)
        for pixels in self._pinned_pixels:
            self.canvas.restore_region(pixels)
        pixels = np.asarray(self.canvas.buffer_rgba())
        return encode_png(pixels if self.alpha else pixels[..., :3])


#: A slider's readout (its value) takes about this many pixels; its track gets the rest.
READOUT_PX = 60
#: The least a slider's track may have, on any screen.
TRACK_MIN_PX = 130
#: A row of controls that wraps onto the next line when the notebook is narrow.
ROW_WRAP = {"flex_flow": "row wrap", "align_items": "center"}


def slider_look(label_px: int = 90) -> dict[str, Any]:
    """``style`` and ``layout`` for a slider that fits any screen from 800 px up.

    Sliders of one widget share a label width, so their tracks start at the same place; a
    slider takes the row's width (at most 560 px) and never less than its label, readout
    and :data:`TRACK_MIN_PX` of track. Keep labels short; explain them in a ``tooltip``.

    Args:
        label_px: Width of the label, in pixels.
    """
    import ipywidgets as w

    least = label_px + READOUT_PX + TRACK_MIN_PX
    return {
        "style": {"description_width": f"{label_px}px"},
        "layout": w.Layout(width="100%", min_width=f"{least}px", max_width="560px"),
    }


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
        _install_keyboard_and_screen_reader_support()
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


class Working:
    """A status line for a slow step: "Training ... (started)", then "... done in 4.2 s".

    Used as a context manager around a step that may take more than a couple of seconds on a
    busy core and has no progress bar of its own. In a notebook the line is shown when the
    step starts and replaced when it ends (or fails); elsewhere nothing is shown.

    Args:
        what: What the step does, in the learner's words (e.g. "Training on 256 mazes").

    Example:
        >>> with Working("Training on 256 mazes"):
        ...     pass
    """

    def __init__(self, what: str):
        if not isinstance(what, str) or not what.strip():
            raise ValueError(f"what must be a non-empty description, got {what!r}")
        self.what = what.strip()
        self._handle: Any = None
        self._started = 0.0

    def __enter__(self) -> Working:
        import time

        self._started = time.perf_counter()
        self._handle = _display_line(f"⏳ {self.what} …")
        return self

    def __exit__(self, kind: type | None, *_: object) -> None:
        import time

        seconds = time.perf_counter() - self._started
        outcome = "stopped by an error" if kind else f"done in {seconds:.1f} s"
        if self._handle is not None:
            self._handle.update(_status_bundle(f"✓ {self.what}: {outcome}."), raw=True)


def _status_bundle(text: str) -> dict[str, str]:
    import html

    return {
        "text/plain": text,
        "text/html": f'<div role="status" aria-live="polite">{html.escape(text)}</div>',
    }


def _display_line(text: str) -> Any:
    """Show a status line in a running notebook; None (nothing shown) elsewhere."""
    if _shell() is None:
        return None
    from IPython.display import display

    return display(_status_bundle(text), raw=True, display_id=True)


def _shell(in_kernel: bool = True) -> Any:
    """The running IPython shell (one with a kernel, if ``in_kernel``), or None."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return None
    shell = get_ipython()
    if shell is None or (in_kernel and not hasattr(shell, "kernel")):
        return None
    return shell


#: Runs in the learner's JupyterLab page once (an ``application/javascript`` output, which
#: JupyterLab runs only for output the learner's own kernel produced). For every ipywidgets
#: control in the page, now and later: a slider handle (``role="slider"``, which ipywidgets
#: leaves unnamed) gets its label's text, or its tooltip, as ``aria-label`` and its readout
#: as ``aria-valuetext``; a button that shows only an icon (the Play widget's) gets a name;
#: the radio buttons of one question share a ``name`` (one Tab stop;
#: the arrow keys move between them) in a ``radiogroup``; and text boxes, lists, radio
#: buttons and slider handles carry ``data-lm-suppress-shortcuts``, so that the arrow keys
#: reach the control instead of moving JupyterLab to another cell (Lumino, JupyterLab's
#: toolkit, stops looking for a shortcut at an element with that attribute).
ACCESSIBILITY_JS = r"""
(() => {
  if (window.__mesatoysAccessible) { return; }
  window.__mesatoysAccessible = true;
  let groups = 0;
  const ICON_NAMES = {
    'fa-play': 'Play', 'fa-pause': 'Pause', 'fa-stop': 'Stop', 'fa-retweet': 'Repeat',
    'fa-repeat': 'Repeat', 'fa-step-forward': 'Next', 'fa-step-backward': 'Previous',
  };
  const nameOf = (widget) => {
    const label = widget && widget.querySelector(':scope > .widget-label, .widget-label');
    const text = label ? label.textContent.trim() : '';
    return text || (widget && widget.getAttribute('title')) || '';
  };
  const fix = () => {
    document.querySelectorAll('.noUi-handle[role="slider"]').forEach((handle) => {
      const widget = handle.closest('.widget-slider, .widget-hslider, .widget-vslider');
      const name = nameOf(widget) || 'slider';
      if (handle.getAttribute('aria-label') !== name) { handle.setAttribute('aria-label', name); }
      const readout = widget && widget.querySelector('.widget-readout');
      const value = readout ? (readout.value || readout.textContent || '').trim() : '';
      if (value && handle.getAttribute('aria-valuetext') !== value) {
        handle.setAttribute('aria-valuetext', value);
      }
    });
    document.querySelectorAll('.widget-radio-box').forEach((box) => {
      if (!box.dataset.mesatoysGroup) {
        groups += 1;
        box.dataset.mesatoysGroup = 'mesatoys-choice-' + groups;
        box.setAttribute('role', 'radiogroup');
        const name = nameOf(box.closest('.widget-radio'));
        if (name) { box.setAttribute('aria-label', name); }
      }
      box.querySelectorAll('input[type="radio"]').forEach((input) => {
        if (input.name !== box.dataset.mesatoysGroup) { input.name = box.dataset.mesatoysGroup; }
      });
    });
    document.querySelectorAll('.jupyter-widgets button').forEach((button) => {
      if (button.textContent.trim() || button.hasAttribute('aria-label')) { return; }
      const icon = button.querySelector('i.fa');
      const kind = icon ? (Array.from(icon.classList).find((c) => c.startsWith('fa-')) || '') : '';
      const name = button.getAttribute('title') || ICON_NAMES[kind] || kind.replace('fa-', '');
      if (name) { button.setAttribute('aria-label', name); }
    });
    document.querySelectorAll(
      '.jupyter-widgets input, .jupyter-widgets select, .jupyter-widgets textarea, '
      + '.jupyter-widgets .noUi-handle'
    ).forEach((control) => {
      if (!control.hasAttribute('data-lm-suppress-shortcuts')) {
        control.setAttribute('data-lm-suppress-shortcuts', 'true');
      }
    });
  };
  let queued = false;
  const later = () => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); }
  };
  new MutationObserver(later).observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ['value'],
  });
  fix();
})();
"""


@functools.lru_cache(maxsize=1)
def _install_keyboard_and_screen_reader_support() -> bool:
    """Send :data:`ACCESSIBILITY_JS` to the notebook page, once per kernel (True if sent)."""
    if _shell() is None:
        return False
    from IPython.display import Javascript, display

    display(Javascript(ACCESSIBILITY_JS))
    return True
