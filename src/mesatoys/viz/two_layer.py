"""Two optimizers, one inside the other: the figures and stepper of notebook 01.

The **outer loop** is evolution strategies (:mod:`mesatoys.optimize`): generation by
generation it changes the five mesa-objective weights, and all it learns about them is
the base-objective return of noisy copies on training levels. The **inner loop** is
the planner's value iteration (:func:`mesatoys.agents.planner.value_iteration_trace`):
on one level, with one generation's weights, the value map spreads out from the cells
the weights make worth reaching, one Bellman backup (sweep) at a time.

:func:`two_loops_figure` shows both loops in one figure; :class:`TwoLoopStepper`
steps both with sliders (plus a level picker) and redraws that same figure;
:func:`sweep_strip_figure` and :func:`first_plans_figure` are static views for
readers without a kernel. Everything draws on plain :class:`matplotlib.figure.Figure`
objects, never on pyplot's global state.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> res = gm.run(gm.Config(n_test_levels=20), seed=0)
    >>> plan = inner_plan(res, generation=40, split="train", index=0)
    >>> plan.sweeps > 0, plan.outcome
    (True, 'reached the cheese (in the corner)')
"""

from __future__ import annotations

import html
import textwrap
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from mesatoys.agents.planner import utility_map, value_iteration_trace
from mesatoys.checks import check_choice
from mesatoys.display import (
    ROW_WRAP,
    BlitRenderer,
    DataTable,
    ShowsWidget,
    SyncsControls,
    describe,
    slider_look,
)
from mesatoys.envs.features import (
    CHEESE,
    FEATURE_NAMES,
    cheese_in_view,
    corner_cells,
    feature_cells,
)
from mesatoys.envs.maze import UNREACHABLE, LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz.maze_plots import (
    FEATURE_LABELS,
    level_words,
    outcome_text,
    trim_path,
    weights_words,
)
from mesatoys.viz.palette import FEATURE_COLORS, OKABE_ITO, color
from mesatoys.viz.picture import Picture, spread

#: Panels per row of the sweep strip: three keep it within the notebook column.
STRIP_COLUMNS = 3
SPLITS = {"train": "training level", "test": "test level"}
VALUE_CMAP = "viridis"  # sequential, perceptually uniform and colour-blind safe
_UNSET: Any = object()
# In front of the generation marker, and hiding it: a white box without a visible edge.
_OPAQUE_LEGEND = {"frameon": True, "framealpha": 1.0, "facecolor": "white", "edgecolor": "white"}
_SHORT = {
    "cheese": "cheese",
    "top_right": "top-right",
    "top_left": "top-left",
    "bottom_left": "bot-left",
    "bottom_right": "bot-right",
}


# --- checks -----------------------------------------------------------------------------------


def _check_int(name: str, value: object, low: int, high: int, where: str = "") -> int:
    """An integer in ``[low, high]``, else a ValueError that names the argument."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or not low <= int(value) <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]{where}, got {value!r}")
    return int(value)


def n_generations(result: gm.Result) -> int:
    """Index of the last generation: the weights after the outer loop's final update."""
    return len(result.training_weights) - 1


def _levels(result: gm.Result, split: str) -> LevelBatch:
    return result.train_levels if split == "train" else result.test_levels


# --- the outer loop ---------------------------------------------------------------------------


def es_scores(result: gm.Result) -> np.ndarray:
    """What the outer loop saw: per generation, the mean return of its noisy candidates."""
    return result.training_scores


def history_table(result: gm.Result, generations: Sequence[int] | None = None) -> str:
    """The outer loop's record as a text table: its score and the weights, per generation.

    Args:
        result: A run of :func:`gm.run`.
        generations: Which generations to list (default: a spread from first to last).

    Returns:
        The table; the last generation has no score (the outer loop stopped there).
    """
    last = n_generations(result)
    if generations is None:
        generations = sorted({g for g in (0, 1, 2, 3, 5, 10, 20, 30, last) if g <= last})
    rows = [_check_int("generations[]", g, 0, last) for g in generations]
    scores, own = es_scores(result), gm.generation_returns(result)
    es = result.config.es
    head = f"{'generation':>10}{'ES score':>10}{'own return':>12}" + "".join(
        f"{_SHORT[name]:>11}" for name in FEATURE_NAMES
    )
    lines = [
        f"ES score: mean return of the {2 * es.pairs} candidates it tried "
        f"({result.config.levels_per_generation} training levels each).",
        "Own return: the weights themselves on all training levels (ES never sees this; "
        f"the best possible is {gm.best_possible_return(result):.3f}).",
        head,
    ]
    for g in rows:
        score = f"{scores[g]:.2f}" if g < len(scores) else "—"
        weights = "".join(f"{w:>+11.2f}" for w in result.training_weights[g])
        lines.append(f"{g:>10}{score:>10}{own[g]:>12.3f}{weights}")
    return "\n".join(lines)


