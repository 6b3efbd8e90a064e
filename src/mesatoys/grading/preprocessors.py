"""nbgrader preprocessors the course adds for cells and outputs.

The executor is in :mod:`mesatoys.grading.execute`.

- :class:`RestoreMissingCells` (autograde, sanitizing, before nbgrader's
  ``OverwriteCells``): a submission that deleted any assignment cell gets it back, as
  released, in its place. nbgrader's own ``add_missing_cells`` looks for a deleted cell's
  predecessor among graded and solution cells only, so deleting a test that follows an
  ungraded locked cell raised ``KeyError`` and the submission got no grade at all.
- :class:`LimitOutputSize` (autograde): caps every output a cell keeps. Text (streams,
  ``text/plain``, error messages and tracebacks) shares a character budget per cell;
  images are kept up to a size and dropped with a note beyond it; every other MIME type
  (HTML, JavaScript, SVG, Markdown, JSON, widget views) is dropped with a note, so no
  student output can run script in the formgrader or the feedback page. Errors and stderr
  are always kept (shortened): they decide scores.
- :class:`HideHiddenTestOutput` (feedback): replaces the outputs of every test cell that
  holds hidden tests with one line naming the cell and why it lost its points, if it
  did. Run it before nbgrader's ``ClearHiddenTests``, which removes the hidden source.

Importing this module imports nbgrader; students never need it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from nbformat import read as read_notebook
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

from mesatoys.grading.execute import HIDDEN_BEGIN, VERDICT, error_output

HIDDEN_MARK = "BEGIN HIDDEN TESTS"
FORMAT_ERROR = "AnswerFormatError"
HIDDEN_FAILED = VERDICT
TEXT_KINDS = ("text/plain",)
IMAGE_KINDS = ("image/png", "image/jpeg", "image/gif")


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader id, or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# --- deleted cells ----------------------------------------------------------------------------


class RestoreMissingCells(NbGraderPreprocessor):
    """Put back every assignment cell a submission deleted, in its released place."""

    def preprocess(self, nb, resources):
        """Insert the missing cells (see the module docstring)."""
        released = self._released_cells(resources)
        present = {grade_id(cell) for cell in nb.cells} - {None}
        for i, cell in enumerate(released):
            name = grade_id(cell)
            if name in present:
                continue
            before = [grade_id(c) for c in released[:i] if grade_id(c) in present]
            position = 0
            if before:
                position = next(k for k, c in enumerate(nb.cells) if grade_id(c) == before[-1]) + 1
            self.log.warning("Cell %s is missing from the submission; restoring it.", name)
            nb.cells.insert(position, _restored(cell))
            present.add(name)
        return nb, resources

    def _released_cells(self, resources) -> list[NotebookNode]:
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.release_directory, ".", info["assignment"])
        path = Path(folder) / f"{info['notebook']}.ipynb"
        if path.exists():
            cells = read_notebook(path, as_version=4).cells
            return [c for c in cells if grade_id(c) is not None]
        with Gradebook(info["db_url"]) as gb:  # no release here: the gradebook's own order
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            return [_from_source_cell(c) for c in notebook.source_cells]


def _restored(cell: NotebookNode) -> NotebookNode:
    restored = copy.deepcopy(cell)
    if restored.cell_type == "code":
        restored.outputs, restored.execution_count = [], None
    return restored


def _from_source_cell(source_cell) -> NotebookNode:
    meta = {"grade": False, "grade_id": source_cell.name, "locked": source_cell.locked}
    meta.update(schema_version=3, solution=not source_cell.locked)
    cell = NotebookNode(
        cell_type=source_cell.cell_type,
        metadata={"nbgrader": meta},
        source=source_cell.source or "",
    )
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


# --- outputs ------------------------------------------------------------------------------------


class LimitOutputSize(NbGraderPreprocessor):
    """Cap every output of every code cell (see the module docstring)."""

    max_chars = Integer(20_000, help="Characters of text kept per cell.").tag(config=True)
    max_image_chars = Integer(
        700_000, help="Largest image kept (base64 characters, about 500 kB)."
    ).tag(config=True)
    max_outputs = Integer(50, help="Outputs kept per cell (errors and stderr always).").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, cell_index):
        """Trim one cell's outputs, keeping every error and stderr (they decide scores)."""
        if cell.get("cell_type") != "code":
            return cell, resources
        budget = [self.max_chars, self.max_image_chars]
        kept = []
        for output in cell.get("outputs", []):
            if len(kept) >= self.max_outputs and not _decides_score(output):
                continue
            kept.append(self._trim(output, budget))
        dropped = len(cell.get("outputs", [])) - len(kept)
        if dropped:
            kept.append(_note(f"{dropped} more outputs were dropped (the grader keeps at most "
                              f"{self.max_outputs} per cell)"))  # fmt: skip
        cell.outputs = kept
        return cell, resources

    def _trim(self, output: NotebookNode, budget: list[int]) -> NotebookNode:
        kind = output.get("output_type")
        if kind == "stream":
            output.text, budget[0] = _cut(str(output.get("text", "")), budget[0])
            return output
        if kind == "error":
            return self._trim_error(output, budget)
        if "data" not in output:
            return _note(f"an output of kind {str(kind)[:40]!r} was dropped")
        return self._trim_data(output, budget)

    def _trim_error(self, output: NotebookNode, budget: list[int]) -> NotebookNode:
        ename = str(output.get("ename", "Error"))[:100]
        evalue, budget[0] = _cut(str(output.get("evalue", "")), budget[0])
        kept = []
        for line in output.get("traceback", []) or []:
            line, budget[0] = _cut(str(line), budget[0])
            kept.append(line)
        return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=kept)

    def _trim_data(self, output: NotebookNode, budget: list[int]) -> NotebookNode:
        data, notes = {}, []
        for mime, value in (output.get("data") or {}).items():
            if mime in TEXT_KINDS and isinstance(value, str):
                data[mime], budget[0] = _cut(value, budget[0])
            elif mime in IMAGE_KINDS and isinstance(value, str) and len(value) <= budget[1]:
                data[mime] = value
                budget[1] -= len(value)
            else:
                size = len(value) if isinstance(value, str) else len(json.dumps(value))
                notes.append(f"{str(mime)[:60]} output of {size} characters dropped")
        if notes:
            text = data.get("text/plain", "")
            data["text/plain"] = (text + "\n" if text else "") + "[" + "; ".join(notes) + "]"
        trimmed = NotebookNode(output_type=output["output_type"], data=data, metadata={})
        if output["output_type"] == "execute_result":
            trimmed.execution_count = output.get("execution_count")
        return trimmed


