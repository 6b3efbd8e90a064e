"""Figures and widgets of the outer-alignment notebook (04).

- :func:`race_figure`: one agent's route on the track under each reward.
- :func:`scores_figure` and :func:`scores_table`: specified return next to laps,
  for every agent and both rewards.
- :func:`track_size_figure`: how the loophole's pay depends on the track's size.
- :class:`BoatRaceExplorer`: pick a reward, a track size and an agent; see its route.

Every figure is a plain :class:`matplotlib.figure.Figure` (never pyplot's global
list), so a notebook shows each exactly once. Widgets import ipywidgets only when
built, and every widget has a plain-text fallback.

Example:
    >>> from mesatoys.experiments import specification_gaming as sg
    >>> res = sg.run(sg.Config(n_eval_episodes=50), seed=0)
    >>> fig = race_figure(res)
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from mesatoys.checks import check_seed
from mesatoys.display import DataTable, ShowsWidget, SyncsControls, describe, render_png
from mesatoys.envs.boat_race import (
    ARROWS,
    REWARDS,
    Track,
    check_reward,
    check_side,
    make_track,
    render_ascii,
)
from mesatoys.experiments import specification_gaming as sg
from mesatoys.viz.axes import cell_words, frame_grid
from mesatoys.viz.palette import OKABE_ITO
from mesatoys.viz.picture import Picture

#: Colour of each agent in every figure of this notebook (Okabe-Ito).
AGENT_COLORS = {
    "intended": OKABE_ITO["bluish_green"],
    "planner": OKABE_ITO["vermillion"],
    "learned": OKABE_ITO["blue"],
}
TRACK_COLORS = {
    "water": "#D4ECF9",  # Okabe-Ito sky blue, lightened
    "land": "#8C8C8C",
    "checkpoint": OKABE_ITO["orange"],
    "route": OKABE_ITO["reddish_purple"],
    "finish": OKABE_ITO["black"],
}
REWARD_TITLES = {
    "checkpoints": "Checkpoint reward",
    "ordered": "Fixed reward (checkpoints in order)",
}
_TRACK_CMAP = ListedColormap([TRACK_COLORS["water"], TRACK_COLORS["land"]])
_MARKERS = dict(zip(ARROWS, (">", "v", "<", "^"), strict=True))


def _plural(n: float, word: str) -> str:
    value = f"{n:g}" if float(n) != int(n) else f"{int(n)}"
    return f"{value} {word}{'' if float(n) == 1 else 's'}"


# --- the track ----------------------------------------------------------------------------------


def draw_track(
    ax: Axes, track: Track, cells: np.ndarray | None = None, title: str | None = None
) -> Axes:
    """Draw the track, its checkpoints and finish line, and a route with its crossings.

    Args:
        ax: Axes to draw on (cleared first).
        track: The track.
        cells: ``(T + 1,)`` track cells the boat visited, or None for no route.
        title: Axes title.

    Returns:
        ``ax``.
    """
    ax.clear()
    ax.imshow(track.land(), cmap=_TRACK_CMAP, vmin=0, vmax=1)
    for r, c in track.cells:  # faint cell outlines on the water
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="white", lw=0.8))
    for arrow, index in zip(ARROWS, track.checkpoints, strict=True):
        r, c = track.cells[index]
        ax.plot(
            c, r, _MARKERS[arrow], ms=max(6.0, 84 / track.grid_size),
            mfc=TRACK_COLORS["checkpoint"], mec="black", mew=0.8,
        )  # fmt: skip
    r, c = track.cells[0]  # the finish line: between the last track cell and the start
    ax.plot([c - 0.5, c - 0.5], [r - 0.5, r + 0.5], color=TRACK_COLORS["finish"], lw=4)
    if cells is not None:
        _draw_route(ax, track, np.asarray(cells))
    return frame_grid(ax, track.grid_size, track.grid_size, title)


def _draw_route(ax: Axes, track: Track, cells: np.ndarray) -> None:
    """One arrow per directed move, labelled with how often it was made if more than 3 times."""
    moves = Counter((int(a), int(b)) for a, b in zip(cells[:-1], cells[1:], strict=True) if a != b)
    for (a, b), count in moves.items():
        (r0, c0), (r1, c1) = track.cells[a], track.cells[b]
        direction = np.array([c1 - c0, r1 - r0], dtype=float)  # (x, y), y pointing down
        side = np.array([-direction[1], direction[0]])  # the right-hand side of travel
        start = np.array([c0, r0]) + 0.3 * side + 0.15 * direction
        end = np.array([c1, r1]) + 0.3 * side - 0.15 * direction
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={"arrowstyle": "-|>", "color": TRACK_COLORS["route"], "lw": 2.2},
        )
        if count > 3:
            x, y = (start + end) / 2 + 0.25 * side
            ax.text(
                x, y, f"×{count}", ha="center", va="center",
                fontsize=max(6.5, 70 / track.grid_size),
                color=TRACK_COLORS["route"], fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.9},
            )  # fmt: skip


def track_words(track: Track) -> str:
    """The track in words: its size, its checkpoints and its start line."""
    r, c = track.cells[0]
    return (
        f"a track of {track.side} cells a side ({track.length} water cells in a ring round an "
        f"island), one checkpoint per side that pays when entered in its arrow's direction, and "
        f"the start and finish line at {cell_words((r, c), track.grid_size)}"
    )


def route_words(track: Track, cells: np.ndarray) -> str:
    """A boat's route in words: how many moves, and the one it repeats most."""
    cells = np.asarray(cells)
    moves = Counter((int(a), int(b)) for a, b in zip(cells[:-1], cells[1:], strict=True) if a != b)
    total = sum(moves.values())
    if not moves:
        return "the boat never moves"
    (a, b), count = moves.most_common(1)[0]
    size = track.grid_size
    return (
        f"the boat makes {_plural(total, 'move')} between {len(moves)} different pairs of cells; "
        f"the most repeated, {_plural(count, 'time')}, goes from "
        f"{cell_words(track.cells[a], size)} to {cell_words(track.cells[b], size)}"
    )


