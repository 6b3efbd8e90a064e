"""Search against a reactive network under a layout shift, on seeds the notebook does not use.

Measured when these tests were written (default settings, 300 new mazes, seeds 0-5):
256 training mazes: planner 100% of its training mazes and 100% of new ones; network
99-100% of its training mazes, 41-46% of new ones; random moves 9-13%. One training
maze: network 100% / 8-25%. The assertions keep wide margins around those numbers.
"""

import dataclasses

import numpy as np
import pytest

from mesatoys.agents.planner import MesaOptimizer
from mesatoys.agents.reactive import ReactivePolicy
from mesatoys.envs import CheeseMazeEnv
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import layout_shift as ls
from mesatoys.experiments.shape import vary
from mesatoys.optimize import ESConfig

FAST = ls.Config(
    n_train_levels=2,
    n_new_levels=20,
    planner=gm.Config(n_test_levels=10, levels_per_generation=2, es=ESConfig(generations=3)),
    reactive=ReactivePolicy(min_steps=100),
)
SEEDS = range(600, 605)


@pytest.fixture(scope="module")
def fast():
    return ls.run(FAST, seed=3)


def _walk(agent, level, limit, stop_on_stay):
    """Whether an agent acting on Gymnasium observations reaches the cheese."""
    env = CheeseMazeEnv(size=level.size, cheese_radius=None, max_steps=limit)
    obs, _ = env.reset(options={"level": level})
    for _ in range(limit):
        action = agent.act(obs)
        if stop_on_stay and action == 0:
            return False
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            return terminated
    return False


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"n_train_levels": 0},
            ValueError,
            r"n_train_levels must be an integer in \[1, 20000\], got 0",
        ),
        ({"n_new_levels": 1.5}, ValueError, "n_new_levels must be an integer in .*, got 1.5"),
        ({"n_new_levels": 10**9}, ValueError, "n_new_levels must be an integer in"),
        (
            {"planner": gm.Config(n_train_levels=300)},
            ValueError,
            "planner.n_train_levels is not used here",
        ),
        ({"planner": gm.Config(alpha=0.1)}, ValueError, r"planner.alpha must be 0 .* got 0.1"),
        (
            {"planner": gm.Config(cheese_radius=2)},
            ValueError,
            r"planner.cheese_radius must be None .* got 2",
        ),
        ({"planner": "gm.Config()"}, TypeError, "planner must be a goal_misgeneralization.Config"),
        ({"reactive": "network"}, TypeError, "reactive must be a ReactivePolicy, got str"),
        ({"reactive": ReactivePolicy(epochs=-2)}, ValueError, "epochs must be an integer >= 0"),
    ],
)
def test_bad_settings_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        ls.Config(**kwargs)


def test_planner_config_takes_the_number_of_training_mazes():
    config = ls.Config(n_train_levels=5)
    assert config.planner_config.n_train_levels == 5
    assert config.planner_config.levels_per_generation == 5
    assert ls.Config().planner_config.levels_per_generation == gm.Config().levels_per_generation


def test_run_rejects_bad_arguments():
    with pytest.raises(TypeError, match="config must be a layout_shift.Config"):
        ls.run(gm.Config())
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        ls.run(FAST, seed=-1)


# --- the levels -------------------------------------------------------------------------------


def test_both_agents_share_the_training_mazes_and_only_the_layout_shifts(fast):
    train, _ = gm.make_levels(FAST.planner_config, 3)
    assert np.array_equal(fast.train_levels.walls, train.walls)
    new = fast.new_levels
    assert len(new) == 20 and new.size == FAST.planner.size
    assert (new.cheese == new.corner).all() and (fast.train_levels.cheese == new.corner).all()
    assert not any((w == new.walls).all(axis=(1, 2)).any() for w in fast.train_levels.walls)
    assert np.array_equal(ls.new_layouts(FAST, 3).walls, new.walls)
    assert not np.array_equal(ls.new_layouts(FAST, 4).walls, new.walls)


# --- the rates against independent replays ----------------------------------------------------


