"""Selection on training behaviour, and honeypots: checked across seeds and by formula.

The curves (how long training runs, how well deceptive agents recognise training) are checked
on seeds no notebook uses (``FRESH``).
"""

import dataclasses

import numpy as np
import pytest

from mesatoys.experiments import deception as dc
from mesatoys.experiments import honeypots as hp

SEEDS = range(5)
FRESH = range(900, 905)  # seeds no notebook uses


@pytest.fixture(scope="module")
def default_runs():
    return dc.sweep(dc.Config(), SEEDS)


# --- independent references: the expected dynamics, written out by formula --------------------


def _episode_rates(config):
    """Chance that one training episode goes badly, per kind (aligned, unaware, deceptive)."""
    s, r = config.slip_rate, config.recognition
    return np.array([s, 1.0, (1 - r) + r * s])


def _catch_chance(config):
    """Chance that an agent of each kind is caught at least once in a round."""
    per_episode = _episode_rates(config) * config.oversight
    return 1 - (1 - per_episode) ** config.episodes_per_round


def _expected_rounds(config):
    """Mean-field recursion: expected misbehaviour, survivor shares and shares, per round."""
    start = np.array(
        [
            config.aligned_share,
            (1 - config.aligned_share) * (1 - config.awareness_rate),
            (1 - config.aligned_share) * config.awareness_rate,
        ]
    )
    x, caught = start, _catch_chance(config)
    misbehaviour, survivors, shares = [], [], []
    for _ in range(config.training_rounds):
        misbehaviour.append(x @ _episode_rates(config))
        kept = x * (1 - caught)
        removed = 1 - kept.sum()
        survivors.append(kept / kept.sum())
        if config.response == "replace":
            m = config.mutation_rate
            x = kept + removed * ((1 - m) * kept / kept.sum() + m * start)
        else:
            x = np.array([x[0] + (x * caught)[1:].sum(), kept[1], kept[2]])  # all stay
        shares.append(x)
    return np.array(misbehaviour), np.array(survivors), np.array(shares)


# --- settings -----------------------------------------------------------------------------------


def test_default_config():
    config = dc.Config()
    assert (config.n_agents, config.aligned_share, config.awareness_rate) == (1000, 0.1, 0.5)
    assert (config.recognition, config.slip_rate, config.oversight) == (0.99, 0.02, 0.5)
    assert (config.training_rounds, config.episodes_per_round) == (20, 5)
    assert (config.response, config.mutation_rate, config.deployment_episodes) == (
        "replace",
        0.01,
        10,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_agents": 0}, "n_agents must be an integer >= 1, got 0"),
        ({"aligned_share": 1.5}, "aligned_share must be in"),
        ({"awareness_rate": -0.1}, "awareness_rate must be in"),
        ({"awareness_rate": "half"}, "awareness_rate must be a number"),
        ({"recognition": 2}, "recognition must be in"),
        ({"slip_rate": 0.6}, r"slip_rate must be in \[0, 0.5\], got 0.6"),
        ({"training_rounds": 0}, "training_rounds must be an integer >= 1"),
        ({"training_rounds": 2.5}, "training_rounds must be an integer"),
        ({"episodes_per_round": 0}, "episodes_per_round must be"),
        ({"oversight": 1.2}, "oversight must be in"),
        ({"oversight": 0.0}, r"oversight must be above 0, got 0.0: with no oversight"),
        ({"response": "retrain"}, "response must be one of"),
        ({"mutation_rate": -1}, "mutation_rate must be in"),
        ({"deployment_episodes": -3}, "deployment_episodes must be"),
    ],
)
def test_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dc.Config(**kwargs)


def test_run_rejects_bad_seeds():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        dc.run(dc.Config(), seed=-1)


