import re

import ipywidgets as w
import pytest

from mesatoys import display
from mesatoys.display import ShowsWidget, SyncsControls


class _Shown(ShowsWidget):
    def __init__(self):
        self.widget = w.Label("hello")

    def text_summary(self):
        return "plain hello"


def test_display_bundle_carries_the_widget_and_readable_text(capsys):
    shown = _Shown()
    bundle = shown._repr_mimebundle_()
    assert bundle["text/plain"] == "plain hello"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    shown.text_fallback()
    assert capsys.readouterr().out == "plain hello\n"


class _Lazy(ShowsWidget):
    def __init__(self):
        self.builds = 0

    def _build_widget(self):
        self.builds += 1
        return w.Label(f"built {self.builds}")

    def text_summary(self):
        return "lazy"


def test_widget_is_built_on_first_use_and_only_once():
    lazy = _Lazy()
    assert lazy._built_widget() is None and lazy.builds == 0
    first = lazy.widget
    assert lazy.widget is first and lazy.builds == 1
    assert lazy._built_widget() is first
    assert _Shown()._built_widget().value == "hello"  # a widget set in __init__ counts


class _Controlled(SyncsControls):
    def __init__(self):
        self.seen = []
        self._controls = {"a": w.IntSlider(0), "b": w.IntSlider(0)}
        for control in self._controls.values():
            control.observe(lambda change: self.seen.append(self._changed_control(change)), "value")


def test_controls_set_in_a_quiet_block_are_not_reported_as_the_learners():
    box = _Controlled()
    box._controls["b"].value = 3
    with box._quietly():
        box._controls["a"].value = 5
    box._controls["a"].value = 6
    assert box.seen == ["b", None, "a"]
    assert box._syncing is False


class _Handle:
    def __init__(self, log):
        self.log = log

    def update(self, bundle, raw):
        self.log.append(("update", bundle["text/plain"]))


def test_working_shows_a_status_line_then_how_long_it_took(monkeypatch):
    log = []

    def show(text):
        log.append(("show", text))
        return _Handle(log)

    monkeypatch.setattr(display, "_display_line", show)
    with display.Working("Training on 256 mazes"):
        pass
    assert log[0] == ("show", "⏳ Training on 256 mazes …")
    assert log[1][0] == "update" and re.fullmatch(
        r"✓ Training on 256 mazes: done in \d+\.\d s\.", log[1][1]
    )
    with pytest.raises(RuntimeError), display.Working("Failing"):
        raise RuntimeError("boom")
    assert log[-1] == ("update", "✓ Failing: stopped by an error.")


def test_working_shows_nothing_outside_a_notebook(capsys):
    with display.Working("Training"):
        pass
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="what must be a non-empty description"):
        display.Working("  ")
