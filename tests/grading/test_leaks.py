"""No graded answer in the released notebooks or the feedback (the installable package, the
student tree and the images: tests/test_no_key_ships.py).

The answers are read from the source notebooks' hidden tests and solutions at test time.
"""

from __future__ import annotations

import html
import re

import course as c
import pytest

pytestmark = pytest.mark.slow


def answer_patterns(key: c.Key) -> list[re.Pattern]:
    """Ways a file could state the answer to one question."""
    q = key.question
    # the hidden check's call: expect_...(7, hidden.value("q7"), <key>)
    call = rf"\(\s*{q}\s*,\s*(?:hidden\.value\(\s*[\"']q{q}[\"']\s*\)|q{q})\s*,\s*"
    if key.kind == "expect_choice":
        letter = re.escape(key.value)
        return [
            re.compile(rf"\bq{q}\s*==?\s*[\"']{letter}[\"']"),
            re.compile(rf"{call}[\"']{letter}[\"']"),
        ]
    if key.kind == "expect_choices":
        letters = "".join(sorted(key.value))
        return [_SetPattern(q, letters, call)]
    number = re.escape(repr(key.value))
    return [
        re.compile(rf"\bq{q}\s*==?\s*{number}(?!\d)"),
        re.compile(rf"{call}{number}(?!\d)"),
    ]


class _SetPattern:
    """Matches ``qN = {...}`` whose letters are exactly the key, in any order."""

    def __init__(self, q: int, letters: str, call: str):
        self.q, self.letters = q, letters
        self.pattern = re.compile(rf"\bq{q}\s*==?\s*\{{([^}}]*)\}}|{call}\{{([^}}]*)\}}")

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


def check_lines(assignment: str) -> list[str]:
    """Hidden-test lines that carry an answer key (the calls of the expect_* checks)."""
    return [ln for ln in c.secret_lines(assignment, hidden_only=True) if "expect" in ln]


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
