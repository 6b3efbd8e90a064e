"""What an exercise is, how a learner's function is checked, and how results are shown.

An :class:`Exercise` holds a reference solution, the inputs to try (:class:`Case`), the
plausible mistakes its checker must reject, and hints. :meth:`Exercise.check` calls the
learner's function on every case, on copies of the inputs, and compares each result
with the reference's (:func:`compare_values`, or the exercise's own comparison); the
first mismatch becomes a :class:`CheckResult` whose message names the input, what was
expected, what came back, and a hint. Nothing the learner's function does can change
the reference's inputs or its answer: both are computed afresh from the case.
"""

from __future__ import annotations

import ast
import copy
import html
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: ``compare(expected, got)``: what is wrong with ``got``, in a sentence fragment, or None.
Compare = Callable[[Any, Any], "str | None"]

NOT_WRITTEN = "is not written yet: replace the `raise NotImplementedError(...)` line with your code"
PASS_COLOUR, FAIL_COLOUR = "#009E73", "#D55E00"  # Okabe-Ito bluish green, vermillion


class Note(str):
    """Text for the learner: shown as Markdown in a notebook, as itself elsewhere."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Case:
    """One input to try.

    Attributes:
        label: The input in the learner's words, e.g. "a corridor of 3 cells, gamma 0.9".
        args: Positional arguments.
        kwargs: Keyword arguments.
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one learner's function.

    Attributes:
        exercise_id: Which exercise.
        passed: Whether every case matched the reference.
        message: One paragraph for the learner: what passed, or the first failure.
        cases_run: Cases tried (all of them when it passed).
        not_written: Whether the function is still the stub.
    """

    exercise_id: str
    passed: bool
    message: str
    cases_run: int
    not_written: bool = False

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = PASS_COLOUR if self.passed else FAIL_COLOUR
        word = "Passed" if self.passed else "Not yet"
        return (
            f"<div role='status' style='border-left:4px solid {colour};padding:4px 10px'>"
            f"<b style='color:{colour}'>{word}</b>: {html.escape(self.message)}</div>"
        )


def _shown(value: object, limit: int = 160) -> str:
    """A short, readable rendering of a value for a message."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=20, edgeitems=3, max_line_width=80)
        text = f"array of shape {value.shape}: {text}"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_array(value: object) -> np.ndarray | None:
    """``value`` as a float array, or None if it is not numbers (text never counts)."""
    try:
        if np.asarray(value).dtype.kind in "USOV":
            return None
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def compare_arrays(
    expected: object, got: object, rtol: float = 1e-6, atol: float = 1e-9
) -> str | None:
    """Compare numbers or arrays of numbers, shape first, then values within a tolerance.

    Returns:
        What is wrong, or None.
    """
    want = np.asarray(expected, dtype=float)
    have = _as_array(got)
    if have is None:
        return f"expected numbers, got {_shown(got)}"
    if have.shape != want.shape:
        what = "a single number" if want.shape == () else f"an array of shape {want.shape}"
        return f"expected {what}, got shape {have.shape}: {_shown(got)}"
    close = np.isclose(have, want, rtol=rtol, atol=atol) | (np.isnan(have) & np.isnan(want))
    if close.all():
        return None
    if want.shape == ():
        return f"expected {_shown(float(want))}, got {_shown(float(have))}"
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    return (
        f"at index {where[0] if len(where) == 1 else where} expected {want[where]:.6g}, "
        f"got {have[where]:.6g} ({int((~close).sum())} of {close.size} entries differ)"
    )


def compare_values(expected: object, got: object) -> str | None:
    """The default comparison: numbers and arrays by :func:`compare_arrays`, the rest exactly.

    Tuples and lists are compared item by item (a tuple and a list of the same items are
    the same); dicts key by key; anything else with ``==``.

    Returns:
        What is wrong, or None.
    """
    if expected is None or isinstance(expected, (str, bool, np.bool_)):
        if isinstance(expected, (bool, np.bool_)) and isinstance(got, (bool, np.bool_)):
            return None if bool(got) == bool(expected) else f"expected {expected}, got {got}"
        return None if got == expected else f"expected {_shown(expected)}, got {_shown(got)}"
    if isinstance(expected, (tuple, list)):
        return _compare_sequences(expected, got)
    if isinstance(expected, dict):
        return _compare_dicts(expected, got)
    if isinstance(expected, (int, float, np.integer, np.floating, np.ndarray)):
        return compare_arrays(expected, got)
    return None if got == expected else f"expected {_shown(expected)}, got {_shown(got)}"


