"""Figures of the interpretability defenses (notebook 06).

- :func:`objective_figure`: the learned weights beside how well three predictions of
  test behaviour do (training behaviour, the top weight, the interpreter's rule).
- :func:`value_map_figure`: the value the learned objective gives each cell of one
  test level, with the path the agent really took.
- :func:`probe_figure`: how well a linear probe reads a network's goal from its
  hidden layer, from an untrained network, from the raw input and with shuffled labels.
- :func:`baseline_table`: the trained network against the untrained one, for several
  settings (the control of the noise bits).

Every function returns a plain :class:`matplotlib.figure.Figure` (no pyplot state)
whose title states the finding, coloured with the Okabe-Ito palette. The ``*_table``
functions give the same numbers as text.

Example:
    >>> from mesatoys.experiments import probing
    >>> fig = probe_figure([probing.run(seed=0)])
    >>> len(fig.axes)
    1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from mesatoys.display import DataTable, describe
from mesatoys.envs.features import FEATURE_NAMES, feature_cells
from mesatoys.experiments import interpretability as interp
from mesatoys.experiments import probing
from mesatoys.viz.maze_plots import FEATURE_LABELS, level_words, trim_path, weights_words
from mesatoys.viz.palette import FEATURE_COLORS, OKABE_ITO, color

PREDICTOR_LABELS = {
    "behaviour": "training behaviour:\n'goes to the cheese'",
    "top_weight": "top weight only",
    "rule": "interpreter's rule\n(weights + planning)",
}
PREDICTOR_COLORS = {
    "behaviour": OKABE_ITO["vermillion"],
    "top_weight": OKABE_ITO["sky_blue"],
    "rule": OKABE_ITO["bluish_green"],
}
PROBE_LABELS = {
    "hidden": "trained net,\nlast hidden layer",
    "layer_1": "trained net,\nfirst hidden layer",
    "untrained": "untrained net,\nlast hidden layer",
    "raw": "raw input",
    "shuffled": "shuffled labels\n(control)",
}
PROBE_COLORS = {
    "hidden": OKABE_ITO["blue"],
    "layer_1": OKABE_ITO["sky_blue"],
    "untrained": OKABE_ITO["reddish_purple"],
    "raw": OKABE_ITO["orange"],
    "shuffled": "#9A9A9A",
}
_WALL_CMAP = ListedColormap([color("wall")])


def _runs(results, kind: type, name: str = "results") -> list:
    """One run or several, as a non-empty list of ``kind``."""
    runs = [results] if isinstance(results, kind) else list(results)
    if not runs:
        raise ValueError(f"{name} must hold at least one run")
    bad = [type(r).__name__ for r in runs if not isinstance(r, kind)]
    if bad:
        raise TypeError(f"{name} must be {kind.__module__}.{kind.__name__} runs, got {bad}")
    return runs


def _dots(ax: Axes, x: float, values: Sequence[float], horizontal: bool = False) -> None:
    """Per-seed values as black dots, spread a little so they do not hide each other."""
    spread = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else np.zeros(1)
    pos = x + spread
    xy = (values, pos) if horizontal else (pos, values)
    ax.plot(*xy, "o", ms=3.5, mfc="black", mec="white", mew=0.5, zorder=3)


def _label_means(ax: Axes, x: np.ndarray, values: np.ndarray) -> None:
    """Per-seed dots on every bar, and the bar's mean as a percentage above it."""
    for k in x:
        _dots(ax, k, values[:, k])
        ax.annotate(f"{values[:, k].mean():.0%}", (k, values[:, k].mean()), xytext=(0, 4),
                    textcoords="offset points", ha="center", fontsize=9)  # fmt: skip


# --- reading the mesa-objective --------------------------------------------------------------


