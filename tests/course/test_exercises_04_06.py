"""The exercises of notebooks 04-06: their checks, and the toys that run the learner's code.

Each toy is run on the reference (it must give the notebook's own numbers) and on a
known mistake (the effect must break the way the mistake's message says).
"""

from __future__ import annotations

import numpy as np
import pytest

from mesatoys.course import exercises
from mesatoys.course.exercises import deceptive, defenses, outer
from mesatoys.envs.boat_race import make_track
from mesatoys.experiments import ai_control as ac
from mesatoys.experiments import deception as dc
from mesatoys.experiments import network_misgeneralization as nm
from mesatoys.experiments import probing
from mesatoys.experiments import specification_gaming as sg

OURS = (
    "race_reward",
    "catch_rates",
    "selection_step",
    "probe_accuracy",
    "cheese_vector",
    "audit_mask",
)


def test_the_exercises_come_after_notebook_03s_in_course_order():
    ids = list(exercises.CATALOG)
    assert ids[-len(OURS) :] == list(OURS)
    assert [exercises.get(i).notebook[:2] for i in OURS] == ["04", "05", "05", "06", "06", "06"]


# --- 04: race_reward -----------------------------------------------------------------------------


@pytest.mark.parametrize("side", [3, 5, 9])
def test_the_move_tables_give_back_the_environments_two_rewards(side):
    track = make_track(side)
    progress, entered, next_checkpoint = outer.move_tables(track)
    assert np.array_equal(progress, track.model("checkpoints").progress)
    assert np.array_equal(entered >= 0, track.model("checkpoints").reward == 1)
    assert np.array_equal(entered == next_checkpoint, track.model("ordered").reward == 1)


@pytest.mark.parametrize(
    "reward",
    [
        lambda progress, entered, next_checkpoint: (entered == next_checkpoint).astype(float),
        lambda progress, entered, next_checkpoint: progress > 0,
        lambda progress, entered, next_checkpoint: 1e9 * progress,
        lambda progress, entered, next_checkpoint: progress + (entered == next_checkpoint),
    ],
    ids=["checkpoints in order", "forward moves", "progress times 1e9", "progress and order"],
)
def test_any_reward_under_which_the_planner_races_passes(reward):
    result = exercises.race_reward.check(reward, record=False)
    assert result.passed, result.message


def test_a_reward_of_the_wrong_shape_is_told_the_shape_it_needs():
    result = exercises.race_reward.check(lambda p, e, n: 1.0, record=False)
    assert not result.passed and "an array of shape (64, 4), one number per move" in result.message


def test_a_reward_that_breaks_only_off_the_start_line_is_caught():
    def start_line_only(progress, entered, next_checkpoint):
        pays = progress.astype(float)
        pays[: 4 * 4] = (entered[: 4 * 4] >= 0) * 3.0  # the first four cells pay checkpoints
        return pays

    result = exercises.race_reward.check(start_line_only, record=False)
    assert not result.passed and "races from only" in result.message


@pytest.fixture(scope="module")
def boat_race():
    return sg.run(sg.Config(), seed=0)


def test_the_race_toy_gives_notebook_04s_numbers_for_checkpoints_in_order(boat_race):
    run = outer.race_with(lambda p, e, n: (e == n).astype(float))
    assert (run.yours.planner_return, run.yours.planner_laps) == (12.0, 3.0)
    assert run.yours.learned_laps == boat_race.learned["ordered"].laps  # same seeds, same laps
    assert run.yours.learned_return == pytest.approx(
        boat_race.learned["ordered"].specified_return, abs=0.1
    )
    assert (run.written.planner_return, run.written.planner_laps) == (24.0, 0.0)
    assert run.written.learned_laps == boat_race.learned["checkpoints"].laps == 0.0
    assert "the planner earns 12 points and completes 3 laps" in str(run)


