"""The two-loop figures, the stepper and notebook 01's questions, without a browser or kernel."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from described import described, shown
from fast_configs import PNG_MAGIC, fast_maze_config
from matplotlib.figure import Figure
from PIL import Image

from mesatoys.agents.planner import MesaOptimizer
from mesatoys.envs.features import FEATURE_NAMES, feature_cells
from mesatoys.envs.maze import LevelBatch
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz import two_layer as tl

FAST = fast_maze_config(generations=4, n_test_levels=12)
# 9x9: corners (1,7) top-right, (1,1) top-left, (7,1) bottom-left, (7,7) bottom-right.
MAZE_ART = """
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


@pytest.fixture(scope="module")
def result():
    return gm.run(FAST, seed=0)


@pytest.fixture(scope="module")
def trained():
    """The default outer loop (40 generations), few test levels: a real two-layer run."""
    return gm.run(gm.Config(n_test_levels=12), seed=0)


def _level(maze_art, start, cheese="C"):
    walls, marks = maze_art(MAZE_ART)
    start = marks[start] if isinstance(start, str) else start
    return LevelBatch(walls[None], np.array([start]), np.array([marks[cheese]]))


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


# --- package ----------------------------------------------------------------------------------


def test_importing_two_layer_does_not_load_widgets():
    code = "import sys, mesatoys.viz.two_layer; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


# --- the outer loop ---------------------------------------------------------------------------


def test_outer_loop_records_line_up_with_the_history(result):
    assert tl.n_generations(result) == FAST.es.generations
    assert len(tl.es_scores(result)) == FAST.es.generations
    own = gm.generation_returns(result)
    assert own.shape == (FAST.es.generations + 1,)
    assert own[0] == 0.0  # all-zero weights: nothing to plan for, the planner stays put


def test_no_generation_beats_the_shortest_route(trained):
    own, best = gm.generation_returns(trained), gm.best_possible_return(trained)
    assert (own <= best + 1e-12).all()
    assert own[-1] == pytest.approx(trained.train.mean_return)  # the same agent, all levels


def test_generation_returns_match_playing_each_generation(result):
    own = gm.generation_returns(result)
    for g in (1, tl.n_generations(result)):
        episodes = gm.play_levels(result.config, result.training_weights[g], result.train_levels)
        assert own[g] == pytest.approx(episodes.returns.mean())


def test_history_table_lists_scores_and_weights(result):
    table = tl.history_table(result, generations=[0, 4])
    lines = table.splitlines()
    assert "16 candidates" not in table and "4 candidates" in table  # 2 * pairs
    assert f"best possible is {gm.best_possible_return(result):.3f}" in lines[1]
    assert lines[2].split()[:3] == ["generation", "ES", "score"]
    assert lines[3].split()[:2] == ["0", f"{result.training_scores[0]:.2f}"]
    assert lines[4].split()[1] == "—"  # the last generation was not scored
    assert len(lines[4].split()) == 3 + len(FEATURE_NAMES)


def test_history_table_rejects_generations_that_do_not_exist(result):
    with pytest.raises(ValueError, match=r"generations\[\] must be an integer in \[0, 4\]"):
        tl.history_table(result, generations=[5])


# --- the inner loop ---------------------------------------------------------------------------


def test_first_plan_counts_the_cheese_only_when_in_view(maze_art):
    weights = np.array([0.5, 1.0, 0.0, 0.0, 0.0])
    far = _level(maze_art, "S")  # (7, 1): two rows below the cheese at (5, 1)
    utility, seen = tl.first_plan_utility(weights, far, cheese_radius=1)
    assert not seen and utility[5, 1] == 0.0 and utility[1, 7] == 1.0
    utility, seen = tl.first_plan_utility(weights, far, cheese_radius=2)
    assert seen and utility[5, 1] == 0.5


def test_first_plan_sums_features_that_share_a_cell(maze_art):
    level = _level(maze_art, (1, 1), cheese="C")
    corner = LevelBatch(level.walls, level.start, np.array([[1, 7]]))  # cheese on the corner
    utility, seen = tl.first_plan_utility(np.array([0.3, 1.0, 0.7, 0.0, 0.0]), corner, None)
    assert seen and utility[1, 7] == pytest.approx(1.3) and utility[1, 1] == 0.7


