import numpy as np
import pytest

from mesatoys.optimize import (
    MAX_GENERATIONS,
    MAX_PAIRS,
    Adam,
    ESConfig,
    centered_ranks,
    evolution_strategies,
)


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


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generations": 0}, r"generations must be an integer in \[1, 10000\], got 0"),
        ({"generations": 10**6}, r"generations must be an integer in \[1, 10000\], got 1000000"),
        ({"generations": True}, "generations must be an integer in .*, got True"),
        ({"generations": "40"}, "generations must be an integer in .*, got '40'"),
        ({"pairs": 2.5}, r"pairs must be an integer in \[1, 1000\], got 2.5"),
        ({"pairs": 10**9}, r"pairs must be an integer in \[1, 1000\], got 1000000000"),
        ({"sigma": 0}, "sigma must be a finite number > 0, got 0"),
        ({"sigma": INF}, "sigma must be a finite number > 0, got inf"),
        ({"sigma": NAN}, "sigma must be a finite number > 0, got nan"),
        ({"sigma": -INF}, "sigma must be a finite number > 0, got -inf"),
        ({"sigma": "0.3"}, "sigma must be a finite number > 0, got '0.3'"),
        ({"learning_rate": INF}, "learning_rate must be a finite number > 0, got inf"),
        ({"learning_rate": NAN}, "learning_rate must be a finite number > 0, got nan"),
        ({"learning_rate": -0.1}, "learning_rate must be a finite number > 0, got -0.1"),
        ({"learning_rate": None}, "learning_rate must be a finite number > 0, got None"),
        ({"weight_decay": 1.0}, r"weight_decay must be a finite number in \[0, 1\), got 1.0"),
        ({"weight_decay": -0.01}, r"weight_decay must be a finite number in \[0, 1\)"),
        ({"weight_decay": NAN}, r"weight_decay must be a finite number in \[0, 1\), got nan"),
        ({"weight_decay": "0.1"}, r"weight_decay must be a finite number in \[0, 1\), got '0.1'"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ESConfig(**kwargs)


def test_settings_at_the_limits_and_numpy_numbers_are_accepted():
    ESConfig(generations=MAX_GENERATIONS, pairs=MAX_PAIRS, weight_decay=0.0)
    ESConfig(generations=np.int64(3), pairs=np.int32(2), sigma=np.float32(0.5))


def _constant(population, generation):
    return np.zeros(len(population))


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ({"fitness": "not callable"}, TypeError, "fitness must be callable, got str"),
        ({"config": {"generations": 3}}, TypeError, "config must be an ESConfig, got dict"),
        ({"rng": 0}, TypeError, "rng must be a Generator, got int: 0"),
        ({"initial": np.zeros((2, 2))}, ValueError, "initial must be a 1-D array"),
        ({"initial": [0.0, np.nan]}, ValueError, "initial must be a 1-D array of finite numbers"),
        ({"initial": "ab"}, ValueError, "initial must be a 1-D array"),
        (
            {"fitness": lambda pop, gen: np.zeros(3)},
            ValueError,
            r"fitness must return 4 scores .*got shape \(3,\) at generation 0",
        ),
        (
            {"fitness": lambda pop, gen: np.full(len(pop), np.nan)},
            ValueError,
            r"fitness returned NaN for candidates \[0, 1, 2, 3\] at generation 0",
        ),
        ({"fitness": lambda pop, gen: ["a"] * 4}, ValueError, "fitness must return 4 numbers"),
    ],
)
def test_bad_arguments_to_evolution_strategies(args, error, message):
    call = {
        "fitness": _constant,
        "initial": np.zeros(2),
        "config": ESConfig(generations=2, pairs=2),
        "rng": np.random.default_rng(0),
    }
    call.update(args)
    with pytest.raises(error, match=message):
        evolution_strategies(**call)


def test_infinite_scores_are_ranked_not_refused():
    def fitness(population, generation):
        scores = -(population**2).sum(axis=1)
        scores[0] = -np.inf
        return scores

    theta, history = evolution_strategies(
        fitness, np.ones(2), ESConfig(generations=5, pairs=2), np.random.default_rng(0)
    )
    assert np.isfinite(theta).all() and len(history.params) == 6


# --- Adam ------------------------------------------------------------------------------------


def _reference_adam(theta, grads, lr, wd, sign, betas=(0.9, 0.999), eps=1e-8):
    """Adam with decoupled weight decay, written from the formula (one array, many steps)."""
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g**2
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        theta = theta * (1 - wd) + sign * (lr * m_hat / (np.sqrt(v_hat) + eps))
    return theta


