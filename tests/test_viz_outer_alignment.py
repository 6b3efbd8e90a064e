"""Figures and widgets of notebook 04, headless."""

from __future__ import annotations

import numpy as np
import pytest
from described import described, shown
from matplotlib.figure import Figure

from mesatoys.experiments import specification_gaming as sg
from mesatoys.optimize import ESConfig
from mesatoys.viz import outer_alignment as oa
from mesatoys.viz.palette import OKABE_ITO

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = sg.Config(n_eval_episodes=50, es=ESConfig(generations=3, pairs=2))


@pytest.fixture(scope="module")
def result():
    return sg.run(sg.Config(n_eval_episodes=200), seed=0)


@pytest.fixture(scope="module")
def fast_runs():
    return sg.sweep(FAST, [0, 1], progress=False)


# --- figures ------------------------------------------------------------------------------------


def _texts(fig: Figure) -> str:
    parts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return "\n".join(parts)


def test_race_figure_titles_state_the_numbers(result):
    fig = oa.race_figure(result)
    assert len(fig.axes) == 2
    text = _texts(fig)
    assert "24 points, 0 laps" in text and "12 points, 3 laps" in text
    assert "over 48 steps" in text
    assert oa.render_png(fig).startswith(PNG_MAGIC)


def test_race_figure_labels_the_dithering(result):
    fig = oa.race_figure(result)

    def labels(ax):
        return [t.get_text() for t in ax.texts if t.get_text()]

    assert labels(fig.axes[0]) == ["×24", "×24"]  # 24 times each way over the finish line
    assert labels(fig.axes[1]) == []  # racing: every move made 3 times, nothing to label


@pytest.mark.parametrize("agent", ["intended", "learned"])
def test_race_figure_other_agents(result, agent):
    fig = oa.race_figure(result, agent=agent, seed=1)
    assert "3 laps" in fig.axes[1].get_title()


def test_race_figure_rejects_unknown_agents(result):
    with pytest.raises(ValueError, match="agent must be one of"):
        oa.race_figure(result, agent="pilot")


def test_scores_table_puts_both_numbers_side_by_side(result, fast_runs):
    table = oa.scores_table(result)
    assert "specified return" in table and "laps" in table
    assert "planner (perfect optimizer)                         24.0           0.0" in table
    assert "best possible return: 24" in table and "best possible return: 12" in table
    several = oa.scores_table(fast_runs)
    assert "seeds 0, 1" in several


def test_scores_figure(result, fast_runs):
    fig = oa.scores_figure(result)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "specified return per episode"
    assert fig.axes[1].get_ylabel() == "laps completed per episode"
    assert "2× the racing boat's points" in fig._suptitle.get_text()
    assert "complete 0 laps" in fig._suptitle.get_text()
    colours = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in fig.axes[0].patches}
    expected = {
        tuple(np.round(np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) / 255, 3))
        for c in oa.AGENT_COLORS.values()
    }
    assert colours == expected
    assert set(oa.AGENT_COLORS.values()) <= set(OKABE_ITO.values())
    assert len(oa.scores_figure(fast_runs).axes) == 2


def test_scores_need_runs_of_one_config(result):
    other = sg.run(FAST, 0)
    with pytest.raises(ValueError, match="share one config"):
        oa.scores_table([result, other])
    with pytest.raises(ValueError, match="non-empty list"):
        oa.scores_figure([])


def test_track_size_figure():
    fig = oa.track_size_figure(sg.compare_track_sizes((3, 5, 7)))
    ax = fig.axes[0]
    assert "only at side 3" in ax.get_title()
    assert ax.get_ylabel() == "checkpoint reward per step"
    assert ax.get_xlabel().startswith("side of the track")
    planner, intended = (line.get_ydata() for line in ax.get_lines())
    assert np.allclose(planner, 0.5) and np.allclose(intended, [0.5, 0.25, 1 / 6])


# --- the explorer -------------------------------------------------------------------------------


