"""Helpers for the course's graded assignments (nbgrader): format checks and hidden checks.

Students call :func:`check_format` to learn whether an answer is *written* in the form a
question asks for (a letter, a set of letters, a number with so many decimals). It never
says whether the answer is right: that is decided only by hidden tests, which live in the
instructor's source notebooks (``assignments/source``) and nowhere in this package.

Hidden tests run in the grader's own process, never in the student's kernel
(:mod:`mesatoys.grading.hidden`, :mod:`mesatoys.grading.execute`). They read the student's
answers as plain data (:mod:`mesatoys.grading.plain`) and judge them with
:func:`expect_choice`, :func:`expect_choices`, :func:`expect_number` or :func:`expect`,
which accept plain data only. A failed check raises :class:`HiddenCheckError`, whose
message names the question and nothing else.

This module imports only the standard library: students' kernels import it.

The workflow follows nbgrader (Project Jupyter et al. 2019, *nbgrader: A Tool for Creating
and Grading Assignments in the Jupyter Notebook*, Journal of Open Source Education).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# --- answer formats -------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One letter out of ``options`` (multiple choice)."""

    options: str

    def problem(self, answer: object) -> str | None:
        """What is wrong with the form of ``answer``, or None."""
        listed = ", ".join(self.options)
        if not isinstance(answer, str):
            return f"expected one letter ({listed}) as a string in quotes, got {_shown(answer)}"
        if answer.strip().upper() not in self.options:
            return f"expected one of the letters {listed}, got {answer!r}"
        return None


@dataclass(frozen=True)
class Choices:
    """A non-empty set of letters out of ``options`` (select all that apply)."""

    options: str

    def problem(self, answer: object) -> str | None:
        """What is wrong with the form of ``answer``, or None."""
        listed = ", ".join(self.options)
        if not isinstance(answer, (set, frozenset)):
            return (
                f"expected a set of letters in curly braces, like {{{self.options[0]!r}}}, "
                f"got {_shown(answer)}"
            )
        if not answer:
            return "expected at least one letter; the set is empty"
        bad = [x for x in answer if not isinstance(x, str) or x.strip().upper() not in self.options]
        if bad:
            return f"every element must be one of the letters {listed}; these are not: {bad!r}"
        return None


@dataclass(frozen=True)
class Number:
    """A real number in ``[low, high]`` given to at most ``decimals`` decimal places."""

    low: float
    high: float
    decimals: int

    def problem(self, answer: object) -> str | None:
        """What is wrong with the form of ``answer``, or None."""
        if isinstance(answer, bool) or not _is_real(answer):
            return f"expected a number (like 0.5), got {_shown(answer)}"
        value = float(answer)
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return f"expected a number between {self.low:g} and {self.high:g}, got {value!r}"
        if abs(round(value, self.decimals) - value) > 1e-9:
            return f"round it to {self.decimals} decimal places, got {value!r}"
        return None


QUIZ_FORMATS: dict[str, dict[int, Choice | Choices | Number]] = {
    "end_of_lesson_quiz": {
        1: Choice("ABCD"),
        2: Choice("ABCD"),
        3: Choice("ABCD"),
        4: Choice("ABCD"),
        5: Choices("ABCDE"),
        6: Choices("ABCDE"),
        7: Choice("ABCD"),
        8: Choices("ABCD"),
        9: Choices("ABCDE"),
        10: Choice("ABCD"),
        11: Choice("ABCD"),
        12: Number(0.0, 1.0, 3),
        13: Number(0.0, 1.0, 3),
        14: Number(0.0, 1.0, 2),
    }
}
"""The answer *format* of each auto-graded question, by assignment (never the answer)."""


class AnswerFormatError(ValueError):
    """An answer is not written in the form its question asks for."""


def format_problem(question: int, answer: object, quiz: str = "end_of_lesson_quiz") -> str | None:
    """Describe what is wrong with the form of an answer, or return None if the form is fine.

    Args:
        question: Question number.
        answer: The student's answer.
        quiz: Assignment name (a key of :data:`QUIZ_FORMATS`).

    Returns:
        A sentence naming the problem, or None.

    Raises:
        ValueError: On an unknown quiz or question number.
    """
    if quiz not in QUIZ_FORMATS:
        raise ValueError(f"quiz must be one of {sorted(QUIZ_FORMATS)}, got {quiz!r}")
    formats = QUIZ_FORMATS[quiz]
    if isinstance(question, bool) or question not in formats:
        raise ValueError(
            f"question must be one of the auto-graded questions {sorted(formats)}, got {question!r}"
        )
    return formats[question].problem(answer)


