"""Every number the inner-alignment notebook states in words, checked at its own settings.

The notebook uses ``gm.Config(n_test_levels=300)`` and seeds 0-2.
"""

import numpy as np
import pytest

from mesatoys.experiments import goal_misgeneralization as gm

pytestmark = pytest.mark.slow

CFG = gm.Config(n_test_levels=300)
SEEDS = range(3)
ALPHAS = (0.0, 0.03, 0.1, 0.3, 1.0)
OTHER_CORNERS = ("top_left", "bottom_left", "bottom_right")


@pytest.fixture(scope="module")
def runs():
    results = gm.sweep(alphas=ALPHAS, seeds=SEEDS, config=CFG, progress=False)
    return {(r.config.alpha, r.seed): r for r in results}


def _mean(runs, alpha, get):
    return np.mean([get(runs[alpha, s]) for s in SEEDS])


def test_section5_alpha_zero_seed_zero(runs):
    res = runs[0.0, 0]
    assert res.train.true_goal_rate == 1.0
    assert 0.15 <= res.test.true_goal_rate <= 0.27  # "about one test level in five"
    others = 1 - res.test.true_goal_rate
    assert res.test.proxy_rate > 0.8 * others  # "ended at the corner on most of the others"
    assert res.test.mesa_goal_rate == 1.0  # "reached the cell it set out for"


def test_section6_learned_weights_at_alpha_zero(runs):
    objectives = [runs[0.0, s].mesa_objective for s in SEEDS]
    for objective in objectives:
        assert 0.8 <= objective["top_right"] <= 1.2  # "about 1 in every seed"
        assert all(objective[c] < 0 for c in OTHER_CORNERS)  # "negative in every seed"
    cheese = sorted(o["cheese"] for o in objectives)
    assert 0.1 <= cheese[0] <= 0.3 and 0.8 <= cheese[-1] <= 1.0  # "about 0.2 to about 0.9"
    other_seed = gm.run(gm.Config(n_test_levels=10), seed=5).mesa_objective
    assert abs(other_seed["cheese"]) < 0.15  # "other seeds end up near 0"


def test_section7_an_always_visible_cheese():
    visible = gm.run(gm.Config(n_test_levels=300, cheese_radius=None), seed=0)
    assert visible.test.true_goal_rate >= 0.97  # "(almost) every test level"
    ratio = visible.mesa_objective["cheese"] / visible.mesa_objective["top_right"]
    assert 0.7 <= ratio <= 1.4  # "comparable to the corner weight"
    episodes = gm.play(visible.config, visible.weights, visible.test_levels)
    detour = (episodes.reached_corner & episodes.reached_cheese).mean()
    assert 0.1 <= detour <= 0.6  # "on some test levels it detours there first"


def test_section8_a_little_diversity(runs):
    def rate(alpha):
        return _mean(runs, alpha, lambda r: r.test.true_goal_rate)

    assert rate(0.03) > rate(0.0) + 0.05  # "already rises"
    spread = [runs[0.03, s].test.true_goal_rate for s in SEEDS]
    assert max(spread) - min(spread) >= 0.1  # "the seeds differ a lot"
    assert 0.6 <= rate(0.3) <= 0.8  # "about 0.7"
    assert abs(rate(0.3) - rate(1.0)) <= 0.05  # "as high as at alpha = 1"
    assert 0.6 <= rate(1.0) <= 0.8  # "only about 70%"
    displaced = _mean(
        runs, 0.03, lambda r: (r.train_levels.cheese != r.train_levels.corner).any(axis=1).sum()
    )
    assert 4 <= displaced <= 12  # "about 8 of the 256 training levels"


def test_section8_why_the_goal_changes(runs):
    def weight(alpha, name):
        return _mean(runs, alpha, lambda r: r.mesa_objective[name])

    assert weight(0.3, "cheese") > weight(0.0, "cheese") + 0.3  # "raises the cheese weight"
    for seed in SEEDS:
        objective = runs[0.3, seed].mesa_objective
        assert all(objective[c] > 0 for c in OTHER_CORNERS)  # "corners ... to positive"
    assert weight(1.0, "top_right") < 0.5 * weight(0.0, "top_right")  # "far below"


def test_section9_capability_on_new_layouts():
    comparison = gm.compare_with_reactive(CFG, seed=0)
    assert comparison.planner_train == 1.0 and comparison.planner_new_layouts == 1.0
    assert 0.08 <= comparison.reactive_new_layouts <= 0.22  # "about one maze in seven"
    assert 0.08 <= comparison.reactive_train <= 0.22
    assert abs(comparison.reactive_train - comparison.reactive_new_layouts) <= 0.05


def test_section9_a_memorised_single_maze():
    memorised = gm.compare_with_reactive(CFG, seed=0, n_levels=1)
    assert memorised.reactive_train == 1.0  # "solves its one training maze every time"
    assert 0.1 <= memorised.reactive_new_layouts <= 0.25  # "about one new maze in six"
    assert memorised.planner_new_layouts == 1.0  # "gets the cheese in every new maze"


@pytest.fixture(scope="module")
def keys_runs():
    from mesatoys.experiments import keys_and_chests as kc

    return {
        "plain": kc.run(kc.Config(n_test_levels=200), seed=0),
        "surplus": kc.run(kc.Config(n_test_levels=200, surplus_fraction=0.3), seed=0),
        "aware": kc.run(
            kc.Config(n_test_levels=200, surplus_fraction=0.3, inventory_aware=True), seed=0
        ),
    }


def test_section10_keys_and_chests(keys_runs):
    plain, surplus, aware = keys_runs["plain"], keys_runs["surplus"], keys_runs["aware"]
    assert all(r.train.chest_rate >= 0.99 for r in keys_runs.values())  # "(nearly) every chest"
    assert 2.5 <= plain.test.keys_per_chest <= 3.6  # "about 3 keys for every chest"
    assert plain.test.keys_collected >= 8.5  # "nearly all 10 keys"
    assert plain.mesa_objective["key"] >= 3 * plain.mesa_objective["chest"]  # "several times"
    assert abs(surplus.test.keys_per_chest - plain.test.keys_per_chest) <= 0.1  # "exactly as"
    assert aware.mesa_objective["spare_key"] < 0
    assert aware.mesa_objective["usable_chest"] > max(1.0, aware.mesa_objective["chest"])
    assert 1.3 <= aware.test.keys_per_chest <= 1.7  # "about 1.5 keys per chest"
    assert aware.test.mean_return > plain.test.mean_return  # "a higher test reward"