def test_inner_plan_ends_at_the_planners_value_map(trained):
    plan = tl.inner_plan(trained, 40, "test", 3)
    agent = MesaOptimizer(plan.weights)
    cells = feature_cells(plan.level)[0]
    expected = agent.value_map(plan.level.walls[0], cells, cheese_seen=plan.cheese_seen)
    np.testing.assert_allclose(plan.values[-1], expected, atol=1e-12)
    assert (plan.route[0] == plan.level.start[0]).all()
    assert plan.outcome in {"reached the cheese", "went to the corner, missed the cheese"}


def test_inner_plan_sweeps_and_changed_cells(trained):
    plan = tl.inner_plan(trained, 40, "train", 0)
    assert plan.target_names() == ["top_right"] and plan.cheese_seen
    assert plan.sweeps == plan.farthest_distance()
    assert [tuple(c) for c in np.argwhere(plan.changed(0))] == [(1, 11)]
    reached = np.zeros_like(plan.changed(0))
    for k in range(plan.sweeps + 1):
        assert not (plan.changed(k) & reached).any()  # each cell gets its value once
        reached |= plan.changed(k)
    assert (reached == (plan.values[-1] > 0)).all()
    with pytest.raises(ValueError, match=r"sweep must be an integer in \[0, "):
        plan.changed(plan.sweeps + 1)


def test_generation_zero_plans_nothing(trained):
    plan = tl.inner_plan(trained, 0, "train", 0)
    assert plan.sweeps == 0 and plan.target_names() == [] and plan.farthest_distance() is None
    assert len(plan.route) == 1  # it stays where it started


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generation": 5}, r"generation must be an integer in \[0, 4\]"),
        ({"generation": True}, "generation must be"),
        ({"generation": 1, "split": "dev"}, "split must be one of"),
        ({"generation": 1, "index": 12, "split": "test"}, r"\[0, 11\] for the test split"),
        ({"generation": 1, "index": -1}, "index must be"),
    ],
)
def test_inner_plan_rejects_bad_arguments(result, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.inner_plan(result, **kwargs)


def test_values_ascii_marks_values_and_things(trained):
    plan = tl.inner_plan(trained, 40, "train", 0)
    rows = tl.values_ascii(plan, 0).split("\n")
    assert len(rows) == plan.level.size
    picture = tl.values_ascii(plan, plan.sweeps, vmax=tl.value_scale(trained))
    assert "." not in picture  # every open cell can reach the corner: all have a value
    assert picture.count("S") == 1 and picture.count("C") == 1
    assert "T" not in picture  # the cheese sits on the corner of a training level
    assert "8" in picture and "0" not in picture  # next to the corner: 0.95 * 0.95 of 1.08
    early = tl.values_ascii(plan, 1)
    assert early.count(".") > picture.count(".")  # few cells have a value after one sweep


# --- figures ----------------------------------------------------------------------------------


def test_value_panel_shows_the_route_only_once_the_plan_is_complete(trained):
    plan = tl.inner_plan(trained, 40, "train", 0)
    ax = Figure().subplots()
    panel = tl.ValuePanel(ax, plan.level.size, 1.0)
    panel.show(plan, 3)
    assert len(panel.route.get_xdata()) == 0
    assert len(panel.changed.get_offsets()) == plan.changed(3).sum()
    panel.show(plan, plan.sweeps)
    assert len(panel.route.get_xdata()) == len(plan.route)
    assert panel.cheese.get_markerfacecolor() != "none"  # in view: a filled marker
    image = panel.image.get_array()
    assert image.shape == (plan.level.size, plan.level.size, 4)


def test_two_loops_figure_states_both_findings(trained):
    fig = tl.two_loops_figure(trained)
    assert isinstance(fig, Figure) and len(fig.axes) == 4  # score, weights, maze, colour bar
    title = fig.get_suptitle()
    assert "best possible training return from generation 3" in title
    assert "converges in 32 sweeps" in title
    assert "sweep" in fig.axes[2].get_title() or "converged" in fig.axes[2].get_title()
    assert fig.axes[1].get_xlabel().startswith("generation")


def test_two_loops_figure_at_an_early_sweep(trained):
    fig = tl.two_loops_figure(trained, generation=5, split="test", index=1, sweep=4)
    assert "sweep 4 of" in fig.axes[2].get_title()
    with pytest.raises(ValueError, match="sweep must be"):
        tl.two_loops_figure(trained, generation=5, sweep=999)


def test_sweep_strip_has_a_panel_per_sweep_and_names_the_target(trained):
    fig = tl.sweep_strip_figure(trained, sweeps=[0, 5, 32])
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:3]] == ["sweep 0", "sweep 5", "sweep 32 (converged)"]
    title = " ".join(fig.get_suptitle().split())  # wrapped to the figure's width
    assert "32 steps from the only target (the top-right corner)" in title
    six = tl.sweep_strip_figure(trained)  # three panels a row: it fits the notebook column
    shown = [a for a in six.axes if a.get_visible()]
    assert six.get_figwidth() * six.dpi <= 800 and len(shown) == 7  # 6 panels and the colour bar
    with pytest.raises(ValueError, match=r"sweeps\[\] must be an integer in \[0, 32\]"):
        tl.sweep_strip_figure(trained, sweeps=[40])
    with pytest.raises(ValueError, match="at least one sweep"):
        tl.sweep_strip_figure(trained, sweeps=[])