# --- the inner loop ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InnerPlan:
    """The inner loop on one level: one generation's planner making its first plan.

    Attributes:
        generation: Which generation's weights.
        split: ``"train"`` or ``"test"``.
        index: Level index within the split.
        level: The level (a batch of one).
        weights: The mesa-objective weights, ordered as ``FEATURE_NAMES``.
        utility: ``(size, size)`` what reaching each cell is worth to the planner at
            its first step: the weights of the features it knows about on that cell.
        cheese_seen: Whether the cheese is in view from the start (else it is not in
            the first plan).
        values: The value map after sweep 0, 1, ..., until value iteration converges.
        route: ``(k, 2)`` cells the planner then walks (it re-plans every step).
        outcome: What it did, in words.
    """

    generation: int
    split: str
    index: int
    level: LevelBatch
    weights: np.ndarray
    utility: np.ndarray
    cheese_seen: bool
    values: tuple[np.ndarray, ...]
    route: np.ndarray
    outcome: str

    @property
    def sweeps(self) -> int:
        """Number of sweeps that changed the value map (value iteration's run time)."""
        return len(self.values) - 1

    def changed(self, sweep: int) -> np.ndarray:
        """Cells whose value this sweep set or raised (sweep 0: the cells worth reaching)."""
        sweep = _check_int("sweep", sweep, 0, self.sweeps)
        if sweep == 0:
            return self.values[0] > 0
        return self.values[sweep] > self.values[sweep - 1]

    def targets(self) -> np.ndarray:
        """``(k, 2)`` cells with positive utility: where value iteration starts from."""
        return np.argwhere(self.utility > 0)

    def target_names(self) -> list[str]:
        """Features with a positive weight that count in this plan, on cells worth reaching."""
        names = []
        for k, cell in enumerate(feature_cells(self.level)[0]):
            counted = k != CHEESE or self.cheese_seen
            if counted and self.weights[k] > 0 and self.utility[cell[0], cell[1]] > 0:
                names.append(FEATURE_NAMES[k])
        return names

    @property
    def cheese_utility(self) -> float:
        """What reaching the cheese's cell is worth in this plan (0 while it is not in view)."""
        row, col = self.level.cheese[0]
        return float(self.utility[row, col]) if self.cheese_seen else 0.0

    def cheese_phrase(self) -> str:
        """``"cheese in view, worth +0.01"`` or ``"cheese not in view"``."""
        if not self.cheese_seen:
            return "cheese not in view"
        return f"cheese in view, worth {self.cheese_utility:+.2f}"

    def farthest_distance(self) -> int | None:
        """The longest shortest path from the one target to any cell that can reach it.

        Returns:
            The distance in steps; None when there is no target or several.
        """
        targets = self.targets()
        if len(targets) != 1:
            return None
        dist = distance_maps(self.level.walls, targets)[0]
        return int(dist[dist < UNREACHABLE].max())


def _prior_phrase(config: gm.Config) -> str:
    if not config.has_bias:
        return ""
    return f", minus {config.simplicity_bias:g} × the size of the cheese weight"


def first_plan_utility(
    weights: np.ndarray, level: LevelBatch, cheese_radius: int | None
) -> tuple[np.ndarray, bool]:
    """What each cell is worth to a planner at its first step on a one-level batch.

    The planner's own :func:`~mesatoys.agents.planner.utility_map`: the four corners
    are always known, the cheese only when in view from the start.

    Returns:
        The ``(size, size)`` utility and whether the cheese is in it.
    """
    seen = bool(cheese_in_view(level.start[0], level.cheese[0], cheese_radius))
    utility = utility_map(weights, feature_cells(level)[0], level.size, cheese_seen=seen)
    return utility, seen


def inner_plan(
    result: gm.Result, generation: int, split: str = "train", index: int = 0
) -> InnerPlan:
    """Run the inner loop of one generation's planner on one level, keeping every sweep.

    Args:
        result: A run of :func:`gm.run`.
        generation: ``0`` (before training) to :func:`n_generations` (after it).
        split: ``"train"`` or ``"test"``.
        index: Level index within the split.

    Returns:
        The plan, its value map per sweep and the route the planner then walks.

    Raises:
        ValueError: Naming the argument that is out of range.
    """
    generation = _check_int("generation", generation, 0, n_generations(result))
    split = check_choice("split", split, SPLITS)
    levels = _levels(result, split)
    index = _check_int("index", index, 0, len(levels) - 1, f" for the {split} split")
    level = levels[index]
    weights = result.training_weights[generation]
    utility, seen = first_plan_utility(weights, level, result.config.cheese_radius)
    values = value_iteration_trace(level.walls[0], utility, result.config.gamma)
    episodes = gm.play_levels(result.config, weights, level, record=True)
    return InnerPlan(
        generation=generation,
        split=split,
        index=index,
        level=level,
        weights=weights,
        utility=utility,
        cheese_seen=seen,
        values=tuple(values),
        route=trim_path(episodes.paths[0]),
        outcome=outcome_text(episodes, level),
    )


