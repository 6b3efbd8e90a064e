"""Bad input to the environments meets a clear ValueError/TypeError at once.

Each case was reproduced against the environments before they were checked: it was
accepted, ignored, or failed deep inside numpy (IndexError, MemoryError).
"""

import gymnasium as gym
import numpy as np
import pytest

from mesatoys.envs import REGISTERED_IDS
from mesatoys.envs.absent_supervisor import MAX_LAYOUT_SIDE, AbsentSupervisorEnv, parse_layout
from mesatoys.envs.boat_race import BoatRaceEnv
from mesatoys.envs.cheese_maze import CheeseMazeEnv
from mesatoys.envs.hand_mazes import check_level, hand_maze, maze_art, parse_maze, toggle_walls
from mesatoys.envs.keys_chests import KeyChestLevels, KeysAndChestsEnv
from mesatoys.envs.keys_chests import generate_levels as key_levels
from mesatoys.envs.maze import (
    MAX_BATCH_CELLS,
    MAX_SIZE,
    check_size,
    generate_levels,
    generate_walls,
)

ENVS = {
    "cheese": CheeseMazeEnv,
    "keys": KeysAndChestsEnv,
    "boat": BoatRaceEnv,
    "absent": AbsentSupervisorEnv,
}


def _rng():
    return np.random.default_rng(0)


# --- max_steps, checked at construction ----------------------------------------------------


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize("max_steps", [0, -5, True, 2.5, "10", np.float64(3.0)])
def test_max_steps_must_be_a_positive_integer(env, max_steps):
    with pytest.raises(ValueError, match=r"max_steps must be (None or )?an integer >= 1, got "):
        ENVS[env](max_steps=max_steps)


@pytest.mark.parametrize("env", sorted(ENVS))
def test_max_steps_accepts_numpy_integers(env):
    assert ENVS[env](max_steps=np.int64(7)).max_steps == 7


def test_keys_and_chests_needs_a_limit():
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1, got None"):
        KeysAndChestsEnv(max_steps=None)


# --- actions, checked in step --------------------------------------------------------------

N_ACTIONS = {"cheese": 5, "keys": 5, "boat": 4, "absent": 4}


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize(
    "action", [True, False, np.bool_(True), 1.0, np.float32(2.0), "1", None, -1, 9, [1]]
)
def test_step_rejects_a_bool_float_string_or_out_of_range_action(env, action):
    instance = ENVS[env]()
    instance.reset(seed=0)
    last = N_ACTIONS[env] - 1
    with pytest.raises(ValueError, match=rf"^action must be an integer in \[0, {last}\], got "):
        instance.step(action)


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize("kind", [int, np.int64, np.int32, np.uint8, np.array])
def test_step_accepts_python_and_numpy_integers_in_range(env, kind):
    instance = ENVS[env]()
    instance.reset(seed=0)
    obs, reward, *_ = instance.step(kind(1))
    assert isinstance(reward, float)
    assert instance.observation_space.contains(obs)


# --- reset options: unknown keys refused, known ones validated -----------------------------

ALLOWED = {"cheese": ["level"], "keys": ["level"], "boat": ["cell"]}


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize("typo", ["levle", "seed", "Level"])
def test_reset_refuses_an_unknown_option_and_lists_the_allowed_ones(env, typo):
    with pytest.raises(ValueError, match=rf"options has unknown keys \['{typo}'\]; allowed: \["):
        ENVS[env]().reset(options={typo: 1})


@pytest.mark.parametrize("env", sorted(ALLOWED))
def test_the_allowed_options_are_listed(env):
    with pytest.raises(ValueError) as caught:
        ENVS[env]().reset(options={"typo": 0})
    assert str(caught.value).endswith(f"allowed: {ALLOWED[env]}")


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize("options", ["level", [("level", 1)], 3])
def test_options_must_be_a_dict(env, options):
    with pytest.raises(TypeError, match="options must be a dict or None, got"):
        ENVS[env]().reset(options=options)


