"""The autograde executor: student code in a sandbox, hidden tests in the grader.

:class:`ExecuteToTheEnd` replaces nbgrader's ``Execute`` preprocessor:

- **Sandbox.** The notebook runs on a kernel started by
  :class:`~mesatoys.grading.kernel.SandboxedKernelManager` (bubblewrap, no network, no
  course files, resource limits). Without bubblewrap it refuses to grade, unless the
  instructor sets ``ExecuteToTheEnd.sandbox = "none"`` (only where the grader itself runs
  in a throwaway container that holds nothing but the submissions).
- **Hidden tests outside.** A test cell's visible part runs in the kernel; its
  ``### BEGIN HIDDEN TESTS`` part runs here, in the grader's process, with
  :mod:`mesatoys.grading.hidden` bound to the kernel through a
  :class:`~mesatoys.grading.probe.KernelProbe`. A graded cell scores only if its hidden
  tests pass here: the verdict is the cell's first output, and any ``execute_result`` the
  kernel sent becomes ``display_data``, so kernel output can lower a score (an error, a
  failed visible assert) but never raise it. A graded code cell without hidden tests
  fails, unless ``require_hidden_tests`` is False.
- **To the end.** A kernel that dies, a cell that does not stop when interrupted (a loop
  that catches ``KeyboardInterrupt``), or a kernel whose messages cannot be read (it
  replaced its own ``json.dumps``) costs that cell; the sandbox is shut down
  and every later code cell is marked as not run. The whole submission has a wall-clock
  budget (``submission_timeout``); cells after it are marked the same way.
- **Bounded output.** While messages arrive, a cell keeps at most ``max_cell_chars``
  characters of output and ``max_cell_outputs`` outputs; comm (widget) messages and
  display updates are ignored. ``LimitOutputSize`` trims further afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade
from traitlets import Bool, CaselessStrEnum, Integer

from mesatoys.grading import HiddenCheckError, hidden
from mesatoys.grading.kernel import SandboxedKernelManager
from mesatoys.grading.plain import Limits as PlainLimits
from mesatoys.grading.probe import KernelProbe
from mesatoys.grading.sandbox import MIB, Limits, Sandbox, SandboxError, availability

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
VERDICT = "HiddenCheckError"
PYTHON_INFO = {
    "name": "python",
    "version": platform.python_version(),
    "mimetype": "text/x-python",
    "file_extension": ".py",
    "pygments_lexer": "ipython3",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "nbconvert_exporter": "python",
}


def error_output(ename: str, message: str) -> NotebookNode:
    """A notebook error output with a one-line traceback."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )


def split_hidden(source: str) -> tuple[str, str | None]:
    """A cell's source as (visible part, hidden part or None), each keeping its lines.

    Hidden lines are blanked in the visible part and visible lines in the hidden part,
    so that line numbers in either match the cell.
    """
    visible, secret, inside, found = [], [], False, False
    for line in source.split("\n"):
        marker = HIDDEN_BEGIN in line or HIDDEN_END in line
        if HIDDEN_BEGIN in line:
            inside = found = True
        elif HIDDEN_END in line:
            inside = False
        keep_secret = inside and not marker
        visible.append("" if inside or marker else line)
        secret.append(line if keep_secret else "")
    if not found:
        return source, None
    return "\n".join(visible).rstrip(), "\n".join(secret)


