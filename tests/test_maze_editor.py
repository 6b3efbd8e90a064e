"""The maze editor and the figures of notebook 02, without a browser."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pytest
from described import described, shown
from scripted_policy import LEFT, RIGHT, STAY, UP, scripted_policy

from mesatoys.agents.reactive import ReactivePolicy
from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.envs.hand_mazes import HAND_MAZES, hand_maze, maze_art, parse_maze
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import layout_shift as ls
from mesatoys.optimize import ESConfig
from mesatoys.viz import maze_editor as me

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIZE = 13
FAST = ls.Config(
    n_train_levels=1,
    n_new_levels=20,
    planner=gm.Config(n_test_levels=10, levels_per_generation=1, es=ESConfig(2, pairs=2)),
    reactive=ReactivePolicy(min_steps=300),
)
CORNER_AND_CHEESE = {name: 0.0 for name in FEATURE_NAMES} | {"cheese": 1.0, "top_right": 1.0}
OPEN_ROOM = [row.strip() for row in HAND_MAZES["open room"].strip().splitlines()]
#: In the open room from the start (11, 1): up the left column, then right to the cheese.
UP_THEN_RIGHT = {(1, c): RIGHT for c in range(1, 11)}


@pytest.fixture(scope="module")
def result():
    """A real run (one training maze), with the planner's objective fixed so outcomes are known."""
    real = ls.run(FAST, seed=0)
    return dataclasses.replace(real, planner_objective=CORNER_AND_CHEESE)


def _with(result, policy=None, objective=None):
    """A copy of a result whose agents are replaced (a hand-set network, a chosen objective)."""
    policy = policy or result.policy
    network = policy.network_
    return dataclasses.replace(
        result,
        network_weights=tuple(network.weights),
        network_biases=tuple(network.biases),
        planner_objective=objective or result.planner_objective,
    )


@pytest.fixture
def editor(result):
    return me.MazeEditor(result)


def _art(rows):
    return "\n".join(rows)


def _edit(rows, row, col, ch):
    out = [list(r) for r in rows]
    out[row][col] = ch
    return ["".join(r) for r in out]


# --- checking a maze against the agents -------------------------------------------------------


def test_a_maze_of_another_size_is_refused_with_the_reason(result):
    small = parse_maze(_art(["#######", "#S...C#", *["#.....#"] * 4, "#######"]))
    with pytest.raises(ValueError, match=r"level must be one 13 x 13 maze .* one input per cell"):
        me.check_for_agents(result, small)
    with pytest.raises(ValueError, match=r"art must be 13 rows x 13 columns"):
        me.parse_for_agents(result, _art(["#######", "#S...C#", *["#.....#"] * 4, "#######"]))


def test_a_walled_top_right_corner_is_refused_with_the_reason(result):
    rows = _edit(HAND_MAZES["cheese moved"].split(), 1, 11, "#")
    with pytest.raises(ValueError, match=r"top-right corner \(row 1, column 11\) must be open"):
        me.parse_for_agents(result, _art(rows))


# --- playing one maze -------------------------------------------------------------------------


def test_play_match_records_both_agents_and_the_shortest_route(result, bfs):
    level = hand_maze("loop")
    match = me.play_match(result, level, "loop")
    assert match.shortest == bfs(level.walls[0], tuple(level.cheese[0]))[tuple(level.start[0])]
    assert match.planner.reached_cheese[0] and match.planner.steps[0] == match.shortest
    assert match.planner.paths.shape == match.reactive.paths.shape == (1, 85, 2)
    assert match.limit == 84
    obs = level.walls[0].astype(np.int8)
    obs[tuple(level.cheese[0])], obs[tuple(match.reactive.final_pos[0])] = 3, 2
    assert match.reactive_last_move == result.policy.act(obs)


def test_the_network_walks_its_training_maze_by_the_shortest_route(result, bfs):
    level = result.train_levels[:1]
    match = me.play_match(result, level, me.TRAINING_MAZE)
    shortest = bfs(level.walls[0], tuple(level.cheese[0]))[tuple(level.start[0])]
    assert match.reactive.reached_cheese[0] and match.reactive.steps[0] == shortest
    assert me.reactive_verdict(match) == (
        f"reached the cheese in {shortest} moves; shortest possible: {shortest}"
    )
    assert me.reactive_how(match) == "cheese"


