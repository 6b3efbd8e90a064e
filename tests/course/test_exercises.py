"""Coding exercises: every checker accepts its reference and rejects every known mistake.

The checkers are tested the way the learners will meet them: with the reference, with each
plausible wrong implementation the exercise lists (each must fail with a message that says
which input and what went wrong), with a stub, with a function that raises, one that
changes its input, and with something that is not a function.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mesatoys.course import exercises
from mesatoys.course.bank import bank_names
from mesatoys.course.exercises.core import CheckResult, compare_values

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EVERY = exercises.all()
IDS = [e.id for e in EVERY]


def _stub(*args, **kwargs):
    raise NotImplementedError("write this function")


def test_the_catalogue_spans_the_lesson_notebooks():
    assert IDS == list(exercises.CATALOG)
    assert len(set(IDS)) == len(IDS)
    for e in EVERY:
        assert e.notebook in bank_names() and e.id in exercises.ids_for(e.notebook)


@pytest.mark.parametrize("exercise", EVERY, ids=IDS)
def test_the_reference_passes(exercise):
    result = exercise.check(exercise.reference, record=False)
    assert isinstance(result, CheckResult)
    assert result.passed, result.message
    assert result.cases_run == len(exercise.cases()) >= 4
    assert exercise.passes.format(n=result.cases_run) in result.message


@pytest.mark.parametrize("exercise", EVERY, ids=IDS)
def test_every_known_mistake_is_rejected_and_named(exercise):
    assert len(exercise.wrong_examples) >= 2
    for mistake in exercise.mistakes:
        result = exercise.check(mistake.function, record=False)
        assert not result.passed, mistake.function.__name__
        assert result.message.startswith("On "), result.message  # names the input
        assert f"`{exercise.id}`" in result.message
        assert mistake.why in result.message or "raised" in result.message, result.message


@pytest.mark.parametrize("exercise", EVERY, ids=IDS)
def test_a_stub_is_not_written_yet_and_the_toy_falls_back_to_the_reference(exercise, capsys):
    result = exercise.check(_stub, record=False)
    assert not result.passed and result.not_written
    assert "not written yet" in result.message
    assert exercise.use(_stub) is exercise.reference
    assert "use the reference solution" in capsys.readouterr().out


@pytest.mark.parametrize("exercise", EVERY, ids=IDS)
def test_hints_come_one_at_a_time_and_the_solution_is_its_source(exercise):
    hints = [exercise.hint(n) for n in range(1, len(exercise.hints) + 1)]
    assert len(hints) >= 2 and all(h.startswith(f"Hint {i + 1} of") for i, h in enumerate(hints))
    assert "the last one" in hints[-1]
    with pytest.raises(ValueError, match="number must be an integer from 1"):
        exercise.hint(len(exercise.hints) + 1)
    solution = exercise.solution()
    assert solution.startswith("```python\ndef ") and f"def {exercise.id}(" in solution
    assert exercise.reference.__doc__ and "Returns" in exercise.reference.__doc__


def test_a_function_that_raises_is_reported_with_its_error():
    exercise = EVERY[0]

    def broken(*args, **kwargs):
        raise KeyError("oops")

    result = exercise.check(broken, record=False)
    assert not result.passed and "raised KeyError" in result.message and "hint()" in result.message


def test_a_function_that_changes_its_input_is_told_to_copy():
    exercise = exercises.get("bellman_backup")

    def in_place(walls, utility, value, gamma):
        value[:] = exercise.reference(walls, utility, value.copy(), gamma)
        return value

    result = exercise.check(in_place, record=False)
    assert not result.passed and "changed its input (argument 3)" in result.message
    assert "That is what you get" not in result.message  # no unrelated mistake named


def test_something_that_is_not_a_function_is_refused_with_an_example():
    result = EVERY[0].check(3, record=False)
    assert not result.passed and f"check({EVERY[0].id})" in result.message


def test_a_pass_is_saved_in_the_learners_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("MESATOYS_HOME", str(tmp_path))
    exercise = EVERY[0]
    assert exercise.check(exercise.reference).passed
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert saved["exercises"][exercise.id]["notebook"] == exercise.notebook


def test_unknown_exercises_are_refused_by_name():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        exercises.get("no_such_exercise")
    with pytest.raises(AttributeError, match="no_such_exercise"):
        exercises.no_such_exercise  # noqa: B018
    assert exercises.es_gradient is exercises.get("es_gradient")


@pytest.mark.parametrize(
    ("expected", "got", "problem"),
    [
        (np.zeros(3), np.zeros(4), "shape"),
        (np.array([1.0, 2.0]), np.array([1.0, 2.5]), "at index 1 expected 2"),
        (0.5, "0.5", "expected numbers"),
        ((1, 2), [1, 2], None),
        ((1, 2), (1, 3), "item 1"),
        ({"a": 1.0}, {"b": 1.0}, "keys"),
        (None, 0, "expected None"),
        (True, np.True_, None),
        ("corner", "cheese", "expected 'corner'"),
    ],
)
def test_the_default_comparison_says_what_differs(expected, got, problem):
    said = compare_values(expected, got)
    assert (said is None) if problem is None else (problem in said)


def _exercise_cells(notebook: str) -> dict[str, str]:
    nb = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    cells = {}
    for cell in nb["cells"]:
        tag = cell.get("metadata", {}).get("mesatoys", {}).get("exercise")
        if tag:
            cells[tag] = "".join(cell["source"])
    return cells


@pytest.mark.parametrize("exercise", EVERY, ids=IDS)
def test_every_exercise_has_its_stub_in_its_notebook(exercise):
    cells = _exercise_cells(exercise.notebook)
    assert exercise.id in cells, f"no cell tagged for {exercise.id} in {exercise.notebook}"
    stub = cells[exercise.id]
    assert f"def {exercise.id}(" in stub and "raise NotImplementedError" in stub


def test_the_graded_lab_builds_on_the_practice_exercises():
    """Each lab exercise names the practice exercises it builds on; none is one of them.

    The package ships every practice exercise's reference (learners may reveal it), so the
    graded lab asks for different functions, graded by hidden tests.
    """
    lab = NOTEBOOKS.parent / "assignments" / "source" / "lab_distribution_shift"
    nb = nbformat.read(lab / "lab_distribution_shift.ipynb", as_version=4)
    sections = [c.source for c in nb.cells if c.source.startswith("## Exercise")]
    assert len(sections) == 3
    for text in sections:
        paragraph = text.split("**Practice first:**", 1)[1].split("\n>\n", 1)[0]
        paragraph = paragraph.split("\n\n", 1)[0]
        named = re.findall(r"`(\w+)`", paragraph)
        assert named and set(named) <= set(exercises.CATALOG), named
    graded = {c.source.split("(")[0].removeprefix("def ") for c in nb.cells if
              c.cell_type == "code" and c.source.startswith("def ")}  # fmt: skip
    assert not graded & set(exercises.CATALOG)
