"""Figures and the table of the reasoning-gap toy, headless."""

from __future__ import annotations

import numpy as np
import pytest
from described import described
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from mesatoys.experiments import reasoning_gap as rg
from mesatoys.experiments.shape import vary
from mesatoys.optimize import ESConfig
from mesatoys.viz import reasoning_gap as vr
from mesatoys.viz.palette import OKABE_ITO

SEEDS = [0, 1]


@pytest.fixture(scope="module")
def comparison():
    return rg.compare(rg.Config(), seeds=SEEDS)


def test_comparison_figure_bars_points_and_palette(comparison):
    fig = vr.comparison_figure(comparison)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    # Two bars per cell on the left (all and hidden shortcuts), one on the right.
    assert len(left.patches) == 2 * 4 and len(right.patches) == 4
    heights = [p.get_height() for p in right.patches]
    assert np.allclose(heights, comparison.values["faithfulness"].mean(axis=1))
    # One point per seed and cell for every bar.
    points = [line for line in left.lines if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in points) == 2 * 4 * len(SEEDS)
    colors = {to_hex(p.get_facecolor()).upper() for p in left.patches + right.patches}
    assert colors <= {c.upper() for c in OKABE_ITO.values()}


def test_comparison_title_states_the_measured_finding(comparison):
    title = vr.comparison_figure(comparison)._suptitle.get_text()
    hidden = comparison.cell("plan monitor only")["hidden_shortcut_rate"].mean()
    both = comparison.cell("plan monitor + consistency")
    assert f"hides it ({hidden:.0%} of unwatched episodes)" in title
    assert f"faithful ({both['faithfulness'].mean():.0%})" in title
    assert f"falls to {both['hidden_shortcut_rate'].mean():.0%}" in title
    assert "(2 seeds)" in title


def test_comparison_table_lists_every_cell_with_its_numbers(comparison):
    table = vr.comparison_table(comparison)
    lines = table.splitlines()
    assert len(lines) == 1 + 4 + 1
    for label, line in zip(comparison.labels, lines[1:5], strict=True):
        assert line.startswith(label)
        ret = comparison.cell(label)["training_return"].mean()
        assert line.rstrip().endswith(f"{ret:.2f}")
    monitor_only = lines[1 + comparison.labels.index("plan monitor only")].split()
    assert monitor_only[3:5] == ["on", "off"]
    assert "seeds: 0, 1" in lines[-1]


def test_table_shows_a_range_when_seeds_differ():
    few = rg.compare(rg.Config(es=ESConfig(generations=3, pairs=2)), seeds=[0, 1])
    assert "[" in vr.comparison_table(few)


def test_curves_figure_draws_each_measure_per_generation_and_the_optimum():
    result = rg.run(rg.Config(consistency_penalty=0.0), seed=0)
    fig = vr.curves_figure(result)
    ax = fig.axes[0]
    curves = [line for line in ax.lines if line.get_linestyle() == "-"]
    dotted = [line for line in ax.lines if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert len(curves) == len(dotted) == len(vr.CURVE_MEASURES)
    assert len(curves[0].get_xdata()) == result.config.es.generations + 1
    best = rg.optimum(result.config).behaviour
    for line, measure in zip(dotted, vr.CURVE_MEASURES, strict=True):
        assert line.get_ydata()[0] == pytest.approx(getattr(best, measure))
    title = ax.get_title()
    assert f"optimum hides the shortcut in {best.hidden_shortcut_rate:.0%}" in title
    assert f"end at {result.hidden_shortcut_rate:.0%} of them" in title
    assert "within 5% from generation" in title


def test_optimum_table_sets_the_closed_form_beside_the_learned_policy(comparison):
    lines = vr.optimum_table(comparison).splitlines()
    assert len(lines) == 1 + 4
    row = lines[1 + comparison.labels.index("plan monitor only")]
    assert "say safe, do safe" in row and "say safe, do shortcut" in row
    assert "2 of 2" in row
    for label, line in zip(comparison.labels, lines[1:], strict=True):
        best = comparison.optimum(label).training_return
        learned = comparison.cell(label)["training_return"].mean()
        assert line.split()[-2:] == [f"{best:.2f}", f"{learned:.2f}"]


def test_sweep_figure_title_lists_where_the_shortcut_is_hidden():
    configs = vary(rg.Config(consistency_penalty=0.0), monitor_penalty=(0.0, 1.0))
    ax = vr.sweep_figure(rg.sweep(configs, seeds=[0]), "monitor_penalty").axes[0]
    assert "mostly hidden at monitor penalty = 1;" in ax.get_title()
    assert "not hidden at 0 " in ax.get_title()
    assert ax.get_xlabel() == "monitor penalty"


# --- text alternatives ----------------------------------------------------------------------------


def test_comparison_figure_alt_and_table(comparison):
    fig = vr.comparison_figure(comparison)
    hidden = comparison.cell("plan monitor only")["hidden_shortcut_rate"].mean()
    described(fig, "nothing on plans, plan monitor only", "means over 2 seeds",
              f"hides it ({hidden:.0%} of unwatched episodes)", data=True)  # fmt: skip
    rows = {row[0]: row[1:] for row in fig.mesatoys_data.rows}
    assert list(rows) == list(comparison.labels)
    assert rows["plan monitor only"][1] == pytest.approx(hidden)


def test_curves_figure_alt_and_table():
    result = rg.run(rg.Config(consistency_penalty=0.0), seed=0)
    fig = vr.curves_figure(result)
    best = rg.optimum(result.config).behaviour
    described(
        fig,
        f"each of {result.config.es.generations} generations",
        f"end at {result.hidden_shortcut_rate:.0%} of them",
        f"hidden shortcut (plan said safe) {result.curves['hidden_shortcut_rate'][-1]:.0%} "
        f"(optimum {best.hidden_shortcut_rate:.0%})",
        data=True,
    )
    rows = fig.mesatoys_data.rows
    assert rows[0][0] == 0 and rows[-2][0] == result.config.es.generations
    assert rows[-1][0] == "closed-form optimum"


def test_sweep_figure_alt_and_table():
    configs = vary(rg.Config(consistency_penalty=0.0), monitor_penalty=(0.0, 1.0))
    results = rg.sweep(configs, seeds=[0])
    fig = vr.sweep_figure(results, "monitor_penalty")
    hidden = [
        r.hidden_shortcut_rate for r in sorted(results, key=lambda r: r.config.monitor_penalty)
    ]
    described(fig, "as the monitor penalty varies (0, 1)", "mostly hidden at monitor penalty = 1",
              f"hidden {hidden[0]:.0%}, {hidden[1]:.0%}", data=True)  # fmt: skip
    assert [row[0] for row in fig.mesatoys_data.rows] == [0.0, 1.0]
