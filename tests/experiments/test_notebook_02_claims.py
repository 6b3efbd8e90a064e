"""Every number the mesa-optimization notebook states in words, checked at its own settings.

The notebook runs ``layout_shift.run`` with 256, 1 and 16 training mazes and seed 0. A fitted
network's last digits can depend on the number of BLAS threads, so its rates are checked
within the ranges the text states, not to the digit.
"""

import numpy as np
import pytest
from notebook_text import notebook_text

from mesatoys.envs.features import corner_cells
from mesatoys.envs.hand_mazes import hand_maze, toggle_walls
from mesatoys.envs.maze import LevelBatch, distance_maps
from mesatoys.experiments import layout_shift as ls
from mesatoys.viz import maze_editor as me

pytestmark = pytest.mark.slow

SEED = 0
WALL_ADDED = (2, 7)


@pytest.fixture(scope="module")
def broad():
    return ls.run(ls.Config(n_train_levels=256), seed=SEED)


@pytest.fixture(scope="module")
def narrow():
    return ls.run(ls.Config(n_train_levels=1), seed=SEED)


@pytest.fixture(scope="module")
def middle():
    return ls.run(ls.Config(n_train_levels=16), seed=SEED)


def test_section1_defines_the_optimizer_and_links_back_for_the_layers():
    text = notebook_text("02_mesa_optimization")
    assert "bottle cap" in text and "[notebook 01](01_the_two_layer_problem.ipynb)" in text
    assert "| base optimizer | mesa-optimizer |" not in text  # the table lives in notebook 01


def test_section2_what_each_agent_sees_and_learns(narrow):
    network = narrow.policy.network_
    n_weights = sum(p.size for p in network.params)
    assert 90_000 <= n_weights <= 98_000  # "about 94,000 network weights"
    assert network.params[0].shape[1] == 256  # "one hidden layer of 256 units"
    assert narrow.planner_config.cheese_radius is None  # "both agents see ... the cheese"
    assert len(narrow.planner_objective) == 5  # "5 weights"


def test_section3_same_256_training_mazes(broad):
    assert broad.planner_train == 1.0 and broad.planner_new_layouts == 1.0
    assert broad.reactive_train >= 255 / 256  # "in all, or all but one, of the 256"
    assert 0.40 <= broad.reactive_new_layouts <= 0.55  # "about half of them"
    assert 0.07 <= broad.random_new_layouts <= 0.11  # "about one maze in eleven"
    assert broad.reactive_new_layouts > 3 * broad.random_new_layouts  # "far more often"


def test_section3_a_single_training_maze(narrow):
    assert narrow.reactive_train == 1.0  # "solves it from every start"
    assert 0.15 <= narrow.reactive_new_layouts <= 0.25  # "about one new maze in five"
    assert narrow.planner_new_layouts == 1.0  # "still reaches it in every new maze"


def test_section4_one_wall_added(narrow, bfs):
    home = narrow.train_levels
    blocked = toggle_walls(home, [WALL_ADDED])
    before, after = me.play_match(narrow, home), me.play_match(narrow, blocked)
    assert before.reactive.reached_cheese[0] and before.reactive.steps[0] == before.shortest
    assert before.planner.steps[0] == before.shortest  # "as short as the planner's"
    route = [tuple(c) for c in before.reactive.paths[0][: before.reactive.steps[0] + 1]]
    assert WALL_ADDED in route  # "on the usual route"
    dist = bfs(blocked.walls[0], tuple(blocked.cheese[0]))
    assert dist[tuple(blocked.start[0])] == before.shortest  # "a second route of the same length"
    assert after.planner.reached_cheese[0] and after.planner.steps[0] == after.shortest
    assert not after.reactive.reached_cheese[0]  # "stops there"
    stop = tuple(after.reactive.final_pos[0])
    assert abs(stop[0] - WALL_ADDED[0]) + abs(stop[1] - WALL_ADDED[1]) == 1  # "up to the new wall"


def test_section4_shortest_route_moves(narrow, middle, broad):
    for r in (narrow, middle, broad):
        assert r.reactive_train_moves >= 0.998  # "in every cell, or all but a handful"
    assert 0.42 <= narrow.reactive_new_moves <= 0.55  # "about half with one maze"
    assert 0.70 <= broad.reactive_new_moves <= 0.80  # "about three in four with 256"
    moves = [r.reactive_new_moves for r in (narrow, middle, broad)]
    cheese = [r.reactive_new_layouts for r in (narrow, middle, broad)]
    assert moves == sorted(moves) and cheese == sorted(cheese)  # "grows ... and so does"


def test_section4_the_planner_needs_one_maze(narrow, broad):
    assert narrow.planner_new_layouts == broad.planner_new_layouts == 1.0


def test_section5_cheese_moved(narrow):
    level = hand_maze("cheese moved")
    match = me.play_match(narrow, level, "cheese moved")
    corner = corner_cells(13)[0]
    to_corner = distance_maps(level.walls, corner[None])[0][tuple(level.start[0])]
    assert not match.planner.reached_cheese[0]
    assert (match.planner.final_pos[0] == corner).all()  # "finds nothing there and stops"
    assert match.planner.steps[0] == to_corner  # "by the shortest route"
    assert match.planner.cheese_in_view[0]  # "with the cheese in plain view"
    objective = narrow.planner_objective
    assert max(objective, key=objective.get) == "top_right"  # "puts its weight on the corner"
    assert (match.reactive.final_pos[0] == corner).all()  # "The network walks to the corner too"


def test_section6_moving_the_start_in_the_training_maze(narrow):
    home = narrow.train_levels
    copes = []
    for cell in np.argwhere(~home.walls[0]):
        if (cell == home.cheese[0]).all():
            continue
        level = LevelBatch(home.walls, cell[None], home.cheese)
        copes.append(bool(me.play_match(narrow, level).reactive.reached_cheese[0]))
    assert np.mean(copes) >= 0.9  # "it usually still copes"


@pytest.mark.parametrize("name", ["corridor", "spiral", "loop", "dead ends", "open room"])
def test_section6_the_planner_solves_every_library_maze_by_a_shortest_route(narrow, name):
    match = me.play_match(narrow, hand_maze(name), name)
    assert match.planner.reached_cheese[0] and match.planner.steps[0] == match.shortest
