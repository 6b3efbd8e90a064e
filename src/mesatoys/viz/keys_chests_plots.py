"""Figures and tables for the keys-and-chests toy (thin: they call the experiment and draw)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from mesatoys.agents.collector import OBJECT_FEATURES
from mesatoys.display import DataTable, describe
from mesatoys.experiments import keys_and_chests as kc
from mesatoys.viz.axes import cell_words
from mesatoys.viz.maze_plots import trim_path
from mesatoys.viz.palette import OKABE_ITO, color

KEY_COLOR = OKABE_ITO["yellow"]
CHEST_COLOR = OKABE_ITO["vermillion"]
FEATURE_LABELS = {
    "key": "key",
    "chest": "chest",
    "usable_chest": "chest while\nholding a key",
    "spare_key": "key while\nholding a key",
}
_FLOOR_WALL = ListedColormap([color("floor"), color("wall")])


def level_figure(result: kc.Result, index: int = 0, split: str = "test") -> Figure:
    """One level with the agent's path, its keys and chests, and what it did.

    Args:
        result: A run.
        index: Which level of the split.
        split: ``"train"`` or ``"test"``.

    Returns:
        The figure.
    """
    levels = _levels(result, split)
    if not 0 <= index < len(levels):
        raise ValueError(f"index must be in [0, {len(levels) - 1}], got {index}")
    level = levels[index]
    episode = kc.play(result.config, _params(result), level, record=True)
    fig = Figure(figsize=(4.6, 4.9))
    ax = fig.add_subplot()
    ax.imshow(level.walls[0], cmap=_FLOOR_WALL, vmin=0, vmax=1)
    route = trim_path(episode.paths[0])
    ax.plot(*route[:, ::-1].T, "-", color=color("path"), lw=2.5, label="agent's path")
    keys, chests = level.objects[0][level.is_key[0]], level.objects[0][~level.is_key[0]]
    ax.plot(*keys[:, ::-1].T, "D", ms=8, mfc=KEY_COLOR, mec="black", label="key", ls="none")
    ax.plot(*chests[:, ::-1].T, "s", ms=11, mfc=CHEST_COLOR, mec="black", label="chest", ls="none")
    ax.plot(*level.start[0, ::-1], "o", ms=9, mfc=color("start"), mec="black", label="start")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=8, frameon=False)
    did = (
        f"picked up {episode.keys_collected[0]} of {level.n_keys[0]} keys, opened "
        f"{episode.chests_opened[0]} of {level.n_chests[0]} chests"
    )
    ax.set_title(f"{split.capitalize()} level: {did}", fontsize=9)
    fig.tight_layout()
    size, moves = level.walls.shape[1], len(route) - 1
    alt = (
        f"{split.capitalize()} level {index} ({size} x {size} maze) with the agent's path: start "
        f"at {cell_words(level.start[0], size)}; keys at {_cells(keys)}; chests at "
        f"{_cells(chests)}. The agent {did} in {moves} move{'s' if moves != 1 else ''}, "
        f"stopping at {cell_words(route[-1], size)}."
    )
    return describe(fig, alt=alt)


def _cells(cells: np.ndarray) -> str:
    """``"(row 2, column 3), (row 5, column 7)"``, or ``"none"``."""
    return ", ".join(f"(row {r}, column {c})" for r, c in cells) or "none"


def objectives_figure(results: Mapping[str, kc.Result]) -> Figure:
    """Grouped bars: the learned mesa-objective of each labelled run."""
    if not results:
        raise ValueError("results must hold at least one run")
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(OBJECT_FEATURES))
    width = 0.8 / len(results)
    shades = [OKABE_ITO["blue"], OKABE_ITO["sky_blue"], OKABE_ITO["bluish_green"]]
    for i, (label, result) in enumerate(results.items()):
        values = [result.mesa_objective.get(f, np.nan) for f in OBJECT_FEATURES]
        ax.bar(x + (i - (len(results) - 1) / 2) * width, values, width, label=label,
               color=shades[i % len(shades)], edgecolor="black", linewidth=0.5)  # fmt: skip
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, [FEATURE_LABELS[f] for f in OBJECT_FEATURES], fontsize=8)
    ax.set_ylabel("learned weight")
    title = "Keys are valued for their own sake unless the goal can say why"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    fig.tight_layout()
    described = "; ".join(
        f"{label}: " + ", ".join(
            f"{_feature_words(f)} {r.mesa_objective[f]:+.2f}" for f in OBJECT_FEATURES
            if f in r.mesa_objective
        )
        for label, r in results.items()
    )  # fmt: skip
    alt = (
        f"Grouped bar chart of the learned mesa-objective of {len(results)} "
        f"run{'s' if len(results) != 1 else ''}, one group of bars per kind of object. "
        f"{title}: {described}."
    )
    data = DataTable(
        ("feature", *results),
        tuple(
            (
                _feature_words(f),
                *(r.mesa_objective.get(f, "not in its goal") for r in results.values()),
            )
            for f in OBJECT_FEATURES
        ),
    )
    return describe(fig, alt=alt, data=data)


def _feature_words(feature: str) -> str:
    return " ".join(FEATURE_LABELS[feature].split())


def outcome_table(results: Mapping[str, kc.Result], control: bool = True) -> str:
    """Plain-text table: training chest rate, and test keys per chest and return.

    Args:
        results: Runs by label.
        control: Add a last row, the intended goal (:data:`kc.INTENDED_OBJECTIVE`) played
            by the same planner on the first run's training and test levels.

    Returns:
        The table.

    Raises:
        ValueError: On no runs.
    """
    if not results:
        raise ValueError("results must hold at least one run, got none")
    rows = [(label, r.train, r.test) for label, r in results.items()]
    if control:
        first = next(iter(results.values()))
        rows.append(
            (
                "intended goal, same planner and levels",
                kc.evaluate(first.config, kc.INTENDED_OBJECTIVE, first.train_levels),
                kc.evaluate(first.config, kc.INTENDED_OBJECTIVE, first.test_levels),
            )
        )
    lines = [f"{'':42}{'train: chests':>14}{'test: keys/chest':>18}{'test: return':>14}"]
    lines += [
        f"{label:42}{train.chest_rate:>14.0%}{test.keys_per_chest:>18.2f}{test.mean_return:>14.2f}"
        for label, train, test in rows
    ]
    return "\n".join(lines)


def _levels(result: kc.Result, split: str):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return result.train_levels if split == "train" else result.test_levels


def _params(result: kc.Result) -> np.ndarray:
    return np.array([result.mesa_objective[f] for f in result.config.features])
