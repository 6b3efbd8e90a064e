"""Tests generated from the registry: every registered id, whatever its observation."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mesatoys.envs import REGISTERED_IDS


def _flat(obs):
    if isinstance(obs, dict):
        return np.concatenate([np.ravel(obs[k]) for k in sorted(obs)])
    return np.ravel(obs)


@pytest.mark.parametrize("env_id", sorted(REGISTERED_IDS))
def test_registered_env_passes_the_gymnasium_checker(env_id):
    check_env(gym.make(env_id).unwrapped, skip_render_check=False)


@pytest.mark.parametrize("env_id", sorted(REGISTERED_IDS))
def test_same_seed_gives_identical_rollouts(env_id):
    def rollout(seed):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        trace = [(_flat(obs), 0.0, False, False)]
        for _ in range(60):
            obs, reward, term, trunc, _ = env.step(env.action_space.sample())
            trace.append((_flat(obs), reward, term, trunc))
            if term or trunc:
                break
        return trace

    a, b = rollout(11), rollout(11)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x[0], y[0]) and x[1:] == y[1:]
