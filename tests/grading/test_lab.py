"""The programming lab graded by the real nbgrader: solutions read from the source earn full
marks, derived wrong solutions earn only the visible points, and neither patching the kernel,
nor steering the reference's process, nor deleting test cells changes what the hidden tests
conclude."""

from __future__ import annotations

import copy
import os

import course as c
import pytest

pytestmark = pytest.mark.slow

POINTS = {"ex1": (1, 3), "ex2": (1, 2), "ex3": (1, 4)}  # (visible, hidden) per exercise


def _solutions() -> dict[str, str]:
    """Each answer cell's source with the solution markers dropped (the working solution)."""
    out = {}
    for cell in c.read(c.source_path(c.LAB)).cells:
        gid = c.grade_id(cell) or ""
        if gid.startswith("answer_"):
            out[gid] = "\n".join(
                ln
                for ln in cell.source.splitlines()
                if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln
            )
    return out


def _wrong(solutions: dict[str, str]) -> dict[str, str]:
    """Well-typed but wrong versions, derived from the solutions."""
    wrong = dict(solutions)
    wrong["answer_ex1"] = solutions["answer_ex1"].replace(".reached_cheese.mean()", ".proxy.mean()")
    wrong["answer_ex2"] = solutions["answer_ex2"].replace("np.argmax", "np.argmin")
    header = "\n".join(solutions["answer_ex3"].splitlines()[:2])  # the def line and docstring
    wrong["answer_ex3"] = header + "\n    return (1, int(level.walls.shape[-1]) - 2)"
    assert all(wrong[k] != solutions[k] for k in solutions)
    return wrong


PATCH = """
import mesatoys.grading as grading
from mesatoys.agents import MesaOptimizer

grading.expect = lambda *args, **kwargs: None
grading.run_reference = lambda code, timeout=0: [0.0] * 100
MesaOptimizer.act = lambda self, observation: 0
"""


# The reference used to run in a subprocess the kernel started: a sitecustomize on
# PYTHONPATH, or a patched subprocess.run, replaced its result.
STEER_REFERENCE = """
import os, pathlib, subprocess, sys, tempfile

folder = pathlib.Path(tempfile.mkdtemp())
(folder / "sitecustomize.py").write_text("print('[0.0]'); raise SystemExit(0)\\n")
os.environ["PYTHONPATH"] = str(folder)
sys.path.insert(0, str(folder))
fake = subprocess.CompletedProcess(args=[], returncode=0, stdout="[0.0, 0.0, 0.0]", stderr="")
subprocess.run = lambda *args, **kwargs: fake
"""


def _submission(released, answers: dict[str, str], patch: str = ""):
    nb = copy.deepcopy(released)
    for gid, source in answers.items():
        c.set_cell(nb, gid, source)
    if patch:
        c.insert_after(nb, "setup", patch)
    return nb


def _without_tests(nb):
    """Every lab test cell deleted: nbgrader must put them back from the source."""
    gids = {c.grade_id(cell) for cell in nb.cells}
    c.delete_cells(nb, {g for g in gids if g and g.startswith("test_")})
    return nb


def test_lab_submissions_earn_what_their_code_earns(course_root):
    released = c.read(c.release_path(course_root, c.LAB))
    solutions = _solutions()
    wrong = _wrong(solutions)
    visible_ex1_ex2 = POINTS["ex1"][0] + POINTS["ex2"][0]
    students = {
        "lab_correct": (_submission(released, solutions), sum(map(sum, POINTS.values()))),
        "lab_blank": (copy.deepcopy(released), 0),
        "lab_wrong": (_submission(released, wrong), visible_ex1_ex2),
        "lab_patched": (_submission(released, wrong, patch=PATCH), visible_ex1_ex2),
        "lab_steered": (_submission(released, wrong, patch=STEER_REFERENCE), visible_ex1_ex2),
        "lab_no_tests": (_without_tests(_submission(released, wrong)), visible_ex1_ex2),
        "lab_no_tests_correct": (
            _without_tests(_submission(released, solutions)),
            sum(map(sum, POINTS.values())),
        ),
    }
    for name, (nb, _) in students.items():
        c.place(course_root, name, c.LAB, nb)
    api = c.make_api(course_root)
    cwd = os.getcwd()
    os.chdir(course_root)
    try:
        for name in students:
            assert api.autograde(c.LAB, name)["success"]
        assert api.generate_feedback(c.LAB)["success"]
    finally:
        os.chdir(cwd)
    got = c.scores(course_root, c.LAB)
    assert got == {name: float(points) for name, (_, points) in students.items()}
    secrets = c.secret_lines(c.LAB, hidden_only=True)
    for name in students:
        page = c.text_of(course_root / "feedback" / name / c.LAB / f"{c.LAB}.html")
        assert not [line for line in secrets if line in page], name
        assert "BEGIN HIDDEN TESTS" not in page
