"""The batched core as a Gymnasium VectorEnv: registered, checked, agreeing with the single env."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from mesatoys.envs import REGISTERED_IDS, VECTOR_IDS, CheeseMazeEnv
from mesatoys.envs.maze import LevelBatch, generate_levels
from mesatoys.envs.vector import INFO_KEYS, CheeseMazeVectorEnv


def _corridor(cheese_col: int = 3) -> LevelBatch:
    """One 7 x 7 level: a corridor along row 1, mouse at (1, 1), cheese at (1, cheese_col)."""
    walls = np.ones((1, 7, 7), dtype=bool)
    walls[0, 1, 1:6] = False
    return LevelBatch(walls, np.array([[1, 1]]), np.array([[1, cheese_col]]))


def _stack(*levels: LevelBatch) -> LevelBatch:
    return LevelBatch(*(np.concatenate(parts) for parts in zip(
        *((lv.walls, lv.start, lv.cheese) for lv in levels), strict=True)))  # fmt: skip


def test_every_cheese_id_has_the_vector_entry_point():
    assert set(VECTOR_IDS) == {i for i in REGISTERED_IDS if "Cheese" in i}
    for env_id in VECTOR_IDS:
        envs = gym.make_vec(env_id, num_envs=3)  # the vector entry point is the default
        base = envs.unwrapped
        assert isinstance(base, CheeseMazeVectorEnv) and base.num_envs == 3
        single = gym.make(env_id).unwrapped
        for name in ("split", "alpha", "size", "layout", "max_steps", "extra_openings"):
            assert getattr(base, name) == getattr(single, name), (env_id, name)
        assert base.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP


@pytest.mark.parametrize("env_id", VECTOR_IDS)
def test_observations_stay_in_the_space_and_the_data_is_fresh(env_id):
    envs = gym.make_vec(env_id, num_envs=5)
    obs, info = envs.reset(seed=1)
    envs.action_space.seed(1)
    assert obs in envs.observation_space and set(INFO_KEYS) <= set(info)
    for _ in range(120):
        previous = obs.copy()
        kept = obs
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert obs in envs.observation_space
        assert np.array_equal(kept, previous)  # no returned array is written again
        assert reward.shape == terminated.shape == truncated.shape == (5,)
        assert all(info[f"_{key}"].all() for key in INFO_KEYS)


@pytest.mark.parametrize("layout", ["maze", "room"])
def test_reset_plays_the_levels_the_batched_core_draws(layout):
    envs = CheeseMazeVectorEnv(num_envs=6, split="test", size=9, layout=layout)
    obs, info = envs.reset(seed=21)
    core = generate_levels(
        6, 9, 0.0, "test", np.random.default_rng(21), extra_openings=0.2, layout=layout
    )
    assert np.array_equal(envs.levels.walls, core.walls)
    assert np.array_equal(info["cheese"], core.cheese)
    assert np.array_equal(np.argwhere(obs == 2)[:, 1:], core.start)


@pytest.mark.parametrize("env_id", VECTOR_IDS)
def test_same_seed_gives_identical_rollouts(env_id):
    def rollout():
        envs = gym.make_vec(env_id, num_envs=4)
        trace = [envs.reset(seed=5)[0]]
        for row in np.random.default_rng(5).integers(0, 5, (150, 4)):
            obs, reward, terminated, truncated, _ = envs.step(row)
            trace += [obs, reward, terminated, truncated]
        return trace

    assert all(np.array_equal(a, b) for a, b in zip(rollout(), rollout(), strict=True))


@pytest.mark.parametrize(
    ("layout", "size", "radius"), [("maze", 11, None), ("maze", 11, 1), ("room", 9, None)]
)
def test_each_level_steps_exactly_as_the_single_env(layout, size, radius):
    """Same levels, same actions: the same observations, rewards, ends and info, episode 1."""
    n, limit = 8, 30
    levels = generate_levels(n, size, 0.0, "test", np.random.default_rng(2), layout=layout,
                             extra_openings=0.2)  # fmt: skip
    kwargs = {"split": "test", "size": size, "layout": layout, "cheese_radius": radius,
              "max_steps": limit}  # fmt: skip
    envs = CheeseMazeVectorEnv(num_envs=n, **kwargs)
    obs, info = envs.reset(options={"levels": levels})
    singles = [CheeseMazeEnv(**kwargs) for _ in range(n)]
    firsts = [env.reset(options={"level": levels[i]}) for i, env in enumerate(singles)]
    for i, (o, inf) in enumerate(firsts):
        assert np.array_equal(obs[i], o) and info["cheese"][i].tolist() == list(inf["cheese"])
    live = np.ones(n, dtype=bool)
    for row in np.random.default_rng(3).integers(0, 5, (limit, n)):
        obs, reward, terminated, truncated, info = envs.step(row)
        for i in np.flatnonzero(live):
            o, r, term, trunc, inf = singles[i].step(int(row[i]))
            assert np.array_equal(obs[i], o)
            assert (reward[i], terminated[i], truncated[i]) == (r, term, trunc)
            for key in ("reached_cheese", "reached_corner", "proxy", "distinguishing"):
                assert info[key][i] == inf[key], key
            live[i] = not (term or trunc)
    assert not live.all()  # some episodes ended on the way


def test_an_ended_level_is_replaced_on_the_next_step_and_its_action_ignored():
    levels = _stack(_corridor(3), _corridor(5))
    envs = CheeseMazeVectorEnv(num_envs=2, split="test", size=7, max_steps=10)
    envs.reset(seed=0, options={"levels": levels})
    for _ in range(2):
        obs, reward, terminated, truncated, info = envs.step(np.array([2, 2]))
    assert terminated.tolist() == [True, False] and reward[0] == pytest.approx(1 - 0.9 * 2 / 10)
    assert info["reached_cheese"].tolist() == [True, False]
    obs, reward, terminated, truncated, info = envs.step(np.array([4, 2]))
    assert reward[0] == 0.0 and not terminated[0] and not truncated[0]
    assert not np.array_equal(envs.levels.walls[0], levels.walls[0])  # a new level
    assert np.array_equal(obs[0] == 2, _agent(envs.levels.start[0], 7))  # at its start
    assert envs.steps.tolist() == [0, 3]
    obs, reward, terminated, truncated, info = envs.step(np.array([0, 2]))
    assert terminated[1] and envs.steps[0] == 1


def _agent(cell, size):
    grid = np.zeros((size, size), dtype=bool)
    grid[tuple(cell)] = True
    return grid


def test_a_truncated_level_is_replaced_too():
    envs = CheeseMazeVectorEnv(num_envs=1, split="test", size=7, max_steps=3)
    envs.reset(options={"levels": _corridor(5)})
    for _ in range(3):
        _, _, terminated, truncated, info = envs.step(np.array([0]))
    assert truncated[0] and not terminated[0] and not info["reached_cheese"][0]
    envs.step(np.array([0]))
    assert envs.steps[0] == 0


def test_the_corner_is_reported_as_in_the_single_env():
    walls = np.ones((1, 7, 7), dtype=bool)
    walls[0, 1, 1:6] = False
    walls[0, 1:6, 1] = False
    level = LevelBatch(walls, np.array([[1, 2]]), np.array([[5, 1]]))
    envs = CheeseMazeVectorEnv(num_envs=1, split="test", size=7, max_steps=10)
    envs.reset(options={"levels": level})
    for _ in range(3):
        _, reward, _, _, info = envs.step(np.array([2]))
    assert reward[0] == 0.0 and info["reached_corner"][0] and info["proxy"][0]
    assert info["distinguishing"][0]


def test_render_gives_one_frame_per_level():
    text = CheeseMazeVectorEnv(num_envs=2, size=7, render_mode="ansi")
    text.reset(seed=0)
    frames = text.render()
    assert len(frames) == 2 and all(f.count("M") == 1 for f in frames)
    image = CheeseMazeVectorEnv(num_envs=3, size=7, render_mode="rgb_array")
    image.reset(seed=0)
    assert [f.shape for f in image.render()] == [(56, 56, 3)] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_envs": 0}, r"num_envs must be an integer in \[1, "),
        ({"num_envs": 2.0}, "num_envs must be an integer"),
        ({"split": "validation"}, "split must be one of"),
        ({"alpha": -0.1}, r"alpha must be in \[0, 1\], got -0.1"),
        ({"size": 8}, "size must be an odd integer >= 5, got 8"),
        ({"layout": "cave"}, "layout must be one of"),
        ({"render_mode": "human"}, "render_mode must be one of"),
        ({"max_steps": 0}, r"max_steps must be None or an integer >= 1, got 0"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CheeseMazeVectorEnv(**kwargs)


@pytest.mark.parametrize(
    "actions",
    [np.array([1, 2]), np.array([1, 2, 5]), np.array([1.0, 2.0, 3.0]), [1, 2, -1], "up"],
)
def test_bad_actions_name_what_is_allowed(actions):
    envs = CheeseMazeVectorEnv(num_envs=3, size=7)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must be 3 integers in \[0, 4\] \(one per"):
        envs.step(actions)


def test_step_needs_a_reset_and_options_are_checked():
    envs = CheeseMazeVectorEnv(num_envs=2, size=7)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.array([0, 0]))
    with pytest.raises(ValueError, match=r"options has unknown keys \['level'\]"):
        envs.reset(options={"level": _corridor()})
    with pytest.raises(ValueError, match="must be a LevelBatch of 2 levels of size 7, got a "):
        envs.reset(options={"levels": _corridor()})
    with pytest.raises(ValueError, match="must be a LevelBatch of 2 levels of size 7, got str"):
        envs.reset(options={"levels": "two corridors"})
    blocked = _stack(_corridor(), _corridor())
    blocked.walls[1, 1, 3] = True  # the cheese sits on a wall
    with pytest.raises(ValueError, match=r"options\['levels'\]\[1\] is not a playable maze"):
        envs.reset(options={"levels": blocked})