def value_scale(result: gm.Result) -> float:
    """Top of the value colour scale: the largest weight any generation reached (at least 1)."""
    return max(1.0, float(np.max(result.training_weights)))


def values_ascii(plan: InnerPlan, sweep: int, vmax: float = 1.0) -> str:
    """A text picture of the value map after one sweep (a fallback for figures).

    ``#`` wall, ``.`` no value yet, ``1``-``9`` value in ninths of ``vmax``, ``S``
    start, ``C`` cheese, ``T`` top-right corner.
    """
    sweep = _check_int("sweep", sweep, 0, plan.sweeps)
    value = plan.values[sweep]
    walls = plan.level.walls[0]
    digits = np.clip(np.ceil(9 * value / vmax), 1, 9).astype(int).astype(str)
    grid = np.where(walls, "#", np.where(value > 0, digits, "."))
    size = grid.shape[0]
    grid[1, size - 2] = "T"
    grid[tuple(plan.level.start[0])] = "S"
    grid[tuple(plan.level.cheese[0])] = "C"
    return "\n".join(" ".join(row) for row in grid)


# --- drawing ----------------------------------------------------------------------------------


class ValuePanel:
    """One maze axes showing a value map; its artists are made once and updated in place.

    Args:
        ax: Axes to draw on.
        size: Side of the maze.
        vmax: Value at the top of the colour scale.
        scale: Size of markers and lines relative to a maze about 4 inches wide.
        mark_changed: Dot the cells whose value the shown sweep changed.
    """

    def __init__(
        self, ax: Axes, size: int, vmax: float, scale: float = 1.0, mark_changed: bool = True
    ):
        self.ax, self.size, self.mark_changed = ax, size, mark_changed
        self.norm = Normalize(0.0, vmax)
        self.cmap = colormaps[VALUE_CMAP]
        self.image = ax.imshow(np.ones((size, size, 4)), interpolation="nearest")
        self.corner = Rectangle(
            (size - 2 - 0.45, 1 - 0.45), 0.9, 0.9, facecolor="none",
            edgecolor=color("corner"), linewidth=2.5 * scale, zorder=3,
        )  # fmt: skip
        ax.add_patch(self.corner)
        (self.route,) = ax.plot([], [], "-", color=color("path"), lw=2.5 * scale, zorder=4)
        self.changed = ax.scatter(
            [], [], s=14 * scale**2, c="white", edgecolors="black", linewidths=0.7, zorder=5
        )
        (self.cheese,) = ax.plot([], [], "o", ms=11 * scale, zorder=6)
        (self.start,) = ax.plot(
            [], [], "o", ms=9 * scale, mfc=color("start"), mec="black", mew=0.8, zorder=6
        )
        self.labels = [
            ax.text(c, r + (-1 if r == 1 else 1), "", ha="center", va="center",
                    fontsize=7 if scale >= 1 else 6, color="white", zorder=6, clip_on=False)
            for r, c in corner_cells(size)
        ]  # fmt: skip
        self._edge = 2.2 * scale
        ax.set_xlim(-0.5, size - 0.5)
        ax.set_ylim(size - 0.5, -0.5)
        ax.set_xticks([])
        ax.set_yticks([])

    def rgba(self, plan: InnerPlan, sweep: int) -> np.ndarray:
        """Walls dark, cells without value yet white, the rest coloured by value."""
        value = plan.values[sweep]
        image = self.cmap(self.norm(value))
        image[value <= 0] = to_rgba(color("floor"))
        image[plan.level.walls[0]] = to_rgba(color("wall"))
        return image

    def show(self, plan: InnerPlan, sweep: int, title: str | None = None) -> None:
        """Draw ``plan`` after ``sweep`` sweeps; the route appears once the plan is complete."""
        self.image.set_data(self.rgba(plan, sweep))
        done = sweep == plan.sweeps
        route = plan.route if done else np.empty((0, 2))
        self.route.set_data(route[:, 1], route[:, 0])
        marked = self.mark_changed and sweep > 0
        changed = np.argwhere(plan.changed(sweep)) if marked else np.empty((0, 2))
        self.changed.set_offsets(changed[:, ::-1])
        cheese = plan.level.cheese[0]
        self.cheese.set_data([cheese[1]], [cheese[0]])
        if plan.cheese_seen:  # a filled marker: the planner sees the cheese
            self.cheese.set(mfc=color("cheese"), mec="black", mew=1.0)
        else:  # a ring: the planner does not know about this cheese yet
            self.cheese.set(mfc="none", mec=color("cheese"), mew=self._edge)
        start = plan.level.start[0]
        self.start.set_data([start[1]], [start[0]])
        for label, weight in zip(self.labels, plan.weights[1:], strict=True):
            label.set_text(f"{weight:+.2f}")
        if title is not None:
            self.ax.set_title(title, fontsize=10)


