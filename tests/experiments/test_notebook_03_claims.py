"""Every number the inner-alignment notebook states in words, checked at its own settings.

The notebook uses ``gm.Config(n_test_levels=300)`` and seeds 0-2. Its claims are checked on
seeds it does not use at the end of this file (``FRESH``) and, for alpha 0, 0.1 and 0.3, the
bias removed and the bias turned round, in ``test_goal_misgeneralization.py`` (seeds 700-724);
keys and chests in ``test_keys_and_chests.py`` (seeds 50-55).
"""

import numpy as np
import pytest
from notebook_text import notebook_text

from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments.shape import vary

pytestmark = pytest.mark.slow

CFG = gm.Config(n_test_levels=300)
SEEDS = range(3)
ALPHAS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)
OTHER_CORNERS = ("top_left", "bottom_left", "bottom_right")


@pytest.fixture(scope="module")
def runs():
    results = gm.sweep(vary(CFG, alpha=ALPHAS), seeds=SEEDS, progress=False)
    return {(r.config.alpha, r.seed): r for r in results}


@pytest.fixture(scope="module")
def unbiased():
    return gm.sweep(CFG.without_bias(), seeds=SEEDS, progress=False)


@pytest.fixture(scope="module")
def turned():
    config = gm.Config(n_test_levels=300, biased_against="top_right")
    return gm.sweep(config, seeds=SEEDS, progress=False)


def _mean(runs, alpha, get):
    return np.mean([get(runs[alpha, s]) for s in SEEDS])


def _control(result):
    return gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)


def test_section4_the_toy_as_described(runs):
    res = runs[0.0, 0]
    assert res.config.episode_limit == 84 and res.config.size == 13
    assert res.config.cheese_radius is None  # "sees ... the cheese from its first step"
    assert res.config.simplicity_bias == 0.05
    es = res.config.es
    assert (2 * es.pairs, es.pairs, res.config.levels_per_generation, es.generations) == (
        16, 8, 32, 40,
    )  # fmt: skip


def test_section5_alpha_zero_and_its_control(runs):
    for seed in SEEDS:
        res = runs[0.0, seed]
        control = _control(res)
        assert res.train.true_goal_rate == 1.0  # "every agent is perfect"
        assert res.test.cheese_in_view_rate == 1.0 == control.cheese_in_view_rate  # "100%"
        assert 0.14 <= res.test.true_goal_rate <= 0.19  # "about one level in six or seven"
        assert res.test.proxy_rate == pytest.approx(1 - res.test.true_goal_rate)  # "the rest"
        assert res.test.mesa_goal_rate == 1.0  # "reaching its own target every time"
        assert control.true_goal_rate == 1.0  # "reached the cheese on every test level"
        assert control.mesa_goal_rate == 1.0


def test_section5_the_cheese_it_got_lay_on_its_route(runs):
    """'where the cheese happened to lie on its route': it never set out for the cheese."""
    res = runs[0.0, 0]
    episodes = gm.play_levels(res.config, res.weights, res.test_levels)
    corner = np.array([1, 11])
    assert (episodes.mesa_goal == corner).all(axis=1).all()


def test_section6_learned_weights_at_alpha_zero(runs):
    for seed in SEEDS:
        objective = runs[0.0, seed].mesa_objective
        assert 0.8 <= objective["top_right"] <= 1.2  # "about 1 in every seed"
        assert -0.015 <= objective["cheese"] <= 0.035  # "between -0.01 and +0.03"
        assert all(objective[c] < 0 for c in OTHER_CORNERS)  # "negative"


def test_section7_the_plane(runs):
    res = runs[0.0, 0]
    plane = gm.objective_plane(res)
    assert plane.n_levels == 96 and plane.cheese[0] == -0.5 and plane.cheese[-1] == 1.5
    cheese, corner = np.meshgrid(plane.cheese, plane.corner)
    total = np.round(cheese + corner, 9)
    assert plane.train_return[total <= 0].max() == 0.0  # "the agent stays put"
    assert np.ptp(plane.train_return[total > 0]) == 0.0  # "the same everywhere"
    cheese_first = (cheese >= 2 * corner) & (cheese > 0) & (total > 0)
    corner_first = (corner >= 2 * cheese) & (corner > 0) & (total > 0)
    assert plane.test_true_goal[cheese_first].min() >= 0.85  # "about nine in ten or more"
    assert plane.test_true_goal[corner_first].max() <= 1 / 7  # "at most about one in seven"


def test_section7_the_bias_path_rises_then_falls(runs):
    weights = runs[0.0, 0].training_weights
    assert weights[5, 0] > 0.3 and abs(weights[-1, 0]) < 0.05  # "raise both ... back to zero"
    assert weights[-1, 1] > weights[5, 1]  # "the corner weight keeps growing"


