"""Figures, tables and the explorer of the policy-gradient network, without a browser or kernel."""

from __future__ import annotations

import dataclasses

import pytest
from fast_configs import PNG_MAGIC

from mesatoys.experiments import network_misgeneralization as nm
from mesatoys.experiments.shape import vary
from mesatoys.viz import network_plots as vn

FAST = nm.Config(updates=3, episodes_per_update=16, n_test_levels=20)


@pytest.fixture(scope="module")
def runs():
    return {alpha: nm.run(dataclasses.replace(FAST, alpha=alpha), seed=0) for alpha in (0.0, 1.0)}


def test_paths_figure_titles_say_what_the_network_did(runs):
    fig = vn.paths_figure(runs[0.0], train_index=1, test_index=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("Training level 1:") and titles[1].startswith("Test level 2:")
    assert "α = 0, seed 0" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"index must be in \[0, 19\], got 20"):
        vn.paths_figure(runs[0.0], test_index=20)


def test_one_level_always_shows_the_same_episode(runs):
    a = vn.play_one(runs[1.0], "test", 4)[1]
    b = vn.play_one(runs[1.0], "test", 4)[1]
    assert (a.paths == b.paths).all()
    with pytest.raises(ValueError, match="split must be one of"):
        vn.play_one(runs[1.0], "validation", 0)
    with pytest.raises(ValueError, match="index must be an integer"):
        vn.play_one(runs[1.0], "test", True)


def test_the_weight_figure_counts_the_cheese_cells_that_moved(runs):
    fig = vn.weight_change_figure([runs[0.0], runs[1.0]])
    title = fig._suptitle.get_text()
    moved = int((nm.weight_change(runs[1.0])["cheese"] > 0).sum())
    assert "1 of 49 at α = 0" in title and f"{moved} of 49 at α = 1" in title
    assert len(fig.axes) == 3 * 2 + 1  # six maps and a colour bar


def test_tables_state_each_run_and_each_steering(runs):
    table = vn.results_table([runs[0.0], runs[1.0]])
    assert "α = 0, seed 0" in table and "α = 1 (cheese anywhere), seed 0" in table
    assert "(20 levels each;" in table
    steering = vn.steering_table({"subtracted": nm.steer(runs[1.0]),
                                  "aimed": nm.steer(runs[1.0], target=(7, 1))})  # fmt: skip
    assert "subtracted" in steering and " -> " in steering and "(20 test levels each" in steering
    probes = vn.probe_table({"cell": nm.probe(runs[1.0], n_fit=100, n_test=100)})
    assert "cell" in probes and "(100 states to fit, 100 held out)" in probes
    for table_of in (vn.results_table, vn.steering_table, vn.probe_table):
        with pytest.raises(ValueError, match="must hold at least one"):
            table_of({} if table_of is not vn.results_table else [])


def test_sweep_figure_draws_both_rates_against_alpha():
    results = nm.sweep(vary(FAST, alpha=(0.0, 1.0)), seeds=[0, 1], progress=False)
    ax = vn.sweep_figure(results).axes[0]
    assert len(ax.lines) == 2 and "2 seeds each" in ax.get_title()


def _explorer(runs, **kwargs):
    return vn.NetworkExplorer(FAST, alphas=(0.0, 1.0), results=[runs[0.0]], **kwargs)


def test_the_explorer_shows_a_given_run_without_training(runs, monkeypatch):
    monkeypatch.setattr(nm, "run", lambda *a: pytest.fail("trained a cached setting"))
    ex = _explorer(runs)
    assert (ex.alpha, ex.split, ex.level, ex.redraws) == (0.0, "test", 0, 1)
    assert ex.picture.png.startswith(PNG_MAGIC) and "network trained at" in ex.picture.alt
    summary = ex.text_summary()
    assert "α = 0, test level 0" in summary and "Key:" in summary and "S" in summary
    ex.set(split="train", level=5)
    assert (ex.split, ex.level, ex.redraws) == ("train", 5, 2)
    assert ex._controls["level"].value == 5 and ex._controls["split"].value == "train"


def test_a_new_alpha_trains_once_and_says_so(runs, monkeypatch):
    calls = []
    real = nm.run

    def counting(config, seed):
        calls.append(config.alpha)
        return real(config, seed)

    monkeypatch.setattr(nm, "run", counting)
    ex = _explorer(runs)
    ex._controls["alpha"].value = 1.0  # as the learner would
    ex.set(level=3)
    ex.set(alpha=0.0)
    ex.set(alpha=1.0)
    assert calls == [1.0] and ex.alpha == 1.0 and ex.redraws == 5
    assert ex._status.value == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.5}, r"alpha must be one of \[0.0, 1.0\], got 0.5"),
        ({"level": 20}, r"level must be an integer in \[0, 19\], got 20"),
        ({"split": "validation"}, "split must be one of"),
    ],
)
def test_set_rejects_bad_values_and_changes_nothing(runs, kwargs, message):
    ex = _explorer(runs)
    with pytest.raises(ValueError, match=message):
        ex.set(**kwargs)
    assert (ex.alpha, ex.split, ex.level, ex.redraws) == (0.0, "test", 0, 1)


def test_the_explorer_checks_its_arguments_and_results(runs):
    with pytest.raises(ValueError, match="config must be a network_misgeneralization.Config"):
        vn.NetworkExplorer(config="fast")
    with pytest.raises(ValueError, match="alphas must be distinct numbers in"):
        vn.NetworkExplorer(FAST, alphas=(0.0, 0.0))
    with pytest.raises(ValueError, match="results must be runs of the explorer's settings"):
        vn.NetworkExplorer(FAST, alphas=(0.0,), seed=1, results=[runs[0.0]])
    other = dataclasses.replace(FAST, hidden=32)
    with pytest.raises(ValueError, match="results must be runs of the explorer's settings"):
        vn.NetworkExplorer(other, alphas=(0.0,), results=[runs[0.0]])


def test_the_explorer_displays_as_a_widget_with_a_text_fallback(runs):
    ex = _explorer(runs)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == ex.text_summary()
    for name in ("alpha", "level"):
        control = ex._controls[name]
        assert len(control.description) <= 8 and control.layout.width == "100%"
    assert "cheese away from the corner" in ex._controls["alpha"].tooltip