def objective_figure(results: interp.Result | Sequence[interp.Result]) -> Figure:
    """Learned weights, and the per-level accuracy of three predictions of test behaviour.

    Bars are means over the runs; dots are single runs (seeds).

    Args:
        results: One run or several runs with the same ``alpha``.

    Returns:
        The figure.

    Raises:
        ValueError: On no runs or runs with different ``alpha``.
    """
    runs = _runs(results, interp.Result)
    alphas = {r.config.training.alpha for r in runs}
    if len(alphas) != 1:
        raise ValueError(f"results must share one alpha, got {sorted(alphas)}")
    fig = Figure(figsize=(10.0, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.0, 1.1))
    _weights_panel(left, runs)
    _accuracy_panel(right, runs)
    title = _objective_title(runs)
    fig.suptitle(title, fontsize=11)
    weights = np.mean([r.weights for r in runs], axis=0)
    alt = (
        f"Two bar charts, {_seeds(runs, 'means over ')}: left, the learned mesa-objective's "
        f"weights ({weights_words(dict(zip(FEATURE_NAMES, weights, strict=True)))}); right, "
        f"the share of {len(runs[0].actual)} test levels on which each of three predictions "
        f"of whether the agent gets the cheese is right. {' '.join(title.split())}."
    )
    rows = [
        (f"weight: {FEATURE_LABELS[n]}", float(weights[k]), *(float(r.weights[k]) for r in runs))
        for k, n in enumerate(FEATURE_NAMES)
    ] + [
        (f"test levels predicted right: {' '.join(PREDICTOR_LABELS[p].split())}",
         float(np.mean([r.accuracy[p] for r in runs])), *(float(r.accuracy[p]) for r in runs))
        for p in interp.PREDICTORS
    ]  # fmt: skip
    data = DataTable(("bar", "mean", *(f"seed {r.seed}" for r in runs)), tuple(rows))
    return describe(fig, alt=alt, data=data)


def _lines_as_sentence(title: str) -> str:
    """A title written on several lines, as one sentence."""
    head, *rest = title.splitlines()
    return "; ".join([head, *(f"{line[0].lower()}{line[1:]}" for line in rest)]) + "."


def _seeds(runs: Sequence, means: str = "") -> str:
    """``"means over 2 seeds"`` (with ``means``) or ``"seed 0"``."""
    return f"{means}{len(runs)} seeds" if len(runs) > 1 else f"seed {runs[0].seed}"


def _weights_panel(ax: Axes, runs: Sequence[interp.Result]) -> None:
    weights = np.array([r.weights for r in runs])
    rows = np.arange(len(FEATURE_NAMES))
    ax.barh(
        rows,
        weights.mean(axis=0),
        color=[FEATURE_COLORS[n] for n in FEATURE_NAMES],
        edgecolor="black",
        lw=0.6,
    )
    for row in rows:
        _dots(ax, row, weights[:, row], horizontal=True)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(rows, [FEATURE_LABELS[n] for n in FEATURE_NAMES])
    ax.invert_yaxis()
    ax.set_xlabel("learned weight (utility of reaching that cell)")
    top = FEATURE_NAMES[int(weights.mean(axis=0).argmax())]
    ax.set_title(
        f"Learned mesa-objective: largest weight on the {FEATURE_LABELS[top]}",
        fontsize=10,
    )