@pytest.mark.parametrize("env", sorted(ENVS))
def test_empty_options_are_fine(env):
    ENVS[env]().reset(seed=0, options={})
    ENVS[env]().reset(seed=0, options=None)


def _cheese_levels(n, size=13):
    return generate_levels(n, size, 0.0, "test", _rng())


def _unplayable():
    level = _cheese_levels(1)
    walls = level.walls.copy()
    walls[0, 1:-1, 1:-1] = True
    walls[0][tuple(level.start[0])] = False
    walls[0][tuple(level.cheese[0])] = False
    return type(level)(walls, level.start, level.cheese)


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (lambda: _cheese_levels(2), "a LevelBatch of 2 level\\(s\\) of size 13"),
        (lambda: _cheese_levels(1, size=11), "a LevelBatch of 1 level\\(s\\) of size 11"),
        (lambda: _cheese_levels(1).walls, "got ndarray"),
        (lambda: "corridor", "got str: 'corridor'"),
        (lambda: None, "got NoneType: None"),
    ],
)
def test_cheese_level_option_must_be_one_level_of_the_env_size(level, message):
    pattern = rf"options\['level'\] must be a one-level LevelBatch of size 13 .*{message}"
    with pytest.raises(ValueError, match=pattern):
        CheeseMazeEnv(size=13).reset(options={"level": level()})


def test_cheese_level_option_must_be_playable():
    with pytest.raises(ValueError, match=r"options\['level'\] is not a playable maze: no route"):
        CheeseMazeEnv(size=13).reset(options={"level": _unplayable()})


def test_cheese_level_option_accepts_a_hand_maze():
    obs, info = CheeseMazeEnv(size=13).reset(options={"level": hand_maze("corridor")})
    assert info["cheese"] == (1, 11) and obs.shape == (13, 13)


def _key_level(objects=((1, 2), (1, 3)), is_key=(True, False), start=(1, 1), size=9):
    walls = np.ones((1, size, size), dtype=bool)
    walls[0, 1, 1 : size - 1] = False
    return KeyChestLevels(walls, np.array([start]), np.array([objects]), np.array([is_key]))


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (lambda: key_levels(2, 9, 3, 10, _rng()), "must be a one-level KeyChestLevels of size 9"),
        (lambda: _key_level(size=11), "must be a one-level KeyChestLevels of size 9"),
        (lambda: _cheese_levels(1, size=9), "got LevelBatch"),
        (lambda: _key_level(objects=((1, 1), (1, 3))), "distinct cells"),
        (lambda: _key_level(objects=((2, 2), (1, 3))), "on an open cell"),
        (lambda: _key_level(objects=((1, 9), (1, 3))), "on an open cell"),
        (lambda: _key_level(objects=((1, -1), (1, 3))), "on an open cell"),
        (
            lambda: _key_level(objects=[(1, c) for c in range(2, 8)] * 3, is_key=[True] * 18),
            "between 1 and 13 objects, got 18",
        ),
    ],
)
def test_keys_level_option_is_checked(level, message):
    with pytest.raises(ValueError, match=rf"options\['level'\] .*{message}"):
        KeysAndChestsEnv(size=9).reset(options={"level": level()})


def test_keys_level_option_needs_a_border_of_wall():
    level = _key_level()
    level.walls[0, 1, 0] = False
    with pytest.raises(ValueError, match=r"options\['level'\] must have wall all the way round"):
        KeysAndChestsEnv(size=9).reset(options={"level": level})


@pytest.mark.parametrize("cell", [16, -1, True, 2.0, "3"])
def test_boat_cell_option_is_checked(cell):
    with pytest.raises(ValueError, match=r"options\['cell'\] must be an integer in \[0, 15\], got"):
        BoatRaceEnv().reset(options={"cell": cell})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": True}, "layout must be one of"),
        ({"layout": "nowhere"}, "layout must be one of"),
        ({"camera": "yes"}, r"options\['camera'\] must be a bool, got 'yes'"),
        ({"watched": 1}, r"options\['watched'\] must be a bool, got 1"),
    ],
)
def test_absent_supervisor_options_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        AbsentSupervisorEnv().reset(options=options)


