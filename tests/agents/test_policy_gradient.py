"""The policy-gradient network: its gradient against finite differences, its structured first
layer against the dense one, its rollouts on hand-made levels, and its checks."""

import numpy as np
import pytest

from mesatoys.agents.network import MLP, log_softmax, softmax
from mesatoys.agents.policy_gradient import MOVE_ACTIONS, PolicyNetwork, _sample
from mesatoys.agents.reactive import observation_planes
from mesatoys.envs import CheeseMazeEnv
from mesatoys.envs.maze import LevelBatch, base_return, generate_levels

SIZE = 7


def _room(n, alpha=0.3, seed=0, split="train"):
    return generate_levels(n, SIZE, alpha, split, np.random.default_rng(seed), layout="room",
                           obstacles=2)  # fmt: skip


def _hand_policy(hidden=4, seed=0, dtype=np.float64):
    """An 'untrained' policy with random weights, usable without fitting."""
    policy = PolicyNetwork(hidden=hidden)
    rng = np.random.default_rng(seed)
    policy.network_ = MLP.init([3 * (SIZE - 2) ** 2, hidden, 4], rng, dtype=dtype)
    for b in policy.network_.biases:
        b[:] = rng.standard_normal(b.shape) * 0.1
    policy.value_ = rng.standard_normal(hidden + 1).astype(dtype) * 0.3
    policy.size_ = SIZE
    return policy


def _dense_inputs(levels, played):
    """The network's input for every decision, built from the observation as the env shows it."""
    grids = levels.walls[played.episode].astype(np.int8)
    rows = np.arange(len(grids))
    grids[rows, levels.cheese[played.episode, 0], levels.cheese[played.episode, 1]] = 3
    cells = np.stack(np.divmod(played.agent, SIZE - 2), axis=1) + 1
    grids[rows, cells[:, 0], cells[:, 1]] = 2
    return observation_planes(grids).astype(np.float64)


def _surrogate(policy, x, played, max_steps, advantage):
    """The loss whose gradient REINFORCE follows, with the advantage held fixed."""
    net = policy.network_
    logits, (h,) = net.forward(x, return_hidden=True)
    value = h @ policy.value_[:-1] + policy.value_[-1]
    to_go = played.steps[played.episode] - 1 - played.time
    target = played.returns[played.episode] * policy.discount**to_go
    logp = log_softmax(logits)
    k = len(x)
    chosen = logp[np.arange(k), played.move]
    entropy = -(np.exp(logp) * logp).sum(axis=1)
    return (
        -(advantage * chosen).sum() / k
        - policy.entropy_bonus * entropy.sum() / k
        + policy.value_weight * ((value - target) ** 2).sum() / k
    )


def test_the_gradient_matches_finite_differences_of_the_loss():
    policy = _hand_policy()
    levels = _room(6)
    played = policy.play(levels, 12, np.random.default_rng(1))
    played_returns = np.where(np.arange(6) % 2 == 0, 0.7, 0.0)  # give half the episodes a return
    played = type(played)(**{**played.__dict__, "returns": played_returns})
    grads = policy._gradients(levels, played)
    x = _dense_inputs(levels, played)
    net = policy.network_
    _, (h,) = net.forward(x, return_hidden=True)
    value = h @ policy.value_[:-1] + policy.value_[-1]
    to_go = played.steps[played.episode] - 1 - played.time
    advantage = played.returns[played.episode] * policy.discount**to_go - value
    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    params = [*net.params, policy.value_]
    for p, g in zip(params, grads, strict=True):
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + 1e-6
            up = _surrogate(policy, x, played, 12, advantage)
            p[i] = old - 1e-6
            down = _surrogate(policy, x, played, 12, advantage)
            p[i] = old
            numeric[i] = (up - down) / 2e-6
        np.testing.assert_allclose(g, numeric, rtol=1e-3, atol=1e-5)


def test_the_structured_first_layer_is_the_dense_one_on_env_observations():
    policy = _hand_policy(hidden=8, dtype=np.float32)
    levels = _room(5, split="test")
    env = CheeseMazeEnv(split="test", size=SIZE, layout="room", obstacles=2)
    for i in range(len(levels)):
        obs, _ = env.reset(options={"level": levels[i]})
        w0, b0 = policy.network_.weights[0], policy.network_.biases[0]
        dense = np.maximum(observation_planes(obs) @ w0 + b0, 0)
        structured = policy.activations(levels[i], levels.start[i : i + 1])[0]
        np.testing.assert_allclose(structured, dense, rtol=1e-5, atol=1e-6)
        without = policy.activations(levels[i], levels.start[i : i + 1], cheese=False)[0]
        no_cheese = obs.copy()
        no_cheese[no_cheese == 3] = 0
        np.testing.assert_allclose(
            without, np.maximum(observation_planes(no_cheese) @ w0 + b0, 0),
            rtol=1e-5, atol=1e-6,
        )  # fmt: skip
        logits = structured @ policy.network_.weights[1] + policy.network_.biases[1]
        np.testing.assert_allclose(policy.logits_of(obs), logits, rtol=1e-5, atol=1e-6)


def _always(move: int) -> PolicyNetwork:
    """A policy that makes one move with probability ~1 (a huge output bias)."""
    policy = _hand_policy()
    policy.network_.weights[1][:] = 0.0
    policy.network_.biases[1][:] = -50.0
    policy.network_.biases[1][move] = 50.0
    return policy