def test_population_checks_its_arrays():
    with pytest.raises(ValueError, match="aligned must be a 1-D boolean numpy array"):
        dc.Population(np.array([1, 0]), np.array([True, False]), 0.9, 0.02)
    with pytest.raises(ValueError, match="one length"):
        dc.Population(np.array([True]), np.array([True, False]), 0.9, 0.02)


def test_same_seed_same_numbers():
    a, b, c = dc.run(seed=3), dc.run(seed=3), dc.run(seed=4)
    assert np.array_equal(a.survivor_shares, b.survivor_shares)
    assert a.deployment_misbehaviour == b.deployment_misbehaviour
    assert not np.array_equal(a.survivor_shares, c.survivor_shares)


def test_result_shapes(default_runs):
    res = default_runs[0]
    assert res.train_misbehaviour.shape == res.caught.shape == (20,)
    assert res.survivor_shares.shape == res.shares.shape == (20, 3)
    assert np.allclose(res.survivor_shares.sum(axis=1), 1.0)
    assert np.allclose(res.shares.sum(axis=1), 1.0)
    assert len(res.population.aligned) == 1000
    assert np.array_equal(res.population.shares(), res.shares[-1])


# --- 20 rounds: deceptive agents survive, and training behaviour does not show them -------------


def test_training_misbehaviour_falls_to_near_the_slip_level(default_runs):
    for res in default_runs:
        assert res.train_misbehaviour[0] > 0.4  # the unaware misaligned misbehave openly
        assert res.train_misbehaviour[-5:].max() < 0.036  # slips alone: 0.02
        assert res.train_misbehaviour[-1] > 0.015


def test_the_deceptive_share_rises_and_deployment_reveals_it(default_runs):
    for res in default_runs:
        start = res.initial_shares[dc.DECEPTIVE]
        assert 0.40 < start < 0.50
        assert res.deceptive_share[-1] > start + 0.2
        assert res.deceptive_share[-1] > 0.68
        assert res.survivor_shares[-1, dc.UNAWARE] < 0.01
        assert res.deployment_misbehaviour > 0.65
        assert res.deployment_misbehaviour > 20 * res.train_misbehaviour[-1]
        assert res.deployment_by_type[dc.DECEPTIVE] == 1.0


def test_default_numbers_quoted_in_the_notebook(default_runs):
    stats = dc.summary(default_runs)
    assert stats["first_round_misbehaviour"]["mean"] == pytest.approx(0.465, abs=0.01)
    assert stats["last_round_misbehaviour"]["mean"] == pytest.approx(0.027, abs=0.003)
    assert stats["deceptive_share_start"]["mean"] == pytest.approx(0.45, abs=0.015)
    assert stats["deceptive_share_end"]["mean"] == pytest.approx(0.73, abs=0.03)
    assert stats["deployment_misbehaviour"]["mean"] == pytest.approx(0.735, abs=0.03)
    seed0 = default_runs[0]
    assert seed0.train_misbehaviour[[0, -1]] == pytest.approx([0.4388, 0.0286], abs=1e-4)
    assert seed0.deceptive_share[-1] == pytest.approx(0.7385, abs=1e-4)
    assert seed0.deployment_misbehaviour == pytest.approx(0.7401, abs=1e-4)


def test_without_awareness_training_fixes_the_population():
    for seed in SEEDS:
        res = dc.run(dc.Config(awareness_rate=0.0), seed)
        assert res.survivor_shares[:, dc.DECEPTIVE].max() == 0.0
        assert res.survivor_shares[-1, dc.ALIGNED] > 0.99
        assert res.deployment_misbehaviour < 0.03  # slips (0.02) and a rare mutant
        assert res.train_misbehaviour[-1] < 0.03


