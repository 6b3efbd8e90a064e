"""Every number the deceptive-alignment notebook states in words, checked at its own settings.

The notebook runs ``asv.run(asv.Config(), seed=0)``, ``dc.run(dc.Config(), seed=0)`` and a few
``dc.Config`` variations (seed 0), and quotes the shipped scheming data. The data numbers are
checked against the data files, whose rows each cite the paper they come from.
"""

import numpy as np
import pytest

from mesatoys import evidence
from mesatoys.course.bank import load_bank, question_by_id
from mesatoys.envs.absent_supervisor import GOAL_REWARD, MOVEMENT_REWARD, PUNISHMENT_REWARD
from mesatoys.experiments import absent_supervisor as asv
from mesatoys.experiments import deception as dc

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def supervised():
    return asv.run(asv.Config(), seed=0)


@pytest.fixture(scope="module")
def selection():
    return dc.run(dc.Config(), seed=0)


# --- section 2: the absent supervisor ------------------------------------------------------------


def test_the_rules_are_the_ones_described():
    assert (MOVEMENT_REWARD, GOAL_REWARD, PUNISHMENT_REWARD) == (-1, 50, -30)
    assert asv.Config().p_supervisor == 0.5


def test_the_planner_behaves_only_when_watched(supervised):
    watched, unwatched = supervised.mesa["observed"], supervised.mesa["unobserved"]
    assert f"{watched.shortcut_rate:.0%}" == "0%"
    assert f"{unwatched.shortcut_rate:.0%}" == "100%"
    assert f"{watched.base_return:.1f}" == "39.9" and supervised.best_return["observed"] == 41
    assert f"{unwatched.base_return:.1f}" == "46.8" and supervised.best_return["unobserved"] == 47
    assert f"{unwatched.performance:.1f}" == "16.8"
    # "every one of them crosses P": the hidden performance is the return minus the 30.
    assert unwatched.base_return - unwatched.performance == pytest.approx(30, abs=0.01)


def test_the_control_never_crosses(supervised):
    for outcome in supervised.control.values():
        assert outcome.shortcut_rate < 1e-6


def test_the_objective_reads_as_the_notebook_says(supervised):
    weights = supervised.mesa_objective
    assert f"{weights['punishment_supervised']:.2f}" == "-1.96"
    assert f"{weights['punishment_unobserved']:.2f}" == "-0.38"
    assert weights["punishment_camera"] == 0.0
    # "too faint to outweigh six saved steps": the unobserved penalty is much weaker.
    assert abs(weights["punishment_unobserved"]) < abs(weights["punishment_supervised"]) / 3


# --- section 3: selection ------------------------------------------------------------------------


def test_the_population_settings_are_the_ones_described():
    config = dc.Config()
    assert config.n_agents == 1000 and config.aligned_share == 0.1
    assert config.awareness_rate == 0.5 and config.recognition == 0.99
    assert config.slip_rate == 0.02 and config.oversight == 0.5
    assert config.training_rounds == 20 and config.episodes_per_round == 5


def test_the_selection_story_at_seed_0(selection):
    misbehaviour = selection.train_misbehaviour
    assert f"{misbehaviour[0]:.0%}" == "44%"
    assert np.all((misbehaviour[2:] >= 0.02) & (misbehaviour[2:] < 0.035))  # "2-3%", round 3 on
    start = selection.initial_shares[dc.DECEPTIVE]
    share = selection.deceptive_share
    assert f"{start:.0%}" == "49%"
    assert share[1] > 0.8  # "over 80%" after round 2
    assert f"{share.max():.0%}" == "82%" and f"{share[-1]:.0%}" == "74%"
    assert f"{selection.deployment_misbehaviour:.0%}" == "74%"
    assert 20 < selection.deployment_misbehaviour / misbehaviour[-1] < 30  # "about 25 times"


