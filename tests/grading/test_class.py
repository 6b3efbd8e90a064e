"""A simulated class of the end-of-lesson quiz, autograded in one run by the real nbgrader."""

from __future__ import annotations

import html
import re

import course as c
import pytest

pytestmark = pytest.mark.slow


def test_the_class_is_big_enough_and_varied(graded_class):
    names = [s.name for s in graded_class.students]
    assert len(names) >= 20
    assert len(set(graded_class.expected.values())) >= 5  # scores spread across the range


def test_every_student_gets_exactly_the_score_their_answers_earn(graded_class):
    got = c.scores(graded_class.root, c.QUIZ)
    assert got == graded_class.expected


def test_the_full_class_was_graded_despite_bad_submissions(graded_class):
    autograded = graded_class.root / "autograded"
    for s in graded_class.students:
        assert (autograded / s.name / c.QUIZ / f"{c.QUIZ}.ipynb").exists(), s.name
    assert graded_class.result["success"], graded_class.result.get("error")


def test_the_batch_finishes_in_bounded_time(graded_class):
    n = len(graded_class.students)
    # A bound, not a speed test (speed is measured in benchmarks/): the endless loop costs one
    # cell timeout and every other submission takes 1-3 s on a quiet machine, so 20 s per
    # submission leaves room for a loaded CI machine while still catching a hang.
    bound = c.CLASS_TIMEOUT + 20.0 * n
    assert graded_class.autograde_seconds < bound, (graded_class.autograde_seconds, bound)


def test_huge_output_is_capped_in_the_autograded_notebook(graded_class):
    path = graded_class.root / "autograded" / "huge_output" / c.QUIZ / f"{c.QUIZ}.ipynb"
    assert path.stat().st_size < 200_000


def test_kernel_death_keeps_earlier_answers_and_marks_later_cells(graded_class):
    path = graded_class.root / "autograded" / "kernel_dies" / c.QUIZ / f"{c.QUIZ}.ipynb"
    nb = c.read(path)
    died = [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if o.get("ename") == "KernelDied"
    ]
    assert died and "died in this cell" in died[0]["evalue"]


def _feedback(graded_class, student: str) -> str:
    path = graded_class.root / "feedback" / student / c.QUIZ / f"{c.QUIZ}.html"
    return html.unescape(c.text_of(path))


def test_feedback_never_shows_hidden_tests_or_their_tracebacks(graded_class):
    hidden = c.secret_lines(c.QUIZ, hidden_only=True)
    assert len(hidden) >= len(graded_class.keys)
    for s in graded_class.students:
        page = _feedback(graded_class, s.name)
        for line in hidden:
            assert line not in page, (s.name, line)
        for marker in ("BEGIN HIDDEN TESTS", "importlib.reload(mesatoys.grading)"):
            assert marker not in page, (s.name, marker)
        # Tracebacks may appear under the student's own cells, never under a test cell.
        for chunk in page.split('<div class="cell border-box-sizing')[1:]:
            if 'name="comment-test_q' in chunk or "test_q" in chunk.split("</a>")[0]:
                for marker in TRACEBACK_MARKS:
                    assert marker not in chunk, (s.name, marker, chunk[:300])


TRACEBACK_MARKS = ("Cell In[", "most recent call last", "---->")


def test_without_the_sanitiser_tracebacks_would_show_hidden_tests(graded_class):
    """The autograded notebooks (instructor-only) do hold what the feedback must not."""
    path = graded_class.root / "autograded" / "blank" / c.QUIZ / f"{c.QUIZ}.ipynb"
    text = c.text_of(path)
    assert "BEGIN HIDDEN TESTS" in text
    assert any(mark in text for mark in TRACEBACK_MARKS)


def test_feedback_names_the_questions_that_lost_points(graded_class):
    page = _feedback(graded_class, "partly")
    lost = [q for q in graded_class.keys if q not in {1, 2, 3, 5, 8, 12}]
    for q in lost:
        assert f"test_q{q:02d} lost its points" in page
    for q in (1, 2, 3, 5, 8, 12):
        assert f"test_q{q:02d} lost its points" not in page
    assert "Score: 6.0 / 17.0" in page or re.search(r"6(\.0)?\s*/\s*17", page)


def test_feedback_explains_a_format_error_without_the_answer(graded_class):
    page = _feedback(graded_class, "wrong_type")
    assert "test_q12 lost its points: the answer's format is wrong" in page


def test_correct_student_feedback_has_no_failures(graded_class):
    page = _feedback(graded_class, "correct")
    assert "lost its points" not in page


def test_monkeypatching_the_checks_earns_nothing(graded_class):
    nb = c.read(graded_class.root / "autograded" / "monkeypatch" / c.QUIZ / f"{c.QUIZ}.ipynb")
    failed = [
        c.grade_id(cell)
        for cell in nb.cells
        if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    ]
    assert set(failed) >= {f"test_q{q:02d}" for q in graded_class.keys}


def test_scores_export_to_csv(graded_class, tmp_path):
    api = c.make_api(graded_class.root)
    from nbgrader.apps import NbGraderAPI  # noqa: F401 (the API built above)
    from nbgrader.plugins import CsvExportPlugin

    out = tmp_path / "grades.csv"
    with api.gradebook as gb:
        CsvExportPlugin(to=str(out)).export(gb)
    rows = out.read_text().splitlines()
    header = rows[0].split(",")
    by_student = {}
    for row in rows[1:]:
        values = dict(zip(header, row.split(","), strict=True))
        if values["assignment"] == c.QUIZ:
            by_student[values["student_id"]] = float(values["raw_score"])
    assert by_student == graded_class.expected
