"""Practice questions with instant feedback, and a practice quiz with a running score.

The questions come from the JSON banks described in :mod:`mesatoys.course.bank`; each
notebook loads its own with :func:`questions`. They are ungraded.

A :class:`PracticeQuestion` shows the prompt, the lettered options (radio buttons for a
single-choice question, tick boxes for "select all that apply"), a **Check** button and
the feedback. Every control is a standard focusable one: Tab moves between them, the
arrow keys choose a radio button, Space ticks a box, and Enter or Space presses
**Check**. Without widgets, :meth:`PracticeQuestion.check` takes the answer as letters
(``"B"``, ``"A,C"``) or indices and returns the same feedback as text, and displaying a
question where widgets do not render (a static HTML export, a console) shows it as plain
text. Indices may be Python or numpy integers. Every check is kept in
:attr:`PracticeQuestion.attempts`, and an optional ``on_result`` callback hears of it,
with the question's id, whether the answer was right and the chosen option indices. A
callback that fails cannot hide the feedback: the learner still gets it, and the failure
is reported with a :class:`HookWarning` (and, in the widget, a line under the feedback).

A :class:`PracticeQuiz` shows several questions with a running score: how many were
answered correctly at the first try.

Answers are saved to the learner's progress (:mod:`mesatoys.course.progress`):
:func:`questions` and :meth:`PracticeQuiz.from_bank` add a progress recorder to the
``on_result`` hooks unless called with ``record=False``. The progress module loads only
then.

Example:
    >>> qs = questions("01_the_two_layer_problem")
    >>> feedback = qs[0].check("A")
    >>> feedback.right in (True, False), qs[0].attempts
    (True, [(0,)])
"""

from __future__ import annotations

import html
import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mesatoys.course.bank import LETTERS, Feedback, Question, bank_title, load_bank
from mesatoys.display import ShowsWidget

#: Called after every checked answer with (question id, answer was right, chosen indices).
ResultHook = Callable[[str, bool, tuple[int, ...]], None]

NO_CHOICE = "Choose an answer first."
NO_TICK = "Tick at least one option first."
COLOURS = {True: "#009E73", False: "#D55E00", None: "#555555"}  # Okabe-Ito green, vermillion
# Long option texts wrap instead of being cut off (ipywidgets gives labels one fixed line).
_STYLE = (
    "<style>"
    ".mesatoys-practice .widget-radio-box label,"
    ".mesatoys-practice .jupyter-widget-radio-box label"
    "{height:auto;line-height:1.35;white-space:normal;margin-bottom:0.35em;"
    "display:flex;align-items:flex-start}"  # the circle stays beside its wrapped answer
    ".mesatoys-practice .widget-radio-box input,.mesatoys-practice .jupyter-widget-radio-box input"
    "{flex:none;order:-1;margin:0.2em 0.5em 0 0}"
    ".mesatoys-practice .widget-checkbox,.mesatoys-practice .jupyter-widget-checkbox"
    "{height:auto;width:auto}"
    ".mesatoys-practice .widget-checkbox label,.mesatoys-practice .jupyter-widget-checkbox label"
    "{height:auto;line-height:1.35;white-space:normal;overflow:visible}"
    "</style>"
)


class HookWarning(UserWarning):
    """An ``on_result`` callback failed; the answer was still checked and its feedback given."""


