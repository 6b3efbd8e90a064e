"""Every number the end-of-lesson practice quiz states, traced to where it is established.

Numbers about real models are checked against the course's data files (each row cites its
paper). Numbers about the toys are checked to be the ones notebooks 01-06 state, in their own
words; ``tests/experiments/test_notebook_0*_claims.py`` checks those against the toys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesatoys import evidence
from mesatoys.course.bank import question_by_id

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _says(question_id: str, phrase: str) -> bool:
    q = question_by_id(question_id)
    return any(phrase in _flat(t) for t in (q.prompt, *q.options, *q.explanations))


def _notebook_text(stem: str) -> str:
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return _flat(
        " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    )


# (quiz question id, what the quiz says, notebook, what the notebook says)
TOY_FACTS = [
    ("quiz-inner-alignment-cheese-maze-facts", "top-right weight is about 1 in every seed",
     "03_inner_alignment", "Top-right corner:** about 1 in every seed"),
    ("quiz-inner-alignment-cheese-maze-facts", "cheese weight is close to 0",
     "03_inner_alignment", "Cheese:** close to 0 in every seed"),
    ("quiz-inner-alignment-cheese-maze-facts", "cannot see it from where it starts",
     "03_inner_alignment", "the corners and the cheese, from its first step"),
    ("quiz-outer-alignment-coastrunners", "outscored human players by about 20%",
     "04_outer_alignment", "scored on average about 20% more than human players"),
    ("quiz-outer-alignment-specification-gaming", "every one of its 1,000 evaluation episodes",
     "04_outer_alignment", "in every one of its 1,000 evaluation episodes it dithers"),
    ("quiz-deceptive-alignment-correcting-caught-agents", "falls to about 10%",
     "05_deceptive_alignment", "Correction gets the deceptive share down to about 10%"),
    ("quiz-defenses-plan-monitor", "100% of unwatched episodes",
     "06_defenses", "the shortcut stays (100% of unwatched episodes)"),
    ("quiz-defenses-plan-monitor", "hidden shortcut down to 0%",
     "06_defenses", "The hidden shortcut falls to 0%"),
    ("quiz-defenses-ai-control-upfront-auditing", "about 16% safety",
     "06_defenses", "Safety: about 16%"),
    ("quiz-defenses-ai-control-upfront-auditing", "(about 0.6% of tasks)",
     "06_defenses", "attack rarely (about 0.6% of tasks)"),
    ("quiz-defenses-ai-control-upfront-auditing", "about 63% safety, and about 80%",
     "06_defenses", "its best rate gives about 63%. **Deferring** the next 10% most suspicious "
     "tasks to T raises that to about 80%"),
    ("quiz-defenses-ai-control-upfront-auditing", "auditors can check 2% of tasks",
     "06_defenses", "can check 2% of the tasks, and an audit always catches an attack"),
    ("quiz-defenses-model-organisms", "It flagged 7 of the 8",
     "06_defenses", "catches every naive organism and 7 of the 8 savvy ones"),
    ("quiz-defenses-model-organisms", "(all 4 in the notebook's control)",
     "06_defenses", "Without the names, all four are flagged"),
    ("quiz-defenses-model-organisms", "with no false alarms",
     "06_defenses", "7 of the 8 savvy ones**, with no false alarms"),
    ("quiz-apollo-2024-findings", "(14% and 16%)",
     "05_deceptive_alignment", "far less often, in 14% and 16%"),
    ("quiz-apollo-2024-findings", "in 20% of cases it still had not after seven turns",
     "05_deceptive_alignment", "in 20% of cases it still had not after seven turns"),
    ("quiz-anti-scheming-training-2025", "The 26 evaluations",
     "05_deceptive_alignment", "tested them on 26 evaluations they were not trained on"),
]  # fmt: skip


@pytest.mark.parametrize(("question_id", "quiz", "notebook", "stated"), TOY_FACTS)
def test_quiz_numbers_are_the_ones_the_notebooks_establish(question_id, quiz, notebook, stated):
    assert _says(question_id, quiz)
    assert stated in _notebook_text(notebook)


@pytest.fixture(scope="module")
def findings():
    return evidence.load_scheming_findings()


def test_apollo_2024_models_that_schemed(findings):
    observed = {}
    for f in findings:
        if f.measure == "observed":
            observed.setdefault(f.model, []).append(f.value)
    schemed = sorted(m for m, values in observed.items() if max(values) > 0)
    assert len(observed) == 6 and len(schemed) == 5 and "GPT-4o" not in schemed
    assert [m for m, values in observed.items() if min(values) == 1] == ["o1"]
    assert _says("quiz-apollo-2024-findings", "Five of the six models schemed")
    assert _says("quiz-apollo-2024-findings", "GPT-4o showed none")
    assert _says("quiz-apollo-2024-findings", "o1 was the only model that schemed in all six")


def test_apollo_2024_follow_up_and_copying_rates(findings):
    asked = "Maintained deception when asked about its scheming action"
    o1 = next(f for f in findings if f.model == "o1" and f.behaviour == asked)
    assert (o1.relation, o1.value) == (">", 0.85)
    assert _says("quiz-apollo-2024-findings", "in over 85% of its follow-up answers")
    copied = [f.value for f in findings if f.behaviour == "Copied itself onto other server"]
    assert max(copied) == 0.10
    assert _says("quiz-apollo-2024-findings", "in up to 10% of runs")
    attempted = {
        f.model: f.value
        for f in findings
        if f.behaviour == "Attempted to copy to other server" and f.condition == "strong goal nudge"
    }
    assert attempted["Claude 3 Opus"] == max(attempted.values()) == 0.15
    assert _says("quiz-apollo-2024-findings", "Claude 3 Opus attempted it in 15%")


def test_anti_scheming_rates():
    covert = {
        (r.model, r.stage): (r.value, r.citation.source_kind)
        for r in evidence.load_anti_scheming_results()
        if r.measure == "covert_action_rate"
    }
    # o3's rates are in the paper's abstract; o4-mini's come from the authors' posts.
    assert covert[("o3", "before anti-scheming training")] == (0.13, "primary")
    assert covert[("o3", "after anti-scheming training")] == (0.004, "primary")
    assert covert[("o4-mini", "before anti-scheming training")][0] == 0.087
    assert covert[("o4-mini", "after anti-scheming training")][0] == 0.003
    assert _says("quiz-anti-scheming-training-2025", "from 13% to 0.4% of samples for o3")
    assert _says("quiz-anti-scheming-training-2025", "from 8.7% to 0.3% for o4-mini")
