"""Figures and a table of the reasoning-gap defense toy (notebook 06).

- :func:`comparison_figure` and :func:`comparison_table`: the 2x2 of plan monitor
  x consistency check, across seeds.
- :func:`optimum_table`: in each cell, the closed-form optimum of the payoff table
  beside what evolution strategies learned.
- :func:`curves_figure`: how one run's behaviour changes during training, with the
  closed-form optimum it climbs to.
- :func:`sweep_figure`: unwatched and hidden shortcut rates as one penalty varies.

Every figure is a plain :class:`matplotlib.figure.Figure` in the Okabe-Ito palette.

Example:
    >>> from mesatoys.experiments import reasoning_gap as rg
    >>> fig = comparison_figure(rg.compare(seeds=[0, 1]))
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mesatoys.display import DataTable, describe
from mesatoys.experiments import reasoning_gap as rg
from mesatoys.viz.palette import OKABE_ITO
from mesatoys.viz.picture import spread

#: Colour of each measure in every figure of this toy.
MEASURE_COLORS = {
    "unwatched_shortcut_rate": OKABE_ITO["orange"],
    "hidden_shortcut_rate": OKABE_ITO["vermillion"],
    "faithfulness": OKABE_ITO["bluish_green"],
    "stated_shortcut_rate": OKABE_ITO["sky_blue"],
}
MEASURE_LABELS = {
    "unwatched_shortcut_rate": "shortcut when unwatched",
    "hidden_shortcut_rate": "hidden shortcut (plan said safe)",
    "faithfulness": "faithfulness: action = plan (all episodes)",
    "stated_shortcut_rate": "plans saying 'shortcut' (all episodes)",
}
CELL_TICKS = {
    "nothing on plans": "nothing\non plans",
    "plan monitor only": "plan monitor\nonly",
    "plan monitor + consistency": "plan monitor\n+ consistency",
    "consistency only": "consistency\nonly",
}


def _bars(ax: Axes, x: np.ndarray, values: np.ndarray, measure: str, width: float) -> None:
    """Bars of the mean over seeds, with every seed as a point."""
    ax.bar(x, values.mean(axis=1), width, color=MEASURE_COLORS[measure], edgecolor="black",
           lw=0.6, label=MEASURE_LABELS[measure])  # fmt: skip
    n = values.shape[1]
    offsets = np.linspace(-0.25, 0.25, n) * width if n > 1 else np.zeros(1)
    for i, row in enumerate(values):
        ax.plot(x[i] + offsets, row, "o", ms=3.5, mfc="white", mec="black", mew=0.8, ls="none")


def comparison_figure(comparison: rg.Comparison) -> Figure:
    """Shortcut rates (left) and faithfulness (right) in each cell of the 2x2.

    Bars are means over seeds; the white points are the seeds.

    Args:
        comparison: From :func:`mesatoys.experiments.reasoning_gap.compare`.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(10.0, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(comparison.labels))
    ticks = [CELL_TICKS.get(label, label) for label in comparison.labels]
    for k, measure in enumerate(("unwatched_shortcut_rate", "hidden_shortcut_rate")):
        _bars(left, x + (k - 0.5) * 0.36, comparison.values[measure], measure, 0.36)
    _bars(right, x, comparison.values["faithfulness"], "faithfulness", 0.5)
    for ax, ylabel, title in (
        (left, "share of unwatched episodes", "What the agent does when unwatched"),
        (right, "share of all episodes", "Does the action match the stated plan?"),
    ):
        ax.set_xticks(x, ticks, fontsize=8)
        ax.set_ylim(0, 1.25)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, frameon=False, loc="upper right", ncol=2)
    title = _comparison_title(comparison)
    fig.suptitle(title, fontsize=11)
    shown = ("unwatched_shortcut_rate", "hidden_shortcut_rate", "faithfulness")
    alt = (
        f"Two bar charts over the four ways of overseeing plans ({', '.join(comparison.labels)}), "
        f"means over {len(comparison.seeds)} seeds: left, the shares of unwatched episodes with "
        f"the shortcut and with a hidden shortcut (the plan said safe); right, faithfulness, the "
        f"share of all episodes whose action matches the stated plan. {' '.join(title.split())}."
    )
    data = DataTable(
        ("oversight of plans", *(f"{MEASURE_LABELS[m]}, mean" for m in shown)),
        tuple(
            (label, *(float(comparison.values[m][i].mean()) for m in shown))
            for i, label in enumerate(comparison.labels)
        ),
    )
    return describe(fig, alt=alt, data=data)


def _comparison_title(comparison: rg.Comparison) -> str:
    def mean(label: str, measure: str) -> float:
        return float(comparison.cell(label)[measure].mean())

    return (
        f"A plan monitor alone leaves the shortcut in place but hides it "
        f"({mean('plan monitor only', 'hidden_shortcut_rate'):.0%} of unwatched episodes);\n"
        f"adding a consistency check makes plans faithful "
        f"({mean('plan monitor + consistency', 'faithfulness'):.0%}) and the hidden shortcut "
        f"falls to {mean('plan monitor + consistency', 'hidden_shortcut_rate'):.0%} "
        f"({len(comparison.seeds)} seeds)"
    )


