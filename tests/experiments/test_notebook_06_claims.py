"""Every number the defenses notebook states in words, checked at its own settings.

The notebook runs ``interp.sweep(interp.Config(), seeds=range(3))``, the unbiased control
``interp.run(interp.Config(gm.Config().without_bias()), seed=0)``,
``probing.sweep([probing.Config()], seeds=range(3))``, ``rg.compare()``,
``hp.run(hp.Config(), seed=0)``, ``ac.run(seed=0)`` and ``ac.frontier(seed=0)``, the control
explorer, and ``mo.run(seed=0)``.
"""

import numpy as np
import pytest
from notebook_text import notebook_text

from mesatoys.course.bank import load_bank, question_by_id
from mesatoys.experiments import ai_control as ac
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import honeypots as hp
from mesatoys.experiments import interpretability as interp
from mesatoys.experiments import model_organisms as mo
from mesatoys.experiments import probing
from mesatoys.experiments import reasoning_gap as rg
from mesatoys.experiments.shape import vary

pytestmark = pytest.mark.slow


def _mean(values) -> float:
    return float(np.mean(list(values)))


# --- section 1: interpretability -----------------------------------------------------------------


@pytest.fixture(scope="module")
def readings():
    return interp.sweep(interp.Config(), seeds=range(3))


def test_reading_the_weights_beats_training_behaviour(readings):
    assert all(r.train_true_goal_rate == 1.0 for r in readings)
    assert f"{_mean(r.behaviour_accuracy for r in readings):.0%}" == "15%"
    assert f"{_mean(r.top_weight_accuracy for r in readings):.0%}" == "85%"
    assert f"{_mean(r.rule_accuracy for r in readings):.0%}" == "97%"
    assert all(r.first_target_accuracy == 1.0 for r in readings)
    text = " ".join(notebook_text("06_defenses").split())
    assert "predicted 97% of its test outcomes where training behaviour predicted 15%" in text
    for r in readings:  # "when it is wrong, it is too optimistic"
        wrong = r.predicted["rule"] != r.actual
        assert wrong.any() and r.predicted["rule"][wrong].all()
    for r in readings:
        weights = r.mesa_objective
        assert max(weights, key=weights.get) == "top_right"


def test_the_value_map_level(readings):
    shown = readings[1]
    weights = shown.mesa_objective
    assert weights["top_right"] > weights["cheese"] + 0.5  # the corner clearly wins
    assert shown.first_target[0] == shown.actual_first_target[0]
    assert not shown.predicted["rule"][0] and not shown.actual[0]  # misses, as predicted


def test_a_split_goal_is_read_by_the_rule_not_the_top_weight():
    split = interp.run(interp.Config(gm.Config().without_bias()), seed=0)
    weights = split.mesa_objective
    assert f"{weights['cheese']:.2f}" == "0.87" and f"{weights['top_right']:.2f}" == "0.83"
    assert f"{split.test_true_goal_rate:.0%}" == "58%"
    assert f"{split.behaviour_accuracy:.0%}" == f"{split.top_weight_accuracy:.0%}" == "58%"
    assert f"{split.rule_accuracy:.1%}" == "99.9%"


def test_the_probe_finds_the_computed_goal():
    probes = probing.sweep([probing.Config()], seeds=range(3))
    assert probing.Config().hidden == (32, 32) and probing.Config().room == 5
    assert probing.Config().n_distractors == 8
    assert f"{_mean(p.success_rate for p in probes):.0%}" == "93%"
    accuracy = {k: _mean(p.probe_accuracy[k] for p in probes) for k in probes[0].probe_accuracy}
    assert f"{accuracy['hidden']:.0%}" == "95%"
    assert f"{accuracy['raw']:.0%}" == "54%"
    assert f"{accuracy['untrained']:.0%}" == "67%"
    assert f"{accuracy['shuffled']:.0%}" == "52%"


# --- section 2: the reasoning gap ----------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    return rg.compare()


def test_the_toy_is_set_up_as_described():
    config = rg.Config()
    assert (config.safe_reward, config.shortcut_reward) == (1.0, 2.0)
    assert (config.watch_rate, config.overseer_penalty) == (0.3, 3.0)
    assert (config.monitor_penalty, config.consistency_penalty) == (2.0, 2.0)
    assert config.improvise_cost == 0.2


def test_the_four_cells(comparison):
    def cell(label, metric):
        return _mean(comparison.values[metric][comparison_index(label)])

    def comparison_index(label):
        return [c[0] for c in rg.CELLS].index(label)

    assert cell("nothing on plans", "unwatched_shortcut_rate") > 0.99
    assert cell("nothing on plans", "hidden_shortcut_rate") < 0.01
    assert cell("plan monitor only", "unwatched_shortcut_rate") > 0.99
    assert cell("plan monitor only", "hidden_shortcut_rate") > 0.99
    assert f"{cell('plan monitor only', 'faithfulness'):.0%}" == "30%"
    assert cell("plan monitor + consistency", "hidden_shortcut_rate") < 0.01
    assert cell("consistency only", "unwatched_shortcut_rate") > 0.99
    assert cell("consistency only", "faithfulness") > 0.99