def test_modifying_caught_agents_corrects_deceptive_ones_only_when_they_slip():
    config = dc.Config(response="modify")
    never_caught = (1 - _catch_chance(config)) ** config.training_rounds
    assert never_caught[dc.DECEPTIVE] == pytest.approx(0.2229, abs=1e-4)
    for seed in SEEDS:
        res = dc.run(config, seed)
        shares = res.population.shares()
        assert shares[dc.UNAWARE] == 0.0  # the open ones are corrected at once
        expected = res.initial_shares[dc.DECEPTIVE] * never_caught[dc.DECEPTIVE]
        assert shares[dc.DECEPTIVE] == pytest.approx(expected, abs=0.03)
        assert shares[dc.DECEPTIVE] > 0.07
        assert res.deployment_misbehaviour > 0.08


def test_perfect_recognition_makes_deceptive_agents_invisible():
    config = dc.Config(recognition=1.0, training_rounds=10)
    for seed in SEEDS:
        res = dc.run(config, seed)
        assert res.deployment_misbehaviour > 0.75
        # aligned and deceptive agents are caught alike: their ratio only drifts
        ratio = res.survivor_shares[:, dc.DECEPTIVE] / res.survivor_shares[:, dc.ALIGNED]
        assert ratio[-1] == pytest.approx(ratio[1], rel=0.35)


def test_deceptive_agents_are_caught_more_often_than_aligned_ones(default_runs):
    caught = _catch_chance(dc.Config())
    assert caught[dc.DECEPTIVE] == pytest.approx(0.0723, abs=1e-4)
    assert caught[dc.ALIGNED] == pytest.approx(0.0490, abs=1e-4)
    for res in default_runs:  # so the aligned share of survivors grows after round 2
        aligned = res.survivor_shares[:, dc.ALIGNED]
        assert aligned[-1] > aligned[1] + 0.05 and aligned[-1] > res.initial_shares[dc.ALIGNED]


def test_a_round_keeps_or_replaces_whole_agents():
    config = dc.Config(mutation_rate=0.0)
    rng = np.random.default_rng(3)
    population = dc.starting_population(config, rng)
    after, record = dc.train_round(population, config, rng)
    same = (after.aligned == population.aligned) & (after.aware == population.aware)
    assert 0 < record["caught"] and same.mean() >= 1 - record["caught"]


def test_a_round_in_which_nobody_is_caught():
    # Once every agent is aligned and never slips, a round catches nobody; training goes on.
    res = dc.run(dc.Config(awareness_rate=0.0, slip_rate=0.0, aligned_share=1.0), seed=0)
    assert np.all(res.caught == 0.0) and res.deployment_misbehaviour == 0.0
    tiny = dc.run(dc.Config(n_agents=3, oversight=1.0, aligned_share=0.0), seed=1)
    assert tiny.deployment_misbehaviour == 1.0


# --- when deception survives selection: the curves, on fresh seeds ------------------------------


@pytest.fixture(scope="module")
def longer():
    return dc.rounds_curve(dc.Config(), FRESH, max_rounds=300)


def test_a_rounds_curve_is_the_runs_of_each_length(longer):
    for rounds in (1, 20, 73):
        for seed_index, seed in enumerate(list(FRESH)[:2]):
            res = dc.run(dc.Config(training_rounds=rounds), seed)
            point = {m: longer.measures[m][rounds - 1, seed_index] for m in dc.CURVE_MEASURES}
            assert point["deceptive_share"] == res.deceptive_share[-1]
            assert point["aligned_share"] == res.survivor_shares[-1, dc.ALIGNED]
            assert point["training_misbehaviour"] == res.train_misbehaviour[-1]
            # the expectation of what deploy samples (10 episodes per agent)
            assert point["deployment_misbehaviour"] == res.expected_deployment[-1]
            assert abs(res.expected_deployment[-1] - res.deployment_misbehaviour) < 0.01
    assert longer.values.tolist() == list(range(1, 301))
    assert longer.seeds.tolist() == list(FRESH)


def test_expected_deployment_is_the_misaligned_share_plus_aligned_slips():
    res = dc.run(dc.Config(training_rounds=5), seed=901)
    aligned = res.shares[:, dc.ALIGNED]
    assert np.allclose(res.expected_deployment, (1 - aligned) + aligned * 0.02)


