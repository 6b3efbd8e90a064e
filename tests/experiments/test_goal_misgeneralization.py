"""The headline result and its controls, asserted over seeds chosen here (not 0-9).

Goal misgeneralization in the sense of Langosco et al. 2022 and Shah et al. 2022:
the capability generalizes (an agent with the intended goal, the same planner and
the same sight reaches the cheese), the goal does not (the learned agent, which sees
the cheese from its first step, walks to the corner), and the tie that training
leaves is broken by a named inductive bias whose removal changes the outcome.
"""

import dataclasses

import numpy as np
import pytest

from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments.shape import vary

pytestmark = pytest.mark.slow

ALPHAS = (0.0, 0.1, 0.3)
SEEDS = range(700, 710)
MOST = 9  # "in at least 9 of 10 seeds"


@pytest.fixture(scope="module")
def sweep():
    results = gm.sweep(vary(gm.Config(), alpha=ALPHAS), seeds=SEEDS, progress=False)
    return {(r.config.alpha, r.seed): r for r in results}


@pytest.fixture(scope="module")
def unbiased():
    return {s: gm.run(gm.Config(alpha=0.0).without_bias(), s) for s in SEEDS}


def _rates(sweep, alpha, attr="true_goal_rate", split="test"):
    return np.array([getattr(getattr(sweep[alpha, s], split), attr) for s in SEEDS])


def _weights(sweep, alpha, name):
    return np.array([sweep[alpha, s].mesa_objective[name] for s in SEEDS])


def test_sweep_returns_one_result_per_alpha_and_seed(sweep):
    assert len(sweep) == len(ALPHAS) * len(SEEDS)


def test_at_alpha_zero_the_agent_sees_the_cheese_and_goes_to_the_corner(sweep):
    ok = (
        (_rates(sweep, 0.0, split="train") >= 0.95)
        & (_rates(sweep, 0.0, "cheese_in_view_rate") == 1.0)
        & (_rates(sweep, 0.0, "proxy_rate") >= 0.7)
        & (_rates(sweep, 0.0) <= 0.3)
    )
    assert ok.sum() >= MOST


def test_the_intended_goal_with_the_same_planner_and_sight_reaches_the_cheese(sweep):
    for seed in SEEDS:
        result = sweep[0.0, seed]
        control = gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)
        assert control.cheese_in_view_rate == 1.0
        assert control.true_goal_rate >= 0.95
        assert control.true_goal_rate - result.test.true_goal_rate >= 0.5


def test_the_learned_agent_is_as_capable_as_the_control(sweep):
    """It reaches the cell it set out for: the failure is the goal's, not the skill's."""
    for result in sweep.values():
        assert result.test.mesa_goal_rate >= 0.95


def test_at_alpha_zero_the_corner_carries_the_objective(sweep):
    cheese, corner = _weights(sweep, 0.0, "cheese"), _weights(sweep, 0.0, "top_right")
    assert (corner > 0.5).sum() >= MOST
    assert (np.abs(cheese) < 0.2 * corner).sum() >= MOST


def test_a_small_alpha_ranks_the_cheese_above_the_corner(sweep):
    for alpha in (0.1, 0.3):
        cheese, corner = _weights(sweep, alpha, "cheese"), _weights(sweep, alpha, "top_right")
        assert (cheese > corner).sum() >= MOST


def test_at_alpha_point_three_the_agent_reaches_the_cheese(sweep):
    ok = (_rates(sweep, 0.3) >= 0.8) & (
        _weights(sweep, 0.3, "cheese") > _weights(sweep, 0.3, "top_right")
    )
    assert ok.sum() >= MOST


def test_removing_the_bias_raises_the_test_true_goal_rate(sweep, unbiased):
    biased = _rates(sweep, 0.0).mean()
    without = np.mean([r.test.true_goal_rate for r in unbiased.values()])
    assert without >= biased + 0.2


