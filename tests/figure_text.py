"""Measure the text of every figure a notebook shows, as the notebook runs.

:data:`KERNEL_HOOK` is run in the kernel before the notebook's own cells. It records, for
every figure drawn for display (the inline backend's PNGs, and the PNGs that widgets
render), its width in pixels and its smallest text in pixels, one JSON line per figure,
in the file named by ``MESATOYS_FIGURE_LOG``. :func:`too_small` reads that file back.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The notebook column at 1366 px with JupyterLab's file browser open: wider images shrink.
COLUMN_PX = 934
#: The least size of rendered text (WCAG has no minimum; 10 px is about the smallest that
#: stays readable at arm's length).
MIN_TEXT_PX = 10.0

KERNEL_HOOK = r"""
import json as _json, os as _os
import matplotlib.text as _mtext

def _mesatoys_record(fig, dpi, where):
    texts = [t for t in fig.findobj(_mtext.Text) if t.get_visible() and t.get_text().strip()]
    if not texts:
        return
    small = min(texts, key=lambda t: t.get_fontsize())
    with open(_os.environ["MESATOYS_FIGURE_LOG"], "a", encoding="utf-8") as log:
        log.write(_json.dumps({
            "cell": _mesatoys_cell[0], "where": where, "width_px": fig.get_figwidth() * dpi,
            "min_px": small.get_fontsize() * dpi / 72, "text": small.get_text()[:60],
        }) + "\n")

_mesatoys_cell = [-1]
get_ipython().events.register(
    "pre_run_cell", lambda info: _mesatoys_cell.__setitem__(0, _mesatoys_cell[0] + 1)
)

import IPython.core.pylabtools as _pylabtools
_mesatoys_print_figure = _pylabtools.print_figure
def _recorded_print_figure(fig, *args, **kwargs):
    _mesatoys_record(fig, kwargs.get("dpi") or fig.dpi, "figure")
    return _mesatoys_print_figure(fig, *args, **kwargs)
_pylabtools.print_figure = _recorded_print_figure

import mesatoys.display as _display
_mesatoys_render_png = _display.render_png
def _recorded_render_png(fig, dpi=80):
    png = _mesatoys_render_png(fig, dpi)
    _mesatoys_record(fig, dpi, "widget")
    return png
_display.render_png = _recorded_render_png
_mesatoys_draw_background = _display.BlitRenderer._draw_background
def _recorded_draw_background(self):
    _mesatoys_draw_background(self)
    _mesatoys_record(self.figure, self.figure.dpi, "widget")
_display.BlitRenderer._draw_background = _recorded_draw_background
"""


def too_small(log: Path) -> list[str]:
    """Every recorded figure whose smallest text renders under :data:`MIN_TEXT_PX`."""
    found = []
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines:
        record = json.loads(line)
        shown = record["min_px"] * min(1.0, COLUMN_PX / record["width_px"])
        if shown < MIN_TEXT_PX:
            found.append(
                f"code cell {record['cell']} ({record['where']}, "
                f"{record['width_px']:.0f} px wide): "
                f"{record['text']!r} renders at {shown:.1f} px"
            )
    return found


def recorded(log: Path) -> int:
    """How many figures were recorded."""
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0