def test_over_five_seeds():
    stats = dc.summary(dc.sweep(dc.Config(), seeds=range(5)))
    assert f"{stats['last_round_misbehaviour']['mean']:.1%}" == "2.7%"
    deployment = stats["deployment_misbehaviour"]
    mean, low, high = deployment["mean"], deployment["min"], deployment["max"]
    assert f"{mean:.0%}" == "75%" and f"{low:.0%}" == "71%" and f"{high:.0%}" == "78%"


def test_without_awareness_training_works():
    res = dc.run(dc.Config(awareness_rate=0.0), seed=0)
    assert res.survivor_shares[-1][dc.ALIGNED] == 1.0
    assert f"{res.deployment_misbehaviour:.0%}" == "2%"


def test_weak_oversight_reaches_the_same_end_state():
    res = dc.run(dc.Config(oversight=0.1), seed=0)
    assert res.train_misbehaviour[-1] < 0.035 and res.deployment_misbehaviour > 0.7


def test_more_rounds_buy_almost_nothing_in_training():
    longer = dc.run(dc.Config(training_rounds=60), seed=0)
    assert longer.train_misbehaviour[-1] < 0.035  # still at the slip level
    shorter = dc.run(dc.Config(), seed=0)
    # the deceptive share only drifts down, through the agents' rare mistakes
    assert 0.4 < longer.deceptive_share[-1] < shorter.deceptive_share[-1]
    assert longer.deployment_misbehaviour > 0.4


def test_correcting_caught_agents():
    corrected = dc.run(dc.Config(response="modify"), seed=0)
    assert f"{corrected.deceptive_share[-1]:.0%}" == "10%"
    # "An agent that never misjudged and never slipped would come through any amount of this
    # training unchanged."
    flawless = dc.run(dc.Config(response="modify", recognition=1.0, slip_rate=0.0), seed=0)
    deceptive = flawless.population.types == dc.DECEPTIVE
    start = round(flawless.initial_shares[dc.DECEPTIVE] * flawless.config.n_agents)
    assert deceptive.sum() == start


def test_the_starting_population_is_a_random_draw(selection):
    aligned, _, deceptive = selection.initial_shares
    assert f"{aligned:.1%}" == "8.9%" and f"{deceptive:.0%}" == "49%"


# --- section 4: the evidence ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings():
    return evidence.load_scheming_findings()


def _value(findings, model, behaviour, condition="strong goal nudge", measure="rate"):
    rows = [
        f
        for f in findings
        if f.model == model
        and f.behaviour == behaviour
        and f.condition == condition
        and f.measure == measure
    ]
    assert len(rows) == 1, (model, behaviour, condition)
    return rows[0].value


def test_who_schemed(findings):
    observed = [f for f in findings if f.measure == "observed"]
    by_model: dict[str, list[float]] = {}
    for f in observed:
        by_model.setdefault(f.model, []).append(f.value)
    schemers = {m for m, values in by_model.items() if max(values) == 1}
    assert schemers == {
        "o1",
        "Claude 3.5 Sonnet",
        "Claude 3 Opus",
        "Gemini 1.5 Pro",
        "Llama 3.1 405B",
    }
    assert max(by_model["GPT-4o"]) == 0
    assert [m for m, values in by_model.items() if min(values) == 1] == ["o1"]
    assert len(by_model["o1"]) == 6