def test_turning_the_bias_round_makes_the_cheese_the_goal():
    """The bias, not the reward, sets which of the two equally rewarded goals is learned.

    Notebook 03: "the corner weight ends near 0, the cheese weight around 1, and the agent
    reaches the cheese on ... at least 95% on other seeds"; "all nine agents are perfect".
    """
    for seed in range(720, 725):
        r = gm.run(gm.Config(biased_against="top_right", n_test_levels=300), seed)
        assert r.train.true_goal_rate == 1.0
        assert r.mesa_objective["cheese"] > r.mesa_objective["top_right"] + 0.5
        assert abs(r.mesa_objective["top_right"]) <= 0.1
        assert 0.8 <= r.mesa_objective["cheese"] <= 1.45
        assert r.test.true_goal_rate >= 0.95


def test_without_the_bias_training_learns_both_goals(unbiased):
    """Along the ridge the optimizer raises both weights about equally."""
    for result in unbiased.values():
        cheese, corner = result.mesa_objective["cheese"], result.mesa_objective["top_right"]
        assert result.train.true_goal_rate >= 0.95
        assert cheese > 0.3 and corner > 0.3
        assert 0.4 < cheese / corner < 2.5


def test_notebook_03_at_alpha_zero_on_every_fresh_seed(sweep):
    """Notebook 03, sections 5-7, on seeds it does not use: "every" means every seed here."""
    for seed in SEEDS:
        result = sweep[0.0, seed]
        control = gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)
        assert result.train.true_goal_rate == 1.0  # "on its training levels every agent is perfect"
        assert result.test.cheese_in_view_rate == 1.0
        assert 0.11 <= result.test.true_goal_rate <= 0.2  # "about one level in six or seven"
        assert result.test.proxy_rate == pytest.approx(1 - result.test.true_goal_rate)
        assert result.test.mesa_goal_rate == 1.0  # "reaching its own target every time"
        assert control.true_goal_rate == 1.0  # "reached the cheese on every test level"
        objective = result.mesa_objective
        assert 0.7 <= objective["top_right"] <= 1.35  # "about 1 ... between about 0.7 and 1.35"
        assert abs(objective["cheese"]) <= 0.07  # "close to 0 ... within 0.07 of 0"
        assert all(objective[c] < 0 for c in ("top_left", "bottom_left", "bottom_right"))
        # "the path ... first raises both weights, then the charge pulls the cheese weight back to
        # zero while the corner weight keeps growing"
        path = result.training_weights
        assert path[:, 0].max() >= 0.2 and path[-1, 1] > path[5, 1]


def test_notebook_03_a_little_diversity_on_fresh_seeds(sweep):
    """ "On other seeds that holds from alpha = 0.3 on; at alpha = 0.1 most seeds reach 90% or
    more, but an occasional one stops at 70% to 80%." """
    assert _rates(sweep, 0.3).min() >= 0.95
    at_01 = _rates(sweep, 0.1)
    assert (at_01 >= 0.9).sum() >= len(SEEDS) - 2 and at_01.min() >= 0.7
    for alpha in (0.1, 0.3):  # "the cheese weight rises above the corner weight"
        assert (_weights(sweep, alpha, "cheese") > _weights(sweep, alpha, "top_right")).all()


def test_notebook_03_without_the_bias_on_fresh_seeds(unbiased):
    """ "end of similar size (... neither ends more than about 1.6 times the other)"; "between
    about 30% and 90% of the levels, depending on the seed"."""
    for result in unbiased.values():
        cheese, corner = result.mesa_objective["cheese"], result.mesa_objective["top_right"]
        assert result.train.true_goal_rate == 1.0
        assert 1 / 1.6 <= cheese / corner <= 1.6
        assert 0.25 <= result.test.true_goal_rate <= 0.9


