"""Question quality: option length gives nothing away, and graded questions are new.

Two rules, over the practice banks (``src/mesatoys/course/banks``, shipped with the package,
explanations included) and the graded end-of-lesson quiz (``assignments/source``: options in
its markdown cells, the key only in its hidden tests):

- **Length.** In at most a third of the single-answer questions is the right option the
  strictly longest, and in at most a third the strictly shortest: practice, graded, and both
  together. Distractors are full, plausible misconceptions, not stubs beside a careful answer.
- **Newness.** No graded multiple-choice question is a rewording of a practice question. The
  measure is *containment*: the share of a graded question's content words (prompt and
  options, lower-cased, common words dropped, plural and -ed/-ing endings cut) that occur in
  one practice question's prompt, options and explanations (or one scenario of the
  failure-mode sorting exercise, with its explanation). It asks how much of the graded
  question a learner could have read in one practice question. The quiz before this rule
  scored 0.51 to 0.97 on all 11 of its multiple-choice questions; the current one must stay
  below ``REWORDING``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from mesatoys.course import bank
from mesatoys.course.bank import LETTERS, load_bank
from mesatoys.course.failure_modes import SCENARIOS
from mesatoys.grading import QUIZ_FORMATS, Choice, Choices

REPO = Path(__file__).resolve().parents[2]
GRADED = REPO / "assignments" / "source" / "end_of_lesson_quiz" / "end_of_lesson_quiz.ipynb"
MAX_SHARE = 1 / 3
REWORDING = 0.45  # containment at or above this: too much of the question is in one practice one

_HEADER = re.compile(r"\*\*Question (\d+)\*\* \([^)]*\)\.\s*")
_OPTION = re.compile(r"^- \*\*([A-Z])\.\*\* (.+)$")
_CHECKS = ("expect_choice", "expect_choices")
_STOP = frozenset(
    "a an the of to in on at by for and or is are was were be been it its this that these those "
    "with as from not no but which what who when where why how than then there their they them "
    "he she his her we you your our i into only about all any each every so if do does did can "
    "could would should will may might also more most less very just one two three s t".split()
)


# --- the questions --------------------------------------------------------------------------


class Item:
    """A question as the rules see it: its text, its options and its right ones."""

    def __init__(self, name: str, prompt: str, options: list[str], correct: set[int], extra=()):
        self.name, self.prompt, self.options, self.correct = name, prompt, options, correct
        self.extra = tuple(extra)  # explanations: text a learner can read, but not the question

    @property
    def single(self) -> bool:
        return len(self.correct) == 1

    def question_text(self) -> str:
        return " ".join([self.prompt, *self.options])

    def readable_text(self) -> str:
        return " ".join([self.prompt, *self.options, *self.extra])


def practice_items() -> list[Item]:
    return [
        Item(q.id, q.prompt, list(q.options), set(q.correct), q.explanations)
        for name in bank.bank_names()
        for q in load_bank(name)
    ]


def scenario_texts() -> list[tuple[str, str]]:
    """The failure-mode sorting exercise: practice text too, with explanations shipped."""
    return [(f"scenario-{i}", f"{s.text} {s.explanation}") for i, s in enumerate(SCENARIOS, 1)]


def graded_items(path: Path = GRADED) -> list[Item]:
    """The graded quiz's choice questions: options from the markdown, the key from hidden tests."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts, keys = {}, {}
    for cell in cells:
        source = "".join(cell["source"])
        header = _HEADER.match(source)
        if cell["cell_type"] == "markdown" and header:
            body = source[header.end() :]
            options = [m.groups() for m in map(_OPTION.match, body.splitlines()) if m]
            prompt = body.split("\n- **A.**")[0].replace("*Select all that apply.*", "")
            texts[int(header.group(1))] = (" ".join(prompt.split()), options)
        if "### BEGIN HIDDEN TESTS" in source:
            hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            for node in ast.walk(ast.parse(hidden)):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in _CHECKS:
                    number, value = (ast.literal_eval(node.args[i]) for i in (0, 2))
                    keys[number] = {value} if isinstance(value, str) else set(value)
    items = []
    for number, key in sorted(keys.items()):
        prompt, options = texts[number]
        letters = [letter for letter, _ in options]
        assert letters == list(LETTERS[: len(options)]), (number, letters)
        correct = {letters.index(letter) for letter in key}
        items.append(Item(f"graded Q{number}", prompt, [o for _, o in options], correct))
    return items


# --- the measures ---------------------------------------------------------------------------


def longest_is_right(item: Item) -> bool:
    (right,) = item.correct
    lengths = [len(o) for o in item.options]
    return all(lengths[right] > n for i, n in enumerate(lengths) if i != right)


def shortest_is_right(item: Item) -> bool:
    (right,) = item.correct
    lengths = [len(o) for o in item.options]
    return all(lengths[right] < n for i, n in enumerate(lengths) if i != right)


