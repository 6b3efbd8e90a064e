"""Figures and an explorer of the AI-control game (notebook 06, defenses).

After Greenblatt, Shlegeris, Sachan and Roger 2024, "AI Control: Improving Safety
Despite Intentional Subversion" (arXiv:2312.06942); the simulation is
:mod:`mesatoys.experiments.ai_control`.

- :func:`frontier_figure`: worst-case safety against usefulness for every protocol,
  with the frontier that deferring more tasks to the trusted model traces.
- :func:`attack_rate_figure`: safety against the untrusted model's attack rate for
  every protocol, with the red team's best response marked.
- :class:`ControlExplorer`: sliders for the audit budget, the attack rate (or the red
  team's best), the monitor's quality and the deferral; redraws both panels.

Every figure is a plain :class:`matplotlib.figure.Figure` in the Okabe-Ito palette.

Example:
    >>> from mesatoys.experiments import ai_control as ac
    >>> fig = attack_rate_figure(ac.run(ac.Config(n_deployments=300), seed=0))
    >>> len(fig.axes)
    1
"""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from mesatoys.checks import check_seed
from mesatoys.display import (
    BlitRenderer,
    DataTable,
    ShowsWidget,
    SyncsControls,
    describe,
    slider_look,
)
from mesatoys.experiments import ai_control as ac
from mesatoys.viz.palette import OKABE_ITO
from mesatoys.viz.picture import Picture, spread

#: Colour of each protocol in every figure of the toy (Okabe-Ito).
PROTOCOL_COLORS = {
    "upfront_auditing": OKABE_ITO["orange"],
    "trusted_monitoring": OKABE_ITO["blue"],
    "defer_to_trusted": OKABE_ITO["bluish_green"],
}
PROTOCOL_MARKERS = {"upfront_auditing": "s", "trusted_monitoring": "o", "defer_to_trusted": "D"}
TRUSTED_ONLY_COLOR = OKABE_ITO["black"]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.1 or x == 0 else f"{100 * x:.2g}%"


# --- safety against usefulness ------------------------------------------------------------------


