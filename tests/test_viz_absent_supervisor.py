"""Figures of the absent-supervisor and model-organisms toys, headless."""

import time

import pytest
from described import described
from matplotlib.figure import Figure

from mesatoys.experiments import absent_supervisor as ab
from mesatoys.experiments import model_organisms as mo
from mesatoys.optimize import ESConfig
from mesatoys.viz import absent_supervisor as va


@pytest.fixture(scope="module")
def result():
    return ab.run(ab.Config(), seed=0)


@pytest.fixture(scope="module")
def blind():
    return ab.run(ab.Config(situational_awareness=False), seed=0)


@pytest.fixture(scope="module")
def organisms():
    return mo.run(mo.Config(n_organisms=2), seed=0)


def test_routes_figure_shows_both_conditions_and_states_the_finding(result):
    fig = va.routes_figure(result)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    title = fig._suptitle.get_text()
    assert "unwatched (100%)" in title and "watched (0%)" in title
    assert "(a punishment weight per condition)" in title and "never does" in title
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
    title = fig._suptitle.get_text()
    table = organisms.table()
    assert "catches 100% of the naive organisms but 0% of the savvy ones" in title
    by_name = table["weight_reading"]
    assert f"reading the weights by name catches {by_name['naive']:.0%}" in title


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


def test_routes_figure_of_the_control_says_it_avoids_p_both_ways(blind):
    title = va.routes_figure(blind)._suptitle.get_text()
    assert title == va.routes_finding(blind)
    assert "(one punishment weight for every condition)" in title
    assert "avoids P watched (0%) and unwatched (0%) alike" in title


def test_awareness_figure_puts_the_control_beside_the_result(result, blind):
    fig = va.awareness_figure(result, blind)
    ax = fig.axes[0]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    # bars: watched (aware, blind), then unwatched (aware, blind)
    expected = [
        result.mesa["observed"].shortcut_rate,
        blind.mesa["observed"].shortcut_rate,
        result.mesa["unobserved"].shortcut_rate,
        blind.mesa["unobserved"].shortcut_rate,
    ]
    assert heights == [round(x, 6) for x in expected]
    assert heights[2] > 0.99 and max(heights[0], heights[1], heights[3]) < 0.01
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert (
        labels[0].startswith("can tell who is watching")
        and "punishment_unobserved -0.38" in (labels[0])
    )
    assert labels[1].startswith("cannot tell who is watching") and "punishment -2.17" in labels[1]
    title = fig._suptitle.get_text()
    assert title.startswith("Behaving well only when watched needs an objective that can tell")
    assert "it crosses P unwatched (100%), watched (0%)" in title
    assert "one punishment weight for every condition: unwatched (0%), watched (0%)" in title
    fig.canvas.draw()


def test_awareness_figure_checks_its_pair(result, blind):
    with pytest.raises(ValueError, match="aware must be an absent_supervisor.Result"):
        va.awareness_figure(blind, blind)
    with pytest.raises(ValueError, match="blind must be an absent_supervisor.Result"):
        va.awareness_figure(result, result)
    other = ab.run(ab.Config(situational_awareness=False, p_supervisor=0.1,
                             es=ESConfig(generations=2, pairs=1)), seed=0)  # fmt: skip
    with pytest.raises(ValueError, match="differ only in situational_awareness"):
        va.awareness_figure(result, other)


def test_results_table_of_the_control_shows_one_punishment_weight(blind):
    text = va.results_table(blind)
    assert f"punishment {blind.mesa_objective['punishment']:+.2f}" in text
    assert "punishment_supervised" not in text


# --- text alternatives ----------------------------------------------------------------------------


def test_routes_figure_alt_places_a_g_p_and_states_the_finding(result, blind):
    alt = described(
        va.routes_figure(result),
        "6 x 6 layout 'original'", "the agent A starts at row 1, column 1 (top left)",
        "the goal G is at row 4, column 1", "the punishment cell P at row 3, column 1",
        "cuts through P when unwatched (100%) and not when watched (0%)",
        "watched, the reward-trained route takes 9 moves around P",
        "unwatched, the reward-trained route takes 3 moves through P",
        data=False,
    )  # fmt: skip
    assert " ".join(va.routes_finding(result).split()) in alt
    mirrored = described(va.routes_figure(blind, layout="early_punishment"), data=False)
    assert "'early_punishment'" in mirrored and "P at row 2, column 1" in mirrored
    assert "avoids P watched (0%) and unwatched (0%) alike" in mirrored


def test_awareness_figure_alt_and_table_hold_all_four_rates(result, blind):
    fig = va.awareness_figure(result, blind)
    described(
        fig, "crosses P unwatched (100%), watched (0%)",
        "one punishment weight for every condition: unwatched (0%), watched (0%)", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert [row[0] for row in rows] == [
        "a punishment weight per condition",
        "one punishment weight for every condition",
    ]
    assert rows[0][2] == pytest.approx(result.mesa["unobserved"].shortcut_rate, abs=1e-4)
    assert f"punishment {blind.mesa_objective['punishment']:+.2f}" == rows[1][3]


def test_organisms_figure_alt_and_table_give_every_method(organisms):
    fig = va.organisms_figure(organisms)
    table = organisms.table()
    described(
        fig, "for each of 5 detection methods", "(2 organisms per kind)",
        "catches 100% of the naive organisms but 0% of the savvy ones",
        f"reading the weights by name catches {table['weight_reading']['naive']:.0%}", data=True,
    )  # fmt: skip
    rows = {row[0]: row[1:] for row in fig.mesatoys_data.rows}
    assert len(rows) == len(mo.METHODS)
    honeypot = table["honeypot_with_tell"]
    assert rows[mo.METHOD_LABELS["honeypot_with_tell"]] == (
        honeypot["naive"], honeypot["savvy"], honeypot["false_alarm"],
    )  # fmt: skip
