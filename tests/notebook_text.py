"""Read a course notebook's markdown, for tests that check what the text says."""

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_text(name: str) -> str:
    """The markdown of ``notebooks/<name>.ipynb``, cells joined by blank lines."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