def draw_frontier(ax: Axes, frontier: ac.Frontier, marked: dict | None = None) -> Axes:
    """Draw worst-case safety against usefulness on ``ax`` (cleared first).

    Args:
        ax: The axes.
        frontier: From :func:`mesatoys.experiments.ai_control.frontier`.
        marked: ``{protocol: (usefulness, safety)}`` to mark instead of ``frontier.points``
            (e.g. safety at a fixed attack rate).

    Returns:
        ``ax``.
    """
    ax.clear()
    ax.plot(
        frontier.usefulness, frontier.safety, "-", color=PROTOCOL_COLORS["defer_to_trusted"],
        lw=1.5, alpha=0.7, label="defer to trusted, more and more tasks",
    )  # fmt: skip
    for u, s, f in zip(frontier.usefulness, frontier.safety, frontier.defer_fractions, strict=True):
        ax.annotate(f"{_pct(f)}", (u, s), xytext=(-4, 4), textcoords="offset points",
                    ha="right", fontsize=7, color="#444444")  # fmt: skip
    points = frontier.points if marked is None else marked
    for protocol, (u, s) in points.items():
        ax.plot(
            u, s, PROTOCOL_MARKERS[protocol], ms=9, mfc=PROTOCOL_COLORS[protocol], mec="black",
            ls="none", label=ac.PROTOCOL_LABELS[protocol],
        )  # fmt: skip
    ax.plot(0, 1, "*", ms=12, color=TRUSTED_ONLY_COLOR, ls="none", label="T alone (never attacks)")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("usefulness (0 = T's score, 1 = U's score)")
    ax.set_ylabel("safety: P(no working backdoor submitted)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="lower left", frameon=False)
    return ax


def frontier_title(frontier: ac.Frontier) -> str:
    """The finding of a frontier, in one or two lines."""
    c = frontier.config
    up, tm, dtt = (frontier.points[p] for p in ac.PROTOCOLS)
    return (
        f"Audit budget {_pct(c.audit_budget)}: trusted monitoring is {_pct(tm[1])} safe, "
        f"upfront auditing {_pct(up[1])};\ndeferring {_pct(c.defer_fraction)} of tasks to T "
        f"raises safety to {_pct(dtt[1])} for {_pct(1 - dtt[0])} less usefulness"
    )


def frontier_figure(frontier: ac.Frontier) -> Figure:
    """Worst-case safety against usefulness, per protocol.

    Each point is the safety against the red team's best attack rate (Monte Carlo over
    ``frontier.config.n_deployments`` deployments). The line is defer-to-trusted as it
    hands more tasks to T (labels: the fraction deferred); it starts at trusted
    monitoring (nothing deferred) and ends near T alone.

    Args:
        frontier: From :func:`mesatoys.experiments.ai_control.frontier`.

    Returns:
        The figure.
    """
    if not isinstance(frontier, ac.Frontier):
        raise TypeError(f"frontier must be an ai_control.Frontier, got {type(frontier).__name__}")
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = draw_frontier(fig.subplots(), frontier)
    title = frontier_title(frontier)
    ax.set_title(title, fontsize=9.5)
    fractions = frontier.defer_fractions
    alt = (
        f"Scatter plot of worst-case safety against usefulness for "
        f"{_listed(ac.PROTOCOL_LABELS[p] for p in ac.PROTOCOLS)}, and a line through defer to "
        f"trusted handing {_pct(fractions.min())} to {_pct(fractions.max())} of tasks to the "
        f"trusted model T ({frontier.config.n_deployments} simulated deployments). "
        f"{' '.join(title.split())}."
    )
    rows = [
        (ac.PROTOCOL_LABELS[p], frontier.config.defer_fraction if p == "defer_to_trusted" else 0.0,
         u, s)
        for p, (u, s) in frontier.points.items()
    ] + [
        ("defer to trusted (the line)", float(f), float(u), float(s))
        for f, u, s in zip(fractions, frontier.usefulness, frontier.safety, strict=True)
    ]  # fmt: skip
    data = DataTable(("protocol", "tasks deferred to T", "usefulness", "worst-case safety"),
                     tuple(rows))  # fmt: skip
    return describe(fig, alt=alt, data=data)


def _listed(items) -> str:
    """``"a, b and c"``."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# --- safety against the attack rate -------------------------------------------------------------


def draw_attack_rates(ax: Axes, result: ac.Result, chosen: float | None = None) -> Axes:
    """Draw safety against attack rate for every protocol on ``ax`` (cleared first).

    Args:
        ax: The axes.
        result: A run.
        chosen: An attack rate to mark with a vertical line, or None.

    Returns:
        ``ax``.
    """
    ax.clear()
    for protocol in ac.PROTOCOLS:
        res = result[protocol]
        colour = PROTOCOL_COLORS[protocol]
        err = res.standard_error
        ax.fill_between(res.attack_rates, res.safety - 2 * err, res.safety + 2 * err,
                        color=colour, alpha=0.18, lw=0)  # fmt: skip
        ax.plot(res.attack_rates, res.safety, "-", color=colour, lw=2,
                label=ac.PROTOCOL_LABELS[protocol])  # fmt: skip
        ax.plot(res.best_attack_rate, res.worst_case_safety, PROTOCOL_MARKERS[protocol], ms=9,
                mfc=colour, mec="black", ls="none")  # fmt: skip
    ax.plot([], [], "o", mfc="white", mec="black", ls="none", label="red team's best response")
    if chosen is not None:
        ax.axvline(chosen, color="#555555", ls=":", lw=1.2, label="chosen attack rate")
    _style_attack_axes(ax)
    ax.legend(fontsize=7.5, loc="lower right", frameon=False)
    return ax


def _style_attack_axes(ax: Axes) -> None:
    """Log-scaled attack rates with plain percentage labels (quick to draw)."""
    ax.set_xscale("log")
    ticks = [0.001, 0.01, 0.1, 1.0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([_pct(t) for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0.0008, 1.25)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("attack rate (fraction of tasks U attacks)")
    ax.set_ylabel("safety: P(no working backdoor submitted)")
    ax.grid(alpha=0.3)


def attack_rate_title(result: ac.Result) -> str:
    """The red team's best responses, in one or two lines."""
    up, tm = result["upfront_auditing"], result["trusted_monitoring"]
    return (
        f"Against upfront auditing the red team attacks rarely ({_pct(up.best_attack_rate)} "
        f"of tasks): safety {_pct(up.worst_case_safety)}.\nAgainst trusted monitoring its "
        f"best rate is {_pct(tm.best_attack_rate)}: safety {_pct(tm.worst_case_safety)} "
        f"({_pct(tm.safety[-1])} if it attacks at {_pct(tm.attack_rates[-1])})"
    )


def attack_rate_figure(result: ac.Result) -> Figure:
    """Safety against the attack rate, per protocol; markers at the red team's best response.

    Shaded bands are +-2 Monte Carlo standard errors.

    Args:
        result: A run of :func:`mesatoys.experiments.ai_control.run`.

    Returns:
        The figure.
    """
    if not isinstance(result, ac.Result):
        raise TypeError(f"result must be an ai_control.Result, got {type(result).__name__}")
    fig = Figure(figsize=(6.8, 4.6), layout="constrained")
    ax = draw_attack_rates(fig.subplots(), result)
    title = attack_rate_title(result)
    ax.set_title(title, fontsize=9.5)
    dtt = result["defer_to_trusted"]
    rates = result["upfront_auditing"].attack_rates
    alt = (
        f"Line chart of safety against the untrusted model's attack rate ({_pct(rates.min())} to "
        f"{_pct(rates.max())} of tasks, log scale) for "
        f"{_listed(ac.PROTOCOL_LABELS[p] for p in ac.PROTOCOLS)}, each protocol's worst case "
        f"marked. {' '.join(title.split())}; against defer to trusted its best rate is "
        f"{_pct(dtt.best_attack_rate)}: safety {_pct(dtt.worst_case_safety)}."
    )
    kept = spread(len(rates))
    data = DataTable(
        ("attack rate", *(f"safety, {ac.PROTOCOL_LABELS[p]}" for p in ac.PROTOCOLS)),
        tuple((float(rates[i]), *(float(result[p].safety[i]) for p in ac.PROTOCOLS)) for i in kept),
    )
    return describe(fig, alt=alt, data=data)


# --- the explorer -------------------------------------------------------------------------------

BUDGETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
# With the largest budget (20%) the largest deferral (80%) still leaves the audits room: every
# pair of slider values is one the game accepts.
DEFER_FRACTIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)
#: Deferral fractions the explorer's frontier line passes through.
FRONTIER_FRACTIONS = (0.0, 0.1, 0.3, 0.6)
#: The explorer's attack rates: 5 per decade from 0.001 to 1.
EXPLORER_RATES = tuple(float(f"{r:.3g}") for r in np.geomspace(1e-3, 1.0, 16))
BEST = "best"


