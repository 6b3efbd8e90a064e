"""The reactive network: targets against an independent BFS, its fit, and its two ways to act."""

import numpy as np
import pytest
from scripted_policy import scripted_policy

from mesatoys.agents.reactive import (
    ReactivePolicy,
    TrainingSet,
    interior_index,
    observation_planes,
    play_random,
)
from mesatoys.envs import CheeseMazeEnv
from mesatoys.envs.hand_mazes import hand_maze
from mesatoys.envs.maze import MOVES, LevelBatch, generate_levels

SIZE, LIMIT = 13, 84  # the course's maze size and episode limit


def _levels(n, seed, size=SIZE):
    return generate_levels(n, size, 0.0, "train", np.random.default_rng(seed), extra_openings=0.2)


def _concat(*batches):
    fields = ("walls", "start", "cheese")
    return LevelBatch(*(np.concatenate([getattr(b, f) for b in batches]) for f in fields))


def _shortest_moves(walls, cell, dist):
    """Moves (1-4) from ``cell`` onto a cell one step closer to the goal (BFS reference)."""
    moves = []
    for action, (dr, dc) in enumerate(MOVES[1:], start=1):
        nxt = (cell[0] + dr, cell[1] + dc)
        if nxt in dist and dist[nxt] == dist[cell] - 1:
            moves.append(action)
    return moves


def _walk(policy, level, limit):
    """Cells visited by the policy through the Gymnasium env, one observation at a time."""
    env = CheeseMazeEnv(size=level.size, cheese_radius=None, max_steps=limit)
    obs, _ = env.reset(options={"level": level})
    path = [tuple(int(x) for x in env.pos)]
    for _ in range(limit):
        obs, _, terminated, truncated, _ = env.step(policy.act(obs))
        path.append(tuple(int(x) for x in env.pos))
        if terminated or truncated:
            break
    return path, terminated


@pytest.fixture(scope="module")
def fitted():
    """A policy fitted to 8 mazes (fewer Adam steps than the default, to be quick)."""
    train = _levels(8, 11)
    return ReactivePolicy(min_steps=400).fit(train, LIMIT, np.random.default_rng(12)), train


# --- the targets ------------------------------------------------------------------------------


def test_targets_are_uniform_over_the_shortest_route_moves(maze_art, bfs):
    walls, marks = maze_art(
        """
        #######
        #S...C#
        #.#.#.#
        #.....#
        #.###.#
        #.....#
        #######
        """
    )
    level = LevelBatch(walls[None], np.array([marks["S"]]), np.array([marks["C"]]))
    data = TrainingSet.build(level)
    dist = bfs(walls, marks["C"])
    inner = interior_index(7)
    open_cells = {cell for cell in dist if cell != marks["C"]}
    assert data.n_examples == len(open_cells)
    for row, col in open_cells:
        k = int(np.flatnonzero(data.cells == inner[row * 7 + col])[0])
        expected = np.zeros(5)
        best = _shortest_moves(walls, (row, col), dist)
        expected[best] = 1 / len(best)
        np.testing.assert_allclose(data.targets[0, k], expected)
        assert data.mask[0, k]
    assert not data.mask[0, data.cells == inner[marks["C"][0] * 7 + marks["C"][1]]].any()


def test_observation_planes_read_the_gym_observation():
    env = CheeseMazeEnv(size=9, cheese_radius=None)
    obs, _ = env.reset(seed=3)
    planes = observation_planes(obs)
    m = 7 * 7
    assert planes.shape == (3 * m,) and planes.dtype == np.float32
    walls, agent, cheese = planes[:m], planes[m : 2 * m], planes[2 * m :]
    assert np.array_equal(walls.reshape(7, 7), env.level.walls[0, 1:-1, 1:-1])
    assert agent.reshape(7, 7)[tuple(env.pos - 1)] == 1 and agent.sum() == 1
    assert cheese.reshape(7, 7)[tuple(env.level.cheese[0] - 1)] == 1 and cheese.sum() == 1