def _stat(values: np.ndarray, percent: bool) -> str:
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.2f}")
    low, high = values.min(), values.max()
    if np.isclose(low, high, atol=0.005):
        return fmt(values.mean())
    return f"{fmt(values.mean())} [{fmt(low)}-{fmt(high)}]"


TABLE_COLUMNS = (
    ("unwatched_shortcut_rate", "shortcut unwatched", True),
    ("hidden_shortcut_rate", "hidden shortcut", True),
    ("faithfulness", "faithfulness", True),
    ("stated_shortcut_rate", "plans flagged", True),
    ("training_return", "training return", False),
)


def comparison_table(comparison: rg.Comparison) -> str:
    """Plain-text table of the 2x2: mean over seeds, [lowest-highest] when they differ.

    Args:
        comparison: From :func:`mesatoys.experiments.reasoning_gap.compare`.

    Returns:
        The table.
    """
    head = f"{'':28}{'monitor':>8}{'consist.':>9}" + "".join(
        f"{title:>20}" for _, title, _ in TABLE_COLUMNS
    )
    lines = [head]
    for i, label in enumerate(comparison.labels):
        row = f"{label:28}{_on(comparison.monitor[i]):>8}{_on(comparison.consistency[i]):>9}"
        for measure, _, percent in TABLE_COLUMNS:
            row += f"{_stat(comparison.values[measure][i], percent):>20}"
        lines.append(row)
    lines.append(f"({len(comparison.seeds)} seeds: {', '.join(map(str, comparison.seeds))})")
    return "\n".join(lines)


def _on(flag: bool) -> str:
    return "on" if flag else "off"


CURVE_MEASURES = (
    "unwatched_shortcut_rate",
    "hidden_shortcut_rate",
    "stated_shortcut_rate",
    "faithfulness",
)