def _plain_index(value: object) -> object:
    """A numpy (or other) integer as a Python int; anything else unchanged (bools too)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _plain_answer(answer: object) -> object:
    """An answer with numpy integers and arrays turned into Python ints and lists."""
    if not isinstance(answer, (str, list, tuple)) and callable(getattr(answer, "tolist", None)):
        answer = answer.tolist()  # a numpy array or scalar
    if isinstance(answer, (list, tuple)):
        return [_plain_index(a) for a in answer]
    return _plain_index(answer)


def _status_box(inner_html: str, right: bool | None) -> str:
    """A feedback box announced to screen readers; colour only repeats what the words say."""
    return (
        f'<div role="status" aria-live="polite" style="border-left:4px solid {COLOURS[right]};'
        f'padding:0.3em 0.6em;margin-top:0.3em">{inner_html}</div>'
    )


def feedback_html(text: str, right: bool | None) -> str:
    """One line of feedback as HTML: words first, the colour (green/red/grey) only repeats them."""
    return _status_box(html.escape(text), right)


def _feedback_box(feedback: Feedback) -> str:
    items = "".join(
        f"<li><b>{n.letter}</b> ({html.escape(n.label)}): {html.escape(n.explanation)}</li>"
        for n in feedback.notes
    )
    body = f"<b>{html.escape(feedback.verdict)}</b><ul style='margin:0.3em 0'>{items}</ul>"
    return _status_box(body, feedback.right)


def _check_hook(on_result: object) -> ResultHook | None:
    if on_result is not None and not callable(on_result):
        raise TypeError(
            f"on_result must be None or a callable (question_id, right, chosen), got {on_result!r}"
        )
    return on_result


class PracticeQuestion(ShowsWidget):
    """A practice question (single choice or "select all that apply") with feedback.

    Args:
        question: The question, usually from :func:`mesatoys.course.bank.load_bank`.
        on_result: Optional callback, called after every checked answer with the
            question's id, whether the answer was right, and the chosen indices.

    Attributes:
        question: The underlying :class:`~mesatoys.course.bank.Question`.
        on_result: The callback (may be replaced at any time).
        attempts: The chosen option indices of every checked answer, in order.

    Raises:
        TypeError: If ``question`` is not a Question or ``on_result`` is not callable.
    """

    def __init__(self, question: Question, on_result: ResultHook | None = None):
        if not isinstance(question, Question):
            raise TypeError(f"question must be a mesatoys.course.bank.Question, got {question!r}")
        self.question = question
        self.on_result = _check_hook(on_result)
        self.attempts: list[tuple[int, ...]] = []

    @property
    def id(self) -> str:
        """The question's stable id."""
        return self.question.id

    @property
    def multiple(self) -> bool:
        """Whether this is a "select all that apply" question."""
        return self.question.multiple

    @property
    def answered(self) -> bool:
        """Whether any answer has been checked."""
        return bool(self.attempts)

    @property
    def right_first_time(self) -> bool:
        """Whether the first checked answer was right (False before any answer)."""
        return bool(self.attempts) and self.attempts[0] == self.question.correct

    @property
    def solved(self) -> bool:
        """Whether any checked answer was right."""
        return self.question.correct in self.attempts

    def check(self, answer: object) -> Feedback:
        """Check an answer, record it, and return the feedback.

        Args:
            answer: ``"B"``; for "select all that apply", ``"A,C"``; or an index or a
                list of indices (Python or numpy integers).

        Returns:
            The feedback; it prints (and displays in a notebook) as text.

        Raises:
            ValueError: If ``answer`` names no option of this question, or several
                options for a single-choice question. Nothing is recorded then.

        Warns:
            HookWarning: If ``on_result`` fails; the feedback is returned all the same.
        """
        feedback, problem = self._check(answer)
        if problem is not None:
            warnings.warn(problem, HookWarning, stacklevel=2)
        return feedback

    def _check(self, answer: object) -> tuple[Feedback, str | None]:
        """Check and record an answer; returns its feedback and what went wrong in the hook."""
        feedback = self.question.feedback_for(_plain_answer(answer))
        self.attempts.append(feedback.chosen)
        return feedback, self._tell_hook(feedback)

    def _tell_hook(self, feedback: Feedback) -> str | None:
        """Call ``on_result``; a failure is returned as a message, never raised."""
        if self.on_result is None:
            return None
        try:
            self.on_result(self.id, feedback.right, feedback.chosen)
        except Exception as err:  # a hook must not hide the feedback
            return (
                f"Your answer was checked and its feedback given, but an on_result callback "
                f"failed ({type(err).__name__}: {err})."
            )
        return None

    def text(self) -> str:
        """The question and its lettered options as plain text, with how to answer."""
        example = '"A,C"' if self.multiple else '"B"'
        how = f"(To answer without widgets, call .check({example}) on this question.)"
        return f"{self.question.text()}\n\n{how}"

    def _plain_text(self) -> str:
        return self.text()

    # --- widget ------------------------------------------------------------------------------

    @property
    def controls(self) -> list:
        """The widget's focusable controls, in tab order: the options, then Check."""
        self.widget  # noqa: B018 - builds the controls
        return [*self._choices, self._button]

    def _build_widget(self):
        import ipywidgets as w

        q = self.question
        labels = [f"{LETTERS[i]}. {o}" for i, o in enumerate(q.options)]
        if self.multiple:
            self._choices = [
                w.Checkbox(
                    value=False, description=label, indent=False, layout=w.Layout(width="auto")
                )
                for label in labels
            ]
            choices = w.VBox(self._choices)
        else:
            self._radio = w.RadioButtons(
                options=[(label, i) for i, label in enumerate(labels)],
                value=None,
                layout=w.Layout(width="auto"),
            )
            self._choices, choices = [self._radio], self._radio
        for control in self._choices:
            control.observe(self._clear_feedback, names="value")
        self._button = w.Button(
            description="Check", button_style="primary", icon="check", tooltip="Check your answer"
        )
        self._button.on_click(self._on_check)
        self._feedback = w.HTML("")
        hint = " <i>(Select all that apply.)</i>" if self.multiple else ""
        prompt = w.HTML(f"<b>{html.escape(q.prompt)}</b>{hint}")
        box = w.VBox([w.HTML(_STYLE), prompt, choices, self._button, self._feedback])
        box.add_class("mesatoys-practice")
        return box

    def selection(self) -> tuple[int, ...]:
        """The option indices currently selected in the widget (empty if none)."""
        self.widget  # noqa: B018 - builds the controls
        if self.multiple:
            return tuple(i for i, box in enumerate(self._choices) if box.value)
        return () if self._radio.value is None else (self._radio.value,)

    @property
    def feedback_shown(self) -> str:
        """The feedback the widget shows now, as HTML (empty before a check)."""
        self.widget  # noqa: B018 - builds the feedback box
        return self._feedback.value

    def show_feedback(self, answer: object) -> Feedback | None:
        """Check ``answer`` and show the result in the widget.

        An answer that names no option gets a message in the widget, never an
        exception.

        Returns:
            The feedback, or None if the answer was not valid (nothing is recorded).
        """
        self.widget  # noqa: B018 - builds the feedback box
        try:
            feedback, problem = self._check(answer)
        except ValueError as err:
            self._feedback.value = feedback_html(str(err)[0].upper() + str(err)[1:], None)
            return None
        note = "" if problem is None else feedback_html(problem, None)
        self._feedback.value = _feedback_box(feedback) + note
        return feedback

    def _on_check(self, _button: Any = None) -> None:
        chosen = self.selection()
        if not chosen:
            self._feedback.value = feedback_html(NO_TICK if self.multiple else NO_CHOICE, None)
            return
        self.show_feedback(list(chosen))

    def _clear_feedback(self, _change: dict) -> None:
        self._feedback.value = ""  # feedback belongs to the answer that was checked


