"""Every number the defenses notebook states in words, checked at its own settings.

The notebook runs ``interp.sweep(interp.Config(), seeds=range(3))``, the unbiased control
``interp.run(interp.Config(gm.Config().without_bias()), seed=0)``,
``probing.sweep([probing.Config()], seeds=range(3))`` and its control without noise bits,
``rg.compare()`` and its control with plans that bind the action, ``hp.run(hp.Config(), seed=0)``,
``ac.run(seed=0)`` and ``ac.frontier(seed=0)``, the control explorer, ``mo.run(seed=0)`` and the
unseen-condition control of the weight readers. The same effects on seeds the notebook does not
use are checked in ``test_interpretability.py``, ``test_probing.py``, ``test_reasoning_gap.py``,
``test_deception.py`` (honeypots), ``test_ai_control.py`` and ``test_model_organisms.py``, and
the rest at the end of this file (``FRESH``).
"""

from statistics import NormalDist

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


def _text() -> str:
    return " ".join(notebook_text("06_defenses").split())


def test_the_text_no_longer_overclaims():
    text = _text()
    for phrase in (
        "Watch the hiding being learned",
        "trained population",
        "barely matters",
        "honeypot without a tell",
        "yes honeypots without a tell",
        "predicted 97% of its test outcomes where training behaviour predicted 15%",
    ):
        assert phrase not in text, phrase
    assert "This toy is a closed-form model" in text
    assert "This population is scripted, not trained" in text


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
    text = _text()
    assert "read with its algorithm, predicted 97% of its test outcomes; the largest weight" in text
    assert "alone predicted 85%, training behaviour 15%" in text
    assert (
        "predict 97% of test outcomes, the largest weight alone 85%, training behaviour 15%" in text
    )
    for r in readings:  # "when it is wrong, it is too optimistic"
        wrong = r.predicted["rule"] != r.actual
        assert wrong.any() and r.predicted["rule"][wrong].all()
    for r in readings:
        weights = r.mesa_objective
        assert max(weights, key=weights.get) == "top_right"


def test_what_the_rule_gains_from_the_planners_algorithm(readings):
    behaviour = _mean(r.behaviour_accuracy for r in readings)
    top = _mean(r.top_weight_accuracy for r in readings)
    rule = _mean(r.rule_accuracy for r in readings)
    assert f"{behaviour:.0%}" == "15%" and f"{top:.0%}" == "85%"  # "from 15% to 85%"
    assert f"{100 * (rule - top):.0f}" == "12"  # "the last 12 points"
    assert "The largest weight alone already takes the prediction from 15% to 85%" in _text()
    assert "The last 12 points come from something else the rule is given" in _text()


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


@pytest.fixture(scope="module")
def probes():
    return probing.sweep([probing.Config()], seeds=range(3))


def test_the_probe_finds_the_computed_goal(probes):
    assert probing.Config().hidden == (32, 32) and probing.Config().room == 5
    assert probing.Config().n_distractors == 8
    assert f"{_mean(p.success_rate for p in probes):.0%}" == "93%"
    accuracy = {k: _mean(p.probe_accuracy[k] for p in probes) for k in probes[0].probe_accuracy}
    assert f"{accuracy['hidden']:.0%}" == "95%"
    assert f"{accuracy['raw']:.0%}" == "54%"
    assert f"{accuracy['untrained']:.0%}" == "67%"
    assert f"{accuracy['shuffled']:.0%}" == "52%"


def test_without_noise_bits_the_untrained_network_reads_the_goal_too(probes):
    no_noise = probing.sweep([probing.Config(n_distractors=0)], seeds=range(3))
    assert no_noise[0].config == probing.Config(n_distractors=0)  # nothing else changed

    def mean(runs, key):
        return _mean(r.probe_accuracy[key] for r in runs)

    assert f"{mean(no_noise, 'untrained'):.0%}" == "95%"  # "95% against 97%"
    assert f"{mean(no_noise, 'hidden'):.0%}" == "97%"
    assert f"{100 * (mean(probes, 'hidden') - mean(probes, 'untrained')):.0f}" == "28"
    assert 0.5 <= 100 * (mean(no_noise, "hidden") - mean(no_noise, "untrained")) < 1.5  # "about 1"
    assert "the gap of 28 points shrinks to about 1" in _text()


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


def test_training_ends_at_the_closed_form_optimum(comparison):
    for label in comparison.labels:  # "Every seed ends at the table's optimum"
        assert comparison.matches_optimum(label) == len(comparison.seeds) == 5
    monitored = comparison.cell_results("plan monitor only")[0]
    hidden = monitored.curves["hidden_shortcut_rate"]
    best = comparison.optimum("plan monitor only").behaviour.hidden_shortcut_rate
    assert f"{hidden[0]:.0%}" == "25%" and f"{best:.0%}" == "100%" and hidden[-1] > 0.99