def test_first_plans_figure_says_what_happened(trained):
    fig = tl.first_plans_figure(trained, test_index=1)
    left, right = fig.axes[0].get_title(), fig.axes[1].get_title()
    assert left.startswith("Training level 0") and "reached the cheese" in left
    assert right.startswith("Test level 1") and "cheese in view, worth" in right
    assert "went to the corner, missed the cheese" in right


def test_figures_render(trained):
    buffer = io.BytesIO()
    tl.two_loops_figure(trained).savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue().startswith(PNG_MAGIC)


# --- the stepper ------------------------------------------------------------------------------


def test_stepper_starts_converged_on_the_last_generation(trained):
    st = tl.TwoLoopStepper(trained)
    assert (st.generation, st.split, st.index) == (40, "train", 0)
    assert st.sweep == st.plan.sweeps == 32 and st.redraws == 1
    assert st.picture.png.startswith(PNG_MAGIC)
    assert st._controls["sweep"].max == 32 and st._controls["index"].max == 255
    summary = st.text_summary()
    assert "generation 40 of 40, training level 0 (of 0-255), sweep 32 of 32" in summary
    assert "Key:" in summary and "T" in summary


def test_set_moves_both_loops_and_redraws_once(trained):
    st = tl.TwoLoopStepper(trained)
    st.set(generation=5, sweep=4, split="test", index=1)
    assert (st.generation, st.sweep, st.split, st.index) == (5, 4, "test", 1)
    assert st.redraws == 2
    c = st._controls
    assert (c["generation"].value, c["sweep"].value, c["split"].value, c["index"].value) == (
        5, 4, "test", 1,
    )  # fmt: skip
    assert c["sweep"].max == st.plan.sweeps
    assert "At generation 5 the outer loop saw 4 numbers" not in st.text_summary()
    assert "At generation 5 the outer loop saw 16 numbers" in st.text_summary()


def test_a_converged_view_stays_converged_and_a_partial_one_is_capped(trained):
    st = tl.TwoLoopStepper(trained)
    st.set(index=1)
    assert st.sweep == st.plan.sweeps  # converged -> converged on the new level
    st.set(sweep=30)
    st.set(generation=0)  # generation 0 plans nothing: 0 sweeps
    assert st.sweep == 0
    st.set(generation=40)
    assert st.sweep == st.plan.sweeps  # 0 of 0 counted as converged
    st.set(sweep=2)
    st.set(generation=39)
    assert st.sweep == 2
    st.set(sweep=None)
    assert st.sweep == st.plan.sweeps


def test_moving_a_control_redraws_with_the_new_choice(trained):
    st = tl.TwoLoopStepper(trained)
    before = st.picture.png
    st._controls["sweep"].value = 3
    assert st.sweep == 3 and st.redraws == 2 and st.picture.png != before
    st._controls["generation"].value = 10
    assert st.generation == 10 and st.redraws == 3
    st._controls["split"].value = "test"
    assert st.split == "test" and st.index == 0 and st.redraws == 4


def test_switching_split_keeps_or_resets_the_level(trained):
    st = tl.TwoLoopStepper(trained)
    st.set(index=200)
    st.set(split="test")
    assert st.index == 0 and st._controls["index"].max == 11
    st.set(index=7)
    st.set(split="train")
    assert st.index == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generation": 41}, r"generation must be an integer in \[0, 40\]"),
        ({"generation": 2.0}, "generation must be"),
        ({"sweep": 33}, r"sweep must be an integer in \[0, 32\] for this plan"),
        ({"sweep": -1}, "sweep must be"),
        ({"split": "valid"}, "split must be one of"),
        ({"index": 256}, r"index must be an integer in \[0, 255\] for the train split"),
        ({"split": "test", "index": 12}, r"\[0, 11\] for the test split"),
    ],
)
def test_set_rejects_bad_values_and_changes_nothing(trained, kwargs, message):
    st = tl.TwoLoopStepper(trained)
    with pytest.raises(ValueError, match=message):
        st.set(**kwargs)
    assert (st.generation, st.sweep, st.split, st.index) == (40, 32, "train", 0)
    assert st.redraws == 1


