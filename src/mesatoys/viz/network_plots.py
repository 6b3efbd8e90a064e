"""Figures, tables and an explorer of the policy-gradient network (notebooks 03 and 06).

Thin layers over :mod:`mesatoys.experiments.network_misgeneralization`: they draw runs
and replay one level at a time; they never train except where a widget is asked for a
setting it has not seen (then once, and it says so).

Example:
    >>> from mesatoys.experiments import network_misgeneralization as nm
    >>> res = nm.run(nm.Config(n_test_levels=50), seed=0)
    >>> len(paths_figure(res).axes)
    2
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mesatoys.agents.policy_gradient import Rollout
from mesatoys.checks import check_choice, check_seed
from mesatoys.display import (
    ROW_WRAP,
    DataTable,
    ShowsWidget,
    SyncsControls,
    describe,
    render_png,
    slider_look,
)
from mesatoys.envs.maze import LevelBatch
from mesatoys.experiments import network_misgeneralization as nm
from mesatoys.experiments.shape import by_setting
from mesatoys.viz.maze_plots import SPLIT_NAMES, draw_maze, level_ascii, level_words, pct
from mesatoys.viz.palette import color
from mesatoys.viz.picture import Picture

_UNSET: Any = object()
#: The alphas the explorer offers: none, a little and more diversity, and the aligned control.
ALPHAS = (0.0, 0.1, 0.3, 1.0)
LABEL_PX = 60
CHANNEL_LABELS = {"walls": "walls", "agent": "the agent's cell", "cheese": "the cheese's cell"}


def run_label(result: nm.Result) -> str:
    """``"α = 0, seed 3"`` (``"α = 1 (cheese anywhere), seed 3"`` for the aligned control)."""
    alpha = result.config.alpha
    return f"α = {alpha:g}{' (cheese anywhere)' if alpha == 1 else ''}, seed {result.seed}"


# --- one level -----------------------------------------------------------------------------------


def play_one(result: nm.Result, split: str, index: int) -> tuple[LevelBatch, Rollout]:
    """One evaluation level of a run and one episode the network plays on it, recorded.

    The moves are sampled with a random stream of their own (``[seed, 6, index]``, and
    ``[seed, 7, index]`` on training levels), so a level always shows the same episode.

    Raises:
        ValueError: On an unknown split or an index out of range.
    """
    check_choice("split", split, SPLIT_NAMES)
    levels = result.test_levels if split == "test" else result.train_levels
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"index must be an integer, got {index!r}")
    if not 0 <= index < len(levels):
        raise ValueError(f"index must be in [0, {len(levels) - 1}], got {index}")
    level = levels[int(index)]
    rng = np.random.default_rng([result.seed, 6 if split == "test" else 7, int(index)])
    return level, result.policy.play(level, result.config.episode_limit, rng, record=True)


def episode_text(played: Rollout, level: LevelBatch) -> str:
    """What the network did in a one-level episode, as a phrase."""
    in_corner = bool((level.cheese[0] == level.corner).all())
    if played.reached_cheese[0]:
        return "reached the cheese (in the corner)" if in_corner else "reached the cheese"
    if played.reached_corner_first[0]:
        return "went to the corner, missed the cheese"
    return "missed the cheese"


def paths_figure(result: nm.Result, train_index: int = 0, test_index: int = 0) -> Figure:
    """A training level and a test level with one sampled episode of the network on each.

    Returns:
        The figure; each panel's title says what the network did.
    """
    fig = Figure(figsize=(8.0, 4.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, split, index in zip(axes, ("train", "test"), (train_index, test_index), strict=True):
        level, played = play_one(result, split, index)
        draw_maze(ax, level.walls[0], level.start[0], level.cheese[0], played.paths[0],
                  title=f"{SPLIT_NAMES[split]} {index}:\n{episode_text(played, level)}",
                  legend=False)  # fmt: skip
    handles, labels = axes[1].get_legend_handles_labels()
    labels = ["where the episode ended" if t == "where it stopped" else t for t in labels]
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(f"The same trained network on both kinds of level ({run_label(result)})")
    panels = []
    for split, index in (("train", train_index), ("test", test_index)):
        level, played = play_one(result, split, index)
        words = level_words(level.walls[0], level.start[0], level.cheese[0], played.paths[0],
                            outcome=f"the network {episode_text(played, level)}")  # fmt: skip
        panels.append(f"{SPLIT_NAMES[split].lower()} {index}: {words}")
    alt = (
        f"Two rooms with one sampled episode of the network trained at {run_label(result)}. "
        + "; ".join(panels)
        + "."
    )
    return describe(fig, alt)


# --- tables --------------------------------------------------------------------------------------


def results_table(results: Sequence[nm.Result]) -> str:
    """One row per run: the cheese reached on training and test levels, the corner instead.

    Raises:
        ValueError: On no results.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    head = f"{'run':<34}{'training: cheese':>17}{'test: cheese':>14}{'corner first':>14}"
    rows = ["rates of sampled episodes, one per level", head]
    for r in results:
        rows.append(
            f"{run_label(r):<34}{pct(r.train.true_goal_rate):>17}"
            f"{pct(r.test.true_goal_rate):>14}{pct(r.test.proxy_rate):>14}"
        )
    rows.append(
        f"({results[0].test.n_levels} levels each; 'corner first': stepped on the top-right "
        "corner before any cheese)"
    )
    return "\n".join(rows)


