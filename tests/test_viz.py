"""Figures and the explorer widget, all without a browser or kernel."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from fast_configs import PNG_MAGIC, fast_maze_config
from matplotlib.figure import Figure

from mesatoys.agents.rollout import Episodes
from mesatoys.envs.features import FEATURE_NAMES
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
    runs = [
        _fake(result, 0.0, 0, 0.2, 0.8),
        _fake(result, 0.0, 1, 0.4, 0.6),
        _fake(result, 0.1, 0, 0.6, 0.4),
        _fake(result, 0.1, 1, 0.8, 0.2),
        _fake(result, 1.0, 0, 0.71, 0.29),
        _fake(result, 1.0, 1, 0.71, 0.29),
    ]
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
    assert bytes(ex._maze_image.value).startswith(PNG_MAGIC)


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
    before = ex._maze_image.value
    ex._controls["level"].value = 5
    assert ex.level == 5 and ex.redraws == 2
    assert ex._maze_image.value != before
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
