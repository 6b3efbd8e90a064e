"""The side-by-side training of a planner and a lookup table, and the table's recorded replay."""

import numpy as np
import pytest

from mesatoys.agents.reactive import ReactivePolicy
from mesatoys.envs.maze import generate_levels
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.optimize import ESConfig

FAST = gm.Config(
    size=9,
    n_train_levels=16,
    n_test_levels=30,
    levels_per_generation=8,
    es=ESConfig(generations=4, pairs=2),
)


def small_table():
    return ReactivePolicy(episodes=200, parallel=32)


@pytest.mark.parametrize("n_levels", [None, 1])
def test_train_agents_trains_exactly_what_compare_with_reactive_measures(n_levels):
    comparison = gm.compare_with_reactive(FAST, seed=1, reactive=small_table(), n_levels=n_levels)
    agents = gm.train_agents(FAST, seed=1, reactive=small_table(), n_levels=n_levels)
    config, shifted = agents.config, gm.new_layouts(agents.config, 1)
    planner_new = gm.play(config, agents.planner.weights, shifted).reached_cheese.mean()
    assert planner_new == comparison.planner_new_layouts
    assert agents.planner.train.true_goal_rate == comparison.planner_train
    rng = np.random.default_rng([1, 4])
    train = agents.reactive.play(agents.planner.train_levels, config.episode_limit, rng)
    new = agents.reactive.play(shifted, config.episode_limit, rng)
    assert train.reached_cheese.mean() == comparison.reactive_train
    assert new.reached_cheese.mean() == comparison.reactive_new_layouts


def test_train_agents_uses_the_same_levels_for_both_and_reports_its_settings():
    agents = gm.train_agents(FAST, seed=2, reactive=small_table(), n_levels=3)
    assert len(agents.planner.train_levels) == 3
    assert agents.config.n_train_levels == 3 and agents.config.levels_per_generation == 3
    assert agents.seed == 2 and hasattr(agents.reactive, "q_table_")


def test_train_agents_is_deterministic():
    a = gm.train_agents(FAST, seed=3, reactive=small_table(), n_levels=2)
    b = gm.train_agents(FAST, seed=3, reactive=small_table(), n_levels=2)
    assert np.array_equal(a.planner.weights, b.planner.weights)
    assert np.array_equal(a.reactive.q_table_, b.reactive.q_table_)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"n_levels": 0}, "n_levels"), ({"seed": -1}, "seed")]
)
def test_train_agents_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gm.train_agents(FAST, **{"seed": 0, **kwargs})


def test_new_layouts_keep_the_cheese_in_the_corner_and_differ_from_training():
    shifted = gm.new_layouts(FAST, 0)
    train, _ = gm.make_levels(FAST, 0)
    assert len(shifted) == FAST.n_test_levels
    assert (shifted.cheese == shifted.corner).all()
    assert not np.array_equal(shifted.walls[: len(train)], train.walls)


@pytest.mark.parametrize("episodes", [0, 300])
def test_trace_reactive_makes_the_same_moves_as_play(episodes):
    levels = generate_levels(40, 9, 0.0, "train", np.random.default_rng(5), extra_openings=0.2)
    policy = ReactivePolicy(episodes=episodes, parallel=32).fit(
        levels[:4], 40, np.random.default_rng(6)
    )
    played = policy.play(levels, 40, np.random.default_rng(7))
    trace = gm.trace_reactive(policy, levels, 40, np.random.default_rng(7))
    ep = trace.episodes
    for field in ("reached_cheese", "reached_corner", "returns", "steps", "final_pos"):
        assert np.array_equal(getattr(ep, field), getattr(played, field)), field
    assert np.array_equal(ep.paths[:, -1], ep.final_pos)
    assert np.array_equal(ep.paths[:, 0], levels.start)
    steps = np.abs(np.diff(ep.paths, axis=1)).sum(axis=2)
    assert (steps <= 1).all()  # one cell at a time


def test_trace_reactive_counts_decisions_only_while_the_episode_runs():
    levels = generate_levels(20, 9, 0.0, "train", np.random.default_rng(8))
    untrained = ReactivePolicy(episodes=0).fit(levels, 40, np.random.default_rng(0))
    trace = gm.trace_reactive(untrained, levels, 40, np.random.default_rng(1))
    assert not trace.decided.any() and trace.decided_share == 0.0  # all coin flips
    one = generate_levels(1, 9, 0.0, "train", np.random.default_rng(0))
    trained = ReactivePolicy(episodes=600, parallel=32).fit(one, 40, np.random.default_rng(1))
    trace = gm.trace_reactive(trained, one, 40, np.random.default_rng(2))
    assert trace.episodes.reached_cheese.all()
    moves = int(trace.moves[0])
    assert not trace.decided[0, moves:].any()
    assert trace.decided_share == trace.decided.sum() / moves


def test_trace_reactive_needs_a_fitted_policy():
    levels = generate_levels(1, 9, 0.0, "train", np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="fitted"):
        gm.trace_reactive(ReactivePolicy(), levels, 10, np.random.default_rng(0))
