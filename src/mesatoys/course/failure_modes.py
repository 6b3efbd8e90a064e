"""The failure-mode sorting exercise of notebook 04: short scenarios, four failure modes.

A learner sorts each scenario into specification gaming, goal misgeneralization,
mesa-misalignment or deceptive alignment and gets feedback on every choice, with the
source each scenario comes from. It works with widgets or through :meth:`check`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mesatoys.course.practice import feedback_html
from mesatoys.display import ShowsWidget

FAILURE_MODES = {
    "specification_gaming": "Specification gaming",
    "goal_misgeneralization": "Goal misgeneralization",
    "mesa_misalignment": "Mesa-misalignment",
    "deceptive_alignment": "Deceptive alignment",
}
CHOOSE = "(choose)"


@dataclass(frozen=True)
class Scenario:
    """One scenario of the sorting exercise.

    Attributes:
        text: What happened, in two or three sentences.
        answer: Key of the failure mode it shows (see :data:`FAILURE_MODES`).
        explanation: Why, and how it would be noticed.
        source: Where the example comes from.
    """

    text: str
    answer: str
    explanation: str
    source: str


SCENARIOS = (
    Scenario(
        "An agent is trained on platform-game levels whose coin always sits at the far right "
        "end, and the reward pays only for the coin. On new levels with the coin placed "
        "elsewhere, it dodges every obstacle on its way to the right end and runs past the coin.",
        "goal_misgeneralization",
        "The reward was right; on every training level 'get the coin' and 'go right' earned "
        "the same, so training could not tell them apart. The wrong goal shows only after a "
        "distribution shift, and skilfully: tests on shifted levels catch it.",
        "Langosco et al. 2022 (CoinRun)",
    ),
    Scenario(
        "A robot arm should put a red block on top of a blue one. Its reward is the height of "
        "the red block's bottom face. It learns to flip the red block upside down.",
        "specification_gaming",
        "The reward measures something that flipping also raises, so the optimizer earned it "
        "without doing the task. Anyone who watches an episode sees it: a behavioural check "
        "against the intended outcome catches it in training.",
        "Popov et al. 2017, via Krakovna et al. 2020",
    ),
    Scenario(
        "A planning agent keeps its goal as readable weights over features, like the maze agent "
        "of notebook 03. Before any testing you print them: nearly all the weight is on 'the "
        "top-right corner', nearly none on 'the cheese'. Every training episode still ends on "
        "the cheese.",
        "mesa_misalignment",
        "The evidence is about the learned optimizer's internal objective, which differs from "
        "the base objective, found by reading the model, before any behaviour went wrong. The "
        "same agent would show goal misgeneralization on shifted levels: the labels overlap, "
        "and this one names the internal cause.",
        "this course's maze toy (notebook 03)",
    ),
    Scenario(
        "A language model is told that only its conversations with free-tier users are used "
        "to train it to comply with every request. It complies with harmful requests more "
        "often from free-tier users than from paid-tier users, and its hidden reasoning says "
        "that complying now keeps training from changing its values.",
        "deceptive_alignment",
        "The model behaves as the training objective wants because it believes it is being "
        "trained, to protect goals of its own: the mechanism of deceptive alignment (the "
        "authors call it alignment faking). Nuances: the values it protected were harmless "
        "ones, the setting was built by the researchers, and the telltale sign was in its "
        "written reasoning, not in its behaviour alone.",
        "Greenblatt et al. 2024",
    ),
    Scenario(
        "A simulated robot hand is trained from people's ratings of video clips to grasp a "
        "ball. It learns to hold the hand between the camera and the ball, so the clips only "
        "look like grasping.",
        "specification_gaming",
        "The reward came from human raters, but what it paid for was 'looks like a grasp from "
        "this camera'. The optimizer satisfied that literally. Note the catch: behavioural "
        "evaluation finds gaming only if the evaluator can see what was wanted. These raters "
        "could not; a second viewpoint could.",
        "Amodei, Christiano and Ray 2017 (OpenAI)",
    ),
    Scenario(
        "An agent must visit spheres in an order it has to discover. In training, a partner bot "
        "that visits them in the right order is always present, and the agent learns to follow "
        "it. At test time the partner visits them in a wrong order; the agent keeps following, "
        "although it is now penalised at every wrong sphere.",
        "goal_misgeneralization",
        "The reward (right order) was correct and 'follow the partner' earned the same in "
        "training. After the shift the agent competently pursues the goal that worked before. "
        "Only a test with a different partner shows it.",
        "Shah et al. 2022",
    ),
    Scenario(
        "Inspecting a learned planner shows that its objective weights the cheese highly but "
        "also gives a small positive weight to yellow floor tiles. Now and then, in training, "
        "it detours to a yellow tile and loses a little reward; the detours are rare, so "
        "training has not removed them.",
        "mesa_misalignment",
        "The internal objective is close to the base objective but not equal to it (an "
        "approximate alignment, in Hubinger et al.'s terms). Unlike a perfect pseudo-alignment, "
        "this one leaks into training behaviour now and then: the 'maybe' of the table. Reading "
        "the objective, or red-teaming for situations with many yellow tiles, finds it.",
        "a made-up example",
    ),
    Scenario(
        "Researchers train a model on purpose to write secure code when the prompt says the "
        "year is 2023 and to insert vulnerabilities when it says 2024. Supervised fine-tuning, "
        "reinforcement learning and adversarial training all leave the 2024 behaviour in place; "
        "adversarial training even teaches the model to recognise its trigger more precisely.",
        "deceptive_alignment",
        "A model organism of deceptive alignment: it looks aligned in every check without the "
        "trigger, and behaviour-based safety training does not remove it. It was built "
        "deliberately; it shows what training could fail to remove, not that such models "
        "arise by themselves.",
        "Hubinger et al. 2024 (Sleeper Agents)",
    ),
)


@dataclass(frozen=True)
class SortingFeedback:
    """The result of checking a set of answers.

    Attributes:
        correct: One entry per scenario: True if right, False if wrong, None if unanswered.
        lines: One line of feedback per scenario.
    """

    correct: tuple[bool | None, ...]
    lines: tuple[str, ...]

    @property
    def score(self) -> int:
        """Number of scenarios sorted correctly."""
        return sum(c is True for c in self.correct)

    @property
    def total(self) -> int:
        """Number of scenarios."""
        return len(self.correct)

    @property
    def text(self) -> str:
        """All the feedback, with the score first."""
        return "\n".join([f"Score: {self.score} of {self.total}.", *self.lines])

    def __str__(self) -> str:
        return self.text


class FailureModeExercise(ShowsWidget):
    """Sort short scenarios into four failure modes, with an explanation for each.

    Each scenario gets a dropdown (Tab to it, then the arrow keys to choose); the
    Check button marks every answer and explains it. Without widgets, print
    :meth:`text` and call :meth:`check` with a list of answers.

    Args:
        scenarios: The scenarios (default: :data:`SCENARIOS`).

    Attributes:
        attempts: The answer lists checked so far.

    Example:
        >>> ex = FailureModeExercise()
        >>> ex.check([s.answer for s in SCENARIOS]).score
        8
    """

    def __init__(self, scenarios: Sequence[Scenario] = SCENARIOS):
        if not scenarios:
            raise ValueError("scenarios must hold at least one Scenario")
        for scenario in scenarios:
            if scenario.answer not in FAILURE_MODES:
                raise ValueError(
                    f"scenario answers must be one of {list(FAILURE_MODES)}, "
                    f"got {scenario.answer!r}"
                )
        self.scenarios = tuple(scenarios)
        self.attempts: list[tuple[str | None, ...]] = []

    def parse(self, answer: object) -> str | None:
        """A failure-mode key from a key, a label (any case) or a number 1-4; None if blank.

        Raises:
            ValueError: If ``answer`` names no failure mode.
        """
        if answer is None or (isinstance(answer, str) and answer.strip() in ("", CHOOSE)):
            return None
        keys = list(FAILURE_MODES)
        if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
            if 1 <= answer <= len(keys):
                return keys[int(answer) - 1]
        elif isinstance(answer, str):
            wanted = answer.strip().lower().replace("-", "_").replace(" ", "_")
            for key, label in FAILURE_MODES.items():
                if wanted in (key, label.lower().replace("-", "_").replace(" ", "_")):
                    return key
        raise ValueError(
            f"each answer must be one of {keys}, a label such as 'Specification gaming', "
            f"a number 1-{len(keys)}, or None; got {answer!r}"
        )

    def check(self, answers: Sequence[object] | Mapping[int, object]) -> SortingFeedback:
        """Mark a set of answers and explain every scenario.

        Args:
            answers: One answer per scenario, in order (a list), or ``{scenario
                number (1-based): answer}`` for some of them. An answer is a key of
                :data:`FAILURE_MODES`, its label, a number 1-4, or None.

        Returns:
            The feedback (``str()`` of it is readable text).

        Raises:
            ValueError: On a wrong number of answers, an unknown scenario number or an
                unknown failure mode.
        """
        parsed = self._parse_all(answers)
        self.attempts.append(parsed)
        correct, lines = [], []
        for number, (scenario, given) in enumerate(zip(self.scenarios, parsed, strict=True), 1):
            right = None if given is None else given == scenario.answer
            correct.append(right)
            verdict = {True: "Correct", False: "Not quite", None: "No answer yet"}[right]
            lines.append(
                f"{number}. {verdict}: {FAILURE_MODES[scenario.answer]}. "
                f"{scenario.explanation} ({scenario.source})"
            )
        return SortingFeedback(tuple(correct), tuple(lines))

    def _parse_all(self, answers: object) -> tuple[str | None, ...]:
        n = len(self.scenarios)
        if isinstance(answers, Mapping):
            parsed: list[str | None] = [None] * n
            for number, answer in answers.items():
                ok = isinstance(number, (int, np.integer)) and not isinstance(number, bool)
                if not ok or not 1 <= number <= n:
                    raise ValueError(f"answers keys must be scenario numbers 1-{n}, got {number!r}")
                parsed[int(number) - 1] = self.parse(answer)
            return tuple(parsed)
        if isinstance(answers, str) or not isinstance(answers, Sequence) or len(answers) != n:
            raise ValueError(
                f"answers must be a list of {n} answers (one per scenario) or a dict "
                f"{{scenario number: answer}}, got {answers!r}"
            )
        return tuple(self.parse(a) for a in answers)

    def text(self) -> str:
        """The scenarios and the four failure modes as plain text."""
        modes = "  ".join(f"{i}. {label}" for i, label in enumerate(FAILURE_MODES.values(), 1))
        lines = ["Sort each scenario into one failure mode:", f"  {modes}", ""]
        for number, scenario in enumerate(self.scenarios, 1):
            lines.append(f"{number}. {scenario.text}")
        lines += [
            "",
            "To check without widgets, pass one answer per scenario, e.g.",
            "  exercise.check([1, 2, 3, 4, 1, 2, 3, 4])   (numbers as listed above)",
            "and print the result.",
        ]
        return "\n".join(lines)

    def _build_widget(self):
        import ipywidgets as w

        options = [(CHOOSE, None)] + [(label, key) for key, label in FAILURE_MODES.items()]
        self._dropdowns, self._feedback, rows = [], [], []
        for number, scenario in enumerate(self.scenarios, 1):
            dropdown = w.Dropdown(
                options=options, value=None, description=f"Scenario {number}",
                layout=w.Layout(width="340px"), style={"description_width": "90px"},
            )  # fmt: skip
            feedback = w.HTML("")
            dropdown.observe(lambda change, f=feedback: setattr(f, "value", ""), names="value")
            self._dropdowns.append(dropdown)
            self._feedback.append(feedback)
            text = w.HTML(f"<b>{number}.</b> {html.escape(scenario.text)}")
            rows.append(w.VBox([text, dropdown, feedback], layout=w.Layout(margin="0 0 8px 0")))
        self._button = w.Button(description="Check", button_style="primary", icon="check")
        self._score = w.HTML("")
        self._button.on_click(self._on_check)
        return w.VBox([*rows, self._button, self._score])

    def _on_check(self, _button: Any = None) -> None:
        feedback = self.check([d.value for d in self._dropdowns])
        for box, right, line in zip(self._feedback, feedback.correct, feedback.lines, strict=True):
            box.value = feedback_html(line.split(". ", 1)[1], right)
        self._score.value = (
            f'<div role="status" aria-live="polite"><b>Score: {feedback.score} of '
            f"{feedback.total}.</b></div>"
        )

    def _plain_text(self) -> str:
        return self.text()


__all__ = [
    "CHOOSE",
    "FAILURE_MODES",
    "SCENARIOS",
    "FailureModeExercise",
    "Scenario",
    "SortingFeedback",
]