def test_summary_gives_mean_min_max_of_every_measure(sweep):
    runs = [sweep[0.3, s] for s in SEEDS]
    summary = gm.summary(runs)
    rates = _rates(sweep, 0.3)
    assert summary["true_goal_rate"] == pytest.approx(
        {"mean": rates.mean(), "min": rates.min(), "max": rates.max()}
    )
    assert set(summary) >= {"train_true_goal_rate", "proxy_rate", "cheese", "top_right"}
    with pytest.raises(ValueError, match="at least one run"):
        gm.summary([])


# --- underspecification: the (cheese, corner) plane ----------------------------------------------


@pytest.fixture(scope="module")
def plane(sweep):
    return gm.objective_plane(sweep[0.0, SEEDS[0]], values=np.linspace(-0.5, 1.5, 9), n_levels=64)


def test_at_alpha_zero_the_training_return_depends_only_on_the_sum(plane):
    """Every pair with the same cheese + corner earns exactly the same training return."""
    cheese, corner = np.meshgrid(plane.cheese, plane.corner)
    total = np.round(cheese + corner, 9)
    for value in np.unique(total):
        along = plane.train_return[total == value]
        assert np.ptp(along) == 0.0
    assert plane.train_return[total > 0].min() > 0.5
    assert plane.train_return[total <= 0].max() == 0.0


def test_on_the_ridge_the_test_outcome_depends_on_which_weight_is_larger(plane):
    cheese, corner = np.meshgrid(plane.cheese, plane.corner)
    ridge = np.isclose(cheese + corner, 1.0)
    rates = plane.test_true_goal[ridge]
    order = np.argsort(cheese[ridge])
    assert rates[order][0] <= 0.3 and rates[order][-1] >= 0.95
    assert (np.diff(rates[order]) >= -1e-12).all()


def test_the_bias_is_what_the_plane_score_subtracts(plane, sweep):
    result = sweep[0.0, SEEDS[0]]
    cheese = np.meshgrid(plane.cheese, plane.corner)[0]
    cost = result.config.simplicity_bias * np.abs(cheese)
    assert np.allclose(plane.train_return - plane.train_score, cost)


# --- the outer loop and the settings --------------------------------------------------------------


def test_same_seed_same_numbers():
    config = gm.Config(alpha=0.1, n_test_levels=100)
    a, b = gm.run(config, seed=7), gm.run(config, seed=7)
    assert a.mesa_objective == b.mesa_objective
    assert a.test == b.test and a.train == b.train


def test_the_outer_optimizer_never_sees_test_levels():
    small = gm.run(gm.Config(alpha=0.1, n_test_levels=10), seed=3)
    large = gm.run(gm.Config(alpha=0.1, n_test_levels=500), seed=3)
    assert small.mesa_objective == large.mesa_objective


def test_generation_returns_end_at_the_learned_weights():
    result = gm.run(gm.Config(n_test_levels=10), seed=11)
    assert result.training_scores.shape == (result.config.es.generations,)
    assert result.training_weights.shape == (result.config.es.generations + 1, 5)
    returns = gm.generation_returns(result)
    assert returns[0] == 0.0  # all weights 0: the planner wants nothing and stays put
    assert returns[-1] == pytest.approx(result.train.mean_return)


def test_the_prior_charges_only_the_cheese_weight():
    config = gm.Config(simplicity_bias=0.5)
    weights = np.array([[-2.0, 1.0, 1.0, 1.0, 1.0], [0.0, -3.0, 5.0, 0.0, 0.0]])
    assert gm.prior_cost(config, weights).tolist() == [1.0, 0.0]
    assert gm.prior_cost(config.without_bias(), weights).tolist() == [0.0, 0.0]


def test_a_strong_bias_keeps_the_cheese_weight_down_even_with_diverse_levels():
    """The bias is in what the optimizer maximises: made strong, it wins over the data."""
    weak = gm.run(gm.Config(alpha=0.3, n_test_levels=10), seed=14)
    strong = gm.run(gm.Config(alpha=0.3, n_test_levels=10, simplicity_bias=2.0), seed=14)
    assert abs(strong.mesa_objective["cheese"]) < 0.5 * weak.mesa_objective["cheese"]


