import numpy as np
import pytest

from mesatoys.envs.maze import (
    UNREACHABLE,
    distance_maps,
    generate_levels,
    generate_walls,
    step_positions,
)


def _open_edges(walls):
    horizontal = (~walls[:, :-1] & ~walls[:, 1:]).sum()
    vertical = (~walls[:-1, :] & ~walls[1:, :]).sum()
    return int(horizontal + vertical)


@pytest.mark.parametrize("size", [5, 9, 13])
def test_walls_form_a_perfect_maze(size, bfs):
    walls = generate_walls(20, size, np.random.default_rng(1))
    for maze in walls:
        assert maze[0].all() and maze[-1].all() and maze[:, 0].all() and maze[:, -1].all()
        open_cells = {tuple(c) for c in np.argwhere(~maze)}
        reached = bfs(maze, (1, 1))
        assert set(reached) == open_cells  # connected
        assert _open_edges(maze) == len(open_cells) - 1  # a tree: no loops


def test_extra_openings_add_loops_but_keep_rooms_open():
    perfect = generate_walls(50, 13, np.random.default_rng(2))
    loopy = generate_walls(50, 13, np.random.default_rng(2), extra_openings=0.3)
    assert not loopy[:, 1::2, 1::2].any()
    assert loopy.sum() < perfect.sum()
    assert np.mean([_open_edges(m) - (~m).sum() + 1 for m in loopy]) > 3


def test_same_seed_same_levels_and_different_seed_differs():
    a = generate_levels(30, 11, 0.5, "train", np.random.default_rng(7))
    b = generate_levels(30, 11, 0.5, "train", np.random.default_rng(7))
    c = generate_levels(30, 11, 0.5, "train", np.random.default_rng(8))
    assert np.array_equal(a.walls, b.walls) and np.array_equal(a.cheese, b.cheese)
    assert not np.array_equal(a.walls, c.walls)


def test_training_cheese_is_in_the_corner_at_alpha_zero():
    levels = generate_levels(200, 13, 0.0, "train", np.random.default_rng(0))
    assert (levels.cheese == levels.corner).all()


def test_alpha_sets_the_fraction_of_distinguishing_levels():
    levels = generate_levels(4000, 13, 0.3, "train", np.random.default_rng(0))
    displaced = (levels.cheese != levels.corner).any(axis=1).mean()
    assert abs(displaced - 0.3) < 0.03


def test_test_cheese_is_away_from_the_corner_and_starts_are_valid():
    levels = generate_levels(500, 13, 0.0, "test", np.random.default_rng(0))
    far = np.abs(levels.cheese - levels.corner).max(axis=1)
    assert (far >= 3).all()
    rows = np.arange(len(levels))
    assert not levels.walls[rows, levels.cheese[:, 0], levels.cheese[:, 1]].any()
    assert not levels.walls[rows, levels.start[:, 0], levels.start[:, 1]].any()
    assert (levels.start != levels.cheese).any(axis=1).all()
    assert (levels.start != levels.corner).any(axis=1).all()


def test_distance_maps_match_plain_bfs(bfs):
    levels = generate_levels(10, 11, 0.0, "test", np.random.default_rng(3), extra_openings=0.2)
    dist = distance_maps(levels.walls, levels.cheese)
    for i in range(len(levels)):
        reference = bfs(levels.walls[i], tuple(levels.cheese[i]))
        for cell, d in reference.items():
            assert dist[i][cell] == d
        assert (dist[i][levels.walls[i]] == UNREACHABLE).all()


def test_moves_into_walls_stay_put(maze_art):
    walls, m = maze_art(
        """
        #####
        #A..#
        #.###
        #####
        """
    )
    walls = walls[None].repeat(4, axis=0)
    pos = np.array([m["A"]] * 4)
    new = step_positions(walls, pos, np.array([1, 2, 3, 4]))  # up, right, down, left
    assert new.tolist() == [[1, 1], [1, 2], [2, 1], [1, 1]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 4}, "size must be an odd integer >= 5, got 4"),
        ({"size": 3}, "size must be an odd integer >= 5, got 3"),
        ({"size": 9.0}, "size must be an odd integer >= 5"),
        ({"alpha": 1.5}, r"alpha must be in \[0, 1\], got 1.5"),
        ({"alpha": -0.1}, r"alpha must be in \[0, 1\]"),
        ({"split": "val"}, "split must be one of"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    args = {"n": 2, "size": 9, "alpha": 0.0, "split": "train", "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        generate_levels(**args)
