"""Every number the two-layer notebook states in words, checked at its own settings.

The notebook trains one agent: ``gm.run(gm.Config(n_test_levels=300), seed=0)``, and
shows training level 0 and test level 1.
"""

import numpy as np
import pytest

from mesatoys.envs.maze import base_return
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz import two_layer as tl

pytestmark = pytest.mark.slow

CFG = gm.Config(n_test_levels=300)
SEED = 0
OTHER_CORNERS = ("top_left", "bottom_left", "bottom_right")


@pytest.fixture(scope="module")
def res():
    return gm.run(CFG, seed=SEED)


@pytest.fixture(scope="module")
def final_plans(res):
    last = tl.n_generations(res)
    return {
        split: [tl.inner_plan(res, last, split, i) for i in range(len(levels))]
        for split, levels in (("train", res.train_levels), ("test", res.test_levels))
    }


def test_section2_the_maze_and_its_reward(res):
    assert res.config.size == 13 and res.config.episode_limit == 84  # "step limit of 84"
    assert base_return(1, 84) == pytest.approx(1 - 0.9 / 84)  # "1 if at once" (one step)
    assert base_return(84, 84) == pytest.approx(0.1)  # "falling to 0.1 at the step limit"
    assert res.config.cheese_radius == 1 and res.config.gamma == 0.95
    assert len(res.train_levels) == 256
    assert (res.train_levels.cheese == res.train_levels.corner).all()


def test_section2_the_outer_loops_budget(res):
    es = res.config.es
    assert (es.generations, 2 * es.pairs, res.config.levels_per_generation) == (40, 16, 32)
    episodes = es.generations * 2 * es.pairs * res.config.levels_per_generation
    assert episodes == 20_480  # "about 20,000 episodes"
    assert tl.n_generations(res) == 40


def test_section3_what_the_outer_loop_saw(res):
    scores = tl.es_scores(res)
    assert 0.38 <= scores[0] <= 0.46  # "about 0.4 at generation 0"
    assert scores[8:].min() >= 0.8 and scores[8:].max() <= 0.9  # "0.8 to 0.9 from generation 8"


def test_section3_what_the_weights_themselves_earn(res):
    own, best = tl.generation_returns(res), tl.best_possible_return(res)
    assert own[0] == 0.0  # "generation 0 ... earns nothing"
    assert 0.78 <= own[1] <= 0.84  # "about 0.8 after one update"
    assert np.allclose(own[3:], best, rtol=0, atol=1e-9)  # "the best possible from generation 3"
    assert not np.isclose(own[2], best, rtol=0, atol=1e-9)
    assert 0.84 <= best <= 0.86  # "0.85"
    assert res.train.true_goal_rate == 1.0 and res.train.mean_return == pytest.approx(best)


def test_section3_the_weights_keep_growing(res):
    weights = np.array(res.history.params)
    corner, cheese = weights[:, 1], weights[:, 0]
    assert 0.25 <= corner[3] <= 0.35 and corner[20] > 1.0  # "about 0.3 ... above 1 by gen 20"
    assert corner[-1] < corner[20]  # "weight decay then pulls it back a little"
    assert all(weights[-1, 2:] < -0.5)  # "the other three corners end below -0.5"
    assert all(weights[3:].argmax(axis=1) == 1)  # "the largest weight from generation 3 on"
    assert np.abs(corner - cheese).max() < 0.1  # "never more than 0.1 apart"
    final = res.mesa_objective
    assert abs(final["top_right"] - 0.95) < 0.01 and abs(final["cheese"] - 0.92) < 0.01


def test_section4_sweeps_equal_the_longest_shortest_path(res, final_plans):
    shown = final_plans["train"][0]
    assert shown.target_names() == ["top_right"] and shown.sweeps == 32  # "32 sweeps"
    assert shown.farthest_distance() == 32
    sweeps = [p.sweeps for p in final_plans["train"]]
    assert sweeps == [p.farthest_distance() for p in final_plans["train"]]  # "on every level"
    assert (min(sweeps), int(np.median(sweeps)), max(sweeps)) == (20, 24, 46)


def test_section4_generation_zero_has_nothing_to_plan(res):
    plan = tl.inner_plan(res, 0, "train", 0)
    assert plan.sweeps == 0 and len(plan.route) == 1  # "0 sweeps, and it stays put"


def test_section6_the_first_plan_rarely_contains_the_cheese(final_plans):
    seen = sum(p.cheese_seen for p in final_plans["train"])
    assert seen == 4  # "on 4 of the 256 training levels"
    assert all(p.target_names() == ["top_right"] for p in final_plans["train"] if not p.cheese_seen)
    shown = final_plans["test"][1]
    assert not shown.cheese_seen and shown.outcome == "reached the corner, missed the cheese"


def test_section6_training_score_versus_test_behaviour(res):
    assert res.train.true_goal_rate == 1.0  # "every training level"
    assert 0.2 <= res.test.true_goal_rate <= 0.24  # "22% of test levels"
    assert 0.76 <= res.test.proxy_rate <= 0.8  # "78% ... at the corner"
    assert res.test.mesa_goal_rate == 1.0
