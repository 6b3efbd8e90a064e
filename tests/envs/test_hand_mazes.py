import numpy as np
import pytest

from mesatoys.envs.hand_mazes import (
    HAND_MAZES,
    check_level,
    hand_maze,
    maze_art,
    parse_maze,
    toggle_walls,
)
from mesatoys.envs.maze import LevelBatch, generate_levels
from mesatoys.viz.maze_plots import level_ascii

GOOD_ROWS = ["#######", "#S....#", "#.###.#", "#...#.#", "#.#.#C#", "#.....#", "#######"]


def _art(rows):
    return "\n".join(rows)


def _with(row, col, ch, rows=GOOD_ROWS):
    out = [list(r) for r in rows]
    out[row][col] = ch
    return _art("".join(r) for r in out)


# --- the library ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HAND_MAZES))
def test_every_library_maze_is_a_playable_13_by_13_maze(name, bfs):
    level = parse_maze(HAND_MAZES[name], size=13)
    assert len(level) == 1 and level.size == 13
    walls = level.walls[0]
    assert walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()
    assert tuple(level.start[0]) in bfs(walls, tuple(level.cheese[0]))  # an independent check
    assert not walls[1, 11]  # the top-right corner is open


def test_only_cheese_moved_moves_the_cheese_out_of_the_corner():
    for name in HAND_MAZES:
        in_corner = (hand_maze(name).cheese[0] == [1, 11]).all()
        assert in_corner == (name != "cheese moved"), name


def test_the_library_offers_the_promised_shapes():
    assert {"corridor", "loop", "spiral", "dead ends", "open room", "cheese moved"} <= set(
        HAND_MAZES
    )


def test_loop_has_a_loop_and_dead_ends_has_dead_ends():
    def open_edges(walls):
        return int((~walls[:, :-1] & ~walls[:, 1:]).sum() + (~walls[:-1] & ~walls[1:]).sum())

    loop = hand_maze("loop").walls[0]
    assert open_edges(loop) >= (~loop).sum()  # more edges than a tree: a cycle
    dead = hand_maze("dead ends").walls[0]
    open_cells = ~dead
    neighbours = sum(np.roll(open_cells, s, a) for s, a in [(1, 0), (-1, 0), (1, 1), (-1, 1)])
    assert ((neighbours == 1) & open_cells).sum() >= 6


def test_unknown_library_name_lists_the_names():
    with pytest.raises(ValueError, match=r"name must be one of \['corridor'"):
        hand_maze("labyrinth")


# --- parsing ----------------------------------------------------------------------------------


def test_parse_small_square_maze():
    level = parse_maze(_art(GOOD_ROWS))
    assert level.walls.shape == (1, 7, 7)
    assert level.start[0].tolist() == [1, 1] and level.cheese[0].tolist() == [4, 5]
    assert level.walls[0, 2, 2] and not level.walls[0, 1, 2]


def test_spaces_and_blank_lines_are_ignored_so_level_ascii_pastes_back():
    level = hand_maze("loop")
    spaced = level_ascii(level.walls[0], level.start[0], level.cheese[0])
    again = parse_maze("\n\n" + spaced + "\n\n")
    assert np.array_equal(again.walls, level.walls)
    assert np.array_equal(again.start, level.start) and np.array_equal(again.cheese, level.cheese)


def test_maze_art_round_trips_generated_levels():
    levels = generate_levels(5, 13, 0.5, "train", np.random.default_rng(3), extra_openings=0.2)
    for i in range(len(levels)):
        again = parse_maze(maze_art(levels, i), size=13)
        assert np.array_equal(again.walls[0], levels.walls[i])
        assert np.array_equal(again.start[0], levels.start[i])
        assert np.array_equal(again.cheese[0], levels.cheese[i])