def test_the_race_toy_races_on_the_reference_and_dithers_on_the_finish_line_reward():
    run = outer.race_with(outer.race_reward)
    assert (run.yours.planner_return, run.yours.planner_laps) == (48.0, 3.0)
    assert run.yours.learned_laps > 2.0
    gamed = outer.race_with(outer._finish_line)
    assert gamed.yours.planner_laps == 0.0 and gamed.yours.planner_return == 24.0  # every 2nd step
    with pytest.raises(ValueError, match="shape"):
        outer.race_with(lambda p, e, n: p[:, 0])


# --- 05: catch_rates -----------------------------------------------------------------------------


def test_the_reference_gives_the_rates_the_deception_module_states():
    aligned, unaware, deceptive_ = deceptive.catch_rates(0.99, 0.02, 0.5, 5)
    assert (round(unaware, 2), round(deceptive_, 3), round(aligned, 3)) == (0.97, 0.072, 0.049)
    assert (
        deceptive.catch_rates(1.0, 0.02, 0.5, 5)[2] == deceptive.catch_rates(1.0, 0.02, 0.5, 5)[0]
    )


@pytest.mark.parametrize(("recognition", "slip", "oversight", "episodes"),
                         [(0.99, 0.02, 0.5, 5), (0.9, 0.1, 0.3, 3)])  # fmt: skip
def test_the_reference_matches_the_simulated_agents(recognition, slip, oversight, episodes):
    n = 40_000
    kinds = np.repeat(np.arange(3), n)
    population = dc.Population(kinds == dc.ALIGNED, kinds == dc.DECEPTIVE, recognition, slip)
    rng = np.random.default_rng(5)
    bad = population.misbehave(episodes, recognition, rng)
    caught = (bad & (rng.random(bad.shape) < oversight)).any(axis=1)
    measured = caught.reshape(3, n).mean(axis=1)
    expected = deceptive.catch_rates(recognition, slip, oversight, episodes)
    assert np.allclose(measured, expected, atol=4 * np.sqrt(0.25 / n))


def test_the_selection_toy_predicts_the_notebooks_curve_with_the_reference():
    run = deceptive.selection_with(deceptive.catch_rates)
    assert np.allclose(run.yours, run.measured, atol=0.01)
    assert np.abs(run.predicted - run.simulated).max() < 0.05
    assert run.simulated[0] > 0.8 and run.simulated[-1] == pytest.approx(0.74, abs=0.01)
    forever = deceptive.selection_with(
        deceptive.catch_rates, dc.Config(recognition=1.0, training_rounds=300)
    )
    assert forever.predicted[-1] == pytest.approx(
        0.85, abs=0.02
    )  # selection cannot tell them apart
    assert "your prediction" in str(run) and "deceptive 7.2% (measured 7.3%)" in str(run)


def test_the_selection_toy_shows_a_wrong_rate_disagreeing_with_the_simulation():
    run = deceptive.selection_with(deceptive._every_misbehaviour_caught)
    assert run.yours[dc.ALIGNED] > 1.8 * run.measured[dc.ALIGNED]
    assert abs(run.predicted[-1] - run.simulated[-1]) > 0.05


def _twenty_rounds(step) -> np.ndarray:
    config = dc.Config()
    fresh = deceptive._starting_mix(config)
    rates = deceptive.catch_rates(0.99, 0.02, 0.5, 5)
    mix = fresh
    for _ in range(20):
        mix = step(mix, rates, config.mutation_rate, fresh)
    return mix


def test_the_selection_step_keeps_the_mix_a_mix_and_compounds_over_rounds():
    mix = _twenty_rounds(deceptive.selection_step)
    assert mix.sum() == pytest.approx(1.0) and (mix >= 0).all()
    assert mix[dc.DECEPTIVE] > 0.7 > 0.45  # from 45% of fresh agents
    assert mix[dc.UNAWARE] < 0.001  # the openly misaligned are caught and removed
    simulated = deceptive.selection_with(deceptive.catch_rates)
    assert abs(simulated.predicted[-1] - simulated.simulated[-1]) < 0.05


def test_a_step_that_refills_with_fresh_agents_keeps_the_open_misbehavers():
    mix = _twenty_rounds(deceptive._fresh_replacements)
    assert mix[dc.UNAWARE] > 0.03  # 45% of every round's newcomers are openly misaligned