def test_hiding_is_learned(comparison):
    monitored = comparison.cell_results("plan monitor only")[0]
    hidden = monitored.curves["hidden_shortcut_rate"]
    assert f"{hidden[0]:.0%}" == "25%" and hidden[-1] > 0.99


# --- section 3: honeypots ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def honeypots():
    return hp.run(hp.Config(), seed=0)


def test_honeypot_numbers(honeypots):
    curves = honeypots
    d = list(curves.distinguishability)
    n = list(curves.n_honeypots)
    assert np.all(curves.detection_rate[d.index(0.0)] == 1.0)  # one test catches every one
    assert f"{curves.detection_rate[d.index(0.9), n.index(1)]:.0%}" == "13%"
    assert f"{curves.detection_rate[d.index(0.9), n.index(10)]:.0%}" == "69%"
    false_alarms = np.nanmean(curves.false_alarm_rate, axis=0)  # the dashed line
    assert f"{false_alarms[n.index(10)]:.0%}" == "17%"
    spotted = curves.detection_rate[d.index(1.0)]
    assert np.all(np.abs(spotted - curves.false_alarm_rate[d.index(1.0)]) < 0.05)


# --- section 4: AI control -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def control():
    return ac.run(ac.Config(), seed=0)


def test_the_setting_is_the_one_described():
    config = ac.Config()
    assert config.n_tasks == 1000 and config.audit_budget == 0.02
    assert config.monitor_quality == 2.0 and config.backdoor_success == 0.5
    assert config.defer_fraction == 0.10


def test_the_protocols(control):
    upfront = control["upfront_auditing"]
    assert 0.004 <= upfront.best_attack_rate <= 0.008  # "about 0.6% of tasks"
    assert f"{upfront.worst_case_safety:.0%}" == "16%"
    assert f"{control['trusted_monitoring'].worst_case_safety:.0%}" == "63%"
    defer = control["defer_to_trusted"]
    assert 0.78 <= defer.worst_case_safety <= 0.83  # "about 80%"
    assert defer.usefulness == pytest.approx(0.9, abs=0.005)
    # "rare attacks buy nothing": the monitoring curve is flat above 10% attack rate.
    flat = [control["trusted_monitoring"].safety_at(r) for r in (0.1, 0.3162, 1.0)]
    assert max(flat) - min(flat) < 0.06


def test_deferring_more_trades_usefulness_for_safety():
    frontier = ac.frontier(ac.Config(), seed=0)
    assert np.all(np.diff(frontier.usefulness) < 0)
    assert np.all(np.diff(frontier.safety) > 0)
    assert frontier.safety.max() < 1.0 or frontier.usefulness[frontier.safety.argmax()] < 1.0


def test_the_explorer_as_described():
    from mesatoys.viz.ai_control import ControlExplorer

    explorer = ControlExplorer()
    assert explorer.config.n_deployments == 300
    explorer.set(monitor_quality=0.0)
    safety = {k: v.worst_case_safety for k, v in explorer.result.protocols.items()}
    assert safety["trusted_monitoring"] < 0.06  # "a few percent"
    assert safety["trusted_monitoring"] < safety["upfront_auditing"]


def test_the_explorer_claims():
    useless = ac.run(ac.Config(monitor_quality=0.0, n_deployments=2000), seed=0)
    random_auditing = 0.039  # closed form at the red team's best rate (test_ai_control checks it)
    assert useless["trusted_monitoring"].worst_case_safety == pytest.approx(
        random_auditing, abs=0.02
    )
    runs = ac.sweep(vary(ac.Config(), audit_budget=(0.01, 0.02, 0.05)), seeds=(0,))
    for protocol in ac.PROTOCOLS:
        safety = [r[protocol].worst_case_safety for r in runs]
        assert np.all(np.diff(safety) > 0)


# --- section 5: model organisms ------------------------------------------------------------------


def test_the_organism_table():
    organisms = mo.run(mo.Config(), seed=0)
    assert organisms.config.n_organisms == 8 and organisms.config.p_honeypot == 0.3
    expected = {
        "behavioural": (0.0, 0.0),
        "distribution_shift": (0.0, 0.0),
        "honeypot": (1.0, 7 / 8),
        "honeypot_with_tell": (1.0, 0.0),
        "weight_reading": (1.0, 7 / 8),
    }
    for method, (naive, savvy) in expected.items():
        assert organisms.flag_rate(method, "naive") == naive
        assert organisms.flag_rate(method, "savvy") == savvy
        assert organisms.flag_rate(method, "control") == 0.0
    assert organisms.deceptive_fraction("savvy") == 7 / 8
    truth = organisms.deployed > organisms.config.flag_threshold
    assert np.array_equal(organisms.flags["weight_reading"], truth)


# --- practice ------------------------------------------------------------------------------------


def _says(question_id: str, phrase: str) -> bool:
    """Whether a bank question (looked up by id) states ``phrase`` in an option or explanation."""
    q = question_by_id(question_id)
    return any(phrase in text for text in (*q.options, *q.explanations))


def test_practice_explanations_match_the_toys():
    assert len(load_bank("06_defenses")) == 5
    assert _says("defenses-ai-control-assumption", "2% of tasks in the toy's default")
    # "Human audits are the scarce resource: 2% of tasks in the toy's default."
    assert ac.Config().audit_budget == 0.02
