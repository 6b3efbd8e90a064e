"""What the start page states about the toys, checked against the code and the other notebooks.

The start page runs no toy. Its table "What each toy learns, and what is given" names each
toy's design choice and the control beside it; the effects themselves are checked, on seeds
the notebooks do not use, in the claims file of the notebook that shows them
(``test_notebook_0N_claims.py``) and in the experiment tests it points to. Here: the numbers
and settings the table quotes are the ones the code uses, and the course time adds up.
"""

import inspect
import json
import re

import pytest
from notebook_text import NOTEBOOKS, notebook_text

from mesatoys.experiments import absent_supervisor as asv
from mesatoys.experiments import deception as dc
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import honeypots as hp
from mesatoys.experiments import probing
from mesatoys.experiments import reasoning_gap as rg


def _text() -> str:
    return " ".join(notebook_text("00_start_here").split())


def _row(toy: str) -> str:
    """The table row whose first cell starts with ``toy``."""
    rows = [line for line in notebook_text("00_start_here").splitlines() if line.startswith("|")]
    found = [r for r in rows if r.split("|")[1].strip().startswith(toy)]
    assert len(found) == 1, toy
    return found[0]


def test_the_course_time_adds_up():
    minutes = 0
    for path in sorted(NOTEBOOKS.glob("0[1-7]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        minutes += int(re.search(r"\*\*Time:\*\* about (\d+) minutes", text).group(1))
    page = int(re.search(r"about (\d+) minutes for this page", _text()).group(1))
    hours, rest = divmod(minutes + page, 60)
    assert f"about {hours} hours {rest} minutes for the whole course" in _text()
    table = re.findall(r"\| about (\d+) min \|", notebook_text("00_start_here"))
    assert sum(map(int, table)) == minutes  # the learning path lists the same times


def test_cheese_maze_row():
    row = _row("cheese maze")
    assert "the intended goal `{cheese: 1}`" in row and gm.ALIGNED_OBJECTIVE == {"cheese": 1.0}
    assert "reaches the cheese on every level" in row  # test_notebook_03_claims, fresh seeds too
    assert gm.Config().alpha == 0.0 and gm.Config().simplicity_bias > 0  # corner; bias on
    assert gm.Config().cheese_radius is None  # "full view of the maze"


def test_absent_supervisor_row():
    row = _row("absent supervisor")
    assert "(`situational_awareness=False`)" in row
    assert asv.Config(situational_awareness=False).feature_names == ("goal", "punishment")
    assert len(asv.Config().feature_names) == 4  # "a separate punishment weight per condition"


def test_selection_row():
    row = _row("selection for deception")
    assert "training run out to 300 rounds" in row and "recognition from 0.8 to 1" in row
    rounds = inspect.signature(dc.rounds_curve).parameters["max_rounds"].default
    values = inspect.signature(dc.recognition_curve).parameters["values"].default
    assert rounds == 300 and (min(values), max(values)) == (0.8, 1.0)
    assert "max_rounds=300" in _code("05_deceptive_alignment")


def test_reasoning_gap_row():
    row = _row("reasoning gap")
    assert "a plan is cheap to contradict (0.2, less than the monitor's penalty of 2)" in row
    assert (rg.Config().improvise_cost, rg.Config().monitor_penalty) == (0.2, 2.0)
    assert "plans that bind the action (1.5)" in row and rg.BINDING_PLANS_COST == 1.5
    assert "six probabilities" in row and "2×2×2 payoff table" in row


def test_honeypot_row():
    row = _row("honeypots")
    assert "(distinguishability 1)" in row
    assert 1.0 in hp.Config().distinguishability and 0.0 in hp.Config().distinguishability


def test_probing_row():
    row = _row("probing")
    assert "8 noise bits" in row and probing.Config().n_distractors == 8


def test_reading_the_objective_row():
    # Over seeds, the unbiased agent's two largest weights differ by up to ~1.5 times
    # (test_interpretability.py, test_goal_misgeneralization.py): similar, not a tie.
    row = _row("reading the objective")
    assert "whose cheese and corner weights are of similar size" in row
    assert "nearly tie" not in row


def _code(stem: str) -> str:
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize(
    ("toy", "notebook"),
    [("cheese maze", "(01, 03)"), ("layout shift", "(02)"), ("keys and chests", "(03)"),
     ("boat race", "(04)"), ("absent supervisor", "(05)"), ("selection for deception", "(05)"),
     ("reasoning gap", "(06)"), ("honeypots", "(06)"), ("AI control", "(06)"),
     ("reading the objective", "(06)"), ("probing", "(06)"), ("model organisms", "(06)")],
)  # fmt: skip
def test_every_toy_has_a_row_naming_its_notebook(toy, notebook):
    assert _row(toy).split("|")[1].strip() == f"{toy} {notebook}"
