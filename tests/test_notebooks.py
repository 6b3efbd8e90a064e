"""Run every course notebook top to bottom on a fresh kernel; no cell may raise."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import figure_text
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks


def _kernel_env() -> dict[str, str]:
    # Draw figures off-screen, and save the learner's progress in the test's temporary
    # MESATOYS_HOME (set for every test in conftest.py), never in the real home folder.
    # The kernel inherits everything else from the test process.
    home = os.environ.get("MESATOYS_HOME")
    assert home, "MESATOYS_HOME must be set (tests/conftest.py) before a notebook runs"
    return {**os.environ, "MPLBACKEND": "Agg", "MESATOYS_HOME": home}


def _error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Describe every ``error`` output in an executed notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return found


def _execute(nb: nbformat.NotebookNode, cwd: Path, figure_log: Path | None = None) -> None:
    """Execute ``nb`` in place on a fresh ``python3`` kernel started in ``cwd``.

    With ``figure_log``, every figure shown is measured (see ``figure_text``) into that file;
    the measuring cell runs first and is removed again, so cell numbers are the notebook's.
    """
    current: dict[str, int] = {}
    env = _kernel_env()
    if figure_log is not None:
        nb.cells.insert(0, nbformat.v4.new_code_cell(figure_text.KERNEL_HOOK))
        env["MESATOYS_FIGURE_LOG"] = str(figure_log)

    def remember_cell(cell, cell_index, **kwargs):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=remember_cell,
    )
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        failure = f"cell {current.get('index', '?')} raised an error:\n{_ANSI.sub('', str(exc))}"
    else:
        return
    finally:
        if figure_log is not None:
            nb.cells.pop(0)
    pytest.fail(failure, pytrace=False)  # outside `except`: no chained traceback


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in NOTEBOOKS]
    or [pytest.param(None, id="none", marks=pytest.mark.skip(reason="no notebooks/*.ipynb yet"))],
)
def test_notebook_runs_without_errors(path, tmp_path):
    """Every cell runs, and every figure's text stays readable in the notebook column."""
    nb = nbformat.read(path, as_version=4)  # executed in memory; the file is never rewritten
    log = tmp_path / "figures.jsonl"
    _execute(nb, cwd=NOTEBOOKS_DIR, figure_log=log)
    errors = _error_outputs(nb)
    assert not errors, f"{path.name} has error outputs:\n" + "\n".join(errors)
    small = figure_text.too_small(log)
    assert not small, f"{path.name}: text under {figure_text.MIN_TEXT_PX} px:\n" + "\n".join(small)


def _exercise_cells(nb: nbformat.NotebookNode) -> list[tuple[nbformat.NotebookNode, str]]:
    """The stub cells of a notebook's coding exercises, with their exercise ids."""
    return [
        (cell, cell.metadata["mesatoys"]["exercise"])
        for cell in nb.cells
        if cell.get("metadata", {}).get("mesatoys", {}).get("exercise")
    ]


WITH_EXERCISES = [p for p in NOTEBOOKS if _exercise_cells(nbformat.read(p, as_version=4))]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in WITH_EXERCISES]
    or [pytest.param(None, id="none", marks=pytest.mark.skip(reason="no exercises yet"))],
)
def test_notebook_runs_with_every_exercise_solved(path):
    """The learner who writes every exercise runs the toys on their own code, to the end."""
    from mesatoys.course import exercises

    nb = nbformat.read(path, as_version=4)
    solved = _exercise_cells(nb)
    for cell, exercise_id in solved:
        cell.source = exercises.get(exercise_id).source()
    _execute(nb, cwd=NOTEBOOKS_DIR)
    assert not _error_outputs(nb), "\n".join(_error_outputs(nb))
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    for _, exercise_id in solved:
        assert f"Using your `{exercise_id}`" in text, f"{exercise_id}'s solution was not used"


@pytest.mark.slow
def test_kernel_runs_this_python(tmp_path):
    """The ``python3`` kernel must be this environment's Python, not one found elsewhere."""
    nb = nbformat.v4.new_notebook()
    source = "import os, sys\nprint(sys.prefix)\nprint(os.environ['MPLBACKEND'])"
    nb.cells = [nbformat.v4.new_code_cell(source)]
    _execute(nb, cwd=tmp_path)
    lines = nb.cells[0].outputs[0]["text"].splitlines()
    assert lines == [sys.prefix, "Agg"]


@pytest.mark.slow
def test_kernel_saves_progress_in_the_temporary_home(tmp_path, progress_home):
    """Notebooks record progress; under test it must land in the temporary home, not in ~."""
    nb = nbformat.v4.new_notebook()
    source = (
        "from mesatoys.course import progress\n"
        'progress.complete("01_the_two_layer_problem", '
        '"10. What you should now be able to explain")'
    )
    nb.cells = [nbformat.v4.new_code_cell(source)]
    _execute(nb, cwd=tmp_path)
    saved = json.loads((progress_home / "progress.json").read_text(encoding="utf-8"))
    assert list(saved["sections"]) == ["01_the_two_layer_problem"]
    assert str(progress_home) in nb.cells[0].outputs[0]["text"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_cell_prints_a_text_version_under_its_live_widget(path):
    """A widget shows its text version only where it cannot render (its ``text/plain``).

    Printed under a live widget, the text would describe the starting view forever while
    the widget moved on.
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"print\(\w+\.text_summary\(\)\)", cell.source), cell.source
            assert "display(" not in cell.source or ".widget)" not in cell.source, cell.source