def _track_legend(fig: Figure) -> None:
    """A key to the track pictures, under the figure."""
    handles = [
        Line2D([], [], ls="", marker=">", ms=10, mfc=TRACK_COLORS["checkpoint"], mec="black",
               label="checkpoint (pays when entered in its arrow's direction)"),
        Line2D([], [], color=TRACK_COLORS["finish"], lw=4, label="start and finish line"),
        Line2D([], [], color=TRACK_COLORS["route"], lw=2.2, marker=">", ms=6,
               label="the boat's moves (×n: made n times)"),
        Patch(facecolor=TRACK_COLORS["land"], label="land"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8, frameon=False)


def _route(result: sg.Result, agent: str, reward: str, rng: np.random.Generator | None):
    model = result.track.model(reward)
    policy = result.policy(agent, reward)
    return sg.play(model, result.track, policy, result.config.episode_limit, rng=rng, record=True)


def race_figure(result: sg.Result, agent: str = "planner", seed: int = 0) -> Figure:
    """One agent's route under the checkpoint reward (left) and the fixed reward (right).

    Args:
        result: A run of :func:`mesatoys.experiments.specification_gaming.run`.
        agent: ``"planner"``, ``"intended"`` or ``"learned"`` (a sampled episode).
        seed: Seed of the sampled episode (learned policy only).

    Returns:
        The figure; each panel's title gives the episode's points and laps.
    """
    if agent not in sg.AGENTS:
        raise ValueError(f"agent must be one of {sg.AGENTS}, got {agent!r}")
    fig = Figure(figsize=(8.6, 4.9), layout="constrained")
    axes = fig.subplots(1, 2)
    numbers, said = [], []
    for k, (ax, reward) in enumerate(zip(axes, REWARDS, strict=True)):
        rng = np.random.default_rng([check_seed(seed), k])
        episode = _route(result, agent, reward, rng)
        points, done = int(episode.returns[0]), int(episode.laps[0])
        numbers.append((points, done))
        said.append(
            f"{REWARD_TITLES[reward]}: {_plural(points, 'point')}, {_plural(done, 'lap')}; "
            f"{route_words(result.track, episode.cells[0])}"
        )
        title = f"{REWARD_TITLES[reward]}:\n{_plural(points, 'point')}, {_plural(done, 'lap')}"
        draw_track(ax, result.track, episode.cells[0], title=title)
    steps = result.config.episode_limit
    (p0, l0), (p1, l1) = numbers
    title = (
        f"The {sg.AGENT_LABELS[agent].split(':')[0].split(' (')[0]} over {steps} steps: "
        f"{_plural(p0, 'point')} and {_plural(l0, 'lap')} with the checkpoint reward, "
        f"{_plural(l1, 'lap')} with the fixed one"
    )
    fig.suptitle(title, fontsize=11)
    _track_legend(fig)
    alt = (
        f"Two pictures of {track_words(result.track)}, with the boat's route under the "
        f"checkpoint reward (left) and the fixed reward (right). {title}. {'. '.join(said)}."
    )
    return describe(fig, alt=alt)


# --- both numbers side by side ------------------------------------------------------------------


def scores_table(results: sg.Result | Sequence[sg.Result]) -> str:
    """Specified return next to laps for every agent and reward, as plain text.

    With several runs (seeds), each number is the mean over runs, and the learned
    policy's range over runs follows in brackets.

    Args:
        results: One run or several runs of the same settings.

    Returns:
        The table.
    """
    runs = _runs(results)
    steps = runs[0].config.episode_limit
    head = f"{'':<40}{'specified return':>18}{'laps':>14}"
    lines = [f"One episode = {steps} steps; {_seeds_label(runs)}.", head]
    stats = sg.summary(runs)
    for reward in REWARDS:
        best = runs[0].best_return[reward]
        lines.append(f"{sg.REWARD_LABELS[reward]} (best possible return: {best})")
        for agent in sg.AGENTS:
            ret = stats[sg.summary_key(agent, reward, "specified_return")]
            lap = stats[sg.summary_key(agent, reward, "laps")]
            lines.append(f"  {sg.AGENT_LABELS[agent]:<38}{_cell(ret):>18}{_cell(lap):>14}")
    return "\n".join(lines)


def _runs(results: sg.Result | Sequence[sg.Result]) -> list[sg.Result]:
    runs = [results] if isinstance(results, sg.Result) else list(results)
    if not runs or not all(isinstance(r, sg.Result) for r in runs):
        raise ValueError("results must be one specification_gaming.Result or a non-empty list")
    if len({r.config for r in runs}) != 1:
        raise ValueError("results must share one config (and differ only in their seed)")
    return runs


def _seeds_label(runs: Sequence[sg.Result]) -> str:
    seeds = ", ".join(str(r.seed) for r in runs)
    return f"learned policy: seed{'s' if len(runs) > 1 else ''} {seeds}"


def _cell(stats: dict[str, float]) -> str:
    mean, low, high = stats["mean"], stats["min"], stats["max"]
    if np.isclose(low, high):
        return f"{mean:.1f}"
    return f"{mean:.1f} [{low:.1f}-{high:.1f}]"


def scores_figure(results: sg.Result | Sequence[sg.Result]) -> Figure:
    """Specified return (left) and laps (right) of every agent under both rewards.

    Bars are means over runs; the learned policy's whiskers span its lowest to
    highest run. A dotted line marks the best possible return of each reward.

    Args:
        results: One run or several runs (seeds) of the same settings.

    Returns:
        The figure.
    """
    runs = _runs(results)
    fig = Figure(figsize=(10.0, 4.3), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = (
        ("specified_return", "specified return per episode", "What the optimizers are paid"),
        ("laps", "laps completed per episode", "What the designer wanted"),
    )
    width = 0.26
    x = np.arange(len(REWARDS))
    for ax, (measure, ylabel, title) in zip(axes, panels, strict=True):
        stats = sg.summary(runs)
        for k, agent in enumerate(sg.AGENTS):
            cells = [stats[sg.summary_key(agent, w, measure)] for w in REWARDS]
            mean, low, high = (np.array([c[key] for c in cells]) for key in ("mean", "min", "max"))
            pos = x + (k - 1) * width
            ax.bar(
                pos, mean, width, color=AGENT_COLORS[agent], edgecolor="black", lw=0.6,
                label=sg.AGENT_LABELS[agent],
            )  # fmt: skip
            whiskers = len(runs) > 1 and agent == "learned"
            if whiskers:
                ax.errorbar(pos, mean, [mean - low, high - mean], fmt="none", ecolor="black")
            tops = high if whiskers else mean
            for px, value, top in zip(pos, mean, tops, strict=True):
                ax.annotate(
                    f"{value:.3g}", (px, top), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8,
                )  # fmt: skip
        if measure == "specified_return":
            for i, reward in enumerate(REWARDS):
                best = runs[0].best_return[reward]
                ax.hlines(best, i - 0.45, i + 0.45, colors="black", linestyles=":", lw=1.2)
            ax.plot([], [], ":", color="black", label="best possible return")
        ax.set_xticks(x, [sg.REWARD_LABELS[w] for w in REWARDS])
        ax.set_xlabel("reward the agents optimized")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.margins(y=0.15)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    title = _scores_title(runs)
    fig.suptitle(title)
    stats = sg.summary(runs)
    alt = (
        f"Two grouped bar charts, one group per reward ({_seeds_label(runs)}): left, the "
        f"specified return per episode of each agent, with each reward's best possible return "
        f"dotted ({', '.join(f'{runs[0].best_return[w]}' for w in REWARDS)}); right, the laps "
        f"they complete. {' '.join(title.split())}."
    )
    data = DataTable(
        ("reward", "agent", "specified return per episode (mean)", "laps per episode (mean)"),
        tuple(
            (sg.REWARD_LABELS[w], sg.AGENT_LABELS[agent],
             *(stats[sg.summary_key(agent, w, m)]["mean"] for m in ("specified_return", "laps")))
            for w in REWARDS
            for agent in sg.AGENTS
        ),
    )  # fmt: skip
    return describe(fig, alt=alt, data=data)


def _scores_title(runs: Sequence[sg.Result]) -> str:
    stats = sg.summary(runs)
    mean = lambda agent, reward, measure: stats[sg.summary_key(agent, reward, measure)]["mean"]  # noqa: E731
    ratio = mean("planner", "checkpoints", "specified_return") / mean(
        "intended", "checkpoints", "specified_return"
    )
    return (
        f"Checkpoint reward: the optimizers earn {ratio:.3g}× the racing boat's points and "
        f"complete {mean('planner', 'checkpoints', 'laps'):.3g} laps.\nFixed reward: the "
        f"planner races {mean('planner', 'ordered', 'laps'):.3g} laps, and points and laps agree"
    )


def track_size_figure(comparison: sg.TrackSizeComparison) -> Figure:
    """Checkpoint reward per step of racing and of the planner's dithering, by track size.

    Args:
        comparison: From :func:`mesatoys.experiments.specification_gaming.compare_track_sizes`.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(6.8, 4.0), layout="constrained")
    ax = fig.subplots()
    sides = comparison.sides
    per_step = {
        "planner": comparison.planner_return / comparison.max_steps,
        "intended": comparison.intended_return / comparison.max_steps,
    }
    labels = {
        "planner": "planner (optimizes the checkpoint reward)",
        "intended": "intended: race clockwise",
    }
    for agent, marker in (("planner", "o"), ("intended", "s")):
        ax.plot(
            sides, per_step[agent], marker=marker, lw=2, ms=7, color=AGENT_COLORS[agent],
            label=labels[agent],
        )  # fmt: skip
    ax.set_xticks(sides, [f"{s}\n({4 * (s - 1)} cells)" for s in sides])
    ax.set_xlabel("side of the track (cells per side; cells in one lap)")
    ax.set_ylabel("checkpoint reward per step")
    ax.set_ylim(0, max(per_step["planner"].max(), per_step["intended"].max()) * 1.2)
    ax.legend(fontsize=9, frameon=False, loc="upper right")
    tied = sides[np.isclose(per_step["planner"], per_step["intended"])]
    where = f"only at side {', '.join(str(s) for s in tied)}" if len(tied) else "on no track"
    title = (
        f"Racing earns as much checkpoint reward as dithering {where};\n"
        "the bigger the track, the more dithering pays"
    )
    ax.set_title(title, fontsize=10)

    def listed(agent: str) -> str:
        return ", ".join(f"{v:.2f}" for v in per_step[agent])

    alt = (
        f"Line chart of the checkpoint reward per step against the side of the track "
        f"({', '.join(str(s) for s in sides)} cells): the planner, which optimizes it, and "
        f"the intended boat, which races clockwise. {' '.join(title.split())}: the planner "
        f"earns {listed('planner')} per step, racing {listed('intended')}."
    )
    data = DataTable(
        ("side of the track", "cells in one lap", "planner: reward per step",
         "intended: reward per step"),
        tuple(
            (int(side), 4 * (int(side) - 1), float(per_step["planner"][k]),
             float(per_step["intended"][k]))
            for k, side in enumerate(sides)
        ),
    )  # fmt: skip
    return describe(fig, alt=alt, data=data)


# --- an explorer of the toy ---------------------------------------------------------------------


class BoatRaceExplorer(SyncsControls, ShowsWidget):
    """Pick a reward, a track size and an agent; see its route and both numbers.

    Redrawing runs value iteration on the new track (milliseconds) and renders one
    small figure to PNG; nothing is trained.

    Args:
        sides: Track sides the slider offers (odd, in [3, 15]).
        max_steps: Episode length (None: three laps' time on each track).
        gamma: The planner's discount.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The figure of the track.
        picture: The figure as shown: its PNG bytes and their text alternative.
        redraws: How many times the view has been redrawn.
    """

    AGENTS = ("planner", "intended")

    def __init__(
        self, sides: Sequence[int] = (3, 5, 7, 9), max_steps: int | None = None, gamma: float = 0.95
    ):
        self.sides = tuple(check_side(s) for s in sides)
        if not self.sides or len(set(self.sides)) != len(self.sides):
            raise ValueError(f"sides must be a non-empty list without repeats, got {sides!r}")
        self.config = sg.Config(side=self.sides[0], max_steps=max_steps, gamma=gamma)
        self.side, self.reward, self.agent = (
            5 if 5 in self.sides else self.sides[0],
            "checkpoints",
            "planner",
        )
        self.redraws = 0
        self.figure = Figure(figsize=(4.8, 5.2))
        self._ax = self.figure.add_axes((0.03, 0.02, 0.94, 0.84))
        self._build_widgets()
        self._redraw()

    def set(self, side: int | None = None, reward: str | None = None, agent: str | None = None):
        """Change any of the choices, then redraw once.

        Raises:
            ValueError: Naming the argument and what is allowed; nothing changes.
        """
        new_side = self.side if side is None else side
        if new_side not in self.sides or isinstance(new_side, bool):
            raise ValueError(f"side must be one of {list(self.sides)}, got {side!r}")
        new_reward = self.reward if reward is None else check_reward(reward)
        new_agent = self.agent if agent is None else agent
        if new_agent not in self.AGENTS:
            raise ValueError(f"agent must be one of {self.AGENTS}, got {agent!r}")
        self.side, self.reward, self.agent = int(new_side), new_reward, new_agent
        self._sync_widgets()
        self._redraw()

    def _episode(self) -> tuple[Track, sg.Rollouts, int]:
        track = make_track(self.side)
        config = sg.Config(side=self.side, max_steps=self.config.max_steps, gamma=self.config.gamma)
        model = track.model(self.reward)
        if self.agent == "planner":
            policy = sg.planner_policy(model, config.gamma)
        else:
            policy = sg.intended_policy(track)
        limit = config.episode_limit
        return track, sg.play(model, track, policy, limit, record=True), limit

    def _redraw(self) -> None:
        track, episode, limit = self._episode()
        points, done = int(episode.returns[0]), int(episode.laps[0])
        title = (
            f"{REWARD_TITLES[self.reward]}, side {self.side}\n"
            f"{self.agent}: {_plural(points, 'point')}, {_plural(done, 'lap')} in {limit} steps"
        )
        draw_track(self._ax, track, episode.cells[0], title=title)
        self._view = {"track": track, "episode": episode, "limit": limit}
        if hasattr(self, "picture"):
            alt = (
                f"{track_words(track)[0].upper()}{track_words(track)[1:]}, under the "
                f"{REWARD_TITLES[self.reward].lower()}, with the {self.agent} boat's route over "
                f"{limit} steps: {_plural(points, 'point')}, {_plural(done, 'lap')}; "
                f"{route_words(track, episode.cells[0])}."
            )
            self.picture.show(render_png(self.figure, dpi=80), alt)
            self._numbers.value = html.escape(self._numbers_text()).replace("\n", "<br>")
        self.redraws += 1

    def _numbers_text(self) -> str:
        episode, limit = self._view["episode"], self._view["limit"]
        return (
            f"Specified return: {int(episode.returns[0])} "
            f"(what the {REWARD_TITLES[self.reward].lower()} pays)\n"
            f"Laps completed: {int(episode.laps[0])} (what the designer wanted)\n"
            f"Net clockwise progress: {int(episode.progress[0])} cells in {limit} steps"
        )

    def _build_widgets(self) -> None:
        import ipywidgets as w

        style = {"description_width": "initial"}
        self._controls = {
            "reward": w.ToggleButtons(
                options=[(REWARD_TITLES[r], r) for r in REWARDS], description="reward",
                style={**style, "button_width": "240px"},
            ),
            "side": w.SelectionSlider(
                options=list(self.sides), description="track side", continuous_update=False,
                style=style,
            ),
            "agent": w.ToggleButtons(
                options=[("planner (optimizes the reward)", "planner"),
                         ("intended (race clockwise)", "intended")],
                description="boat", style={**style, "button_width": "220px"},
            ),
        }  # fmt: skip
        self.picture = Picture()
        self._numbers = w.HTML("")
        self._sync_widgets()
        for control in self._controls.values():
            control.observe(self._on_widget, names="value")
        c = self._controls
        self.widget = w.VBox(
            [c["reward"], c["agent"], c["side"], w.HBox([self.picture.widget, self._numbers])]
        )

    def _sync_widgets(self) -> None:
        if not hasattr(self, "_controls"):
            return
        with self._quietly():
            for name in ("reward", "side", "agent"):
                self._controls[name].value = getattr(self, name)

    def _on_widget(self, change: dict) -> None:
        name = self._changed_control(change)
        if name is None:
            return
        self.set(**{name: change["new"]})

    def text_summary(self) -> str:
        """The current view in plain text (a fallback for front ends without widgets)."""
        track, episode = self._view["track"], self._view["episode"]
        cells = episode.cells[0]
        return "\n".join(
            [
                f"Boat-race explorer: {REWARD_TITLES[self.reward]}, side {self.side}, "
                f"{self.agent}.",
                self._numbers_text(),
                f"Track cells visited (0 = start line): {_compress(cells)}",
                "",
                render_ascii(track, int(cells[-1])),
                "Key: # land, . water, > v < ^ checkpoints (entered in the arrow's direction "
                "they pay), B the boat at the end.",
            ]
        )


def _compress(cells: np.ndarray, shown: int = 20) -> str:
    text = " ".join(str(int(c)) for c in cells[:shown])
    return text + (f" ... ({len(cells) - shown} more)" if len(cells) > shown else "")


__all__ = [
    "AGENT_COLORS",
    "BoatRaceExplorer",
    "draw_track",
    "race_figure",
    "render_png",
    "route_words",
    "scores_figure",
    "scores_table",
    "track_size_figure",
    "track_words",
]