def test_stepper_rejects_bad_arguments(trained):
    with pytest.raises(ValueError, match="result must be"):
        tl.TwoLoopStepper("run")
    with pytest.raises(ValueError, match="cache_size must be"):
        tl.TwoLoopStepper(trained, cache_size=0)


def test_plans_are_cached_up_to_the_limit(trained, monkeypatch):
    calls = []
    real = tl.inner_plan
    monkeypatch.setattr(tl, "inner_plan", lambda *a: (calls.append(a[1:]), real(*a))[1])
    st = tl.TwoLoopStepper(trained, cache_size=2)
    for g in (1, 40, 1, 2, 40):
        st.set(generation=g)
    assert calls == [(40, "train", 0), (1, "train", 0), (2, "train", 0), (40, "train", 0)]
    assert len(st._cache) == 2


@pytest.mark.parametrize("generation", [7, 36])  # at 36 the marker crosses both legends
def test_fast_redraw_draws_the_same_picture_as_a_full_draw(trained, generation):
    st = tl.TwoLoopStepper(trained)
    st.set(generation=generation, sweep=5, split="test", index=2)
    fast = _pixels(st.picture.png)
    for artist in st.canvas.moving_artists():
        artist.set_animated(False)
    st._renderer.canvas.draw()
    full = np.asarray(st._renderer.canvas.buffer_rgba())
    assert fast.shape == full.shape
    # Identical but for a few antialiased edge pixels where the marker meets a legend box
    # (without the pinned legends, about 170 pixels differ at generation 36).
    assert np.count_nonzero(np.any(fast != full, axis=-1)) <= 20


def test_stepper_displays_as_widget_with_text_fallback(trained):
    st = tl.TwoLoopStepper(trained)
    bundle = st._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == st.text_summary()


# --- text alternatives ------------------------------------------------------------------------


def test_two_loops_figure_alt_and_table(trained):
    fig = tl.two_loops_figure(trained)
    scores, own = trained.training_scores, gm.generation_returns(trained)
    described(
        fig, "over 40 generations", f"goes from {scores[0]:.2f} to {scores[-1]:.2f}",
        f"(best possible {gm.best_possible_return(trained):.2f})", "marked at generation 40",
        f"top-right corner {trained.training_weights[-1][1]:+.2f}",
        "training level 0 (13 x 13 maze, cheese in view", "converged after 32 sweeps",
        "best possible training return from generation 3", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert [row[0] for row in rows] == [*range(0, 41, 2)]
    assert rows[-1][1] == "not scored" and rows[-1][2] == pytest.approx(own[-1])
    early = described(tl.two_loops_figure(trained, generation=5, split="test", index=1, sweep=4))
    assert "after sweep 4 of" in early and "test level 1" in early and "stopping" not in early


def test_sweep_strip_alt_counts_the_cells_with_a_value(trained):
    fig = tl.sweep_strip_figure(trained, sweeps=[0, 5, 32])
    plan = tl.inner_plan(trained, 40, "train", 0)
    counts = [int((plan.values[s] > 0).sum()) for s in (0, 5, 32)]
    described(
        fig, "3 value maps of generation 40's planner on training level 0",
        f"{counts[0]} after sweep 0, {counts[1]} after sweep 5, {counts[2]} after sweep 32",
        "32 steps from the only target (the top-right corner)", data=False,
    )  # fmt: skip


def test_first_plans_alt_says_what_each_planner_did(trained):
    alt = described(tl.first_plans_figure(trained, test_index=1), data=False)
    assert "Left, training level 0" in alt and "Right, test level 1" in alt
    assert "went to the corner, missed the cheese, stopping at row 1, column 11" in alt


def test_stepper_picture_follows_both_sliders(trained):
    st = tl.TwoLoopStepper(trained)
    shown(st.picture, "marked at generation 40", "converged after 32 sweeps",
          "Generation 40: final weights (not scored again)")  # fmt: skip
    st.set(generation=5, sweep=4, split="test", index=1)
    alt = shown(st.picture, "marked at generation 5", "test level 1", "after sweep 4 of",
                f"Generation 5: ES score {trained.training_scores[5]:.2f}")  # fmt: skip
    assert "converged" not in alt