def _accuracy_panel(ax: Axes, runs: Sequence[interp.Result]) -> None:
    x = np.arange(len(interp.PREDICTORS))
    values = np.array([[r.accuracy[k] for k in interp.PREDICTORS] for r in runs])
    ax.bar(
        x,
        values.mean(axis=0),
        color=[PREDICTOR_COLORS[k] for k in interp.PREDICTORS],
        edgecolor="black",
        lw=0.6,
    )
    _label_means(ax, x, values)
    ax.set_xticks(x, [PREDICTOR_LABELS[k] for k in interp.PREDICTORS], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("test levels predicted right\n('gets the cheese' or not)")
    rate = np.mean([r.test_true_goal_rate for r in runs])
    ax.set_title(
        f"Predicting {len(runs[0].actual)} test levels (agent got the cheese on {rate:.0%})",
        fontsize=10,
    )


def _objective_title(runs: Sequence[interp.Result]) -> str:
    s = interp.summary(runs)
    seeds = f"{len(runs)} seeds" if len(runs) > 1 else f"seed {runs[0].seed}"
    return (
        f"The weights plus the planner's algorithm predict {s['rule']['mean']:.0%} of test "
        f"outcomes;\nthe top weight alone {s['top_weight']['mean']:.0%}, training behaviour "
        f"{s['behaviour']['mean']:.0%} (α = {runs[0].config.training.alpha:g}, {seeds})"
    )


def accuracy_table(results: interp.Result | Sequence[interp.Result]) -> str:
    """Per-run accuracy of each prediction, and the agent's test cheese rate, as text."""
    runs = _runs(results, interp.Result)
    head = f"{'alpha':>5} {'seed':>4} {'cheese':>7}" + "".join(
        f"{k:>12}" for k in interp.PREDICTORS
    )
    lines = [head]
    for r in runs:
        acc = "".join(f"{r.accuracy[k]:>12.1%}" for k in interp.PREDICTORS)
        alpha = r.config.training.alpha
        lines.append(f"{alpha:>5g} {r.seed:>4} {r.test_true_goal_rate:>7.1%}" + acc)
    return "\n".join(lines)


# --- the value map ----------------------------------------------------------------------------


def _outcome(got: bool) -> str:
    return "gets the cheese" if got else "misses the cheese"


def value_map_figure(result: interp.Result, index: int = 0) -> Figure:
    """The value the learned objective gives each cell of one test level, with the agent's path.

    Args:
        result: A run.
        index: Which test level.

    Returns:
        The figure.
    """
    values = interp.value_map(result, index)
    levels = result.misgeneralization.test_levels
    walls = levels.walls[index]
    fig = Figure(figsize=(5.6, 5.2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_where(walls, values), cmap="cividis", vmin=0.0)
    ax.imshow(np.ma.masked_where(~walls, walls), cmap=_WALL_CMAP)
    fig.colorbar(image, ax=ax, shrink=0.8, label="value = best weight × γ^distance")
    _mark_features(ax, result, index)
    path = trim_path(interp.agent_path(result, index))
    ax.plot(*path[:, ::-1].T, "-", color=color("path"), lw=2.5, label="agent's path")
    start = levels.start[index]
    ax.plot(*start[::-1], "o", ms=9, mfc=color("start"), mec="black", label="start")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8, frameon=False)
    title = _value_title(result, index, values)
    ax.set_title(title, fontsize=10)
    got = _outcome(bool(result.actual[index])).replace("gets", "got").replace("misses", "missed")
    words = level_words(walls, start, levels.cheese[index], path, got)
    alt = (
        f"Value map of test level {index} ({walls.shape[0]} x {walls.shape[1]} maze): each open "
        f"cell shaded by the value the learned objective gives it, from {values[~walls].min():.2f} "
        f"to {values[~walls].max():.2f}; weights {weights_words(result.mesa_objective)}. "
        f"{words[0].upper()}{words[1:]}. {_lines_as_sentence(title)}"
    )
    return describe(fig, alt=alt)


def _mark_features(ax: Axes, result: interp.Result, index: int) -> None:
    """Ring each feature's cell and write its weight (weights sharing a cell joined by '/')."""
    cells = feature_cells(result.misgeneralization.test_levels[index])[0]
    text: dict[tuple[int, int], list[str]] = {}
    for name, (r, c), w in zip(FEATURE_NAMES, cells, result.weights, strict=True):
        marker, size = ("o", 15) if name == "cheese" else ("s", 12)
        label = FEATURE_LABELS[name] if name in ("cheese", "top_right") else None
        ax.plot(c, r, marker, ms=size, mfc="none", mec=FEATURE_COLORS[name], mew=2.5, label=label)
        text.setdefault((int(r), int(c)), []).append(f"{w:+.2f}")
    for (r, c), words in text.items():
        ax.annotate(
            "/".join(words),
            (c, r),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )


def _value_title(result: interp.Result, index: int, values: np.ndarray) -> str:
    cells = feature_cells(result.misgeneralization.test_levels[index])[0]
    top = FEATURE_NAMES[int(np.argmax([values[r, c] for r, c in cells]))]
    predicted = bool(result.predicted["rule"][index])
    actual = bool(result.actual[index])
    verdict = "right" if predicted == actual else "wrong"
    return (
        f"Test level {index}: the objective values the {FEATURE_LABELS[top]} most\n"
        f"Predicted from the weights: {_outcome(predicted)}\n"
        f"Running the agent: {_outcome(actual)} (prediction {verdict})"
    )


# --- probes -----------------------------------------------------------------------------------


def probe_figure(results: probing.Result | Sequence[probing.Result]) -> Figure:
    """Held-out probe accuracy for each input, mean over runs (bars) and per run (dots).

    Args:
        results: One run or several (e.g. one per seed).

    Returns:
        The figure.
    """
    runs = _runs(results, probing.Result)
    names = [n for n in PROBE_LABELS if all(n in r.probe_accuracy for r in runs)]
    values = np.array([[r.probe_accuracy[n] for n in names] for r in runs])
    fig = Figure(figsize=(8.0, 3.8), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(names))
    ax.bar(
        x, values.mean(axis=0), color=[PROBE_COLORS[n] for n in names], edgecolor="black", lw=0.6
    )
    _label_means(ax, x, values)
    chance = float(np.mean([r.chance for r in runs]))
    ax.axhline(chance, color="black", ls="--", lw=1.0, label=f"chance ({chance:.0%})")
    ax.set_xticks(x, [PROBE_LABELS[n] for n in names], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("held-out accuracy of a linear probe\nreading 'heads for A or B'")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    title = _probe_title(runs)
    ax.set_title(title, fontsize=10)
    inputs = "; ".join(" ".join(PROBE_LABELS[n].split()) for n in names)
    alt = (
        f"Bar chart of the held-out accuracy of a linear probe reading 'heads for A or B' from "
        f"{len(names)} inputs ({inputs}), {_seeds(runs, 'means over ')}; chance is {chance:.0%}. "
        f"{' '.join(title.split())}."
    )
    data = DataTable(
        ("input", "mean accuracy", *(f"seed {r.seed}" for r in runs)),
        tuple(
            (" ".join(PROBE_LABELS[n].split()), float(values[:, k].mean()),
             *(float(v) for v in values[:, k]))
            for k, n in enumerate(names)
        ),
    )  # fmt: skip
    return describe(fig, alt=alt, data=data)


def _probe_title(runs: Sequence[probing.Result]) -> str:
    s = probing.summary(runs)
    seeds = f"{len(runs)} seeds" if len(runs) > 1 else f"seed {runs[0].seed}"
    noise = {r.config.n_distractors for r in runs}
    bits = f"{noise.pop()} noise bits" if len(noise) == 1 else "mixed noise bits"
    return (
        f"A linear probe reads the goal from the trained network ({s['hidden']['mean']:.0%}), "
        f"an untrained one ({s['untrained']['mean']:.0%}),\nthe raw input "
        f"({s['raw']['mean']:.0%}); shuffled-label control {s['shuffled']['mean']:.0%}. "
        f"The network reaches the cued\ntarget in {s['success_rate']['mean']:.0%} of held-out "
        f"episodes ({bits}, {seeds})"
    )


def probe_table(results: probing.Result | Sequence[probing.Result]) -> str:
    """Per-run success rate, chance and probe accuracies, as text."""
    runs = _runs(results, probing.Result)
    names = [n for n in PROBE_LABELS if all(n in r.probe_accuracy for r in runs)]
    head = f"{'seed':>4} {'success':>8} {'chance':>7}" + "".join(f"{n:>11}" for n in names)
    lines = [head]
    for r in runs:
        acc = "".join(f"{r.probe_accuracy[n]:>11.1%}" for n in names)
        lines.append(f"{r.seed:>4} {r.success_rate:>8.1%} {r.chance:>7.1%}" + acc)
    return "\n".join(lines)


def baseline_table(groups: dict[str, Sequence[probing.Result]]) -> str:
    """The probe on the trained network against its baselines, one row per setting.

    Args:
        groups: ``{label: runs}``, e.g. the toy's runs and the runs of a control
            setting; each label's runs are averaged.

    Returns:
        Plain text: per setting, the mean held-out accuracy on the trained network,
        on the untrained one, their gap in points, and on the raw input.

    Raises:
        ValueError: On no groups or a group without runs.
        TypeError: On runs that are not probing results.
    """
    if not groups:
        raise ValueError("groups must hold at least one setting")
    width = max(len(label) for label in groups) + 2
    head = f"{'':{width}}{'trained net':>13}{'untrained net':>15}{'gap':>9}{'raw input':>11}"
    lines = [head]
    for label, results in groups.items():
        runs = _runs(results, probing.Result, name=f"groups[{label!r}]")
        s = probing.summary(runs)
        hidden, untrained, raw = (s[k]["mean"] for k in ("hidden", "untrained", "raw"))
        gap = f"{100 * (hidden - untrained):+.1f} pt"
        lines.append(f"{label:{width}}{hidden:>13.1%}{untrained:>15.1%}{gap:>9}{raw:>11.1%}")
    lines.append(f"(mean over {', '.join(str(len(r)) for r in groups.values())} seeds)")
    return "\n".join(lines)


__all__ = [
    "PREDICTOR_COLORS",
    "PROBE_COLORS",
    "accuracy_table",
    "baseline_table",
    "objective_figure",
    "probe_figure",
    "probe_table",
    "value_map_figure",
]