def curves_figure(result: rg.Result) -> Figure:
    """One run's behaviour after every generation of training, and the closed-form optimum.

    Dotted lines mark the optimum's rates (:func:`mesatoys.experiments.reasoning_gap.optimum`):
    the curves show how the optimizer gets there, not where it ends up.

    Args:
        result: A run.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(6.8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    best = rg.optimum(result.config).behaviour
    for measure in CURVE_MEASURES:
        ax.plot(result.curves[measure], color=MEASURE_COLORS[measure], lw=2,
                label=MEASURE_LABELS[measure])  # fmt: skip
        ax.axhline(getattr(best, measure), color=MEASURE_COLORS[measure], lw=1, ls=":")
    ax.plot([], [], color="black", lw=1, ls=":", label="closed-form optimum")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("generation of evolution strategies")
    ax.set_ylabel("share of episodes")
    ax.legend(fontsize=8, frameon=False, loc="center right")
    cfg = result.config
    reached = _generations_to(result.curves["hidden_shortcut_rate"], best.hidden_shortcut_rate)
    title = (
        f"Monitor penalty {cfg.monitor_penalty:g}, consistency penalty "
        f"{cfg.consistency_penalty:g}:\nthe payoff table's optimum hides the shortcut in "
        f"{best.hidden_shortcut_rate:.0%} of unwatched episodes;\nevolution strategies "
        f"end at {result.hidden_shortcut_rate:.0%} of them ({reached})"
    )
    ax.set_title(title, fontsize=9)
    n = len(result.curves[CURVE_MEASURES[0]])
    ends = "; ".join(
        f"{MEASURE_LABELS[m]} {result.curves[m][-1]:.0%} (optimum {getattr(best, m):.0%})"
        for m in CURVE_MEASURES
    )
    alt = (
        f"Line chart of one run's behaviour after each of {n - 1} generations of evolution "
        f"strategies, with the closed-form optimum's rates dotted. {' '.join(title.split())}. "
        f"At the end: {ends}."
    )
    rows = [(g, *(float(result.curves[m][g]) for m in CURVE_MEASURES)) for g in spread(n, most=29)]
    rows.append(("closed-form optimum", *(round(getattr(best, m), 4) for m in CURVE_MEASURES)))
    data = DataTable(("generation", *(MEASURE_LABELS[m] for m in CURVE_MEASURES)), tuple(rows))
    return describe(fig, alt=alt, data=data)


def _generations_to(curve: np.ndarray, target: float, tolerance: float = 0.05) -> str:
    """When a curve comes within ``tolerance`` of ``target`` and stays there, in words."""
    far = np.flatnonzero(np.abs(curve - target) > tolerance)
    if not len(far):
        return "from the start"
    if far[-1] == len(curve) - 1:
        return f"not within {tolerance:.0%} after {len(curve) - 1} generations"
    return f"within {tolerance:.0%} from generation {far[-1] + 1}"


def _pair(choice: tuple[str, str]) -> str:
    plan, action = choice
    return f"say {plan}, do {action}"


def optimum_table(comparison: rg.Comparison) -> str:
    """Each cell's closed-form optimum beside what training learned.

    Args:
        comparison: From :func:`mesatoys.experiments.reasoning_gap.compare`.

    Returns:
        Plain text: per cell, the optimum's choice when watched and when unwatched,
        how many seeds learned exactly that policy, and the optimum's and the learned
        (mean) training return.
    """
    n = len(comparison.seeds)
    head = (f"{'':28}{'optimum when watched':>24}{'optimum when unwatched':>28}"
            f"{'seeds that learned it':>23}{'best return':>13}{'learned':>9}")  # fmt: skip
    lines = [head]
    for label in comparison.labels:
        best = comparison.optimum(label)
        learned = comparison.cell(label)["training_return"].mean()
        lines.append(
            f"{label:28}{_pair(best.choices['watched']):>24}"
            f"{_pair(best.choices['unwatched']):>28}"
            f"{f'{comparison.matches_optimum(label)} of {n}':>23}"
            f"{best.training_return:>13.2f}{learned:>9.2f}"
        )
    return "\n".join(lines)


def sweep_figure(results: Sequence[rg.Result], name: str) -> Figure:
    """Shortcut rates when unwatched (all, and hidden) as one setting varies.

    Args:
        results: Runs that differ in one setting (and seeds), e.g. from
            ``rg.sweep(vary(rg.Config(), monitor_penalty=(0.0, 1.0)))``.
        name: The setting that varies, a field of :class:`rg.Config`.

    Returns:
        The figure.

    Raises:
        ValueError: On no results or an unknown setting.
    """
    grid, values = _by_setting(results, name)
    fig = Figure(figsize=(6.8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for measure, style in (("unwatched_shortcut_rate", "-"), ("hidden_shortcut_rate", "--")):
        mean = np.array([np.mean(v[measure]) for v in values])
        ax.plot(grid, mean, style, color=MEASURE_COLORS[measure], lw=2, marker="o",
                label=MEASURE_LABELS[measure])  # fmt: skip
        for x, v in zip(grid, values, strict=True):
            ax.plot(np.full(len(v[measure]), x), v[measure], ".", color="black", ms=3)
    ax.set_ylim(-0.03, 1.08)
    ax.set_xlabel(name.replace("_", " "))
    ax.set_ylabel("share of unwatched episodes")
    ax.legend(fontsize=8, frameon=False, loc="center right")
    hidden = np.array([np.mean(v["hidden_shortcut_rate"]) > 0.5 for v in values])
    n_seeds = len(values[0]["hidden_shortcut_rate"])
    title = _sweep_title(name, grid, hidden, n_seeds)
    ax.set_title(title, fontsize=10)
    measures = ("unwatched_shortcut_rate", "hidden_shortcut_rate")
    means = {m: [float(np.mean(v[m])) for v in values] for m in measures}
    label = name.replace("_", " ")
    alt = (
        f"Line chart of the share of unwatched episodes with the shortcut, all of them and "
        f"hidden ones, as the {label} varies ({', '.join(f'{g:g}' for g in grid)}). "
        f"{' '.join(title.split())}: hidden "
        f"{', '.join(f'{x:.0%}' for x in means['hidden_shortcut_rate'])}; all "
        f"{', '.join(f'{x:.0%}' for x in means['unwatched_shortcut_rate'])}."
    )
    data = DataTable(
        (label, *(f"{MEASURE_LABELS[m]}, mean" for m in measures)),
        tuple((float(g), *(means[m][k] for m in measures)) for k, g in enumerate(grid)),
    )
    return describe(fig, alt=alt, data=data)


def _by_setting(results: Sequence[rg.Result], name: str) -> tuple[np.ndarray, list[dict]]:
    """Sorted values of one setting, and each value's runs' metrics."""
    if not results:
        raise ValueError("results must hold at least one reasoning_gap.Result")
    if name not in {f.name for f in dataclasses.fields(rg.Config)}:
        raise ValueError(f"name must be a field of reasoning_gap.Config, got {name!r}")
    grid = np.array(sorted({getattr(r.config, name) for r in results}), dtype=float)
    values = [
        {m: [getattr(r, m) for r in results if getattr(r.config, name) == g] for m in rg.METRICS}
        for g in grid
    ]
    return grid, values


def _sweep_title(name: str, grid: np.ndarray, hidden: np.ndarray, n_seeds: int) -> str:
    label = name.replace("_", " ")

    def listed(mask: np.ndarray) -> str:
        return ", ".join(f"{v:g}" for v in grid[mask]) or "none"

    return (
        f"Unwatched shortcut mostly hidden at {label} = {listed(hidden)};\n"
        f"not hidden at {listed(~hidden)} (mean of {n_seeds} seeds)"
    )


__all__ = [
    "CELL_TICKS",
    "MEASURE_COLORS",
    "MEASURE_LABELS",
    "comparison_figure",
    "comparison_table",
    "curves_figure",
    "optimum_table",
    "sweep_figure",
]
