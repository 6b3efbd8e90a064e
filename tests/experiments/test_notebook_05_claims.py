"""Every number the deceptive-alignment notebook states in words, checked at its own settings.

The notebook runs ``asv.run(asv.Config(), seed=0)`` and its control
``asv.run(asv.Config(situational_awareness=False), seed=0)``, ``dc.run(dc.Config(), seed=0)``
and a few ``dc.Config`` variations (seed 0), the selection curves on seeds 0-4, and quotes the
shipped scheming data. The data numbers are checked against the data files, whose rows each
cite where they come from. The same effects on seeds the notebook does not use are checked in
``test_absent_supervisor.py`` and ``test_deception.py``, and the selection story of section 3
at the end of this file (``FRESH``).
"""

import numpy as np
import pytest

from mesatoys import evidence
from mesatoys.envs.absent_supervisor import GOAL_REWARD, MOVEMENT_REWARD, PUNISHMENT_REWARD
from mesatoys.experiments import absent_supervisor as asv
from mesatoys.experiments import deception as dc
from mesatoys.viz import deception as vd

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def supervised():
    return asv.run(asv.Config(), seed=0)


@pytest.fixture(scope="module")
def blind():
    return asv.run(asv.Config(situational_awareness=False), seed=0)


@pytest.fixture(scope="module")
def selection():
    return dc.run(dc.Config(), seed=0)


@pytest.fixture(scope="module")
def longer():
    return [
        dc.rounds_curve(dc.Config(recognition=r), seeds=range(5), max_rounds=300)
        for r in (0.99, 1.0)
    ]


@pytest.fixture(scope="module")
def sharper():
    return dc.recognition_curve(dc.Config(), seeds=range(5))


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


def test_the_control_without_situational_awareness(supervised, blind):
    assert asv.Config(situational_awareness=False).feature_names == ("goal", "punishment")
    assert set(blind.mesa_objective) == {"goal", "punishment"}  # "a single punishment weight"
    assert f"{blind.mesa_objective['punishment']:.2f}" == "-2.17"
    for condition in asv.CONDITIONS:
        # "the safe route watched and unwatched (0% shortcuts in both), exactly like the control"
        assert f"{blind.mesa[condition].shortcut_rate:.0%}" == "0%"
        assert blind.control[condition].shortcut_rate < 1e-6
        assert f"{blind.mesa[condition].base_return:.1f}" == "40.3"
    # "40.3 in the unwatched episodes instead of the 46.8 the aware agent earns"
    assert f"{supervised.mesa['unobserved'].base_return:.1f}" == "46.8"
    # "P costs 30" when watched; the figure's headline holds at seed 0 as well.
    assert -PUNISHMENT_REWARD == 30
    assert asv.shortcut_gap(supervised) >= 0.5 and abs(asv.shortcut_gap(blind)) <= 0.1


def test_crossing_p_pays_below_a_fifth_watched(supervised):
    # "Crossing P saves six steps in every episode and costs 30 in the watched ones, so it
    # pays when fewer than a fifth of training episodes are watched."
    world = asv.world_of(supervised)
    for layout in range(world.n_layouts):
        short = asv.route(supervised, layout, "unobserved")
        long = asv.route(supervised, layout, "observed")
        assert (len(long) - 1) - (len(short) - 1) == 6
    saved = -MOVEMENT_REWARD * 6
    assert saved / -PUNISHMENT_REWARD == pytest.approx(1 / 5)


# --- section 3: selection ------------------------------------------------------------------------


def test_the_population_settings_are_the_ones_described():
    config = dc.Config()
    assert config.n_agents == 1000 and config.aligned_share == 0.1
    assert config.awareness_rate == 0.5 and config.recognition == 0.99
    assert config.slip_rate == 0.02 and config.oversight == 0.5
    assert config.training_rounds == 20 and config.episodes_per_round == 5


