"""Templates for the feedback pages nbgrader writes for students.

nbgrader renders feedback with its ``feedback`` template, which loads MathJax from a CDN.
The course's own template folder, searched first, replaces that one macro with an empty
one, so the pages work offline and contact no outside address. The rest of the page is
nbgrader's template, unchanged.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"


def feedback_template_basedirs() -> list[str]:
    """Folders for ``HTMLExporter.extra_template_basedirs``: the course's, then nbgrader's.

    Returns:
        The two folders, as strings, in search order.

    Raises:
        ImportError: If nbgrader is not installed.
    """
    import nbgrader

    nbgrader_templates = (
        Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
    )
    return [str(TEMPLATES), str(nbgrader_templates)]