def content_words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[a-z0-9]+(?:[.'][a-z0-9]+)*", text.lower()):
        if word in _STOP:
            continue
        for ending in ("ing", "ed", "es", "s"):
            if len(word) > 4 and word.endswith(ending):
                word = word[: -len(ending)]
                break
        words.add(word)
    return words


def containment(question: str, readable: str) -> float:
    """Share of ``question``'s content words that occur in ``readable``."""
    words = content_words(question)
    return len(words & content_words(readable)) / len(words)


def closest_practice(question: str) -> tuple[float, str]:
    readable = [(q.readable_text(), q.name) for q in practice_items()]
    readable += [(text, name) for name, text in scenario_texts()]
    return max((containment(question, text), name) for text, name in readable)


# --- length ---------------------------------------------------------------------------------


def _singles(items: list[Item]) -> list[Item]:
    return [item for item in items if item.single]


GROUPS = {
    "practice": lambda: _singles(practice_items()),
    "graded": lambda: _singles(graded_items()),
    "together": lambda: _singles(practice_items()) + _singles(graded_items()),
}


@pytest.mark.parametrize("group", GROUPS)
def test_the_right_option_is_rarely_the_longest(group):
    singles = GROUPS[group]()
    longest = [item.name for item in singles if longest_is_right(item)]
    assert len(singles) >= 7
    assert len(longest) <= MAX_SHARE * len(singles), (len(longest), len(singles), longest)


@pytest.mark.parametrize("group", GROUPS)
def test_the_right_option_is_rarely_the_shortest(group):
    singles = GROUPS[group]()
    shortest = [item.name for item in singles if shortest_is_right(item)]
    assert len(shortest) <= MAX_SHARE * len(singles), (len(shortest), len(singles), shortest)


def test_the_length_measure_sees_the_cue():
    cue = Item("cue", "?", ["short", "a much longer and careful answer", "tiny"], {1})
    assert longest_is_right(cue) and not shortest_is_right(cue)
    tie = Item("tie", "?", ["same length", "same length!", "same length?"], {1})
    assert not longest_is_right(tie)  # strictly longest only


# --- newness --------------------------------------------------------------------------------


def test_the_graded_quiz_is_read_whole():
    items = graded_items()
    formats = QUIZ_FORMATS["end_of_lesson_quiz"]
    choice = {q for q, f in formats.items() if isinstance(f, (Choice, Choices))}
    assert {int(item.name.split("Q")[1]) for item in items} == choice
    for item in items:
        number = int(item.name.split("Q")[1])
        assert "".join(LETTERS[: len(item.options)]) == formats[number].options, item.name
        assert item.single == isinstance(formats[number], Choice), item.name
        assert all(len(o) > 10 for o in item.options) and len(item.prompt) > 40, item.name


@pytest.mark.parametrize("item", graded_items(), ids=lambda item: item.name)
def test_no_graded_question_rewords_a_practice_question(item):
    score, closest = closest_practice(item.question_text())
    assert score < REWORDING, f"{item.name} shares {score:.0%} of its words with {closest}"


# Two questions of the graded quiz as it was before these rules, each a rewording of a
# practice question (inner-alignment-which-failure; quiz-defenses-plan-monitor). They are no
# longer graded, and they show that the measure catches a rewording.
OLD_REWORDINGS = [
    "In notebook 03 the maze's reward pays for reaching the cheese and for nothing else. Trained "
    "with α = 0, the agent reaches the cheese on every training level, yet on test levels it walks "
    "competently to the top-right corner. What kind of failure is this? Inner misalignment: its "
    "learned mesa-objective (the corner) agrees with the base objective only on the training "
    "distribution (goal misgeneralization). Outer misalignment: the reward was written wrongly, "
    "and a good optimizer exploited it. Deceptive alignment: it behaved well in training because "
    "it knew it was being trained. A capability failure: it can no longer find its way through "
    "mazes it has not seen.",
    "In notebook 06's reasoning-gap toy, a plan monitor alone penalizes stated plans that say "
    '"shortcut". What did training with it produce? An agent that stopped taking the shortcut '
    "altogether. An agent that takes the shortcut openly and says so in its plan. An agent whose "
    "plans and actions became random. An agent that still takes the shortcut whenever it is "
    'unwatched, but whose plans now say "safe".',
]


@pytest.mark.parametrize("text", OLD_REWORDINGS, ids=["old-q3", "old-q11"])
def test_the_newness_measure_catches_a_rewording(text):
    score, _ = closest_practice(text)
    assert score >= REWORDING + 0.1


def test_the_newness_measure_ignores_common_words_and_endings():
    assert content_words("The agents reached the cheese") == {"agent", "reach", "cheese"}
    assert containment("agents reaching the corner", "an agent reached a corner") == 1.0
    assert containment("a honeypot", "a probe") == 0.0


# --- explanations ---------------------------------------------------------------------------


def test_every_option_of_every_bank_question_has_its_own_explanation():
    for item in practice_items():
        explanations = item.extra
        assert len(explanations) == len(item.options), item.name
        assert all(len(e.split()) >= 4 for e in explanations), item.name
        assert len(set(explanations)) == len(explanations), item.name
        assert not set(explanations) & set(item.options), item.name  # not just the option again