# --- fitting ----------------------------------------------------------------------------------


def test_fits_a_single_maze_and_walks_its_shortest_route(bfs):
    level = _levels(1, 7)
    policy = ReactivePolicy().fit(level, LIMIT, np.random.default_rng(8))
    episodes = policy.play(level, LIMIT, record=True)
    shortest = bfs(level.walls[0], tuple(level.cheese[0]))[tuple(level.start[0])]
    assert episodes.reached_cheese[0] and episodes.steps[0] == shortest
    assert policy.train_reached_ == 1.0 and policy.move_accuracy(level) == 1.0


def test_fits_its_training_mazes(fitted):
    policy, train = fitted
    assert policy.play(train, LIMIT).reached_cheese.mean() >= 0.95
    assert policy.n_examples_ > 8 * 50 and len(policy.loss_curve_) == policy.n_epochs(8)
    assert policy.loss_curve_[-1] < policy.loss_curve_[0] / 5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [500, 501, 502, 503, 504])
def test_fits_256_training_mazes_on_fresh_seeds(seed):
    train = _levels(256, seed)
    policy = ReactivePolicy().fit(train, LIMIT, np.random.default_rng(seed + 1))
    assert policy.play(train, LIMIT).reached_cheese.mean() >= 0.95


def test_move_accuracy_against_the_bfs_reference(fitted, bfs):
    policy, train = fitted
    for levels in (train[:4], _levels(4, 99)):
        right = total = 0
        for i in range(len(levels)):
            walls, cheese = levels.walls[i], tuple(levels.cheese[i])
            dist = bfs(walls, cheese)
            for cell in dist:
                if cell == cheese:
                    continue
                obs = walls.astype(np.int8)
                obs[cheese], obs[cell] = 3, 2
                right += policy.act(obs) in _shortest_moves(walls, cell, dist)
                total += 1
        assert policy.move_accuracy(levels) == pytest.approx(right / total)


def test_same_seed_same_network():
    levels = _levels(3, 4, size=9)
    a = ReactivePolicy(min_steps=50).fit(levels, 40, np.random.default_rng(5))
    b = ReactivePolicy(min_steps=50).fit(levels, 40, np.random.default_rng(5))
    assert all(map(np.array_equal, a.network_.params, b.network_.params))
    assert a.loss_curve_ == b.loss_curve_
    c = ReactivePolicy(min_steps=50).fit(levels, 40, np.random.default_rng(6))
    assert not np.array_equal(a.network_.weights[0], c.network_.weights[0])


def test_small_training_sets_get_at_least_min_steps():
    policy = ReactivePolicy(epochs=10, mazes_per_batch=4, min_steps=100)
    assert policy.n_epochs(1) == 100 and policy.n_epochs(8) == 50 and policy.n_epochs(4000) == 10


# --- acting -----------------------------------------------------------------------------------


def test_act_through_the_gym_env_agrees_with_play(fitted):
    policy, train = fitted
    levels = _concat(train[:5], _levels(25, 40))
    episodes = policy.play(levels, LIMIT, record=True)
    assert 0 < episodes.reached_cheese.mean() < 1  # both outcomes are compared
    for i in range(len(levels)):
        path, reached = _walk(policy, levels[i], LIMIT)
        played = [tuple(int(x) for x in c) for c in episodes.paths[i]]
        assert played[: len(path)] == path  # the env keeps walking a stuck agent in place
        assert set(played[len(path) :]) <= {path[-1]}
        assert reached == bool(episodes.reached_cheese[i])
        assert tuple(episodes.final_pos[i]) == path[-1]


def test_logits_give_the_moves_of_act(fitted):
    policy, _ = fitted
    level = hand_maze("loop")
    cells = np.argwhere(~level.walls[0])
    copies = _concat(*[level] * len(cells))
    logits = policy.logits(copies, cells[:, 0] * SIZE + cells[:, 1])
    for (row, col), row_logits in zip(cells, logits, strict=True):
        obs = level.walls[0].astype(np.int8)
        obs[tuple(level.cheese[0])], obs[row, col] = 3, 2
        if (row, col) != tuple(level.cheese[0]):
            assert policy.act(obs) == int(row_logits.argmax())


