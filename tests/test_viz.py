"""Figures and the explorer widget, all without a browser or kernel."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from described import described, shown
from fast_configs import PNG_MAGIC, fast_maze_config
from matplotlib.figure import Figure

from mesatoys.agents.rollout import Episodes
from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.envs.hand_mazes import hand_maze
from mesatoys.envs.maze import LevelBatch
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz import maze_plots as mp
from mesatoys.viz import palette
from mesatoys.viz.explorer import GoalMisgeneralizationExplorer

FAST = fast_maze_config()

MAZE_ART = """
#######
#S....#
#.###.#
#...#.#
###.#.#
#C....#
#######
"""


@pytest.fixture(scope="module")
def result():
    return gm.run(FAST, seed=0)


@pytest.fixture(scope="module")
def headline():
    """A real alpha = 0 run, small enough to be quick, big enough to misgeneralize."""
    return gm.run(gm.Config(alpha=0.0, n_test_levels=60), seed=0)


def _maze(maze_art):
    walls, marks = maze_art(MAZE_ART)
    return walls, np.array(marks["S"]), np.array(marks["C"])


def _episodes(cheese, proxy, steps=3, n=1):
    z = np.zeros((n, 2), dtype=int)
    return Episodes(
        reached_cheese=np.array(cheese),
        proxy=np.array(proxy),
        reached_mesa_goal=np.ones(n, dtype=bool),
        cheese_in_view=np.ones(n, dtype=bool),
        returns=np.zeros(n),
        steps=np.full(n, steps),
        final_pos=z,
        mesa_goal=z,
    )


def _fake(result, alpha, seed, true_goal, proxy, weights=None):
    """A copy of a real result with chosen alpha, seed, test rates and weights."""
    test = dataclasses.replace(result.test, true_goal_rate=true_goal, proxy_rate=proxy)
    config = dataclasses.replace(result.config, alpha=alpha)
    objective = dict(weights or result.mesa_objective)
    return dataclasses.replace(
        result, config=config, seed=seed, test=test, mesa_objective=objective
    )


# --- package ----------------------------------------------------------------------------------


def test_importing_viz_loads_neither_matplotlib_nor_widgets():
    code = (
        "import sys, mesatoys.viz; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- palette ----------------------------------------------------------------------------------


def test_palette_roles_are_hex_colours_and_features_are_covered():
    for value in palette.ROLES.values():
        assert value.startswith("#") and len(value) == 7
    assert set(palette.FEATURE_COLORS) == set(FEATURE_NAMES)
    assert palette.color("cheese") != palette.color("corner")
    assert palette.color("true_goal") != palette.color("proxy")


def test_unknown_palette_role_names_the_allowed_roles():
    with pytest.raises(ValueError, match="role must be one of"):
        palette.color("lava")


# --- words and text pictures ----------------------------------------------------------------


def test_trim_path_drops_the_final_standing_still():
    path = np.array([[1, 1], [1, 2], [2, 2], [2, 2], [2, 2]])
    assert mp.trim_path(path).tolist() == [[1, 1], [1, 2], [2, 2]]
    assert mp.trim_path(np.array([[3, 3], [3, 3]])).tolist() == [[3, 3]]


@pytest.mark.parametrize(
    ("cheese_cell", "got", "proxy", "steps", "expected"),
    [
        ((1, 5), True, False, 4, "reached the cheese (in the corner)"),
        ((5, 1), True, False, 4, "reached the cheese"),
        ((5, 1), False, True, 4, "went to the corner, missed the cheese"),
        ((5, 1), False, False, 4, "missed the cheese"),
        ((5, 1), False, False, 0, "stayed put, missed the cheese"),
    ],
)
def test_outcome_text_names_what_happened(maze_art, cheese_cell, got, proxy, steps, expected):
    walls, start, _ = _maze(maze_art)
    levels = LevelBatch(walls[None], start[None], np.array([cheese_cell]))
    assert mp.outcome_text(_episodes([got], [proxy], steps), levels) == expected


def test_level_ascii_marks_every_thing(maze_art):
    walls, start, cheese = _maze(maze_art)
    path = np.array([[1, 1], [1, 2], [1, 3], [1, 4], [1, 4]])
    rows = mp.level_ascii(walls, start, cheese, path).splitlines()
    grid = [row.split(" ") for row in rows]
    assert grid[1][1] == "S" and grid[5][1] == "C" and grid[1][5] == "T"
    assert grid[1][2] == grid[1][3] == "*" and grid[1][4] == "X"
    assert sum(ch == "#" for row in grid for ch in row) == int(walls.sum())


# --- drawing one maze -------------------------------------------------------------------------


def test_draw_maze_shades_exactly_the_open_cells_in_view(maze_art):
    walls, start, cheese = _maze(maze_art)
    ax = Figure().subplots()
    mp.draw_maze(ax, walls, start, cheese, cheese_radius=1)
    kinds = np.asarray(ax.images[0].get_array())
    expected = {(r, c) for r in range(4, 7) for c in range(0, 3) if not walls[r, c]}
    assert {tuple(x) for x in np.argwhere(kinds == 2)} == expected
    assert ((kinds == 1) == walls).all()


def test_draw_maze_without_radius_shades_nothing_and_draws_the_path(maze_art):
    walls, start, cheese = _maze(maze_art)
    ax = Figure().subplots()
    path = np.array([[1, 1], [1, 2], [1, 3], [1, 3]])
    mp.draw_maze(ax, walls, start, cheese, path=path, cheese_radius=None, title="t")
    assert not (np.asarray(ax.images[0].get_array()) == 2).any()
    route = next(line for line in ax.lines if line.get_label() == "agent's path")
    assert list(route.get_xdata()) == [1, 2, 3] and list(route.get_ydata()) == [1, 1, 1]
    assert ax.get_title() == "t"


def test_draw_maze_rejects_a_non_square_grid():
    with pytest.raises(ValueError, match="walls must be a square"):
        mp.draw_maze(Figure().subplots(), np.zeros((3, 4), bool), (1, 1), (1, 2))


# --- figures of results -----------------------------------------------------------------------


def test_train_vs_test_titles_state_what_the_agent_did(headline):
    episodes = gm.play_levels(headline.config, headline.weights, headline.test_levels)
    proxy_level = int(np.flatnonzero(episodes.proxy)[0])
    fig = mp.train_vs_test_figure(headline, train_index=0, test_index=proxy_level)
    train_title, test_title = (ax.get_title() for ax in fig.axes)
    assert train_title.startswith("Training level 0") and "reached the cheese" in train_title
    assert test_title.startswith(f"Test level {proxy_level}")
    assert "went to the corner, missed the cheese" in test_title
    assert "α = 0" in fig.get_suptitle() and "bias against the cheese" in fig.get_suptitle()


@pytest.mark.parametrize(("kwargs", "name"), [({"train_index": 10**6}, "train_index"),
                                              ({"test_index": -1}, "test_index"),
                                              ({"test_index": 1.5}, "test_index")])  # fmt: skip
def test_train_vs_test_rejects_levels_that_do_not_exist(result, kwargs, name):
    with pytest.raises(ValueError, match=name):
        mp.train_vs_test_figure(result, **kwargs)


def test_objective_bar_chart_draws_each_weight_and_names_the_largest():
    objective = {"cheese": 0.3, "top_right": 1.1, "top_left": -0.5, "bottom_left": -0.2,
                 "bottom_right": 0.0}  # fmt: skip
    fig = mp.objective_bar_chart(None, objective)
    ax = fig.axes[0]
    assert [bar.get_width() for bar in ax.patches] == pytest.approx(
        [objective[n] for n in FEATURE_NAMES]
    )
    assert "top-right corner" in ax.get_title()


def test_objective_bar_chart_redraws_on_the_same_axes():
    ax = Figure().subplots()
    for weight in (0.5, -0.5):
        fig = mp.objective_bar_chart(ax, dict.fromkeys(FEATURE_NAMES, weight))
    assert fig is ax.figure and len(ax.patches) == len(FEATURE_NAMES)


@pytest.mark.parametrize(
    "objective", [{"cheese": 1.0}, {**dict.fromkeys(FEATURE_NAMES, 0.0), "lava": 1.0}, [1, 2]]
)
def test_objective_bar_chart_rejects_incomplete_objectives(objective):
    with pytest.raises(ValueError, match="mesa_objective must"):
        mp.objective_bar_chart(None, objective)


def test_objectives_by_seed_needs_runs_that_differ_only_by_seed(result):
    other = dataclasses.replace(result, config=dataclasses.replace(result.config, alpha=0.5))
    with pytest.raises(ValueError, match="share one config"):
        mp.objectives_by_seed_figure([result, other])
    fig = mp.objectives_by_seed_figure([result, dataclasses.replace(result, seed=1)])
    assert len(fig.axes[0].patches) == 2 * len(FEATURE_NAMES)


def test_by_alpha_summarises_any_rate_or_weight(result):
    runs = [
        _fake(result, 0.0, 0, 0.2, 0.8),
        _fake(result, 0.0, 1, 0.4, 0.5),
        _fake(result, 0.3, 0, 0.7, 0.3),
    ]
    np.testing.assert_allclose(mp.by_alpha(runs, "true_goal_rate")["mean"], [0.3, 0.7])
    proxy = mp.by_alpha(runs, "proxy_rate")
    np.testing.assert_allclose(proxy["mean"], [0.65, 0.3])
    np.testing.assert_allclose(proxy["low"], [0.5, 0.3])
    weight = mp.by_alpha(runs, "top_right")
    assert weight["mean"][0] == pytest.approx(result.mesa_objective["top_right"])


def test_by_alpha_rejects_unknown_measures(result):
    with pytest.raises(ValueError, match="measure must be one of"):
        mp.by_alpha([result], "happiness")
    with pytest.raises(ValueError, match="results"):
        mp.by_alpha([], "true_goal_rate")


def test_sweep_figure_plots_the_means_and_states_the_finding(result):
    runs = _six_runs(result)
    fig = mp.sweep_figure(runs)
    rates_ax = fig.axes[0]
    true_line = next(li for li in rates_ax.lines if "cheese (true goal)" in li.get_label())
    np.testing.assert_allclose(true_line.get_ydata(), [0.3, 0.7, 0.71])
    assert rates_ax.get_xscale() == "symlog"
    title = fig.get_suptitle()
    assert "30%" in title and "70% already at α = 0.1" in title and "2 seeds" in title


def test_sweep_title_when_nothing_helps(result):
    runs = [_fake(result, 0.0, 0, 0.5, 0.5), _fake(result, 1.0, 0, 0.5, 0.5)]
    assert "no larger α did more than 3 points better" in mp.sweep_figure(runs).get_suptitle()


def test_tables_show_rates_as_percentages(result):
    control = dataclasses.replace(result.test, true_goal_rate=1.0, proxy_rate=0.0)
    table = mp.outcome_table(_fake(result, 0.0, 0, 0.216, 0.786), control=control)
    lines = table.splitlines()
    test_row = next(line for line in lines if line.startswith("learned goal, test"))
    assert test_row.split()[-4:] == ["100%", "22%", "79%", mp.pct(result.test.mesa_goal_rate)]
    control_row = next(line for line in lines if line.startswith("intended goal"))
    assert control_row.split()[-3:-1] == ["100%", "0%"]


def test_outcome_table_computes_the_control_on_the_same_test_levels(headline):
    expected = gm.evaluate(headline.config, gm.ALIGNED_OBJECTIVE, headline.test_levels)
    row = next(li for li in mp.outcome_table(headline).splitlines() if li.startswith("intended"))
    assert row.split()[-3] == mp.pct(expected.true_goal_rate) == "100%"


def test_underspecification_figure_draws_both_planes_and_the_training_paths(headline):
    plane = gm.objective_plane(headline, values=np.linspace(-0.5, 1.5, 5), n_levels=8)
    fig = mp.underspecification_figure(plane, {"bias on": headline})
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 2
    assert np.array_equal(panels[0].images[0].get_array(), plane.train_return)
    assert np.array_equal(panels[1].images[0].get_array(), plane.test_true_goal)
    marker = next(li for li in panels[1].lines if li.get_label() == "bias on")
    assert marker.get_xdata()[0] == pytest.approx(headline.mesa_objective["cheese"])
    assert "sum" in fig.get_suptitle()


def test_render_png_gives_png_bytes():
    assert mp.render_png(Figure(figsize=(1, 1))).startswith(PNG_MAGIC)


# --- explorer ---------------------------------------------------------------------------------


@pytest.fixture
def count_runs(monkeypatch):
    """Count (and keep the status shown during) every training run the explorer starts."""
    calls = []
    real_run = gm.run

    def counting_run(config, seed):
        calls.append((config.alpha, seed, config.biased_against if config.has_bias else None))
        return real_run(config, seed)

    monkeypatch.setattr(gm, "run", counting_run)
    return calls


def _explorer(**kwargs):
    return GoalMisgeneralizationExplorer(
        FAST, alphas=(0.0, 0.3), seeds=[0, 1], n_test_levels=20, **kwargs
    )


def test_explorer_starts_on_the_first_choices_and_describes_them(count_runs):
    ex = _explorer()
    assert (ex.alpha, ex.seed, ex.level, ex.split, ex.bias) == (0.0, 0, 0, "test", "cheese")
    assert count_runs == [(0.0, 0, "cheese")] and ex.redraws == 1
    summary = ex.text_summary()
    assert "α = 0, seed 0" in summary and "Test level 0 (of 0-19)" in summary
    assert "S" in summary and "Key:" in summary
    assert ex.maze_picture.png.startswith(PNG_MAGIC)


def test_set_changes_state_and_controls_and_redraws_once():
    ex = _explorer()
    ex.set(alpha=0.3, seed=1, level=7)
    assert (ex.alpha, ex.seed, ex.level) == (0.3, 1, 7)
    assert ex._controls["alpha"].value == 0.3 and ex._controls["seed"].value == 1
    assert ex._controls["level"].value == 7
    assert ex.redraws == 2
    assert "α = 0.3, seed 1" in ex.text_summary() and "Test level 7" in ex.text_summary()


def test_moving_a_control_redraws_once_with_the_new_choice():
    ex = _explorer()
    before = ex.maze_picture.png
    ex._controls["level"].value = 5
    assert ex.level == 5 and ex.redraws == 2
    assert ex.maze_picture.png != before
    ex._controls["alpha"].value = 0.3
    assert ex.alpha == 0.3 and ex.redraws == 3


def test_each_combination_trains_once_and_says_so(count_runs, monkeypatch):
    ex = _explorer()
    shown = []
    real_run = gm.run
    monkeypatch.setattr(gm, "run", lambda c, s: (shown.append(ex._status.value), real_run(c, s))[1])
    for alpha in (0.3, 0.0, 0.3, 0.0):
        ex.set(alpha=alpha)
    assert count_runs == [(0.0, 0, "cheese"), (0.3, 0, "cheese")]
    assert len(shown) == 1 and "Training" in shown[0]
    assert ex._status.value == ""


def test_bias_control_offers_the_bias_none_and_the_bias_turned_round(count_runs):
    ex = _explorer()
    labels = [label for label, _ in ex._controls["bias"].options]
    assert labels == ["against the cheese", "none", "against the corner"]
    ex._controls["bias"].value = 1
    assert ex.bias is None and count_runs[-1] == (0.0, 0, None)
    assert ex.result.config == FAST.without_bias()
    assert "simplicity bias none" in ex.text_summary()
    ex._controls["bias"].value = 2
    assert ex.bias == "top_right" and ex.result.config.biased_against == "top_right"
    assert ex.result.config.simplicity_bias == FAST.simplicity_bias


def test_explorer_shows_the_intended_goal_beside_the_learned_one():
    ex = _explorer()
    expected = gm.evaluate(ex.result.config, gm.ALIGNED_OBJECTIVE, ex.result.test_levels)
    assert ex.control == expected
    rate = mp.pct(expected.true_goal_rate)
    assert (
        f"Intended goal {{cheese: 1}}, same planner and sight: cheese {rate}" in ex.text_summary()
    )


def test_switching_split_keeps_or_resets_the_level():
    ex = _explorer()
    ex.set(level=19)
    ex.set(split="train")
    assert ex.level == 19 and ex._controls["level"].max == FAST.n_train_levels - 1
    ex.set(level=31)
    ex.set(split="test")
    assert ex.level == 0 and ex._controls["level"].max == 19
    assert "Test level 0" in ex.text_summary()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.5}, r"alpha must be one of \[0.0, 0.3\]"),
        ({"alpha": "0"}, "alpha must be one of"),
        ({"seed": 7}, r"seed must be one of \[0, 1\]"),
        ({"level": 20}, r"level must be an integer in \[0, 19\]"),
        ({"level": -1}, "level must be"),
        ({"level": True}, "level must be"),
        ({"split": "validation"}, "split must be one of"),
        ({"bias": "yes"}, "bias must be one of"),
        ({"split": "test", "level": 25}, r"\[0, 19\] for the test split"),
    ],
)
def test_set_rejects_bad_values_and_changes_nothing(kwargs, message):
    ex = _explorer()
    with pytest.raises(ValueError, match=message):
        ex.set(**kwargs)
    assert (ex.alpha, ex.seed, ex.level, ex.split, ex.bias) == (0.0, 0, 0, "test", "cheese")
    assert ex.redraws == 1


def test_set_accepts_an_alpha_equal_up_to_rounding():
    ex = _explorer()
    ex.set(alpha=0.1 + 0.2)
    assert ex.alpha == 0.3


def test_precomputed_results_fill_the_cache(count_runs):
    first = gm.run(dataclasses.replace(FAST, alpha=0.0), seed=0)
    count_runs.clear()
    ex = _explorer(results=[first])
    assert count_runs == [] and ex.result is first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_test_levels": 21}, "n_test_levels=20"),
        ({"alpha": 0.5}, "alphas from"),
        ({"cheese_radius": 7}, "same config apart from alpha"),
    ],
)
def test_precomputed_results_must_match_the_explorer(result, change, message):
    bad = dataclasses.replace(result, config=dataclasses.replace(result.config, **change))
    with pytest.raises(ValueError, match=message):
        _explorer(results=[bad])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alphas": ()}, "alphas must be a non-empty"),
        ({"alphas": (0.0, 0.0)}, "without repeats"),
        ({"alphas": (0.0, 2.0)}, r"in \[0, 1\]"),
        ({"alphas": ("x",)}, "alphas must be numbers"),
        ({"seeds": []}, "seeds must be a non-empty"),
        ({"seeds": [-1]}, "seed must be a non-negative"),
        ({"config": "fast"}, "config must be"),
    ],
)
def test_explorer_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GoalMisgeneralizationExplorer(**{"config": FAST, **kwargs})


def test_explorer_displays_as_widget_with_text_fallback():
    ex = _explorer()
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == ex.text_summary()


def test_explorer_controls_keep_a_usable_slider_and_wrap_when_narrow():
    """Short labels (the long explanation in a tooltip); every slider track at least 120 px
    wide whatever the screen (a readout takes about 60 px); rows that wrap, not squeeze."""
    from mesatoys.viz import explorer as vex

    ex = _explorer()
    widget = ex.widget
    for name in ("alpha", "level"):
        control = ex._controls[name]
        assert len(control.description) <= 8
        least = int(control.layout.min_width.removesuffix("px"))
        assert least - vex.LABEL_PX - 60 >= 120
        assert control.layout.width == "100%"
    assert "cheese away from the corner" in ex._controls["alpha"].tooltip
    rows = [child for child in widget.children if hasattr(child, "children")]
    assert rows and all(row.layout.flex_flow == "row wrap" for row in rows)


def test_objective_bar_chart_keeps_a_fixed_span_unless_a_weight_needs_more():
    small = mp.objective_bar_chart(None, dict.fromkeys(FEATURE_NAMES, 0.1), span=2.0)
    assert small.axes[0].get_xlim() == pytest.approx((-2.0, 2.0))
    big = mp.objective_bar_chart(None, dict.fromkeys(FEATURE_NAMES, -3.0), span=2.0)
    low, high = big.axes[0].get_xlim()
    assert low < -3.0 and high > 3.0


# --- text alternatives ------------------------------------------------------------------------


def test_train_vs_test_alt_says_where_things_are_and_what_the_agent_did(headline, bfs):
    episodes = gm.play_levels(headline.config, headline.weights, headline.test_levels)
    proxy_level = int(np.flatnonzero(episodes.proxy)[0])
    fig = mp.train_vs_test_figure(headline, train_index=0, test_index=proxy_level)
    level = headline.test_levels[proxy_level]
    (r, c), cheese = level.start[0], level.cheese[0]
    away = bfs(level.walls[0], tuple(cheese))[(r, c)]
    alt = described(
        fig,
        "α = 0, seed 0, bias against the cheese",
        f"Test level {proxy_level} (13 x 13): start at row {r}, column {c}",
        f"cheese at row {cheese[0]}, column {cheese[1]}",
        f"the cheese is {away} moves away",
        "went to the corner, missed the cheese, stopping at row 1, column 11 (top right)",
        data=False,
    )
    assert alt.startswith("Two mazes with the path of the same learned agent")
    assert "Training level 0 (13 x 13)" in alt and "reached the cheese (in the corner)" in alt


def test_cell_words_name_the_row_column_and_region():
    from mesatoys.viz.axes import cell_words

    assert cell_words((1, 11), 13) == "row 1, column 11 (top right)"
    assert cell_words((6, 6), 13) == "row 6, column 6 (centre)"
    assert cell_words((11, 1), 13) == "row 11, column 1 (bottom left)"
    assert cell_words((0, 5), 6, 12) == "row 0, column 5 (top centre)"


def test_objective_bar_chart_alt_lists_every_weight():
    objective = {"cheese": 0.3, "top_right": 1.1, "top_left": -0.5, "bottom_left": -0.2,
                 "bottom_right": 0.0}  # fmt: skip
    fig = mp.objective_bar_chart(None, objective)
    described(
        fig, "cheese +0.30", "top-right corner +1.10", "top-left corner -0.50",
        "bottom-left corner -0.20", "bottom-right corner +0.00",
        "the largest weight is on the top-right corner", data=True,
    )  # fmt: skip
    assert fig.mesatoys_data.rows[1] == ("top-right corner", 1.1)


def test_objectives_by_seed_alt_gives_each_seeds_weights(result):
    other = _fake(result, result.config.alpha, 1, 0.5, 0.5,
                  weights={**result.mesa_objective, "cheese": 2.0})  # fmt: skip
    fig = mp.objectives_by_seed_figure([result, other])
    w = result.mesa_objective
    described(
        fig, "learned mesa-objectives (α = 0, bias against the cheese)",
        f"Cheese weights: seed 0 {w['cheese']:+.2f}, seed 1 +2.00",
        f"top-right corner weights: seed 0 {w['top_right']:+.2f}", "on the cheese for", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert fig.mesatoys_data.columns == ("feature", "seed 0", "seed 1") and len(rows) == 5
    assert rows[0] == ("cheese", pytest.approx(w["cheese"]), 2.0)


def _six_runs(result):
    """Two seeds at each of alpha 0, 0.1 and 1, with chosen test rates."""
    return [
        _fake(result, 0.0, 0, 0.2, 0.8),
        _fake(result, 0.0, 1, 0.4, 0.6),
        _fake(result, 0.1, 0, 0.6, 0.4),
        _fake(result, 0.1, 1, 0.8, 0.2),
        _fake(result, 1.0, 0, 0.71, 0.29),
        _fake(result, 1.0, 1, 0.71, 0.29),
    ]


def test_sweep_figure_alt_and_numbers_follow_the_means(result):
    fig = mp.sweep_figure(_six_runs(result))
    described(
        fig, "against α (0, 0.1, 1)", "Cheese found on 30% of test levels at α = 0",
        "70% already at α = 0.1", "the corner is reached instead on 70% at α = 0 and 29% at α = 1",
        data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert [row[0] for row in rows] == [0.0, 0.1, 1.0]
    assert rows[0][1:5] == pytest.approx((0.3, 0.2, 0.4, 0.7))


def test_underspecification_alt_compares_the_two_halves_of_the_plane(headline):
    plane = gm.objective_plane(headline, values=np.linspace(-0.5, 1.5, 5), n_levels=8)
    fig = mp.underspecification_figure(plane, {"bias on": headline})
    larger = [plane.test_true_goal[i, j] for i, corner in enumerate(plane.corner)
              for j, cheese in enumerate(plane.cheese) if cheese > corner]  # fmt: skip
    w = headline.mesa_objective
    described(
        fig, "(x, -0.5 to 1.5)", "8 levels per point",
        f"the training path of bias on ends at cheese {w['cheese']:+.2f}",
        f"to {plane.train_return.max():.2f}",
        f"reached on {mp.pct(np.mean(larger))} of test levels", data=True,
    )  # fmt: skip
    assert len(fig.mesatoys_data.rows) == 25  # 5 x 5 points


def test_explorer_pictures_say_what_the_learner_now_sees():
    ex = _explorer()
    level = ex.result.test_levels[0]
    start = level.start[0]
    shown(ex.maze_picture, "Test level 0 (13 x 13 maze)", "α = 0, seed 0, simplicity bias against",
          f"start at row {start[0]}, column {start[1]}")  # fmt: skip
    weights = ex.result.mesa_objective
    shown(ex.objective_picture, "α = 0, seed 0", f"cheese {weights['cheese']:+.2f}",
          f"top-right corner {weights['top_right']:+.2f}")  # fmt: skip
    ex.set(level=5, split="train")
    assert "Training level 5" in shown(ex.maze_picture) and "Test level" not in ex.maze_picture.alt
    ex.set(bias=None)
    assert "simplicity bias none" in shown(ex.objective_picture)
    assert ex.maze_picture.widget.layout.max_width == "100%"


# --- every figure of the course has its text alternative --------------------------------------


def _small_runs():
    """One small run of every toy, enough to draw each figure (not to show its finding)."""
    from mesatoys.agents.reactive import ReactivePolicy
    from mesatoys.experiments import absent_supervisor as ab
    from mesatoys.experiments import ai_control as ac
    from mesatoys.experiments import deception as dc
    from mesatoys.experiments import honeypots as hp
    from mesatoys.experiments import interpretability as interp
    from mesatoys.experiments import keys_and_chests as kc
    from mesatoys.experiments import layout_shift as ls
    from mesatoys.experiments import model_organisms as mo
    from mesatoys.experiments import network_misgeneralization as nm
    from mesatoys.experiments import probing
    from mesatoys.experiments import reasoning_gap as rg
    from mesatoys.experiments import specification_gaming as sg
    from mesatoys.experiments.shape import vary
    from mesatoys.optimize import ESConfig
    from mesatoys.viz import maze_editor

    es = ESConfig(generations=2, pairs=2)
    maze = gm.run(FAST, seed=0)
    population = dc.run(dc.Config(), 0)
    planner = gm.Config(n_test_levels=5, levels_per_generation=1, es=es)
    layouts = ls.run(ls.Config(n_train_levels=1, n_new_levels=10, planner=planner,
                               reactive=ReactivePolicy(min_steps=100)), 0)  # fmt: skip
    reasoning = rg.Config(es=es)
    return {
        "maze": maze,
        "plane": gm.objective_plane(maze, values=np.linspace(-0.5, 1.5, 3), n_levels=4),
        "aware": ab.run(ab.Config(es=es), 0),
        "blind": ab.run(ab.Config(es=es, situational_awareness=False), 0),
        "organisms": mo.run(mo.Config(n_organisms=2, agent=ab.Config(es=es)), 0),
        "control": ac.run(ac.Config(n_deployments=50), 0),
        "frontier": ac.frontier(ac.Config(n_deployments=50), (0.0, 0.1), seed=0),
        "deception": population,
        "rounds": dc.rounds_curve(dc.Config(), range(1), max_rounds=30),
        "recognition": dc.recognition_curve(dc.Config(), range(1), values=(0.9, 1.0)),
        "honeypots": hp.power_curves(
            population.population, n_honeypots=(1, 5), distinguishability=(0.0, 1.0), seed=0
        ),  # fmt: skip
        "interp": interp.run(interp.Config(dataclasses.replace(FAST, n_test_levels=20)), 0),
        "probe": probing.run(
            probing.Config(steps=50, n_episodes=40, n_shuffles=2, n_train_states=256), 0
        ),  # fmt: skip
        "keys": kc.run(
            kc.Config(n_test_levels=5, n_train_levels=16, levels_per_generation=8, es=es), 0
        ),  # fmt: skip
        "layouts": layouts,
        "match": maze_editor.play_match(layouts, hand_maze("corridor"), "corridor"),
        "boats": sg.run(sg.Config(n_eval_episodes=20, es=es), 0),
        "sizes": sg.compare_track_sizes((3, 5)),
        "comparison": rg.compare(reasoning, seeds=[0]),
        "reasoning": rg.run(reasoning, 0),
        "penalties": rg.sweep(vary(reasoning, monitor_penalty=(0.0, 1.0)), seeds=[0]),
        "network": nm.run(nm.Config(updates=3, episodes_per_update=16, n_test_levels=10), 0),
    }


#: The arguments that draw every public figure function of mesatoys.viz from :func:`_small_runs`.
FIGURES = {
    "maze_plots.train_vs_test_figure": lambda r: (r["maze"],),
    "maze_plots.objective_bar_chart": lambda r: (None, r["maze"].mesa_objective),
    "maze_plots.objective_comparison_figure": lambda r: (
        {"a": r["maze"].mesa_objective, "b": r["interp"].mesa_objective},
    ),
    "maze_plots.objectives_by_seed_figure": lambda r: ([r["maze"]],),
    "maze_plots.underspecification_figure": lambda r: (r["plane"], {"run": r["maze"]}),
    "maze_plots.sweep_figure": lambda r: ([r["maze"]],),
    "absent_supervisor.routes_figure": lambda r: (r["aware"],),
    "absent_supervisor.awareness_figure": lambda r: (r["aware"], r["blind"]),
    "absent_supervisor.organisms_figure": lambda r: (r["organisms"],),
    "ai_control.frontier_figure": lambda r: (r["frontier"],),
    "ai_control.attack_rate_figure": lambda r: (r["control"],),
    "deception.training_figure": lambda r: (r["deception"],),
    "deception.curves_figure": lambda r: (r["rounds"], r["recognition"]),
    "deception.honeypot_figure": lambda r: (r["honeypots"],),
    "evidence.observed_figure": lambda r: (),
    "evidence.rates_figure": lambda r: (),
    "evidence.anti_scheming_figure": lambda r: (),
    "interpretability.objective_figure": lambda r: (r["interp"],),
    "interpretability.value_map_figure": lambda r: (r["interp"],),
    "interpretability.probe_figure": lambda r: (r["probe"],),
    "keys_chests_plots.level_figure": lambda r: (r["keys"],),
    "keys_chests_plots.objectives_figure": lambda r: ({"run": r["keys"]},),
    "maze_editor.matches_figure": lambda r: ([r["match"]],),
    "maze_editor.side_by_side": lambda r: (r["layouts"], {"loop": hand_maze("loop")}),
    "maze_editor.capability_figure": lambda r: ({"1 maze": r["layouts"]},),
    "maze_editor.training_set_figure": lambda r: ([r["layouts"]],),
    "outer_alignment.race_figure": lambda r: (r["boats"],),
    "outer_alignment.scores_figure": lambda r: (r["boats"],),
    "outer_alignment.track_size_figure": lambda r: (r["sizes"],),
    "reasoning_gap.comparison_figure": lambda r: (r["comparison"],),
    "reasoning_gap.curves_figure": lambda r: (r["reasoning"],),
    "reasoning_gap.sweep_figure": lambda r: (r["penalties"], "monitor_penalty"),
    "two_layer.two_loops_figure": lambda r: (r["maze"],),
    "two_layer.sweep_strip_figure": lambda r: (r["maze"],),
    "two_layer.first_plans_figure": lambda r: (r["maze"],),
    "network_plots.paths_figure": lambda r: (r["network"],),
    "network_plots.weight_change_figure": lambda r: ([r["network"]],),
    "network_plots.sweep_figure": lambda r: ([r["network"]],),
}


def _figure_functions() -> list[str]:
    """``module.function`` of every public function of mesatoys.viz that returns a Figure."""
    import importlib
    import inspect
    import pkgutil

    import mesatoys.viz

    found = []
    for info in pkgutil.iter_modules(mesatoys.viz.__path__):
        module = importlib.import_module(f"mesatoys.viz.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            returns = inspect.signature(function).return_annotation
            if (
                function.__module__ == module.__name__
                and not name.startswith("_")
                and (returns in ("Figure", Figure))
            ):
                found.append(f"{info.name}.{name}")
    return sorted(found)


def test_every_figure_function_is_drawn_here():
    assert sorted(FIGURES) == _figure_functions()


@pytest.fixture(scope="module")
def small_runs():
    return _small_runs()


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_function_returns_a_described_figure(small_runs, name):
    import importlib

    module_name, function = name.split(".")
    module = importlib.import_module(f"mesatoys.viz.{module_name}")
    fig = getattr(module, function)(*FIGURES[name](small_runs))
    assert isinstance(fig, Figure)
    described(fig)