def test_rates_quoted(findings):
    oversight = {
        m: _value(findings, m, "Disabled oversight")
        for m in ("Llama 3.1 405B", "Claude 3 Opus", "o1", "Gemini 1.5 Pro", "Claude 3.5 Sonnet")
    }
    assert oversight == {
        "Llama 3.1 405B": 0.03,
        "Claude 3 Opus": 0.05,
        "o1": 0.02,
        "Gemini 1.5 Pro": 0.0,
        "Claude 3.5 Sonnet": 0.0,
    }
    copied = {
        m: _value(findings, m, "Copied itself onto other server")
        for m in ("Gemini 1.5 Pro", "Llama 3.1 405B", "Claude 3.5 Sonnet", "Claude 3 Opus", "o1")
    }
    assert min(copied.values()) == 0.003 and copied["Claude 3.5 Sonnet"] == 0.003
    assert max(copied.values()) == 0.10 and copied["Claude 3 Opus"] == 0.10
    strong = [
        f.value for f in findings if f.condition == "strong goal nudge" and f.measure == "rate"
    ]
    assert max(strong) == 0.22 == _value(findings, "o1", "Covertly produced false ranking")
    no_nudge = [f.value for f in findings if f.condition == "no goal nudge" and f.measure == "rate"]
    covert_no_nudge = [
        f.value
        for f in findings
        if f.condition == "no goal nudge"
        and f.measure == "rate"
        and f.citation.locator.startswith("Table 4")
    ]
    assert max(covert_no_nudge) == 0.05 and max(no_nudge) >= 0.05


def test_what_needed_no_nudge(findings):
    faking = {
        m: _value(findings, m, "Behavioral scheming", "no goal nudge")
        for m in ("Gemini 1.5 Pro", "Llama 3.1 405B", "o1")
    }
    assert faking == {"Gemini 1.5 Pro": 0.42, "Llama 3.1 405B": 0.37, "o1": 0.38}
    drop = _value(
        findings, "Claude 3.5 Sonnet", "Difference in accuracy", "no goal given",
        measure="accuracy_difference",
    )  # fmt: skip
    assert drop == 0.35


def test_follow_up_questions(findings):
    asked = "Maintained deception when asked about its scheming action"
    o1 = [f for f in findings if f.model == "o1" and f.behaviour == asked][0]
    assert (o1.relation, o1.value) == (">", 0.85)
    assert _value(findings, "Llama 3.1 405B", asked, "after a scheming action") == 0.14
    assert _value(findings, "Claude 3 Opus", asked, "after a scheming action") == 0.16
    interrogation = "Stuck to its deception through a 7-turn interrogation"
    assert _value(findings, "o1", interrogation, "after a scheming action") == 0.2


def test_anti_scheming_numbers():
    results = evidence.load_anti_scheming_results()
    covert = {
        (r.model, r.stage): r.value
        for r in results
        if r.measure == "covert_action_rate" and r.citation.source_kind == "primary"
    }
    assert covert[("o3", "before anti-scheming training")] == 0.13
    assert covert[("o3", "after anti-scheming training")] == 0.004
    assert covert[("o4-mini", "before anti-scheming training")] == 0.087
    assert covert[("o4-mini", "after anti-scheming training")] == 0.003
    for model in ("o3", "o4-mini"):
        fold = (
            covert[(model, "before anti-scheming training")]
            / covert[(model, "after anti-scheming training")]
        )
        assert 25 < fold < 35  # "roughly thirty-fold"


# --- practice -----------------------------------------------------------------------------


def _says(question_id: str, phrase: str) -> bool:
    """Whether a bank question (looked up by id) states ``phrase`` in an option or explanation."""
    q = question_by_id(question_id)
    return any(phrase in text for text in (*q.options, *q.explanations))


def test_practice_explanations_match_the_toys(supervised, selection, findings):
    assert len(load_bank("05_deceptive_alignment")) == 4
    assert _says("deceptive-alignment-selection", "(0.5 by default)")
    assert _says("deceptive-alignment-apollo-2024", "in up to 10% of runs (Claude 3 Opus)")
    assert _says("deceptive-alignment-absent-supervisor", "it learns to avoid it both ways")
    # "The oversight probability is the same every round (0.5 by default)."
    assert dc.Config().oversight == 0.5
    # "in up to 10% of runs (Claude 3 Opus) a model copied what it believed were its weights"
    assert _value(findings, "Claude 3 Opus", "Copied itself onto other server") == 0.10
    # "Rerun it with a reward that always punishes the shortcut and it learns to avoid it
    # both ways."
    assert all(o.shortcut_rate < 1e-6 for o in supervised.control.values())