def test_plans_that_bind_the_action_stop_the_shortcut_instead_of_hiding_it():
    config = rg.Config()
    assert config.shortcut_reward - config.safe_reward == 1.0  # "the shortcut gains (1)"
    assert rg.BINDING_PLANS_COST == 1.5  # "costs 1.5"
    binding = rg.compare(rg.Config(improvise_cost=rg.BINDING_PLANS_COST), seeds=range(3))
    monitor_only = binding.cell("plan monitor only")
    assert f"{monitor_only['unwatched_shortcut_rate'].mean():.0%}" == "0%"
    assert (monitor_only["hidden_shortcut_rate"] < 0.01).all()
    assert (binding.cell("nothing on plans")["unwatched_shortcut_rate"] > 0.99).all()


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
    # The control, as the text gives it: "2% against 2% with one honeypot, 18% against 17%
    # with ten, 62% against 63% with fifty" (false alarms: the table's bottom row).
    for k, (caught, alarms) in {1: ("2%", "2%"), 10: ("18%", "17%"), 50: ("62%", "63%")}.items():
        assert f"{spotted[n.index(k)]:.0%}" == caught
        assert f"{false_alarms[n.index(k)]:.0%}" == alarms
    assert "2% against 2% with one honeypot, 18% against 17% with ten, 62% against 63%" in _text()


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
    # "falls from 83% at the rarest rate tried (0.1% of tasks) to about 66% at 0.5%, then stays
    # between 63% and 67% all the way to attacking every task"
    monitoring = control["trusted_monitoring"]
    rates = monitoring.attack_rates
    assert rates[0] == 0.001 and f"{monitoring.safety[0]:.0%}" == "83%"
    assert f"{monitoring.safety_at(0.005012):.0%}" == "66%"
    flat = monitoring.safety[rates >= 0.005]
    assert f"{flat.min():.0%}" == "63%" and f"{flat.max():.0%}" == "67%"
    assert "between 63% and 67%" in _text()


def test_why_trusted_monitoring_is_flat():
    """ "audited with the same chance (about 48% here) ... 48 / (48 + 26) ≈ 65%"."""
    config = ac.Config()
    audit, _ = ac.thresholds(config)
    catch = 1 - NormalDist().cdf(audit - config.monitor_quality)
    through = (1 - catch) * config.backdoor_success
    assert f"{catch:.0%}" == "48%" and f"{through:.0%}" == "26%"
    assert f"{catch / (catch + through):.0%}" == "65%"


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


@pytest.fixture(scope="module")
def organisms():
    return mo.run(mo.Config(), seed=0)


def test_the_organism_table(organisms):
    assert organisms.config.n_organisms == 8 and organisms.config.p_honeypot == 0.3
    expected = {
        "behavioural": (0.0, 0.0),
        "distribution_shift": (0.0, 0.0),
        "honeypot_with_tell": (1.0, 0.0),
        "weight_reading": (1.0, 7 / 8),
        "weight_reading_unlabelled": (1.0, 7 / 8),
    }
    assert set(expected) == set(mo.METHODS)  # five methods, no tell-free honeypot
    for method, (naive, savvy) in expected.items():
        assert organisms.flag_rate(method, "naive") == naive
        assert organisms.flag_rate(method, "savvy") == savvy
        assert organisms.flag_rate(method, "control") == 0.0
    assert organisms.deceptive_fraction("naive") == 1.0
    assert organisms.deceptive_fraction("savvy") == 7 / 8
    truth = organisms.deployed > organisms.config.flag_threshold
    assert np.array_equal(organisms.flags["weight_reading"], truth)


def test_without_names_the_naive_organisms_are_flagged_for_their_camera_weight(organisms):
    camera = list(organisms.mesa_objectives[0]).index("punishment_camera")
    assert (organisms.weights("naive")[:, camera] == 0).all()
    naive = organisms.kinds == "naive"
    assert (organisms.scores["weight_reading_unlabelled"][naive] == 0).all()


def test_the_unseen_condition_control():
    control = mo.unseen_condition_control(mo.Config(n_organisms=4), seed=0)
    assert control.flags["weight_reading"].sum() == 0  # "By name, none of them is flagged"
    assert control.flags["weight_reading_unlabelled"].sum() == 4  # "all four are flagged"
    assert (control.deployed <= 0.01).all()
    assert "The control trains four aligned organisms without honeypots" in _text()


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


# --- on seeds the notebook does not use -----------------------------------------------------------

FRESH = (21, 22)


def test_the_unbiased_agents_weights_are_called_similar_not_equal():
    # Over seeds, the unbiased agent's cheese and corner weights differ by up to a factor of
    # about 1.5 (test_interpretability.py): "of similar size", not "about equal".
    assert "whose cheese and corner weights ended of similar size" in _text()
    assert "ended about equal" not in _text()


@pytest.mark.parametrize("seed", FRESH)
def test_fresh_honeypot_numbers(seed):
    curves = hp.run(hp.Config(), seed=seed)
    d, n = list(curves.distinguishability), list(curves.n_honeypots)
    at_09 = curves.detection_rate[d.index(0.9)]
    assert 0.07 <= at_09[n.index(1)] <= 0.18  # "one honeypot catches 13%"
    assert 0.6 <= at_09[n.index(10)] <= 0.8  # "ten catch about 69%"
    false_alarms = np.nanmean(curves.false_alarm_rate, axis=0)
    assert 0.12 <= false_alarms[n.index(10)] <= 0.24  # "flagging about 17% of aligned agents"
    assert np.all(curves.detection_rate[d.index(0.0)] == 1.0)  # "with a single test"


def test_fresh_a_larger_audit_budget_helps_every_protocol():
    runs = ac.sweep(vary(ac.Config(), audit_budget=(0.01, 0.02, 0.05)), seeds=(FRESH[0],))
    for protocol in ac.PROTOCOLS:
        safety = [r[protocol].worst_case_safety for r in runs]
        assert np.all(np.diff(safety) > 0), protocol
    at_default = runs[1]
    assert 0.12 <= at_default["upfront_auditing"].worst_case_safety <= 0.2  # "about 16%"
    assert 0.004 <= at_default["upfront_auditing"].best_attack_rate <= 0.008  # "about 0.6%"
    assert 0.6 <= at_default["trusted_monitoring"].worst_case_safety <= 0.67  # "about 63%"
    assert 0.77 <= at_default["defer_to_trusted"].worst_case_safety <= 0.85  # "about 80%"