def _call_all(hooks: Sequence[Callable[..., None] | None], *args: object) -> None:
    """Call every hook in order, even after one fails; then raise the first failure."""
    failures = []
    for hook in hooks:
        if hook is None:
            continue
        try:
            hook(*args)
        except Exception as err:  # raised again below, after the others ran
            failures.append(err)
    if failures:
        raise failures[0]


def _both(first: ResultHook | None, second: ResultHook) -> ResultHook:
    if first is None:
        return second

    def both(question_id: str, right: bool, chosen: tuple[int, ...]) -> None:
        _call_all((first, second), question_id, right, chosen)

    return both


def _progress_recorder(name: str):
    from mesatoys.course import progress  # loaded on first use

    return progress.recorder(name)


def questions(
    name: str, on_result: ResultHook | None = None, *, record: bool = True
) -> list[PracticeQuestion]:
    """Fresh practice questions of one bank (a notebook's self-check), in bank order.

    Args:
        name: The bank: a notebook's file name without ``.ipynb``.
        on_result: Optional callback given to every question (see :class:`PracticeQuestion`).
        record: Whether every checked answer is also saved to the learner's progress
            (:mod:`mesatoys.course.progress`), after ``on_result``.

    Raises:
        ValueError: If there is no such bank or it is malformed.
        TypeError: If ``on_result`` is not callable or ``record`` is not a bool.
    """
    bank = load_bank(name)
    hook = _check_hook(on_result)
    if not isinstance(record, bool):
        raise TypeError(f"record must be True or False, got {record!r}")
    if record:
        hook = _both(hook, _progress_recorder(name))
    return [PracticeQuestion(q, hook) for q in bank]


@dataclass(frozen=True)
class QuizScore:
    """Where a practice quiz stands.

    Attributes:
        first_try: Questions answered correctly at the first try (the score).
        answered: Questions with at least one checked answer.
        total: Questions in the quiz.
    """

    first_try: int
    answered: int
    total: int

    def __str__(self) -> str:
        return (
            f"{self.first_try} / {self.total} answered correctly at the first try "
            f"({self.answered} of {self.total} answered so far)."
        )