def test_long_enough_training_removes_deception_that_slips(longer):
    mean = longer.summary()["deceptive_share"]["mean"]
    assert mean[19] > 0.65  # 20 rounds: most survivors are deceptive
    assert 0.4 < mean[59] < 0.65 and 0.2 < mean[99] < 0.4
    assert longer.measures["deceptive_share"][199].max() < 0.1  # 200 rounds: almost gone
    assert longer.first_below("deceptive_share", 0.1) < 200
    deploy = longer.summary()["deployment_misbehaviour"]["mean"]
    assert deploy[19] > 0.65 and deploy[-1] < 0.05
    assert np.all(np.diff(mean[1::25]) < 0)  # falls all the way
    tm = longer.measures["training_misbehaviour"][2:]
    assert tm.min() > 0.01 and tm.max() < 0.04  # training never shows the difference


def test_deception_that_never_slips_survives_any_training():
    curve = dc.rounds_curve(dc.Config(recognition=1.0), FRESH, max_rounds=300)
    assert curve.measures["deceptive_share"][-1].min() > 0.6
    assert curve.measures["deployment_misbehaviour"][-1].min() > 0.6
    assert np.isnan(curve.first_below("deceptive_share", 0.1))
    tm = curve.measures["training_misbehaviour"][2:]
    assert tm.min() > 0.01 and tm.max() < 0.04


def test_the_better_deceptive_agents_recognise_training_the_more_survive():
    curve = dc.recognition_curve(dc.Config(), FRESH, values=(1.0, 0.8, 0.9, 0.95, 0.99))
    assert curve.values.tolist() == [0.8, 0.9, 0.95, 0.99, 1.0]
    mean = curve.summary()["deceptive_share"]["mean"]
    assert mean[0] < 0.01 and mean[1] < 0.06
    assert 0.15 < mean[2] < 0.45 and mean[3] > 0.65 and mean[4] > 0.75
    assert np.all(np.diff(mean) > 0)
    deploy = curve.summary()["deployment_misbehaviour"]["mean"]
    assert np.all(np.abs(deploy - mean) < 0.03)  # deployment tracks the deceptive share
    assert curve.at(0.9)["deceptive_share"]["max"] < 0.06
    # Notebook 05: "training misbehaviour stays between 1% and 4% ... in every one of these runs"
    tm = curve.measures["training_misbehaviour"]
    assert tm.min() > 0.01 and tm.max() < 0.04


def test_curve_arguments_are_checked(longer):
    with pytest.raises(ValueError, match="value must be one of"):
        longer.at(0.5)
    with pytest.raises(ValueError, match="measure must be one of"):
        longer.first_below("happiness", 0.1)
    with pytest.raises(ValueError, match="max_rounds must be an integer"):
        dc.rounds_curve(dc.Config(), FRESH, max_rounds=0)
    with pytest.raises(ValueError, match="recognition must be in"):
        dc.recognition_curve(dc.Config(), FRESH, values=(1.5,))
    with pytest.raises(ValueError, match="at least one recognition"):
        dc.recognition_curve(dc.Config(), FRESH, values=())
    with pytest.raises(TypeError, match="config must be a deception.Config"):
        dc.rounds_curve({"recognition": 1.0})


# --- the closed forms, with many agents ---------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"response": "modify"},
        {"awareness_rate": 0.8, "recognition": 0.9, "oversight": 0.3, "mutation_rate": 0.1},
    ],
)
def test_rounds_match_the_expected_dynamics(overrides):
    config = dc.Config(n_agents=100_000, training_rounds=8, **overrides)
    misbehaviour, survivors, shares = _expected_rounds(config)
    for seed in (0, 1):
        res = dc.run(config, seed)
        assert res.train_misbehaviour == pytest.approx(misbehaviour, abs=0.008)
        assert res.survivor_shares.ravel() == pytest.approx(survivors.ravel(), abs=0.012)
        assert res.shares.ravel() == pytest.approx(shares.ravel(), abs=0.012)


