"""Reading a submitted notebook that cannot be read.

nbgrader reads each submission with its ``exporter_class``; a file that is not a notebook
(not JSON, not UTF-8, not nbformat 4, or absurdly large) made it raise, and that student
got no grade and no feedback. :class:`SubmissionExporter` reads such a file as a notebook
holding one note that says why; :class:`~mesatoys.grading.preprocessors.RestoreMissingCells`
then restores every cell of the assignment as released, so the submission is graded (it
earns nothing) and its feedback says what happened.
"""

from __future__ import annotations

import nbformat
from nbconvert.exporters import NotebookExporter
from traitlets import Integer

UNREADABLE = (
    "**This submission could not be read as a notebook** ({reason}). The assignment's "
    "cells are shown as released; nothing of the submission was run."
)


class SubmissionExporter(NotebookExporter):
    """nbconvert's notebook exporter, which reads an unreadable file as a short note."""

    max_chars = Integer(50_000_000, help="Largest notebook read, in characters.").tag(config=True)

    def from_file(self, file_stream, resources=None, **kw):
        """Read and export a notebook; an unreadable one becomes a notebook with a note."""
        try:
            text = file_stream.read(self.max_chars + 1)
            if len(text) > self.max_chars:
                raise ValueError(f"more than {self.max_chars} characters")
            nb = nbformat.reads(text, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except (ValueError, AttributeError, TypeError, nbformat.ValidationError) as error:
            name = getattr(file_stream, "name", "the submission")
            self.log.warning("%s could not be read (%s); grading it as empty.", name, error)
            nb = unreadable_notebook(type(error).__name__)
        return self.from_notebook_node(nb, resources=resources, **kw)


def unreadable_notebook(reason: str) -> nbformat.NotebookNode:
    """A notebook holding only the note that the submission could not be read."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell(UNREADABLE.format(reason=reason))]
    return nb


__all__ = ["UNREADABLE", "SubmissionExporter", "unreadable_notebook"]
