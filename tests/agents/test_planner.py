import numpy as np
import pytest

from mesatoys.agents.planner import (
    MesaOptimizer,
    objective_vector,
    utility_map,
    value_iteration,
)
from mesatoys.agents.rollout import play
from mesatoys.envs.features import FEATURE_NAMES, feature_cells
from mesatoys.envs.maze import LevelBatch, generate_levels

# A 9x9 maze with one loop and a dead-end pocket holding the cheese C; S is the start.
# Corners of a 9x9 grid: (1,7) top-right, (1,1) top-left, (7,1) bottom-left (the
# start), (7,7) bottom-right. No shortest path between corners passes the pocket.
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
CHEESE = (5, 1)


def _level(maze_art, art, start="S", cheese="C"):
    walls, marks = maze_art(art)
    return LevelBatch(walls[None], np.array([marks[start]]), np.array([marks[cheese]]))


def _path(agent, level, radius=None, max_steps=80):
    episodes = play(
        agent.weights, level, gamma=agent.gamma, cheese_radius=radius, max_steps=max_steps,
        record=True,
    )  # fmt: skip
    return [tuple(c) for c in episodes.paths[0, : episodes.steps[0] + 1]], episodes


def _is_shortest_path(path, walls, bfs):
    goal = path[-1]
    dist = bfs(walls, goal)
    steps_ok = all(dist[a] == dist[b] + 1 for a, b in zip(path, path[1:], strict=False))
    return steps_ok and len(path) - 1 == dist[path[0]]


def test_value_iteration_equals_discounted_bfs_distance(maze_art, bfs):
    walls, _ = maze_art(LOOP_MAZE)
    utility = np.zeros(walls.shape)
    utility[1, 7] = 2.0
    value = value_iteration(walls[None], utility[None], gamma=0.9)[0]
    dist = bfs(walls, (1, 7))
    for cell, d in dist.items():
        assert value[cell] == pytest.approx(2.0 * 0.9**d)
    assert (value[walls] == 0).all()


def test_value_iteration_takes_the_best_discounted_target(maze_art, bfs):
    walls, _ = maze_art(LOOP_MAZE)
    utility = np.zeros(walls.shape)
    utility[1, 7], utility[7, 1] = 1.0, 0.5
    value = value_iteration(walls[None], utility[None], gamma=0.8)[0]
    d1, d2 = bfs(walls, (1, 7)), bfs(walls, (7, 1))
    for cell in d1:
        assert value[cell] == pytest.approx(max(0.8 ** d1[cell], 0.5 * 0.8 ** d2[cell]))


@pytest.mark.parametrize("corner", ["top_right", "top_left", "bottom_right"])
def test_planner_walks_a_bfs_shortest_path_to_its_goal(maze_art, bfs, corner):
    level = _level(maze_art, LOOP_MAZE)
    path, episodes = _path(MesaOptimizer({corner: 1.0}), level)
    target = {"top_right": (1, 7), "top_left": (1, 1), "bottom_right": (7, 7)}[corner]
    walls = level.walls[0]
    assert path[-1] == target
    assert _is_shortest_path(path, walls, bfs)
    assert episodes.reached_mesa_goal[0]


def test_planner_on_random_mazes_reaches_its_goal_by_shortest_paths(bfs):
    levels = generate_levels(40, 11, 0.0, "train", np.random.default_rng(4), extra_openings=0.3)
    episodes = play(
        np.array([0, 1.0, 0, 0, 0]), levels, cheese_radius=1, max_steps=200, record=True
    )
    assert episodes.reached_cheese.all()
    for i in range(len(levels)):
        path = [tuple(c) for c in episodes.paths[i, : episodes.steps[i] + 1]]
        assert _is_shortest_path(path, levels.walls[i], bfs)


def test_cheese_is_pursued_only_once_seen(maze_art):
    level = _level(maze_art, LOOP_MAZE)
    agent = MesaOptimizer({"cheese": 5.0, "top_right": 1.0})
    blind_path, blind = _path(agent, level, radius=0)
    seeing_path, seeing = _path(agent, level, radius=None)
    assert blind_path[-1] == (1, 7) and blind.proxy[0] and not blind.reached_cheese[0]
    assert seeing_path == [(7, 1), (6, 1), CHEESE] and seeing.reached_cheese[0]


