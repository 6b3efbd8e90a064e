"""Helpers for the nbgrader tests: a course root in a tmp dir, the answer key read from the
source notebooks, and simulated student submissions built from the released notebooks.

Nothing here holds an answer: correct answers are read at test time from the source
notebook's hidden tests, and wrong answers are derived from them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "assignments"
QUIZ = "end_of_lesson_quiz"
LAB = "lab_distribution_shift"
ASSIGNMENTS = (QUIZ, LAB)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
CHECKS = ("expect_choice", "expect_choices", "expect_number")
# Per-cell timeout for the simulated class: the course config's 30 s would make the
# endless-loop student alone cost 30 s; the behaviour under test (interrupt, then carry on)
# is the same at any value. test_generate.test_config_values checks the course's setting.
CLASS_TIMEOUT = 5


def sandbox_missing() -> str | None:
    """Why autograding cannot run here (it refuses to without bubblewrap), or None."""
    from mesatoys.grading.sandbox import availability

    return availability()


def require_sandbox() -> None:
    """Skip the calling test or fixture, with the reason, if autograding cannot run here."""
    import pytest

    reason = sandbox_missing()
    if reason is not None:
        pytest.skip(f"autograding needs its bubblewrap sandbox: {reason}")


def source_path(assignment: str, root: Path = COURSE) -> Path:
    return root / "source" / assignment / f"{assignment}.ipynb"


def release_path(root: Path, assignment: str) -> Path:
    return root / "release" / assignment / f"{assignment}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def regions(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly inside every ``begin``/``end`` region of a cell's source."""
    lines, inside, found = source.splitlines(), False, []
    for line in lines:
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            found.append(line)
    return found


def public_text(assignment: str, root: Path = COURSE) -> str:
    """The source notebook's cell text with every solution and hidden-test region removed."""
    kept = []
    for cell in read(source_path(assignment, root)).cells:
        inside = False
        for line in cell.source.splitlines():
            if HIDDEN_BEGIN in line or SOLUTION_BEGIN in line:
                inside = True
            elif HIDDEN_END in line or SOLUTION_END in line:
                inside = False
            elif not inside:
                kept.append(line)
    return "\n".join(kept)


def secret_lines(
    assignment: str, root: Path = COURSE, min_length: int = 8, hidden_only: bool = False
) -> list[str]:
    """Lines of the solution and hidden-test regions that are not also public.

    With ``hidden_only``, only hidden-test lines (feedback shows a student's own code, which
    may well match the solution). Short lines (``)``, ``]``) and lines that the public part
    of the notebook shows anyway (an import of the setup cell, a call quoted in the
    instructions) cannot leak anything.
    """
    public = public_text(assignment, root)
    kinds = [(HIDDEN_BEGIN, HIDDEN_END)] + ([] if hidden_only else [(SOLUTION_BEGIN, SOLUTION_END)])
    lines = []
    for cell in read(source_path(assignment, root)).cells:
        for begin, end in kinds:
            for line in regions(cell.source, begin, end):
                line = line.strip()
                if len(line) >= min_length and line not in public and line not in lines:
                    lines.append(line)
    return lines


# --- the answer key, read from the source's hidden tests --------------------------------------


@dataclass(frozen=True)
class Key:
    """One auto-graded question's expected answer, as the hidden test states it."""

    question: int
    kind: str  # one of CHECKS
    value: object
    tolerance: float | None = None


def answer_key(root: Path = COURSE) -> dict[int, Key]:
    """``{question: Key}`` parsed (with ``ast``) from the quiz source's hidden tests."""
    keys = {}
    for cell in read(source_path(QUIZ, root)).cells:
        hidden = "\n".join(regions(cell.source, HIDDEN_BEGIN, HIDDEN_END))
        for node in ast.walk(ast.parse(hidden)) if hidden else []:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in CHECKS:
                    question = ast.literal_eval(node.args[0])
                    value = ast.literal_eval(node.args[2])
                    tol = {k.arg: ast.literal_eval(k.value) for k in node.keywords}.get("tolerance")
                    keys[question] = Key(question, node.func.attr, value, tol)
    return keys


def question_code(question: int, root: Path = COURSE) -> str:
    """The Python code block a numeric question tells students to run."""
    for cell in read(source_path(QUIZ, root)).cells:
        if cell.cell_type == "markdown" and cell.source.startswith(f"**Question {question}**"):
            blocks = re.findall(r"```python\n(.*?)```", cell.source, flags=re.S)
            if blocks:
                return blocks[0]
    raise LookupError(f"question {question} has no code block")


def run_question_code(code: str) -> object:
    """Run a question's code block; return the value of its last expression."""
    tree = ast.parse(code)
    *body, last = tree.body
    namespace: dict = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), "<question>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<question>", "eval"), namespace)


# --- wrong answers, derived from the key -------------------------------------------------------


def options_of(key: Key) -> str:
    from mesatoys.grading import QUIZ_FORMATS

    return QUIZ_FORMATS[QUIZ][key.question].options