def test_an_episode_ends_on_the_cheese_with_the_base_return():
    walls = np.ones((1, SIZE, SIZE), dtype=bool)
    walls[0, 1, 1:6] = False
    level = LevelBatch(walls, np.array([[1, 1]]), np.array([[1, 3]]))
    played = _always(1).play(level, 10, np.random.default_rng(0), record=True)  # right
    assert played.reached_cheese[0] and not played.reached_corner_first[0]
    assert played.steps[0] == 2 and played.returns[0] == pytest.approx(base_return(2, 10))
    assert played.paths[0, :4].tolist() == [[1, 1], [1, 2], [1, 3], [1, 3]]
    assert played.time.tolist() == [0, 1] and (MOVE_ACTIONS[played.move] == 2).all()


def test_the_corner_first_is_reported_and_the_episode_runs_to_its_limit():
    walls = np.ones((1, SIZE, SIZE), dtype=bool)
    walls[0, 1, 1:6] = False
    walls[0, 1:6, 1] = False
    level = LevelBatch(walls, np.array([[1, 2]]), np.array([[5, 1]]))
    played = _always(1).play(level, 8, np.random.default_rng(0), record=True)
    assert played.reached_corner_first[0] and not played.reached_cheese[0]
    assert played.steps[0] == 8 and played.returns[0] == 0.0
    assert played.final_pos[0].tolist() == [1, 5]


def test_the_corner_holding_the_cheese_is_not_the_proxy():
    walls = np.ones((1, SIZE, SIZE), dtype=bool)
    walls[0, 1, 1:6] = False
    level = LevelBatch(walls, np.array([[1, 1]]), np.array([[1, 5]]))
    played = _always(1).play(level, 8, np.random.default_rng(0))
    assert played.reached_cheese[0] and not played.reached_corner_first[0]


def test_moves_are_sampled_with_the_softmax_probabilities():
    logits = np.array([[0.5, -1.0, 2.0, 0.0]], dtype=np.float32)
    moves = _sample(np.repeat(logits, 100_000, axis=0), np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(moves, minlength=4) / 1e5, softmax(logits)[0],
                               atol=0.005)  # fmt: skip


def test_a_shift_is_added_to_the_hidden_layer():
    policy = _hand_policy(hidden=4, dtype=np.float32)
    policy.network_.weights[1][:] = 0.0
    policy.network_.weights[1][0, 1] = 100.0  # hidden unit 0 votes for "right"
    policy.network_.biases[1][:] = [10.0, 0.0, 0.0, 0.0]  # otherwise "up"
    policy.network_.weights[0][:] = -10.0  # every hidden unit off
    walls = np.ones((1, SIZE, SIZE), dtype=bool)
    walls[0, 1, 1:6] = False
    level = LevelBatch(walls, np.array([[1, 1]]), np.array([[1, 3]]))
    assert not policy.play(level, 5, np.random.default_rng(0)).reached_cheese[0]
    on = np.array([1.0, 0, 0, 0])
    assert policy.play(level, 5, np.random.default_rng(0), shift=on).reached_cheese[0]


def test_fitting_is_deterministic_and_leaves_unseen_cheese_weights_alone():
    def draw(n, rng):
        return generate_levels(n, SIZE, 0.0, "train", rng, layout="room", obstacles=2)

    a = PolicyNetwork(updates=4, episodes_per_update=16).fit(draw, 12, np.random.default_rng(3))
    b = PolicyNetwork(updates=4, episodes_per_update=16).fit(draw, 12, np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a.network_.params, b.network_.params,
                                                   strict=True))  # fmt: skip
    assert a.success_curve_.shape == a.return_curve_.shape == (4,)
    m = (SIZE - 2) ** 2
    moved = (a.network_.weights[0] != a.initial_network_.weights[0]).any(axis=1)
    corner = SIZE - 3  # the corner's interior index
    assert moved[2 * m + corner] and moved.sum() > m
    assert not np.delete(moved[2 * m :], corner).any()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden": 0}, r"hidden must be an integer in \[1, 1024\], got 0"),
        ({"updates": -1}, r"updates must be an integer in \[0, 100000\], got -1"),
        ({"episodes_per_update": 2.5}, "episodes_per_update must be an integer"),
        ({"learning_rate": 0.0}, r"learning_rate must be a finite number in \(0, 1\)"),
        ({"discount": 1.5}, r"discount must be a finite number in \(0, 1\]"),
        ({"entropy_bonus": -0.1}, "entropy_bonus must be a finite number >= 0"),
        ({"value_weight": float("nan")}, "value_weight must be a finite number >= 0"),
    ],
)
def test_bad_hyper_parameters_name_themselves(params, message):
    with pytest.raises(ValueError, match=message):
        PolicyNetwork(**params).fit(lambda n, rng: _room(n), 10, np.random.default_rng(0))


def test_bad_calls_are_refused_with_a_reason():
    policy = PolicyNetwork()
    with pytest.raises(RuntimeError, match="must be trained first"):
        policy.play(_room(2), 10, np.random.default_rng(0))
    fitted = _hand_policy(hidden=4, dtype=np.float32)
    with pytest.raises(ValueError, match="levels must be 7 x 7 grids"):
        fitted.play(generate_levels(2, 9, 0.0, "test", np.random.default_rng(0)), 10,
                    np.random.default_rng(0))  # fmt: skip
    with pytest.raises(ValueError, match=r"shift must be None or finite numbers of shape \(4,\)"):
        fitted.play(_room(2), 10, np.random.default_rng(0), shift=np.ones(3))
    with pytest.raises(TypeError, match="rng must be a Generator"):
        fitted.play(_room(2), 10, rng=3)
    with pytest.raises(ValueError, match="max_steps must be an integer"):
        fitted.play(_room(2), 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="observation must be a 7 x 7 grid"):
        fitted.logits_of(np.zeros((9, 9)))
    with pytest.raises(ValueError, match="levels must be a non-empty LevelBatch"):
        PolicyNetwork(updates=1).fit(lambda n, rng: "levels", 10, np.random.default_rng(0))
