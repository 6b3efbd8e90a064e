"""Generating every assignment with the real nbgrader.

Sources pass validation, releases fail it (stubs raise) and leak nothing.
"""

from __future__ import annotations

import course as c
import pytest
from nbgrader.validator import Validator

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_source_passes_validation_with_its_solutions(assignment):
    result = Validator().validate(str(c.source_path(assignment)))
    assert not result.get("failed"), result.get("failed")
    assert not result.get("errored"), result.get("errored")


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_release_fails_validation_because_stubs_raise(course_root, assignment):
    released = c.read(c.release_path(course_root, assignment))
    result = Validator().validate(str(c.release_path(course_root, assignment)))
    failed = {f["source"] for f in result.get("failed", [])}
    runnable_tests = [
        cell.source
        for cell in released.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
        and cell.cell_type == "code"
        and any(ln.strip() and not ln.strip().startswith("#") for ln in cell.source.splitlines())
    ]
    assert runnable_tests
    assert set(runnable_tests) <= failed  # every visible test fails on the stubs
    errors = " ".join(f.get("error", "") for f in result["failed"])
    assert "NotImplementedError" in errors or "NameError" in errors  # the stubs, not the tests


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_release_contains_no_solution_or_hidden_test_line(course_root, assignment):
    released = c.text_of(c.release_path(course_root, assignment))
    secrets = c.secret_lines(assignment)
    assert len(secrets) > 10
    leaked = [line for line in secrets if line in released]
    assert not leaked
    for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
        assert marker not in released


def test_every_exercise_has_the_fixed_header():
    nb = c.read(c.source_path(c.LAB))
    headers = [cell.source for cell in nb.cells if cell.source.startswith("## Exercise")]
    assert len(headers) == 3
    for text in headers:
        for field in ("**Difficulty**", "**Importance**", "**Time**"):
            assert field in text


def test_config_values():
    cfg = c.load_config(c.COURSE)
    assert cfg.CourseDirectory.course_id == "mesatoys"
    assert cfg.ExecutePreprocessor.timeout == 30
    assert cfg.OverwriteCells.add_missing_cells is True
    names = [p.__name__ for p in cfg.GenerateFeedback.preprocessors]
    assert names.index("HideHiddenTestOutput") < names.index("ClearHiddenTests")