def steering_table(steerings: Mapping[str, nm.Steering]) -> str:
    """Steered and unsteered rates side by side, one row per steering.

    Raises:
        ValueError: On no steerings.
    """
    if not steerings:
        raise ValueError("steerings must hold at least one steering")
    head = f"{'':<38}{'cheese':>16}{'corner first':>16}{'target':>16}"
    rows = ["test levels, without -> with the vector", head]
    for label, s in steerings.items():
        cells = []
        for key in ("true_goal_rate", "proxy_rate", "target_rate"):
            after = getattr(s, key)
            cells.append("-" if after is None else f"{pct(s.unsteered[key])} -> {pct(after)}")
        rows.append(f"{label:<38}" + "".join(f"{c:>16}" for c in cells))
    first = next(iter(steerings.values()))
    rows.append(f"({first.n_levels} test levels each, the same sampled moves with and without)")
    return "\n".join(rows)


def probe_table(probes: Mapping[str, nm.Probe]) -> str:
    """Held-out accuracy of each probe, on the trained and on the untrained network.

    Raises:
        ValueError: On no probes.
    """
    if not probes:
        raise ValueError("probes must hold at least one probe")
    head = f"{'':<46}{'trained':>9}{'untrained':>11}{'chance':>8}"
    rows = ["linear probes on the hidden layer, held-out accuracy", head]
    for label, p in probes.items():
        rows.append(f"{label:<46}{p.trained:>9.1%}{p.untrained:>11.1%}{p.chance:>8.1%}")
    first = next(iter(probes.values()))
    rows.append(f"({first.n_fit} states to fit, {first.n_test} held out)")
    return "\n".join(rows)


# --- the mechanism -------------------------------------------------------------------------------


def weight_change_figure(results: Sequence[nm.Result]) -> Figure:
    """How far training moved each input cell's weights, by channel, one row per run.

    Returns:
        The figure; its title counts the cheese cells whose weights moved at all in
        each run.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    maps = [nm.weight_change(r) for r in results]
    top = max(float(m[c].max()) for m in maps for c in nm.CHANNELS) or 1.0
    fig = Figure(figsize=(8.6, 2.6 * len(results) + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(results), len(nm.CHANNELS)))
    image = None
    for row, (result, moved) in enumerate(zip(results, maps, strict=True)):
        for col, channel in enumerate(nm.CHANNELS):
            ax = axes[row, col]
            image = ax.imshow(moved[channel], cmap="viridis", vmin=0, vmax=top)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{run_label(result)}\ninput: {CHANNEL_LABELS[channel]}", fontsize=9)
    fig.colorbar(image, ax=axes, shrink=0.8, label="how far the weights moved (norm)")
    counts = [int((m["cheese"] > 1e-6).sum()) for m in maps]
    size = maps[0]["cheese"].size
    parts = [f"{n} of {size} at {run_label(r).split(',')[0]}" for n, r in
             zip(counts, results, strict=True)]  # fmt: skip
    fig.suptitle("Cheese-cell weights that training moved at all: " + "; ".join(parts))
    moved = [
        (run_label(r), CHANNEL_LABELS[c], int((m[c] > 1e-6).sum()), float(m[c].max()))
        for r, m in zip(results, maps, strict=True)
        for c in nm.CHANNELS
    ]
    alt = (
        "Heat maps of how far training moved the first-layer weights of each input cell, "
        "for the walls, the agent's cell and the cheese's cell, one row per run. "
        f"Cheese-cell weights that moved at all: {'; '.join(parts)}."
    )
    data = DataTable(("run", "input", "cells whose weights moved", "largest move"), tuple(moved))
    return describe(fig, alt, data)


def sweep_figure(results: Sequence[nm.Result]) -> Figure:
    """Test rates against alpha: the cheese and the corner first (mean, lowest to highest seed).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    curves = {}
    for measure, label, role, marker in (
        ("true_goal_rate", "reached the cheese (true goal)", "true_goal", "o"),
        ("proxy_rate", "corner first, before any cheese", "proxy", "s"),
    ):
        curve = curves[measure] = by_setting(results, lambda r: r.config.alpha, nm.summary, measure)
        x = curve["values"]
        ax.fill_between(x, curve["low"], curve["high"], color=color(role), alpha=0.2, lw=0)
        ax.plot(x, curve["mean"], marker=marker, color=color(role), lw=2, label=label)
    ax.set_xscale("symlog", linthresh=0.1, linscale=0.5)
    ax.set_xticks(x, [f"{a:g}" for a in x])
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("α: fraction of training levels with the cheese away from the corner")
    ax.set_ylabel("fraction of test levels")
    ax.legend(fontsize=9, frameon=False)
    seeds = len(results) // len(x)
    ax.set_title(f"The network on test levels ({seeds} seed{'s' if seeds != 1 else ''} each)")
    cheese, corner = curves["true_goal_rate"], curves["proxy_rate"]
    points = [
        f"α = {a:g}: cheese {pct(c)}, corner first {pct(k)}"
        for a, c, k in zip(cheese["values"], cheese["mean"], corner["mean"], strict=True)
    ]
    alt = (
        f"Line chart of the network's test-level rates against α (mean of {seeds} seeds): "
        + "; ".join(points)
        + "."
    )
    data = DataTable(
        ("α", "reached the cheese", "corner first"),
        tuple(
            (f"{a:g}", pct(c), pct(k))
            for a, c, k in zip(cheese["values"], cheese["mean"], corner["mean"], strict=True)
        ),
    )
    return describe(fig, alt, data)