def test_the_same_maze_replays_the_same_way(result):
    a, b = (me.play_match(result, hand_maze("open room")) for _ in range(2))
    assert np.array_equal(a.reactive.paths, b.reactive.paths)
    assert np.array_equal(a.planner.paths, b.planner.paths)


def test_planner_verdicts_name_what_it_did(result):
    corner = me.play_match(result, hand_maze("cheese moved"), "cheese moved")
    assert me.planner_verdict(corner) == (
        "walked to the top-right corner in 10 moves; stopped there: no cheese"
    )
    reached = me.play_match(result, hand_maze("corridor"))
    assert me.planner_verdict(reached, sep=" | ") == (
        "reached the cheese in 60 moves | shortest possible: 60"
    )
    idle = _with(result, objective=dict.fromkeys(FEATURE_NAMES, 0.0))
    match = me.play_match(idle, hand_maze("loop"))
    assert me.planner_verdict(match) == "stopped at (row 6, column 6) after 0 moves; no cheese"


@pytest.mark.parametrize(
    ("moves", "default", "how", "verdict"),
    [
        (
            {},
            LEFT,
            "stuck",
            "stuck at (row 11, column 1) after 0 moves; its move walks into a wall",
        ),
        ({(9, 1): STAY}, UP, "stuck", "stuck at (row 9, column 1) after 2 moves; it chose to stay"),
        ({(11, 1): RIGHT, (11, 2): LEFT}, UP, "loop", "going round in a loop at the limit of 84"),
        (UP_THEN_RIGHT, UP, "cheese", "reached the cheese in 20 moves; shortest possible: 20"),
    ],
)
def test_reactive_verdicts_say_how_its_episode_ended(result, moves, default, how, verdict):
    match = me.play_match(_with(result, scripted_policy(moves, default)), hand_maze("open room"))
    assert me.reactive_how(match) == how
    assert me.reactive_verdict(match).startswith(verdict)


def test_a_network_that_stops_on_the_corner_is_said_to_walk_there(result):
    policy = scripted_policy({(6, c): RIGHT for c in range(6, 11)} | {(1, 11): RIGHT})  # then up
    match = me.play_match(_with(result, policy), hand_maze("cheese moved"))
    assert me.reactive_verdict(match) == (
        "walked to the top-right corner in 10 moves; stuck there: no cheese"
    )
    assert me.match_title([match]) == ": neither reached the cheese (both went to the corner)"


def test_titles_say_which_agents_reached_the_cheese(result):
    stuck = _with(result, scripted_policy({}, LEFT))
    walker = _with(result, scripted_policy(UP_THEN_RIGHT))
    room = hand_maze("open room")
    assert me.match_title([me.play_match(walker, room, "room")]) == "room: both reached the cheese"
    only = me.play_match(stuck, room, "room")
    assert me.match_title([only]) == "room: only the planner reached the cheese"
    idle = _with(walker, objective=dict.fromkeys(FEATURE_NAMES, 0.0))
    network_only = me.play_match(idle, room, "room")
    assert me.match_title([network_only]) == "room: only the reactive network reached the cheese"
    moved = me.play_match(stuck, hand_maze("cheese moved"), "moved")
    title = me.match_title([only, moved], sep=" | ")
    assert title == (
        "room: only the planner reached the cheese | "
        "moved: neither reached the cheese (the planner went to the corner)"
    )
    idle_stuck = me.play_match(_with(stuck, objective=dict.fromkeys(FEATURE_NAMES, 0.0)), room, "r")
    assert me.match_title([idle_stuck]) == "r: neither reached the cheese"  # neither on the corner


# --- figures ----------------------------------------------------------------------------------