def _decides_score(output: NotebookNode) -> bool:
    kind = output.get("output_type")
    return kind in ("error", "execute_result") or (
        kind == "stream" and output.get("name") == "stderr"
    )


def _note(text: str) -> NotebookNode:
    return NotebookNode(output_type="display_data", data={"text/plain": f"[{text}]"}, metadata={})


def _cut(text: str, budget: int) -> tuple[str, int]:
    if len(text) <= budget:
        return text, budget - len(text)
    kept = text[: max(budget, 0)]
    return kept + f"\n... output truncated ({len(text) - len(kept)} characters removed) ...\n", 0


# --- feedback -------------------------------------------------------------------------------------


def _is_grade_code_cell(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade"))


def has_hidden_tests(cell: NotebookNode, mark: str = HIDDEN_MARK) -> bool:
    """Whether a code cell is an autograder test cell holding a hidden-test region."""
    return _is_grade_code_cell(cell) and mark in cell.get("source", "")


def failure_reason(outputs: list[NotebookNode]) -> str | None:
    """Why a test cell lost its points, in words that reveal no test source, or None."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if not errors:
        if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs):
            return "it wrote to stderr while the tests ran"
        return None
    names = [str(e.get("ename", "")) for e in errors]
    if FORMAT_ERROR in names:
        return (
            f"the answer's format is wrong ({errors[names.index(FORMAT_ERROR)].get('evalue', '')})"
        )
    kernel = [e for e in errors if e.get("ename") != HIDDEN_FAILED]
    if kernel:
        return _kernel_reason(kernel[0])
    verdict = str(errors[0].get("evalue", ""))
    if "did not accept" in verdict or ": " not in verdict:
        return "a hidden test did not accept the answer"
    return verdict.split(": ", 1)[1].rstrip(".")


def _kernel_reason(error: NotebookNode) -> str:
    ename = str(error.get("ename", "an error"))[:60]
    if ename == "CellTimeoutError":
        return "the cell ran out of time"
    if ename == "KernelDied":
        return "the kernel had died before or while this cell ran"
    if ename == "NotRun":
        return str(error.get("evalue", "it was not run"))[:200]
    return f"the cell raised {ename} while the tests ran"


class HideHiddenTestOutput(NbGraderPreprocessor):
    """Replace the outputs of hidden-test cells with a one-line, answer-free verdict."""

    begin_test_delimeter = Unicode(
        HIDDEN_MARK, help="The text that marks the start of a hidden-test region."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        """Sanitise one cell (others pass through unchanged)."""
        if not has_hidden_tests(cell, self.begin_test_delimeter):
            return cell, resources
        reason = failure_reason(cell.get("outputs", []))
        cell.outputs = []
        if reason is not None:
            name = cell.metadata["nbgrader"].get("grade_id", "this test")
            message = f"{name} lost its points: {reason}. The hidden test is not shown."
            cell.outputs.append(error_output("HiddenTestFailed", message))
        return cell, resources


__all__ = [
    "HIDDEN_BEGIN",
    "HideHiddenTestOutput",
    "LimitOutputSize",
    "RestoreMissingCells",
    "error_output",
    "failure_reason",
    "grade_id",
    "has_hidden_tests",
]
