"""Figures and the explorer of the AI-control toy (notebook 06), headless."""

from __future__ import annotations

import numpy as np
import pytest
from described import described, shown
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from mesatoys.experiments import ai_control as ac
from mesatoys.viz import ai_control as vac
from mesatoys.viz.palette import OKABE_ITO

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ac.Config(n_deployments=400)


@pytest.fixture(scope="module")
def result():
    return ac.run(SMALL, seed=0)


@pytest.fixture(scope="module")
def front():
    return ac.frontier(SMALL, (0.0, 0.1, 0.3), seed=0)


@pytest.fixture(scope="module")
def explorer():
    return vac.ControlExplorer()


# --- static figures -----------------------------------------------------------------------------


def test_frontier_figure(front):
    fig = vac.frontier_figure(front)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("usefulness") and ax.get_ylabel().startswith("safety")
    title = ax.get_title()
    tm, up = front.points["trusted_monitoring"][1], front.points["upfront_auditing"][1]
    assert f"trusted monitoring is {100 * tm:.0f}% safe" in title
    assert f"upfront auditing {100 * up:.0f}%" in title
    line = ax.get_lines()[0]
    assert np.allclose(line.get_xdata(), front.usefulness)
    assert np.allclose(line.get_ydata(), front.safety)
    faces = {to_hex(ln.get_markerfacecolor()).upper() for ln in ax.get_lines()[1:4]}
    assert faces == set(vac.PROTOCOL_COLORS.values()) and faces <= set(OKABE_ITO.values())


