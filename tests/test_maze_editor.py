"""The maze editor of notebook 02 and its figures, without a browser."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pytest

from mesatoys.agents.reactive import ReactivePolicy
from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.envs.hand_mazes import HAND_MAZES, hand_maze, maze_art, parse_maze
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.optimize import ESConfig
from mesatoys.viz import maze_editor as me

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = gm.Config(
    n_train_levels=4, n_test_levels=20, levels_per_generation=4, es=ESConfig(generations=2, pairs=2)
)
CORNER_AND_CHEESE = {name: 0.0 for name in FEATURE_NAMES} | {"cheese": 1.0, "top_right": 1.0}
OPEN_ROOM = [row.strip() for row in HAND_MAZES["open room"].strip().splitlines()]


@pytest.fixture(scope="module")
def agents():
    """Real training plumbing, with the planner's objective fixed so that outcomes are known."""
    table = ReactivePolicy(episodes=300, parallel=32)
    real = gm.train_agents(FAST, seed=0, reactive=table, n_levels=1)
    planner = dataclasses.replace(real.planner, mesa_objective=CORNER_AND_CHEESE)
    return gm.TrainedAgents(planner=planner, reactive=real.reactive)


@pytest.fixture
def editor(agents):
    return me.MazeEditor(agents)


def _art(rows):
    return "\n".join(rows)


def _edit(rows, row, col, ch):
    out = [list(r) for r in rows]
    out[row][col] = ch
    return ["".join(r) for r in out]


# --- checking a maze against the agents -------------------------------------------------------


def test_a_maze_of_another_size_is_refused_with_the_reason(agents):
    small = parse_maze(_art(["#######", "#S...C#", *["#.....#"] * 4, "#######"]))
    with pytest.raises(ValueError, match=r"level must be one 13 x 13 maze .* lookup table"):
        me.check_for_agents(agents, small)
    with pytest.raises(ValueError, match=r"art must be 13 rows x 13 columns"):
        me.parse_for_agents(agents, _art(["#######", "#S...C#", *["#.....#"] * 4, "#######"]))


def test_a_walled_top_right_corner_is_refused_with_the_reason(agents):
    rows = _edit(HAND_MAZES["cheese moved"].split(), 1, 11, "#")
    with pytest.raises(ValueError, match=r"top-right corner \(row 1, column 11\) must be open"):
        me.parse_for_agents(agents, _art(rows))


# --- playing one maze -------------------------------------------------------------------------


def test_play_match_records_both_agents_and_the_shortest_route(agents, bfs):
    level = hand_maze("loop")
    match = me.play_match(agents, level, "loop")
    assert match.shortest == bfs(level.walls[0], tuple(level.cheese[0]))[tuple(level.start[0])]
    assert match.planner.reached_cheese[0] and match.planner.steps[0] == match.shortest
    assert match.planner.paths.shape == match.reactive.episodes.paths.shape
    assert match.coin_flips == match.reactive.moves[0] - match.reactive.decided[0].sum()


def test_the_same_coin_seed_replays_the_same_way(agents):
    level = hand_maze("open room")
    a, b = (me.play_match(agents, level, coin_seed=3) for _ in range(2))
    assert np.array_equal(a.reactive.episodes.paths, b.reactive.episodes.paths)
    c = me.play_match(agents, level, coin_seed=4)
    assert np.array_equal(a.planner.paths, c.planner.paths)  # the planner flips no coins


def test_planner_verdicts_name_what_it_did(agents):
    corner = me.play_match(agents, hand_maze("cheese moved"), "cheese moved")
    assert me.planner_verdict(corner) == (
        "walked to the top-right corner in 10 moves; stopped there: no cheese"
    )
    reached = me.play_match(agents, hand_maze("corridor"))
    assert me.planner_verdict(reached, sep=" | ") == (
        "reached the cheese in 60 moves | shortest possible: 60"
    )
    nowhere = dataclasses.replace(agents.planner, mesa_objective=dict.fromkeys(FEATURE_NAMES, 0.0))
    idle = me.play_match(gm.TrainedAgents(nowhere, agents.reactive), hand_maze("loop"))
    assert me.planner_verdict(idle) == "stopped at (row 6, column 6) after 0 moves; no cheese"


def test_reactive_verdicts_count_coin_flips(agents):
    match = me.play_match(agents, hand_maze("corridor"))
    moves, flips = int(match.reactive.moves[0]), match.coin_flips
    verdict = me.reactive_verdict(match)
    if match.reactive.episodes.reached_cheese[0]:
        assert verdict.startswith(f"reached the cheese in {moves} moves")
    else:
        assert verdict.startswith(f"missed the cheese in {moves} moves")
    assert verdict.endswith(
        "every move from its table" if flips == 0 else f"{flips} of {moves} moves coin flips"
    )


def test_an_untrained_table_flips_a_coin_for_every_move(agents):
    untrained = ReactivePolicy(episodes=0).fit(
        agents.planner.train_levels, 84, np.random.default_rng(0)
    )
    match = me.play_match(gm.TrainedAgents(agents.planner, untrained), hand_maze("spiral"))
    assert match.coin_flips == match.reactive.moves[0] > 0


def test_titles_say_which_agents_reached_the_cheese(agents):
    moved = me.play_match(agents, hand_maze("cheese moved"), "cheese moved")
    corridor = me.play_match(agents, hand_maze("corridor"), "corridor")
    assert me.match_title([moved]).startswith("cheese moved: ")
    assert (
        "the planner went to the corner" in me.match_title([moved])
        or (moved.reactive.episodes.reached_cheese[0])
    )
    title = me.match_title([moved, corridor])
    assert "; corridor: " in title
    assert ("both reached" in title) or ("only the planner reached" in title)


