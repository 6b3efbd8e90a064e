"""Question banks: the practice questions of the course, stored as JSON and checked on load.

Every notebook's self-check, and the practice quiz, reads its questions from one bank
file shipped inside the package, ``mesatoys/course/banks/<name>.json``, where ``<name>``
is the notebook's file name without ``.ipynb`` (for example ``03_inner_alignment``).

The format
----------
A bank is a JSON object with a list of questions and, optionally, a title::

    {
      "title": "Notebook 03 - Inner alignment",
      "questions": [
        {
          "id": "inner-alignment-which-failure",
          "kind": "single",
          "prompt": "Which description fits best?",
          "options": ["Outer misalignment ...", "Inner misalignment ...", "..."],
          "correct": [1],
          "explanations": ["Why A is wrong ...", "Why B is right ...", "..."]
        }
      ]
    }

Fields of a question:

- ``id`` (required): a stable identifier, unique across *all* banks, made of lower-case
  letters, digits and single hyphens. Progress and answers are recorded against it, so
  it never changes once published, even when the wording does.
- ``prompt`` (required): the question.
- ``options`` (required): 2 to 26 distinct answer texts, shown lettered A, B, C...
- ``correct`` (required): the indices (0-based) of the options that are right; at
  least one. Put the right option in varied positions across a bank.
- ``explanations`` (required): one text per option, in the same order, saying why that
  option is right or wrong. Learners see them as feedback.
- ``kind`` (optional): ``"single"`` (exactly one option is right; the learner picks
  one) or ``"multiple"`` ("select all that apply": the learner picks any number). If
  left out, it is ``"single"`` when ``correct`` has one index and ``"multiple"``
  otherwise.

No other fields are allowed, so a misspelt field name is an error rather than a silently
missing explanation. Every error names the file, the question (by ``id`` and position)
and the field.

Checking an answer
------------------
:meth:`Question.feedback_for` takes a letter (``"B"``), several letters for a "select
all that apply" question (``"A,C"``, ``"A C"`` or ``"AC"``), an index (``1``) or a list
of letters or indices, and returns a :class:`Feedback`: whether it was right, and a note
on the options. A single-choice answer gets the explanation of the chosen option (and,
once right, of every other option too). A "select all" answer gets a note on every
option: chosen and right, chosen but wrong, missed, or rightly left out.

Example:
    >>> q = Question("demo-sum", "2 + 2?", ["3", "4"], [1], ["No: one short.", "Yes."])
    >>> print(q.feedback_for("B"))
    Correct.
      B (your answer): Yes.
      A (not this one): No: one short.
"""

from __future__ import annotations

import json
import numbers
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