# --- the explorer --------------------------------------------------------------------------------


class NetworkExplorer(SyncsControls, ShowsWidget):
    """Pick α and a level; watch one episode of the network trained at that α.

    Each α is trained once, on first visit (about 4 seconds on one core), and kept.

    Args:
        config: Base settings (default :class:`nm.Config`); its ``alpha`` is replaced.
        alphas: The alphas the slider offers (each in [0, 1], no repeats).
        seed: The seed every network is trained with.
        results: Runs already computed with the same settings, to show without training.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The matplotlib figure of the level and the path.
        redraws: How many times the view has been redrawn.

    Raises:
        ValueError: On bad arguments or a result of other settings.
    """

    def __init__(
        self,
        config: nm.Config | None = None,
        alphas: Sequence[float] = ALPHAS,
        seed: int = 0,
        *,
        results: Sequence[nm.Result] = (),
    ):
        base = nm.Config() if config is None else config
        if not isinstance(base, nm.Config):
            raise ValueError(f"config must be a network_misgeneralization.Config, got {base!r}")
        self.config = dataclasses.replace(base, progress=False)
        self.alphas = _check_alphas(alphas)
        self.seed = check_seed(seed)
        self._cache: dict[float, nm.Result] = {}
        for result in results:
            self.add_result(result)
        self.alpha, self.split, self.level, self.redraws = self.alphas[0], "test", 0, 0
        self.figure = Figure(figsize=(4.4, 4.6))
        self._ax = self.figure.add_axes((0.02, 0.01, 0.96, 0.86))
        self._build_widgets()
        self._redraw()

    def add_result(self, result: nm.Result) -> None:
        """Keep a finished run so that showing it needs no training.

        Raises:
            ValueError: Unless it is a run of the explorer's settings, one of its alphas
                and its seed.
        """
        alpha = result.config.alpha
        same = result.config == dataclasses.replace(self.config, alpha=alpha)
        if not same or alpha not in self.alphas or result.seed != self.seed:
            raise ValueError(
                f"results must be runs of the explorer's settings with an alpha from "
                f"{list(self.alphas)} and seed {self.seed}; got {run_label(result)}"
            )
        self._cache[alpha] = result

    @property
    def result(self) -> nm.Result:
        """The run shown now (trained and kept on first use)."""
        if self.alpha not in self._cache:
            self._status.value = (
                f"<i>Training the network for α = {self.alpha:g}… (about 4 seconds, once)</i>"
            )
            config = dataclasses.replace(self.config, alpha=self.alpha)
            self._cache[self.alpha] = nm.run(config, self.seed)
        self._status.value = ""
        return self._cache[self.alpha]

    def set(self, alpha: float = _UNSET, split: str = _UNSET, level: int = _UNSET) -> None:
        """Change any of the choices, then redraw once.

        Raises:
            ValueError: Naming the argument and what is allowed; nothing changes.
        """
        new_alpha = self.alpha if alpha is _UNSET else self._check_alpha(alpha)
        new_split = self.split if split is _UNSET else check_choice("split", split, SPLIT_NAMES)
        new_level = self.level if level is _UNSET else self._check_level(level)
        self.alpha, self.split, self.level = new_alpha, new_split, new_level
        self._sync_widgets()
        self._redraw()

    def _check_alpha(self, alpha: object) -> float:
        if isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool):
            for allowed in self.alphas:
                if math.isclose(float(alpha), allowed, abs_tol=1e-12):
                    return allowed
        raise ValueError(f"alpha must be one of {list(self.alphas)}, got {alpha!r}")

    def _check_level(self, level: object) -> int:
        n = self.config.n_test_levels
        ok = isinstance(level, (int, np.integer)) and not isinstance(level, bool)
        if not ok or not 0 <= int(level) < n:
            raise ValueError(f"level must be an integer in [0, {n - 1}], got {level!r}")
        return int(level)

    def _build_widgets(self) -> None:
        import ipywidgets as w

        style = {"description_width": f"{LABEL_PX}px"}
        self._controls = {
            "alpha": w.SelectionSlider(
                options=[(f"{a:g}", a) for a in self.alphas], description="α",
                tooltip="α: the share of training levels with the cheese away from the corner "
                "(1: cheese anywhere, the aligned control)",
                continuous_update=False, **slider_look(LABEL_PX),
            ),
            "split": w.ToggleButtons(
                options=[("test levels", "test"), ("training levels", "train")],
                description="show", style={**style, "button_width": "120px"},
            ),
            "level": w.IntSlider(
                min=0, max=self.config.n_test_levels - 1, description="level",
                continuous_update=False, **slider_look(LABEL_PX),
            ),
        }  # fmt: skip
        self._status, self._rates = w.HTML(""), w.HTML("")
        self.picture = Picture(max_width="100%", min_width="300px")
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        c = self._controls
        self.widget = w.VBox(
            [
                w.HBox([c["alpha"], c["split"]], layout=w.Layout(**ROW_WRAP)),
                c["level"],
                self._status,
                w.HBox([self.picture.widget, self._rates], layout=w.Layout(**ROW_WRAP)),
            ]
        )

    def _sync_widgets(self) -> None:
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            for name in ("alpha", "split", "level"):
                self._controls[name].value = getattr(self, name)

    def _on_widget(self, change: dict) -> None:
        name = self._changed_control(change)
        if name is not None:
            self.set(**{name: change["new"]})

    def _redraw(self) -> None:
        result = self.result
        level, played = play_one(result, self.split, self.level)
        outcome = episode_text(played, level)
        draw_maze(self._ax, level.walls[0], level.start[0], level.cheese[0], played.paths[0],
                  title=f"{SPLIT_NAMES[self.split]} {self.level}:\n{outcome}",
                  legend=False)  # fmt: skip
        self._view = {"level": level, "played": played, "outcome": outcome}
        words = level_words(level.walls[0], level.start[0], level.cheese[0], played.paths[0],
                            outcome=f"the network {outcome}")  # fmt: skip
        alt = (
            f"{SPLIT_NAMES[self.split]} {self.level} for the network trained at "
            f"{run_label(self.result)}: {words}. {self._rates_text().splitlines()[1]}"
        )
        self.picture.show(render_png(self.figure, dpi=80), alt)
        self._rates.value = html.escape(self._rates_text()).replace("\n", "<br>")
        self.redraws += 1

    def _rates_text(self) -> str:
        r = self.result
        return (
            f"The network trained at α = {self.alpha:g} (seed {self.seed}):\n"
            f"test levels: cheese {pct(r.test.true_goal_rate)}, corner first "
            f"{pct(r.test.proxy_rate)};\n"
            f"training levels: cheese {pct(r.train.true_goal_rate)} "
            f"({r.test.n_levels} levels each).\n"
            "Paths: one sampled episode per level. Key: orange cheese, blue square the "
            "top-right corner, green start, purple path, X where the episode ended."
        )

    def text_summary(self) -> str:
        """Plain-text description of the current view (a fallback for widget-less readers)."""
        level, played = self._view["level"], self._view["played"]
        return "\n".join(
            [
                f"Network explorer: α = {self.alpha:g}, {SPLIT_NAMES[self.split].lower()} "
                f"{self.level}: the network {self._view['outcome']} "
                f"({int(played.steps[0])} moves).",
                self._rates_text().replace("\n", " "),
                "",
                level_ascii(level.walls[0], level.start[0], level.cheese[0], played.paths[0]),
                "Key: # wall, . floor, S start, C cheese, T top-right corner, * path, "
                "X where the episode ended.",
            ]
        )


def _check_alphas(alphas: Sequence[float]) -> tuple[float, ...]:
    try:
        values = tuple(float(a) for a in alphas)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be numbers in [0, 1], got {alphas!r}") from None
    if not values or len(set(values)) != len(values) or not all(0 <= a <= 1 for a in values):
        raise ValueError(f"alphas must be distinct numbers in [0, 1], got {alphas!r}")
    return values


__all__ = [
    "ALPHAS",
    "NetworkExplorer",
    "episode_text",
    "paths_figure",
    "play_one",
    "probe_table",
    "results_table",
    "run_label",
    "steering_table",
    "sweep_figure",
    "weight_change_figure",
]
