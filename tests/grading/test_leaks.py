"""No graded answer in the installable package, the released notebooks or the feedback.

The answers are read from the source notebooks' hidden tests and solutions at test time.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import zipfile

import course as c
import pytest

pytestmark = pytest.mark.slow


def answer_patterns(key: c.Key) -> list[re.Pattern]:
    """Ways a file could state the answer to one question."""
    q = key.question
    if key.kind == "expect_choice":
        letter = re.escape(key.value)
        return [
            re.compile(rf"\bq{q}\s*==?\s*[\"']{letter}[\"']"),
            re.compile(rf"\(\s*{q}\s*,\s*q{q}\s*,\s*[\"']{letter}[\"']"),
        ]
    if key.kind == "expect_choices":
        letters = "".join(sorted(key.value))
        return [_SetPattern(q, letters)]
    number = re.escape(repr(key.value))
    return [
        re.compile(rf"\bq{q}\s*==?\s*{number}(?!\d)"),
        re.compile(rf"\(\s*{q}\s*,\s*q{q}\s*,\s*{number}(?!\d)"),
    ]


class _SetPattern:
    """Matches ``qN = {...}`` whose letters are exactly the key, in any order."""

    def __init__(self, q: int, letters: str):
        self.q, self.letters = q, letters
        self.pattern = re.compile(
            rf"\bq{q}\s*==?\s*\{{([^}}]*)\}}|\(\s*{q}\s*,\s*q{q}\s*,\s*\{{([^}}]*)\}}"
        )

    def search(self, text: str):
        for match in self.pattern.finditer(text):
            inner = match.group(1) or match.group(2) or ""
            if "".join(sorted(re.findall(r"[A-Z]", inner))) == self.letters:
                return match
        return None


def leaks(text: str, keys=None, lines=None) -> list[str]:
    keys = c.answer_key() if keys is None else keys
    found = [f"q{k.question}" for k in keys.values() for p in answer_patterns(k) if p.search(text)]
    return found + [line for line in (lines or []) if line in text]


def test_the_patterns_find_the_answers_in_the_source():
    """The search can fail: it finds every answer where the answers are."""
    keys = c.answer_key()
    source = c.text_of(c.source_path(c.QUIZ))
    assert sorted(leaks(source.replace('\\"', '"'), keys)) == sorted(
        f"q{q}" for q in keys for _ in range(len(answer_patterns(keys[q])))
    )


@pytest.fixture(scope="module")
def wheel_texts(tmp_path_factory) -> dict[str, str]:
    """Every text file of a wheel built from a copy of the project."""
    work = tmp_path_factory.mktemp("wheel")
    project = work / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(c.REPO / name, project)
    shutil.copytree(
        c.REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(project),
            "--no-deps",
            "--no-build-isolation",  # the dev extras provide setuptools: no network needed
            "-w",
            str(work / "dist"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (work / "dist").glob("mesatoys-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name).decode("utf-8", errors="replace")
            for name in archive.namelist()
        }


def check_lines(assignment: str) -> list[str]:
    """Hidden-test lines that carry an answer key (the calls of the expect_* checks)."""
    return [ln for ln in c.secret_lines(assignment, hidden_only=True) if "expect" in ln]


def lab_solutions() -> dict[str, list[str]]:
    """Each lab exercise's function name and its solution lines specific enough to search for."""
    out = {}
    for cell in c.read(c.source_path(c.LAB)).cells:
        gid = c.grade_id(cell) or ""
        if gid.startswith("answer_"):
            name = re.search(r"def (\w+)\(", cell.source).group(1)
            lines = c.regions(cell.source, c.SOLUTION_BEGIN, c.SOLUTION_END)
            out[name] = [ln.strip() for ln in lines if len(ln.strip()) >= 25]
    return out


def test_the_wheel_ships_the_grading_helpers_but_no_answer(wheel_texts):
    assert "mesatoys/grading/__init__.py" in wheel_texts
    checks = check_lines(c.QUIZ) + check_lines(c.LAB)
    assert len(checks) >= len(c.answer_key()) + 3
    solutions = lab_solutions()
    assert len(solutions) == 3
    for name, text in wheel_texts.items():
        assert not leaks(text, lines=checks), name
        for function, lines in solutions.items():
            assert f"def {function}(" not in text, (name, function)
            # One shared idiom is no leak; most of a solution's lines would be.
            assert sum(line in text for line in lines) <= 1, (name, function)


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_released_files_hold_no_answer(course_root, assignment):
    files = [p for p in (course_root / "release" / assignment).rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert not leaks(c.text_of(path), lines=c.secret_lines(assignment)), path


def test_feedback_never_tells_a_student_an_answer_they_got_wrong(graded_class):
    keys = c.answer_key()
    for student in ("all_wrong", "blank", "monkeypatch", "partly"):
        path = graded_class.root / "feedback" / student / c.QUIZ / f"{c.QUIZ}.html"
        text = html.unescape(re.sub(r"<[^>]+>", "", c.text_of(path)))
        right = {1, 2, 3, 5, 8, 12} if student == "partly" else set()
        wrong_keys = {q: k for q, k in keys.items() if q not in right}
        assert not leaks(text, wrong_keys, lines=check_lines(c.QUIZ)), student
