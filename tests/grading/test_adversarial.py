"""An adversarial class: every known attack on autograding, graded with the course's own
pipeline (``python -m mesatoys.grading.batch --jobs 2``, the sandbox, the feedback).

No attack may earn more than 20% of the automatic points (each attacker answers every
question wrongly, so in fact none may earn any); no feedback page or autograded output
holds a hidden-test line or a key; the batch finishes, in bounded time, with a grade for
everyone; nothing outside a sandbox is touched.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import attacks
import course as c
import pytest
from test_leaks import check_lines, leaks

pytestmark = pytest.mark.slow

AUTO_POINTS = 14
CHEAT_SHARE = 0.2
SUBMISSION_TIMEOUT = 60


@dataclass
class Attacked:
    root: Path
    expected: dict[str, float]
    seconds: float
    batch: subprocess.CompletedProcess
    keys: dict


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> Attacked:
    """The attackers and one honest student, graded in parallel, with feedback."""
    c.require_sandbox()
    root = c.copy_course(tmp_path_factory.mktemp("adversarial"))
    with (root / "nbgrader_config.py").open("a") as config:  # the class's shorter timeouts
        config.write(f"\nc.ExecutePreprocessor.timeout = {c.CLASS_TIMEOUT}\n")
        config.write(f"c.ExecuteToTheEnd.submission_timeout = {SUBMISSION_TIMEOUT}\n")
    api = c.make_api(root)
    assert api.generate_assignment(c.QUIZ)["success"]
    keys = c.answer_key()
    released = c.read(c.release_path(root, c.QUIZ))
    students = attacks.build(released, keys, str(root), str(c.REPO))
    for name, (nb, _) in students.items():
        c.place(root, name, c.QUIZ, nb)
    attacks.write_unreadable(c.place(root, "not_json", c.QUIZ, released))
    honest = c.read(c.release_path(root, c.QUIZ))
    for q, key in keys.items():
        c.set_cell(honest, f"answer_q{q:02d}", c.answer_line(q, key.value))
    c.place(root, "correct", c.QUIZ, honest)
    expected = {name: points for name, (_, points) in students.items()}
    expected |= {"not_json": 0.0, "correct": float(AUTO_POINTS)}
    c.nbgrader_env()
    t0 = time.perf_counter()
    batch = subprocess.run(
        [sys.executable, "-m", "mesatoys.grading.batch", "--jobs", "2", c.QUIZ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - t0
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert c.make_api(root).generate_feedback(c.QUIZ)["success"]
    finally:
        os.chdir(cwd)
    return Attacked(root, expected, seconds, batch, keys)


def _autograded(attacked: Attacked, student: str):
    return c.read(attacked.root / "autograded" / student / c.QUIZ / f"{c.QUIZ}.ipynb")


def _feedback(attacked: Attacked, student: str) -> str:
    path = attacked.root / "feedback" / student / c.QUIZ / f"{c.QUIZ}.html"
    return html.unescape(c.text_of(path))


def test_the_batch_grades_everyone_and_reports_no_failure(attacked):
    assert attacked.batch.returncode == 0, (
        attacked.batch.stdout[-3000:] + attacked.batch.stderr[-3000:]
    )
    assert f"{len(attacked.expected)} of {len(attacked.expected)} submissions autograded" in (
        attacked.batch.stdout
    )
    for student in attacked.expected:
        assert (attacked.root / "feedback" / student / c.QUIZ / f"{c.QUIZ}.html").exists(), student


def test_no_attack_earns_more_than_a_fifth_of_the_points(attacked):
    got = c.scores(attacked.root, c.QUIZ)
    for student, points in got.items():
        if student != "correct":
            assert points <= CHEAT_SHARE * AUTO_POINTS, (student, points)
    assert got == attacked.expected


def test_the_class_finishes_in_bounded_time(attacked):
    """Each submission is bounded by its own budget; two run at once."""
    n = len(attacked.expected)
    bound = 60 + n * (SUBMISSION_TIMEOUT + 30) / 2
    assert attacked.seconds < bound, (attacked.seconds, bound)


def _without_own_code(text: str, attacked: Attacked, student: str) -> str:
    """``text`` without the lines the student wrote (an attack may quote what it looks for)."""
    if student == "not_json":
        return text
    nb = c.read(attacked.root / "submitted" / student / c.QUIZ / f"{c.QUIZ}.ipynb")
    own = {line.strip() for cell in nb.cells for line in cell.source.splitlines() if line.strip()}
    return "\n".join(line for line in text.splitlines() if line.strip() not in own)


def test_no_page_or_output_holds_a_hidden_test_or_a_key(attacked):
    hidden = c.secret_lines(c.QUIZ, hidden_only=True)
    keys = attacked.keys
    for student in attacked.expected:
        if student == "correct":
            continue
        page = _feedback(attacked, student)
        outputs = attacks.outputs_text(_autograded(attacked, student))
        for text in (re.sub(r"<[^>]+>", "", page), outputs, outputs.replace('\\"', '"')):
            assert not leaks(text, keys, lines=hidden + check_lines(c.QUIZ)), student
            text = _without_own_code(text.replace("\\n", "\n"), attacked, student)
            assert "BEGIN HIDDEN TESTS" not in text and "hidden.value" not in text, student


def test_the_key_was_out_of_reach(attacked):
    out = attacks.outputs_text(_autograded(attacked, "read_key"))
    assert "expect_choice" not in out and "gradebook" not in out.replace("gradebook.db'", "")
    history = attacks.outputs_text(_autograded(attacked, "print_history"))
    assert "assert_format(1, q1)" in history  # the history is there, without hidden tests
    hidden = c.secret_lines(c.QUIZ, hidden_only=True)
    assert not [line for line in hidden if line in history.replace('\\"', '"')]
    assert "hidden.value" not in history and "expect_choice(" not in history


def test_nothing_outside_a_sandbox_was_written(attacked):
    root = attacked.root
    assert not list(root.rglob("pwned.txt"))
    assert (root / "source" / c.QUIZ / f"{c.QUIZ}.ipynb").read_text().endswith("\n")
    assert "pwned" not in (root / "source" / c.QUIZ / f"{c.QUIZ}.ipynb").read_text()
    out = attacks.outputs_text(_autograded(attacked, "write_outside"))
    assert "wrote" not in out


def test_the_network_was_unreachable(attacked):
    out = attacks.outputs_text(_autograded(attacked, "network"))
    assert "connected" not in out and "ConnectionRefusedError" in out


def test_outputs_of_every_kind_are_capped(attacked):
    for student in ("huge_outputs", "image_50mb", "output_flood", "huge_answers"):
        path = attacked.root / "autograded" / student / c.QUIZ / f"{c.QUIZ}.ipynb"
        assert path.stat().st_size < 2_000_000, (student, path.stat().st_size)
        page = attacked.root / "feedback" / student / c.QUIZ / f"{c.QUIZ}.html"
        assert page.stat().st_size < 3_000_000, (student, page.stat().st_size)
    text = attacks.outputs_text(_autograded(attacked, "huge_outputs"))
    for mime in ("image/svg+xml", "application/json", "text/html"):
        assert f'"{mime}":' not in text and "dropped" in text
    raw_page = c.text_of(attacked.root / "feedback" / "huge_outputs" / c.QUIZ / f"{c.QUIZ}.html")
    assert "<script>alert" not in raw_page  # the student's own code shows escaped


def test_a_fork_bomb_leaves_no_process_behind(attacked):
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) >= 61000]
    assert left == []


def test_feedback_says_what_stopped_a_submission(attacked):
    assert "did not stop when interrupted" in _feedback(attacked, "swallow_interrupts")
    assert "could not be read as a notebook" in _feedback(attacked, "not_json")
    assert "not run" in _feedback(attacked, "kill_kernel")


def _uid(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except OSError:
        return -1