def test_play_ends_a_stuck_episode_and_runs_a_loop_to_the_limit():
    level = hand_maze("open room")
    stuck = scripted_policy({}, default=4).play(
        level, LIMIT, record=True
    )  # left from (11, 1): wall
    assert stuck.steps[0] == 0 and tuple(stuck.final_pos[0]) == (11, 1)
    assert not stuck.reached_cheese[0] and stuck.returns[0] == 0
    loop = scripted_policy({(11, 1): 2, (11, 2): 4}).play(
        level, LIMIT, record=True
    )  # right, left...
    assert loop.steps[0] == LIMIT and not loop.reached_cheese[0]
    assert {tuple(c) for c in loop.paths[0]} == {(11, 1), (11, 2)}
    route = {(r, 1): 2 for r in range(1, 12)} | {(1, c): 2 for c in range(1, 11)}
    up_then_right = scripted_policy({**route, **{(r, 1): 1 for r in range(2, 12)}}).play(
        level, LIMIT
    )
    assert up_then_right.reached_cheese[0] and up_then_right.steps[0] == 20
    assert up_then_right.returns[0] == pytest.approx(1 - 0.9 * 20 / LIMIT)
    assert (up_then_right.mesa_goal == -1).all() and up_then_right.cheese_in_view.all()


def test_play_random_is_seeded_and_ends_on_the_cheese():
    levels = _levels(200, 3)
    a = play_random(levels, LIMIT, np.random.default_rng(0))
    b = play_random(levels, LIMIT, np.random.default_rng(0))
    assert np.array_equal(a.final_pos, b.final_pos) and np.array_equal(a.steps, b.steps)
    got = a.reached_cheese
    assert 0 < got.mean() < 0.5
    assert (a.final_pos[got] == levels.cheese[got]).all() and (a.steps[~got] == LIMIT).all()


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": (0,)}, r"hidden must be a tuple of integers >= 1, got \(0,\)"),
        ({"hidden": [64]}, r"hidden must be a tuple of integers >= 1, got \[64\]"),
        ({"epochs": -1}, "epochs must be an integer >= 0, got -1"),
        ({"mazes_per_batch": 0}, "mazes_per_batch must be an integer >= 1, got 0"),
        ({"learning_rate": 0}, r"learning_rate must be a number in \(0, 1\), got 0"),
        ({"min_steps": 2.5}, "min_steps must be an integer >= 0, got 2.5"),
    ],
)
def test_bad_hyper_parameters_are_named_on_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReactivePolicy(**kwargs).fit(_levels(1, 0, size=9), 40, np.random.default_rng(0))


def test_bad_arguments(fitted):
    policy, train = fitted
    with pytest.raises(ValueError, match="levels must be a non-empty LevelBatch"):
        ReactivePolicy().fit("mazes", 40, np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1, got 0"):
        ReactivePolicy().fit(train, 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        ReactivePolicy().fit(train, 40, 0)
    with pytest.raises(ValueError, match=r"levels must be 13 x 13 mazes .* got size 9"):
        policy.play(_levels(2, 0, size=9), 40)
    with pytest.raises(ValueError, match=r"observation must be a 13 x 13 grid .* \(9, 9\)"):
        policy.act(np.zeros((9, 9), dtype=np.int8))
    with pytest.raises(RuntimeError, match="must be fitted first"):
        ReactivePolicy().play(train, 40)


def test_get_params_make_an_unfitted_copy():
    policy = ReactivePolicy(hidden=(32,), epochs=3, learning_rate=0.02)
    copy = ReactivePolicy(**policy.get_params())
    assert copy.get_params() == policy.get_params() and not hasattr(copy, "network_")
    assert repr(policy).startswith("ReactivePolicy(hidden=(32,), epochs=3")