LETTERS = string.ascii_uppercase
KINDS = ("single", "multiple")
BANK_DIR = "banks"
_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REQUIRED = ("id", "prompt", "options", "correct", "explanations")
_FIELDS = (*_REQUIRED, "kind")
_BANK_FIELDS = ("title", "questions")
_SEPARATORS = re.compile(r"[\s,;]+")


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _is_index(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class OptionNote:
    """Feedback on one option of an answer.

    Attributes:
        index: The option's index.
        letter: The option's letter (A, B, ...).
        label: What the answer did with this option, in words (e.g. "missed: it applies").
        explanation: Why the option is right or wrong.
        good: Whether the answer handled this option correctly.
    """

    index: int
    letter: str
    label: str
    explanation: str
    good: bool


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer.

    Attributes:
        question_id: The question's ``id``.
        chosen: The option indices the answer picked, sorted.
        right: Whether the answer was exactly right.
        verdict: One line: right or not, in words.
        notes: Feedback on the options, in the order to show them.
    """

    question_id: str
    chosen: tuple[int, ...]
    right: bool
    verdict: str
    notes: tuple[OptionNote, ...]

    @property
    def text(self) -> str:
        """The feedback as plain text: the verdict, then one line per note."""
        lines = [self.verdict]
        lines += [f"  {n.letter} ({n.label}): {n.explanation}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)


@dataclass(frozen=True)
class Question:
    """One practice question: a prompt, lettered options, the right ones and why.

    Args:
        id: Stable identifier: lower-case letters, digits and single hyphens.
        prompt: The question.
        options: Two to 26 distinct answer texts.
        correct: Indices of the right options (at least one).
        explanations: One explanation per option, in the order of ``options``.
        kind: ``"single"`` or ``"multiple"``; empty to infer it from ``correct``.

    Raises:
        ValueError: If a field is malformed; the message names the field.
    """

    id: str
    prompt: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    explanations: tuple[str, ...]
    kind: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.id, str) or not _ID_PATTERN.fullmatch(self.id):
            raise ValueError(
                "id must be lower-case letters, digits and single hyphens "
                f"(e.g. 'inner-alignment-which-failure'), got {self.id!r}"
            )
        set_(self, "prompt", _text("prompt", self.prompt))
        set_(self, "options", self._checked_options(self.options))
        set_(self, "correct", self._checked_correct(self.correct))
        set_(self, "explanations", self._checked_explanations(self.explanations))
        set_(self, "kind", self._checked_kind(self.kind))

    def _checked_options(self, options: object) -> tuple[str, ...]:
        if isinstance(options, str) or not isinstance(options, Sequence):
            raise ValueError(f"options must be a list of 2 to 26 strings, got {options!r}")
        if not 2 <= len(options) <= len(LETTERS):
            raise ValueError(f"options must be a list of 2 to 26 strings, got {len(options)}")
        texts = tuple(_text(f"options[{i}]", o) for i, o in enumerate(options))
        if len(set(texts)) != len(texts):
            raise ValueError(f"options must be distinct, got {list(texts)}")
        return texts

    def _checked_correct(self, correct: object) -> tuple[int, ...]:
        n = len(self.options)
        ok = isinstance(correct, Sequence) and not isinstance(correct, str)
        if not ok or not correct or not all(_is_index(i) and 0 <= i < n for i in correct):
            raise ValueError(
                f"correct must be a non-empty list of option indices 0-{n - 1}, got {correct!r}"
            )
        if len(set(correct)) != len(correct):
            raise ValueError(f"correct must not repeat an index, got {list(correct)}")
        return tuple(sorted(correct))

    def _checked_explanations(self, explanations: object) -> tuple[str, ...]:
        n = len(self.options)
        ok = isinstance(explanations, Sequence) and not isinstance(explanations, str)
        if not ok or len(explanations) != n:
            raise ValueError(
                f"explanations must give one text per option ({n}), got {explanations!r}"
            )
        return tuple(_text(f"explanations[{i}]", e) for i, e in enumerate(explanations))

    def _checked_kind(self, kind: object) -> str:
        if kind == "":
            return "single" if len(self.correct) == 1 else "multiple"
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "single" and len(self.correct) != 1:
            raise ValueError(
                f"correct must hold exactly one index for a 'single' question, "
                f"got {list(self.correct)}"
            )
        return kind

    # --- answers -------------------------------------------------------------------------------

    @property
    def multiple(self) -> bool:
        """Whether this is a "select all that apply" question."""
        return self.kind == "multiple"

    @property
    def letters(self) -> str:
        """The option letters, e.g. ``"ABCD"``."""
        return LETTERS[: len(self.options)]

    def allowed_answers(self) -> str:
        """What :meth:`parse_answer` accepts, in words."""
        last = len(self.options) - 1
        if self.multiple:
            return (
                f"one or more letters {self.letters[0]}-{self.letters[-1]} separated by "
                f'commas (e.g. "A,C"), or a list of indices 0-{last} (e.g. [0, 2])'
            )
        return f"one letter {self.letters[0]}-{self.letters[-1]} or an index 0-{last}"

    def parse_answer(self, answer: object) -> tuple[int, ...]:
        """The sorted option indices an answer names.

        Args:
            answer: A letter (``"b"`` works too), letters separated by commas or spaces,
                an index, or a list of letters or indices.

        Raises:
            ValueError: If ``answer`` names no option, names an option that does not
                exist, or names several options for a single-choice question.
        """
        tokens = _tokens(answer)
        indices = [self._index(t) for t in tokens] if tokens else [None]
        if None in indices:
            raise ValueError(f"answer must be {self.allowed_answers()}; got {answer!r}")
        chosen = tuple(sorted(set(indices)))
        if not self.multiple and len(chosen) != 1:
            raise ValueError(
                "answer must name exactly one option: this question has one right answer "
                f"({self.allowed_answers()}); got {answer!r}"
            )
        return chosen

    def _index(self, token: object) -> int | None:
        if _is_index(token) and 0 <= token < len(self.options):
            return int(token)
        if isinstance(token, str) and len(token) == 1 and token.upper() in self.letters:
            return self.letters.index(token.upper())
        return None

    def feedback_for(self, answer: object) -> Feedback:
        """Check an answer without recording it.

        Raises:
            ValueError: As :meth:`parse_answer`.
        """
        chosen = self.parse_answer(answer)
        right = chosen == self.correct
        if self.multiple:
            return Feedback(
                self.id, chosen, right, self._multiple_verdict(chosen), self._all(chosen)
            )
        notes = (self._note(chosen[0], "your answer", right),)
        if right:
            others = (i for i in range(len(self.options)) if i != chosen[0])
            notes += tuple(self._note(i, "not this one", True) for i in others)
        verdict = "Correct." if right else "Not quite. Read why, then try another option."
        return Feedback(self.id, chosen, right, verdict, notes)

    def _note(self, index: int, label: str, good: bool) -> OptionNote:
        return OptionNote(index, LETTERS[index], label, self.explanations[index], good)

    def _all(self, chosen: tuple[int, ...]) -> tuple[OptionNote, ...]:
        notes = []
        for i in range(len(self.options)):
            picked, applies = i in chosen, i in self.correct
            label = {
                (True, True): "chosen, and it applies",
                (True, False): "chosen, but it does not apply",
                (False, True): "missed: it applies",
                (False, False): "rightly left out",
            }[(picked, applies)]
            notes.append(self._note(i, label, picked == applies))
        return tuple(notes)

    def _multiple_verdict(self, chosen: tuple[int, ...]) -> str:
        if chosen == self.correct:
            return "Correct: you chose exactly the options that apply."
        hits = len(set(chosen) & set(self.correct))
        wrong = len(set(chosen) - set(self.correct))
        verdict = f"Not quite: you chose {hits} of the {len(self.correct)} options that apply"
        if wrong:
            verdict += f", and {wrong} that {'does' if wrong == 1 else 'do'} not"
        return verdict + "."

    def text(self) -> str:
        """The prompt and lettered options as plain text (no answer, no explanations)."""
        prompt = self.prompt + (" (Select all that apply.)" if self.multiple else "")
        return "\n".join([prompt, *(f"  {LETTERS[i]}. {o}" for i, o in enumerate(self.options))])


def _tokens(answer: object) -> list[object]:
    """Split an answer into single picks (letters or indices); empty if it is malformed."""
    if _is_index(answer):
        return [answer]
    if isinstance(answer, str):
        parts = [p for p in _SEPARATORS.split(answer.strip()) if p]
        if len(parts) == 1 and parts[0].isalpha():
            return list(parts[0])  # "AC" -> ["A", "C"]
        return parts
    if isinstance(answer, (list, tuple)):
        return list(answer)
    return []


# --- banks ---------------------------------------------------------------------------------------


def parse_bank(data: object, source: str = "bank") -> tuple[str, tuple[Question, ...]]:
    """Validate a decoded bank and build its questions.

    Args:
        data: The decoded JSON (a dict with ``questions`` and optionally ``title``).
        source: How to name the bank in error messages (e.g. its file name).

    Returns:
        The bank's title (empty if it has none) and its questions, in order.

    Raises:
        ValueError: Naming ``source``, the question (id and position) and the field.
    """
    if not isinstance(data, dict) or "questions" not in data:
        raise ValueError(f"{source}: a bank must be a JSON object with a 'questions' list")
    extra = sorted(set(data) - set(_BANK_FIELDS))
    if extra:
        raise ValueError(f"{source}: unknown top-level field(s) {extra}; allowed: {_BANK_FIELDS}")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise ValueError(f"{source}: title must be a string, got {title!r}")
    items = data["questions"]
    if not isinstance(items, list) or not items:
        raise ValueError(f"{source}: questions must be a non-empty list, got {items!r}")
    questions = tuple(_parse_question(item, n, source) for n, item in enumerate(items, 1))
    seen: dict[str, int] = {}
    for n, q in enumerate(questions, 1):
        if q.id in seen:
            raise ValueError(
                f"{source}: question {n} repeats the id {q.id!r} of question {seen[q.id]}"
            )
        seen[q.id] = n
    return title.strip(), questions


def _parse_question(item: object, number: int, source: str) -> Question:
    where = f"{source}, question {number}"
    if not isinstance(item, dict):
        raise ValueError(f"{where}: must be a JSON object, got {item!r}")
    where += f" (id {item.get('id')!r})"
    missing = [f for f in _REQUIRED if f not in item]
    if missing:
        raise ValueError(f"{where}: missing field(s) {missing}")
    extra = sorted(set(item) - set(_FIELDS))
    if extra:
        raise ValueError(f"{where}: unknown field(s) {extra}; allowed: {_FIELDS}")
    try:
        return Question(**item)
    except ValueError as err:
        raise ValueError(f"{where}: field {err}") from None


def read_bank(path: str | Path) -> tuple[str, tuple[Question, ...]]:
    """Read and validate a bank file anywhere on disk (for writing new banks).

    Raises:
        ValueError: If the file is not valid JSON or not a valid bank.
    """
    path = Path(path)
    return _decode(path.read_text(encoding="utf-8"), path.name)


def _decode(text: str, source: str) -> tuple[str, tuple[Question, ...]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: not valid JSON ({err})") from None
    return parse_bank(data, source)


def bank_names() -> tuple[str, ...]:
    """The names of the banks shipped with the package, sorted."""
    folder = resources.files("mesatoys.course") / BANK_DIR
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


@cache
def _shipped(name: str) -> tuple[str, tuple[Question, ...]]:
    names = bank_names()
    if name not in names:
        raise ValueError(f"name must be one of the shipped banks {names}, got {name!r}")
    file = resources.files("mesatoys.course") / BANK_DIR / f"{name}.json"
    return _decode(file.read_text(encoding="utf-8"), f"{BANK_DIR}/{name}.json")


def load_bank(name: str) -> list[Question]:
    """The questions of a shipped bank, validated, in order.

    Args:
        name: The bank's name: a notebook's file name without ``.ipynb``.

    Raises:
        ValueError: If there is no such bank, or the bank is malformed.
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be a bank name (a string), got {name!r}")
    return list(_shipped(name)[1])


def bank_title(name: str) -> str:
    """The title of a shipped bank (empty if it has none)."""
    load_bank(name)
    return _shipped(name)[0]


def question_by_id(question_id: str) -> Question:
    """Find a question in any shipped bank by its ``id``.

    Raises:
        ValueError: If no shipped question has that id.
    """
    for name in bank_names():
        for q in load_bank(name):
            if q.id == question_id:
                return q
    raise ValueError(f"question_id must be the id of a shipped question, got {question_id!r}")


__all__ = [
    "KINDS",
    "LETTERS",
    "Feedback",
    "OptionNote",
    "Question",
    "bank_names",
    "bank_title",
    "load_bank",
    "parse_bank",
    "question_by_id",
    "read_bank",
]