def value_legend_handles(cheese_seen: bool | None = None) -> list:
    """Legend entries for a value panel (``cheese_seen=None``: both cheese markers)."""
    handles = [
        Rectangle((0, 0), 1, 1, facecolor="none", edgecolor=color("corner"), lw=2,
                  label="top-right corner"),
        Line2D([], [], ls="", marker="o", ms=9, mfc=color("start"), mec="black", label="start"),
    ]  # fmt: skip
    if cheese_seen in (None, True):
        handles.append(
            Line2D([], [], ls="", marker="o", ms=9, mfc=color("cheese"), mec="black",
                   label="cheese (in view)")
        )  # fmt: skip
    if cheese_seen in (None, False):
        handles.append(
            Line2D([], [], ls="", marker="o", ms=9, mfc="none", mec=color("cheese"), mew=2,
                   label="cheese (not in view: not in the plan)")
        )  # fmt: skip
    handles += [
        Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec="black",
               label="value changed in this sweep"),
        Line2D([], [], color=color("path"), lw=2.5, label="route walked (re-plans each step)"),
    ]  # fmt: skip
    return handles


def _colorbar(fig: Figure, ax: Axes | Sequence[Axes], vmax: float) -> None:
    mappable = ScalarMappable(Normalize(0.0, vmax), colormaps[VALUE_CMAP])
    bar = fig.colorbar(mappable, ax=ax, shrink=0.8, pad=0.02)
    bar.set_label("value of the cell to the planner\n(weight × 0.95 per step away)", fontsize=8)
    bar.ax.tick_params(labelsize=8)


def _inner_title(plan: InnerPlan, sweep: int) -> str:
    where = f"{SPLITS[plan.split]} {plan.index}"
    if sweep == plan.sweeps:
        state = f"converged after {plan.sweeps} sweep{'s' * (plan.sweeps != 1)}"
        return (
            f"Inner loop: generation {plan.generation}'s planner, {where}\n{state}: {plan.outcome}"
        )
    return (
        f"Inner loop: generation {plan.generation}'s planner, {where}\n"
        f"value iteration, sweep {sweep} of {plan.sweeps}"
    )


class TwoLoopCanvas:
    """The two-loop figure: outer loop on the left, one inner loop on the right.

    The outer-loop curves are drawn once; :meth:`show` moves the generation marker
    and redraws the value map, which is all a slider needs.

    Args:
        result: A run of :func:`gm.run`.
    """

    def __init__(self, result: gm.Result):
        self.result = result
        self.scores, self.own = es_scores(result), gm.generation_returns(result)
        self.best = gm.best_possible_return(result)
        self.vmax = value_scale(result)
        self.figure = Figure(figsize=(12.0, 5.6), layout="constrained")
        grid = self.figure.add_gridspec(2, 2, width_ratios=(1.2, 1.0))
        self.score_ax = self.figure.add_subplot(grid[0, 0])
        self.weight_ax = self.figure.add_subplot(grid[1, 0], sharex=self.score_ax)
        self.maze_ax = self.figure.add_subplot(grid[:, 1])
        self._draw_outer()
        self.panel = ValuePanel(self.maze_ax, result.train_levels.size, self.vmax)
        _colorbar(self.figure, self.maze_ax, self.vmax)
        self.figure.legend(
            handles=value_legend_handles(), loc="outside lower center", ncol=6, fontsize=8,
            frameon=False, title="Inner loop:", title_fontsize=8, alignment="left",
        )  # fmt: skip

    def _draw_outer(self) -> None:
        ax, es = self.score_ax, self.result.config.es
        gens = np.arange(len(self.own))
        ax.axhline(self.best, color="#777777", ls=":", lw=1.5, label="best possible")
        ax.plot(
            np.arange(len(self.scores)), self.scores, "-o", ms=3, color="black", lw=1.5,
            label=f"ES score: mean of its {2 * es.pairs} noisy candidates (all it sees)",
        )  # fmt: skip
        ax.plot(
            gens, self.own, "--", color=OKABE_ITO["bluish_green"], lw=2,
            label="the weights themselves, all training levels",
        )  # fmt: skip
        ax.set_ylim(-0.03, 1.0)
        ax.set_ylabel("mean base return\n(training levels)")
        ax.set_title("Outer loop: evolution strategies, scored by the base objective", fontsize=10)
        ax.legend(fontsize=7.5, loc="lower right", **_OPAQUE_LEGEND)
        ax.tick_params(labelbottom=False)
        wax = self.weight_ax
        weights = self.result.training_weights
        for k, (name, marker) in enumerate(zip(FEATURE_NAMES, "oDs^v", strict=True)):
            style = "-" if name in ("cheese", "top_right") else ":"
            wax.plot(
                gens, weights[:, k], style, marker=marker, ms=3, markevery=5,
                color=FEATURE_COLORS[name], lw=2, label=FEATURE_LABELS[name],
            )  # fmt: skip
        wax.axhline(0.0, color="black", lw=0.8)
        wax.set_xlabel("generation (one outer-loop update each)")
        wax.set_ylabel("mesa-objective weight")
        wax.set_title("…and what it changes: the planner's five weights", fontsize=10)
        wax.legend(fontsize=7.5, ncol=2, loc="center right", **_OPAQUE_LEGEND)
        wax.set_xlim(-0.8, len(gens) - 0.2)  # room for the marker at both ends
        self.markers = [a.axvline(0, color=color("path"), lw=2, alpha=0.8) for a in (ax, wax)]

    def show(self, plan: InnerPlan, sweep: int, title: str | None = None) -> None:
        """Mark ``plan``'s generation on the outer loop and draw its value map after ``sweep``."""
        for line in self.markers:
            line.set_xdata([plan.generation, plan.generation])
        self.panel.show(plan, sweep, _inner_title(plan, sweep))
        self.figure.suptitle(title or _state_title(self, plan, sweep), fontsize=11)

    def moving_artists(self) -> list:
        """The artists :meth:`show` changes, in drawing order; the rest stays as first drawn."""
        panel = self.panel
        return [
            *self.markers, panel.image, *self.maze_ax.spines.values(), panel.corner,
            panel.route, panel.changed, panel.cheese, panel.start, *panel.labels,
            self.maze_ax.title, self.figure._suptitle,
        ]  # fmt: skip

    def pinned_artists(self) -> list:
        """Static artists that stay in front of the moving ones: the outer-loop legends."""
        return [self.score_ax.get_legend(), self.weight_ax.get_legend()]


