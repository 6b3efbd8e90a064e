"""The exchange round trip on one machine, as on a JupyterHub: instructor and student each
with their own config, sharing one course_id and one exchange directory."""

from __future__ import annotations

import getpass
import html
import os
import re

import course as c
import pytest

pytestmark = pytest.mark.slow


def test_release_fetch_submit_collect_grade_and_return_feedback(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)  # world-writable, as on a hub
    root = c.copy_course(tmp_path)
    api = c.make_api(root, Exchange__root=str(exchange))
    assert api.generate_assignment(c.QUIZ)["success"]
    released = api.release_assignment(c.QUIZ)
    assert released["success"], released.get("log")

    home = c.student_home(tmp_path, exchange)
    c.run_as_student(home, "fetch_assignment", c.QUIZ)
    c.answer_all(home / c.QUIZ / f"{c.QUIZ}.ipynb")
    c.run_as_student(home, "submit", c.QUIZ)

    student = getpass.getuser()  # the student id is the user name
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert api.collect(c.QUIZ)["success"]
        assert (root / "submitted" / student / c.QUIZ / f"{c.QUIZ}.ipynb").exists()
        assert api.autograde(c.QUIZ, student)["success"]
        assert api.generate_feedback(c.QUIZ, student)["success"]
        assert api.release_feedback(c.QUIZ, student)["success"]
    finally:
        os.chdir(cwd)
    assert c.scores(root, c.QUIZ) == {student: float(len(c.answer_key()))}

    c.run_as_student(home, "fetch_feedback", c.QUIZ)
    pages = list((home / c.QUIZ / "feedback").rglob("*.html"))
    assert len(pages) == 1
    page = html.unescape(c.text_of(pages[0]))
    assert "Score: 1.0 / 1.0" in page
    assert "BEGIN HIDDEN TESTS" not in page and "expect_choice" not in page
    # It opens offline: nothing to fetch from the internet (nbgrader's MathJax CDN script).
    assert c.external_resources(page) == []
    assert "<style" in page  # the check looks at real markup (CSS is inlined)


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_assignments_need_no_mathjax(assignment):
    """Feedback pages leave MathJax out (they must work offline): no maths to typeset."""
    for cell in c.read(c.source_path(assignment)).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\$[^$\s][^$]*\$|\\\(|\\\[", cell.source), cell.source[:80]
