"""Fixtures for the nbgrader tests: one generated course and one autograded class per session.

The class is built at test time from the released quiz; the right answers come from the
source notebook's hidden tests (``course.answer_key``), the wrong ones are derived from them.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import course as c
import pytest

CLASS_TIMEOUT = c.CLASS_TIMEOUT


@dataclass
class Student:
    name: str
    notebook: object
    expected: float
    note: str = ""


@dataclass
class GradedClass:
    root: Path
    students: list[Student]
    autograde_seconds: float
    feedback_seconds: float
    result: dict
    keys: dict = field(default_factory=dict)

    @property
    def expected(self) -> dict[str, float]:
        return {s.name: s.expected for s in self.students}


def _answers(keys, right: set[int], variant: int = 0) -> dict[int, object]:
    return {
        q: c.accepted_variant(k, variant + q) if q in right else c.wrong_answer(k, variant + q)
        for q, k in keys.items()
    }


def _fill(released, answers: dict[int, object], written: str | None = None):
    nb = copy.deepcopy(released)
    for q, value in answers.items():
        c.set_cell(nb, f"answer_q{q:02d}", c.answer_line(q, value))
    if written is not None:
        c.set_cell(nb, "written_q15", written)
    return nb


def build_class(released, keys) -> list[Student]:
    """At least 20 submissions: edge cases first, then ordinary students."""
    every = set(keys)
    n = len(keys)
    essay = "Training only sees behaviour on training levels, so several goals fit it."
    out = [
        Student("correct", _fill(released, _answers(keys, every), essay), n),
        Student("all_wrong", _fill(released, _answers(keys, set())), 0),
        Student("blank", copy.deepcopy(released), 0, "the released stubs, untouched"),
        Student("partly", _fill(released, _answers(keys, {1, 2, 3, 5, 8, 12})), 6),
    ]
    nb = _fill(released, _answers(keys, every - {3}))
    for q in (3, 4):  # edit two test cells; nbgrader restores them from the source
        c.set_cell(nb, f"test_q{q:02d}", "print('all tests passed')")
    out.append(Student("edited_tests", nb, n - 1, "edited tests 3 and 4; q3 wrong"))
    nb = _fill(released, _answers(keys, every - {6}))
    c.delete_cells(nb, {"test_q05", "test_q06"})
    out.append(Student("deleted_tests", nb, n - 1, "deleted tests 5 and 6; q6 wrong"))
    nb = _fill(released, _answers(keys, every))
    c.insert_after(nb, "answer_q07", "while True:\n    pass")
    out.append(Student("infinite_loop", nb, n, "an endless loop before test 7; interrupted"))
    nb = _fill(released, _answers(keys, every))
    c.insert_after(nb, "test_q10", "import os\n\nos._exit(1)")
    out.append(Student("kernel_dies", nb, 10, "kernel dies after test 10"))
    nb = _fill(released, _answers(keys, every))
    c.set_cell(nb, "answer_q02", 'q2 = "C')
    out.append(Student("syntax_error", nb, n - 1, "syntax error in answer 2"))
    nb = _fill(released, _answers(keys, every))
    c.insert_after(
        nb, "setup", "print('x' * 3_000_000)\nfor _ in range(2000):\n    print('y' * 100)"
    )
    out.append(Student("huge_output", nb, n, "prints megabytes"))
    nb = _fill(released, _answers(keys, set()))
    c.insert_after(nb, "setup", MONKEYPATCH)
    out.append(Student("monkeypatch", nb, 0, "replaces the hidden checks; all answers wrong"))
    nb = _fill(released, {**_answers(keys, every), 12: str(keys[12].value)})
    out.append(Student("wrong_type", nb, n - 1, "q12 as a string"))
    # Ordinary students: each gets a different set of questions right.
    for i in range(10):
        right = {q for q in every if (q * (i + 3) + i) % 5 != 0}
        nb = _fill(released, _answers(keys, right, variant=i), essay if i % 2 else None)
        if i % 3 == 0:  # some compute the numeric answers with the toy, in the answer cell
            code = c.question_code(13).strip().splitlines()
            body = "\n".join(code[:-1])
            decimals = 3
            expr = f"round(float({code[-1]}), {decimals})" if 13 in right else "0.5"
            c.set_cell(nb, "answer_q13", f"{body}\nq13 = {expr}")
        out.append(Student(f"student_{i:02d}", nb, len(right)))
    return out


MONKEYPATCH = """
import mesatoys.grading as grading

def _accept(*args, **kwargs):
    return None

for _name in ("expect_choice", "expect_choices", "expect_number", "expect", "assert_format"):
    setattr(grading, _name, _accept)
grading.HiddenCheckError = type("HiddenCheckError", (Exception,), {})
assert_format = _accept
"""


@pytest.fixture(scope="session")
def course_root(tmp_path_factory) -> Path:
    """A copy of the course root with every assignment generated (release/ filled)."""
    root = c.copy_course(tmp_path_factory.mktemp("grading"))
    api = c.make_api(root)
    for assignment in c.ASSIGNMENTS:
        result = api.generate_assignment(assignment)
        assert result["success"], result.get("error")
    return root


@pytest.fixture(scope="session")
def graded_class(course_root) -> GradedClass:
    """The simulated class, autograded in one run, with feedback generated."""
    keys = c.answer_key()
    released = c.read(c.release_path(course_root, c.QUIZ))
    students = build_class(released, keys)
    for s in students:
        c.place(course_root, s.name, c.QUIZ, s.notebook)
    api = c.make_api(course_root, ExecutePreprocessor__timeout=CLASS_TIMEOUT)
    cwd = os.getcwd()
    os.chdir(course_root)
    try:
        t0 = time.perf_counter()
        result = api.autograde(c.QUIZ, "*")
        autograde_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        feedback = api.generate_feedback(c.QUIZ)
        feedback_s = time.perf_counter() - t0
    finally:
        os.chdir(cwd)
    assert feedback["success"], feedback.get("error")
    return GradedClass(course_root, students, autograde_s, feedback_s, result, keys)
