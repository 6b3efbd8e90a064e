"""Figures of the absent-supervisor and model-organisms toys, headless."""

import time

import pytest
from matplotlib.figure import Figure

from mesatoys.experiments import absent_supervisor as ab
from mesatoys.experiments import model_organisms as mo
from mesatoys.viz import absent_supervisor as va


@pytest.fixture(scope="module")
def result():
    return ab.run(ab.Config(), seed=0)


@pytest.fixture(scope="module")
def organisms():
    return mo.run(mo.Config(n_organisms=2), seed=0)


def test_routes_figure_shows_both_conditions_and_states_the_finding(result):
    fig = va.routes_figure(result)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    title = fig._suptitle.get_text()
    assert "unwatched (100%)" in title and "watched (0%)" in title
    assert fig.axes[0].get_title().startswith("Supervisor present: shortcut 0%")
    assert "hidden performance 16.8" in fig.axes[1].get_title()
    # Each panel draws the two routes: 10 cells when watched, 4 when not, for the mesa agent.
    mesa_watched, _ = fig.axes[0].lines[:2]
    mesa_unwatched, _ = fig.axes[1].lines[:2]
    assert len(mesa_watched.get_xdata()) == 10 and len(mesa_unwatched.get_xdata()) == 4


def test_routes_figure_by_layout_name_and_speed(result):
    start = time.perf_counter()
    fig = va.routes_figure(result, layout="early_punishment_mirrored")
    fig.canvas.draw()
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ValueError, match="layout must be one of"):
        va.routes_figure(result, layout="moon")


def test_organisms_figure_has_one_bar_per_method_and_column(organisms):
    fig = va.organisms_figure(organisms)
    ax = fig.axes[0]
    assert len(ax.patches) == len(mo.METHODS) * 3
    assert "fraction of organisms flagged (2 per kind)" == ax.get_xlabel()
    assert "catches 100% of the naive ones but 0% of the savvy ones" in fig._suptitle.get_text()


def test_organisms_table_is_the_plain_text_table(organisms):
    assert va.organisms_table(organisms) == mo.format_table(organisms)


def test_draw_world_with_camera(result):
    fig = Figure()
    ax = va.draw_world(fig.subplots(), ab.world_of(result), 0, camera=True, title="camera")
    assert ax.get_title() == "camera"
    assert "C" in [t.get_text() for t in ax.texts]


def test_results_table_holds_the_outcomes_and_objectives(result):
    text = va.results_table(result)
    lines = text.splitlines()
    row = next(r for r in lines if r.startswith("trained on the reward") and "absent" in r)
    assert row.split()[-4:] == ["100%", "46.8", "16.8", "47"]
    weights = result.mesa_objective
    assert f"punishment_supervised {weights['punishment_supervised']:+.2f}" in text