class PracticeQuiz(ShowsWidget):
    """Several practice questions shown together, with a running score.

    The score counts the questions whose first checked answer was right; retrying is
    encouraged but does not change it. It is practice only: nothing is graded. A quiz made
    by :meth:`from_bank` saves its answers and score to the learner's progress.

    Args:
        questions: The questions, in order.
        title: A heading for the widget and the text view.
        on_result: Optional callback, called after every checked answer as for
            :class:`PracticeQuestion` (a question's own callback is kept and runs first).

    Raises:
        ValueError: If ``questions`` is empty or holds something other than questions.
    """

    def __init__(
        self,
        questions: Sequence[PracticeQuestion],
        title: str = "Practice quiz",
        on_result: ResultHook | None = None,
    ):
        items = list(questions) if isinstance(questions, Sequence) else []
        if not items or not all(isinstance(q, PracticeQuestion) for q in items):
            raise ValueError(
                f"questions must be a non-empty list of PracticeQuestion, got {questions!r}"
            )
        self.questions = items
        self.title = title
        self.on_result = _check_hook(on_result)
        self.saved = False
        for q in self.questions:
            q.on_result = self._recorder(q.on_result)

    @classmethod
    def from_bank(
        cls, name: str, on_result: ResultHook | None = None, *, record: bool = True
    ) -> PracticeQuiz:
        """A quiz of every question in a shipped bank, titled with the bank's title.

        Args:
            name: The bank: a notebook's file name without ``.ipynb``.
            on_result: Optional callback, as for the class.
            record: Whether answers and the running score are saved to the learner's
                progress (:mod:`mesatoys.course.progress`).
        """
        items = questions(name, record=False)
        if not isinstance(record, bool):
            raise TypeError(f"record must be True or False, got {record!r}")
        saver = _progress_recorder(name) if record else None
        for q in items:
            q.on_result = saver
        quiz = cls(items, bank_title(name) or "Practice quiz", on_result)
        if saver is not None:
            saver.quiz = quiz  # each answer is saved with the quiz's running score
            quiz.saved = True
        return quiz

    def _recorder(self, previous: ResultHook | None) -> ResultHook:
        def record(question_id: str, right: bool, chosen: tuple[int, ...]) -> None:
            hooks = (previous, lambda *_: self._refresh(), self.on_result)
            _call_all(hooks, question_id, right, chosen)

        return record

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, index: int) -> PracticeQuestion:
        return self.questions[index]

    def __iter__(self) -> Iterator[PracticeQuestion]:
        return iter(self.questions)

    def score(self) -> QuizScore:
        """The running score."""
        return QuizScore(
            first_try=sum(q.right_first_time for q in self.questions),
            answered=sum(q.answered for q in self.questions),
            total=len(self.questions),
        )

    def summary(self) -> str:
        """The score in one line, saying that it is practice only, and whether it is saved."""
        saved = "saved to your progress" if self.saved else "not saved"
        return f"Score: {self.score()} Practice only: not graded, {saved}."

    def text(self) -> str:
        """Every question as plain text, then how to answer and the score."""
        lines = [self.title, ""]
        for number, q in enumerate(self.questions, 1):
            lines += [f"Question {number} of {len(self)}", q.question.text(), ""]
        lines += [
            'To answer without widgets, call quiz[0].check("B") for question 1, '
            'quiz[1].check("A,C") for a select-all question, and so on;',
            "then print(quiz.summary()).",
            "",
            self.summary(),
        ]
        return "\n".join(lines)

    def _plain_text(self) -> str:
        return self.text()

    def _build_widget(self):
        import ipywidgets as w

        self._score = w.HTML(self._score_html())
        rows = [w.HTML(f"<h3>{html.escape(self.title)}</h3>")]
        for number, q in enumerate(self.questions, 1):
            header = w.HTML(f"<b>Question {number} of {len(self)}</b>")
            rows.append(w.VBox([header, q.widget], layout=w.Layout(margin="0 0 14px 0")))
        return w.VBox([*rows, self._score])

    def _score_html(self) -> str:
        return _status_box(f"<b>{html.escape(self.summary())}</b>", None)

    def _refresh(self) -> None:
        if self._built_widget() is not None:
            self._score.value = self._score_html()


__all__ = [
    "NO_CHOICE",
    "NO_TICK",
    "HookWarning",
    "PracticeQuestion",
    "PracticeQuiz",
    "QuizScore",
    "ResultHook",
    "feedback_html",
    "questions",
]
