"""Figures and the explorer of the deceptive-alignment (05) and defenses (06) notebooks.

- :func:`draw_training`: over training rounds, the training misbehaviour rate and the
  share of deceptive agents among survivors, then deployment misbehaviour.
- :func:`training_figure`: that picture, and who survives training, for one run.
- :func:`curves_figure`: when deception survives selection: the deceptive share and
  deployment misbehaviour against the number of training rounds (for several
  recognition accuracies) and against recognition accuracy.
- :func:`honeypot_figure`: share of deceptive agents a honeypot evaluation finds, by
  the number of honeypots, for several distinguishabilities.
- :class:`DeceptionExplorer`: sliders for awareness, training rounds and oversight.

The toys are :mod:`mesatoys.experiments.deception` and
:mod:`mesatoys.experiments.honeypots` (after Hubinger et al. 2019, "Risks from Learned
Optimization in Advanced Machine Learning Systems", section 4). Every figure is a
plain :class:`matplotlib.figure.Figure`; the explorer imports ipywidgets only when
built and has a plain-text fallback.

Example:
    >>> from mesatoys.experiments import deception as dc
    >>> fig = training_figure(dc.run(dc.Config(), seed=0))
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mesatoys.checks import check_count, check_seed
from mesatoys.display import (
    BlitRenderer,
    DataTable,
    ShowsWidget,
    SyncsControls,
    describe,
    render_png,
)
from mesatoys.experiments import deception as dc
from mesatoys.experiments import honeypots as hp
from mesatoys.viz.palette import OKABE_ITO
from mesatoys.viz.picture import Picture, spread

#: Colour of each kind of agent, and of misbehaviour, in every figure of this toy.
COLORS = {
    "aligned": OKABE_ITO["bluish_green"],
    "unaware": OKABE_ITO["orange"],
    "deceptive": OKABE_ITO["reddish_purple"],
    "misbehaviour": OKABE_ITO["vermillion"],
    "slips": "#7A7A7A",
}
#: Line colours of the honeypot curves, from indistinguishable to obvious honeypots.
CURVE_COLORS = (
    OKABE_ITO["blue"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["black"],
)


def pct(x: float) -> str:
    """``0.465 -> '47%'``, ``0.0286 -> '2.9%'``, ``0.02 -> '2%'``, NaN -> ``'n/a'``."""
    if np.isnan(x):
        return "n/a"
    return f"{x:.0%}" if x >= 0.095 or x == 0 else f"{x:.1%}".replace(".0%", "%")


def _change(before: float, after: float) -> str:
    """``'rises from 45% to 74%'``, ``'falls from ...'`` or ``'stays at ...'``."""
    if pct(before) == pct(after):
        return f"stays at {pct(after)}"
    verb = "rises" if after > before else "falls"
    return f"{verb} from {pct(before)} to {pct(after)}"


def finding(result: dc.Result) -> str:
    """One sentence (two lines) that states what the run shows."""
    deceptive = np.concatenate([[result.initial_shares[dc.DECEPTIVE]], result.deceptive_share])
    m0, m1 = result.train_misbehaviour[0], result.train_misbehaviour[-1]
    slips = pct(result.config.slip_rate)
    peak = deceptive.max()
    peaked = (
        f" (peak {pct(peak)})" if pct(peak) not in {pct(deceptive[0]), pct(deceptive[-1])} else ""
    )
    return (
        f"In training, misbehaviour {_change(m0, m1)} (honest slips: {slips}),"
        f"\nwhile the deceptive share of survivors {_change(deceptive[0], deceptive[-1])}{peaked}; "
        f"in deployment {pct(result.deployment_misbehaviour)} of episodes go badly"
    )


# --- training -----------------------------------------------------------------------------------


class TrainingPlot:
    """Training misbehaviour and the deceptive share per round, then deployment, on one axes.

    The artists are made once; :meth:`update` moves them to a new run (which is what
    keeps the explorer's redraw fast). Round 0 is the starting population; the last
    point, right of the dashed line, is the misbehaviour rate in deployment.

    Args:
        ax: Axes to draw on (cleared first).
        legend_columns: Columns of the legend under the axes.
    """

    def __init__(self, ax: Axes, legend_columns: int = 3):
        self.ax = ax
        self.legend_columns = check_count("legend_columns", legend_columns)
        ax.clear()
        line = {"lw": 2.2, "ms": 3.5}
        self.slips = ax.axhline(0.0, color=COLORS["slips"], ls=":", lw=1.2)
        self.deceptive = ax.plot([], [], color=COLORS["deceptive"], marker="o", **line,
                                 label="deceptive share of survivors")[0]  # fmt: skip
        self.aligned = ax.plot([], [], color=COLORS["aligned"], lw=1.5, ls="--",
                               label="aligned share of survivors")[0]  # fmt: skip
        self.training = ax.plot([], [], color=COLORS["misbehaviour"], marker="o", **line,
                                label="training misbehaviour (share of episodes)")[0]  # fmt: skip
        self.divider = ax.axvline(0.0, color="black", ls="--", lw=0.8)
        self.deployment = ax.plot([], [], marker="*", ms=16, ls="", color=COLORS["misbehaviour"],
                                  mec="black", clip_on=False,
                                  label="deployment misbehaviour")[0]  # fmt: skip
        self.label = ax.annotate("", (0, 0), xytext=(0, 9), textcoords="offset points",
                                 ha="center", fontsize=9)  # fmt: skip
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("training round")
        ax.set_ylabel("share (of episodes, or of survivors)")
        self._slip_rate: float | None = None

    @property
    def moving(self) -> list[Artist]:
        """The artists :meth:`update` changes (everything else stays as drawn)."""
        ax = self.ax
        return [self.deceptive, self.aligned, self.training, self.deployment, self.label,
                self.divider, ax.xaxis, ax.title]  # fmt: skip

    def update(self, result: dc.Result) -> Axes:
        """Show one run of :func:`mesatoys.experiments.deception.run`; returns the axes."""
        rounds = result.config.training_rounds
        start = result.initial_shares
        self.deceptive.set_data(
            np.arange(rounds + 1), np.concatenate([[start[dc.DECEPTIVE]], result.deceptive_share])
        )
        aligned = result.survivor_shares[:, dc.ALIGNED]
        self.aligned.set_data(np.arange(rounds + 1), np.concatenate([[start[dc.ALIGNED]], aligned]))
        self.training.set_data(np.arange(1, rounds + 1), result.train_misbehaviour)
        marker = "o" if rounds <= 30 else "None"
        self.deceptive.set_marker(marker)
        self.training.set_marker(marker)
        deploy_x = rounds + max(1.5, rounds / 12)
        self.divider.set_xdata([(rounds + deploy_x) / 2] * 2)
        self.deployment.set_data([deploy_x], [result.deployment_misbehaviour])
        self.label.xy = (deploy_x, result.deployment_misbehaviour)
        self.label.set_text(pct(result.deployment_misbehaviour))
        ticks = [t for t in MaxNLocator(6, integer=True).tick_values(0, rounds) if 0 <= t <= rounds]
        self.ax.set_xticks([*ticks, deploy_x], [f"{t:g}" for t in ticks] + ["deploy"])
        self.ax.set_xlim(-0.5, deploy_x + max(1.0, rounds / 25))
        self._show_slip_rate(result.config.slip_rate)
        return self.ax

    def _show_slip_rate(self, slip_rate: float) -> None:
        self.slips.set_ydata([slip_rate] * 2)
        if slip_rate != self._slip_rate:  # the legend names it: rebuild only when it changes
            self.slips.set_label(f"honest slip rate ({pct(slip_rate)})")
            handles = [self.slips, self.deceptive, self.aligned, self.training, self.deployment]
            self.ax.legend(handles=handles, fontsize=8, frameon=False, ncol=self.legend_columns,
                           loc="upper center", bbox_to_anchor=(0.5, -0.14))  # fmt: skip
            self._slip_rate = slip_rate


def draw_training(ax: Axes, result: dc.Result) -> Axes:
    """Training misbehaviour and the deceptive share per round, then deployment.

    Round 0 is the starting population. The last point, right of the dashed line, is
    the misbehaviour rate in deployment.

    Args:
        ax: Axes to draw on (cleared first).
        result: A run of :func:`mesatoys.experiments.deception.run`.

    Returns:
        ``ax``.
    """
    return TrainingPlot(ax).update(result)


def draw_survivors(ax: Axes, result: dc.Result) -> Axes:
    """Stacked shares of the three kinds among each round's survivors (round 0: the start)."""
    ax.clear()
    shares = np.vstack([result.initial_shares, result.survivor_shares])
    rounds = np.arange(len(shares))
    ax.stackplot(
        rounds, shares.T, colors=[COLORS[t] for t in dc.TYPES],
        labels=[dc.TYPE_LABELS[t] for t in dc.TYPES], alpha=0.9,
    )  # fmt: skip
    ax.set_xlim(0, rounds[-1])
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    ax.set_ylim(0, 1)
    ax.set_xlabel("training round")
    ax.set_ylabel("share of survivors")
    ax.set_title("Who survives training", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    return ax


def training_figure(result: dc.Result) -> Figure:
    """One run: misbehaviour and the deceptive share per round (left), who survives (right).

    Args:
        result: A run of :func:`mesatoys.experiments.deception.run`.

    Returns:
        The figure; its title states the finding.
    """
    fig = Figure(figsize=(11.5, 5.0), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.4, 1.0))
    TrainingPlot(left, legend_columns=2).update(result)
    left.set_title("What oversight sees, and what deployment shows", fontsize=10)
    draw_survivors(right, result)
    fig.suptitle(finding(result), fontsize=10.5)
    alt = (
        f"Two charts of one run of {result.config.n_agents} agents over "
        f"{result.config.training_rounds} training rounds: left, {_TRAINING_PLOT_WORDS}; right, "
        f"the stacked shares of aligned, unaware and deceptive agents among the survivors. "
        f"{_sentence(finding(result))}"
    )
    return describe(fig, alt=alt, data=_run_data(result))


_TRAINING_PLOT_WORDS = (
    "per round the share of training episodes that misbehave and the deceptive and aligned "
    "shares of the survivors, then the share of deployment episodes that misbehave"
)


def _sentence(text: str) -> str:
    """A finding written on lines for a title, as one sentence."""
    return " ".join(text.split()).rstrip(".;") + "."


def _run_data(result: dc.Result) -> DataTable:
    """Per round (every 1st, 2nd, 5th, 10th... of them), the shares the run's figure draws."""
    shares = np.vstack([result.initial_shares, result.survivor_shares])
    rows = [
        (
            "start" if r == 0 else r,
            "" if r == 0 else float(result.train_misbehaviour[r - 1]),
            *(float(shares[r, k]) for k in (dc.DECEPTIVE, dc.ALIGNED, dc.TYPES.index("unaware"))),
        )
        for r in spread(len(shares), most=29)
    ]
    rows.append(("deployment", float(result.deployment_misbehaviour), "", "", ""))
    return DataTable(
        ("round", "training misbehaviour", "deceptive share of survivors",
         "aligned share of survivors", "unaware share of survivors"),
        tuple(rows),
    )  # fmt: skip


# --- when deception survives selection ---------------------------------------------------------

_CURVE_LINES = {
    "deceptive_share": ("deceptive share of survivors", COLORS["deceptive"]),
    "deployment_misbehaviour": ("deployment misbehaviour (expected)", COLORS["misbehaviour"]),
    "training_misbehaviour": ("training misbehaviour, last round", COLORS["slips"]),
}
_DASHES = ("-", "--", ":", "-.")


def _draw_curve(ax: Axes, curve: dc.Curve, measure: str, style: str, label: str) -> None:
    """The mean over the seeds as a line, the range (min to max) as a band."""
    stats = curve.summary()[measure]
    color = _CURVE_LINES[measure][1]
    width = 3.2 if measure == "deployment_misbehaviour" else 1.6  # the two often overlap
    ax.plot(curve.values, stats["mean"], style, color=color, lw=width, label=label,
            alpha=0.75 if measure == "deployment_misbehaviour" else 1.0, ms=4)  # fmt: skip
    ax.fill_between(curve.values, stats["min"], stats["max"], color=color, alpha=0.12, lw=0)


def curves_figure(rounds: dc.Curve | list[dc.Curve], recognition: dc.Curve) -> Figure:
    """When selection on training behaviour removes deception, and when it does not.

    Left: the deceptive share of survivors and the expected deployment misbehaviour
    against the number of training rounds, one line style per recognition accuracy
    (from :func:`~mesatoys.experiments.deception.rounds_curve`), and the training
    misbehaviour of the first curve. Right: the same after the configured rounds, against
    recognition accuracy (from :func:`~mesatoys.experiments.deception.recognition_curve`).
    Lines are means over the seeds; bands run from the lowest to the highest seed.

    Args:
        rounds: One or more curves over ``training_rounds`` (e.g. recognition 0.99 and 1).
        recognition: A curve over ``recognition``.

    Returns:
        The figure; its title states the finding.

    Raises:
        ValueError: If a curve is over the wrong setting.
    """
    rounds = [rounds] if isinstance(rounds, dc.Curve) else list(rounds)
    _check_curves(rounds, recognition)
    fig = Figure(figsize=(11.5, 5.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.4, 1.0))
    for curve, style in zip(rounds, _DASHES, strict=False):
        for measure in ("deployment_misbehaviour", "deceptive_share"):
            label = f"{_CURVE_LINES[measure][0]}, recognition {curve.config.recognition:g}"
            _draw_curve(left, curve, measure, style, label)
    _draw_curve(left, rounds[0], "training_misbehaviour", ":",
                f"{_CURVE_LINES['training_misbehaviour'][0]}, recognition "
                f"{rounds[0].config.recognition:g}")  # fmt: skip
    default = rounds[0].config.training_rounds
    left.axvline(default, color="black", lw=0.8, ls="--")
    left.annotate(f"{default} rounds\n(the run above)", (default, 0.5), xytext=(4, 0),
                  textcoords="offset points", fontsize=8)  # fmt: skip
    left.set(xlim=(0, rounds[0].values[-1]), ylim=(0, 1.02), xlabel="training rounds",
             ylabel="share (of survivors, or of episodes)")  # fmt: skip
    left.set_title("Longer training", fontsize=10)
    left.legend(fontsize=7.5, frameon=False, loc="center right")
    for measure in ("deployment_misbehaviour", "deceptive_share", "training_misbehaviour"):
        _draw_curve(right, recognition, measure, "-o", _CURVE_LINES[measure][0])
    right.set(ylim=(0, 1.02), xlabel="recognition (chance of knowing a training episode)",
              ylabel="share (of survivors, or of episodes)")  # fmt: skip
    right.set_title(
        f"Deceptive agents that recognise training better, "
        f"{recognition.config.training_rounds} rounds",
        fontsize=10,
    )
    right.legend(fontsize=7.5, frameon=False, loc="upper left")
    said = curves_finding(rounds, recognition)
    fig.suptitle(said, fontsize=10)
    seeds = len(rounds[0].seeds)
    alt = (
        f"Two line charts of means over {seeds} seed{'s' if seeds != 1 else ''}: left, the "
        f"deceptive share of survivors and the expected deployment misbehaviour against training "
        f"rounds ({rounds[0].values[0]} to {rounds[0].values[-1]}) at recognition "
        f"{' and '.join(f'{c.config.recognition:g}' for c in rounds)}; right, the same after "
        f"{recognition.config.training_rounds} rounds against recognition "
        f"({recognition.values[0]:g} to {recognition.values[-1]:g}). {_sentence(said)}"
    )
    return describe(fig, alt=alt, data=_curves_data(rounds, recognition))


def _curves_data(rounds: list[dc.Curve], recognition: dc.Curve) -> DataTable:
    measures = ("deceptive_share", "deployment_misbehaviour", "training_misbehaviour")
    most = max(2, (30 - len(recognition.values)) // len(rounds))
    rows = []
    for curve, shown in [(c, spread(len(c.values), most)) for c in rounds] + [
        (recognition, list(range(len(recognition.values))))
    ]:
        means = curve.summary()
        setting = (
            f"training rounds, recognition {curve.config.recognition:g}"
            if curve.setting == "training_rounds"
            else f"recognition, {curve.config.training_rounds} rounds"
        )
        rows += [
            (setting, float(curve.values[i]), *(float(means[m]["mean"][i]) for m in measures))
            for i in shown
        ]
    return DataTable(
        ("curve", "value", *(f"{_CURVE_LINES[m][0]}, mean over seeds" for m in measures)),
        tuple(rows),
    )


def _check_curves(rounds: list[dc.Curve], recognition: dc.Curve) -> None:
    if not rounds or any(
        not isinstance(c, dc.Curve) or c.setting != "training_rounds" for c in rounds
    ):
        raise ValueError("rounds must be one or more curves over training_rounds")
    if not isinstance(recognition, dc.Curve) or recognition.setting != "recognition":
        raise ValueError(f"recognition must be a curve over recognition, got {recognition!r:.80}")


def curves_finding(rounds: list[dc.Curve], recognition: dc.Curve) -> str:
    """The title of :func:`curves_figure` (three lines), from the curves' means."""
    base, last = rounds[0], rounds[-1]
    start = base.config.training_rounds
    gone = base.first_below("deceptive_share", 0.1)
    shares = base.summary()["deceptive_share"]["mean"]
    line = (
        f"at recognition {base.config.recognition:g} the deceptive share is "
        f"{pct(shares[start - 1])} after {start} rounds"
    )
    line += (
        f" and under 10% after {gone:.0f}"
        if not np.isnan(gone)
        else f" and still {pct(shares[-1])} after {base.values[-1]}"
    )
    if last is not base:
        share = last.summary()["deceptive_share"]["mean"][-1]
        line += (
            f"; at recognition {last.config.recognition:g}, {pct(share)} after {last.values[-1]}"
        )
    cleared = recognition.values[recognition.summary()["deceptive_share"]["mean"] < 0.1]
    tail = f"after {recognition.config.training_rounds} rounds it is under 10% " + (
        f"only when recognition is {cleared.max():g} or less"
        if len(cleared)
        else "at no recognition shown"
    )
    return (
        "Selection removes deceptive agents only through their mistakes in training:\n"
        f"{line};\n{tail}"
    )


# --- honeypots ----------------------------------------------------------------------------------


def honeypot_figure(curves: hp.PowerCurves) -> Figure:
    """Share of deceptive agents flagged, by the number of honeypots and their distinguishability.

    Args:
        curves: From :func:`mesatoys.experiments.honeypots.power_curves`.

    Returns:
        The figure; a dashed line shows the false alarms (aligned agents flagged for
        honest slips), averaged over the curves.
    """
    fig = Figure(figsize=(9.0, 4.6), layout="constrained")
    ax = fig.subplots()
    ns = curves.n_honeypots
    for i, d in enumerate(curves.distinguishability):
        ax.plot(ns, curves.detection_rate[i], marker="o", lw=2, ms=4,
                color=CURVE_COLORS[i % len(CURVE_COLORS)],
                label=f"distinguishability {d:g}")  # fmt: skip
    false_alarm = np.nanmean(curves.false_alarm_rate, axis=0)
    ax.plot(ns, false_alarm, ls="--", color=COLORS["slips"], lw=1.6,
            label="false alarms: aligned agents flagged")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("honeypots per agent (log scale)")
    ax.set_ylabel("share of agents flagged\n(solid: deceptive; dashed: aligned)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    said = _honeypot_finding(curves)
    fig.suptitle(said, fontsize=10)
    alt = (
        f"Line chart of the share of deceptive agents flagged against the number of honeypots "
        f"per agent ({ns[0]} to {ns[-1]}, log scale), one line per distinguishability "
        f"({', '.join(f'{d:g}' for d in curves.distinguishability)}), and a dashed line for "
        f"the aligned agents flagged for honest slips. {_sentence(said)}"
    )
    data = DataTable(
        ("honeypots per agent",
         *(f"deceptive flagged, distinguishability {d:g}" for d in curves.distinguishability),
         "aligned flagged (false alarms)"),
        tuple(
            (int(n), *(float(x) for x in curves.detection_rate[:, k]), float(false_alarm[k]))
            for k, n in enumerate(ns)
        ),
    )  # fmt: skip
    return describe(fig, alt=alt, data=data)


def _honeypot_finding(curves: hp.PowerCurves) -> str:
    n, det = curves.n_honeypots, curves.detection_rate
    hidden = int(np.argmin(curves.distinguishability))
    obvious = int(np.argmax(curves.distinguishability))
    d_lo, d_hi = curves.distinguishability[hidden], curves.distinguishability[obvious]
    false_alarm = float(np.nanmean(curves.false_alarm_rate[:, -1]))
    return (
        f"With {n[-1]} honeypots per agent, {pct(det[hidden, -1])} of deceptive agents are "
        f"caught if honeypots look like deployment (d = {d_lo:g});\nif they are easy to spot "
        f"(d = {d_hi:g}), {pct(det[obvious, -1])}: no better than the {pct(false_alarm)} "
        "of aligned agents flagged for honest slips"
    )


# --- the explorer -------------------------------------------------------------------------------

_SLIDERS = ("awareness_rate", "training_rounds", "oversight")
_LABELS = {
    "awareness_rate": "awareness rate",
    "training_rounds": "training rounds",
    "oversight": "oversight",
}


class DeceptionExplorer(SyncsControls, ShowsWidget):
    """Turn awareness, training length and oversight; see what training selects.

    Each redraw runs the whole simulation (a few milliseconds) and renders one figure.
    Settings that cannot run (oversight 0) leave the last picture in place and show
    why, in words, above it.

    Args:
        config: The other settings (default :class:`~mesatoys.experiments.deception.Config`).
        seed: Seed of every run.
        max_rounds: Most training rounds the slider offers (default 200: far enough for
            selection to remove most deceptive agents at the default recognition).

    Attributes:
        widget: The ipywidgets container to display.
        figure: The figure (:meth:`png` renders it for the widget).
        picture: The figure as the widget shows it (its PNG bytes and their text
            alternative), or None until the widget is built.
        result: The run shown.
        message: Why the last settings asked for could not run, or None.
        redraws: How many times the figure has been redrawn.
    """

    def __init__(self, config: dc.Config | None = None, seed: int = 0, max_rounds: int = 200):
        self.config = dc.Config() if config is None else config
        if not isinstance(self.config, dc.Config):
            raise ValueError(f"config must be a deception.Config, got {config!r}")
        self.seed = check_seed(seed)
        self.max_rounds = check_count("max_rounds", max_rounds)
        if self.config.training_rounds > self.max_rounds:
            raise ValueError(
                f"max_rounds must be at least config.training_rounds "
                f"({self.config.training_rounds}), got {max_rounds}"
            )
        self.message: str | None = None
        self.redraws = 0
        self.picture: Picture | None = None
        self.figure = Figure(figsize=(8.4, 4.6), dpi=80)
        self._ax = self.figure.add_axes((0.075, 0.22, 0.91, 0.66))
        self._plot = TrainingPlot(self._ax)
        self._renderer = BlitRenderer(self.figure, lambda: self._plot.moving)
        self._redraw()

    @property
    def settings(self) -> dict[str, float | int]:
        """The slider settings of the run shown."""
        return {name: getattr(self.config, name) for name in _SLIDERS}

    def set(
        self,
        awareness_rate: float | None = None,
        training_rounds: int | None = None,
        oversight: float | None = None,
    ) -> None:
        """Change any of the settings, then run and redraw once.

        Raises:
            ValueError: Naming the setting and what is allowed; nothing changes.
        """
        asked = {"awareness_rate": awareness_rate, "training_rounds": training_rounds,
                 "oversight": oversight}  # fmt: skip
        changes = {k: v for k, v in asked.items() if v is not None}
        rounds = changes.get("training_rounds", self.config.training_rounds)
        if isinstance(rounds, (int, np.integer)) and rounds > self.max_rounds:
            raise ValueError(f"training_rounds must be at most {self.max_rounds}, got {rounds}")
        self.config = dataclasses.replace(self.config, **changes)
        self.message = None
        self._sync_widgets()
        self._redraw()

    def _redraw(self) -> None:
        self.result = dc.run(self.config, self.seed)
        self._plot.update(self.result)
        self._ax.set_title(finding(self.result), fontsize=9)
        if self.picture is not None:
            self.picture.show(self.png(), self._alt())
            self._message.value = ""
        self.redraws += 1

    def _alt(self) -> str:
        """What the figure shows, with its numbers (the picture's text alternative)."""
        shown = ", ".join(f"{_LABELS[k]} {v:g}" for k, v in self.settings.items())
        said = _sentence(finding(self.result))
        return f"Chart of one run at {shown}: {_TRAINING_PLOT_WORDS}. {said}"

    def png(self) -> bytes:
        """The figure as PNG bytes, fast: only what a new run changes is drawn again.

        The first call draws the unchanging parts (frame, y axis, legend) once and keeps
        the pixels; every call pastes them back and draws the moving artists over them
        (about a third of the cost of a full render).
        """
        return self._renderer.render()

    def _build_widget(self):
        import ipywidgets as w

        common = {"continuous_update": False, "style": {"description_width": "120px"},
                  "layout": w.Layout(width="420px")}  # fmt: skip
        self._controls = {
            "awareness_rate": w.FloatSlider(min=0.0, max=1.0, step=0.05, readout_format=".2f",
                                            description=_LABELS["awareness_rate"], **common),
            "training_rounds": w.IntSlider(min=1, max=self.max_rounds, step=1,
                                           description=_LABELS["training_rounds"], **common),
            "oversight": w.FloatSlider(min=0.05, max=1.0, step=0.05, readout_format=".2f",
                                       description=_LABELS["oversight"], **common),
        }  # fmt: skip
        self._message = w.HTML("")
        self.picture = Picture()
        self.picture.show(self.png(), self._alt())
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        help_text = w.HTML(
            "<small>Tab to a slider, then use the arrow keys. Each change reruns the whole "
            "population: draw, train, deploy.</small>"
        )
        return w.VBox([help_text, *self._controls.values(), self._message, self.picture.widget])

    def _sync_widgets(self) -> None:
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            for name in _SLIDERS:
                self._controls[name].value = getattr(self.config, name)

    def _on_widget(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        values = {name: control.value for name, control in self._controls.items()}
        try:
            self.set(**values)
        except ValueError as error:
            self._show_problem(str(error))

    def _show_problem(self, problem: str) -> None:
        shown = ", ".join(f"{_LABELS[k]} {v:g}" for k, v in self.settings.items())
        self.message = f"These settings cannot run. {problem} The figure still shows {shown}."
        self._message.value = (
            '<div role="alert" style="border-left:4px solid #D55E00;padding:0.3em 0.6em">'
            f"{html.escape(self.message)}</div>"
        )

    def text_summary(self) -> str:
        """The current view in plain text (a fallback for front ends without widgets)."""
        res, settings = self.result, self.settings
        lines = [
            "Deception explorer: " + ", ".join(f"{_LABELS[k]} {v:g}" for k, v in settings.items()),
            finding(res).replace("\n", " "),
            f"{'round':>6}{'training misbehaviour':>24}{'deceptive share':>18}"
            f"{'aligned share':>16}",
            f"{'start':>6}{'':>24}{pct(res.initial_shares[dc.DECEPTIVE]):>18}"
            f"{pct(res.initial_shares[dc.ALIGNED]):>16}",
        ]
        rounds = res.config.training_rounds
        step = next((s for s in (5, 10, 20, 25, 50, 100) if rounds / s <= 12), 250)
        shown = sorted(
            {1, 2, 3, *range(step, rounds + 1, step), rounds} & set(range(1, rounds + 1))
        )
        for r in shown:
            lines.append(
                f"{r:>6}{pct(res.train_misbehaviour[r - 1]):>24}"
                f"{pct(res.deceptive_share[r - 1]):>18}"
                f"{pct(res.survivor_shares[r - 1, dc.ALIGNED]):>16}"
            )
        lines.append(f"Deployment: {pct(res.deployment_misbehaviour)} of episodes misbehave.")
        if self.message:
            lines.insert(0, self.message)
        return "\n".join(lines)


__all__ = [
    "COLORS",
    "DeceptionExplorer",
    "curves_figure",
    "curves_finding",
    "draw_survivors",
    "TrainingPlot",
    "draw_training",
    "finding",
    "honeypot_figure",
    "pct",
    "render_png",
    "training_figure",
]