def _state_title(canvas: TwoLoopCanvas, plan: InnerPlan, sweep: int) -> str:
    g = plan.generation
    score = (
        f"ES score {canvas.scores[g]:.2f}"
        if g < len(canvas.scores)
        else "final weights (not scored again)"
    )
    return (
        f"Generation {g}: {score}; own return {canvas.own[g]:.2f} (best possible {canvas.best:.2f})"
    )


def plan_words(plan: InnerPlan, sweep: int) -> str:
    """One value map of the inner loop in words.

    The level, how far the value has spread after ``sweep``, and (once the plan is
    complete) what the planner then did.
    """
    level, value = plan.level, plan.values[sweep]
    walls = level.walls[0]
    done = sweep == plan.sweeps
    where = level_words(walls, level.start[0], level.cheese[0], plan.route if done else None,
                        plan.outcome if done else None)  # fmt: skip
    valued = int((value > 0).sum())
    state = (
        f"converged after {plan.sweeps} sweep{'s' * (plan.sweeps != 1)}"
        if done
        else f"after sweep {sweep} of {plan.sweeps}"
    )
    top = f", up to {value.max():.2f}" if valued else ""
    return (
        f"{SPLITS[plan.split]} {plan.index} ({level.size} x {level.size} maze, "
        f"{plan.cheese_phrase()}), {state}: {valued} of {int((~walls).sum())} open cells have "
        f"a value{top}; {where}"
    )


def _canvas_alt(canvas: TwoLoopCanvas, plan: InnerPlan, sweep: int, title: str) -> str:
    """What the two-loop figure shows, with its numbers."""
    scores, own, g = canvas.scores, canvas.own, plan.generation
    weights = dict(zip(FEATURE_NAMES, plan.weights, strict=True))
    return (
        f"Left, the outer loop over {len(own) - 1} generations of evolution strategies: its "
        f"score goes from {scores[0]:.2f} to {scores[-1]:.2f} and the weights' own return on "
        f"all training levels from {own[0]:.2f} to {own[-1]:.2f} (best possible "
        f"{canvas.best:.2f}); marked at generation {g}, whose weights are "
        f"{weights_words(weights)}. Right, the inner loop: generation {g}'s value map on "
        f"{plan_words(plan, sweep)}. {title.rstrip('.')}."
    )


def _outer_data(canvas: TwoLoopCanvas) -> DataTable:
    """The outer loop's record, every 1st, 2nd, 5th... generation."""
    scores, own, weights = canvas.scores, canvas.own, canvas.result.training_weights
    return DataTable(
        ("generation", "ES score", "own return",
         *(f"{FEATURE_LABELS[n]} weight" for n in FEATURE_NAMES)),
        tuple(
            (g, float(scores[g]) if g < len(scores) else "not scored", float(own[g]),
             *(float(w) for w in weights[g]))
            for g in spread(len(own))
        ),
    )  # fmt: skip


