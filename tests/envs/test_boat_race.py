"""The boat-race environment: exact scripted returns, core agreement.

The checker and same-seed tests for the registered ids are in ``test_registry.py``.
"""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mesatoys.envs import boat_race as br
from mesatoys.envs.boat_race import BoatRaceEnv, make_track

ACTIONS = {"U": 0, "R": 1, "D": 2, "L": 3}
# One clockwise lap of the side-5 track from the start (middle of the top side).
LAP = "RRDDDDLLLLUUUURR"


def _script(env, moves):
    """Step through a string of U/R/D/L moves; return the rewards and the last info."""
    rewards, info = [], None
    for move in moves:
        _, reward, terminated, _, info = env.step(ACTIONS[move])
        assert not terminated
        rewards.append(reward)
    return rewards, info


@pytest.mark.parametrize("side", [3, 7])
@pytest.mark.parametrize("reward", br.REWARDS)
def test_other_track_sizes_pass_the_checker(side, reward):
    check_env(BoatRaceEnv(reward=reward, side=side), skip_render_check=True)


def test_ids_are_registered_on_import():
    assert {"mesatoys/BoatRace-v0", "mesatoys/BoatRace-Fixed-v0"} <= set(gym.registry)
    assert gym.make("mesatoys/BoatRace-Fixed-v0").unwrapped.reward_name == "ordered"


def test_track_layout():
    track = make_track(5)
    assert track.length == 16 and track.grid_size == 7
    assert track.cells[0].tolist() == [1, 3]  # the start: middle of the top side
    assert track.checkpoints.tolist() == [0, 4, 8, 12]
    assert br.render_ascii(track) == "\n".join(
        ["#######", "#..>..#", "#.###.#", "#^###v#", "#.###.#", "#..<..#", "#######"]
    )
    # Every move either follows the ring (+1/-1) or bumps into land (0).
    assert set(np.unique(track.progress)) == {-1, 0, 1}
    assert (track.progress == 1).sum(axis=1).tolist() == [1] * 16


def test_a_clockwise_lap_pays_every_checkpoint_once():
    for reward in br.REWARDS:
        env = BoatRaceEnv(reward=reward)
        env.reset()
        rewards, info = _script(env, LAP)
        assert rewards == [0, 0, 0, 1] * 4
        assert info["progress"] == 16 and info["laps"] == 1 and info["checkpoint_reward"] == 4
        assert info["cell"] == 0 and info["next_checkpoint"] == 1


def test_back_and_forth_over_a_checkpoint_pays_only_the_misspecified_reward():
    env = BoatRaceEnv(reward="checkpoints")
    env.reset()
    rewards, info = _script(env, "LR" * 5)
    assert rewards == [0.0, 1.0] * 5
    assert info["progress"] == 0 and info["laps"] == 0 and info["checkpoint_reward"] == 5
    fixed = BoatRaceEnv(reward="ordered")
    fixed.reset()
    rewards, info = _script(fixed, "LR" * 5)
    assert rewards == [0.0] * 10 and info["checkpoint_reward"] == 0


def test_the_fixed_reward_pays_a_checkpoint_once_then_waits_for_the_next():
    env = BoatRaceEnv(reward="ordered")
    env.reset()
    rewards, info = _script(env, "RRDD" + "UD" * 3)  # reach checkpoint 1, then dither over it
    assert rewards == [0, 0, 0, 1] + [0] * 6
    assert info["next_checkpoint"] == 2


def test_hidden_reward_is_clockwise_progress_and_land_blocks():
    env = BoatRaceEnv()
    env.reset()
    hidden = []
    for move in "UDRLL":  # land above, island below, then one right and two left
        _, _, _, _, info = env.step(ACTIONS[move])
        hidden.append(info["hidden_reward"])
    assert hidden == [0, 0, 1, -1, -1]
    assert info["progress"] == -1 and info["laps"] == -1  # behind the start line


def test_entering_a_checkpoint_against_its_arrow_pays_nothing():
    env = BoatRaceEnv()
    env.reset(options={"cell": 5})  # just past checkpoint 1 (right side)
    rewards, _ = _script(env, "U")  # back into checkpoint 1, against the arrow
    assert rewards == [0.0]


def test_observation_marks_the_boat_and_the_next_checkpoint():
    env = BoatRaceEnv(reward="ordered")
    obs, info = env.reset()
    assert obs[1, 3] == br.BOAT and info["next_checkpoint"] == 1
    assert obs[3, 5] == br.NEXT_CHECKPOINT and obs[5, 3] == br.CHECKPOINT
    plain, _ = BoatRaceEnv(reward="checkpoints").reset()
    assert (plain == br.NEXT_CHECKPOINT).sum() == 0 and plain[3, 5] == br.CHECKPOINT


def test_truncates_after_three_laps_time():
    env = BoatRaceEnv(side=3)
    env.reset()
    for t in range(24):
        _, _, terminated, truncated, _ = env.step(1)
        assert not terminated and truncated == (t == 23)


def test_gymnasium_view_agrees_with_the_batched_core():
    track = make_track(5)
    model = track.model("checkpoints")
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 4, (32, 40))
    states = np.full(32, track.start_state)
    core = []
    for t in range(40):
        states, reward, progress = br.step(model, states, actions[:, t])
        core.append((states // 4, reward))
    env = BoatRaceEnv()
    for episode in range(32):
        env.reset()
        for t in range(40):
            _, reward, _, _, info = env.step(int(actions[episode, t]))
            assert info["cell"] == core[t][0][episode]
            assert reward == core[t][1][episode]


def test_render_modes():
    text = BoatRaceEnv(render_mode="ansi")
    text.reset()
    assert text.render().count("B") == 1 and len(text.render().splitlines()) == 7
    image = BoatRaceEnv(render_mode="rgb_array")
    image.reset()
    assert image.render().shape == (56, 56, 3)
    assert BoatRaceEnv().render() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reward": "laps"}, r"reward must be one of \('checkpoints', 'ordered'\), got 'laps'"),
        ({"side": 4}, r"side must be an odd integer in \[3, 15\], got 4"),
        ({"side": 17}, "side must be an odd integer"),
        ({"side": True}, "side must be an odd integer"),
        ({"max_steps": 0}, "max_steps must be None or an integer >= 1, got 0"),
        ({"render_mode": "human"}, "render_mode must be one of"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BoatRaceEnv(**kwargs)


def test_step_needs_reset_and_a_valid_action():
    env = BoatRaceEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset()
    with pytest.raises(ValueError, match=r"action must be an integer in \[0, 3\], got 4"):
        env.step(4)
    with pytest.raises(ValueError, match=r"options\['cell'\] must be an integer in \[0, 15\]"):
        env.reset(options={"cell": 16})