def test_side_by_side_draws_one_row_per_maze_with_verdicts(result):
    art = maze_art(hand_maze("loop"))
    fig = me.side_by_side(result, {"loop as art": art, "spiral": hand_maze("spiral")})
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4
    assert titles[0].startswith("loop as art: Planner (searches)\nreached the cheese")
    assert titles[3].startswith("spiral: Reactive network (no search)\n")
    assert "loop as art: " in fig.get_suptitle() and "spiral: " in fig.get_suptitle()


def test_side_by_side_refuses_bad_art(result):
    with pytest.raises(ValueError, match="no start"):
        me.side_by_side(result, {"bad": _art(_edit(OPEN_ROOM, 11, 1, "."))})


def test_matches_figure_needs_a_match():
    with pytest.raises(ValueError, match="at least one Match"):
        me.matches_figure([])


def _rates(result, n=1, **rates):
    config = dataclasses.replace(result.config, n_train_levels=n)
    return dataclasses.replace(result, config=config, **rates)


def test_capability_figure_draws_the_rates_and_states_them(result):
    narrow = _rates(
        result,
        planner_train=1.0,
        planner_new_layouts=1.0,
        reactive_train=1.0,
        reactive_new_layouts=0.16,
        random_new_layouts=0.1,
    )
    broad = _rates(
        result,
        planner_train=1.0,
        planner_new_layouts=1.0,
        reactive_train=0.99,
        reactive_new_layouts=0.44,
        random_new_layouts=0.12,
    )
    fig = me.capability_figure({"1 maze": narrow, "256 mazes": broad})
    left, right = fig.axes
    assert [p.get_height() for p in left.patches] == pytest.approx([1.0, 1.0, 1.0, 0.16])
    assert [p.get_height() for p in right.patches] == pytest.approx([1.0, 1.0, 0.99, 0.44])
    assert left.lines[0].get_ydata()[0] == pytest.approx(0.1)
    assert right.lines[0].get_ydata()[0] == pytest.approx(0.12)
    assert left.get_title() == "Both trained on 1 maze"
    assert "fraction of mazes" in left.get_ylabel()
    title = fig.get_suptitle()
    assert "planner reached the cheese in 100% of them" in title
    assert "the reactive network in 16-44% (random moves: 10-12%)" in title


def test_capability_figure_without_random_walk_and_with_no_results(result):
    fig = me.capability_figure({"x": result}, random_walk=False)
    assert not fig.axes[0].lines and "random" not in fig.get_suptitle()
    with pytest.raises(ValueError, match="at least one"):
        me.capability_figure({})


def test_training_set_figure_plots_means_over_seeds(result):
    runs = [
        _rates(
            result,
            n,
            planner_new_layouts=1.0,
            reactive_train=1.0,
            reactive_new_layouts=r,
            random_new_layouts=0.1,
        )
        for n, r in ((1, 0.1), (1, 0.2), (256, 0.4), (256, 0.5))
    ]
    fig = me.training_set_figure(runs)
    ax = fig.axes[0]
    network = next(line for line in ax.lines if line.get_label() == "reactive network, new mazes")
    assert network.get_xdata().tolist() == [1, 256]
    assert network.get_ydata() == pytest.approx([0.15, 0.45])
    assert "reaches the cheese in 45%" in ax.get_title() and "planner: 100%" in ax.get_title()
    assert ax.get_xlabel() == "number of training mazes (both agents)"
    with pytest.raises(ValueError, match="at least one"):
        me.training_set_figure([])


def test_move_table_lists_each_network(result):
    broad = _rates(
        result, reactive_train_moves=1.0, reactive_new_moves=0.764, reactive_new_layouts=0.44
    )
    rows = me.move_table({"1 maze": result, "256 mazes": broad}).splitlines()
    assert "shortest-route moves" in rows[0] and "new mazes" in rows[1]
    assert rows[3].split() == ["256", "mazes", "100%", "76%", "44%"]
    assert rows[2].split()[:2] == ["1", "maze"] and len(rows) == 4


def test_match_text_describes_both_paths(result):
    match = me.play_match(result, hand_maze("corridor"), "corridor")
    text = me.match_text(match)
    assert text.startswith("corridor:")
    assert f"Planner (searches): {me.planner_verdict(match)}." in text
    assert f"Reactive network (no search): {me.reactive_verdict(match)}." in text
    assert text.count("# # # # # # # # # # # # #") == 4 and "Key:" in text


