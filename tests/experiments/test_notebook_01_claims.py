"""Every number the two-layer notebook states in words, checked at its own settings.

The notebook trains one agent: ``gm.run(gm.Config(n_test_levels=300), seed=0)``, and
shows training level 0 and test level 1.
"""

import numpy as np
import pytest
from notebook_text import notebook_text

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


def test_section1_mesa_is_glossed_as_hubinger_et_al_do():
    text = notebook_text("01_the_two_layer_problem")
    assert '*meta* is\nGreek for "above", *mesa* for "below"' in text
    for later in ("02_mesa_optimization", "03_inner_alignment"):
        assert "Greek" not in notebook_text(later)  # the gloss lives in one place


def test_section2_the_maze_and_its_reward(res):
    assert res.config.size == 13 and res.config.episode_limit == 84  # "step limit of 84"
    assert base_return(1, 84) == pytest.approx(1 - 0.9 / 84)  # "1 if at once" (one step)
    assert base_return(84, 84) == pytest.approx(0.1)  # "falling to 0.1 at the step limit"
    assert res.config.cheese_radius is None and res.config.gamma == 0.95  # "sees ... the cheese"
    assert res.test.cheese_in_view_rate == 1.0 and res.train.cheese_in_view_rate == 1.0
    assert len(res.train_levels) == 256
    assert (res.train_levels.cheese == res.train_levels.corner).all()
    assert res.config.has_bias  # "less a small charge on the size of its cheese weight"


def test_section2_the_outer_loops_budget(res):
    es = res.config.es
    assert (es.generations, 2 * es.pairs, res.config.levels_per_generation) == (40, 16, 32)
    episodes = es.generations * 2 * es.pairs * res.config.levels_per_generation
    assert episodes == 20_480  # "20,480 episodes in all"
    assert tl.n_generations(res) == 40


def test_section3_what_the_outer_loop_saw(res):
    scores = tl.es_scores(res)
    assert 0.27 <= scores[0] <= 0.35  # "about 0.3 at generation 0"
    assert 0.77 <= scores[7] <= 0.83  # "about 0.8 by generation 7"
    later = scores[7:]
    assert later.min() >= 0.65 and later.max() <= 0.88  # "bouncing between about 0.7 and 0.87"
    assert np.median(later) >= 0.8


def test_section3_what_the_weights_themselves_earn(res):
    own, best = gm.generation_returns(res), gm.best_possible_return(res)
    assert own[0] == 0.0  # "generation 0 ... earns nothing"
    assert 0.78 <= own[1] <= 0.84  # "about 0.8 after one update"
    assert np.allclose(own[3:], best, rtol=0, atol=1e-9)  # "the best possible from generation 3"
    assert not np.isclose(own[2], best, rtol=0, atol=1e-9)
    assert 0.84 <= best <= 0.86  # "0.85"
    assert res.train.true_goal_rate == 1.0 and res.train.mean_return == pytest.approx(best)


def test_section3_the_weights_keep_growing(res):
    weights = res.training_weights
    corner = weights[:, 1]
    assert 0.25 <= corner[3] <= 0.35 and 0.95 <= corner[30] <= 1.1  # "0.3 ... about 1 by 30"
    assert all(weights[-1, 2:] < -0.3)  # "the other three corners end well below 0"


def test_section3_cheese_and_corner_rise_together_then_part(res):
    weights = res.training_weights
    corner, cheese = weights[:, 1], weights[:, 0]
    assert np.abs(corner[:6] - cheese[:6]).max() <= 0.05  # "never more than 0.05 apart"
    assert cheese[5] > 0.3  # they really did rise together
    assert abs(cheese[-1]) < 0.05 and abs(res.mesa_objective["cheese"]) < 0.05  # "about 0"
    assert corner[-1] > corner[5]  # "the top-right weight keeps growing"


def test_section3_the_corner_alone_earns_the_same(res):
    """ "the corner alone earns exactly the same": drop the cheese weight, same training return."""
    corner_only = dict(res.mesa_objective, cheese=0.0)
    both = dict(res.mesa_objective, cheese=0.5, top_right=res.mesa_objective["top_right"] - 0.5)
    for objective in (corner_only, both):
        outcome = gm.evaluate(res.config, objective, res.train_levels)
        assert outcome.mean_return == pytest.approx(res.train.mean_return)


def test_section4_sweeps_equal_the_longest_shortest_path(res, final_plans):
    shown = final_plans["train"][0]
    assert shown.target_names() == ["top_right"] and shown.sweeps == 32  # "32 sweeps"
    assert shown.farthest_distance() == 32
    sweeps = [p.sweeps for p in final_plans["train"]]
    assert sweeps == [p.farthest_distance() for p in final_plans["train"]]  # "on every level"
    assert (min(sweeps), int(np.median(sweeps)), max(sweeps)) == (20, 24, 46)


def test_section4_the_cheese_sits_on_the_corner_in_training(final_plans):
    shown = final_plans["train"][0]
    cheese = tuple(shown.level.cheese[0])
    assert cheese == (1, 11) and shown.cheese_seen  # "the cheese sits on the top-right corner"
    assert shown.utility[cheese] == pytest.approx(shown.weights[0] + shown.weights[1])


def test_section4_generation_zero_has_nothing_to_plan(res):
    plan = tl.inner_plan(res, 0, "train", 0)
    assert plan.sweeps == 0 and len(plan.route) == 1  # "0 sweeps, and it stays put"


def test_section6_at_generation_five_the_weights_are_close(res):
    weights = res.training_weights
    assert abs(weights[5, 0] - weights[5, 1]) < 0.1  # "about as large as the corner's"


def test_section7_a_perfect_score_and_a_corner_on_the_test_level(res, final_plans):
    assert res.train.true_goal_rate == 1.0  # "every training level ... a perfect score"
    shown = final_plans["test"][1]
    assert shown.cheese_seen and shown.cheese_utility == 0.0  # "in plain view ... nothing"
    assert shown.outcome == "went to the corner, missed the cheese"
    assert tuple(shown.route[-1]) == (1, 11)  # "to the empty corner, and stops there"