def two_loops_figure(
    result: gm.Result,
    generation: int | None = None,
    split: str = "train",
    index: int = 0,
    sweep: int | None = None,
) -> Figure:
    """Both loops in one figure: the outer loop's record and one generation's inner loop.

    Args:
        result: A run of :func:`gm.run`.
        generation: Whose weights plan on the right (default: the last generation).
        split: ``"train"`` or ``"test"``.
        index: Level index within the split.
        sweep: Value-iteration sweep to show (default: the converged plan).

    Returns:
        The figure; its title states when the weights reached the best possible
        training return and how many sweeps the inner loop needed.
    """
    generation = n_generations(result) if generation is None else generation
    plan = inner_plan(result, generation, split, index)
    sweep = plan.sweeps if sweep is None else _check_int("sweep", sweep, 0, plan.sweeps)
    canvas = TwoLoopCanvas(result)
    first_best = (
        int(np.flatnonzero(canvas.own >= canvas.best - 1e-9)[0])
        if (canvas.own.max() >= canvas.best - 1e-9)
        else None
    )
    outer = (
        f"the weights earn the best possible training return from generation {first_best}"
        if first_best is not None
        else f"the weights end at {canvas.own[-1]:.2f} of a possible {canvas.best:.2f}"
    )
    inner = f"generation {plan.generation}'s planner converges in {plan.sweeps} sweeps here"
    title = f"Outer loop: {outer}. Inner loop: {inner}."
    canvas.show(plan, sweep, title=title)
    return describe(
        canvas.figure, alt=_canvas_alt(canvas, plan, sweep, title), data=_outer_data(canvas)
    )