def _compare_sequences(expected: Sequence, got: object) -> str | None:
    if not isinstance(got, (tuple, list)):
        return f"expected a {type(expected).__name__} of {len(expected)} items, got {_shown(got)}"
    if len(got) != len(expected):
        return f"expected {len(expected)} items, got {len(got)}: {_shown(got)}"
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        problem = compare_values(want, have)
        if problem is not None:
            return f"item {i}: {problem}"
    return None


def _compare_dicts(expected: dict, got: object) -> str | None:
    if not isinstance(got, dict):
        return f"expected a dict with keys {sorted(expected)}, got {_shown(got)}"
    if set(got) != set(expected):
        return f"expected the keys {sorted(expected)}, got {sorted(got, key=str)}"
    for key in expected:
        problem = compare_values(expected[key], got[key])
        if problem is not None:
            return f"for {key!r}: {problem}"
    return None


def _changed_input(before: tuple, after: tuple) -> int | None:
    """The index of the first positional argument the call changed, or None."""
    for i, (was, now) in enumerate(zip(before, after, strict=True)):
        if isinstance(was, np.ndarray) and isinstance(now, np.ndarray):
            if was.shape != now.shape or not np.array_equal(was, now, equal_nan=True):
                return i
    return None


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong implementation, and what it gets wrong in the learner's words.

    Attributes:
        function: The wrong implementation; the checker must reject it.
        why: What it does wrong, as a clause after "this is what you get if you",
            e.g. "use only the + copy of each pair".
    """

    function: Callable[..., Any]
    why: str


_HINTS_SHOWN: dict[str, int] = {}


@dataclass(frozen=True, eq=False)
class Exercise:
    """One exercise.

    Attributes:
        id: Its name, as in ``exercises.<id>``; also the name of the function to write.
        notebook: The notebook it belongs to (file name without ``.ipynb``).
        title: A short title.
        reference: The model solution.
        cases: Builds the inputs to try (the same ones on every call).
        mistakes: Plausible mistakes, each of which :meth:`check` must reject; when a
            learner's answer matches one, the message says what it got wrong.
        hints: Hints, from a nudge to nearly the answer.
        compare: ``compare(expected, got)``: what is wrong, or None.
        passes: What a pass means, after the function's name (``{n}``: the inputs tried).
    """

    id: str
    notebook: str
    title: str
    reference: Callable[..., Any]
    cases: Callable[[], Sequence[Case]]
    mistakes: tuple[Mistake, ...]
    hints: tuple[str, ...]
    compare: Compare = compare_values
    passes: str = "matches the reference on all {n} inputs"

    @property
    def wrong_examples(self) -> tuple[Callable[..., Any], ...]:
        """The plausible wrong implementations, each rejected by :meth:`check`."""
        return tuple(m.function for m in self.mistakes)

    def check(self, candidate: object, record: bool = True) -> CheckResult:
        """Try a function on every case against the reference; explain the first mismatch.

        Args:
            candidate: The learner's function.
            record: Save a pass in the learner's progress.

        Returns:
            The verdict.
        """
        if not callable(candidate):
            return self._fail(
                f"check needs your function itself, e.g. `check({self.id})`, "
                f"got {_shown(candidate)}.",
                0,
            )
        cases = self.cases()
        for number, case in enumerate(cases, start=1):
            problem, got = self._try(candidate, case)
            if problem is not None:
                not_written = problem == NOT_WRITTEN
                text = (
                    f"`{self.id}` {problem}." if not_written else self._explain(case, problem, got)
                )
                return self._fail(text, number, not_written=not_written)
        result = CheckResult(
            self.id, True, f"`{self.id}` {self.passes.format(n=len(cases))}.", len(cases)
        )
        if record:
            _record_pass(self.notebook, self.id)
        return result

    def _call(self, function: Callable, case: Case) -> Any:
        return function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))

    def _try(self, candidate: Callable, case: Case) -> tuple[str | None, Any]:
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        expected = self._call(self.reference, case)
        try:
            got = candidate(*args, **kwargs)
        except NotImplementedError:
            return NOT_WRITTEN, None
        except Exception as error:  # noqa: BLE001 (any error is the learner's to see)
            return f"raised {type(error).__name__}: {error}", None
        changed = _changed_input(case.args, args)
        if changed is not None:
            return (
                f"changed its input (argument {changed + 1}) instead of returning a new "
                "array; work on a copy, e.g. `x = x.copy()`"
            ), got
        return self.compare(expected, got), got

    def _explain(self, case: Case, problem: str, got: Any) -> str:
        text = f"On {case.label}, `{self.id}` {_as_clause(problem)}."
        if problem.startswith(("raised", "changed")):
            return f"{text} For a hint, run `exercises.{self.id}.hint()`."
        mistake = self._matching_mistake(case, got)
        if mistake is not None:
            return f"{text} That is what you get if you {mistake.why}."
        return f"{text} For a hint, run `exercises.{self.id}.hint()`."

    def _matching_mistake(self, case: Case, got: Any) -> Mistake | None:
        """The known mistake that gives the same answer on this case, if any."""
        if got is None:
            return None
        for mistake in self.mistakes:
            try:
                theirs = self._call(mistake.function, case)
            except Exception:  # noqa: BLE001 (a mistake may fail on some inputs)
                continue
            if self.compare(theirs, got) is None:
                return mistake
        return None

    def _fail(self, message: str, cases_run: int, not_written: bool = False) -> CheckResult:
        return CheckResult(self.id, False, message, cases_run, not_written)

    def hint(self, number: int | None = None) -> Note:
        """The next hint (or hint ``number``, counting from 1), one per call.

        Raises:
            ValueError: If ``number`` is not between 1 and the number of hints.
        """
        total = len(self.hints)
        if number is None:
            number = min(_HINTS_SHOWN.get(self.id, 0) + 1, total)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= total:
            raise ValueError(f"number must be an integer from 1 to {total}, got {number!r}")
        _HINTS_SHOWN[self.id] = max(_HINTS_SHOWN.get(self.id, 0), number)
        more = " (`hint()` again for the next one)" if number < total else " (the last one)"
        return Note(f"Hint {number} of {total}{more}: {self.hints[number - 1]}")

    def source(self) -> str:
        """The reference solution's source code."""
        return textwrap.dedent(inspect.getsource(self.reference)).rstrip() + "\n"

    def stub(self) -> str:
        """The cell a learner starts from: the reference's signature and docstring, no body."""
        tree = ast.parse(self.source())
        function = tree.body[0]
        lines = self.source().splitlines()
        docstring_end = function.body[0].end_lineno if ast.get_docstring(function) else None
        head = lines[: docstring_end or function.body[0].lineno - 1]
        body = [
            "    # Your code here: replace the line below.",
            f'    raise NotImplementedError("write {self.id}, then run the check below")',
        ]
        return "\n".join([*head, *body]) + "\n"

    def solution(self) -> Note:
        """The reference solution's source, to read once you have tried."""
        return Note(f"```python\n{self.source()}```")

    def use(self, candidate: object) -> Callable[..., Any]:
        """The function the toy below should run: yours, or the reference while yours is a stub.

        Prints which one it is. A function that does not pass yet is used anyway, so that
        you can see what it changes.
        """
        result = self.check(candidate)
        if result.passed:
            print(f"Using your `{self.id}`: it passes the check.")
            return candidate  # type: ignore[return-value]
        if result.not_written or not callable(candidate):
            print(f"`{self.id}` is not written yet, so the cells below use the reference solution.")
            return self.reference
        print(f"Your `{self.id}` does not pass the check yet; the cells below use it anyway.")
        return candidate


def _as_clause(problem: str) -> str:
    """``problem`` as what the function did: "expected 1, got 2" -> "returned ...: expected"."""
    if problem.startswith(("raised", "changed")):
        return problem
    return f"gave a different answer: {problem}"


def _record_pass(notebook: str, exercise_id: str) -> None:
    from mesatoys.course import progress

    progress.record_exercise(notebook, exercise_id)