# --- figures ----------------------------------------------------------------------------------


def test_side_by_side_draws_one_row_per_maze_with_verdicts(agents):
    art = maze_art(hand_maze("loop"))
    fig = me.side_by_side(agents, {"loop as art": art, "spiral": hand_maze("spiral")})
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4
    assert titles[0].startswith("loop as art: Planner (searches)\nreached the cheese")
    assert titles[3].startswith("spiral: Lookup table (no search)\n")
    assert "loop as art: " in fig.get_suptitle() and "spiral: " in fig.get_suptitle()


def test_side_by_side_refuses_bad_art(agents):
    with pytest.raises(ValueError, match="no start"):
        me.side_by_side(agents, {"bad": _art(_edit(OPEN_ROOM, 11, 1, "."))})


def test_matches_figure_needs_a_match():
    with pytest.raises(ValueError, match="at least one Match"):
        me.matches_figure([])


def test_capability_figure_draws_the_rates_and_states_them():
    narrow = gm.CapabilityComparison(1.0, 1.0, 1.0, 0.16)
    broad = gm.CapabilityComparison(1.0, 1.0, 0.14, 0.137)
    fig = me.capability_figure({"1 maze": narrow, "256 mazes": broad}, random_walk=0.127)
    left, right = fig.axes
    assert [p.get_height() for p in left.patches] == pytest.approx([1.0, 1.0, 1.0, 0.16])
    assert [p.get_height() for p in right.patches] == pytest.approx([1.0, 1.0, 0.14, 0.137])
    assert left.lines[0].get_ydata()[0] == pytest.approx(0.127)
    assert left.get_title() == "Both trained on 1 maze"
    assert "fraction of mazes" in left.get_ylabel()
    title = fig.get_suptitle()
    assert "planner reached the cheese in 100% of them" in title
    assert "lookup table in 14-16% (random moves: 13%)" in title


def test_capability_figure_without_random_walk_and_with_no_comparisons():
    fig = me.capability_figure({"x": gm.CapabilityComparison(1.0, 0.9, 0.5, 0.2)})
    assert not fig.axes[0].lines and "random" not in fig.get_suptitle()
    with pytest.raises(ValueError, match="at least one"):
        me.capability_figure({})


def test_decision_table_counts_learned_situations_and_decided_moves(agents):
    untrained = ReactivePolicy(episodes=0).fit(
        agents.planner.train_levels, 84, np.random.default_rng(0)
    )
    pairs = {"trained": agents, "untrained": gm.TrainedAgents(agents.planner, untrained)}
    rows = me.decision_table(pairs, gm.new_layouts(agents.config, 0)).splitlines()
    assert "coin flips" in rows[0] and "20 new mazes" in rows[1]
    learned = int((agents.reactive.q_table_ != 0).any(axis=1).sum())
    assert rows[2].split()[:4] == ["trained", f"{learned:,}", "of", "43,264"]
    assert rows[3].split()[1:] == ["0", "of", "43,264", "0%", "0%"]


def test_match_text_describes_both_paths(agents):
    match = me.play_match(agents, hand_maze("corridor"), "corridor")
    text = me.match_text(match)
    assert text.startswith("corridor:")
    assert f"Planner (searches): {me.planner_verdict(match)}." in text
    assert text.count("# # # # # # # # # # # # #") == 4 and "Key:" in text


# --- the widget -------------------------------------------------------------------------------


def test_editor_starts_on_the_training_maze_and_draws_it(editor, agents):
    assert editor.name == me.TRAINING_MAZE and editor.error is None
    assert editor._picker.value == me.TRAINING_MAZE
    assert editor._art.value == maze_art(agents.planner.train_levels)
    assert np.array_equal(editor.match.level.walls, agents.planner.train_levels.walls)
    assert bytes(editor._image.value).startswith(PNG_MAGIC) and editor.redraws == 1
    assert "Planner (searches):" in editor._status.value
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
    assert editor._image.layout.display == "none"
    assert editor.text_summary().startswith("Maze editor: cannot play this maze:")
    editor.select("loop")  # a good maze brings the picture back
    assert editor.error is None and editor._image.layout.display == ""


def test_a_walled_corner_in_the_editor_is_explained(editor):
    editor.play(_art(_edit(_edit(OPEN_ROOM, 1, 11, "#"), 1, 10, "C")))
    assert "top-right corner (row 1, column 11) must be open" in editor.error


def test_new_coin_flips_replay_the_same_maze_with_another_seed(editor):
    editor.select("open room")
    editor._coin_button.click()
    assert editor.coin_seed == 1 and editor.redraws == 3
    expected = me.play_match(editor.agents, hand_maze("open room"), coin_seed=1)
    assert np.array_equal(editor.match.reactive.episodes.paths, expected.reactive.episodes.paths)


def test_editor_rejects_bad_arguments(agents):
    with pytest.raises(ValueError, match="agents must be"):
        me.MazeEditor("agents")
    with pytest.raises(ValueError, match=r"mazes\['tiny'\] is not playable: art must be 13"):
        me.MazeEditor(agents, mazes={"tiny": "#####\n#S.C#\n#...#\n#...#\n#####"})


def test_editor_text_fallback_in_the_mime_bundle(editor):
    bundle = editor._repr_mimebundle_()
    assert bundle["text/plain"] == editor.text_summary()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_editor_text_area_is_monospaced_and_controls_are_labelled(editor):
    assert "mesatoys-maze-art" in editor._art._dom_classes
    assert editor._play_button.description == "Play this maze"
    assert editor._picker.description == "maze"
