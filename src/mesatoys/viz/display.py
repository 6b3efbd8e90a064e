"""How every widget of the course displays: the widget, or readable text without it."""

from __future__ import annotations

from typing import Any


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