def test_attack_rate_figure_marks_the_best_responses(result):
    fig = vac.attack_rate_figure(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("attack rate")
    markers = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None" and len(ln.get_xdata())]
    best = {(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in markers}
    for protocol in ac.PROTOCOLS:
        res = result[protocol]
        assert (res.best_attack_rate, res.worst_case_safety) in best
    up = result["upfront_auditing"]
    assert f"attacks rarely ({100 * up.best_attack_rate:.2g}% of tasks)" in ax.get_title()


def test_figures_reject_wrong_inputs(result):
    with pytest.raises(TypeError, match="frontier must be an ai_control.Frontier"):
        vac.frontier_figure(result)
    with pytest.raises(TypeError, match="result must be an ai_control.Result"):
        vac.attack_rate_figure("run")


# --- the explorer -------------------------------------------------------------------------------


def test_explorer_starts_at_the_defaults_with_the_red_teams_best(explorer):
    assert (explorer.audit_budget, explorer.monitor_quality, explorer.defer_fraction) == (
        0.02,
        2.0,
        0.1,
    )
    assert explorer.attack_rate is None
    assert explorer.png().startswith(PNG_MAGIC) and explorer.picture.png.startswith(PNG_MAGIC)
    summary = explorer.text_summary()
    assert "Audit budget 2%" in summary and "against the best attack rate" in summary
    # Its numbers are the experiment's, on the explorer's own draws.
    again = ac.evaluate_protocol("trusted_monitoring", explorer.config, explorer._draws)
    assert explorer.result["trusted_monitoring"].worst_case_safety == again.worst_case_safety
    assert f"trusted monitoring: safety {again.worst_case_safety:.3f}" in summary


def test_explorer_redraws_for_every_move(explorer):
    # Redraw speed is measured in benchmarks/ (control_explorer), not asserted here.
    before = explorer.redraws
    moves = [
        {"audit_budget": 0.05}, {"attack_rate": 0.01}, {"monitor_quality": 3.0},
        {"defer_fraction": 0.3}, {"attack_rate": "best"}, {"audit_budget": 0.01},
        {"monitor_quality": 1.0}, {"attack_rate": 0.251}, {"defer_fraction": 0.05},
    ]  # fmt: skip
    for move in moves:
        explorer.set(**move)
        assert explorer.png().startswith(b"\x89PNG")
    assert explorer.redraws == before + len(moves)
    explorer.set(audit_budget=0.02, attack_rate="best", monitor_quality=2.0, defer_fraction=0.1)


def test_widgets_drive_the_view(explorer):
    import ipywidgets as w

    controls = explorer._controls
    assert isinstance(controls["monitor_quality"], w.FloatSlider)
    assert all(isinstance(controls[k], w.SelectionSlider) for k in ("audit_budget", "attack_rate"))
    before = explorer.redraws
    controls["monitor_quality"].value = 0.0
    assert explorer.monitor_quality == 0.0 and explorer.redraws == before + 1
    tm, up = explorer.result["trusted_monitoring"], explorer.result["upfront_auditing"]
    assert tm.worst_case_safety < up.worst_case_safety  # a useless monitor
    controls["attack_rate"].value = 0.01
    assert explorer.attack_rate == 0.01 and "at attack rate 1%" in explorer.text_summary()
    controls["attack_rate"].value = vac.BEST
    controls["monitor_quality"].value = 2.0
    bundle = explorer._repr_mimebundle_()
    assert "text/plain" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_every_pair_of_slider_values_is_accepted():
    assert max(vac.BUDGETS) + max(vac.DEFER_FRACTIONS) <= 1


def test_bad_input_shows_a_message_and_changes_nothing(explorer):
    controls = explorer._controls
    with pytest.raises(ValueError, match="audit_budget \\+ defer_fraction must be at most 1"):
        explorer.set(audit_budget=0.2, defer_fraction=0.9)  # from code, not the sliders
    assert 'role="alert"' in explorer._message.value
    assert explorer.defer_fraction == 0.1 and controls["defer_fraction"].value == 0.1
    with pytest.raises(ValueError, match="attack_rate must be 'best' or one of"):
        explorer.set(attack_rate=0.3)
    with pytest.raises(ValueError, match="monitor_quality must be a finite number >= 0"):
        explorer.set(monitor_quality=-1)
    assert "monitor_quality" in explorer.error and explorer.monitor_quality == 2.0
    explorer.set(audit_budget=0.02)
    assert explorer.error is None and explorer._message.value == ""


def test_explorer_rejects_bad_arguments():
    with pytest.raises(TypeError, match="config must be an ai_control.Config"):
        vac.ControlExplorer(config={"audit_budget": 0.02})
    with pytest.raises(ValueError, match="n_deployments must be an integer >= 1"):
        vac.ControlExplorer(n_deployments=0)


# --- text alternatives ----------------------------------------------------------------------------


def _pct(x):
    return vac._pct(x)


def test_frontier_figure_alt_and_table(front):
    fig = vac.frontier_figure(front)
    tm, up = front.points["trusted_monitoring"][1], front.points["upfront_auditing"][1]
    described(
        fig, "for upfront auditing, trusted monitoring and defer to trusted",
        "handing 0% to 30% of tasks", "(400 simulated deployments)",
        f"trusted monitoring is {_pct(tm)} safe", f"upfront auditing {_pct(up)}", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert len(rows) == 3 + len(front.defer_fractions)
    line = [row for row in rows if row[0] == "defer to trusted (the line)"]
    assert [row[1] for row in line] == [0.0, 0.1, 0.3]
    assert [row[3] for row in line] == pytest.approx(list(front.safety))


def test_attack_rate_figure_alt_names_each_best_response(result):
    fig = vac.attack_rate_figure(result)
    dtt = result["defer_to_trusted"]
    described(
        fig,
        "(0.1% to 100% of tasks, log scale)",
        f"attacks rarely ({_pct(result['upfront_auditing'].best_attack_rate)} of tasks)",
        f"against defer to trusted its best rate is {_pct(dtt.best_attack_rate)}: "
        f"safety {_pct(dtt.worst_case_safety)}",
        data=True,
    )
    rows = fig.mesatoys_data.rows
    rates = result["trusted_monitoring"].attack_rates
    assert rows[0][0] == rates[0] and rows[-1][0] == rates[-1] and len(rows) <= 30
    assert rows[-1][2] == pytest.approx(result["trusted_monitoring"].safety[-1])


def test_explorer_picture_says_the_settings_and_safeties(explorer):
    alt = shown(explorer.picture, "audit budget 2%, monitor quality 2 and 10% of tasks deferred")
    points = explorer._points()
    assert f"trusted monitoring {_pct(points['trusted_monitoring'][1])}" in alt
    assert "against the best attack rate" in alt
    explorer.set(attack_rate=0.01, audit_budget=0.05)
    alt = shown(explorer.picture, "audit budget 5%", "at attack rate 1%")
    safety = explorer.result["upfront_auditing"].safety_at(0.01)
    assert f"upfront auditing {_pct(safety)}" in alt
    explorer.set(audit_budget=0.02, attack_rate="best")