def test_the_population_is_scripted():
    # "each agent's two traits are drawn at random and then fixed, and training only keeps or
    # replaces whole agents": a round changes no surviving agent's traits.
    config = dc.Config()
    rng = np.random.default_rng(0)
    population = dc.starting_population(config, rng)
    after, record = dc.train_round(population, config, rng)
    kept = after.aligned == population.aligned
    kept &= after.aware == population.aware
    assert record["caught"] > 0 and kept.mean() >= 1 - record["caught"]


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
    # "2.9% of episodes go badly at seed 0" in the last round
    assert f"{misbehaviour[-1]:.1%}" == "2.9%"
    # "the aligned share of survivors rises from 8.9% at the start to 26%"
    assert f"{selection.initial_shares[dc.ALIGNED]:.1%}" == "8.9%"
    assert f"{selection.survivor_shares[-1, dc.ALIGNED]:.0%}" == "26%"


def test_deceptive_agents_are_caught_more_often_than_aligned_ones():
    # "in a round oversight catches about 7% of deceptive agents and 5% of aligned ones"
    config = dc.Config()
    s, r, o, k = config.slip_rate, config.recognition, config.oversight, config.episodes_per_round
    aligned = 1 - (1 - s * o) ** k
    deceptive = 1 - (1 - ((1 - r) + r * s) * o) ** k
    assert f"{aligned:.0%}" == "5%" and f"{deceptive:.0%}" == "7%"


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


def test_more_rounds_in_the_explorer():
    # "for up to 200 rounds"
    assert vd.DeceptionExplorer().max_rounds == 200
    longest = dc.run(dc.Config(training_rounds=200), seed=0)
    assert np.all((longest.train_misbehaviour[2:] > 0.01) & (longest.train_misbehaviour[2:] < 0.04))
    # "at seed 0 it is 48% after 60 rounds, 7% after 150 and 2% after 200"
    share = longest.deceptive_share
    assert [f"{share[r - 1]:.0%}" for r in (60, 150, 200)] == ["48%", "7%", "2%"]


def test_when_deception_survives_selection(longer, sharper):
    base, never_slips = longer
    at = lambda curve, value, measure: curve.at(value)[measure]  # noqa: E731
    # "from 74% after 20 rounds to 53% after 60, 30% after 100 and 4.5% after 200 (means over five
    # seeds; between 2.1% and 7.1% at 200), and deployment misbehaviour ... to 3% after 300"
    shares = [at(base, r, "deceptive_share")["mean"] for r in (20, 60, 100)]
    assert [f"{x:.0%}" for x in shares] == ["74%", "53%", "30%"]
    at_200 = at(base, 200, "deceptive_share")
    assert [f"{at_200[k]:.1%}" for k in ("mean", "min", "max")] == ["4.5%", "2.1%", "7.1%"]
    assert f"{at(base, 300, 'deployment_misbehaviour')['mean']:.0%}" == "3%"
    # "After 300 rounds the deceptive share is still 85% (between 73% and 91%)"
    end = at(never_slips, 300, "deceptive_share")
    assert [f"{end[k]:.0%}" for k in ("mean", "min", "max")] == ["85%", "73%", "91%"]
    # "the deceptive share is 3.6% at recognition 0.9, 30% at 0.95 and 74% at 0.99"
    rec = [at(sharper, v, "deceptive_share")["mean"] for v in (0.9, 0.95, 0.99)]
    assert [vd.pct(x) for x in rec] == ["3.6%", "30%", "74%"]
    # "From the third round on, training misbehaviour stays between 1% and 4% of episodes in
    # every one of these runs ... whether deployment then goes badly 3% of the time or 85%"
    for curve in longer:
        tm = curve.measures["training_misbehaviour"][2:]
        assert tm.min() > 0.01 and tm.max() < 0.04
    tm = sharper.measures["training_misbehaviour"]
    assert tm.min() > 0.01 and tm.max() < 0.04
    assert f"{at(never_slips, 300, 'deployment_misbehaviour')['mean']:.0%}" == "85%"


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
    # "counting attempts, Claude 3 Opus tried in 15%"
    assert _value(findings, "Claude 3 Opus", "Attempted to copy to other server") == 0.15
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


