"""Matplotlib figures of the cheese maze and of the goal-misgeneralization experiment.

Every function draws on plain :class:`matplotlib.figure.Figure` objects, never on
pyplot's global figure list, and returns the figure. In a notebook (after
``%matplotlib inline``) a returned figure is shown exactly once, and nothing piles up
in memory between cells.

Coordinates follow :mod:`mesatoys.envs.maze`: ``(row, column)`` with row 0 at the top;
on the axes, x is the column and y the row.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> res = gm.run(gm.Config(alpha=0.0, n_test_levels=50), seed=0)
    >>> fig = train_vs_test_figure(res)
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from mesatoys.agents.rollout import Episodes
from mesatoys.display import DataTable, describe, render_png
from mesatoys.envs.features import FEATURE_NAMES, cheese_in_view
from mesatoys.envs.maze import UNREACHABLE, LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments.shape import by_setting
from mesatoys.viz.axes import cell_words, frame_grid
from mesatoys.viz.palette import FEATURE_COLORS, color

FEATURE_LABELS = {
    "cheese": "cheese",
    "top_right": "top-right corner",
    "top_left": "top-left corner",
    "bottom_left": "bottom-left corner",
    "bottom_right": "bottom-right corner",
}
_MAZE_CMAP = ListedColormap([color("floor"), color("wall"), color("view")])
SPLIT_NAMES = {"train": "Training level", "test": "Test level"}


# --- what happened, in words -------------------------------------------------------------------


def trim_path(path: np.ndarray) -> np.ndarray:
    """Drop the repeated cells at the end of a recorded path (the agent stood still).

    Args:
        path: ``(T + 1, 2)`` visited cells.

    Returns:
        ``(k, 2)``: the path up to and including the first visit of its final cell
        in the trailing run.
    """
    path = np.asarray(path)
    moved = np.flatnonzero((path[1:] != path[:-1]).any(axis=1))
    return path[: (moved[-1] + 2 if len(moved) else 1)]


def outcome_text(episodes: Episodes, levels: LevelBatch, index: int = 0) -> str:
    """One phrase saying what the agent did in one episode.

    Args:
        episodes: Episodes played on ``levels`` (one per level).
        levels: The levels.
        index: Which episode.

    Returns:
        For example ``"went to the corner, missed the cheese"``.
    """
    cheese_in_corner = bool((levels.cheese[index] == levels.corner).all())
    got, proxy = bool(episodes.reached_cheese[index]), bool(episodes.proxy[index])
    if got and cheese_in_corner:
        return "reached the cheese (in the corner)"
    if got:
        return "reached the cheese"
    if proxy:
        return "went to the corner, missed the cheese"
    if int(episodes.steps[index]) == 0:
        return "stayed put, missed the cheese"
    return "missed the cheese"


def _feature_label(name: str) -> str:
    return FEATURE_LABELS.get(name, name)


def level_words(
    walls: np.ndarray,
    start: Sequence[int],
    cheese: Sequence[int],
    path: np.ndarray | None = None,
    outcome: str | None = None,
) -> str:
    """One maze and what the agent did on it, in words (the text of a maze picture).

    Args:
        walls: ``(size, size)`` walls.
        start: The start cell.
        cheese: The cheese's cell.
        path: The cells the agent visited, or None.
        outcome: What it did (e.g. from :func:`outcome_text`); None leaves it out.

    Returns:
        For example ``"start at row 11, column 1 (bottom left), cheese at row 5, column 3
        (middle left), top-right corner at row 1, column 11 (top right); the cheese is 12
        moves away along the open cells; the agent went to the corner, missed the cheese,
        stopping at row 1, column 11 (top right) after 16 moves"``.
    """
    walls = np.asarray(walls, dtype=bool)
    start, cheese = np.asarray(start), np.asarray(cheese)
    size = walls.shape[0]
    corner = np.array([1, size - 2])
    away = int(distance_maps(walls[None], cheese[None])[0][tuple(start)])
    route = f"{away} moves away" if away != UNREACHABLE else "with no route to it"
    where = cell_words(cheese, size)
    text = (
        f"start at {cell_words(start, size)}, "
        + (
            f"cheese on the top-right corner at {where}"
            if (cheese == corner).all()
            else f"cheese at {where}, top-right corner at {cell_words(corner, size)}"
        )
        + f"; the cheese is {route} along the open cells"
    )
    if path is not None:
        walked = trim_path(path)
        moves = len(walked) - 1
        did = f"the agent {outcome}" if outcome else "the agent"
        text += (
            f"; {did}, stopping at {cell_words(walked[-1], size)} after "
            f"{moves} move{'s' if moves != 1 else ''}"
        )
    return text


def weights_words(mesa_objective: Mapping[str, float]) -> str:
    """``"cheese +0.12, top-right corner +1.05, ..."``: the weights as a figure labels them."""
    return ", ".join(f"{_feature_label(n)} {float(v):+.2f}" for n, v in mesa_objective.items())


# --- one maze ----------------------------------------------------------------------------------


def draw_maze(
    ax: Axes,
    walls: np.ndarray,
    start: Sequence[int],
    cheese: Sequence[int],
    path: np.ndarray | None = None,
    cheese_radius: int | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw one maze with its corner, cheese, the cheese's view area and the agent's path.

    Args:
        ax: Axes to draw on (cleared first).
        walls: ``(size, size)`` boolean walls.
        start: The agent's starting cell ``(row, col)``.
        cheese: The cheese's cell.
        path: ``(T + 1, 2)`` cells the agent visited, or None for no path.
        cheese_radius: Shade the cells from which the cheese is visible (Chebyshev
            radius); None draws no shading (cheese always visible).
        title: Axes title.
        legend: Add a legend below the maze.

    Returns:
        ``ax``.
    """
    walls = np.asarray(walls, dtype=bool)
    start, cheese = np.asarray(start), np.asarray(cheese)
    if walls.ndim != 2 or walls.shape[0] != walls.shape[1]:
        raise ValueError(f"walls must be a square 2-D array, got shape {walls.shape}")
    size = walls.shape[0]
    _remove_drawings(ax)
    ax.imshow(_cell_kinds(walls, cheese, cheese_radius), cmap=_MAZE_CMAP, vmin=0, vmax=2)
    if cheese_radius is not None:
        ax.fill([], [], color=color("view"), label="cheese visible from here")
    ax.add_patch(
        Rectangle(
            (size - 2 - 0.45, 1 - 0.45),
            0.9,
            0.9,
            facecolor="none",
            edgecolor=color("corner"),
            linewidth=2.5,
            label="top-right corner",
        )
    )
    route = None if path is None else trim_path(path)
    if route is not None:
        ax.plot(*route[:, ::-1].T, "-", color=color("path"), lw=2.5, label="agent's path")
    ax.plot(*cheese[::-1], "o", ms=13, mfc=color("cheese"), mec="black", mew=1.0, label="cheese")
    ax.plot(*start[::-1], "o", ms=9, mfc=color("start"), mec="black", mew=0.8, label="start")
    if route is not None:
        ax.plot(
            *route[-1, ::-1], "X", ms=9, mfc=color("path"), mec="black", mew=0.8,
            label="where it stopped",
        )  # fmt: skip
    frame_grid(ax, size, size, title)
    if legend:
        ax.legend(**_legend_kwargs(ncol=3))
    return ax


