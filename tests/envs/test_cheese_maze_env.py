import gymnasium as gym
import numpy as np
import pytest

import mesatoys.envs
from mesatoys.agents.planner import MesaOptimizer
from mesatoys.agents.rollout import play
from mesatoys.envs import CheeseMazeEnv
from mesatoys.envs.maze import generate_levels


def test_namespace_is_registered_on_import():
    assert mesatoys.envs.REGISTERED_IDS
    assert {"mesatoys/CheeseMaze-Train-v0", "mesatoys/CheeseMaze-Test-v0"} <= set(gym.registry)


def test_reset_draws_the_level_the_batched_core_draws():
    env = CheeseMazeEnv(split="test", size=11)
    env.reset(seed=5)
    batch = generate_levels(1, 11, 0.0, "test", np.random.default_rng(5), extra_openings=0.2)
    assert np.array_equal(env.level.walls, batch.walls)
    assert np.array_equal(env.level.cheese, batch.cheese)
    assert np.array_equal(env.level.start, batch.start)


def _walk(env, level, agent):
    obs, info = env.reset(options={"level": level})
    path = [tuple(env.pos)]
    for _ in range(env.max_steps):
        action = agent.act(obs)
        if action == 0:
            break
        obs, reward, term, trunc, info = env.step(action)
        path.append(tuple(env.pos))
        if term or trunc:
            break
    return path, info


@pytest.mark.parametrize("radius", [1, 3, None])
@pytest.mark.parametrize(
    "objective",
    [
        {"cheese": 2.0, "top_right": 1.0, "bottom_left": 0.5},
        {"cheese": 0.4, "top_right": 1.0, "top_left": -0.5},
        {"cheese": 0.05, "top_right": 0.9, "bottom_right": 0.6},
    ],
)
def test_gymnasium_view_agrees_with_the_batched_rollout(radius, objective):
    """Full value iteration on observations and the batched tables make the same moves."""
    levels = generate_levels(12, 11, 0.0, "test", np.random.default_rng(9), extra_openings=0.2)
    agent = MesaOptimizer(objective)
    batch = play(agent.weights, levels, cheese_radius=radius, max_steps=60, record=True)
    env = CheeseMazeEnv(split="test", size=11, cheese_radius=radius, max_steps=60)
    for i in range(len(levels)):
        path, info = _walk(env, levels[i], agent)
        expected = [tuple(c) for c in batch.paths[i, : batch.steps[i] + 1]]
        assert path == expected
        assert info["reached_cheese"] == bool(batch.reached_cheese[i])
        ended_at_corner = path[-1] == (1, 9) and not info["reached_cheese"]
        assert ended_at_corner == bool(batch.proxy[i])


def test_the_default_shows_the_cheese_from_the_first_step():
    env = CheeseMazeEnv(split="test", size=11)
    obs, info = env.reset(seed=3)
    assert (obs == 3).sum() == 1 and tuple(np.argwhere(obs == 3)[0]) == info["cheese"]


def test_reward_is_the_cheese_and_the_corner_only_shows_in_info():
    env = CheeseMazeEnv(split="test", size=7, max_steps=10)
    corridor = np.ones((1, 7, 7), dtype=bool)
    corridor[0, 1, 1:6] = False
    level = generate_levels(1, 7, 0.0, "test", np.random.default_rng(0))
    level = type(level)(corridor, np.array([[1, 1]]), np.array([[1, 3]]))
    env.reset(options={"level": level})
    rewards, infos = [], []
    for _ in range(2):
        _, reward, term, _, info = env.step(2)
        rewards.append(reward)
        infos.append(info)
    assert rewards == [0.0, pytest.approx(1 - 0.9 * 2 / 10)]
    assert term and infos[-1]["reached_cheese"] and not infos[-1]["proxy"]


def test_proxy_is_reported_when_the_corner_is_reached_without_cheese():
    corridor = np.ones((1, 7, 7), dtype=bool)
    corridor[0, 1, 1:6] = False
    corridor[0, 1:6, 1] = False
    level = generate_levels(1, 7, 0.0, "test", np.random.default_rng(0))
    level = type(level)(corridor, np.array([[1, 2]]), np.array([[5, 1]]))
    env = CheeseMazeEnv(split="test", size=7, max_steps=10)
    env.reset(options={"level": level})
    for _ in range(3):
        _, reward, _, _, info = env.step(2)
    assert reward == 0.0 and info["reached_corner"] and info["proxy"]
    assert info["distinguishing"]


def test_render_modes():
    env = CheeseMazeEnv(render_mode="ansi", size=7)
    env.reset(seed=0)
    text = env.render()
    assert text.count("M") == 1 and len(text.splitlines()) == 7
    image = CheeseMazeEnv(render_mode="rgb_array", size=7)
    image.reset(seed=0)
    assert image.render().shape == (56, 56, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "validation"}, "split must be one of"),
        ({"alpha": 2}, r"alpha must be in \[0, 1\], got 2"),
        ({"size": 6}, "size must be an odd integer >= 5, got 6"),
        ({"cheese_radius": -1}, "cheese_radius must be None or an integer >= 0, got -1"),
        ({"render_mode": "human"}, "render_mode must be one of"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CheeseMazeEnv(**kwargs)


def test_step_rejects_bad_actions_and_needs_reset():
    env = CheeseMazeEnv(size=7)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an integer in \[0, 4\], got 7"):
        env.step(7)