def wrong_answer(key: Key, variant: int = 0) -> object:
    """A well-formed answer that the key does not accept."""
    if key.kind == "expect_choice":
        others = [x for x in options_of(key) if x != key.value]
        return others[variant % len(others)]
    if key.kind == "expect_choices":
        flip = options_of(key)[variant % len(options_of(key))]
        wrong = set(key.value) ^ {flip}
        return wrong or set(key.value) ^ {options_of(key)[(variant + 1) % len(options_of(key))]}
    from mesatoys.grading import QUIZ_FORMATS

    decimals = QUIZ_FORMATS[QUIZ][key.question].decimals
    shift = 0.1 if key.value < 0.5 else -0.1
    return round(key.value + shift * (1 + variant % 3), decimals)


def accepted_variant(key: Key, variant: int) -> object:
    """The right answer written in one of the ways the hidden tests accept."""
    if key.kind == "expect_choice":
        return [key.value, key.value.lower(), f" {key.value} "][variant % 3]
    if key.kind == "expect_choices":
        return [set(key.value), frozenset(key.value), {x.lower() for x in key.value}][variant % 3]
    return key.value


def answer_line(question: int, value: object) -> str:
    if isinstance(value, (set, frozenset)):
        inner = ", ".join(repr(x) for x in sorted(value))
        text = "{" + inner + "}" if isinstance(value, set) else f"frozenset({{{inner}}})"
        return f"q{question} = {text}"
    return f"q{question} = {value!r}"


# --- submissions ---------------------------------------------------------------------------------


def set_cell(nb, gid: str, source: str) -> None:
    for cell in nb.cells:
        if grade_id(cell) == gid:
            cell.source = source
            return
    raise LookupError(gid)


def insert_after(nb, gid: str, source: str) -> None:
    for i, cell in enumerate(nb.cells):
        if grade_id(cell) == gid:
            nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
            return
    raise LookupError(gid)


def delete_cells(nb, gids: set[str]) -> None:
    nb.cells = [c for c in nb.cells if grade_id(c) not in gids]


def place(root: Path, student: str, assignment: str, nb) -> Path:
    """Write a submission where nbgrader expects it: submitted/<student>/<assignment>/."""
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    (folder / "timestamp.txt").write_text("2025-01-01 12:00:00.000000 UTC")
    return path


# --- the course root and the API ----------------------------------------------------------------


def copy_course(dest: Path) -> Path:
    """Copy the course root (config and sources only) into ``dest``."""
    root = dest / "course"
    root.mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", root)
    shutil.copytree(COURSE / "source", root / "source", ignore=shutil.ignore_patterns(".*"))
    return root


def nbgrader_env() -> None:
    """nbgrader runs ``alembic`` by name: put this interpreter's scripts first on PATH."""
    scripts = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(scripts + os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def load_config(root: Path, **overrides):
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    for dotted, value in overrides.items():
        section, name = dotted.split("__")
        cfg[section][name] = value
    return cfg


def make_api(root: Path, **overrides):
    from nbgrader.apps import NbGraderAPI

    nbgrader_env()
    return NbGraderAPI(config=load_config(root, **overrides))


def scores(root: Path, assignment: str) -> dict[str, float]:
    """``{student: auto-graded score}`` from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        out = {}
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = float(sub.score)
        return out


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def external_resources(page: str) -> list[str]:
    """Outside URLs a browser would load on opening ``page``.

    Scripts, styles, images, frames and media (``src``, ``srcset``, ``href`` of ``<link>``,
    ``data`` of ``<object>``) and CSS ``url(...)`` and ``@import``; links a reader may click
    are not loaded and not listed. Protocol-relative URLs (``//host/...``) count.
    """
    remote = r"\s*[\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//[^\s\"')>]+"
    pattern = (
        rf"<(?:script|img|iframe|frame|source|audio|video|embed|input|track)\b[^>]*?"
        rf"\s(?:src|srcset)\s*={remote}"
        rf"|<link\b[^>]*?\shref\s*={remote}"
        rf"|<object\b[^>]*?\sdata\s*={remote}"
        rf"|url\({remote}"
        rf"|@import{remote}"
    )
    return [m.group(0) for m in re.finditer(pattern, page, flags=re.I)]


def json_dump(obj) -> str:
    return json.dumps(obj, sort_keys=True)


STUDENT_CONFIG = """
c = get_config()
c.CourseDirectory.course_id = "mesatoys"
c.Exchange.root = {root!r}
from mesatoys.grading.exchange import EXCHANGE_CLASSES
for setting, name in EXCHANGE_CLASSES.items():
    setattr(c.ExchangeFactory, setting, name)
"""


def run_as_student(home: Path, *args: str) -> str:
    """Run an nbgrader command as a student would: from their home, with their own config."""
    import subprocess

    nbgrader_env()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr


def student_home(tmp: Path, exchange: Path, name: str = "student") -> Path:
    """A student's home folder whose nbgrader config names the course and the exchange."""
    home = tmp / name
    home.mkdir()
    (home / "nbgrader_config.py").write_text(STUDENT_CONFIG.format(root=str(exchange)))
    return home


def answer_all(path: Path, root: Path = COURSE) -> None:
    """Fill a fetched quiz with the right answer to every auto-graded question."""
    nb = read(path)
    for q, key in answer_key(root).items():
        set_cell(nb, f"answer_q{q:02d}", answer_line(q, key.value))
    nbformat.write(nb, path)