def test_explorer_redraws_and_keeps_state():
    # Redraw speed is measured in benchmarks/ (boat_race), not asserted here.
    explorer = oa.BoatRaceExplorer()
    assert (explorer.side, explorer.reward, explorer.agent) == (5, "checkpoints", "planner")
    assert explorer.picture.png.startswith(PNG_MAGIC)
    images = set()
    for side, reward in [(3, "ordered"), (7, "checkpoints"), (9, "ordered"), (5, "checkpoints")]:
        explorer.set(side=side, reward=reward)
        images.add(explorer.picture.png)
    assert len(images) == 4
    assert explorer._controls["side"].value == 5


def test_explorer_widgets_drive_the_view():
    explorer = oa.BoatRaceExplorer()
    before = explorer.redraws
    explorer._controls["reward"].value = "ordered"
    assert explorer.reward == "ordered" and explorer.redraws == before + 1
    assert "Laps completed: 3" in explorer.text_summary()
    explorer._controls["agent"].value = "intended"
    assert "Specified return: 12" in explorer.text_summary()
    explorer.set(reward="checkpoints", agent="planner")
    summary = explorer.text_summary()
    assert "Specified return: 24" in summary and "Laps completed: 0" in summary
    assert "#..B..#" in summary  # the text fallback draws the track
    bundle = explorer._repr_mimebundle_()
    assert "text/plain" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"side": 11}, r"side must be one of \[3, 5, 7, 9\], got 11"),
        ({"reward": "laps"}, "reward must be one of"),
        ({"agent": "learned"}, r"agent must be one of \('planner', 'intended'\)"),
    ],
)
def test_explorer_rejects_bad_choices(kwargs, message):
    explorer = oa.BoatRaceExplorer()
    with pytest.raises(ValueError, match=message):
        explorer.set(**kwargs)
    assert (explorer.side, explorer.reward, explorer.agent) == (5, "checkpoints", "planner")


def test_explorer_rejects_bad_sides():
    with pytest.raises(ValueError, match="side must be an odd integer"):
        oa.BoatRaceExplorer(sides=(4, 6))
    with pytest.raises(ValueError, match="without repeats"):
        oa.BoatRaceExplorer(sides=(5, 5))


# --- text alternatives ----------------------------------------------------------------------------


def test_race_figure_alt_describes_the_track_and_both_routes(result):
    alt = described(
        oa.race_figure(result), "a track of 5 cells a side (16 water cells",
        "start and finish line at row 1, column 3 (top centre)",
        "The planner over 48 steps: 24 points and 0 laps with the checkpoint reward",
        "Checkpoint reward: 24 points, 0 laps; the boat makes 48 moves between 2 different "
        "pairs of cells; the most repeated, 24 times",
        "Fixed reward (checkpoints in order): 12 points, 3 laps", data=False,
    )  # fmt: skip
    assert alt.startswith("Two pictures of a track")


def test_scores_figure_alt_and_table(result, fast_runs):
    fig = oa.scores_figure(result)
    described(fig, "best possible return dotted (24, 12)", "2× the racing boat's points",
              "complete 0 laps", data=True)  # fmt: skip
    rows = {(row[0], row[1]): row[2:] for row in fig.mesatoys_data.rows}
    assert len(rows) == 6
    assert rows[(sg.REWARD_LABELS["checkpoints"], sg.AGENT_LABELS["planner"])] == (24.0, 0.0)
    assert "seeds 0, 1" in described(oa.scores_figure(fast_runs), data=True)


def test_track_size_figure_alt_and_table():
    fig = oa.track_size_figure(sg.compare_track_sizes((3, 5, 7)))
    described(fig, "(3, 5, 7 cells)", "only at side 3", "the planner earns 0.50, 0.50, 0.50",
              "racing 0.50, 0.25, 0.17", data=True)  # fmt: skip
    assert fig.mesatoys_data.rows[1] == (5, 16, 0.5, 0.25)


def test_explorer_picture_follows_the_choices():
    explorer = oa.BoatRaceExplorer()
    shown(explorer.picture, "A track of 5 cells a side", "under the checkpoint reward",
          "planner boat's route over 48 steps: 24 points, 0 laps")  # fmt: skip
    explorer.set(side=3, reward="ordered", agent="intended")
    shown(explorer.picture, "A track of 3 cells a side (8 water cells", "fixed reward",
          "intended boat's route over 24 steps: 12 points, 3 laps")  # fmt: skip