def check_format(question: int, answer: object, quiz: str = "end_of_lesson_quiz") -> bool:
    """Print whether an answer has the right *form* (never whether it is right).

    Args:
        question: Question number.
        answer: The student's answer.
        quiz: Assignment name.

    Returns:
        True if the form is valid.

    Example:
        >>> check_format(1, "b")
        Question 1: format OK (this does not say whether the answer is right).
        True
    """
    problem = format_problem(question, answer, quiz)
    if problem is None:
        print(f"Question {question}: format OK (this does not say whether the answer is right).")
        return True
    print(f"Question {question}: format problem: {problem}.")
    return False


def assert_format(question: int, answer: object, quiz: str = "end_of_lesson_quiz") -> None:
    """Print "format OK" if an answer has the right form; raise if not (for visible tests).

    Like :func:`check_format`, it never says whether the answer is right.

    Raises:
        AnswerFormatError: If the answer is not written in the form the question asks for.

    Example:
        >>> assert_format(1, "b")
        Question 1: format OK (this does not say whether the answer is right).
    """
    problem = format_problem(question, answer, quiz)
    if problem is not None:
        raise AnswerFormatError(f"Question {question}: {problem}")
    print(f"Question {question}: format OK (this does not say whether the answer is right).")


# --- hidden checks --------------------------------------------------------------------------


class HiddenCheckError(AssertionError):
    """A hidden test did not accept an answer. Names the question, never the answer.

    IPython shows an exception through ``_render_traceback_`` when it has one, so the
    traceback recorded in the notebook is this one line, not the test's source.
    """

    def __init__(self, question: int | str):
        self.question = question
        label = f"Question {question}" if isinstance(question, int) else str(question).capitalize()
        super().__init__(f"{label}: a hidden test did not accept this answer.")

    def _render_traceback_(self) -> list[str]:
        return [f"HiddenCheckError: {self.args[0]}"]


def expect_choice(question: int, answer: object, key: str) -> None:
    """Hidden check of a multiple-choice answer (case and spaces ignored).

    Args:
        question: Question number (named in the error).
        answer: The student's answer as plain data: a ``str``.
        key: The right letter.

    Raises:
        HiddenCheckError: Unless ``answer`` is a ``str`` holding the letter ``key``.
    """
    if not (type(answer) is str and answer.strip().upper() == key):
        raise HiddenCheckError(question)


def expect_choices(question: int, answer: object, key: set[str]) -> None:
    """Hidden check of a select-all-that-apply answer: exactly the letters in ``key``.

    Args:
        question: Question number (named in the error).
        answer: The student's set as plain data: a ``list`` of ``str`` (a set arrives as a
            list), each letter once.
        key: The right letters.

    Raises:
        HiddenCheckError: Unless ``answer`` lists exactly those letters, each once.
    """
    if type(answer) is not list or not all(type(x) is str for x in answer):
        raise HiddenCheckError(question)
    letters = [x.strip().upper() for x in answer]
    if len(set(letters)) != len(letters) or set(letters) != set(key):
        raise HiddenCheckError(question)


def expect_number(question: int, answer: object, key: float, tolerance: float) -> None:
    """Hidden check of a numeric answer: within ``tolerance`` of ``key``.

    Args:
        question: Question number (named in the error).
        answer: The student's answer as plain data: an ``int`` or a ``float``.
        key: The right value.
        tolerance: Largest accepted distance from ``key``.

    Raises:
        HiddenCheckError: Unless ``answer`` is a finite number close enough to ``key``.
    """
    if type(answer) not in (int, float):
        raise HiddenCheckError(question)
    if not (math.isfinite(answer) and abs(answer - key) <= tolerance):
        raise HiddenCheckError(question)


def expect(question: int | str, passed: object) -> None:
    """Hidden check of any condition computed by the test itself.

    Raises:
        HiddenCheckError: Unless ``passed`` is exactly True.
    """
    if passed is not True:
        raise HiddenCheckError(question)


def _is_real(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (str, bytes, complex))


def _shown(value: object) -> str:
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{text} ({type(value).__name__})"


__all__ = [
    "QUIZ_FORMATS",
    "AnswerFormatError",
    "Choice",
    "Choices",
    "HiddenCheckError",
    "Number",
    "assert_format",
    "check_format",
    "expect",
    "expect_choice",
    "expect_choices",
    "expect_number",
    "format_problem",
]