@pytest.mark.parametrize(
    ("art", "message"),
    [
        (None, "art must be a string"),
        (42, "art must be a string"),
        ("", "art is empty"),
        ("  \n \n", "art is empty"),
        (_with(2, 3, "x"), r"unknown character 'x' at \(row 2, column 3\)"),
        (_with(2, 3, "T"), "allowed: '#' wall, '.' open, 'S' start, 'C' cheese"),
        (_art([*GOOD_ROWS[:3], GOOD_ROWS[3][:-1], *GOOD_ROWS[4:]]), "rectangular: row 0 has 7"),
        (_art(GOOD_ROWS[:-1]), r"square of at least 5 x 5 cells, got 6 rows x 7 columns"),
        (_art(["###", "#S#", "#C#"]), "square of at least 5"),
        (_with(1, 1, "."), "no start 'S'"),
        (_with(4, 5, "."), "no cheese 'C'"),
        (_with(5, 1, "S"), r"2 starts 'S' \(at \(row 1, column 1\), \(row 5, column 1\)\)"),
        (_with(1, 3, "C"), "2 cheeses 'C'"),
        (_with(0, 3, "."), r"border must be wall '#' all the way round; it is open at \(row 0"),
        (_with(3, 6, "."), r"open at \(row 3, column 6\)"),
        (
            _with(5, 5, "#", rows=_with(3, 5, "#").splitlines()),
            r"no route from the start \(row 1, column 1\) to the cheese \(row 4, column 5\)",
        ),
    ],
)
def test_bad_art_is_refused_with_a_message_that_says_what_and_where(art, message):
    with pytest.raises(ValueError, match=message):
        parse_maze(art)


def test_a_wrong_size_names_the_required_size():
    with pytest.raises(ValueError, match=r"art must be 13 rows x 13 columns \(size=13\), got 7"):
        parse_maze(_art(GOOD_ROWS), size=13)


def test_a_start_walled_in_is_refused():
    walled = [list(r) for r in GOOD_ROWS]
    walled[1][2] = walled[2][1] = "#"
    with pytest.raises(ValueError, match="no route"):
        parse_maze(_art("".join(r) for r in walled))


# --- check_level ------------------------------------------------------------------------------


def _level():
    return parse_maze(_art(GOOD_ROWS))


@pytest.mark.parametrize(
    ("start", "cheese", "message"),
    [
        ((2, 2), (4, 5), r"start is inside a wall at \(row 2, column 2\)"),
        ((1, 1), (0, 0), "cheese is inside a wall"),
        ((1, 1), (1, 1), "start and cheese must be different cells"),
        ((1, 9), (4, 5), r"start must be a \(row, column\) pair of integers in \[0, 6\]"),
        ((1.0, 1.0), (4, 5), "start must be a"),
        ((1, 1, 1), (4, 5), "start must be a"),
    ],
)
def test_check_level_names_the_bad_cell(start, cheese, message):
    walls = _level().walls[0]
    with pytest.raises(ValueError, match=message):
        check_level(walls, np.array(start), np.array(cheese))


def test_check_level_needs_a_square_grid():
    with pytest.raises(ValueError, match=r"walls must be a square 2-D array .* got shape \(5, 7\)"):
        check_level(np.ones((5, 7), bool), np.array([1, 1]), np.array([1, 2]))


# --- toggling cells ---------------------------------------------------------------------------


def test_toggle_walls_adds_and_removes_walls():
    level = _level()
    more = toggle_walls(level, [(5, 3)])
    assert more.walls[0, 5, 3] and not level.walls[0, 5, 3]
    back = toggle_walls(more, [(5, 3)])
    assert np.array_equal(back.walls, level.walls)
    assert np.array_equal(more.start, level.start) and np.array_equal(more.cheese, level.cheese)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([(0, 3)], r"cells must be \(row, column\) pairs of integers in \[1, 5\]"),
        ([(2.0, 3)], "cells must be"),
        ([(1, 1)], "must not include the start or the cheese"),
        ([(3, 5), (5, 5)], "no route"),
    ],
)
def test_toggle_walls_refuses_what_would_break_the_maze(cells, message):
    with pytest.raises(ValueError, match=message):
        toggle_walls(_level(), cells)


def test_toggle_walls_picks_one_level_of_a_batch():
    levels = LevelBatch(
        np.stack([_level().walls[0]] * 2), np.array([[1, 1], [5, 1]]), np.array([[4, 5], [4, 5]])
    )
    one = toggle_walls(levels, [(1, 3)], index=1)
    assert len(one) == 1 and one.start[0].tolist() == [5, 1] and one.walls[0, 1, 3]