def _remove_drawings(ax: Axes) -> None:
    """Remove what an earlier :func:`draw_maze` drew, keeping the axes themselves.

    Cheaper than ``ax.clear()``, which rebuilds the axis and its ticks on every redraw.
    """
    for artist in [*ax.images, *ax.lines, *ax.patches, *ax.collections, *ax.texts]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()


def _legend_kwargs(ncol: int) -> dict:
    return {
        "loc": "upper center",
        "bbox_to_anchor": (0.5, -0.02),
        "ncol": ncol,
        "fontsize": 8,
        "frameon": False,
        "handlelength": 1.5,
        "columnspacing": 1.0,
    }


def _cell_kinds(walls: np.ndarray, cheese: Sequence[int], radius: int | None) -> np.ndarray:
    """0 floor, 1 wall, 2 floor from which the cheese is visible (none if ``radius`` is None)."""
    kinds = walls.astype(np.int8)
    if radius is not None:
        cells = np.stack(np.indices(walls.shape), axis=-1)
        kinds[cheese_in_view(cells, np.asarray(cheese), radius) & ~walls] = 2
    return kinds


def level_ascii(
    walls: np.ndarray, start: Sequence[int], cheese: Sequence[int], path: np.ndarray | None = None
) -> str:
    """A text picture of one maze: a fallback when figures cannot be shown.

    ``#`` wall, ``.`` floor, ``S`` start, ``C`` cheese, ``T`` top-right corner,
    ``*`` the agent's path, ``X`` where it stopped (``C`` if it stopped on the cheese).
    """
    grid = np.where(np.asarray(walls, dtype=bool), "#", ".").astype("<U1")
    size = grid.shape[0]
    if path is not None:
        route = trim_path(path)
        grid[route[:, 0], route[:, 1]] = "*"
        grid[tuple(route[-1])] = "X"
    grid[1, size - 2] = "T" if grid[1, size - 2] == "." else grid[1, size - 2]
    grid[tuple(start)] = "S"
    grid[tuple(cheese)] = "C"
    return "\n".join(" ".join(row) for row in grid)