def test_section8_the_bias_turned_round(turned):
    for r in turned:
        assert r.train.true_goal_rate == 1.0  # "all nine agents are perfect"
        assert abs(r.mesa_objective["top_right"]) <= 0.1  # "the corner weight ends near 0"
        assert 0.85 <= r.mesa_objective["cheese"] <= 1.15  # "the cheese weight near 1"
        assert r.test.true_goal_rate >= 0.97  # "97% or more"


def test_section8_without_the_bias(runs, unbiased):
    for r in unbiased:
        assert r.config == CFG.without_bias() and r.train.true_goal_rate == 1.0
        for name in ("cheese", "top_right"):
            assert 0.6 <= r.mesa_objective[name] <= 1.05  # "between about 0.65 and 1"
    rates = sorted(r.test.true_goal_rate for r in unbiased)
    assert 0.43 <= rates[0] <= 0.47 and 0.84 <= rates[-1] <= 0.88  # "45% to 86%"
    biased = sorted(runs[0.0, s].test.true_goal_rate for s in SEEDS)
    assert 0.13 <= biased[0] <= 0.15 and 0.17 <= biased[-1] <= 0.19  # "14% to 18%"


def _check_goes_to_the_nearer_goal(r):
    """'whichever of the two is nearer': the weights, discounted by distance, predict the choice."""
    from mesatoys.envs.maze import distance_maps

    levels = r.test_levels
    rows = np.arange(len(levels))
    start = levels.start
    d_cheese = distance_maps(levels.walls, levels.cheese)[rows, start[:, 0], start[:, 1]]
    d_corner = distance_maps(levels.walls, np.tile([[1, 11]], (len(levels), 1)))[
        rows, start[:, 0], start[:, 1]
    ]
    w = r.mesa_objective
    corners = {"top_right": (1, 11), "top_left": (1, 1), "bottom_left": (11, 1),
               "bottom_right": (11, 11)}  # fmt: skip
    on_cheese = [  # a test cheese may sit on another corner: that cell holds both weights
        w["cheese"] + sum(w[n] for n, cell in corners.items() if cell == tuple(c))
        for c in levels.cheese
    ]
    prefers_cheese = np.array(on_cheese) * 0.95**d_cheese > w["top_right"] * 0.95**d_corner
    episodes = gm.play_levels(r.config, r.weights, levels)
    assert (episodes.reached_cheese[prefers_cheese]).all()
    assert (episodes.reached_cheese == prefers_cheese).mean() >= 0.9


def test_section8_the_unbiased_agent_goes_to_the_nearer_goal(unbiased):
    _check_goes_to_the_nearer_goal(unbiased[0])


def test_section8_a_blind_agent_fails_the_control():
    blind = gm.run(gm.Config(n_test_levels=300, cheese_radius=1), seed=0)
    control = _control(blind)
    assert 0.03 <= blind.test.cheese_in_view_rate <= 0.05  # "about 4%"
    assert abs(control.true_goal_rate - blind.test.cheese_in_view_rate) <= 0.01  # "as many"
    assert control.true_goal_rate < blind.test.true_goal_rate  # "fewer than the agent ..."


def test_section9_a_little_diversity(runs):
    def rates(alpha):
        return np.array([runs[alpha, s].test.true_goal_rate for s in SEEDS])

    assert abs(rates(0.01).mean() - rates(0.0).mean()) <= 0.02  # "almost nothing changes"
    assert (rates(0.03) >= 0.9).sum() == 1 and (rates(0.03) <= 0.2).sum() == 2  # "one of three"
    for alpha in (0.1, 0.3, 1.0):
        assert rates(alpha).min() >= 0.95  # "from 0.1 on, every seed here ... at least 95%"
    displaced = _mean(
        runs, 0.01, lambda r: (r.train_levels.cheese != r.train_levels.corner).any(axis=1).sum()
    )
    assert 2 <= displaced <= 3.5  # "on average two or three of the 256"


def test_section9_why_the_goal_changes(runs):
    for alpha in (0.1, 0.3, 1.0):
        for seed in SEEDS:
            objective = runs[alpha, seed].mesa_objective
            assert objective["cheese"] > objective["top_right"]  # "rises above the corner"
    for seed in SEEDS:
        assert runs[1.0, seed].mesa_objective["top_right"] < 0  # "turns negative"


def test_section9_a_stronger_bias_needs_more_diversity():
    weak = gm.run(gm.Config(alpha=0.1, n_test_levels=300), seed=0)
    strong = gm.run(gm.Config(alpha=0.1, n_test_levels=300, simplicity_bias=0.3), seed=0)
    assert strong.test.true_goal_rate < weak.test.true_goal_rate - 0.3


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


# --- the same claims on seeds the notebook does not use ------------------------------------------

FRESH = (30, 31, 32)


