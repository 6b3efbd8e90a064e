import numpy as np
import pytest

from mesatoys.optimize import ESConfig, centered_ranks, evolution_strategies


def _quadratic(optimum):
    def fitness(population, generation):
        return -((population - optimum) ** 2).sum(axis=1)

    return fitness


def test_finds_the_maximum_of_a_concave_function():
    optimum = np.array([1.5, -2.0, 0.5])
    config = ESConfig(generations=300, pairs=8, sigma=0.1, learning_rate=0.05, weight_decay=0.0)
    theta, history = evolution_strategies(
        _quadratic(optimum), np.zeros(3), config, np.random.default_rng(0)
    )
    assert np.allclose(theta, optimum, atol=0.1)
    assert history.mean_fitness[-1] > history.mean_fitness[0]
    assert len(history.params) == config.generations + 1


def test_only_sees_scores_so_a_constant_fitness_gives_no_direction():
    config = ESConfig(generations=50, weight_decay=0.0)
    theta, _ = evolution_strategies(
        lambda pop, gen: np.zeros(len(pop)), np.zeros(4), config, np.random.default_rng(0)
    )
    assert np.allclose(theta, 0.0)


def test_weight_decay_shrinks_unused_parameters():
    config = ESConfig(generations=100, weight_decay=0.05)
    theta, _ = evolution_strategies(
        lambda pop, gen: np.zeros(len(pop)), np.ones(2), config, np.random.default_rng(0)
    )
    assert np.all(np.abs(theta) < 0.01)


def test_same_seed_same_result():
    fit = _quadratic(np.ones(2))
    config = ESConfig(generations=20)
    a, _ = evolution_strategies(fit, np.zeros(2), config, np.random.default_rng(3))
    b, _ = evolution_strategies(fit, np.zeros(2), config, np.random.default_rng(3))
    assert np.array_equal(a, b)


def test_centered_ranks():
    assert centered_ranks(np.array([3.0, 1.0, 2.0])).tolist() == [0.5, -0.5, 0.0]
    assert centered_ranks(np.array([1.0, 1.0, 5.0])).tolist() == [-0.25, -0.25, 0.5]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generations": 0}, "generations must be an integer >= 1, got 0"),
        ({"pairs": 2.5}, "pairs must be an integer >= 1, got 2.5"),
        ({"sigma": 0}, "sigma must be > 0"),
        ({"weight_decay": 1.0}, r"weight_decay must be in \[0, 1\)"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ESConfig(**kwargs)
