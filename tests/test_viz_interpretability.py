"""Figures and tables of the interpretability defenses, headless."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from described import described
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import interpretability as interp
from mesatoys.experiments import probing
from mesatoys.optimize import ESConfig
from mesatoys.viz import interpretability as vi
from mesatoys.viz.palette import OKABE_ITO

FAST_ES = gm.Config(es=ESConfig(generations=15))


@pytest.fixture(scope="module")
def interp_runs():
    config = interp.Config(dataclasses.replace(FAST_ES, alpha=0.0, n_test_levels=100))
    return [interp.run(config, s) for s in (0, 1)]


@pytest.fixture(scope="module")
def probe_runs():
    config = probing.Config(steps=600, n_episodes=200, n_shuffles=3)
    return [probing.run(config, s) for s in (0, 1)]


def _texts(fig: Figure) -> str:
    parts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return "\n".join(parts)


def _bar_colors(ax) -> list[str]:
    return [to_hex(p.get_facecolor()).upper() for p in ax.patches]


def test_objective_figure_states_all_three_accuracies(interp_runs):
    fig = vi.objective_figure(interp_runs)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    s = interp.summary(interp_runs)
    text = _texts(fig)
    assert f"planner's algorithm predict {s['rule']['mean']:.0%}" in text
    assert f"top weight alone {s['top_weight']['mean']:.0%}" in text
    assert f"training behaviour {s['behaviour']['mean']:.0%}" in text
    assert "2 seeds" in text
    weights_ax, accuracy_ax = fig.axes
    heights = [p.get_height() for p in accuracy_ax.patches]
    np.testing.assert_allclose(heights, [s[k]["mean"] for k in interp.PREDICTORS])
    widths = [p.get_width() for p in weights_ax.patches]
    np.testing.assert_allclose(widths, np.mean([r.weights for r in interp_runs], axis=0))
    allowed = {c.upper() for c in OKABE_ITO.values()} | {"#9A9A9A"}
    assert set(_bar_colors(weights_ax) + _bar_colors(accuracy_ax)) <= allowed


def test_objective_figure_rejects_mixed_or_missing_runs(interp_runs):
    other = interp.run(interp.Config(dataclasses.replace(FAST_ES, alpha=1.0, n_test_levels=20)), 0)
    with pytest.raises(ValueError, match="one alpha"):
        vi.objective_figure([interp_runs[0], other])
    with pytest.raises(ValueError, match="at least one"):
        vi.objective_figure([])
    with pytest.raises(TypeError, match="interpretability.Result"):
        vi.objective_figure(["not a run"])


def test_value_map_figure_shows_the_map_path_and_verdict(interp_runs):
    r = interp_runs[0]
    for index in range(4):
        fig = vi.value_map_figure(r, index)
        title = fig.axes[0].get_title()
        predicted = "gets the cheese" if r.predicted["rule"][index] else "misses the cheese"
        assert f"Predicted from the weights: {predicted}" in title
        verdict = "right" if r.predicted["rule"][index] == r.actual[index] else "wrong"
        assert f"prediction {verdict}" in title
        shown = fig.axes[0].images[0].get_array()
        walls = r.misgeneralization.test_levels.walls[index]
        np.testing.assert_allclose(shown[~walls], interp.value_map(r, index)[~walls])
        path = next(line for line in fig.axes[0].lines if line.get_label() == "agent's path")
        start = r.misgeneralization.test_levels.start[index]
        assert (path.get_xdata()[0], path.get_ydata()[0]) == (start[1], start[0])


def test_probe_figure_states_the_finding(probe_runs):
    fig = vi.probe_figure(probe_runs)
    s = probing.summary(probe_runs)
    text = _texts(fig)
    for key in ("hidden", "untrained", "raw", "shuffled"):
        assert f"{s[key]['mean']:.0%}" in text
    assert "8 noise bits" in text
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    names = [n for n in vi.PROBE_LABELS if n in probe_runs[0].probe_accuracy]
    np.testing.assert_allclose(heights, [s[n]["mean"] for n in names])
    assert set(_bar_colors(ax)) <= {c.upper() for c in OKABE_ITO.values()} | {"#9A9A9A"}
    assert vi.probe_figure(probe_runs[0]).axes[0].get_title().endswith("(8 noise bits, seed 0)")


def test_tables_hold_the_numbers(interp_runs, probe_runs):
    table = vi.accuracy_table(interp_runs)
    for r in interp_runs:
        assert f"{r.rule_accuracy:.1%}" in table and f"{r.behaviour_accuracy:.1%}" in table
    table = vi.probe_table(probe_runs)
    for r in probe_runs:
        assert f"{r.probe_accuracy['hidden']:.1%}" in table
        assert f"{r.success_rate:.1%}" in table
    with pytest.raises(TypeError, match="probing.Result"):
        vi.probe_table(interp_runs)


def test_baseline_table_sets_trained_beside_untrained(probe_runs):
    table = vi.baseline_table({"noise": probe_runs, "one run": probe_runs[:1]})
    lines = table.splitlines()
    assert len(lines) == 4 and lines[-1] == "(mean over 2, 1 seeds)"
    s = probing.summary(probe_runs)
    gap = 100 * (s["hidden"]["mean"] - s["untrained"]["mean"])
    row = lines[1].split()
    assert row[0] == "noise"
    assert row[1:] == [
        f"{s['hidden']['mean']:.1%}",
        f"{s['untrained']['mean']:.1%}",
        f"{gap:+.1f}",
        "pt",
        f"{s['raw']['mean']:.1%}",
    ]
    with pytest.raises(ValueError, match="at least one setting"):
        vi.baseline_table({})
    with pytest.raises(ValueError, match="at least one run"):
        vi.baseline_table({"none": []})


def test_figures_draw(interp_runs, probe_runs):
    for make in (
        lambda: vi.objective_figure(interp_runs),
        lambda: vi.value_map_figure(interp_runs[0], 1),
        lambda: vi.probe_figure(probe_runs),
    ):
        fig = make()
        fig.canvas.draw()
        assert fig.axes


# --- text alternatives ----------------------------------------------------------------------------


def test_objective_figure_alt_and_table(interp_runs):
    fig = vi.objective_figure(interp_runs)
    s = interp.summary(interp_runs)
    weights = np.mean([r.weights for r in interp_runs], axis=0)
    described(
        fig, "means over 2 seeds", f"cheese {weights[0]:+.2f}", "100 test levels",
        f"planner's algorithm predict {s['rule']['mean']:.0%}", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert fig.mesatoys_data.columns == ("bar", "mean", "seed 0", "seed 1") and len(rows) == 8
    assert rows[-1][1:] == pytest.approx(
        (s["rule"]["mean"], *(r.accuracy["rule"] for r in interp_runs))
    )


def test_value_map_alt_places_the_path_and_the_verdict(interp_runs, bfs):
    r = interp_runs[0]
    levels = r.misgeneralization.test_levels
    start, cheese = levels.start[1], levels.cheese[1]
    away = bfs(levels.walls[1], tuple(cheese))[tuple(start)]
    got = "got the cheese" if r.actual[1] else "missed the cheese"
    verdict = "right" if r.predicted["rule"][1] == r.actual[1] else "wrong"
    described(
        vi.value_map_figure(r, 1), "Value map of test level 1 (13 x 13 maze)",
        f"Start at row {start[0]}, column {start[1]}", f"the cheese is {away} moves away",
        f"the agent {got}", f"(prediction {verdict})",
        f"weights cheese {r.mesa_objective['cheese']:+.2f}", data=False,
    )  # fmt: skip


def test_probe_figure_alt_and_table(probe_runs):
    fig = vi.probe_figure(probe_runs)
    s = probing.summary(probe_runs)
    described(
        fig, "from 5 inputs", "means over 2 seeds",
        f"trained network ({s['hidden']['mean']:.0%})", f"control {s['shuffled']['mean']:.0%}",
        data=True,
    )  # fmt: skip
    rows = {row[0]: row[1:] for row in fig.mesatoys_data.rows}
    assert rows["raw input"][0] == pytest.approx(s["raw"]["mean"])