def _played(result: gm.Result, split: str, index: int) -> tuple[LevelBatch, Episodes]:
    """One level of a result and the learned agent's recorded episode on it."""
    levels = result.train_levels if split == "train" else result.test_levels
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"{split}_index must be an integer, got {index!r}")
    if not 0 <= index < len(levels):
        raise ValueError(f"{split}_index must be in [0, {len(levels) - 1}], got {index}")
    level = levels[int(index)]
    return level, gm.play_levels(result.config, result.weights, level, record=True)


# --- figures of a result -----------------------------------------------------------------------


def train_vs_test_figure(result: gm.Result, train_index: int = 0, test_index: int = 0) -> Figure:
    """A training level and a test level side by side, with the learned agent's path.

    Args:
        result: A run of :func:`mesatoys.experiments.goal_misgeneralization.run`.
        train_index: Which training level.
        test_index: Which test level.

    Returns:
        The figure; each panel's title says what the agent did.
    """
    fig = Figure(figsize=(9.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    said = []
    for ax, split, index in zip(axes, ("train", "test"), (train_index, test_index), strict=True):
        level, episodes = _played(result, split, index)
        outcome = outcome_text(episodes, level)
        words = level_words(level.walls[0], level.start[0], level.cheese[0], episodes.paths[0],
                            outcome)  # fmt: skip
        said.append(f"{SPLIT_NAMES[split]} {index} ({level.size} x {level.size}): {words}.")
        draw_maze(
            ax,
            level.walls[0],
            level.start[0],
            level.cheese[0],
            episodes.paths[0],
            cheese_radius=result.config.cheese_radius,
            title=f"{SPLIT_NAMES[split]} {index}:\n{outcome}",
            legend=False,
        )
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    title = f"The same learned agent on both kinds of level ({_run_label(result)})"
    fig.suptitle(title)
    alt = f"Two mazes with the path of {title[0].lower()}{title[1:]}. " + " ".join(said)
    return describe(fig, alt=alt)


def _run_label(result: gm.Result, with_seed: bool = True) -> str:
    config = result.config
    parts = [f"α = {config.alpha:g}"]
    if with_seed:
        parts.append(f"seed {result.seed}")
    parts.append(bias_label(config))
    radius = config.cheese_radius
    if radius is not None:
        parts.append(f"cheese seen from {radius} cell{'s' if radius != 1 else ''}")
    return ", ".join(parts)


def bias_label(config: gm.Config) -> str:
    """``'bias against the cheese'``, ``'no bias'`` or ``'bias against the corner'``."""
    if not config.has_bias:
        return "no bias"
    return f"bias against the {FEATURE_LABELS[config.biased_against].replace('top-right ', '')}"


def objective_bar_chart(
    ax: Axes | None,
    mesa_objective: Mapping[str, float],
    title: str | None = None,
    span: float = 1.0,
) -> Figure:
    """Horizontal bars of a mesa-objective's weights.

    Args:
        ax: Axes to draw on (cleared first), or None for a new figure.
        mesa_objective: ``{feature: weight}`` over :data:`FEATURE_NAMES`.
        title: Title; by default it names the largest weight.
        span: The x axis shows at least ``[-span, span]`` (wider if a weight needs it);
            a fixed span keeps several charts comparable.

    Returns:
        The figure the bars are on.
    """
    weights = _checked_objective(mesa_objective)
    if ax is None:
        ax = Figure(figsize=(5.5, 3.0), layout="constrained").subplots()
    ax.clear()
    names = list(FEATURE_NAMES)
    values = [weights[n] for n in names]
    rows = np.arange(len(names))
    ax.barh(rows, values, color=[FEATURE_COLORS[n] for n in names], edgecolor="black", lw=0.6)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(rows, [_feature_label(n) for n in names])
    ax.invert_yaxis()
    limit = max(span, 1.3 * max(abs(v) for v in values))
    ax.set_xlim(-limit, limit)
    for row, value in zip(rows, values, strict=True):
        ax.annotate(
            f"{value:+.2f}",
            (value, row),
            xytext=(4 if value >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if value >= 0 else "right",
            va="center",
            fontsize=8,
        )
    ax.set_xlabel("learned weight (utility of reaching that cell)")
    top = max(names, key=weights.get)
    ax.set_title(
        title or f"Mesa-objective: largest weight on the {_feature_label(top)}", fontsize=10
    )
    alt = (
        f"Bar chart of a mesa-objective's learned weights (what reaching each cell is worth): "
        f"{weights_words(weights)}; the largest weight is on the {_feature_label(top)}."
    )
    data = DataTable(
        ("feature", "learned weight"), tuple((_feature_label(n), weights[n]) for n in names)
    )
    return describe(ax.figure, alt=alt, data=data)


def _checked_objective(mesa_objective: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(mesa_objective, Mapping):
        raise ValueError(
            f"mesa_objective must be a mapping feature -> weight, got {mesa_objective!r}"
        )
    missing = [n for n in FEATURE_NAMES if n not in mesa_objective]
    unknown = sorted(set(mesa_objective) - set(FEATURE_NAMES))
    if missing or unknown:
        raise ValueError(
            f"mesa_objective must have exactly the features {list(FEATURE_NAMES)}; "
            f"missing {missing}, unknown {unknown}"
        )
    return {n: float(mesa_objective[n]) for n in FEATURE_NAMES}


def objective_comparison_figure(
    objectives: Mapping[str, Mapping[str, float]],
    title: str = "Learned mesa-objectives side by side",
) -> Figure:
    """Several mesa-objectives as grouped bars, one group per feature.

    Args:
        objectives: ``{label: mesa_objective}``, e.g. two runs that differ in one setting.
        title: Figure title.

    Returns:
        The figure.
    """
    if not objectives:
        raise ValueError("objectives must name at least one mesa-objective")
    checked = {label: _checked_objective(obj) for label, obj in objectives.items()}
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(checked)
    x = np.arange(len(FEATURE_NAMES))
    hatches = ("", "//", "..", "xx")
    for k, (label, weights) in enumerate(checked.items()):
        values = [weights[n] for n in FEATURE_NAMES]
        offset = (k - (len(checked) - 1) / 2) * width
        ax.bar(
            x + offset,
            values,
            width,
            color=[FEATURE_COLORS[n] for n in FEATURE_NAMES],
            edgecolor="black",
            lw=0.6,
            hatch=hatches[k % len(hatches)],
            label=label,
        )
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(x, [_feature_label(n).replace(" ", "\n", 1) for n in FEATURE_NAMES])
    ax.set_ylabel("learned weight")
    handles = [
        Patch(facecolor="white", edgecolor="black", hatch=hatches[k % len(hatches)], label=label)
        for k, label in enumerate(checked)
    ]
    ax.legend(handles=handles, fontsize=9, frameon=False)
    ax.set_title(title)
    return describe(fig, alt=_comparison_alt(checked, title), data=_comparison_data(checked))


def _comparison_alt(checked: dict[str, dict[str, float]], title: str) -> str:
    def listed(feature: str) -> str:
        return ", ".join(f"{label} {w[feature]:+.2f}" for label, w in checked.items())

    tops: dict[str, list[str]] = {}
    for label, weights in checked.items():
        tops.setdefault(max(weights, key=weights.get), []).append(label)
    largest = "; ".join(
        f"on the {_feature_label(feature)} for {', '.join(labels)}"
        for feature, labels in tops.items()
    )
    return (
        f"Grouped bar chart, {title[0].lower()}{title[1:]}: one group of bars per feature, one bar "
        f"per objective ({', '.join(checked)}). Cheese weights: {listed('cheese')}; top-right "
        f"corner weights: {listed('top_right')}. The largest weight is {largest}."
    )


def _comparison_data(checked: dict[str, dict[str, float]]) -> DataTable:
    return DataTable(
        ("feature", *checked),
        tuple((_feature_label(n), *(w[n] for w in checked.values())) for n in FEATURE_NAMES),
    )


def objectives_by_seed_figure(results: Sequence[gm.Result]) -> Figure:
    """The learned mesa-objectives of several runs (e.g. one alpha, several seeds) side by side.

    Raises:
        ValueError: If the runs differ in anything but their seed.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    if len({r.config for r in results}) != 1:
        raise ValueError("results must share one config and differ only in their seed")
    objectives = {f"seed {r.seed}": r.mesa_objective for r in results}
    title = f"Learned mesa-objectives ({_run_label(results[0], with_seed=False)})"
    return objective_comparison_figure(objectives, title=title)


# --- tables (plain text) -----------------------------------------------------------------------


def outcome_table(result: gm.Result, control: gm.Outcome | None = None) -> str:
    """A result's rates on both splits, the matched control, and its learned weights.

    Args:
        result: A run.
        control: The intended objective's rates on the same test levels (default:
            ``gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)``).

    Returns:
        A small text table.
    """
    if control is None:
        control = gm.evaluate(result.config, gm.ALIGNED_OBJECTIVE, result.test_levels)
    head = (
        f"{'':<34}{'cheese in view':>15}{'reached the cheese':>20}{'corner instead':>16}"
        f"{'reached own target':>20}"
    )
    rows = [_run_label(result), head]
    for label, outcome in (
        (f"learned goal, training levels ({result.train.n_levels})", result.train),
        (f"learned goal, test levels ({result.test.n_levels})", result.test),
        ("intended goal {cheese: 1}, same test", control),
    ):
        rows.append(
            f"{label:<34}{pct(outcome.cheese_in_view_rate):>15}{pct(outcome.true_goal_rate):>20}"
            f"{pct(outcome.proxy_rate):>16}{pct(outcome.mesa_goal_rate):>20}"
        )
    weights = ", ".join(f"{k} {v:+.2f}" for k, v in result.mesa_objective.items())
    rows.append(f"learned mesa-objective: {weights}")
    return "\n".join(rows)


# --- underspecification ------------------------------------------------------------------------


def underspecification_figure(
    plane: gm.ObjectivePlane, runs: Mapping[str, gm.Result] | None = None
) -> Figure:
    """Training return and test outcome over the (cheese weight, corner weight) plane.

    Args:
        plane: From :func:`gm.objective_plane`.
        runs: ``{label: result}`` whose training paths (the outer optimizer's weights,
            generation by generation) are drawn on both panels.

    Returns:
        The figure: left, the mean training return; right, the share of test levels
        on which the cheese is reached.
    """
    fig = Figure(figsize=(11.0, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    extent = _extent(plane.cheese) + _extent(plane.corner)
    panels = (
        (plane.train_return, "Training levels: mean return", "mean return"),
        (plane.test_true_goal, "Test levels: share reaching the cheese", "share of test levels"),
    )
    for ax, (data, title, label) in zip(axes, panels, strict=True):
        image = ax.imshow(
            data, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=1, aspect="auto"
        )
        fig.colorbar(image, ax=ax, shrink=0.85, label=label)
        ax.axhline(0, color="white", lw=0.6, ls=":")
        ax.axvline(0, color="white", lw=0.6, ls=":")
        ax.set_xlabel("cheese weight")
        ax.set_title(title, fontsize=10)
        for k, (name, result) in enumerate((runs or {}).items()):
            _draw_training_path(ax, result, name, ("o", "s", "^", "D")[k % 4])
    axes[0].set_ylabel("top-right corner weight")
    if runs:
        axes[1].legend(fontsize=8, loc="upper right", framealpha=0.9)
    title = (
        "Training cannot tell cheese from corner (the return depends on their sum); "
        "the test outcome depends on which is larger"
    )
    fig.suptitle(title)
    alt = _plane_alt(plane, runs or {}) + f" {title}."
    return describe(fig, alt=alt, data=_plane_data(plane))


def _plane_alt(plane: gm.ObjectivePlane, runs: Mapping[str, gm.Result]) -> str:
    corner, cheese = np.meshgrid(plane.corner, plane.cheese, indexing="ij")
    more = pct(float(np.mean(plane.test_true_goal[cheese > corner])))
    less = pct(float(np.mean(plane.test_true_goal[cheese < corner])))
    paths = "; ".join(
        f"the training path of {name} ends at cheese {r.mesa_objective['cheese']:+.2f}, "
        f"corner {r.mesa_objective['top_right']:+.2f}"
        for name, r in runs.items()
    )
    return (
        f"Two heat maps over cheese weight (x, {plane.cheese[0]:g} to {plane.cheese[-1]:g}) and "
        f"top-right corner weight (y, {plane.corner[0]:g} to {plane.corner[-1]:g}), "
        f"{plane.n_levels} levels per point"
        + (f"; {paths}." if paths else ".")
        + f" Left, the mean training return runs from {plane.train_return.min():.2f} to "
        f"{plane.train_return.max():.2f}; right, the cheese is reached on {more} of test levels "
        f"on average where the cheese weight is the larger and {less} where the corner weight is."
    )


def _plane_data(plane: gm.ObjectivePlane) -> DataTable:
    """Every grid point where both weights are among five evenly spread values (25 rows)."""

    def five(values: np.ndarray) -> np.ndarray:
        return np.unique(np.linspace(0, len(values) - 1, min(len(values), 5)).round().astype(int))

    rows = tuple(
        (
            float(plane.cheese[j]),
            float(plane.corner[i]),
            float(plane.train_return[i, j]),
            float(plane.test_true_goal[i, j]),
        )
        for i in five(plane.corner)
        for j in five(plane.cheese)
    )
    return DataTable(
        (
            "cheese weight",
            "corner weight",
            "mean training return",
            "share of test levels reaching the cheese",
        ),
        rows,
    )


def _extent(values: np.ndarray) -> list[float]:
    half = (values[1] - values[0]) / 2
    return [float(values[0] - half), float(values[-1] + half)]


def _draw_training_path(ax: Axes, result: gm.Result, label: str, marker: str) -> None:
    params = result.training_weights
    cheese, corner = (
        params[:, FEATURE_NAMES.index("cheese")],
        params[:, FEATURE_NAMES.index("top_right")],
    )
    ax.plot(cheese, corner, color="white", lw=2.4)
    ax.plot(cheese, corner, color=color("path"), lw=1.2)
    ax.plot(cheese[-1], corner[-1], marker, color=color("path"), mec="white", ms=9, label=label)


def seeds_table(results: Sequence[gm.Result]) -> str:
    """One row per run: its learned cheese and corner weights, its rates, and the control.

    Args:
        results: Runs, e.g. several seeds of one or more settings.

    Returns:
        A text table; the last column is the intended goal ``{cheese: 1}`` with the same
        planner and view on the same test levels.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    head = (
        f"{'run':<40}{'weights: cheese':>16}{'corner':>8}{'training':>10}"
        f"{'test':>7}{'corner instead':>16}{'intended goal':>15}"
    )
    rows = ["cheese reached on training and test levels, by each run", head]
    for r in results:
        control = gm.evaluate(r.config, gm.ALIGNED_OBJECTIVE, r.test_levels)
        w = r.mesa_objective
        rows.append(
            f"{_run_label(r):<40}{w['cheese']:>+16.2f}{w['top_right']:>+8.2f}"
            f"{pct(r.train.true_goal_rate):>10}{pct(r.test.true_goal_rate):>7}"
            f"{pct(r.test.proxy_rate):>16}{pct(control.true_goal_rate):>15}"
        )
    return "\n".join(rows)


# --- sweeps ------------------------------------------------------------------------------------


def by_alpha(results: Sequence[gm.Result], measure: str) -> dict[str, np.ndarray]:
    """One measure of :func:`gm.summary` per alpha, over the seeds of each alpha.

    Args:
        results: Runs at one or more alphas.
        measure: A key of :func:`gm.summary` (a test rate such as ``"true_goal_rate"``,
            or a feature's learned weight such as ``"cheese"``).

    Returns:
        ``alpha`` (sorted), and the ``mean``, ``low`` (min) and ``high`` (max) per alpha.

    Raises:
        ValueError: On no results or an unknown measure.
    """
    curve = by_setting(results, lambda r: r.config.alpha, gm.summary, measure)
    return {"alpha": curve.pop("values"), **curve}


def _alpha_axis(ax: Axes, alphas: np.ndarray) -> None:
    """Symlog x axis: linear near 0 (so alpha = 0 has a place), logarithmic above 0.01."""
    ax.set_xscale("symlog", linthresh=0.01, linscale=0.6)
    ax.set_xticks(alphas, [f"{a:g}" for a in alphas])
    ax.minorticks_off()
    ax.set_xlim(-0.002, alphas.max() * 1.15 if alphas.max() > 0 else 0.01)
    ax.set_xlabel("α: fraction of training levels with the cheese away from the corner")


def _band(ax: Axes, curve: dict[str, np.ndarray], label: str, col: str, marker: str) -> None:
    ax.fill_between(curve["alpha"], curve["low"], curve["high"], color=col, alpha=0.2, lw=0)
    ax.plot(curve["alpha"], curve["mean"], marker=marker, color=col, lw=2, label=label)


def sweep_figure(results: Sequence[gm.Result]) -> Figure:
    """Test rates (left) and learned weights (right) against alpha, over seeds.

    Lines are means over seeds, bands span the lowest to highest seed.

    Args:
        results: Runs from :func:`gm.sweep` (several alphas, one or more seeds each).

    Returns:
        The figure; its title states how far the test true-goal rate moved.
    """
    true_goal = by_alpha(results, "true_goal_rate")
    proxy = by_alpha(results, "proxy_rate")
    n_seeds = len(results) // len(true_goal["alpha"])
    fig = Figure(figsize=(11.0, 4.4), layout="constrained")
    rates_ax, weights_ax = fig.subplots(1, 2)
    _band(rates_ax, true_goal, "reached the cheese (true goal)", color("true_goal"), "o")
    _band(rates_ax, proxy, "went to the corner, missed the cheese", color("proxy"), "s")
    rates_ax.set_ylim(0, 1.02)
    rates_ax.set_ylabel("fraction of test levels")
    rates_ax.set_title("On test levels (cheese never in the corner)", fontsize=10)
    rates_ax.legend(fontsize=9, loc="upper right", frameon=False)
    _alpha_axis(rates_ax, true_goal["alpha"])
    for name, marker in zip(FEATURE_NAMES, "oDs^v", strict=True):
        col = FEATURE_COLORS[name]
        style = "-" if name in ("cheese", "top_right") else ":"
        curve = by_alpha(results, name)
        weights_ax.plot(
            curve["alpha"], curve["mean"], style, marker=marker, color=col, lw=2,
            label=_feature_label(name),
        )  # fmt: skip
    weights_ax.axhline(0.0, color="black", lw=0.8)
    weights_ax.set_ylabel("learned weight (mean over seeds)")
    weights_ax.set_title("What the outer optimizer learned", fontsize=10)
    weights_ax.legend(fontsize=8, ncol=2, frameon=False)
    _alpha_axis(weights_ax, true_goal["alpha"])
    title = _sweep_title(true_goal, n_seeds)
    fig.suptitle(title)
    weights = {name: by_alpha(results, name)["mean"] for name in FEATURE_NAMES}
    alphas = true_goal["alpha"]
    alt = (
        f"Two line charts against α ({', '.join(f'{a:g}' for a in alphas)}): left, the shares "
        f"of test levels on which the agent reaches the cheese or goes to the corner instead; "
        f"right, the learned weights. {title}; the corner is reached instead on "
        f"{pct(proxy['mean'][0])} at α = {alphas[0]:g} and {pct(proxy['mean'][-1])} at "
        f"α = {alphas[-1]:g}. The mean cheese weight goes from {weights['cheese'][0]:+.2f} to "
        f"{weights['cheese'][-1]:+.2f}, the corner weight from {weights['top_right'][0]:+.2f} "
        f"to {weights['top_right'][-1]:+.2f}."
    )
    data = DataTable(
        (
            "α", "reached the cheese (mean)", "reached the cheese, lowest seed",
            "reached the cheese, highest seed",
            "corner instead (mean)", *(f"{_feature_label(n)} weight (mean)" for n in FEATURE_NAMES),
        ),
        tuple(
            (
                float(a), float(true_goal["mean"][k]), float(true_goal["low"][k]),
                float(true_goal["high"][k]), float(proxy["mean"][k]),
                *(float(weights[n][k]) for n in FEATURE_NAMES),
            )
            for k, a in enumerate(alphas)
        ),
    )  # fmt: skip
    return describe(fig, alt=alt, data=data)


def _sweep_title(true_goal: dict[str, np.ndarray], n_seeds: int) -> str:
    """Name the rate at the first alpha and at the smallest alpha within 3 points of the best."""
    mean, alphas = true_goal["mean"], true_goal["alpha"]
    near_best = int(np.flatnonzero(mean >= mean.max() - 0.03)[0])
    seeds = f"mean of {n_seeds} seed{'s' if n_seeds != 1 else ''}; bands: lowest to highest seed"
    if near_best == 0:
        return (
            f"Cheese found on {mean[0]:.0%} of test levels at α = {alphas[0]:g}; "
            f"no larger α did more than 3 points better ({seeds})"
        )
    return (
        f"Cheese found on {mean[0]:.0%} of test levels at α = {alphas[0]:g}, "
        f"{mean[near_best]:.0%} already at α = {alphas[near_best]:g} ({seeds})"
    )


def pct(x: float) -> str:
    """``0.214 -> '21%'``; NaN -> ``'n/a'``."""
    return "n/a" if math.isnan(x) else f"{x:.0%}"


__all__ = [
    "FEATURE_LABELS",
    "bias_label",
    "by_alpha",
    "draw_maze",
    "level_ascii",
    "level_words",
    "objective_bar_chart",
    "objective_comparison_figure",
    "objectives_by_seed_figure",
    "outcome_table",
    "outcome_text",
    "pct",
    "render_png",
    "seeds_table",
    "sweep_figure",
    "train_vs_test_figure",
    "underspecification_figure",
    "trim_path",
    "weights_words",
]