def test_rates_match_agents_replayed_through_the_gym_env(fast):
    limit = fast.episode_limit
    network = [_walk(fast.policy, fast.new_levels[i], limit, False) for i in range(20)]
    assert fast.reactive_new_layouts == pytest.approx(np.mean(network))
    trained = [_walk(fast.policy, fast.train_levels[i], limit, False) for i in range(2)]
    assert fast.reactive_train == pytest.approx(np.mean(trained))
    planner = MesaOptimizer(fast.planner_objective, gamma=fast.planner_config.gamma)
    walked = [_walk(planner, fast.new_levels[i], limit, True) for i in range(20)]
    assert fast.planner_new_layouts == pytest.approx(np.mean(walked))


def test_the_policy_in_the_config_stays_unfitted(fast):
    assert not hasattr(FAST.reactive, "network_") and hasattr(fast.policy, "network_")
    assert fast.policy.get_params() == FAST.reactive.get_params()


def test_same_seed_same_numbers(fast):
    again = ls.run(FAST, seed=3)
    for rate in ls.RATES:
        assert getattr(again, rate) == getattr(fast, rate)
    assert again.planner_objective == fast.planner_objective
    assert all(map(np.array_equal, again.policy.network_.params, fast.policy.network_.params))


# --- sweeps -----------------------------------------------------------------------------------


def test_sweep_is_a_loop_and_summary_summarises_it():
    configs = vary(FAST, n_train_levels=(1, 2))
    results = ls.sweep(configs, seeds=(0, 1), progress=False)
    assert [(r.config.n_train_levels, r.seed) for r in results] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert results[3].reactive_new_layouts == ls.run(FAST, seed=1).reactive_new_layouts
    summary = ls.summary(results[:2])
    values = [r.reactive_train for r in results[:2]]
    assert summary["reactive_train"] == pytest.approx(
        {"mean": np.mean(values), "min": min(values), "max": max(values)}
    )
    assert set(summary) == set(ls.RATES)


def test_summary_rejects_no_runs():
    with pytest.raises(ValueError, match="at least one run"):
        ls.summary([])


def test_a_result_rebuilds_its_mazes_and_network(fast):
    rebuilt = dataclasses.replace(fast)  # a copy without the cached mazes and policy
    assert np.array_equal(rebuilt.train_levels.walls, fast.train_levels.walls)
    assert np.array_equal(rebuilt.new_levels.walls, fast.new_levels.walls)
    again = rebuilt.policy.play(rebuilt.new_levels, fast.episode_limit)
    assert again.reached_cheese.mean() == pytest.approx(fast.reactive_new_layouts)


def test_run_refuses_another_config():
    with pytest.raises(TypeError, match="config must be a layout_shift.Config"):
        ls.run({"n_train_levels": 2})


# --- the finding, on fresh seeds --------------------------------------------------------------


@pytest.fixture(scope="module")
def broad():
    return {s: ls.run(seed=s) for s in SEEDS}


@pytest.fixture(scope="module")
def narrow():
    return {s: ls.run(ls.Config(n_train_levels=1), seed=s) for s in SEEDS}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_256_mazes_both_fit_and_only_search_transfers_fully(broad, seed):
    r = broad[seed]
    assert r.planner_train >= 0.95 and r.planner_new_layouts >= 0.95
    assert r.reactive_train >= 0.95 and r.reactive_train_moves >= 0.99
    # The network, fitted to its mazes, reaches the cheese on far fewer new mazes...
    assert r.reactive_new_layouts <= r.planner_new_layouts - 0.3
    assert r.reactive_new_moves <= r.reactive_train_moves - 0.1
    # ... but far more often than random moves: part of what it learned transfers.
    assert r.reactive_new_layouts >= r.random_new_layouts + 0.2


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_one_maze_the_network_masters_it_and_transfers_less(broad, narrow, seed):
    one, many = narrow[seed], broad[seed]
    assert one.reactive_train == 1.0 and one.planner_new_layouts >= 0.95
    assert one.reactive_new_layouts <= 0.4
    assert one.reactive_new_layouts <= many.reactive_new_layouts - 0.1


def test_default_config_is_the_documented_one():
    config = ls.Config()
    assert (config.n_train_levels, config.n_new_levels) == (256, 300)
    assert (
        config.planner == gm.Config()
        and config.reactive.get_params() == ReactivePolicy().get_params()
    )
