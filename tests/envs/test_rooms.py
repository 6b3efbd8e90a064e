"""Open rooms with a few obstacles: the levels of the policy-gradient network."""

import numpy as np
import pytest

from mesatoys.envs import CheeseMazeEnv
from mesatoys.envs.maze import corner_distance_map, generate_levels, generate_room_walls


@pytest.mark.parametrize(("size", "obstacles"), [(5, 0), (7, 2), (9, 3), (9, 12), (13, 20)])
def test_rooms_have_their_obstacles_a_border_and_every_cell_joined(size, obstacles, bfs):
    walls = generate_room_walls(40, size, np.random.default_rng(3), obstacles)
    for room in walls:
        assert room[0].all() and room[-1].all() and room[:, 0].all() and room[:, -1].all()
        assert room[1:-1, 1:-1].sum() == obstacles
        assert not room[1, size - 2]  # the corner is never an obstacle
        open_cells = {tuple(c) for c in np.argwhere(~room)}
        assert set(bfs(room, (1, size - 2))) == open_cells


def test_the_obstacles_land_anywhere_but_the_corner():
    walls = generate_room_walls(2000, 9, np.random.default_rng(4), 3)
    hit = walls[:, 1:-1, 1:-1].mean(axis=0)
    assert hit[0, -1] == 0.0
    assert (np.delete(hit.ravel(), 6) > 0.02).all()


def test_room_levels_place_cheese_and_start_by_the_same_rules_as_mazes():
    rng = np.random.default_rng(5)
    train = generate_levels(300, 9, 0.0, "train", rng, layout="room")
    assert (train.cheese == [1, 7]).all()
    test = generate_levels(300, 9, 0.0, "test", rng, layout="room", obstacles=5)
    assert (corner_distance_map(9)[test.cheese[:, 0], test.cheese[:, 1]] >= 3).all()
    rows = np.arange(300)
    assert not test.walls[rows, test.cheese[:, 0], test.cheese[:, 1]].any()
    assert not test.walls[rows, test.start[:, 0], test.start[:, 1]].any()
    assert not (test.start == test.cheese).all(axis=1).any()
    assert (test.walls[:, 1:-1, 1:-1].sum(axis=(1, 2)) == 5).all()


def test_same_seed_same_rooms():
    a = generate_levels(20, 9, 0.3, "train", np.random.default_rng(8), layout="room")
    b = generate_levels(20, 9, 0.3, "train", np.random.default_rng(8), layout="room")
    for name in ("walls", "start", "cheese"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_the_single_env_draws_the_room_the_core_draws():
    env = CheeseMazeEnv(split="test", size=9, layout="room", obstacles=3)
    env.reset(seed=12)
    level = generate_levels(1, 9, 0.0, "test", np.random.default_rng(12), layout="room")
    assert np.array_equal(env.level.walls, level.walls)
    assert np.array_equal(env.level.cheese, level.cheese)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: generate_room_walls(2, 9, np.random.default_rng(0), 13),
         r"obstacles must be an integer in \[0, 12\] for size 9, got 13"),
        (lambda: generate_room_walls(2, 9, np.random.default_rng(0), 2.0),
         r"obstacles must be an integer in \[0, 12\] for size 9, got 2.0"),
        (lambda: generate_levels(2, 9, 0.0, "test", np.random.default_rng(0), layout="cave"),
         r"layout must be one of \('maze', 'room'\), got 'cave'"),
        (lambda: CheeseMazeEnv(size=5, layout="room"),
         r"obstacles must be an integer in \[0, 2\] for size 5, got 3"),
        (lambda: CheeseMazeEnv(layout="rooms"), r"layout must be one of"),
    ],
)  # fmt: skip
def test_bad_room_arguments_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_obstacle_count_is_ignored_for_mazes():
    """A maze of side 5 with the default ``obstacles=3`` is still a maze, not an error."""
    rng = np.random.default_rng(0)
    assert generate_levels(2, 5, 0.0, "test", rng, min_corner_distance=2).size == 5
    assert CheeseMazeEnv(size=5).obstacles == 3
