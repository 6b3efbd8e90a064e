import numpy as np
import pytest

from mesatoys.agents.reactive import ReactivePolicy, local_state
from mesatoys.envs.maze import LevelBatch, generate_levels


def test_local_state_encodes_cell_and_surrounding_walls(maze_art):
    walls, marks = maze_art(
        """
        #####
        #A..#
        #.#.#
        #...#
        #####
        """
    )
    size = walls.shape[0]
    a = marks["A"][0] * size + marks["A"][1]
    state = local_state(walls[None], np.array([a]))[0]
    assert state // 256 == a
    # Bits in the order NW, N, NE, E, SE, S, SW, W: only E (1,2) and S (2,1) are open.
    bits = [(state % 256) >> i & 1 for i in range(8)]
    assert bits == [1, 1, 1, 0, 1, 0, 1, 1]


def test_learns_to_solve_a_single_maze():
    levels = generate_levels(1, 9, 0.0, "train", np.random.default_rng(0))
    policy = ReactivePolicy(episodes=600, parallel=32).fit(levels, 40, np.random.default_rng(1))
    episodes = policy.play(levels, 40, np.random.default_rng(2))
    assert episodes.reached_cheese.all()


def test_a_lookup_table_does_not_transfer_to_new_mazes():
    rng = np.random.default_rng(0)
    train = generate_levels(1, 11, 0.0, "train", rng)
    new = generate_levels(300, 11, 0.0, "train", rng)
    policy = ReactivePolicy(episodes=800, parallel=32).fit(train, 60, np.random.default_rng(1))
    assert policy.play(train, 60, np.random.default_rng(2)).reached_cheese.all()
    assert policy.play(new, 60, np.random.default_rng(2)).reached_cheese.mean() < 0.5


def test_same_seed_same_table():
    levels = generate_levels(4, 9, 0.0, "train", np.random.default_rng(0))
    a = ReactivePolicy(episodes=100).fit(levels, 40, np.random.default_rng(5)).q_table_
    b = ReactivePolicy(episodes=100).fit(levels, 40, np.random.default_rng(5)).q_table_
    assert np.array_equal(a, b)


def test_play_before_fit_is_an_error():
    level = LevelBatch(np.ones((1, 5, 5), bool), np.array([[1, 1]]), np.array([[1, 3]]))
    with pytest.raises(RuntimeError, match="before fit"):
        ReactivePolicy().play(level, 10, np.random.default_rng(0))
