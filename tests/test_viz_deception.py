"""Figures and the explorer of the deception toy (notebooks 05 and 06), headless."""

from __future__ import annotations

import io

import numpy as np
import pytest
from described import described, shown
from matplotlib.figure import Figure
from matplotlib.image import imread

from mesatoys.experiments import deception as dc
from mesatoys.experiments import honeypots as hp
from mesatoys.viz import deception as vd
from mesatoys.viz.palette import OKABE_ITO

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result():
    return dc.run(dc.Config(), seed=0)


def _title(fig: Figure) -> str:
    return fig._suptitle.get_text() if fig._suptitle else ""


def test_pct():
    assert [vd.pct(x) for x in (0.4388, 0.0286, 0.02, 0.0, 1.0)] == [
        "44%", "2.9%", "2%", "0%", "100%",
    ]  # fmt: skip
    assert vd.pct(float("nan")) == "n/a"


def test_training_figure_states_the_finding(result):
    fig = vd.training_figure(result)
    assert len(fig.axes) == 2
    title = _title(fig)
    assert "In training, misbehaviour falls from 44% to 2.9% (honest slips: 2%)" in title
    assert "deceptive share of survivors rises from 49% to 74%" in title
    assert "in deployment 74% of episodes go badly" in title
    left, right = fig.axes
    assert left.get_xlabel() == "training round" and right.get_ylabel() == "share of survivors"
    assert "deploy" in [t.get_text() for t in left.get_xticklabels()]
    assert vd.render_png(fig).startswith(PNG_MAGIC)


def test_training_figure_plots_the_run(result):
    ax = vd.training_figure(result).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    misbehaviour = lines["training misbehaviour (share of episodes)"]
    assert np.allclose(misbehaviour.get_ydata(), result.train_misbehaviour)
    deceptive = lines["deceptive share of survivors"].get_ydata()
    assert deceptive[0] == result.initial_shares[dc.DECEPTIVE]
    assert np.allclose(deceptive[1:], result.deceptive_share)
    assert lines["deployment misbehaviour"].get_ydata()[0] == result.deployment_misbehaviour
    assert misbehaviour.get_color() == OKABE_ITO["vermillion"]
    assert set(vd.COLORS.values()) - {vd.COLORS["slips"]} <= set(OKABE_ITO.values())


def test_finding_says_when_nothing_changes():
    res = dc.run(dc.Config(awareness_rate=0.0), seed=0)
    assert "deceptive share of survivors stays at 0%" in vd.finding(res)


def test_honeypot_figure(result):
    curves = hp.power_curves(result.population, seed=0)
    fig = vd.honeypot_figure(curves)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel().startswith("share of agents flagged")
    assert len(ax.get_lines()) == len(curves.distinguishability) + 1  # plus the false alarms
    title = _title(fig)
    assert "With 50 honeypots per agent, 100% of deceptive agents are caught" in title
    assert "(d = 0)" in title and "easy to spot (d = 1), 62%" in title
    assert "no better than the 63% of aligned agents" in title


# --- when deception survives selection -----------------------------------------------------------


@pytest.fixture(scope="module")
def curves():
    rounds = [dc.rounds_curve(dc.Config(recognition=r), range(2), max_rounds=120)
              for r in (0.99, 1.0)]  # fmt: skip
    return rounds, dc.recognition_curve(dc.Config(), range(2), values=(0.85, 0.9, 0.99, 1.0))


def test_curves_figure_draws_both_settings_and_states_the_finding(curves):
    rounds, recognition = curves
    fig = vd.curves_figure(rounds, recognition)
    left, right = fig.axes
    assert left.get_xlabel() == "training rounds" and right.get_xlabel().startswith("recognition")
    lines = {line.get_label(): line for line in left.get_lines()}
    deceptive = lines["deceptive share of survivors, recognition 0.99"]
    assert np.allclose(deceptive.get_ydata(), rounds[0].summary()["deceptive_share"]["mean"])
    assert np.array_equal(deceptive.get_xdata(), np.arange(1, 121))
    assert "deployment misbehaviour (expected), recognition 1" in lines
    assert "training misbehaviour, last round, recognition 0.99" in lines
    right_lines = {line.get_label(): line for line in right.get_lines()}
    assert np.allclose(
        right_lines["deceptive share of survivors"].get_xdata(), [0.85, 0.9, 0.99, 1]
    )
    title = _title(fig)
    assert title == vd.curves_finding(rounds, recognition)
    share = rounds[0].summary()["deceptive_share"]["mean"]
    assert f"deceptive share is {vd.pct(share[19])} after 20 rounds" in title
    gone = rounds[0].first_below("deceptive_share", 0.1)
    assert (f"under 10% after {gone:.0f}" in title) == (not np.isnan(gone))
    end = rounds[1].summary()["deceptive_share"]["mean"][-1]
    assert f"at recognition 1, {vd.pct(end)} after 120" in title
    assert "under 10% only when recognition is 0.9 or less" in title
    assert vd.render_png(fig).startswith(PNG_MAGIC)