def test_evaluate_takes_dicts_and_arrays_alike():
    result = gm.run(gm.Config(n_test_levels=40), seed=12)
    as_dict = gm.evaluate(result.config, result.mesa_objective, result.test_levels)
    assert as_dict == result.test
    assert gm.evaluate(result.config, result.weights, result.test_levels) == result.test
    with pytest.raises(ValueError, match=r"unknown features \['chese'\]"):
        gm.evaluate(result.config, {"chese": 1.0}, result.test_levels)


def test_without_bias_changes_only_the_bias():
    config = gm.Config(alpha=0.2, n_test_levels=30, simplicity_bias=0.2)
    control = config.without_bias()
    assert control.simplicity_bias == 0.0 and not control.has_bias and config.has_bias
    assert dataclasses.replace(control, simplicity_bias=0.2) == config


def test_result_carries_the_documented_fields():
    result = gm.run(gm.Config(n_test_levels=50), seed=0)
    assert set(result.mesa_objective) == set(FEATURE_NAMES)
    assert result.test.n_levels == 50 and len(result.test_levels) == 50
    assert 0.0 <= result.test.proxy_rate + result.test.true_goal_rate <= 1.0
    assert result.test.cheese_in_view_rate == 1.0


def test_a_limited_view_blinds_the_intended_goal_too():
    """With sight limited to one cell, even the intended goal rarely finds the cheese:
    that failure would be a capability's, which is why the default shows the cheese."""
    result = gm.run(gm.Config(n_test_levels=300, cheese_radius=1), seed=13)
    control = gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)
    assert control.cheese_in_view_rate < 0.1
    assert control.true_goal_rate < 0.2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.2}, r"alpha must be in \[0, 1\], got 1.2"),
        ({"alpha": -0.5}, r"alpha must be in \[0, 1\], got -0.5"),
        ({"alpha": "0.1"}, r"alpha must be a number in \[0, 1\]"),
        (
            {"simplicity_bias": -0.1},
            r"simplicity_bias must be a finite number in \[0, 10\), got -0.1",
        ),
        ({"simplicity_bias": "high"}, r"simplicity_bias must be a finite number in \[0, 10\)"),
        ({"biased_against": "mouse"}, "biased_against must be one of"),
        ({"size": 3}, "size must be an odd integer >= 5, got 3"),
        ({"size": 12}, "size must be an odd integer >= 5, got 12"),
        ({"cheese_radius": -2}, "cheese_radius must be None or an integer >= 0"),
        ({"n_test_levels": 0}, r"n_test_levels must be an integer in \[1, 20000\], got 0"),
        ({"levels_per_generation": 999}, "levels_per_generation must be <= n_train_levels"),
        ({"gamma": 1.5}, r"gamma must be a finite number in \(0, 1\)"),
        ({"gamma": "0.9"}, r"gamma must be a finite number in \(0, 1\), got '0.9'"),
        ({"n_test_levels": 10**9}, r"n_test_levels must be an integer in \[1, 20000\]"),
    ],
)
def test_bad_config_values_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gm.Config(**kwargs)


def test_es_must_be_an_es_config():
    with pytest.raises(TypeError, match="es must be an ESConfig"):
        gm.Config(es={"generations": 3})


@pytest.mark.parametrize("seed", [1.5, "3", -1, True])
def test_seeds_must_be_non_negative_integers(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        gm.run(gm.Config(n_test_levels=10), seed=seed)


def test_plane_rejects_bad_values():
    result = gm.run(gm.Config(n_test_levels=10), seed=0)
    with pytest.raises(ValueError, match="values must be at least two finite numbers"):
        gm.objective_plane(result, values=[1.0])
    with pytest.raises(ValueError, match="n_levels must be an integer >= 1"):
        gm.objective_plane(result, n_levels=0)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        gm.Config().alpha = 0.5