class ControlExplorer(SyncsControls, ShowsWidget):
    """Sliders for the audit budget, attack rate, monitor quality and deferral.

    The random deployments are drawn once (seeded); a redraw re-evaluates the
    protocols on them (results are kept, so going back to a setting is instant), and
    moving a slider changes only what the slider controls. The axes, labels and
    legend are drawn once; a redraw paints only the curves, points and title over them.

    Args:
        n_deployments: Simulated deployments behind each estimate.
        seed: Seed of the draws.
        config: Other settings (budget, quality and deferral are the sliders' start).

    Attributes:
        widget: The ipywidgets container to display.
        figure: The two-panel figure.
        picture: The view as shown: its PNG bytes and their text alternative.
        result: The current run.
        error: Why the last change was refused, or None.
        redraws: How many times the view has been redrawn.
    """

    def __init__(self, n_deployments: int = 300, seed: int = 0, config: ac.Config | None = None):
        base = ac.Config() if config is None else config
        if not isinstance(base, ac.Config):
            raise TypeError(f"config must be an ai_control.Config, got {type(base).__name__}")
        self.config = replace(base, n_deployments=n_deployments, attack_rates=EXPLORER_RATES)
        self.seed = check_seed(seed)
        self._draws = ac.draw_deployments(self.config, np.random.default_rng(self.seed))
        self._cache: dict[tuple, ac.ProtocolResult] = {}
        self.attack_rate: float | None = None
        self.error: str | None = None
        self.redraws = 0
        self._build_figure()
        self._build_widgets()
        self._redraw()

    @property
    def audit_budget(self) -> float:
        """The current audit budget."""
        return self.config.audit_budget

    @property
    def monitor_quality(self) -> float:
        """The current monitor quality (d')."""
        return self.config.monitor_quality

    @property
    def defer_fraction(self) -> float:
        """The current fraction of tasks deferred to T."""
        return self.config.defer_fraction

    def set(
        self,
        audit_budget: float | None = None,
        attack_rate: float | str | None = None,
        monitor_quality: float | None = None,
        defer_fraction: float | None = None,
    ) -> None:
        """Change any setting, then redraw once.

        Args:
            audit_budget: Fraction of tasks audited.
            attack_rate: One of :data:`EXPLORER_RATES`, or ``"best"`` for the red
                team's best response against each protocol.
            monitor_quality: d' of the monitor, >= 0.
            defer_fraction: Fraction of tasks handed to T by defer-to-trusted.

        Raises:
            ValueError: Naming the argument and what is allowed; nothing changes, and
                the widget shows the message.
        """
        given = {
            "audit_budget": audit_budget,
            "monitor_quality": monitor_quality,
            "defer_fraction": defer_fraction,
        }
        try:
            rate = self.attack_rate if attack_rate is None else _check_rate(attack_rate)
            config = replace(self.config, **{k: v for k, v in given.items() if v is not None})
        except (TypeError, ValueError) as exc:
            self._show_error(str(exc))
            raise ValueError(str(exc)) from None
        self.config, self.attack_rate, self.error = config, rate, None
        self._sync_widgets()
        self._redraw()

    # --- numbers

    def _evaluate(self, protocol: str, defer_fraction: float | None = None) -> ac.ProtocolResult:
        config = self.config
        if defer_fraction is not None:
            config = replace(config, defer_fraction=defer_fraction)
        if protocol != "defer_to_trusted":
            config = replace(config, defer_fraction=0.0)  # deferral does not change them
        key = (protocol, config.audit_budget, config.monitor_quality, config.defer_fraction)
        if key not in self._cache:
            self._cache[key] = ac.evaluate_protocol(protocol, config, self._draws)
        return self._cache[key]

    def _points(self) -> dict[str, tuple[float, float]]:
        """``{protocol: (usefulness, safety)}`` at the chosen attack rate (or best response)."""
        out = {}
        for protocol, res in self.result.protocols.items():
            rate = self.attack_rate
            safety = res.worst_case_safety if rate is None else res.safety_at(rate)
            out[protocol] = (res.usefulness, safety)
        return out

    def _frontier_curve(self) -> tuple[np.ndarray, np.ndarray]:
        top = 1.0 - self.audit_budget
        fractions = sorted({f for f in FRONTIER_FRACTIONS if f <= top} | {self.defer_fraction})
        curve = [self._evaluate("defer_to_trusted", f) for f in fractions]
        usefulness = np.array([r.usefulness for r in curve])
        if self.attack_rate is None:
            return usefulness, np.array([r.worst_case_safety for r in curve])
        return usefulness, np.array([r.safety_at(self.attack_rate) for r in curve])

    # --- drawing

    def _build_figure(self) -> None:
        """Draw the static parts once; a redraw paints only the changing artists over them."""
        self.figure = Figure(figsize=(10.0, 4.6))
        left = self.figure.add_axes((0.065, 0.25, 0.40, 0.57))
        right = self.figure.add_axes((0.575, 0.25, 0.40, 0.57))
        self._axes = (left, right)
        art: dict = {"bands": {}}
        (art["frontier"],) = left.plot(
            [], [], ".-", color=PROTOCOL_COLORS["defer_to_trusted"], lw=1.5, alpha=0.6
        )
        for protocol in ac.PROTOCOLS:
            colour, marker = PROTOCOL_COLORS[protocol], PROTOCOL_MARKERS[protocol]
            (art[("point", protocol)],) = left.plot(
                [], [], marker, ms=9, mfc=colour, mec="black", ls="none"
            )
            (art[("curve", protocol)],) = right.plot([], [], "-", color=colour, lw=2)
            (art[("best", protocol)],) = right.plot(
                [], [], marker, ms=8, mfc=colour, mec="black", ls="none"
            )
        left.plot(0, 1, "*", ms=12, color=TRUSTED_ONLY_COLOR, ls="none")
        left.set_xlim(-0.05, 1.05)
        left.set_ylim(-0.03, 1.03)
        left.set_xlabel("usefulness (0 = T's score, 1 = U's score)")
        left.set_ylabel("safety: P(no working backdoor submitted)")
        left.grid(alpha=0.3)
        art["chosen"] = right.axvline(1.0, color="#555555", ls=":", lw=1.2)
        _style_attack_axes(right)
        left.set_title("Safety against usefulness", fontsize=9.5)
        right.set_title("Safety against U's attack rate (bands: ±2 s.e.)", fontsize=9.5)
        art["title"] = self.figure.suptitle("", fontsize=10.5, y=0.985, va="top")
        self._legend()
        self._artists = art
        self._renderer = BlitRenderer(self.figure, self._dynamic, alpha=False)

    def _legend(self) -> None:
        handles = [
            Line2D([], [], marker=PROTOCOL_MARKERS[p], ms=8, mfc=PROTOCOL_COLORS[p], mec="black",
                   color=PROTOCOL_COLORS[p], label=ac.PROTOCOL_LABELS[p])
            for p in ac.PROTOCOLS
        ] + [
            Line2D([], [], ls="", marker="*", ms=11, color=TRUSTED_ONLY_COLOR, label="T alone"),
            Line2D([], [], ls=":", color="#555555", label="chosen attack rate"),
        ]  # fmt: skip
        self.figure.legend(
            handles=handles, loc="lower center", ncol=5, fontsize=8.5, frameon=False,
            title="markers: each protocol against the red team's best attack rate "
            "(or the chosen one); green line: deferring 0-60% of tasks to T",
            title_fontsize=8,
        )  # fmt: skip

    def _dynamic(self) -> list:
        art = self._artists
        return [
            art["frontier"], art["chosen"], art["title"],
            *art["bands"].values(),
            *(art[(kind, p)] for kind in ("curve", "best", "point") for p in ac.PROTOCOLS),
        ]  # fmt: skip

    def _redraw(self) -> None:
        protocols = {p: self._evaluate(p) for p in ac.PROTOCOLS}
        self.result = ac.Result(self.config, self.seed, protocols)
        points, art = self._points(), self._artists
        art["frontier"].set_data(*self._frontier_curve())
        for protocol, res in protocols.items():
            art[("point", protocol)].set_data([points[protocol][0]], [points[protocol][1]])
            art[("curve", protocol)].set_data(res.attack_rates, res.safety)
            art[("best", protocol)].set_data([res.best_attack_rate], [res.worst_case_safety])
            if protocol in art["bands"]:
                art["bands"][protocol].remove()
            err = 2 * res.standard_error
            art["bands"][protocol] = self._axes[1].fill_between(
                res.attack_rates, res.safety - err, res.safety + err,
                color=PROTOCOL_COLORS[protocol], alpha=0.18, lw=0, animated=True,
            )  # fmt: skip
        art["chosen"].set_xdata([self.attack_rate or 1.0] * 2)
        art["chosen"].set_visible(self.attack_rate is not None)
        art["title"].set_text(self._title())
        if hasattr(self, "picture"):
            self.picture.show(self.png(), self._alt())
            text = f"{self._settings_text()}\n{self._numbers_text()}"
            self._numbers.value = html.escape(text).replace("\n", "<br>")
            self._message.value = ""
        self.redraws += 1

    def png(self) -> bytes:
        """The current view as PNG bytes: the static background with the changing parts on top."""
        return self._renderer.render()

    def _title(self) -> str:
        """The finding of the current view, in one line."""
        pts = self._points()
        up, tm, dtt = (pts[p][1] for p in ac.PROTOCOLS)
        rate = self.attack_rate
        against = "against the best attack rate" if rate is None else f"at attack rate {_pct(rate)}"
        return (
            f"Safety {against}: upfront auditing {_pct(up)}, trusted monitoring {_pct(tm)}, "
            f"deferring {_pct(self.defer_fraction)} to T {_pct(dtt)}"
        )

    def _alt(self) -> str:
        """What the view shows, with its numbers (the picture's text alternative)."""
        usefulness = ", ".join(
            f"{ac.PROTOCOL_LABELS[p]} {_pct(u)}" for p, (u, _) in self._points().items()
        )
        best = ", ".join(
            f"{ac.PROTOCOL_LABELS[p]} {_pct(self.result[p].best_attack_rate)}" for p in ac.PROTOCOLS
        )
        return (
            f"Two charts for audit budget {_pct(self.audit_budget)}, monitor quality "
            f"{self.monitor_quality:g} and {_pct(self.defer_fraction)} of tasks deferred to T: "
            f"left, safety against usefulness per protocol; right, safety against U's attack "
            f"rate. {self._title()}; usefulness: {usefulness}. The red team's best attack rates: "
            f"{best}."
        )

    def _settings_text(self) -> str:
        return (
            f"Audit budget {_pct(self.audit_budget)}, monitor quality "
            f"{self.monitor_quality:g}, {_pct(self.defer_fraction)} of tasks deferred to T."
        )

    def _numbers_text(self) -> str:
        lines = []
        for protocol, (u, s) in self._points().items():
            res = self.result[protocol]
            lines.append(
                f"{ac.PROTOCOL_LABELS[protocol]}: safety {s:.3f}, usefulness {u:.3f}, "
                f"red team's best attack rate {res.best_attack_rate:g} "
                f"(safety there {res.worst_case_safety:.3f})"
            )
        return "\n".join(lines)

    # --- widgets

    def _build_widgets(self) -> None:
        import ipywidgets as w

        look = {"continuous_update": False, **slider_look(label_px=120)}
        rates = [("red team's best", BEST)] + [(_pct(r), r) for r in EXPLORER_RATES]
        self._controls = {
            "audit_budget": w.SelectionSlider(
                options=[(_pct(b), b) for b in BUDGETS], description="audit budget",
                tooltip="the share of tasks the human auditors can check", **look,
            ),
            "attack_rate": w.SelectionSlider(
                options=rates, description="attack rate",
                tooltip="how often the untrusted model tries a backdoor", **look,
            ),
            "monitor_quality": w.FloatSlider(
                min=0.0, max=4.0, step=0.25, description="monitor quality",
                tooltip="d': how far the monitor's scores for attacks sit above honest ones",
                **look,
            ),
            "defer_fraction": w.SelectionSlider(
                options=[(_pct(f), f) for f in DEFER_FRACTIONS], description="defer to T",
                tooltip="the share of most suspicious tasks handed to the trusted model", **look,
            ),
        }  # fmt: skip
        self.picture = Picture()
        self._numbers = w.HTML("")
        self._message = w.HTML("")
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        self.widget = w.VBox(
            [*self._controls.values(), self._message, self.picture.widget, self._numbers]
        )

    def _sync_widgets(self) -> None:
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            c = self._controls
            if self.audit_budget in BUDGETS:
                c["audit_budget"].value = self.audit_budget
            c["attack_rate"].value = BEST if self.attack_rate is None else self.attack_rate
            c["monitor_quality"].value = self.monitor_quality
            if self.defer_fraction in DEFER_FRACTIONS:
                c["defer_fraction"].value = self.defer_fraction

    def _on_widget(self, change: dict) -> None:
        name = self._changed_control(change)
        if name is None:
            return
        try:
            self.set(**{name: change["new"]})
        except ValueError:
            self._sync_widgets()  # the message stays; the sliders return to the last good view

    def _show_error(self, message: str) -> None:
        self.error = message
        if hasattr(self, "_message"):
            self._message.value = (
                f'<div role="alert" style="color:{OKABE_ITO["vermillion"]}">'
                f"Not changed: {html.escape(message)}</div>"
            )

    def text_summary(self) -> str:
        """The current view in plain text (a fallback for front ends without widgets)."""
        return "\n".join(
            [
                "AI-control explorer. " + self._settings_text(),
                self._title() + ".",
                self._numbers_text(),
                f"({self.config.n_deployments} simulated deployments of "
                f"{self.config.n_tasks} tasks each; seed {self.seed})",
            ]
        )


def _check_rate(rate: object) -> float | None:
    """An explorer attack rate: None for the red team's best, else one of the grid's rates."""
    if rate == BEST:
        return None
    ok = isinstance(rate, (int, float, np.number)) and not isinstance(rate, bool)
    hits = [r for r in EXPLORER_RATES if ok and np.isclose(r, float(rate))]
    if not hits:
        raise ValueError(
            f"attack_rate must be 'best' or one of {list(EXPLORER_RATES)}, got {rate!r}"
        )
    return hits[0]