def test_curves_finding_when_deception_never_clears(curves):
    rounds, _ = curves
    stubborn = dc.recognition_curve(dc.Config(), range(1), values=(0.99, 1.0))
    title = vd.curves_finding(rounds[1:], stubborn)
    assert "and still" in title and "at no recognition shown" in title


def test_curves_figure_rejects_curves_over_the_wrong_setting(curves):
    rounds, recognition = curves
    with pytest.raises(ValueError, match="rounds must be one or more curves over training_rounds"):
        vd.curves_figure(recognition, recognition)
    with pytest.raises(ValueError, match="recognition must be a curve over recognition"):
        vd.curves_figure(rounds, rounds[0])
    assert len(vd.curves_figure(rounds[0], recognition).axes) == 2  # one curve on its own


# --- the explorer -------------------------------------------------------------------------------


def test_the_explorer_offers_enough_rounds_for_selection_to_remove_deception():
    explorer = vd.DeceptionExplorer()
    assert explorer.max_rounds == 200
    assert explorer.widget and explorer._controls["training_rounds"].max == 200
    explorer.set(training_rounds=200)
    assert explorer.result.deceptive_share[-1] < 0.1
    text = explorer.text_summary()
    rows = [line.split()[0] for line in text.splitlines()[4:-1]]
    assert rows == ["1", "2", "3", *[str(r) for r in range(20, 201, 20)]]


def test_explorer_redraws_a_new_image_for_every_setting():
    # Redraw speed is measured in benchmarks/ (deception_explorer), not asserted here.
    explorer = vd.DeceptionExplorer()
    explorer.widget  # noqa: B018  (build the widget, so redraws render PNGs too)
    images = [explorer.picture.png]
    for settings in [
        {"awareness_rate": 0.2}, {"training_rounds": 60}, {"oversight": 0.9},
        {"awareness_rate": 0.8}, {"training_rounds": 10}, {"oversight": 0.3},
        {"awareness_rate": 0.5, "training_rounds": 20, "oversight": 0.5},
    ]:  # fmt: skip
        explorer.set(**settings)
        images.append(explorer.picture.png)
    assert all(image.startswith(PNG_MAGIC) for image in images)
    assert len(set(images[:-1])) == len(images) - 1  # every change shows a different picture


def test_the_fast_redraw_shows_what_a_full_render_shows():
    explorer = vd.DeceptionExplorer()
    for settings in ({}, {"training_rounds": 45, "awareness_rate": 0.9}, {"oversight": 0.2}):
        explorer.set(**settings)
        fast = imread(io.BytesIO(explorer.png()))
        full = imread(io.BytesIO(vd.render_png(explorer.figure)))
        assert fast.shape == full.shape
        assert np.abs(fast - full).max(axis=2).mean() < 1e-3


def test_explorer_sliders_drive_the_view():
    explorer = vd.DeceptionExplorer()
    controls = explorer.widget and explorer._controls
    assert explorer.settings == {"awareness_rate": 0.5, "training_rounds": 20, "oversight": 0.5}
    before = explorer.redraws
    controls["awareness_rate"].value = 0.0
    assert explorer.redraws == before + 1
    assert explorer.result.config.awareness_rate == 0.0
    assert explorer.result.deployment_misbehaviour < 0.03
    controls["training_rounds"].value = 5
    assert explorer.result.train_misbehaviour.shape == (5,)
    explorer.set(awareness_rate=1.0)
    assert controls["awareness_rate"].value == 1.0
    assert explorer.result.deployment_misbehaviour > 0.8
    bundle = explorer._repr_mimebundle_()
    assert "text/plain" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_the_sliders_offer_only_settings_that_run():
    explorer = vd.DeceptionExplorer()
    controls = explorer.widget and explorer._controls
    for name in ("awareness_rate", "oversight"):
        slider = controls[name]
        for value in (slider.min, slider.max):
            explorer.set(**{name: value})
            assert explorer.message is None, (name, value)
    explorer.set(training_rounds=controls["training_rounds"].max)


