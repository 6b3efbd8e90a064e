"""nbgrader preprocessors the course adds to autograding and to feedback.

- :class:`ExecuteToTheEnd` (autograde): when a submission kills its kernel (``os._exit``,
  a segfault, running out of memory), nbgrader's ``Execute`` raises and the whole
  submission fails to autograde, so the student gets nothing, not even for the answers
  that ran before. This executor records the death in the cell that caused it, marks every
  later code cell as not run, and lets grading finish: cells before the death are scored
  as usual, cells after it score 0.
- :class:`HideHiddenTestOutput` (feedback): a failing hidden test leaves a traceback in
  the autograded notebook, and IPython prints the lines around the failing one, so the
  traceback can show the hidden test's source and its answer key (nbgrader issues #917
  and #1363). This preprocessor replaces every output of a test cell that holds hidden
  tests with one short error naming the cell and the kind of failure, and nothing else.
  The cell's score (added by nbgrader's ``GetGrades``) still shows which questions lost
  points. Run it before nbgrader's ``ClearHiddenTests``, which removes the hidden source
  but not the outputs.
- :class:`LimitOutputSize` (autograde): nbgrader's ``LimitOutput`` counts lines, so one
  long line of megabytes passes through into the autograded notebook and the feedback
  HTML. This caps the characters each cell keeps.

Importing this module imports nbgrader; students never need it.
"""

from __future__ import annotations

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

HIDDEN_MARK = "BEGIN HIDDEN TESTS"
FORMAT_ERROR = "AnswerFormatError"
HIDDEN_FAILED = "HiddenCheckError"


def error_output(ename: str, message: str) -> NotebookNode:
    """A notebook error output with a one-line traceback."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )


class ExecuteToTheEnd(Execute):
    """nbgrader's ``Execute``, but a dead kernel fails only the cells from its death on."""

    def preprocess(self, nb, resources=None, km=None):
        """Execute every cell; see the class docstring for what a dead kernel does."""
        self._dead_at: int | None = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        """Execute one cell, or mark it as not run once the kernel has died."""
        if self._dead_at is not None:
            if cell.cell_type == "code":
                message = f"not run: the kernel died in cell {self._dead_at}"
                cell.outputs = [error_output("KernelDied", message)]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_at = index
            self.log.warning("The kernel died in cell %d; later cells are not run.", index)
            cell.outputs = list(cell.get("outputs", []))
            cell.outputs.append(error_output("KernelDied", "the kernel died in this cell"))
            return cell, resources


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
    first = errors[0]
    ename = str(first.get("ename", "an error"))
    if ename == FORMAT_ERROR:
        return f"the answer's format is wrong ({first.get('evalue', '')})"
    if ename == HIDDEN_FAILED:
        return "a hidden test did not accept the answer"
    if ename == "CellTimeoutError":
        return "the cell ran out of time"
    if ename == "KernelDied":
        return "the kernel had died before or while this cell ran"
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
            grade_id = cell.metadata["nbgrader"].get("grade_id", "this test")
            message = f"{grade_id} lost its points: {reason}. The hidden test is not shown."
            cell.outputs.append(error_output("HiddenTestFailed", message))
        return cell, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Cap the characters of text each code cell keeps (streams, text results, tracebacks)."""

    max_chars = Integer(20_000, help="Characters of output kept per cell.").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        """Trim one cell's outputs, keeping every output's kind (stderr still counts)."""
        if cell.get("cell_type") != "code":
            return cell, resources
        budget = self.max_chars
        for output in cell.get("outputs", []):
            budget = self._trim(output, budget)
        return cell, resources

    def _trim(self, output: NotebookNode, budget: int) -> int:
        kind = output.get("output_type")
        if kind == "stream":
            output.text, budget = _cut(output.text, budget)
        elif kind == "error":
            kept = []
            for line in output.get("traceback", []):
                line, budget = _cut(line, budget)
                kept.append(line)
            output.traceback = kept
        elif "data" in output:
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                value = output.data.get(mime)
                if isinstance(value, str):
                    output.data[mime], budget = _cut(value, budget)
        return budget


def _cut(text: str, budget: int) -> tuple[str, int]:
    if len(text) <= budget:
        return text, budget - len(text)
    kept = text[: max(budget, 0)]
    return kept + f"\n... output truncated ({len(text) - len(kept)} characters removed) ...\n", 0


__all__ = [
    "ExecuteToTheEnd",
    "HideHiddenTestOutput",
    "LimitOutputSize",
    "error_output",
    "failure_reason",
    "has_hidden_tests",
]