def sweep_strip_figure(
    result: gm.Result,
    generation: int | None = None,
    split: str = "train",
    index: int = 0,
    sweeps: Sequence[int] | None = None,
) -> Figure:
    """The inner loop as a strip of value maps, one per chosen sweep.

    Args:
        result: A run of :func:`gm.run`.
        generation: Whose weights (default: the last generation).
        split: ``"train"`` or ``"test"``.
        index: Level index within the split.
        sweeps: Which sweeps to show (default: six from 0 to convergence).

    Returns:
        The figure; its title gives the number of sweeps and, with one target, the
        longest shortest path from it.
    """
    generation = n_generations(result) if generation is None else generation
    plan = inner_plan(result, generation, split, index)
    k = plan.sweeps
    if sweeps is None:
        sweeps = sorted({0, 1, min(3, k), k // 3, (2 * k) // 3, k})
    shown = [_check_int("sweeps[]", s, 0, k) for s in sweeps]
    if not shown:
        raise ValueError("sweeps must name at least one sweep")
    vmax = value_scale(result)
    # At most three panels a row: the figure then fits the notebook column at full size.
    cols = min(len(shown), STRIP_COLUMNS)
    rows = -(-len(shown) // cols)
    fig = Figure(figsize=(2.05 * cols + 1.2, 2.6 * rows + 0.9), layout="constrained")
    grid = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in grid[len(shown) :]:
        ax.set_visible(False)
    axes = grid[: len(shown)]
    for ax, s in zip(axes, shown, strict=True):
        ValuePanel(ax, plan.level.size, vmax, scale=0.55).show(plan, s)
        ax.set_title(f"sweep {s}" + (" (converged)" if s == k else ""), fontsize=9)
    _colorbar(fig, list(axes), vmax)
    handles = [Patch(facecolor=color("floor"), edgecolor="#777777", label="no value yet")]
    handles += value_legend_handles(plan.cheese_seen)
    fig.legend(
        handles=handles, loc="outside lower center", ncol=min(len(handles), 3), fontsize=8,
        frameon=False,
    )  # fmt: skip
    far, where = plan.farthest_distance(), f"{SPLITS[split]} {index}"
    if far is None:
        finding = f"on {where} the plan converges after {k} sweeps"
    else:
        names = " and ".join(FEATURE_LABELS[n] for n in plan.target_names())
        finding = (
            f"on {where} the farthest cell is {far} steps from the only target (the {names}), "
            f"and the plan converges after {k} sweeps"
        )
    title = f"Value iteration reaches one step further per sweep: {finding}"
    fig.suptitle(textwrap.fill(title, width=16 * cols + 12), fontsize=10)  # within the figure
    walls = plan.level.walls[0]
    counts = ", ".join(f"{int((plan.values[s] > 0).sum())} after sweep {s}" for s in shown)
    alt = (
        f"{len(shown)} value maps of generation {generation}'s planner on {where} "
        f"({plan.level.size} x {plan.level.size} maze, {plan.cheese_phrase()}): "
        f"{level_words(walls, plan.level.start[0], plan.level.cheese[0])}. Of its "
        f"{int((~walls).sum())} open cells, {counts} have a value. {title}."
    )
    return describe(fig, alt=alt)


def first_plans_figure(
    result: gm.Result,
    generation: int | None = None,
    train_index: int = 0,
    test_index: int = 0,
) -> Figure:
    """One generation's converged first plan on a training level and on a test level.

    Args:
        result: A run of :func:`gm.run`.
        generation: Whose weights (default: the last generation).
        train_index: Which training level.
        test_index: Which test level.

    Returns:
        The figure; each panel's title says what the planner then did.
    """
    generation = n_generations(result) if generation is None else generation
    plans = [
        inner_plan(result, generation, "train", train_index),
        inner_plan(result, generation, "test", test_index),
    ]
    vmax = value_scale(result)
    fig = Figure(figsize=(9.6, 5.3), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, plan in zip(axes, plans, strict=True):
        ValuePanel(ax, plan.level.size, vmax, mark_changed=False).show(
            plan,
            plan.sweeps,
            f"{SPLITS[plan.split].capitalize()} {plan.index} ({plan.cheese_phrase()}):\n"
            f"{plan.outcome}",
        )
    _colorbar(fig, list(axes), vmax)
    seen = {plan.cheese_seen for plan in plans}
    handles = [
        h
        for h in value_legend_handles(seen.pop() if len(seen) == 1 else None)
        if "changed" not in h.get_label()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    title = (
        f"Generation {generation}'s planner, first plan: the value spreads from what its "
        "weights value, wherever the cheese is"
    )
    fig.suptitle(title, fontsize=10)
    weights = dict(zip(FEATURE_NAMES, plans[0].weights, strict=True))
    alt = (
        f"Two value maps of generation {generation}'s first plan (weights "
        f"{weights_words(weights)}). Left, {plan_words(plans[0], plans[0].sweeps)}. Right, "
        f"{plan_words(plans[1], plans[1].sweeps)}. {title}."
    )
    return describe(fig, alt=alt)


# --- the stepper ------------------------------------------------------------------------------


class TwoLoopStepper(SyncsControls, ShowsWidget):
    """Step both loops: a generation slider (outer loop) and a sweep slider (inner loop).

    Inner plans are computed on first visit and cached (at most ``cache_size``); the
    figure is :class:`TwoLoopCanvas`, updated in place and shown as a PNG.

    Args:
        result: A run of :func:`gm.run` (trained once, outside the stepper).
        generation: Generation to start on (default: the last).
        split: ``"train"`` or ``"test"`` to start on.
        index: Level to start on.
        cache_size: How many inner plans to keep.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The matplotlib figure.
        picture: The figure as shown: its PNG bytes and their text alternative.
        redraws: How many times the view has been redrawn.
    """

    def __init__(
        self,
        result: gm.Result,
        generation: int | None = None,
        split: str = "train",
        index: int = 0,
        cache_size: int = 256,
    ):
        if not isinstance(result, gm.Result):
            raise ValueError(f"result must be a goal_misgeneralization.Result, got {result!r}")
        self.result = result
        self.cache_size = _check_int("cache_size", cache_size, 1, 10**6)
        self._cache: OrderedDict[tuple[int, str, int], InnerPlan] = OrderedDict()
        self.canvas = TwoLoopCanvas(result)
        self.figure = self.canvas.figure
        self._renderer = BlitRenderer(
            self.figure, self.canvas.moving_artists, self.canvas.pinned_artists, dpi=72
        )
        self.generation = n_generations(result) if generation is None else generation
        self.split, self.index = check_choice("split", split, SPLITS), index
        self.sweep = self.plan.sweeps
        self.redraws = 0
        self._build_widgets()
        self._redraw()

    @property
    def plan(self) -> InnerPlan:
        """The inner plan shown now (computed on first use, then cached)."""
        return self._plan_for(self.generation, self.split, self.index)

    def _plan_for(self, generation: int, split: str, index: int) -> InnerPlan:
        key = (generation, split, index)
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            self._cache[key] = inner_plan(self.result, *key)
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return self._cache[key]

    def n_levels(self, split: str | None = None) -> int:
        """Number of levels in a split (default: the split shown)."""
        return len(_levels(self.result, self.split if split is None else split))

    def set(
        self,
        generation: int = _UNSET,
        sweep: int | None = _UNSET,
        split: str = _UNSET,
        index: int = _UNSET,
    ) -> None:
        """Change any of the choices, then redraw once.

        Args:
            generation: ``0`` to the last generation.
            sweep: ``0`` to the new plan's number of sweeps, or None for the converged
                plan. If omitted, a converged view stays converged and any other is
                kept (capped at the new plan's number of sweeps).
            split: ``"train"`` or ``"test"``.
            index: Level in ``[0, n_levels(split))``. If omitted while the split
                changes, kept when it exists in the new split, else 0.

        Raises:
            ValueError: Naming the argument and what is allowed; nothing changes.
        """
        new_split = self.split if split is _UNSET else check_choice("split", split, SPLITS)
        if index is _UNSET:
            index = self.index if self.index < self.n_levels(new_split) else 0
        new_index = _check_int(
            "index", index, 0, self.n_levels(new_split) - 1, f" for the {new_split} split"
        )
        last = n_generations(self.result)
        new_gen = (
            self.generation
            if generation is _UNSET
            else _check_int("generation", generation, 0, last)
        )
        converged = self.sweep == self.plan.sweeps
        plan = self._plan_for(new_gen, new_split, new_index)
        if sweep is _UNSET:
            new_sweep = plan.sweeps if converged else min(self.sweep, plan.sweeps)
        elif sweep is None:
            new_sweep = plan.sweeps
        else:
            new_sweep = _check_int("sweep", sweep, 0, plan.sweeps, " for this plan")
        self.generation, self.split, self.index = new_gen, new_split, new_index
        self.sweep = new_sweep
        self._sync_widgets()
        self._redraw()

    # --- widgets -------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        import ipywidgets as w

        style = {"description_width": "initial"}
        self._controls = {
            "generation": w.IntSlider(
                min=0, max=n_generations(self.result), description="generation",
                tooltip="outer loop: the evolution-strategies generation",
                continuous_update=False, **slider_look(),
            ),
            "sweep": w.IntSlider(
                min=0, description="sweep", tooltip="inner loop: the value-iteration sweep",
                continuous_update=False, **slider_look(),
            ),
            "split": w.ToggleButtons(
                options=[("training level", "train"), ("test level", "test")],
                description="level kind", style={**style, "button_width": "110px"},
            ),
            "index": w.IntSlider(
                min=0, description="level", continuous_update=False, **slider_look(),
            ),
        }  # fmt: skip
        self._play = w.Play(interval=350, step=1, description="play the sweeps")
        w.jslink((self._play, "value"), (self._controls["sweep"], "value"))
        self.picture = Picture(max_width="100%")
        self._caption = w.HTML("")
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        c = self._controls
        self.widget = w.VBox(
            [
                c["generation"],
                w.HBox([c["sweep"], self._play], layout=w.Layout(**ROW_WRAP)),
                w.HBox([c["split"], c["index"]], layout=w.Layout(**ROW_WRAP)),
                self.picture.widget,
                self._caption,
            ]
        )

    def _sync_widgets(self) -> None:
        """Make the controls show the current state without triggering redraws."""
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            c = self._controls
            c["sweep"].max = self._play.max = self.plan.sweeps
            c["index"].max = self.n_levels() - 1
            for name in ("generation", "sweep", "split", "index"):
                c[name].value = getattr(self, name)
            self._play.value = self.sweep

    def _on_widget(self, change: dict) -> None:
        name = self._changed_control(change)
        if name is None:
            return
        self.set(**{name: change["new"]})

    # --- drawing -------------------------------------------------------------------------------

    def _redraw(self) -> None:
        plan = self.plan
        self.canvas.show(plan, self.sweep)
        title = _state_title(self.canvas, plan, self.sweep)
        self.picture.show(
            self._renderer.render(), _canvas_alt(self.canvas, plan, self.sweep, title)
        )
        self._caption.value = html.escape(self._caption_text()).replace("\n", "<br>")
        self.redraws += 1

    def _caption_text(self) -> str:
        plan, config = self.plan, self.result.config
        g, es = plan.generation, config.es
        scores = es_scores(self.result)
        if g < len(scores):
            seen = (
                f"At generation {g} the outer loop saw {2 * es.pairs} numbers, one per "
                f"candidate (mean return on {config.levels_per_generation} training levels"
                f"{_prior_phrase(config)}); their mean was {scores[g]:.2f}. It never sees the "
                "weights' meaning, the value maps or the test levels."
            )
        else:
            seen = f"Generation {g} holds the final weights, after the last update."
        return (
            f"{seen}\nOn {SPLITS[plan.split]} {plan.index}: {plan.cheese_phrase()}. "
            f"Value iteration converges after {plan.sweeps} sweeps; then the planner "
            f"{plan.outcome}."
        )

    def text_summary(self) -> str:
        """Plain-text description of the current view (a fallback for widget-less readers)."""
        plan = self.plan
        weights = ", ".join(
            f"{FEATURE_LABELS[n]} {w:+.2f}"
            for n, w in zip(FEATURE_NAMES, plan.weights, strict=True)
        )
        return "\n".join(
            [
                f"Two-loop stepper: generation {plan.generation} of "
                f"{n_generations(self.result)}, {SPLITS[plan.split]} {plan.index} "
                f"(of 0-{self.n_levels() - 1}), sweep {self.sweep} of {plan.sweeps}.",
                f"Mesa-objective at this generation: {weights}.",
                self._caption_text(),
                "",
                values_ascii(plan, self.sweep, self.canvas.vmax),
                "Key: # wall, . no value yet, 1-9 value (9 highest), S start, C cheese, "
                "T top-right corner.",
            ]
        )


__all__ = [
    "InnerPlan",
    "TwoLoopCanvas",
    "TwoLoopStepper",
    "ValuePanel",
    "es_scores",
    "first_plan_utility",
    "first_plans_figure",
    "history_table",
    "inner_plan",
    "n_generations",
    "plan_words",
    "sweep_strip_figure",
    "two_loops_figure",
    "value_scale",
    "values_ascii",
]