def _text() -> str:
    return " ".join(notebook_text("03_inner_alignment").split())


@pytest.fixture(scope="module")
def fresh():
    """Runs at the notebook's settings on fresh seeds, by (alpha, seed); alpha 0 on the first only.

    Alpha 0, 0.1 and 0.3 on ten fresh seeds are in ``test_goal_misgeneralization.py``.
    """
    runs = {(0.0, FRESH[0]): gm.run(CFG, FRESH[0])}
    for alpha in (0.01, 0.03, 1.0):
        for seed in FRESH:
            runs[alpha, seed] = gm.run(vary(CFG, alpha=(alpha,))[0], seed)
    return runs


def test_the_text_states_what_other_seeds_show():
    text = _text()
    for phrase in (
        "about one level in six or seven",
        "between about 0.7 and 1.35 on other seeds",
        "within 0.07 of 0 on other seeds",
        "(on other seeds' planes, at most about one in four)",
        "(at least 95% on other seeds)",
        "on other seeds neither ends more than about 1.6 times the other",
        "between about 30% and 90% of the levels, depending on the seed (45% to 86% for these",
        "almost nothing changes: all three seeds still go to the corner",
        "On other seeds that holds from α = 0.3 on; at α = 0.1 most seeds reach 90% or more",
    ):
        assert phrase in text, phrase
    for phrase in ("elsewhere) nothing changes", "From α = 0.1 on, every seed reaches"):
        assert phrase not in text, phrase


def test_fresh_the_cheese_it_got_lay_on_its_route(fresh):
    res = fresh[0.0, FRESH[0]]
    episodes = gm.play_levels(res.config, res.weights, res.test_levels)
    assert (episodes.mesa_goal == np.array([1, 11])).all(axis=1).all()  # it set out for the corner
    assert 0.11 <= res.test.true_goal_rate <= 0.2  # "about one level in six or seven"


def test_fresh_the_plane(fresh):
    plane = gm.objective_plane(fresh[0.0, FRESH[0]])
    cheese, corner = np.meshgrid(plane.cheese, plane.corner)
    total = np.round(cheese + corner, 9)
    assert plane.train_return[total <= 0].max() == 0.0  # "the agent stays put"
    assert np.ptp(plane.train_return[total > 0]) == 0.0  # "a flat plateau"
    cheese_first = (cheese >= 2 * corner) & (cheese > 0) & (total > 0)
    corner_first = (corner >= 2 * cheese) & (corner > 0) & (total > 0)
    assert plane.test_true_goal[cheese_first].min() >= 0.85  # "about nine in ten or more"
    assert plane.test_true_goal[corner_first].max() <= 0.3  # "at most about one in four"


def test_fresh_the_unbiased_agent_goes_to_the_nearer_goal():
    _check_goes_to_the_nearer_goal(gm.run(CFG.without_bias(), FRESH[0]))


def test_fresh_a_blind_agent_fails_the_control():
    blind = gm.run(gm.Config(n_test_levels=300, cheese_radius=1), seed=FRESH[0])
    control = _control(blind)
    assert 0.02 <= blind.test.cheese_in_view_rate <= 0.08  # "about 4%"
    assert abs(control.true_goal_rate - blind.test.cheese_in_view_rate) <= 0.01  # "as many"
    assert control.true_goal_rate < blind.test.true_goal_rate  # "fewer than the agent ..."


def test_fresh_a_little_diversity(fresh):
    def rates(alpha):
        return np.array([fresh[alpha, s].test.true_goal_rate for s in FRESH])

    # "almost nothing changes ... (now and then, on other seeds, one already learns the cheese)"
    assert (rates(0.01) <= 0.2).sum() >= len(FRESH) - 1
    assert (rates(0.03) >= 0.9).any() and (rates(0.03) <= 0.2).any()  # "the seeds disagree"
    assert rates(1.0).min() >= 0.95  # "from alpha = 0.3 on" (0.1 and 0.3: the other file)
    for seed in FRESH:
        objective = fresh[1.0, seed].mesa_objective
        assert objective["cheese"] > objective["top_right"]  # "rises above the corner weight"
        assert objective["top_right"] < 0  # "at alpha = 1 ... turns negative"
    displaced = [
        (fresh[0.01, s].train_levels.cheese != fresh[0.01, s].train_levels.corner).any(axis=1).sum()
        for s in FRESH
    ]
    assert 1.5 <= np.mean(displaced) <= 4  # "on average two or three of the 256"


def test_fresh_a_stronger_bias_needs_more_diversity():
    weak = gm.run(gm.Config(alpha=0.1, n_test_levels=300), seed=FRESH[0])
    strong = gm.run(gm.Config(alpha=0.1, n_test_levels=300, simplicity_bias=0.3), seed=FRESH[0])
    assert strong.test.true_goal_rate < weak.test.true_goal_rate - 0.3