class ExecuteToTheEnd(Execute):
    """nbgrader's ``Execute``, sandboxed, with hidden tests judged in the grader."""

    sandbox = CaselessStrEnum(
        ["bubblewrap", "none"],
        "bubblewrap",
        help="'bubblewrap' (default), or 'none': run student code unconfined (only in a "
        "throwaway container that holds nothing but the submissions).",
    ).tag(config=True)
    submission_timeout = Integer(300, help="Seconds for a whole submission.").tag(config=True)
    memory_limit_mb = Integer(2048, help="Address space of each kernel process, MiB.").tag(
        config=True
    )
    process_limit = Integer(64, help="Processes and threads of one sandbox.").tag(config=True)
    file_limit_mb = Integer(64, help="Largest file the kernel may write, MiB.").tag(config=True)
    home_limit_mb = Integer(256, help="Size of the kernel's working folder, MiB.").tag(config=True)
    max_answer_chars = Integer(1_000_000, help="JSON characters of one answer.").tag(config=True)
    max_cell_chars = Integer(2_000_000, help="Output characters kept while a cell runs.").tag(
        config=True
    )
    max_cell_outputs = Integer(500, help="Outputs kept while a cell runs.").tag(config=True)
    require_hidden_tests = Bool(
        True, help="A graded code cell without hidden tests scores nothing."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        """Execute every cell (see the module docstring)."""
        self._deadline = time.monotonic() + self.submission_timeout
        self._stopped: str | None = None
        self._probe: KernelProbe | None = None
        self._received: dict[int, list[int]] = {}
        if self.sandbox == "bubblewrap":
            reason = availability()
            if reason is not None:
                raise SandboxError(f"refusing to run student code without a sandbox: {reason}")
        try:
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            if self._probe is not None:
                self._probe.client.stop_channels()
        nb.metadata["language_info"] = dict(PYTHON_INFO)
        return nb, resources

    def create_kernel_manager(self):
        """The sandboxed kernel manager (or jupyter_client's, with ``sandbox = 'none'``)."""
        if self.sandbox == "none":
            return super().create_kernel_manager()
        limits = Limits(
            memory_bytes=self.memory_limit_mb * MIB,
            processes=self.process_limit,
            file_bytes=self.file_limit_mb * MIB,
            home_bytes=self.home_limit_mb * MIB,
            cpu_seconds=max(self.submission_timeout * 2, 60),
        )
        execution = os.environ.get("NBGRADER_EXECUTION", "autograde")
        box = Sandbox(
            limits=limits,
            hidden=(str(self._course_root()),),
            extra_env=(("NBGRADER_EXECUTION", execution),),
        )
        self.km = SandboxedKernelManager(kernel_name="python3", config=self.config, sandbox=box)
        return self.km

    def _course_root(self) -> Path:
        root = self.config.get("CourseDirectory", {}).get("root")
        return Path(root if isinstance(root, str) and root else os.getcwd()).resolve()

    # --- one cell -------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        """Run one cell's visible part in the kernel and its hidden tests here."""
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and self._time_left() <= 0:
            self._stop("the submission used up its time")
        if self._stopped is not None:
            cell.outputs = [error_output("NotRun", f"not run: {self._stopped}")]
            cell.execution_count = None
            return cell, resources
        visible, secret = split_hidden(cell.source)
        self._received[index] = [0, 0]
        if visible.strip():
            self._run_visible(cell, resources, index, visible)
        else:
            cell.outputs, cell.execution_count = [], None
        verdict = self._verdict(cell, secret)
        if is_grade(cell):
            _settle(cell, verdict)
        return cell, resources

    def _run_visible(self, cell, resources, index, visible: str) -> None:
        full = cell.source
        cell.source = visible
        try:
            super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stop(f"the kernel died in cell {index}")
            cell.outputs = [*cell.get("outputs", []), error_output("KernelDied", _DIED)]
        except CellTimeoutError:
            self._shut_down()
            self._stop(f"cell {index} did not stop when interrupted")
            message = "the cell ran out of time and did not stop when interrupted"
            cell.outputs = [*cell.get("outputs", []), error_output("CellTimeoutError", message)]
        except Exception as error:  # a kernel that breaks the protocol (e.g. its json.dumps)
            self.log.warning("Cell %s: the kernel's messages could not be read: %r", index, error)
            self._shut_down()
            self._stop(f"the kernel sent messages that could not be read in cell {index}")
            message = "the kernel sent messages the grader could not read"
            cell.outputs = [*cell.get("outputs", []), error_output("KernelProtocolError", message)]
        finally:
            cell.source = full

    def _verdict(self, cell, secret: str | None) -> str | None:
        label = cell.metadata.get("nbgrader", {}).get("grade_id", "this cell")
        if secret is None:
            if is_grade(cell) and self.require_hidden_tests:
                return f"{label}: this test cell has no hidden test to decide its points"
            return None
        if self._stopped is not None:
            return f"{label}: the hidden tests could not run ({self._stopped})"
        return self._run_hidden(secret, label)

    def _run_hidden(self, secret: str, label: str) -> str | None:
        """Run hidden-test code here; None if it passed, else an answer-free reason."""
        namespace = {"__name__": "__hidden_test__"}
        sink = io.StringIO()
        try:
            with hidden.bound(self._kernel_probe()), _quiet(sink):
                exec(compile(secret, f"<hidden tests of {label}>", "exec"), namespace)  # noqa: S102
        except HiddenCheckError as error:
            return str(error.args[0])
        except hidden.ProbeError as error:
            if error.kernel_lost:
                self._shut_down()
                self._stop(f"the kernel stopped answering in {label}")
            return f"{label}: a hidden test could not get an answer ({error.reason})"
        except Exception:
            self.log.exception("The hidden tests of %s raised (an instructor's error).", label)
            return f"{label}: the hidden tests could not run"
        return None

    # --- the kernel -------------------------------------------------------------------------

    def _kernel_probe(self) -> KernelProbe:
        if self._probe is None:
            client = self.km.blocking_client()
            client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
            self._probe = KernelProbe(
                client,
                time_left=lambda: min(float(self.timeout or 30), self._time_left()),
                interrupt=run_sync(self.km.interrupt_kernel),
                alive=run_sync(self.km.is_alive),
                limits=PlainLimits(max_text=self.max_answer_chars),
            )
        return self._probe

    def _time_left(self) -> float:
        return self._deadline - time.monotonic()

    def _get_timeout(self, cell):
        """The per-cell timeout, cut to what is left of the submission's budget."""
        timeout = super()._get_timeout(cell)
        left = max(int(self._time_left()), 1)
        return left if timeout is None else min(timeout, left)

    def _stop(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
            self.log.warning("Stopping this submission: %s; later cells are not run.", reason)

    def _shut_down(self) -> None:
        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)

    # --- what the kernel sends --------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        """Keep an output only while the cell is within its output budget."""
        count = self._received.setdefault(cell_index, [0, 0])
        if count[0] >= self.max_cell_outputs or count[1] >= self.max_cell_chars:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            count[0] += 1
            count[1] += _chars(out)
            if count[0] >= self.max_cell_outputs or count[1] >= self.max_cell_chars:
                outs[-1] = error_output("OutputLimit", _TOO_MUCH)
        return out

    def handle_comm_msg(self, outs, msg, cell_index):
        """Ignore comm (widget) messages: grading keeps no widget state."""

    def _update_display_id(self, display_id, msg):
        """Ignore display updates: no message may change an earlier output."""


_DIED = "the kernel died in this cell"
_TOO_MUCH = "the cell's output exceeded the grader's limit; the rest was dropped"


def _settle(cell: NotebookNode, verdict: str | None) -> None:
    """Put the verdict first and make kernel results unable to carry points."""
    outputs = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            output = NotebookNode(
                output_type="display_data",
                data=output.get("data", {}),
                metadata=output.get("metadata", {}),
            )
        outputs.append(output)
    if verdict is not None:
        outputs.insert(0, error_output(VERDICT, verdict))
    cell.outputs = outputs


def _chars(output: NotebookNode) -> int:
    total = len(output.get("text", "") or "") + len(str(output.get("evalue", "")))
    total += sum(len(line) for line in output.get("traceback", []) or [])
    for value in (output.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(str(value))
    return total


@contextlib.contextmanager
def _quiet(sink: io.StringIO):
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


__all__ = ["HIDDEN_BEGIN", "HIDDEN_END", "ExecuteToTheEnd", "error_output", "split_hidden"]
