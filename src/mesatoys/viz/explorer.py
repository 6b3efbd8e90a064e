"""An ipywidgets explorer of the goal-misgeneralization toy.

Pick how many training levels had the cheese away from the corner (alpha), a seed,
which way the outer optimizer's simplicity bias points (against the cheese, the
default; none; or against the corner: the inductive bias that breaks the tie between
cheese and corner), and a level; the explorer shows the learned
agent's path on that level, its learned mesa-objective, and its rates on the test
levels beside the matched control (the intended goal with the same planner and
sight). Each (alpha, seed, bias) choice is trained once, on first visit, and
cached; every later redraw only replays one level and redraws one figure.

The pictures are plain :class:`matplotlib.figure.Figure` objects rendered to PNG and
shown as images whose text alternative says what they show (a
:class:`~mesatoys.viz.picture.Picture`): each shows exactly once per redraw, in any front
end that shows widgets, and the explorer also works without a kernel (for tests).
The bar chart of the mesa-objective is drawn once per trained run and reused; a
redraw renders only the maze.
:meth:`GoalMisgeneralizationExplorer.text_summary` describes the current view in
plain text for readers whose front end does not render widgets.

Example:
    >>> ex = GoalMisgeneralizationExplorer(alphas=(0.0, 0.3), seeds=[0], n_test_levels=50)
    >>> ex.set(alpha=0.3, level=3)
    >>> ex.alpha, ex.level
    (0.3, 3)
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mesatoys.checks import check_choice, check_seed
from mesatoys.display import ROW_WRAP, ShowsWidget, SyncsControls, alt_text, slider_look
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz.maze_plots import (
    FEATURE_LABELS,
    SPLIT_NAMES,
    draw_maze,
    level_ascii,
    level_words,
    objective_bar_chart,
    outcome_text,
    pct,
    render_png,
)
from mesatoys.viz.palette import color
from mesatoys.viz.picture import Picture

_UNSET: Any = object()
#: The simplicity-bias choices: the feature the prior charges (None: no bias).
BIAS_CHOICES: tuple[str | None, ...] = ("cheese", None, "top_right")
#: Width of a control's label (the explanations are in tooltips).
LABEL_PX = 60
BIAS_OPTIONS = {"cheese": "against the cheese", None: "none", "top_right": "against the corner"}


class GoalMisgeneralizationExplorer(SyncsControls, ShowsWidget):
    """Browse learned agents and their paths across alpha, seed, simplicity bias and level.

    Args:
        config: Base settings (defaults: :class:`gm.Config`); ``alpha`` and the bias's
            direction are replaced by the explorer's choices (its strength is
            ``config.simplicity_bias``, or the default if that is 0).
        alphas: The alpha values the slider offers (each in [0, 1], no repeats).
        seeds: The seeds the dropdown offers (non-negative integers, no repeats).
        n_test_levels: Test levels per run (replaces ``config.n_test_levels``).
        results: Runs already computed (e.g. by :func:`gm.sweep` on the same base
            settings) to put in the cache, so that visiting them costs no training.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The matplotlib figure of the maze and the agent's path.
        objective_figure: The matplotlib figure of the mesa-objective's weights.
        maze_picture: The maze as shown: its PNG bytes and their text alternative.
        objective_picture: The mesa-objective's bars as shown, likewise.
        redraws: How many times the view has been redrawn.

    Raises:
        ValueError: On bad arguments, or a result whose settings differ from the
            explorer's base settings.
    """

    def __init__(
        self,
        config: gm.Config | None = None,
        alphas: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0),
        seeds: Iterable[int] = range(3),
        n_test_levels: int = 200,
        *,
        results: Iterable[gm.Result] = (),
    ):
        base = gm.Config() if config is None else config
        if not isinstance(base, gm.Config):
            raise ValueError(
                f"config must be a goal_misgeneralization.Config or None, got {base!r}"
            )
        self.config = dataclasses.replace(base, n_test_levels=n_test_levels)
        self.alphas = _check_alphas(alphas)
        self.seeds = _check_seeds(seeds)
        self._cache: dict[tuple[float, int, str | None], gm.Result] = {}
        self._controls_cache: dict[tuple[float, int, str | None], gm.Outcome] = {}
        for result in results:
            self.add_result(result)
        self.alpha, self.seed, self.bias = self.alphas[0], self.seeds[0], "cheese"
        self.split, self.level = "test", 0
        self.redraws = 0
        self._build_figure()
        self._build_widgets()
        self._redraw()

    # --- state ---------------------------------------------------------------------------------

    def add_result(self, result: gm.Result) -> None:
        """Cache a finished run so that showing it needs no training.

        Raises:
            ValueError: If the run's settings are not the explorer's base settings with
                one of its alphas and seeds and bias choices.
        """
        bias = result.config.biased_against if result.config.has_bias else None
        key = (result.config.alpha, result.seed, bias)
        if result.config != self._config_for(result.config.alpha, bias):
            raise ValueError(
                "results must be runs of the explorer's settings (same config apart from "
                f"alpha and the simplicity bias, n_test_levels={self.config.n_test_levels}); "
                f"got {result.config}"
            )
        if key[0] not in self.alphas or key[1] not in self.seeds:
            raise ValueError(
                f"results must use alphas from {list(self.alphas)} and seeds from "
                f"{list(self.seeds)}; got alpha={key[0]}, seed={key[1]}"
            )
        self._cache[key] = result

    def _config_for(self, alpha: float, bias: str | None) -> gm.Config:
        if bias is None:
            return dataclasses.replace(self.config, alpha=alpha).without_bias()
        strength = self.config.simplicity_bias or gm.Config().simplicity_bias
        return dataclasses.replace(
            self.config, alpha=alpha, simplicity_bias=strength, biased_against=bias
        )

    @property
    def result(self) -> gm.Result:
        """The run shown now (trained and cached on first use)."""
        key = (self.alpha, self.seed, self.bias)
        if key not in self._cache:
            self._status.value = (
                f"<i>Training the agent for α = {self.alpha:g}, seed {self.seed}, "
                f"simplicity bias {BIAS_OPTIONS[self.bias]}… (only the first time)</i>"
            )
            self._cache[key] = gm.run(self._config_for(self.alpha, self.bias), self.seed)
        self._status.value = ""
        return self._cache[key]

    @property
    def control(self) -> gm.Outcome:
        """The intended goal's rates on the shown run's test levels (computed once per run)."""
        key = (self.alpha, self.seed, self.bias)
        if key not in self._controls_cache:
            result = self.result
            self._controls_cache[key] = gm.evaluate(
                result.config, gm.ALIGNED_OBJECTIVE, result.test_levels
            )
        return self._controls_cache[key]

    def n_levels(self, split: str | None = None) -> int:
        """Number of levels in a split (default: the split shown)."""
        split = self.split if split is None else split
        return self.config.n_train_levels if split == "train" else self.config.n_test_levels

    def set(
        self,
        alpha: float = _UNSET,
        seed: int = _UNSET,
        level: int = _UNSET,
        split: str = _UNSET,
        bias: str | None = _UNSET,
    ) -> None:
        """Change any of the choices, then redraw once.

        Args:
            alpha: One of :attr:`alphas`.
            seed: One of :attr:`seeds`.
            level: Level index in ``[0, n_levels(split))``. If omitted while the split
                changes, the level is kept when it exists in the new split, else 0.
            split: ``"train"`` or ``"test"``.
            bias: One of :data:`BIAS_CHOICES`: the feature the simplicity bias charges,
                or None for no bias.

        Raises:
            ValueError: Naming the argument and what is allowed; nothing changes.
        """
        new = {
            "alpha": self.alpha if alpha is _UNSET else self._check_alpha(alpha),
            "seed": self.seed if seed is _UNSET else self._check_seed(seed),
            "split": self.split if split is _UNSET else check_choice("split", split, SPLIT_NAMES),
            "bias": self.bias if bias is _UNSET else _check_bias(bias),
        }
        if level is _UNSET:
            level = self.level if self.level < self.n_levels(new["split"]) else 0
        new["level"] = self._check_level(level, new["split"])
        for name, value in new.items():
            setattr(self, name, value)
        self._sync_widgets()
        self._redraw()

    def _check_alpha(self, alpha: object) -> float:
        if isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool):
            for allowed in self.alphas:
                if math.isclose(float(alpha), allowed, rel_tol=1e-9, abs_tol=1e-12):
                    return allowed
        raise ValueError(f"alpha must be one of {list(self.alphas)}, got {alpha!r}")

    def _check_seed(self, seed: object) -> int:
        ok = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
        if not ok or int(seed) not in self.seeds:
            raise ValueError(f"seed must be one of {list(self.seeds)}, got {seed!r}")
        return int(seed)

    def _check_level(self, level: object, split: str) -> int:
        n = self.n_levels(split)
        ok = isinstance(level, (int, np.integer)) and not isinstance(level, bool)
        if not ok or not 0 <= int(level) < n:
            raise ValueError(
                f"level must be an integer in [0, {n - 1}] for the {split} split, got {level!r}"
            )
        return int(level)

    # --- widgets -------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        import ipywidgets as w

        style = {"description_width": f"{LABEL_PX}px"}
        self._controls = {
            "alpha": w.SelectionSlider(
                options=[(f"{a:g}", a) for a in self.alphas],
                description="α",
                tooltip="α: the share of training levels with the cheese away from the corner",
                continuous_update=False,
                **slider_look(LABEL_PX),
            ),
            "seed": w.Dropdown(
                options=list(self.seeds), description="seed", style=style,
                layout=w.Layout(width="auto", min_width="200px"),
            ),
            # Dropdown values are indices into BIAS_CHOICES: ipywidgets reads None as "no choice".
            "bias": w.Dropdown(
                options=[(BIAS_OPTIONS[b], i) for i, b in enumerate(BIAS_CHOICES)],
                description="bias",
                tooltip=(
                    "the simplicity bias: which weight the outer optimizer's prior charges for: "
                    "the cheese (an object that moves; the default), none, or the top-right corner"
                ),
                style=style,
                layout=w.Layout(width="auto", min_width="260px"),
            ),
            "split": w.ToggleButtons(
                options=[("test levels", "test"), ("training levels", "train")],
                description="show",
                style={**style, "button_width": "120px"},
            ),
            "level": w.IntSlider(
                min=0, description="level", continuous_update=False, **slider_look(LABEL_PX)
            ),
        }  # fmt: skip
        self._status = w.HTML("")
        self.maze_picture = Picture(max_width="100%", min_width="320px")
        self.objective_picture = Picture(max_width="100%")
        self._rates, self._legend = w.HTML(""), w.HTML("")
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        c = self._controls
        self.widget = w.VBox(
            [
                w.HBox([c["alpha"], c["seed"]], layout=w.Layout(**ROW_WRAP)),
                w.HBox([c["bias"], c["split"]], layout=w.Layout(**ROW_WRAP)),
                c["level"],
                self._status,
                w.HBox(
                    [
                        self.maze_picture.widget,
                        w.VBox([self.objective_picture.widget, self._rates, self._legend]),
                    ],
                    layout=w.Layout(**ROW_WRAP),
                ),
            ]
        )

    def _sync_widgets(self) -> None:
        """Make the controls show the current state without triggering redraws."""
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            c = self._controls
            c["level"].max = self.n_levels() - 1
            for name in ("alpha", "seed", "split", "level"):
                c[name].value = getattr(self, name)
            c["bias"].value = BIAS_CHOICES.index(self.bias)

    def _on_widget(self, change: dict) -> None:
        name = self._changed_control(change)
        if name is None:
            return
        value = BIAS_CHOICES[change["new"]] if name == "bias" else change["new"]
        self.set(**{name: value})

    # --- drawing -------------------------------------------------------------------------------

    def _build_figure(self) -> None:
        self.figure = Figure(figsize=(4.6, 4.7))
        self._maze_ax = self.figure.add_axes((0.02, 0.01, 0.96, 0.88))
        self.objective_figure = Figure(figsize=(5.0, 2.9))
        self._bars_ax = self.objective_figure.add_axes((0.34, 0.17, 0.62, 0.65))
        self._objective_png: dict[tuple[float, int, str | None], tuple[bytes, str]] = {}

    def _redraw(self) -> None:
        result = self.result
        levels = result.test_levels if self.split == "test" else result.train_levels
        level = levels[self.level]
        episodes = gm.play_levels(result.config, result.weights, level, record=True)
        outcome = outcome_text(episodes, level)
        draw_maze(
            self._maze_ax,
            level.walls[0],
            level.start[0],
            level.cheese[0],
            episodes.paths[0],
            cheese_radius=result.config.cheese_radius,
            title=f"{SPLIT_NAMES[self.split]} {self.level}:\n{outcome}",
            legend=False,  # a legend costs ~50 ms a redraw; an HTML legend sits beside it
        )
        self._view = {"level": level, "episodes": episodes, "outcome": outcome, "result": result}
        words = level_words(level.walls[0], level.start[0], level.cheese[0], episodes.paths[0],
                            outcome)  # fmt: skip
        self.maze_picture.show(
            render_png(self.figure, dpi=80),
            f"{SPLIT_NAMES[self.split]} {self.level} ({level.size} x {level.size} maze) with the "
            f"path of the agent trained at {self._choice_words()}: {words}.",
        )
        self.objective_picture.show(*self._objective_view(result))
        self._rates.value = html.escape(self._rates_text()).replace("\n", "<br>")
        self._legend.value = legend_html(result.config.cheese_radius is not None)
        self.redraws += 1

    def _choice_words(self) -> str:
        return f"α = {self.alpha:g}, seed {self.seed}, simplicity bias {BIAS_OPTIONS[self.bias]}"

    def _objective_view(self, result: gm.Result) -> tuple[bytes, str]:
        """PNG of the mesa-objective bars and its text; drawn once per (alpha, seed, bias)."""
        key = (self.alpha, self.seed, self.bias)
        if key not in self._objective_png:
            top = max(result.mesa_objective, key=result.mesa_objective.get)
            title = f"Learned mesa-objective\n(largest weight: {FEATURE_LABELS[top]})"
            # One fixed scale for every run, so that bars can be compared between views.
            fig = objective_bar_chart(self._bars_ax, result.mesa_objective, title=title, span=2.0)
            bars = alt_text(fig)
            alt = f"For the agent trained at {self._choice_words()}: {bars[0].lower()}{bars[1:]}"
            self._objective_png[key] = (render_png(self.objective_figure, dpi=80), alt)
        return self._objective_png[key]

    def _rates_text(self) -> str:
        test, train, control = self.result.test, self.result.train, self.control
        return (
            f"On {test.n_levels} test levels (cheese in view from the start): cheese "
            f"{pct(test.true_goal_rate)}, corner instead {pct(test.proxy_rate)}.\n"
            f"Intended goal {{cheese: 1}}, same planner and sight: cheese "
            f"{pct(control.true_goal_rate)}.\n"
            f"On {train.n_levels} training levels: cheese {pct(train.true_goal_rate)}."
        )

    def text_summary(self) -> str:
        """Plain-text description of the current view (a fallback for widget-less readers)."""
        view, result = self._view, self._view["result"]
        level, episodes = view["level"], view["episodes"]
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in result.mesa_objective.items())
        moves = int(episodes.steps[0])
        return "\n".join(
            [
                f"Goal-misgeneralization explorer: α = {self.alpha:g}, seed {self.seed}, "
                f"simplicity bias {BIAS_OPTIONS[self.bias]}.",
                f"{SPLIT_NAMES[self.split]} {self.level} (of 0-{self.n_levels() - 1}): the agent "
                f"{view['outcome']} ({moves} move{'s' if moves != 1 else ''}).",
                f"Learned mesa-objective: {weights}.",
                self._rates_text().replace("\n", " "),
                "",
                level_ascii(level.walls[0], level.start[0], level.cheese[0], episodes.paths[0]),
                "Key: # wall, . floor, S start, C cheese, T top-right corner, "
                "* path, X where it stopped.",
            ]
        )


def legend_html(view_area: bool) -> str:
    """An HTML key to the maze picture, in the figure's colours."""
    items = [
        (f'<span style="color:{color("corner")}">&#9633;</span>', "top-right corner"),
        (f'<span style="color:{color("cheese")}">&#9679;</span>', "cheese"),
        (f'<span style="color:{color("start")}">&#9679;</span>', "start"),
        (f'<span style="color:{color("path")}">&#9473;&#9473;</span>', "agent's path"),
        (f'<span style="color:{color("path")}">&#10006;</span>', "where it stopped"),
    ]
    if view_area:
        items.append(
            (
                f'<span style="background:{color("view")}">&nbsp;&nbsp;&nbsp;</span>',
                "cheese visible",
            )
        )
    cells = "".join(f"<span style='margin-right:1em'>{mark} {text}</span>" for mark, text in items)
    return f"<div style='font-size:90%'>Key: {cells}</div>"


def _check_alphas(alphas: Sequence[float]) -> tuple[float, ...]:
    try:
        values = tuple(float(a) for a in alphas)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be numbers in [0, 1], got {alphas!r}") from None
    if not values or len(set(values)) != len(values):
        raise ValueError(f"alphas must be a non-empty list without repeats, got {alphas!r}")
    for a in values:
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alphas must all be in [0, 1], got {a}")
    return values


def _check_seeds(seeds: Iterable[int]) -> tuple[int, ...]:
    values = tuple(check_seed(s) for s in seeds)
    if not values or len(set(values)) != len(values):
        raise ValueError(f"seeds must be a non-empty list without repeats, got {seeds!r}")
    return values


def _check_bias(bias: object) -> str | None:
    if bias not in BIAS_CHOICES:
        raise ValueError(f"bias must be one of {list(BIAS_CHOICES)}, got {bias!r}")
    return bias
