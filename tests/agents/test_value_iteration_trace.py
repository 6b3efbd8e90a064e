"""The sweep-by-sweep trace of value iteration, checked against BFS and the planner itself."""

import numpy as np
import pytest

from mesatoys.agents.planner import (
    MesaOptimizer,
    bellman_backup,
    value_iteration,
    value_iteration_trace,
)
from mesatoys.envs.features import feature_cells
from mesatoys.envs.maze import generate_levels

LOOP_MAZE = """
#########
#.....#.#
#.###.#.#
#...#...#
###.###.#
#C#.....#
#.#####.#
#S......#
#########
"""
CORNER = (1, 7)


def _one_target(walls, cell, weight=1.0):
    utility = np.zeros(walls.shape)
    utility[cell] = weight
    return utility


def test_each_sweep_reaches_exactly_one_step_further(maze_art, bfs):
    walls, _ = maze_art(LOOP_MAZE)
    trace = value_iteration_trace(walls, _one_target(walls, CORNER, 2.0), gamma=0.9)
    dist = bfs(walls, CORNER)
    for k, value in enumerate(trace):
        for cell, d in dist.items():
            expected = 2.0 * 0.9**d if d <= k else 0.0
            assert value[cell] == pytest.approx(expected)
        assert (value[walls] == 0).all()


def test_number_of_sweeps_is_the_longest_shortest_path_from_the_target(maze_art, bfs):
    walls, _ = maze_art(LOOP_MAZE)
    trace = value_iteration_trace(walls, _one_target(walls, CORNER))
    assert len(trace) - 1 == max(bfs(walls, CORNER).values())


def test_last_map_is_the_value_iteration_answer_on_random_mazes():
    rng = np.random.default_rng(7)
    levels = generate_levels(12, 13, 0.5, "train", rng, extra_openings=0.2)
    for walls in levels.walls:
        utility = np.where(
            walls, 0.0, rng.normal(size=walls.shape) * (rng.random(walls.shape) < 0.05)
        )
        trace = value_iteration_trace(walls, utility, gamma=0.9)
        expected = value_iteration(walls[None], utility[None], gamma=0.9)[0]
        np.testing.assert_array_equal(trace[-1], expected)
        for before, after in zip(trace, trace[1:], strict=False):
            assert (after >= before).all() and (after > before).any()  # every kept sweep changed


def test_trace_ends_at_the_planners_own_value_map():
    levels = generate_levels(3, 11, 0.0, "test", np.random.default_rng(1), extra_openings=0.3)
    agent = MesaOptimizer({"cheese": 0.6, "top_right": 1.0, "bottom_left": 0.3})
    for i in range(len(levels)):
        cells = feature_cells(levels[i])[0]
        utility = np.zeros(levels.walls.shape[1:])
        for weight, (r, c) in zip(agent.weights, cells, strict=True):
            utility[r, c] += weight
        trace = value_iteration_trace(levels.walls[i], utility, agent.gamma)
        np.testing.assert_allclose(trace[-1], agent.value_map(levels.walls[i], cells), atol=1e-12)


def test_nothing_worth_reaching_means_no_sweeps(maze_art):
    walls, _ = maze_art(LOOP_MAZE)
    negative = _one_target(walls, CORNER, -1.0)
    for utility in (np.zeros(walls.shape), negative):
        trace = value_iteration_trace(walls, utility)
        assert len(trace) == 1 and (trace[0] == 0).all()


def test_bellman_backup_is_one_step_of_value_iteration(maze_art):
    walls, _ = maze_art(LOOP_MAZE)
    start = _one_target(walls, CORNER)
    once = bellman_backup(walls, start, 0.5)
    assert once[CORNER] == 1.0 and once[2, 7] == 0.5 and once[1, 6] == 0.0  # (1, 6) is a wall
    assert np.count_nonzero(once) == 2
    assert start[2, 7] == 0.0  # the input is left alone


@pytest.mark.parametrize(
    ("walls", "utility", "gamma", "message"),
    [
        (np.zeros((3, 4), dtype=bool), np.zeros((3, 4)), 0.9, "walls must be a square 2-D boolean"),
        (np.zeros((3, 3)), np.zeros((3, 3)), 0.9, "walls must be a square 2-D boolean"),
        (np.zeros((3, 3), dtype=bool), np.zeros((4, 4)), 0.9, "utility must have the shape"),
        (
            np.zeros((3, 3), dtype=bool),
            np.zeros((3, 3)),
            1.0,
            r"gamma must be a finite number in \(0, 1\)",
        ),
        (np.zeros((3, 3), dtype=bool), np.zeros((3, 3)), 0.0, "gamma must be"),
    ],
)
def test_bad_inputs_name_the_argument(walls, utility, gamma, message):
    with pytest.raises(ValueError, match=message):
        value_iteration_trace(walls, utility, gamma)
