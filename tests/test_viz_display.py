import ipywidgets as w

from mesatoys.viz.display import ShowsWidget


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
