"""The late-submission policy (mesatoys.grading.late): the arithmetic, then nbgrader using it.

The nbgrader test builds a one-question course of its own in a temporary folder (the
course's assignments are not needed), sets a due date, places an on-time, a within-grace
and a late submission with their timestamps, autogrades them with the plugin configured,
and reads the penalties from the gradebook and the grades CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys
from pathlib import Path

import pytest

from mesatoys.grading.late import PercentPerDayPenalty, late_days, percent_penalty

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("seconds", "grace", "days"),
    [
        (0, 0, 0),
        (-5 * DAY, 0, 0),
        (1, 0, 1),
        (DAY, 0, 1),
        (DAY + 1, 0, 2),
        (30 * 60, 30, 0),
        (30 * 60 + 1, 30, 1),
        (DAY + 30 * 60, 30, 1),
    ],
)
def test_started_days_late_count_from_the_end_of_the_grace_period(seconds, grace, days):
    assert late_days(seconds, grace) == days


def test_a_percentage_per_started_day_up_to_the_cap():
    assert percent_penalty(14.0, 3 * HOUR, 10) == pytest.approx(1.4)
    assert percent_penalty(14.0, 30 * HOUR, 10) == pytest.approx(2.8)
    assert percent_penalty(14.0, 30 * DAY, 10) == pytest.approx(14.0)
    assert percent_penalty(14.0, 30 * DAY, 10, max_percent=50) == pytest.approx(7.0)
    assert percent_penalty(14.0, 10 * 60, 10, grace_minutes=15) == 0.0
    assert percent_penalty(0.0, 5 * DAY, 10) == 0.0
    assert percent_penalty(14.0, 5 * DAY, 0) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"percent_per_day": -1},
        {"percent_per_day": 101},
        {"max_percent": 120},
        {"grace_minutes": -1},
        {"seconds_late": float("nan")},
        {"grace_minutes": float("inf")},
    ],
)
def test_nonsense_settings_are_refused(kwargs):
    args = {"score": 5.0, "seconds_late": DAY, "percent_per_day": 10, **kwargs}
    with pytest.raises(ValueError):
        percent_penalty(**args)


def test_the_plugin_reads_its_settings_from_nbgrader_config():
    from traitlets.config import Config
    from traitlets.traitlets import TraitError

    config = Config()
    config.PercentPerDayPenalty.percent_per_day = 25
    config.PercentPerDayPenalty.grace_minutes = 60
    config.PercentPerDayPenalty.max_percent = 60
    plugin = PercentPerDayPenalty(config=config)
    assert plugin.late_submission_penalty("ann", 8.0, 30 * 60) == 0.0
    assert plugin.late_submission_penalty("ann", 8.0, HOUR + 1) == pytest.approx(2.0)
    assert plugin.late_submission_penalty("ann", 8.0, 10 * DAY) == pytest.approx(4.8)
    with pytest.raises(TraitError):
        PercentPerDayPenalty(percent_per_day=150)


# --- nbgrader itself ------------------------------------------------------------------------

DUE = dt.datetime(2026, 3, 6, 17, 0, 0)  # UTC, as nbgrader stores it
SUBMITTED = {
    "on_time": DUE - dt.timedelta(hours=1),
    "in_grace": DUE + dt.timedelta(minutes=50),
    "late": DUE + dt.timedelta(hours=26),  # 25 h after the grace period: 2 started days
}


def _tiny_course(root: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    def meta(**fields) -> dict:
        return {"nbgrader": {"schema_version": 3, "locked": False, **fields}}

    answer = new_code_cell(
        "### BEGIN SOLUTION\nanswer = 2\n### END SOLUTION",
        metadata=meta(grade=False, solution=True, grade_id="answer"),
    )
    test = new_code_cell(
        "assert answer == 2",
        metadata=meta(grade=True, solution=False, locked=True, points=4, grade_id="test"),
    )
    folder = root / "source" / "hw"
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[answer, test]), folder / "hw.ipynb")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's, harmless
def test_nbgrader_takes_the_penalty_and_exports_it(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.plugins import CsvExportPlugin
    from traitlets.config import Config

    scripts = str(Path(sys.executable).parent)  # nbgrader runs alembic by name
    monkeypatch.setenv("PATH", scripts + os.pathsep + os.environ.get("PATH", ""))
    root = tmp_path / "course"
    _tiny_course(root)
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "late-test"
    config.AssignLatePenalties.plugin_class = PercentPerDayPenalty
    config.PercentPerDayPenalty.percent_per_day = 25
    config.PercentPerDayPenalty.grace_minutes = 60
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db_url, "late-test") as gb:
        gb.update_or_create_assignment("hw", duedate=DUE)
        for student in SUBMITTED:
            gb.update_or_create_student(student)

    api = NbGraderAPI(config=config)
    assert api.generate_assignment("hw")["success"]
    released = (root / "release" / "hw" / "hw.ipynb").read_text(encoding="utf-8")
    for student, when in SUBMITTED.items():
        folder = root / "submitted" / student / "hw"
        folder.mkdir(parents=True)
        (folder / "hw.ipynb").write_text(
            released.replace("raise NotImplementedError()", "answer = 2"), encoding="utf-8"
        )
        (folder / "timestamp.txt").write_text(f"{when:%Y-%m-%d %H:%M:%S.%f} UTC", "utf-8")
    monkeypatch.chdir(root)
    result = api.autograde("hw", "*")
    assert result["success"], result.get("error") or result.get("log")

    with Gradebook(db_url, "late-test") as gb:
        assert gb.find_assignment("hw").duedate == DUE  # generate kept the due date
        got = {}
        for student in SUBMITTED:
            submission = gb.find_submission("hw", student)
            got[student] = (submission.score, submission.late_submission_penalty)
    assert got == {"on_time": (4.0, 0.0), "in_grace": (4.0, 0.0), "late": (4.0, 2.0)}

    exported = tmp_path / "grades.csv"
    with Gradebook(db_url, "late-test") as gb:
        CsvExportPlugin(to=str(exported)).export(gb)
    lines = exported.read_text(encoding="utf-8").splitlines()
    rows = {r["student_id"]: r for r in csv.DictReader(lines)}
    assert rows["late"]["raw_score"] == "4.0" and rows["late"]["score"] == "2.0"
    assert rows["on_time"]["score"] == "4.0"
