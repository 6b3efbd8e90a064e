"""Every number the mesa-optimization notebook states in words, checked at its own settings.

The notebook uses ``gm.Config(n_test_levels=300)`` and seed 0; the maze editor and the
side-by-side figures use coin seed 0 for the lookup table's tie-breaking.
"""

import numpy as np
import pytest

from mesatoys.agents.reactive import ReactivePolicy, local_state
from mesatoys.envs.features import corner_cells
from mesatoys.envs.hand_mazes import hand_maze, toggle_walls
from mesatoys.envs.maze import LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz import maze_editor as me

pytestmark = pytest.mark.slow

CFG = gm.Config(n_test_levels=300)
SEED = 0
WALL_ADDED = (2, 7)


@pytest.fixture(scope="module")
def broad():
    return gm.compare_with_reactive(CFG, seed=SEED)


@pytest.fixture(scope="module")
def narrow():
    return gm.compare_with_reactive(CFG, seed=SEED, n_levels=1)


@pytest.fixture(scope="module")
def chance():
    untrained = ReactivePolicy(episodes=0)
    return gm.compare_with_reactive(CFG, seed=SEED, n_levels=1, reactive=untrained)


@pytest.fixture(scope="module")
def one_maze():
    return gm.train_agents(CFG, seed=SEED, n_levels=1)


@pytest.fixture(scope="module")
def all_mazes():
    return gm.train_agents(CFG, seed=SEED)


@pytest.fixture(scope="module")
def new_mazes():
    return gm.new_layouts(CFG, SEED)


def _decided(agents, levels):
    rng = np.random.default_rng(0)  # decision_table's coin seed
    return gm.trace_reactive(agents.reactive, levels, CFG.episode_limit, rng).decided_share


# --- section 2 --------------------------------------------------------------------------------


def test_section2_what_each_agent_learns(one_maze):
    assert one_maze.planner.weights.shape == (5,)  # "5 weights"
    assert one_maze.reactive.q_table_.shape == (43_264, 5)  # "up to 43,264 situations"


# --- section 3 --------------------------------------------------------------------------------


def test_section3_same_256_training_mazes(broad):
    assert broad.planner_train == 1.0 and broad.planner_new_layouts == 1.0  # "every maze"
    assert 0.1 <= broad.reactive_new_layouts <= 0.2  # "about one maze in seven"
    assert 0.1 <= broad.reactive_train <= 0.2  # "cannot even fit them"
    assert abs(broad.reactive_train - broad.reactive_new_layouts) <= 0.03  # "hardly more often"


def test_section3_a_single_training_maze(narrow):
    assert narrow.reactive_train == 1.0  # "masters its maze: every time"
    assert 0.12 <= narrow.reactive_new_layouts <= 0.21  # "about one in six"
    assert narrow.planner_train == 1.0 and narrow.planner_new_layouts == 1.0


def test_section3_random_moves(chance, narrow, broad, new_mazes):
    assert 0.1 <= chance.reactive_new_layouts <= 0.15  # "about one new maze in eight"
    for trained in (narrow, broad):  # "little better than chance, whichever way it was trained"
        assert 0 <= trained.reactive_new_layouts - chance.reactive_new_layouts <= 0.05
    untrained = ReactivePolicy(episodes=0).fit(new_mazes, 84, np.random.default_rng(0))
    trace = gm.trace_reactive(untrained, new_mazes, 84, np.random.default_rng(0))
    assert trace.decided_share == 0.0  # "every move is a coin flip"


# --- section 4 --------------------------------------------------------------------------------


def test_section4_the_editor_agents_are_the_ones_measured(one_maze, narrow, new_mazes):
    planner = gm.play(one_maze.config, one_maze.planner.weights, new_mazes).reached_cheese.mean()
    assert planner == narrow.planner_new_layouts
    rng = np.random.default_rng([SEED, 4])
    limit = one_maze.config.episode_limit
    train = one_maze.reactive.play(one_maze.planner.train_levels, limit, rng).reached_cheese.mean()
    new = one_maze.reactive.play(new_mazes, limit, rng).reached_cheese.mean()
    assert (train, new) == (narrow.reactive_train, narrow.reactive_new_layouts)