# --- the widget -------------------------------------------------------------------------------


def test_editor_starts_on_the_training_maze_and_draws_it(editor, result):
    assert editor.name == me.TRAINING_MAZE and editor.error is None
    assert editor._picker.value == me.TRAINING_MAZE
    assert editor._art.value == maze_art(result.train_levels)
    assert np.array_equal(editor.match.level.walls, result.train_levels.walls)
    assert editor.picture.png.startswith(PNG_MAGIC) and editor.redraws == 1
    assert "Planner (searches):" in editor._status.value
    assert "Reactive network (no search): reached the cheese" in editor._status.value
    assert editor.text_summary().startswith("Maze editor. their training maze:")


def test_editor_offers_the_training_maze_then_the_library(editor):
    assert list(editor.mazes) == [me.TRAINING_MAZE, *HAND_MAZES]
    assert list(editor._picker.options) == list(editor.mazes)


def test_picking_a_maze_loads_its_art_and_plays_it(editor):
    editor._picker.value = "spiral"
    assert editor.name == "spiral" and editor.match.name == "spiral"
    assert editor._art.value == HAND_MAZES["spiral"] and editor.redraws == 2
    assert editor.match.planner.reached_cheese[0]


def test_select_rejects_unknown_names(editor):
    with pytest.raises(ValueError, match=r"name must be one of \['their training maze'"):
        editor.select("maze of mirrors")


def test_editing_the_art_and_pressing_play_plays_your_maze(editor):
    editor.select("open room")
    editor._art.value = _art(_edit(OPEN_ROOM, 6, 6, "#"))
    editor._play_button.click()
    assert editor.match.name == me.EDITED and editor.match.level.walls[0, 6, 6]
    assert editor.figure.get_suptitle().startswith("your maze: ")
    editor._art.value = "  " + HAND_MAZES["open room"].replace(".", " .")  # same maze, re-spaced
    editor._play_button.click()
    assert editor.match.name == "open room"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "art is empty"),
        (_edit(OPEN_ROOM, 11, 1, "."), "no start 'S'"),
        (_edit(OPEN_ROOM, 5, 5, "S"), "2 starts 'S'"),
        (_edit(OPEN_ROOM, 1, 11, "."), "no cheese 'C'"),
        (_edit(OPEN_ROOM, 0, 4, "."), "border must be wall"),
        (_edit(OPEN_ROOM, 3, 4, "?"), "unknown character '?'"),
        (OPEN_ROOM[:-1], "art must be 13 rows x 13 columns"),
        ([*OPEN_ROOM[:3], OPEN_ROOM[3][:-1], *OPEN_ROOM[4:]], "rectangular"),
        (_edit(_edit(OPEN_ROOM, 11, 2, "#"), 10, 1, "#"), "no route from the start"),
    ],
)
def test_bad_art_shows_a_message_in_the_widget_and_never_raises(editor, rows, message):
    editor.play(_art(rows))
    assert editor.match is None and message in editor.error
    status = editor._status.value
    assert "Cannot play this maze" in status and html.escape(message) in status
    assert editor.picture.widget.layout.display == "none"
    assert editor.text_summary().startswith("Maze editor: cannot play this maze:")
    editor.select("loop")  # a good maze brings the picture back
    assert editor.error is None and editor.picture.widget.layout.display == ""


def test_a_walled_corner_in_the_editor_is_explained(editor):
    editor.play(_art(_edit(_edit(OPEN_ROOM, 1, 11, "#"), 1, 10, "C")))
    assert "top-right corner (row 1, column 11) must be open" in editor.error


def test_editor_rejects_bad_arguments(result):
    with pytest.raises(ValueError, match="result must be a layout_shift.Result"):
        me.MazeEditor("agents")
    with pytest.raises(ValueError, match=r"mazes\['tiny'\] is not playable: art must be 13"):
        me.MazeEditor(result, mazes={"tiny": "#####\n#S.C#\n#...#\n#...#\n#####"})


