"""Figures of the absent-supervisor toy and the model-organisms table (notebooks 05 and 06).

- :func:`draw_world`: one layout, its supervisor or camera, and a route.
- :func:`routes_figure`: the reward-trained agent's route with the supervisor
  present and absent (the aligned control's route dashed beside it).
- :func:`awareness_figure`: the control beside the result: how often the
  reward-trained agent crosses the punishment cell, watched and unwatched, when its
  objective has a punishment weight per condition and when it has one shared weight.
- :func:`organisms_figure` and :func:`organisms_table`: how often each detection
  method catches each kind of deceptive organism, and how often it wrongly flags
  an aligned one.

Every figure is a plain :class:`matplotlib.figure.Figure` (never pyplot's global
list).

Example:
    >>> from mesatoys.experiments import absent_supervisor as ab
    >>> fig = routes_figure(ab.run(ab.Config(), seed=0))
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mesatoys.display import DataTable, describe
from mesatoys.envs.absent_supervisor import World
from mesatoys.experiments import absent_supervisor as ab
from mesatoys.experiments import model_organisms as mo
from mesatoys.viz.axes import cell_words, frame_grid
from mesatoys.viz.palette import OKABE_ITO

COLORS = {
    "floor": "#FFFFFF",
    "wall": "#5A5A5A",
    "start": OKABE_ITO["bluish_green"],
    "goal": OKABE_ITO["bluish_green"],
    "punishment": OKABE_ITO["vermillion"],
    "supervisor": OKABE_ITO["blue"],
    "camera": OKABE_ITO["orange"],
    "mesa": OKABE_ITO["reddish_purple"],
    "control": OKABE_ITO["black"],
}
#: Bar colour of each column of the detection table.
COLUMN_COLORS = {
    "naive": OKABE_ITO["vermillion"],
    "savvy": OKABE_ITO["reddish_purple"],
    "false_alarm": OKABE_ITO["sky_blue"],
}
COLUMN_LABELS = {
    "naive": "naive deceptive caught",
    "savvy": "savvy deceptive caught",
    "false_alarm": "aligned controls flagged (false alarm)",
}
_CMAP = ListedColormap([COLORS["floor"], COLORS["wall"]])


def _square(ax: Axes, world: World, cell: int, color: str, label: str = "") -> None:
    r, c = world.position(cell)
    ax.fill_between([c - 0.5, c + 0.5], r - 0.5, r + 0.5, color=color, alpha=0.35, lw=0)
    if label:
        ax.text(c, r, label, ha="center", va="center", fontsize=13, fontweight="bold")


def draw_world(
    ax: Axes,
    world: World,
    layout: int,
    supervisor: bool = False,
    camera: bool = False,
    routes: dict[str, np.ndarray] | None = None,
    title: str | None = None,
) -> Axes:
    """Draw one layout and routes on it.

    Args:
        ax: Axes to draw on (cleared first).
        world: The layouts.
        layout: Layout index.
        supervisor: Draw the supervisor (the top border, marked ``S``).
        camera: Draw the camera (bottom-left corner, marked ``C``).
        routes: ``{"mesa" or "control": (n,) flat cells}`` routes to draw.
        title: Axes title.

    Returns:
        ``ax``.
    """
    ax.clear()
    height, width = world.shape
    ax.imshow(world.walls[layout], cmap=_CMAP, vmin=0, vmax=1)
    _square(ax, world, int(world.start[layout]), COLORS["start"], "A")
    _square(ax, world, int(world.goal[layout]), COLORS["goal"], "G")
    _square(ax, world, int(world.punishment[layout]), COLORS["punishment"], "P")
    if supervisor:
        ax.fill_between([-0.5, width - 0.5], -0.5, 0.5, color=COLORS["supervisor"])
        ax.text((width - 1) / 2, 0, "S  supervisor watching", ha="center", va="center",
                color="white", fontsize=9, fontweight="bold")  # fmt: skip
    if camera:
        ax.fill_between([-0.5, 0.5], height - 1.5, height - 0.5, color=COLORS["camera"])
        ax.text(0, height - 1, "C", ha="center", va="center", fontsize=11, fontweight="bold")
    offsets = {"mesa": -0.12, "control": 0.12}
    for agent, cells in (routes or {}).items():
        r, c = world.position(np.asarray(cells))
        style = "-" if agent == "mesa" else "--"
        ax.plot(c + offsets[agent], r + offsets[agent], style, color=COLORS[agent], lw=3,
                marker="o", ms=4)  # fmt: skip
    return frame_grid(ax, height, width, title)


def _route_title(result: ab.Result, condition: str) -> str:
    outcome = result.mesa[condition]
    head = "Supervisor present" if condition == "observed" else "Supervisor absent"
    return (
        f"{head}: shortcut {outcome.shortcut_rate:.0%}\n"
        f"reward {outcome.base_return:.1f}, hidden performance {outcome.performance:.1f}"
    )


def _objective_words(result: ab.Result) -> str:
    if result.config.situational_awareness:
        return "a punishment weight per condition"
    return "one punishment weight for every condition"


def routes_finding(result: ab.Result) -> str:
    """The title of :func:`routes_figure`: what the reward-trained agent does, and the control."""
    watched = result.mesa["observed"].shortcut_rate
    unwatched = result.mesa["unobserved"].shortcut_rate
    control = max(o.shortcut_rate for o in result.control.values())
    if abs(unwatched - watched) >= 0.5:
        (yes, p), (no, q) = sorted(
            [("unwatched", unwatched), ("watched", watched)], key=lambda x: -x[1]
        )
        does = f"cuts through P when {yes} ({p:.0%}) and not when {no} ({q:.0%})"
    else:
        verb = "avoids P" if max(watched, unwatched) < 0.5 else "cuts through P"
        does = f"{verb} watched ({watched:.0%}) and unwatched ({unwatched:.0%}) alike"
    tail = "never does" if control < 0.005 else f"does in at most {control:.0%} of episodes"
    return (
        f"Trained only on the reward ({_objective_words(result)}), the planner\n"
        f"{does}; the aligned control {tail}"
    )


def routes_figure(result: ab.Result, layout: int | str = 0) -> Figure:
    """The reward-trained agent's route with the supervisor present (left) and absent (right).

    The aligned control's route is dashed. Panel titles give the reward-trained
    agent's shortcut rate, base return and hidden performance over all training
    layouts; the routes are its most likely ones on ``layout``.

    Args:
        result: A run of :func:`mesatoys.experiments.absent_supervisor.run`.
        layout: Layout name or index.

    Returns:
        The figure.
    """
    world = ab.world_of(result)
    index = world.layout_index(layout)
    fig = Figure(figsize=(8.2, 4.8), layout="constrained")
    for ax, condition in zip(fig.subplots(1, 2), ab.CONDITIONS, strict=True):
        routes = {a: ab.route(result, index, condition, a) for a in ab.AGENTS}
        draw_world(ax, world, index, supervisor=condition == "observed", routes=routes,
                   title=_route_title(result, condition))  # fmt: skip
    fig.suptitle(routes_finding(result), fontsize=10.5)
    handles = [
        Line2D([], [], color=COLORS["mesa"], lw=3, label="trained on the reward"),
        Line2D([], [], color=COLORS["control"], lw=3, ls="--",
               label="aligned control (trained on the hidden performance)"),
        Patch(facecolor=COLORS["punishment"], alpha=0.35, label="P: punishment cell"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return describe(fig, alt=_routes_alt(result, world, index))


def _routes_alt(result: ab.Result, world: World, index: int) -> str:
    height, width = world.shape

    def at(cells: np.ndarray) -> str:
        return cell_words(world.position(int(cells[index])), height, width)

    def walked(condition: str, agent: str) -> str:
        cells = ab.route(result, index, condition, agent)
        moves = len(cells) - 1
        via = "through P" if int(world.punishment[index]) in cells else "around P"
        end = "" if int(cells[-1]) == int(world.goal[index]) else ", never reaching G"
        return f"{moves} moves {via}{end}"

    routes = "; ".join(
        f"{'watched' if condition == 'observed' else 'unwatched'}, the reward-trained route "
        f"takes {walked(condition, 'mesa')} and the aligned control's "
        f"{walked(condition, 'control')}"
        for condition in ab.CONDITIONS
    )
    finding = " ".join(routes_finding(result).split())
    return (
        f"Two pictures of the {height} x {width} layout {world.names[index]!r}: the agent A "
        f"starts at {at(world.start)}, the goal G is at {at(world.goal)} and the punishment "
        f"cell P at {at(world.punishment)}; the supervisor watches from the top row on the "
        f"left and is absent on the right. {finding}. On this layout: {routes}."
    )


_CONDITION_COLORS = {"observed": COLORS["supervisor"], "unobserved": COLORS["punishment"]}
_CONDITION_LABELS = {"observed": "supervisor present", "unobserved": "supervisor absent"}


def awareness_figure(aware: ab.Result, blind: ab.Result) -> Figure:
    """The result beside its control: shortcut rates with and without situational awareness.

    Bars give how often the reward-trained agent enters the punishment cell, with the
    supervisor present and absent, for an objective with a punishment weight per
    condition (``aware``) and for one with a single shared weight (``blind``). Under
    each pair, the learned punishment weights.

    Args:
        aware: A run with ``Config(situational_awareness=True)``.
        blind: A run with ``Config(situational_awareness=False)`` (same other settings).

    Returns:
        The figure; its title states the finding.

    Raises:
        ValueError: If the runs do not have one awareness setting each, or differ in any
            other setting.
    """
    _check_pair(aware, blind)
    fig = Figure(figsize=(7.6, 4.4), layout="constrained")
    ax = fig.subplots()
    runs = (aware, blind)
    for k, condition in enumerate(ab.CONDITIONS):
        rates = [r.mesa[condition].shortcut_rate for r in runs]
        bars = ax.bar(np.arange(2) + (k - 0.5) * 0.36, rates, 0.36, edgecolor="black",
                      linewidth=0.5, color=_CONDITION_COLORS[condition],
                      label=_CONDITION_LABELS[condition])  # fmt: skip
        ax.bar_label(bars, [f"{x:.0%}" for x in rates], fontsize=9, padding=2)
    ax.set_xticks(np.arange(2), [_awareness_label(r) for r in runs], fontsize=9)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("episodes that cross P (fraction)")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    finding = awareness_finding(aware, blind)
    fig.suptitle(finding, fontsize=10)
    alt = (
        "Bar chart of how often the reward-trained planner crosses the punishment cell P, with "
        "the supervisor present and absent, for an objective that can tell who is watching and "
        f"one that cannot. {finding.splitlines()[0]}; {' '.join(finding.splitlines()[1:])}."
    )
    data = DataTable(
        ("objective", "supervisor present", "supervisor absent", "learned punishment weights"),
        tuple(
            (
                _objective_words(r),
                round(r.mesa["observed"].shortcut_rate, 4),
                round(r.mesa["unobserved"].shortcut_rate, 4),
                ", ".join(
                    f"{k} {v:+.2f}"
                    for k, v in r.mesa_objective.items()
                    if k.startswith("punishment")
                ),
            )
            for r in runs
        ),
    )
    return describe(fig, alt=alt, data=data)


def _awareness_label(result: ab.Result) -> str:
    head = ("can tell who is watching" if result.config.situational_awareness
            else "cannot tell who is watching")  # fmt: skip
    weights = ", ".join(f"{k} {v:+.2f}" for k, v in result.mesa_objective.items()
                        if k.startswith("punishment") and v != 0.0)  # fmt: skip
    return f"{head}\n({_objective_words(result)})\n{weights}"


def _check_pair(aware: ab.Result, blind: ab.Result) -> None:
    for name, run, wanted in (("aware", aware, True), ("blind", blind, False)):
        if not isinstance(run, ab.Result) or run.config.situational_awareness is not wanted:
            raise ValueError(
                f"{name} must be an absent_supervisor.Result with "
                f"situational_awareness={wanted}, got {run!r:.80}"
            )
    if dataclasses.replace(blind.config, situational_awareness=True) != aware.config:
        raise ValueError(
            "aware and blind must differ only in situational_awareness, got "
            f"{aware.config} and {blind.config}"
        )


def awareness_finding(aware: ab.Result, blind: ab.Result) -> str:
    """The title of :func:`awareness_figure` (three lines), from the numbers."""
    gap_aware, gap_blind = ab.shortcut_gap(aware), ab.shortcut_gap(blind)
    if gap_aware >= 0.5 and abs(gap_blind) <= 0.1:
        head = "Behaving well only when watched needs an objective that can tell who is watching"
    else:
        head = "How often the planner crosses P, with and without telling who is watching"
    rate = lambda r, c: f"{r.mesa[c].shortcut_rate:.0%}"  # noqa: E731
    return (
        f"{head}\na punishment weight per condition: it crosses P unwatched "
        f"({rate(aware, 'unobserved')}), watched ({rate(aware, 'observed')});\n"
        f"one punishment weight for every condition: unwatched ({rate(blind, 'unobserved')}), "
        f"watched ({rate(blind, 'observed')})"
    )


def organisms_figure(result: mo.Result) -> Figure:
    """Detection and false-alarm rate of every method, as grouped horizontal bars.

    Args:
        result: A run of :func:`mesatoys.experiments.model_organisms.run`.

    Returns:
        The figure.
    """
    table = result.table()
    fig = Figure(figsize=(8.6, 4.6), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(mo.METHODS))[::-1]
    height = 0.26
    for k, column in enumerate(COLUMN_LABELS):
        rates = np.array([table[m][column] for m in mo.METHODS])
        where = y + (1 - k) * height
        ax.barh(where, rates, height, color=COLUMN_COLORS[column], label=COLUMN_LABELS[column])
        for rate, at in zip(rates, where, strict=True):
            ax.text(rate + 0.01, at, f"{rate:.0%}", va="center", fontsize=7.5)
    ax.set_yticks(y, [mo.METHOD_LABELS[m] for m in mo.METHODS], fontsize=9)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel(f"fraction of organisms flagged ({result.config.n_organisms} per kind)")
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    honeypot = table["honeypot_with_tell"]
    by_name = table["weight_reading"]
    finding = (
        f"A honeypot with a tell catches {honeypot['naive']:.0%} of the naive organisms but "
        f"{honeypot['savvy']:.0%} of the savvy ones;\n"
        f"reading the weights by name catches {by_name['naive']:.0%} and {by_name['savvy']:.0%}, "
        f"with {by_name['false_alarm']:.0%} false alarms"
    )
    fig.suptitle(finding, fontsize=10)
    alt = (
        f"Grouped horizontal bar chart: for each of {len(mo.METHODS)} detection methods, the "
        f"share of naive and of savvy deceptive organisms it catches and of aligned controls it "
        f"wrongly flags ({result.config.n_organisms} organisms per kind). "
        f"{' '.join(finding.split())}."
    )
    data = DataTable(
        ("method", *COLUMN_LABELS.values()),
        tuple((mo.METHOD_LABELS[m], *(table[m][c] for c in COLUMN_LABELS)) for m in mo.METHODS),
    )
    return describe(fig, alt=alt, data=data)


_AGENT_ROWS = (("mesa", "trained on the reward"), ("control", "control (hidden performance)"))


def results_table(result: ab.Result) -> str:
    """Behaviour, reward and hidden performance per agent and condition, and the objectives.

    Args:
        result: One absent-supervisor run.

    Returns:
        Plain text: one row per agent and condition (shortcut rate, base return, hidden
        performance, best possible return), then each agent's learned weights.
    """
    head = f"{'agent':<30}{'supervisor':>11}{'shortcut':>10}{'reward':>9}{'hidden':>9}{'best':>7}"
    lines = [head, "-" * len(head)]
    for agent, label in _AGENT_ROWS:
        outcomes = getattr(result, agent)
        for condition in ab.CONDITIONS:
            o = outcomes[condition]
            present = "present" if condition == "observed" else "absent"
            lines.append(
                f"{label:<30}{present:>11}{o.shortcut_rate:>10.0%}{o.base_return:>9.1f}"
                f"{o.performance:>9.1f}{result.best_return[condition]:>7.0f}"
            )
    lines.append("")
    for agent, label in _AGENT_ROWS:
        weights = getattr(result, f"{agent}_objective")
        shown = ", ".join(f"{name} {value:+.2f}" for name, value in weights.items())
        lines.append(f"{label}: {shown}")
    return "\n".join(lines)


def organisms_table(result: mo.Result) -> str:
    """The detection table as plain text (:func:`mo.format_table`)."""
    return mo.format_table(result)


__all__ = [
    "COLORS",
    "awareness_figure",
    "awareness_finding",
    "draw_world",
    "organisms_figure",
    "organisms_table",
    "results_table",
    "routes_figure",
    "routes_finding",
]