# --- sizes capped with a clear message -----------------------------------------------------


@pytest.mark.parametrize("size", [1_000_001, MAX_SIZE + 2, 10**30, np.int64(2**40 + 1)])
def test_a_huge_maze_meets_the_size_limit_not_a_memory_error(size):
    pattern = rf"size must be an odd integer in \[5, {MAX_SIZE}\] \(MAX_SIZE .*\), got {size}"
    with pytest.raises(ValueError, match=pattern):
        CheeseMazeEnv(size=size)
    with pytest.raises(ValueError, match=pattern):
        generate_levels(1, size, 0.0, "train", _rng())
    with pytest.raises(ValueError, match=pattern):
        generate_walls(1, size, _rng())
    with pytest.raises(ValueError, match=pattern):
        KeysAndChestsEnv(size=size)


def test_the_largest_maze_still_works():
    assert check_size(MAX_SIZE) == MAX_SIZE
    env = CheeseMazeEnv(size=MAX_SIZE, split="test")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (MAX_SIZE, MAX_SIZE)


@pytest.mark.parametrize(
    ("call", "most"),
    [
        (lambda n: generate_levels(n, 13, 0.0, "train", _rng()), MAX_BATCH_CELLS // 169),
        (lambda n: generate_walls(n, 101, _rng()), MAX_BATCH_CELLS // 101**2),
        (lambda n: key_levels(n, 11, 3, 10, _rng()), MAX_BATCH_CELLS // 121),
    ],
)
@pytest.mark.parametrize("excess", [1, 10**9])
def test_the_number_of_levels_is_capped(call, most, excess):
    with pytest.raises(ValueError, match=rf"n must be an integer in \[0, {most}\] for size"):
        call(most + excess)


@pytest.mark.parametrize("n", [-1, True, 2.0, "3"])
def test_the_number_of_levels_is_an_integer(n):
    with pytest.raises(ValueError, match=r"n must be an integer in \[0, \d+\] for size 9 .*got"):
        generate_levels(n, 9, 0.0, "train", _rng())


def test_no_levels_is_an_empty_batch():
    assert len(generate_levels(0, 9, 0.0, "train", _rng())) == 0
    assert len(key_levels(0, 11, 10, 3, _rng())) == 0


@pytest.mark.parametrize("size", [5, 7])
def test_keys_and_chests_size_must_hold_every_object(size):
    with pytest.raises(
        ValueError, match=rf"size must be at least 9 for split 'train' .*got {size}"
    ):
        KeysAndChestsEnv(size=size)


@pytest.mark.parametrize("side", [17, 10**6, True, 5.0, "5"])
def test_boat_race_side_is_capped(side):
    with pytest.raises(ValueError, match=r"side must be an odd integer in \[3, 15\], got"):
        BoatRaceEnv(side=side)


def test_hand_drawn_mazes_are_capped():
    side = MAX_SIZE + 1
    art = "\n".join(["#" * side] + ["#S" + "." * (side - 4) + "C#"] * (side - 2) + ["#" * side])
    with pytest.raises(ValueError, match=rf"at most {MAX_SIZE} x {MAX_SIZE} cells \(MAX_SIZE\)"):
        parse_maze(art)
    walls = np.ones((side, side), dtype=bool)
    with pytest.raises(ValueError, match=rf"walls must be a square 2-D array .*<= {MAX_SIZE}"):
        check_level(walls, (1, 1), (1, 2))


@pytest.mark.parametrize("size", ["13", 13.0, True, 4, MAX_SIZE + 1])
def test_parse_maze_size_is_checked(size):
    with pytest.raises(ValueError, match=rf"size must be None or an integer in \[5, {MAX_SIZE}\]"):
        parse_maze(hand_maze_art(), size=size)


def hand_maze_art():
    return maze_art(hand_maze("corridor"))


def test_absent_supervisor_layouts_are_capped():
    side = MAX_LAYOUT_SIDE + 1
    art = ["#" * side] * side
    with pytest.raises(ValueError, match=rf"art must be at most {MAX_LAYOUT_SIDE} rows"):
        parse_layout(art)
    for bad in ("#AGP#", [], None, [1, 2]):
        with pytest.raises(ValueError, match="art must be a non-empty list of strings"):
            parse_layout(bad)


# --- types checked before comparisons ------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: CheeseMazeEnv(alpha="0.3"), r"alpha must be a number in \[0, 1\], got '0.3'"),
        (lambda: CheeseMazeEnv(alpha=float("nan")), r"alpha must be in \[0, 1\], got nan"),
        (lambda: CheeseMazeEnv(cheese_radius="1"), "cheese_radius must be None or an integer"),
        (lambda: CheeseMazeEnv(cheese_radius=1.0), "cheese_radius must be None or an integer"),
        (lambda: CheeseMazeEnv(extra_openings="0.2"), "extra_openings must be a number"),
        (lambda: CheeseMazeEnv(split=None), "split must be one of"),
        (lambda: CheeseMazeEnv(render_mode=1), r"render_mode must be one of \['ansi'"),
        (lambda: KeysAndChestsEnv(split=["train"]), "split must be one of"),
        (
            lambda: KeysAndChestsEnv(render_mode="rgb_array"),
            r"render_mode must be one of \['ansi'\]",
        ),
        (lambda: BoatRaceEnv(reward=None), "reward must be one of"),
        (lambda: AbsentSupervisorEnv(p_supervisor="0.5"), "p_supervisor must be a number"),
        (lambda: AbsentSupervisorEnv(p_supervisor=float("inf")), "p_supervisor must be in"),
        (lambda: AbsentSupervisorEnv(split=1), "split must be one of"),
        (
            lambda: generate_levels(2, 13, 0.0, "test", _rng(), min_corner_distance="3"),
            r"min_corner_distance must be an integer in \[1, 10\] for size 13, got '3'",
        ),
        (
            lambda: generate_levels(2, 13, 0.0, "test", _rng(), min_corner_distance=11),
            r"min_corner_distance must be an integer in \[1, 10\] for size 13, got 11",
        ),
        (lambda: key_levels(2, 11, "3", 10, _rng()), "n_keys must be an integer >= 0, got '3'"),
        (lambda: key_levels(2, 11, 3, True, _rng()), "n_chests must be an integer >= 1, got True"),
        (
            lambda: KeyChestLevels.concatenate(
                [key_levels(1, 9, 3, 10, _rng()), key_levels(1, 11, 3, 10, _rng())]
            ),
            r"parts must share one maze size and number of objects, got \(size, objects\)",
        ),
        (lambda: KeyChestLevels.concatenate([]), "parts must be a non-empty list"),
        (lambda: toggle_walls(hand_maze("corridor"), [(True, 2)]), "cells must be"),
        (lambda: toggle_walls(hand_maze("corridor"), [(3, 3)], index=1), r"index must be"),
        (lambda: maze_art(hand_maze("corridor"), index="0"), r"index must be an integer in"),
        (lambda: hand_maze(["corridor"]), "name must be one of"),
    ],
)
def test_wrong_types_and_values_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: generate_levels(2, 9, 0.0, "train", 0),
        lambda: generate_walls(2, 9, np.random.RandomState(0)),
        lambda: key_levels(2, 11, 3, 10, None),
    ],
)
def test_rng_must_be_a_generator(call):
    with pytest.raises(TypeError, match="rng must be a Generator, got"):
        call()


# --- the registered environments still pass Gymnasium's checker (test_registry) -----------


@pytest.mark.parametrize("env_id", sorted(REGISTERED_IDS))
def test_registered_envs_refuse_a_bool_action(env_id):
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an integer in"):
        env.step(True)