@pytest.mark.parametrize(("radius", "finds_cheese"), [(1, False), (2, True), (None, True)])
def test_view_radius_decides_whether_the_cheese_is_noticed(maze_art, radius, finds_cheese):
    walls, _ = maze_art(LOOP_MAZE)
    level = LevelBatch(walls[None], np.array([[7, 5]]), np.array([CHEESE]))
    agent = MesaOptimizer({"cheese": 5.0, "bottom_left": 1.0})
    path, episodes = _path(agent, level, radius=radius)
    assert episodes.reached_cheese[0] == finds_cheese
    assert path[-1] == (CHEESE if finds_cheese else (7, 1))


def test_the_agent_stops_at_the_cell_it_values_most(maze_art):
    """Once there, no move beats staying: a second, smaller target is never visited."""
    walls, _ = maze_art(LOOP_MAZE)
    level = LevelBatch(walls[None], np.array([[7, 2]]), np.array([CHEESE]))
    agent = MesaOptimizer({"top_right": 0.9, "bottom_right": 1.0})
    path, episodes = _path(agent, level, radius=None)
    assert path[-1] == (7, 7) and (1, 7) not in path
    assert episodes.reached_mesa_goal[0] and not episodes.proxy[0]


def test_a_visible_cheese_worth_less_than_the_discounted_corner_is_passed_by(maze_art, bfs):
    """The cheese is in sight from the start, and still the corner wins: a choice, not blindness."""
    walls, _ = maze_art(LOOP_MAZE)
    level = _level(maze_art, LOOP_MAZE)
    d_cheese, d_corner = bfs(walls, CHEESE)[(7, 1)], bfs(walls, (1, 7))[(7, 1)]
    gamma = 0.95
    edge = gamma ** (d_corner - d_cheese)  # cheese weight at which both are worth the same
    for w_cheese, wins in ((edge * 0.98, "corner"), (edge * 1.02, "cheese")):
        agent = MesaOptimizer({"cheese": w_cheese, "top_right": 1.0}, gamma)
        path, episodes = _path(agent, level)
        assert episodes.cheese_in_view[0]
        assert episodes.reached_cheese[0] == (wins == "cheese")
        assert episodes.proxy[0] == (wins == "corner")


def test_utility_map_adds_features_that_share_a_cell():
    level = generate_levels(1, 9, 0.0, "train", np.random.default_rng(0))
    weights = np.array([0.4, 0.5, -1.0, 0.0, 0.0])
    grid = utility_map(weights, feature_cells(level)[0], 9)
    assert grid[1, 7] == pytest.approx(0.9)  # cheese and top-right corner, one cell
    assert grid[1, 1] == 0.0  # a negative weight: not worth going to
    blind = utility_map(weights, feature_cells(level)[0], 9, cheese_seen=False)
    assert blind[1, 7] == pytest.approx(0.5)


def test_negative_or_zero_objective_means_no_movement(maze_art):
    level = _level(maze_art, LOOP_MAZE)
    path, episodes = _path(MesaOptimizer({"top_right": -1.0}), level)
    assert path == [(7, 1)] and not episodes.reached_mesa_goal[0]


def test_objective_round_trips_as_a_dict():
    agent = MesaOptimizer({"cheese": 0.5, "top_right": 1.5})
    assert agent.mesa_objective == {name: 0.0 for name in FEATURE_NAMES} | {
        "cheese": 0.5,
        "top_right": 1.5,
    }


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ({"cheeze": 1.0}, r"unknown features \['cheeze'\]; allowed"),
        (np.ones(3), "must have 5 weights"),
        ({"cheese": float("nan")}, "must be finite"),
    ],
)
def test_bad_objectives_are_rejected(objective, message):
    with pytest.raises(ValueError, match=message):
        objective_vector(objective)


def test_gamma_must_be_a_discount():
    with pytest.raises(ValueError, match=r"gamma must be a finite number in \(0, 1\), got 1.0"):
        MesaOptimizer({"cheese": 1.0}, gamma=1.0)