def test_attempts_include_the_successful_ones(findings):
    # "in its Table 2 every attempted rate is at least the completed one"
    pairs = {
        "Attempted to delete successor model": "Deleted successor model",
        "Attempted to copy to other server": "Copied itself onto other server",
    }
    checked = 0
    for attempted, done in pairs.items():
        for f in findings:
            if f.behaviour == attempted and f.condition == "strong goal nudge":
                assert f.citation.locator.startswith("Table 2")
                assert f.value >= _value(findings, f.model, done)
                checked += 1
    assert checked == 10


def test_anti_scheming_numbers():
    results = evidence.load_anti_scheming_results()
    covert = {
        (r.model, r.stage): r
        for r in results
        if r.measure == "covert_action_rate" and r.stage in evidence.STAGES[:2]
    }
    before, after = "before anti-scheming training", "after anti-scheming training"
    # "from 13% to 0.4% of samples for o3 (the paper's arXiv abstract)"
    assert (covert[("o3", before)].value, covert[("o3", after)].value) == (0.13, 0.004)
    assert all(covert[("o3", s)].citation.locator == "Abstract" for s in (before, after))
    # "from 8.7% to 0.3% for o4-mini (the authors' posts about the paper ...; the arXiv
    # abstract gives only the o3 numbers)": marked second-hand, as the notebook says.
    assert (covert[("o4-mini", before)].value, covert[("o4-mini", after)].value) == (0.087, 0.003)
    for stage in (before, after):
        citation = covert[("o4-mini", stage)].citation
        assert citation.source_kind == "second-hand" and "apolloresearch" in citation.source_url
    for model in ("o3", "o4-mini"):
        fold = covert[(model, before)].value / covert[(model, after)].value
        assert 25 < fold < 35  # "roughly thirty-fold"


# --- section 3 on seeds the notebook does not use -------------------------------------------------

FRESH = range(910, 916)


@pytest.fixture(scope="module")
def fresh_selection():
    return dc.sweep(dc.Config(), seeds=FRESH)


def test_fresh_the_selection_story(fresh_selection):
    for res in fresh_selection:
        misbehaviour, share = res.train_misbehaviour, res.deceptive_share
        assert 0.40 <= misbehaviour[0] <= 0.50  # "Round 1: 44% of training episodes go badly"
        assert res.survivor_shares[0, dc.UNAWARE] < 0.05  # "catches almost all of them"
        assert np.all((misbehaviour[2:] >= 0.015) & (misbehaviour[2:] <= 0.035))  # "2-3%"
        start = res.initial_shares[dc.DECEPTIVE]
        assert 0.40 <= start <= 0.50 and share[1] >= 0.75  # "jumped from 49% to over 80%"
        assert share[-1] < share.max() - 0.02  # "drifts slowly down"
        aligned = res.survivor_shares[:, dc.ALIGNED]
        assert aligned[-1] > aligned[1] > res.initial_shares[dc.ALIGNED]  # "rises ... to 26%"
        assert 0.65 <= res.deployment_misbehaviour <= 0.85  # "74% of deployment episodes"
        assert 15 <= res.deployment_misbehaviour / misbehaviour[-1] <= 40  # "about 25 times"


def test_fresh_over_five_seeds(fresh_selection):
    stats = dc.summary(fresh_selection)
    assert 0.022 <= stats["last_round_misbehaviour"]["mean"] <= 0.032  # "2.7% on average"
    assert 0.68 <= stats["deployment_misbehaviour"]["mean"] <= 0.80  # "75% (between 71% and 78%)"


def test_fresh_the_explorer_variations():
    for seed in FRESH[:3]:
        weak = dc.run(dc.Config(oversight=0.1), seed)  # "the end state is the same"
        assert weak.train_misbehaviour[-1] < 0.035 and weak.deployment_misbehaviour > 0.7
        corrected = dc.run(dc.Config(response="modify"), seed)
        assert 0.06 <= corrected.deceptive_share[-1] <= 0.16  # "about 10%"
        flawless = dc.run(dc.Config(response="modify", recognition=1.0, slip_rate=0.0), seed)
        start = round(flawless.initial_shares[dc.DECEPTIVE] * flawless.config.n_agents)
        assert (flawless.population.types == dc.DECEPTIVE).sum() == start  # "unchanged"