def test_editor_text_fallback_in_the_mime_bundle(editor):
    bundle = editor._repr_mimebundle_()
    assert bundle["text/plain"] == editor.text_summary()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_editor_controls_are_labelled_and_the_key_explains_stuck_and_loop(editor):
    assert "mesatoys-maze-art" in editor._art._dom_classes
    assert editor._play_button.description == "Play this maze"
    assert editor._picker.description == "maze"
    key = editor.widget.children[-1].value
    assert "<i>stuck</i>" in key and "<i>loop</i>" in key and "coin" not in key


# --- text alternatives ------------------------------------------------------------------------


def test_matches_figure_alt_says_where_things_are_and_what_each_agent_did(result, bfs):
    level = hand_maze("corridor")
    match = me.play_match(result, level, "corridor")
    (r, c), cheese = level.start[0], level.cheese[0]
    away = bfs(level.walls[0], tuple(cheese))[(r, c)]
    alt = described(
        me.matches_figure([match]), "1 maze, each drawn twice",
        f"Corridor (13 x 13 maze): start at row {r}, column {c}",
        f"the cheese is {away} moves away",
        f"Planner (searches): {me.planner_verdict(match, ', ')}",
        f"reactive network (no search): {me.reactive_verdict(match, ', ')}",
        f"corridor: {me.match_title([match]).split(': ', 1)[1]}.", data=False,
    )  # fmt: skip
    assert alt.endswith(f"{me.match_title([match])}.")
    both = described(me.side_by_side(result, {"loop": hand_maze("loop"),
                                               "spiral": hand_maze("spiral")}))  # fmt: skip
    assert "2 mazes" in both and "Loop (13 x 13 maze)" in both and "Spiral (13 x 13" in both


def test_capability_figure_alt_and_table(result):
    narrow = _rates(result, planner_train=1.0, planner_new_layouts=1.0, reactive_train=1.0,
                    reactive_new_layouts=0.16, random_new_layouts=0.1)  # fmt: skip
    broad = _rates(result, planner_train=1.0, planner_new_layouts=1.0, reactive_train=0.99,
                   reactive_new_layouts=0.44, random_new_layouts=0.12)  # fmt: skip
    fig = me.capability_figure({"1 maze": narrow, "256 mazes": broad})
    described(
        fig, "the reactive network in 16-44% (random moves: 10-12%)",
        "trained on 256 mazes, the planner 100% on its training mazes and 100% on new ones, "
        "the reactive network 99% and 44%", data=True,
    )  # fmt: skip
    assert fig.mesatoys_data.rows[3] == ("256 mazes", me.AGENT_LABELS["reactive"], 0.99, 0.44, 0.12)
    plain = me.capability_figure({"x": result}, random_walk=False)
    assert "random" not in described(plain, data=True)
    assert len(plain.mesatoys_data.columns) == 4


def test_training_set_figure_alt_and_table(result):
    runs = [
        _rates(result, n, planner_new_layouts=1.0, reactive_train=1.0, reactive_new_layouts=r,
               random_new_layouts=0.1)
        for n, r in ((1, 0.1), (1, 0.2), (256, 0.4), (256, 0.5))
    ]  # fmt: skip
    fig = me.training_set_figure(runs)
    described(fig, "number of training mazes (1, 256)", "reaches the cheese in 45%",
              "after 1 it was 15%", data=True)  # fmt: skip
    assert fig.mesatoys_data.rows[0] == (1, 1.0, 1.0, pytest.approx(0.15), 0.1)


def test_editor_picture_follows_the_maze(editor, result):
    start = result.train_levels.start[0]
    shown(editor.picture, "Their training maze (13 x 13 maze)",
          f"start at row {start[0]}, column {start[1]}",
          f"Planner (searches): {me.planner_verdict(editor.match, ', ')}")  # fmt: skip
    editor.select("spiral")
    alt = shown(editor.picture, "Spiral (13 x 13 maze)")
    assert me.reactive_verdict(editor.match, ", ") in alt
    assert editor.picture.widget.layout.max_width == "640px"
