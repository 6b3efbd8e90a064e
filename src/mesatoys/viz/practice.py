"""Single-choice practice questions with instant feedback (ungraded).

A :class:`PracticeQuestion` shows a prompt, lettered options, a Check button and
feedback that explains the chosen option, right or wrong. It works without widgets
too: :meth:`PracticeQuestion.check` takes a letter or an index and returns the
feedback, and :meth:`PracticeQuestion.text_fallback` prints the question. Displaying
the question object itself shows the widget, with the plain-text question as the
fallback for front ends that do not render widgets.

Example:
    >>> q = PracticeQuestion("2 + 2?", ["3", "4"], correct=1, explanations=["No.", "Yes."])
    >>> q.check("B")
    'Correct. Yes.'
"""

from __future__ import annotations

import html
import string
from collections.abc import Sequence
from typing import Any

from mesatoys.viz.display import ShowsWidget

LETTERS = string.ascii_uppercase
NO_CHOICE = "Choose an answer first."


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


class PracticeQuestion(ShowsWidget):
    """A single-choice question whose feedback explains every option.

    Args:
        prompt: The question.
        options: Two to 26 distinct answer texts, shown lettered A, B, C...
        correct: Index of the correct option.
        explanations: One explanation per option, shown when that option is checked.

    Attributes:
        attempts: The option indices checked so far, in order.

    Raises:
        ValueError: On an empty text, repeated options, a ``correct`` index out of
            range, or a number of explanations different from the number of options.
    """

    def __init__(
        self, prompt: str, options: Sequence[str], correct: int, explanations: Sequence[str]
    ):
        self.prompt = _check_text("prompt", prompt)
        if isinstance(options, str) or not 2 <= len(options) <= len(LETTERS):
            raise ValueError(
                f"options must be a list of 2 to {len(LETTERS)} strings, got {options!r}"
            )
        self.options = tuple(_check_text(f"options[{i}]", o) for i, o in enumerate(options))
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"options must be distinct, got {list(self.options)}")
        if isinstance(correct, bool) or not isinstance(correct, int):
            raise ValueError(f"correct must be an integer index, got {correct!r}")
        if not 0 <= correct < len(self.options):
            raise ValueError(f"correct must be in [0, {len(self.options) - 1}], got {correct}")
        self.correct = correct
        if isinstance(explanations, str) or len(explanations) != len(self.options):
            raise ValueError(
                f"explanations must give one text per option ({len(self.options)}), "
                f"got {explanations!r}"
            )
        self.explanations = tuple(
            _check_text(f"explanations[{i}]", e) for i, e in enumerate(explanations)
        )
        self.attempts: list[int] = []
        self._widget = None

    def index_of(self, choice: int | str) -> int:
        """The option index for a letter (``"B"``, case-insensitive) or an index.

        Raises:
            ValueError: If ``choice`` names no option.
        """
        letters = LETTERS[: len(self.options)]
        if isinstance(choice, str) and len(choice.strip()) == 1:
            letter = choice.strip().upper()
            if letter in letters:
                return letters.index(letter)
        elif isinstance(choice, int) and not isinstance(choice, bool):
            if 0 <= choice < len(self.options):
                return choice
        raise ValueError(
            f"choice must be a letter {letters[0]}-{letters[-1]} or an index "
            f"0-{len(self.options) - 1}, got {choice!r}"
        )

    def check(self, choice: int | str) -> str:
        """Feedback for one answer: right or wrong, then that option's explanation."""
        index = self.index_of(choice)
        self.attempts.append(index)
        verdict = "Correct." if index == self.correct else "Not quite."
        return f"{verdict} {self.explanations[index]}"

    def text(self) -> str:
        """The question and its lettered options as plain text."""
        lines = [self.prompt, ""]
        lines += [f"  {LETTERS[i]}. {option}" for i, option in enumerate(self.options)]
        lines += ["", "(To check an answer without widgets, call .check('A'), .check('B'), ...)"]
        return "\n".join(lines)

    # --- widget ------------------------------------------------------------------------------

    @property
    def widget(self):
        """The ipywidgets view: prompt, options, Check button, feedback (built once)."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as w

        self._choices = w.RadioButtons(
            options=[(f"{LETTERS[i]}. {o}", i) for i, o in enumerate(self.options)],
            value=None,
            layout=w.Layout(width="auto"),
        )
        self._button = w.Button(description="Check", button_style="primary", icon="check")
        self._feedback = w.HTML("")
        self._button.on_click(self._on_check)
        self._choices.observe(self._on_choice, names="value")
        prompt = w.HTML(f"<b>{html.escape(self.prompt)}</b>")
        return w.VBox([prompt, self._choices, self._button, self._feedback])

    def _on_choice(self, change: dict) -> None:
        self._feedback.value = ""  # feedback belongs to the answer that was checked

    def _on_check(self, _button: Any = None) -> None:
        if self._choices.value is None:
            self._feedback.value = feedback_html(NO_CHOICE, None)
            return
        right = self._choices.value == self.correct
        self._feedback.value = feedback_html(self.check(self._choices.value), right)

    def _plain_text(self) -> str:
        return self.text()


def feedback_html(text: str, right: bool | None) -> str:
    """Feedback in words first (not colour alone), announced to screen readers."""
    colour = {True: "#009E73", False: "#D55E00", None: "#555555"}[right]
    return (
        f'<div role="status" aria-live="polite" style="border-left:4px solid {colour};'
        f'padding:0.3em 0.6em;margin-top:0.3em">{html.escape(text)}</div>'
    )


# --- the practice questions of notebook 03 -------------------------------------------------------

_INNER_ALIGNMENT = (
    {
        "prompt": (
            "Trained with α = 0, the maze agent reaches the cheese on every training level, "
            "but on test levels it mostly walks to the top-right corner and stops there. "
            "Which description fits best?"
        ),
        "options": (
            "Outer misalignment: the reward paid for reaching the corner.",
            "Inner misalignment (goal misgeneralization): the reward was right, but the learned "
            "mesa-objective only agreed with it on the training levels.",
            "A capability failure: the agent cannot find its way through new mazes.",
            "Deceptive alignment: the agent hid its real goal while it was being trained.",
        ),
        "correct": 1,
        "explanations": (
            "The base objective rewards the cheese and nothing else; the corner never earns "
            "reward by itself. The specification was fine, so this is not outer misalignment.",
            "The base objective was correct, and on training levels the learned objective "
            "recommended exactly the same path. Off the training distribution the two come "
            "apart: the agent is pseudo-aligned, and its proxy goal (the corner) shows.",
            "Its navigation carries over: on test levels it reaches the cell it set out for in "
            "essentially every episode. What fails to carry over is the goal, not the skill.",
            "This agent has no idea that it is being trained, and it behaves the same way in "
            "training and at test; in training the corner and the cheese are simply the same "
            "cell. Pseudo-alignment needs no deception.",
        ),
    },
    {
        "prompt": (
            "You may change one thing about how the α = 0 agent is trained. Which change most "
            "directly helps it learn to go for the cheese?"
        ),
        "options": (
            "Train for more generations on the same levels.",
            "Make a small share of training levels put the cheese away from the corner.",
            "Give the agent a stronger planner.",
            "Also pay a reward for reaching the corner.",
        ),
        "correct": 1,
        "explanations": (
            "On every α = 0 training level, going to the corner and going to the cheese earn "
            "the same reward. More optimization cannot separate two goals that the training "
            "data never separates.",
            "Only levels where the cheese is elsewhere make corner-seeking cost reward, so "
            "only they give the outer optimizer a reason to change the goal. In the sweep, a "
            "few percent of such levels already raised the test success rate, and by α = 0.3 "
            "the agent did about as well as one trained only on such levels.",
            "The planner already reaches its chosen target in every test episode. A stronger "
            "planner would reach the corner just as reliably: more capability, same wrong goal.",
            "That rewards the proxy itself. It is an outer-alignment mistake and would make the "
            "corner an even stronger goal.",
        ),
    },
    {
        "prompt": (
            "With the cheese visible from everywhere (cheese_radius=None), training at α = 0 "
            "gives an agent that finds the cheese on nearly every test level. What does this "
            "contrast show?"
        ),
        "options": (
            "Evolution strategies is biased towards corners.",
            "In this toy, the misgeneralization comes from an asymmetry we built in: the agent "
            "can use the corner from anywhere but the cheese only from nearby.",
            "The always-visible agent's mesa-objective gives the corner no weight.",
            "Goal misgeneralization cannot happen to an agent that sees everything.",
        ),
        "correct": 1,
        "explanations": (
            "Same optimizer, same training levels, same settings: only what the agent can see "
            "changed, and the misgeneralization went away. The optimizer is not the cause.",
            "When the true goal and the proxy are equally easy to use, the outer optimizer "
            "learns both and the cheese term takes over at test. Perception made the corner "
            "the easier goal; that inductive bias produces the effect.",
            "It still values the corner (it sometimes detours there before taking the cheese). "
            "It has also learned to value the cheese, which it can now see from anywhere.",
            "Too strong. We removed one asymmetry in one toy. Other asymmetries, such as a "
            "proxy that is simpler to compute or learned sooner, can favour a proxy in the "
            "same way.",
        ),
    },
    {
        "prompt": (
            "In keys and chests, the agent trained with 3 keys and 10 chests picks up nearly "
            "every key on a test level with 10 keys and 3 chests. Why doesn't adding training "
            "levels with spare keys fix this when its goal can weigh only kinds of object?"
        ),
        "options": (
            "The outer optimizer never sees those levels.",
            "Its goal cannot say 'a key is worth it only when I have none', so no setting "
            "of its two weights both opens chests and ignores spare keys.",
            "Spare keys earn reward, so collecting them is correct.",
            "The maze is too small for the agent to find the chests.",
        ),
        "correct": 1,
        "explanations": (
            "It does see them: they are part of the training pool it scores candidates on.",
            "Right. To open chests it must value keys, and with weights on kinds of object "
            "that means valuing every key. Once the goal can weigh 'key while holding a key' "
            "separately, the spare-key levels teach it to skip spare keys.",
            "Keys pay nothing; only opened chests do, and detours for spare keys delay them.",
            "It opens nearly all three chests on test levels; it just detours for keys first.",
        ),
    },
)


def inner_alignment_questions() -> list[PracticeQuestion]:
    """The practice questions of notebook 03 (inner alignment), freshly built."""
    return [PracticeQuestion(**spec) for spec in _INNER_ALIGNMENT]
