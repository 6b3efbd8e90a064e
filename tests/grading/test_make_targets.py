"""The instructor's guide, step by step: the ``course-*`` make targets from generate to a
grades CSV, with one student fetching and submitting through the exchange in between."""

from __future__ import annotations

import csv
import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

import course as c
import pytest

pytestmark = pytest.mark.slow

VENV = Path(sys.prefix)  # the virtual environment running the tests


def _make(project: Path, *targets: str, **variables: str) -> str:
    assignments = variables.pop("ASSIGNMENTS", c.QUIZ)
    args = [
        f"{k}={v}" for k, v in {"VENV": str(VENV), "ASSIGNMENTS": assignments, **variables}.items()
    ]
    proc = subprocess.run(
        ["make", "-C", str(project), *targets, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_guide_from_generate_to_a_grades_csv(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(c.REPO / name, project)  # keeps mtimes: make sees the venv as up to date
    shutil.copytree(c.COURSE / "source", project / "assignments" / "source")
    shutil.copy2(c.COURSE / "nbgrader_config.py", project / "assignments")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    where = {"EXCHANGE": str(exchange)}

    _make(project, "course-generate", "course-release", **where)
    home = c.student_home(tmp_path, exchange)
    c.run_as_student(home, "fetch_assignment", c.QUIZ)
    c.answer_all(home / c.QUIZ / f"{c.QUIZ}.ipynb")
    c.run_as_student(home, "submit", c.QUIZ)

    grades = tmp_path / "grades.csv"
    _make(project, "course-collect", "course-autograde", "course-feedback", "course-export",
          GRADES=str(grades), **where)  # fmt: skip

    rows = [r for r in csv.DictReader(grades.open()) if r["assignment"] == c.QUIZ]
    student = getpass.getuser()
    (row,) = [r for r in rows if r["student_id"] == student]
    assert float(row["raw_score"]) == float(len(c.answer_key()))  # every auto point
    c.run_as_student(home, "fetch_feedback", c.QUIZ)
    assert list((home / c.QUIZ / "feedback").rglob("*.html"))