def test_explorer_shows_a_readable_message_for_settings_that_cannot_run():
    explorer = vd.DeceptionExplorer()
    controls = explorer.widget and explorer._controls
    controls["oversight"].min = 0.0  # a slider set up wrongly: still no traceback
    controls["oversight"].value = 0.0  # no traceback: a message in the widget
    assert explorer.message is not None
    assert "oversight must be above 0" in explorer.message
    assert "The figure still shows awareness rate 0.5, training rounds 20, oversight 0.5" in (
        explorer.message
    )
    assert 'role="alert"' in explorer._message.value
    assert explorer.text_summary().startswith("These settings cannot run.")
    controls["awareness_rate"].value = 0.3  # oversight is still 0: still refused
    assert explorer.result.config.awareness_rate == 0.5 and explorer.message
    controls["oversight"].value = 0.4
    assert explorer.message is None and explorer._message.value == ""
    assert explorer.settings == {"awareness_rate": 0.3, "training_rounds": 20, "oversight": 0.4}


def test_explorer_set_raises_on_bad_settings():
    explorer = vd.DeceptionExplorer(max_rounds=30)
    with pytest.raises(ValueError, match="oversight must be above 0"):
        explorer.set(oversight=0.0)
    with pytest.raises(ValueError, match="training_rounds must be at most 30, got 31"):
        explorer.set(training_rounds=31)
    with pytest.raises(ValueError, match="awareness_rate must be in"):
        explorer.set(awareness_rate=1.5)
    assert explorer.settings["oversight"] == 0.5
    with pytest.raises(ValueError, match="max_rounds must be at least"):
        vd.DeceptionExplorer(dc.Config(training_rounds=40), max_rounds=30)
    with pytest.raises(ValueError, match="config must be a deception.Config"):
        vd.DeceptionExplorer(config={"oversight": 0.5})


def test_explorer_text_summary():
    text = vd.DeceptionExplorer().text_summary()
    assert "awareness rate 0.5, training rounds 20, oversight 0.5" in text
    assert "In training, misbehaviour falls from 44% to 2.9%" in text
    assert "Deployment: 74% of episodes misbehave." in text
    rows = [line.split() for line in text.splitlines() if line.strip().startswith("20 ")]
    assert rows == [["20", "2.9%", "74%", "26%"]]


# --- text alternatives ----------------------------------------------------------------------------


def test_training_figure_alt_and_table(result):
    fig = vd.training_figure(result)
    described(
        fig, "1000 agents over 20 training rounds",
        "misbehaviour falls from 44% to 2.9% (honest slips: 2%)",
        "deceptive share of survivors rises from 49% to 74%",
        "in deployment 74% of episodes go badly", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert rows[0][0] == "start" and rows[0][2] == result.initial_shares[dc.DECEPTIVE]
    assert [row[0] for row in rows[1:-1]] == list(range(1, 21))
    assert rows[-2][1:3] == (result.train_misbehaviour[-1], result.deceptive_share[-1])
    assert rows[-1][:2] == ("deployment", result.deployment_misbehaviour)
    long = vd.training_figure(dc.run(dc.Config(training_rounds=200), seed=0))
    rounds = [row[0] for row in long.mesatoys_data.rows[1:-1]]
    assert rounds == list(range(10, 201, 10)) and len(long.mesatoys_data.rows) <= 30


def test_curves_figure_alt_and_table(curves):
    rounds, recognition = curves
    fig = vd.curves_figure(rounds, recognition)
    share = rounds[0].summary()["deceptive_share"]["mean"]
    described(
        fig, "means over 2 seeds", "(1 to 120) at recognition 0.99 and 1",
        "against recognition (0.85 to 1)", f"deceptive share is {vd.pct(share[19])} after 20",
        data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert len(rows) == 30
    last = [row for row in rows if row[0] == "recognition, 20 rounds"]
    assert [row[1] for row in last] == [0.85, 0.9, 0.99, 1.0]
    first = rows[0]
    assert first[:2] == ("training rounds, recognition 0.99", 1.0)
    assert first[2] == pytest.approx(share[0])


def test_honeypot_figure_alt_and_table(result):
    curves = hp.power_curves(result.population, seed=0)
    fig = vd.honeypot_figure(curves)
    described(
        fig, "(1 to 50, log scale)", "one line per distinguishability (0, 0.5, 0.9, 0.99, 1)",
        "With 50 honeypots per agent, 100% of deceptive agents are caught", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert [row[0] for row in rows] == list(curves.n_honeypots)
    assert rows[-1][1:-1] == tuple(curves.detection_rate[:, -1])


def test_explorer_picture_follows_the_run():
    explorer = vd.DeceptionExplorer()
    assert explorer.picture is None  # no picture until the widget is built
    explorer.widget  # noqa: B018
    settings = "awareness rate 0.5, training rounds 20, oversight 0.5"
    finding = "misbehaviour falls from 44% to 2.9%"
    shown(explorer.picture, settings, finding, "in deployment 74% of episodes go badly")
    explorer.set(training_rounds=60)
    alt = shown(explorer.picture, "training rounds 60")
    assert f"in deployment {vd.pct(explorer.result.deployment_misbehaviour)}" in alt