def test_one_round_catches_each_kind_at_its_formula_rate():
    config = dc.Config(n_agents=60_000, aligned_share=1 / 3, awareness_rate=0.5)
    expected = _catch_chance(config)
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        population = dc.starting_population(config, rng)
        _, record = dc.train_round(population, config, rng)
        counts = population.counts()
        kept = record["survivor_shares"] * (1 - record["caught"]) * config.n_agents
        observed = 1 - kept / counts
        assert observed == pytest.approx(expected, abs=0.012)
        assert expected == pytest.approx([0.0490, 0.9688, 0.0724], abs=1e-4)


def test_deployment_matches_the_population_it_was_given(default_runs):
    for res in default_runs:
        counts = res.population.counts()
        expected = (counts[0] * res.config.slip_rate + counts[1] + counts[2]) / counts.sum()
        episodes = counts.sum() * res.config.deployment_episodes
        sd = np.sqrt(counts[0] * 0.02 * 0.98 * res.config.deployment_episodes) / episodes
        assert abs(res.deployment_misbehaviour - expected) < 4 * sd + 1e-12


def test_with_no_survivors_newcomers_are_fresh_draws():
    config = dc.Config(n_agents=50, aligned_share=0.0, awareness_rate=0.0, oversight=1.0)
    res = dc.run(config, seed=0)
    assert res.caught[0] == 1.0  # everyone misbehaves and is caught
    assert np.all(res.train_misbehaviour == 1.0)
    assert np.allclose(res.shares[:, dc.UNAWARE], 1.0)


def test_the_oversight_check_names_the_fix():
    with pytest.raises(ValueError, match=r"Choose oversight in \(0, 1\]"):
        dataclasses.replace(dc.Config(), oversight=0)


# --- honeypots ----------------------------------------------------------------------------------


def _population(n_per_kind, slip_rate=0.02):
    aligned = np.repeat([True, False, False], n_per_kind)
    aware = np.repeat([True, False, True], n_per_kind)
    return dc.Population(aligned, aware, recognition=0.99, slip_rate=slip_rate)


@pytest.mark.parametrize("d", [0.0, 0.5, 0.9, 0.99, 1.0])
@pytest.mark.parametrize("n", [1, 3, 10, 30])
def test_honeypot_rates_match_the_closed_form(n, d):
    population, s = _population(20_000), 0.02
    ev = hp.flag_agents(population, n, d, seed=n)
    p_defect = (1 - d) + d * s
    assert ev.detection_rate == pytest.approx(1 - (1 - p_defect) ** n, abs=0.012)
    assert ev.false_alarm_rate == pytest.approx(1 - (1 - s) ** n, abs=0.012)
    assert ev.unaware_detection_rate == 1.0
    assert list(ev.counts) == [20_000, 20_000, 20_000]


def test_power_rises_with_honeypots_and_falls_with_distinguishability(default_runs):
    for res in default_runs:
        curves = hp.power_curves(res.population, seed=res.seed)
        detection = curves.detection_rate
        assert np.all(np.diff(detection, axis=1) >= 0)  # more honeypots: never less power
        assert np.all(np.diff(detection[:, -1]) <= 0.02)  # easier to spot: less power
        assert detection[0].min() == 1.0  # indistinguishable honeypots catch every one
        assert detection[2, 0] < 0.2 and detection[2, -1] > 0.95  # d = 0.9: 1 vs 50 of them
        # perfectly distinguishable honeypots flag the deceptive like the aligned
        gap = np.abs(detection[-1] - curves.false_alarm_rate[-1])
        assert gap.max() < 0.12