def test_section4_their_training_maze(one_maze):
    match = me.play_match(one_maze, one_maze.planner.train_levels, "their training maze")
    assert match.planner.reached_cheese[0] and match.reactive.episodes.reached_cheese[0]
    assert match.planner.steps[0] == match.reactive.moves[0] == match.shortest  # "as short"
    assert match.coin_flips == 0
    on_route = {tuple(c) for c in match.reactive.episodes.paths[0]}
    assert WALL_ADDED in on_route  # "on the usual route"


def test_section4_one_wall_added(one_maze):
    home = one_maze.planner.train_levels
    match = me.play_match(one_maze, toggle_walls(home, [WALL_ADDED]), "one wall added")
    assert match.planner.reached_cheese[0]
    assert match.planner.steps[0] == match.shortest  # "again by a shortest route"
    assert not match.reactive.episodes.reached_cheese[0]  # "the table is lost"
    assert match.coin_flips >= match.reactive.moves[0] / 2  # "from then on it flips coins"
    beside = (WALL_ADDED[0] + 1, WALL_ADDED[1])  # where its route meets the new wall
    walls = toggle_walls(home, [WALL_ADDED]).walls
    state = local_state(walls, np.array([beside[0] * 13 + beside[1]]))[0]
    assert not one_maze.reactive.q_table_[state].any()  # "a situation it never met"


def test_section4_decision_table(one_maze, all_mazes, new_mazes):
    learned_one = int((one_maze.reactive.q_table_ != 0).any(axis=1).sum())
    learned_all = int((all_mazes.reactive.q_table_ != 0).any(axis=1).sum())
    assert 20 <= learned_one <= 100  # "a few dozen situations"
    assert 200 <= learned_all <= 2000  # "filled in hundreds of situations"
    assert one_maze.reactive.q_table_.size == 216_320  # "room for 216,320"
    assert _decided(one_maze, one_maze.planner.train_levels) == 1.0
    assert 0.02 <= _decided(one_maze, new_mazes) <= 0.06  # "about 96 of every 100 coin flips"
    assert _decided(all_mazes, all_mazes.planner.train_levels) >= 0.95  # "nearly all ... old"
    assert _decided(all_mazes, new_mazes) >= 0.95  # "... and new"


# --- section 5 --------------------------------------------------------------------------------


def test_section5_cheese_moved(one_maze):
    level = hand_maze("cheese moved")
    match = me.play_match(one_maze, level, "cheese moved")
    corner = corner_cells(13)[0]
    to_corner = distance_maps(level.walls, corner[None])[0][tuple(level.start[0])]
    assert not match.planner.reached_cheese[0]
    assert (match.planner.final_pos[0] == corner).all()  # "finds nothing there and stops"
    assert match.planner.steps[0] == to_corner  # "by the shortest route", "without a wasted step"
    assert not match.reactive.episodes.reached_cheese[0]  # "the table, as before, wanders"
    objective = one_maze.planner.mesa_objective
    assert max(objective, key=objective.get) == "top_right"  # "weighs the corner most"
    assert one_maze.config.cheese_radius == 1  # "notices the cheese only from the next cell"


# --- section 6 (things to try) ----------------------------------------------------------------


def test_section6_moving_the_start_in_the_training_maze(one_maze):
    home = one_maze.planner.train_levels
    copes = []
    for cell in np.argwhere(~home.walls[0]):
        if (cell == home.cheese[0]).all():
            continue
        level = LevelBatch(home.walls, cell[None], home.cheese)
        copes.append(bool(me.play_match(one_maze, level).reactive.episodes.reached_cheese[0]))
    assert np.mean(copes) >= 0.7  # "you will often find the table still copes"


@pytest.mark.parametrize("name", ["corridor", "spiral", "loop", "dead ends", "open room"])
def test_section6_the_planner_solves_every_library_maze_by_a_shortest_route(one_maze, name):
    match = me.play_match(one_maze, hand_maze(name), name)
    assert match.planner.reached_cheese[0] and match.planner.steps[0] == match.shortest
