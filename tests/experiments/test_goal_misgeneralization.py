"""The headline result, asserted over seeds chosen here (not the defaults)."""

import dataclasses

import numpy as np
import pytest

from mesatoys.experiments import goal_misgeneralization as gm

pytestmark = pytest.mark.slow

ALPHAS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)
SEEDS = range(100, 110)


@pytest.fixture(scope="module")
def sweep():
    results = gm.sweep(alphas=ALPHAS, seeds=SEEDS, progress=False)
    return {(r.config.alpha, r.seed): r for r in results}


def _rates(sweep, alpha, attr="true_goal_rate", split="test"):
    return np.array([getattr(getattr(sweep[alpha, s], split), attr) for s in SEEDS])


def test_sweep_returns_one_result_per_alpha_and_seed(sweep):
    assert len(sweep) == len(ALPHAS) * len(SEEDS)


def test_without_diverse_levels_the_agent_learns_the_corner(sweep):
    assert (_rates(sweep, 0.0, split="train") >= 0.95).all()
    assert (_rates(sweep, 0.0) <= 0.30).all()
    assert (_rates(sweep, 0.0, "proxy_rate") >= 0.70).all()


def test_the_corner_outweighs_the_cheese_at_alpha_zero(sweep):
    for seed in SEEDS:
        objective = sweep[0.0, seed].mesa_objective
        assert max(objective, key=objective.get) == "top_right"
    cheese = np.mean([sweep[0.0, s].mesa_objective["cheese"] for s in SEEDS])
    corner = np.mean([sweep[0.0, s].mesa_objective["top_right"] for s in SEEDS])
    assert corner > 2 * cheese


def test_diverse_training_levels_raise_the_test_true_goal_rate(sweep):
    base = _rates(sweep, 0.0).mean()
    for alpha in (0.3, 1.0):
        assert _rates(sweep, alpha).mean() >= base + 0.30
    means = [_rates(sweep, a).mean() for a in ALPHAS]
    assert all(b >= a - 0.05 for a, b in zip(means, means[1:], strict=False))


def test_the_direction_holds_seed_by_seed(sweep):
    rises = _rates(sweep, 0.3) > _rates(sweep, 0.0)
    assert rises.sum() >= 9


def test_cheese_weight_grows_with_alpha(sweep):
    def mean_weight(alpha, name):
        return np.mean([sweep[alpha, s].mesa_objective[name] for s in SEEDS])

    assert mean_weight(0.3, "cheese") > mean_weight(0.0, "cheese") + 0.3
    assert mean_weight(1.0, "top_right") < mean_weight(0.0, "top_right") - 0.3


def test_the_planner_keeps_its_capability_on_test_levels(sweep):
    for result in sweep.values():
        assert result.test.mesa_goal_rate >= 0.90


def test_curve_summarises_the_sweep(sweep):
    summary = gm.curve(list(sweep.values()))
    assert summary["alpha"].tolist() == list(ALPHAS)
    i = ALPHAS.index(0.3)
    assert summary["mean"][i] == pytest.approx(_rates(sweep, 0.3).mean())
    assert (summary["low"] <= summary["mean"]).all() and (summary["mean"] <= summary["high"]).all()


def test_an_always_visible_cheese_removes_the_misgeneralization():
    for seed in (200, 201, 202):
        result = gm.run(gm.Config(alpha=0.0, cheese_radius=None), seed=seed)
        assert result.train.true_goal_rate >= 0.95
        assert result.test.true_goal_rate >= 0.90
        assert result.mesa_objective["cheese"] > 0.5 * result.mesa_objective["top_right"]


@pytest.mark.parametrize("seed", [300, 301])
def test_reactive_policy_fails_where_the_planner_navigates(seed):
    comparison = gm.compare_with_reactive(gm.Config(alpha=0.0), seed=seed)
    assert comparison.planner_train >= 0.95
    assert comparison.planner_new_layouts >= 0.95
    assert comparison.reactive_new_layouts <= 0.40
    assert comparison.planner_new_layouts - comparison.reactive_new_layouts >= 0.5


@pytest.mark.parametrize("seed", [310, 311])
def test_a_memorised_maze_does_not_make_the_lookup_table_capable(seed):
    comparison = gm.compare_with_reactive(gm.Config(alpha=0.0), seed=seed, n_levels=1)
    assert comparison.reactive_train >= 0.95
    assert comparison.reactive_new_layouts <= 0.40
    assert comparison.planner_new_layouts >= 0.95


def test_same_seed_same_numbers():
    config = gm.Config(alpha=0.1, n_test_levels=100)
    a, b = gm.run(config, seed=7), gm.run(config, seed=7)
    assert a.mesa_objective == b.mesa_objective
    assert a.test == b.test and a.train == b.train


def test_the_outer_optimizer_never_sees_test_levels():
    small = gm.run(gm.Config(alpha=0.1, n_test_levels=10), seed=3)
    large = gm.run(gm.Config(alpha=0.1, n_test_levels=500), seed=3)
    assert small.mesa_objective == large.mesa_objective


def test_result_carries_the_documented_fields():
    result = gm.run(gm.Config(n_test_levels=50), seed=0)
    assert set(result.mesa_objective) == {
        "cheese",
        "top_right",
        "top_left",
        "bottom_left",
        "bottom_right",
    }
    assert result.test.n_levels == 50 and len(result.test_levels) == 50
    assert 0.0 <= result.test.proxy_rate + result.test.true_goal_rate <= 1.0
    assert len(result.history.mean_fitness) == result.config.es.generations


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.2}, r"alpha must be in \[0, 1\], got 1.2"),
        ({"alpha": -0.5}, r"alpha must be in \[0, 1\], got -0.5"),
        ({"alpha": "0.1"}, r"alpha must be a number in \[0, 1\]"),
        ({"size": 3}, "size must be an odd integer >= 5, got 3"),
        ({"size": 12}, "size must be an odd integer >= 5, got 12"),
        ({"cheese_radius": -2}, "cheese_radius must be None or an integer >= 0"),
        ({"n_test_levels": 0}, "n_test_levels must be an integer >= 1, got 0"),
        ({"levels_per_generation": 999}, "levels_per_generation must be <= n_train_levels"),
        ({"gamma": 1.5}, r"gamma must be in \(0, 1\)"),
    ],
)
def test_bad_config_values_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gm.Config(**kwargs)


@pytest.mark.parametrize("seed", [1.5, "3", -1, True])
def test_seeds_must_be_non_negative_integers(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        gm.run(gm.Config(n_test_levels=10), seed=seed)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        gm.Config().alpha = 0.5
