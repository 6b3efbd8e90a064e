"""Keys and chests: results asserted over seeds chosen here."""

import dataclasses

import numpy as np
import pytest

from mesatoys.experiments import keys_and_chests as kc

pytestmark = pytest.mark.slow

SEEDS = range(50, 56)


@pytest.fixture(scope="module")
def runs():
    settings = {
        "kinds": {},
        "kinds+surplus": {"surplus_fraction": 0.3},
        "aware+surplus": {"inventory_aware": True, "surplus_fraction": 0.3},
    }
    return {
        name: kc.sweep(kc.Config(**changes), SEEDS, progress=False)
        for name, changes in settings.items()
    }


def _values(results, get):
    return np.array([get(r) for r in results])


def test_training_opens_the_chests_the_keys_allow(runs):
    for results in runs.values():  # notebook 03: "every version opens (nearly) every chest"
        assert (_values(results, lambda r: r.train.chest_rate) >= 0.95).all()


def test_keys_are_valued_above_chests(runs):
    for result in runs["kinds"]:  # notebook 03: "several times the chest weight"
        assert result.mesa_objective["key"] > 3 * result.mesa_objective["chest"]


def test_at_test_the_agent_collects_keys_it_does_not_need(runs):
    keys_per_chest = _values(runs["kinds"], lambda r: r.test.keys_per_chest)
    assert (keys_per_chest >= 2.5).all()  # the base objective needs 1
    assert (keys_per_chest <= 3.6).all()  # notebook 03: "about 3 keys for every chest"
    assert (_values(runs["kinds"], lambda r: r.test.keys_collected) >= 8.5).all()  # "nearly all"


def test_diverse_levels_alone_cannot_fix_an_objective_that_cannot_express_the_fix(runs):
    surplus = _values(runs["kinds+surplus"], lambda r: r.test.keys_per_chest)
    assert (surplus >= 2.5).all()
    plain = _values(runs["kinds"], lambda r: r.test.keys_per_chest)
    assert np.abs(surplus - plain).max() <= 0.1  # notebook 03: "exactly as key-hungry"


def test_an_inventory_aware_objective_with_diverse_levels_learns_the_instrumental_goal(runs):
    fixed = runs["aware+surplus"]
    assert _values(fixed, lambda r: r.test.keys_per_chest).mean() <= 1.8
    assert all(r.mesa_objective["spare_key"] < 0 for r in fixed)
    for r in fixed:  # notebook 03: "a large one on 'chest while holding a key'"
        assert r.mesa_objective["usable_chest"] > max(1.0, r.mesa_objective["chest"])
        assert 1.3 <= r.test.keys_per_chest <= 1.7  # "about 1.5 keys per chest"
    stuck = _values(runs["kinds"], lambda r: r.test.mean_return).mean()
    assert _values(fixed, lambda r: r.test.mean_return).mean() > stuck + 0.4


def test_the_intended_goal_with_the_same_planner_does_not_hoard(runs):
    for result in runs["kinds"]:
        train = kc.evaluate(result.config, kc.INTENDED_OBJECTIVE, result.train_levels)
        test = kc.evaluate(result.config, kc.INTENDED_OBJECTIVE, result.test_levels)
        assert train.chest_rate == test.chest_rate == 1.0
        assert test.keys_per_chest <= 1.7  # only keys lying on its routes
        assert test.mean_return > result.test.mean_return + 0.5
    for learned in runs["aware+surplus"]:
        control = kc.evaluate(learned.config, kc.INTENDED_OBJECTIVE, learned.test_levels)
        assert abs(learned.test.mean_return - control.mean_return) <= 0.05
        assert abs(learned.test.keys_per_chest - control.keys_per_chest) <= 0.1


def test_evaluate_rejects_an_unknown_feature(runs):
    result = runs["kinds"][0]
    with pytest.raises(ValueError, match="unknown features"):
        kc.evaluate(result.config, {"gold": 1.0}, result.test_levels)


def test_same_seed_same_numbers():
    config = kc.Config(n_test_levels=50)
    a, b = kc.run(config, seed=1), kc.run(config, seed=1)
    assert a.mesa_objective == b.mesa_objective and a.test == b.test


def test_summary_and_the_shape_of_a_result():
    runs = kc.sweep(kc.Config(n_test_levels=20, n_train_levels=32), seeds=(1, 2), progress=False)
    summary = kc.summary(runs)
    rates = [r.test.keys_per_chest for r in runs]
    assert summary["keys_per_chest"] == pytest.approx(
        {"mean": np.mean(rates), "min": min(rates), "max": max(rates)}
    )
    assert {"key", "chest", "train_chest_rate"} <= set(summary)
    rebuilt = dataclasses.replace(runs[0])  # no cached levels: drawn again
    assert np.array_equal(rebuilt.test_levels.walls, runs[0].test_levels.walls)
    assert runs[0].training_weights.shape == (31, 2)
    with pytest.raises(TypeError, match="config must be a keys_and_chests.Config"):
        kc.run({"size": 11})


def test_surplus_levels_are_laid_out_like_test_levels():
    train, _ = kc.make_levels(kc.Config(surplus_fraction=0.25, n_train_levels=100), seed=0)
    assert (train.n_keys == 10).sum() == 25 and (train.n_keys == 3).sum() == 75


def test_the_objective_names_only_the_features_it_may_weigh():
    assert set(kc.run(kc.Config(n_test_levels=10), 0).mesa_objective) == {"key", "chest"}
    aware = kc.Config(inventory_aware=True, n_test_levels=10)
    assert set(kc.run(aware, 0).mesa_objective) == {"key", "chest", "usable_chest", "spare_key"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"surplus_fraction": 2.0}, r"surplus_fraction must be in \[0, 1\], got 2.0"),
        ({"inventory_aware": "yes"}, "inventory_aware must be True or False"),
        ({"size": 4}, "size must be an odd integer"),
        ({"size": 7}, "size must be at least 9"),
        ({"gamma": "0.9"}, r"gamma must be a finite number in \(0, 1\), got '0.9'"),
        ({"gamma": float("nan")}, "gamma must be a finite number"),
        ({"max_steps": 0}, r"max_steps must be an integer in \[1, 10000\], got 0"),
        ({"levels_per_generation": 500}, "levels_per_generation must be <= n_train_levels"),
    ],
)
def test_bad_config_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        kc.Config(**kwargs)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        kc.Config().size = 9