@pytest.mark.parametrize(
    ("maximize", "wd"), [(False, 0.0), (True, 0.0), (True, 0.02), (False, 0.1)]
)
def test_adam_follows_the_formula_exactly(maximize, wd):
    rng = np.random.default_rng(0)
    start = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(25)]
    theta = start.copy()
    opt = Adam([theta], learning_rate=0.05, weight_decay=wd, maximize=maximize)
    for g in grads:
        opt.step([g])
    expected = _reference_adam(start, grads, 0.05, wd, 1.0 if maximize else -1.0)
    assert np.array_equal(theta, expected)
    assert opt.steps == 25


def test_evolution_strategies_steps_as_before_the_shared_adam():
    """ES with the shared Adam gives, bit for bit, what its own Adam ascent step gave."""
    optimum = np.array([1.0, -2.0, 0.5])
    fit = _quadratic(optimum)
    config = ESConfig(generations=30, weight_decay=0.02)
    theta, history = evolution_strategies(fit, np.zeros(3), config, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    ref = np.zeros(3)
    m, v = np.zeros(3), np.zeros(3)
    for generation in range(config.generations):
        noise = rng.standard_normal((config.pairs, 3))
        shaped = centered_ranks(fit(ref + config.sigma * np.concatenate([noise, -noise]), 0))
        g = (shaped[: config.pairs] - shaped[config.pairs :]) @ noise / (2 * config.pairs)
        m = 0.9 * m + (1 - 0.9) * g
        v = 0.999 * v + (1 - 0.999) * g**2
        step = generation + 1
        m_hat, v_hat = m / (1 - 0.9**step), v / (1 - 0.999**step)
        ref = ref * (1 - config.weight_decay) + config.learning_rate * m_hat / (
            np.sqrt(v_hat) + 1e-8
        )
    assert np.array_equal(theta, ref)
    assert np.array_equal(history.params[-1], ref)


def test_adam_descends_a_quadratic_and_updates_every_array_in_place():
    a, b = np.full(3, 5.0), np.full((2, 2), -4.0)
    opt = Adam([a, b], learning_rate=0.1)
    for _ in range(500):
        opt.step([2 * (a - 1.0), 2 * (b + 2.0)])
    np.testing.assert_allclose(a, 1.0, atol=1e-2)
    np.testing.assert_allclose(b, -2.0, atol=1e-2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0.0}, "learning_rate must be a finite number > 0, got 0.0"),
        ({"learning_rate": INF}, "learning_rate must be a finite number > 0, got inf"),
        ({"learning_rate": NAN}, "learning_rate must be a finite number > 0, got nan"),
        ({"learning_rate": "0.1"}, "learning_rate must be a finite number > 0, got '0.1'"),
        ({"betas": (0.9, 1.0)}, r"betas must be two finite numbers in \[0, 1\)"),
        ({"betas": (0.9, NAN)}, r"betas must be two finite numbers in \[0, 1\)"),
        ({"betas": ("0.9", 0.999)}, r"betas must be two finite numbers in \[0, 1\)"),
        ({"betas": (True, 0.999)}, r"betas must be two finite numbers in \[0, 1\)"),
        ({"betas": 0.9}, r"betas must be two finite numbers in \[0, 1\), got 0.9"),
        ({"betas": (0.9,)}, r"betas must be two finite numbers in \[0, 1\)"),
        ({"eps": 0.0}, "eps must be a finite number > 0, got 0.0"),
        ({"eps": INF}, "eps must be a finite number > 0, got inf"),
        ({"weight_decay": 1.0}, r"weight_decay must be a finite number in \[0, 1\), got 1.0"),
        ({"weight_decay": NAN}, r"weight_decay must be a finite number in \[0, 1\), got nan"),
        ({"maximize": "yes"}, "maximize must be True or False, got 'yes'"),
    ],
)
def test_adam_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam([np.zeros(2)], **kwargs)


def test_adam_bad_params_and_grads():
    with pytest.raises(TypeError, match=r"params must be a list of numpy arrays \(wrap one"):
        Adam(np.zeros(2))
    with pytest.raises(TypeError, match="params must be a list of numpy arrays"):
        Adam(3.0)
    with pytest.raises(TypeError, match=r"params\[0\] must be a floating-point numpy array"):
        Adam([np.zeros(2, dtype=int)])
    opt = Adam([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="grads must hold 2 arrays, got 1"):
        opt.step([np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads\[1\] must have shape \(3,\), got \(2,\)"):
        opt.step([np.zeros(2), np.zeros(2)])