# --- 06: probe_accuracy --------------------------------------------------------------------------


def test_the_courses_own_probe_passes_the_check():
    def course(train_x, train_y, test_x, test_y):
        return probing.probe_accuracy(train_x, train_y, test_x, test_y, l2=1e-2)

    assert exercises.probe_accuracy.check(course, record=False).passed


@pytest.fixture(scope="module")
def probes():
    config = probing.Config(steps=400, n_episodes=300, n_shuffles=3)
    return (
        config,
        defenses.probes_with(defenses.probe_accuracy, config),
        defenses.probes_with(defenses._on_training_rows, config),
    )


def test_the_probe_toy_repeats_the_probing_run_and_the_reference_agrees_with_it(probes):
    config, ours, _ = probes
    run = probing.run(config, seed=0)
    for name in defenses.PROBE_LABELS:
        assert ours.course[name] == run.probe_accuracy[name]
        assert ours.yours[name] == pytest.approx(ours.course[name], abs=0.05)
    assert ours.chance == run.chance and ours.n_fit == run.n_probe_train
    assert "your probe" in str(ours)


def test_the_probe_toy_shows_the_leak_of_scoring_on_the_fitted_rows(probes):
    _, ours, leaky = probes
    assert leaky.yours["shuffled"] > ours.yours["shuffled"] + 0.05  # random labels, "learned"
    assert ours.yours["shuffled"] == pytest.approx(0.5, abs=0.06)


# --- 06: cheese_vector ---------------------------------------------------------------------------


def test_a_mask_written_another_way_passes_the_vector_check():
    def by_weights(with_cheese, without_cheese, open_cells):
        weights = open_cells / open_cells.sum()
        return weights @ (with_cheese - without_cheese)

    assert exercises.cheese_vector.check(by_weights, record=False).passed


@pytest.fixture(scope="module")
def diverse():
    """Notebook 06's network: alpha = 0.3, seed 0 (about 4 seconds)."""
    return nm.run(nm.Config(alpha=0.3), seed=0)


@pytest.mark.slow
def test_the_steering_toy_repeats_the_courses_steering_with_the_reference(diverse):
    run = defenses.steering_with(defenses.cheese_vector, diverse)
    assert run.yours == run.course == nm.steer(diverse)
    assert "your cheese_vector" in str(run) and "32.0%" in str(run)


@pytest.mark.slow
def test_the_reversed_vector_adds_the_cheese_instead_of_taking_it_away(diverse):
    """Doubling the cheese instead of removing it: the network still finds it far more often."""
    run = defenses.steering_with(defenses._reversed, diverse)
    assert run.course.true_goal_rate < 0.5
    assert run.yours.true_goal_rate > run.course.true_goal_rate + 0.2


# --- 06: audit_mask ------------------------------------------------------------------------------


def test_equivalent_thresholds_pass_the_audit_check():
    def by_sorting(scores, honest_scores, audit_budget):
        ranked = np.sort(honest_scores)
        return scores >= ranked[int(np.ceil((1 - audit_budget) * (len(ranked) - 1)))]

    assert exercises.audit_mask.check(by_sorting, record=False).passed


@pytest.fixture(scope="module")
def control():
    return ac.run(ac.Config(), seed=0)["trusted_monitoring"]


def test_the_control_toy_gives_notebook_06s_safety_with_the_reference(control):
    run = defenses.control_with(defenses.audit_mask)
    assert run.audited[0] == pytest.approx(0.02, abs=0.002)
    assert run.safety[1] == control.worst_case_safety and run.audited[1] == control.audit_fraction
    assert run.safety[0] == pytest.approx(control.worst_case_safety, abs=0.02)
    assert "your audit_mask:" in str(run)


def test_the_control_toy_shows_the_budget_blown_by_the_wrong_quantile():
    run = defenses.control_with(defenses._wrong_end, config=ac.Config(n_deployments=300))
    assert run.audited[0] > 0.95 and run.audited[1] < 0.03