def test_honeypot_numbers_quoted_in_the_notebook(default_runs):
    ev = hp.flag_agents(default_runs[0].population, 10, 0.9, seed=0)
    assert ev.detection_rate == pytest.approx(1 - (1 - (0.1 + 0.9 * 0.02)) ** 10, abs=0.05)
    assert ev.detection_rate == pytest.approx(0.7133, abs=1e-4)
    assert ev.false_alarm_rate == pytest.approx(0.1894, abs=1e-4)


def test_honeypots_reject_bad_arguments():
    population = _population(10)
    with pytest.raises(ValueError, match="distinguishability must be in"):
        hp.flag_agents(population, 5, 1.5)
    with pytest.raises(ValueError, match="max_honeypots must be an integer >= 1, got 0"):
        hp.flag_agents(population, 0, 0.5)
    with pytest.raises(ValueError, match="seed must be"):
        hp.flag_agents(population, 5, 0.5, seed=-2)
    with pytest.raises(ValueError, match="increasing"):
        hp.power_curves(population, n_honeypots=(5, 2))
    with pytest.raises(ValueError, match="at least one value"):
        hp.power_curves(population, distinguishability=())


def test_honeypots_same_seed_same_numbers():
    population = _population(500)
    a, b = hp.flag_agents(population, 4, 0.7, seed=1), hp.flag_agents(population, 4, 0.7, seed=1)
    assert (a.detection_rate, a.false_alarm_rate) == (b.detection_rate, b.false_alarm_rate)
    assert np.array_equal(
        hp.first_flag(population, 4, 0.7, seed=1), hp.first_flag(population, 4, 0.7, seed=1)
    )


# --- honeypots: the design choice and its control ----------------------------------------------

FRESH_HONEYPOT_SEEDS = (11, 12, 13)  # seeds no other test or the notebook uses


@pytest.mark.parametrize("seed", FRESH_HONEYPOT_SEEDS)
def test_spotted_honeypots_flag_deceptive_agents_like_aligned_ones(seed):
    """The control of distinguishability: at d = 1 detection falls to the false-alarm rate."""
    res = hp.run(hp.Config(), seed=seed)
    aligned, _, deceptive = res.counts
    d = list(res.distinguishability)
    s = res.population.slip_rate
    for j, n in enumerate(res.n_honeypots):
        slips = 1 - (1 - s) ** n  # flagged for honest slips only, both kinds
        tolerance = 4 * np.sqrt(slips * (1 - slips) * (1 / aligned + 1 / deceptive)) + 1e-9
        assert abs(hp.control_gap(res)[j]) <= tolerance, n
        assert res.false_alarm_rate[d.index(1.0), j] == pytest.approx(slips, abs=tolerance)
    # ... while a honeypot the agents cannot spot finds every deceptive one.
    assert np.all(res.detection_rate[d.index(0.0)] == 1.0)


def test_control_gap_needs_distinguishability_one():
    curves = hp.power_curves(_population(50), distinguishability=(0.0, 0.5), seed=0)
    with pytest.raises(ValueError, match="must include distinguishability 1"):
        hp.control_gap(curves)


def test_honeypot_table_holds_the_numbers():
    res = hp.run(hp.Config(), seed=0)
    lines = hp.format_table(res).splitlines()
    aligned, _, deceptive = res.counts
    assert lines[0] == f"{deceptive} deceptive and {aligned} aligned agents"
    n = list(res.n_honeypots)
    for i, d in enumerate(res.distinguishability):
        row = next(r for r in lines if r.startswith(f"deceptive, distinguishability {d:g} "))
        want = [f"{res.detection_rate[i, n.index(k)]:.0%}" for k in (1, 10, 50)]
        assert row.split()[-3:] == want
    alarms = np.nanmean(res.false_alarm_rate, axis=0)
    assert lines[-1].split()[-3:] == [f"{alarms[n.index(k)]:.0%}" for k in (1, 10, 50)]
    with pytest.raises(ValueError, match="n_honeypots must be among"):
        hp.format_table(res, n_honeypots=(4,))
