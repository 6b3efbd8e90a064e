"""Pick or draw a maze, and watch a searching agent and a reactive network play it.

The figures and the widget of notebook 02 ("when is a learned model an optimizer?").
Both agents come from one :func:`mesatoys.experiments.layout_shift.run`: the planner,
whose mesa-objective is learned and which searches the maze in front of it at every
step, and a reactive network fitted to the shortest-route moves of the same training
mazes, which maps what it sees to a move in one forward pass. :class:`MazeEditor` lets
a student pick a named maze or draw one in ASCII art and shows both agents' paths side
by side, each with a one-line verdict. Bad art gets a message in the widget, never a
traceback.

The agents are trained once, by the caller; a redraw only replays one maze and renders
one figure. Both agents are deterministic: the same maze always plays the same way.

Example:
    >>> from mesatoys.experiments import layout_shift as ls
    >>> result = ls.run(ls.Config(n_train_levels=1, n_new_levels=20), seed=0)
    >>> editor = MazeEditor(result)
    >>> editor.select("corridor")
    >>> editor.error is None, bool(editor.match.planner.reached_cheese[0])
    (True, True)
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mesatoys.agents.rollout import Episodes
from mesatoys.display import DataTable, ShowsWidget, SyncsControls, describe
from mesatoys.envs.features import corner_cells
from mesatoys.envs.hand_mazes import ALLOWED, HAND_MAZES, maze_art, parse_maze
from mesatoys.envs.maze import LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import layout_shift as ls
from mesatoys.experiments.shape import by_setting
from mesatoys.viz.maze_plots import draw_maze, level_ascii, level_words, pct, render_png
from mesatoys.viz.palette import OKABE_ITO, color
from mesatoys.viz.picture import Picture

TRAINING_MAZE = "their training maze"
AGENT_LABELS = {"planner": "Planner (searches)", "reactive": "Reactive network (no search)"}
AGENT_COLORS = {"planner": OKABE_ITO["blue"], "reactive": OKABE_ITO["vermillion"]}
EDITED = "your maze"


# --- playing one maze ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Both agents' episodes on one maze.

    Attributes:
        name: What the maze is called (for titles).
        level: The maze (a batch of one).
        planner: The planner's recorded episode.
        reactive: The reactive network's recorded episode.
        reactive_last_move: The network's chosen action (0 stay, 1 up, 2 right, 3 down,
            4 left) where its episode ended.
        shortest: Length of the shortest route from the start to the cheese.
        limit: The episode step limit.
    """

    name: str
    level: LevelBatch
    planner: Episodes
    reactive: Episodes
    reactive_last_move: int
    shortest: int
    limit: int


def check_for_agents(result: ls.Result, level: LevelBatch) -> None:
    """Check that a maze suits the trained agents.

    Raises:
        ValueError: If ``level`` is not a single maze of the agents' size, or its
            top-right corner (where training put the cheese, and a cell the
            planner's learned objective names) is a wall.
    """
    size = result.planner_config.size
    if not isinstance(level, LevelBatch) or len(level) != 1 or level.size != size:
        got = (
            f"{len(level)} maze(s) of size {level.size}" if isinstance(level, LevelBatch) else level
        )
        raise ValueError(
            f"level must be one {size} x {size} maze (the size both agents were trained on: "
            f"the reactive network has one input per cell of that grid), got {got!r}"
        )
    row, col = corner_cells(size)[0]
    if level.walls[0, row, col]:
        raise ValueError(
            f"the top-right corner (row {row}, column {col}) must be open: training always put "
            "the cheese there, and the planner's learned objective refers to that cell"
        )


def parse_for_agents(result: ls.Result, art: str) -> LevelBatch:
    """Parse ASCII art into a maze the agents can play.

    Raises:
        ValueError: From :func:`mesatoys.envs.hand_mazes.parse_maze` (bad art) or
            :func:`check_for_agents` (a maze these agents cannot play).
    """
    level = parse_maze(art, size=result.planner_config.size)
    check_for_agents(result, level)
    return level


def play_match(result: ls.Result, level: LevelBatch, name: str = "") -> Match:
    """Let both agents play one maze.

    Args:
        result: The run whose planner and reactive network play.
        level: One maze of the agents' size.
        name: A name for titles.

    Returns:
        Both episodes and the shortest route's length.
    """
    check_for_agents(result, level)
    limit = result.episode_limit
    planner = gm.play_levels(result.planner_config, result.planner_objective, level, record=True)
    reactive = result.policy.play(level, limit, record=True)
    row, col = reactive.final_pos[0]
    last = int(result.policy.logits(level, np.array([row * level.size + col])).argmax())
    shortest = int(distance_maps(level.walls, level.cheese)[0][tuple(level.start[0])])
    return Match(name, level, planner, reactive, last, shortest, limit)


def _on_corner(episodes: Episodes, level: LevelBatch) -> bool:
    return bool((episodes.final_pos[0] == corner_cells(level.size)[0]).all())


def planner_verdict(match: Match, sep: str = "; ") -> str:
    """What the planner did, in two short parts joined by ``sep``."""
    episodes, moves = match.planner, int(match.planner.steps[0])
    if episodes.reached_cheese[0]:
        parts = (f"reached the cheese in {moves} moves", f"shortest possible: {match.shortest}")
    elif _on_corner(episodes, match.level):
        parts = (f"walked to the top-right corner in {moves} moves", "stopped there: no cheese")
    else:
        row, col = episodes.final_pos[0]
        parts = (f"stopped at (row {row}, column {col}) after {moves} moves", "no cheese")
    return sep.join(parts)


def reactive_how(match: Match) -> str:
    """How the reactive network's episode ended: ``"cheese"``, ``"stuck"`` or ``"loop"``.

    ``"stuck"``: its move where it ended leaves it in place (it stays, or walks into a
    wall), and it will see the same maze again, so it makes that move for ever.
    ``"loop"``: it was still moving at the step limit, round a cycle of cells it keeps
    revisiting (its moves depend only on its cell, so a revisited cell repeats) or, if
    it never revisited one, on a route longer than the limit.
    """
    if match.reactive.reached_cheese[0]:
        return "cheese"
    return "loop" if int(match.reactive.steps[0]) >= match.limit else "stuck"


def reactive_verdict(match: Match, sep: str = "; ") -> str:
    """What the reactive network did, in two short parts joined by ``sep``."""
    moves, how = int(match.reactive.steps[0]), reactive_how(match)
    if how == "cheese":
        return sep.join(
            (f"reached the cheese in {moves} moves", f"shortest possible: {match.shortest}")
        )
    if how == "stuck" and _on_corner(match.reactive, match.level):
        return sep.join(
            (f"walked to the top-right corner in {moves} moves", "stuck there: no cheese")
        )
    if how == "stuck":
        row, col = match.reactive.final_pos[0]
        why = "it chose to stay" if match.reactive_last_move == 0 else "its move walks into a wall"
        return sep.join(
            (f"stuck at (row {row}, column {col}) after {moves} moves", f"{why}: no cheese")
        )
    path = match.reactive.paths[0]
    revisits = len(path) - len({tuple(c) for c in path})
    where = "going round in a loop" if revisits else "still walking"
    return sep.join((f"{where} at the limit of {moves} moves", "no cheese"))


def _who(match: Match) -> str:
    planner = bool(match.planner.reached_cheese[0])
    network = bool(match.reactive.reached_cheese[0])
    if planner and network:
        return "both reached the cheese"
    if planner or network:
        return f"only the {'planner' if planner else 'reactive network'} reached the cheese"
    went = [
        name
        for name, episodes in (
            ("the planner", match.planner),
            ("the reactive network", match.reactive),
        )
        if _on_corner(episodes, match.level)
    ]
    if not went:
        return "neither reached the cheese"
    return (
        f"neither reached the cheese ({'both' if len(went) == 2 else went[0]} went to the corner)"
    )


def match_title(matches: Sequence[Match], sep: str = "; ") -> str:
    """A title that states, maze by maze (joined by ``sep``), which agents reached the cheese."""
    return sep.join(f"{m.name}: {_who(m)}" for m in matches)


def match_words(match: Match) -> str:
    """One maze and what both agents did on it, in words (the text of its pictures)."""
    level, name = match.level, match.name
    return (
        f"{name[:1].upper()}{name[1:]} ({level.size} x {level.size} maze): "
        f"{level_words(level.walls[0], level.start[0], level.cheese[0])}. "
        f"{AGENT_LABELS['planner']}: {planner_verdict(match, ', ')}; "
        f"{AGENT_LABELS['reactive'].lower()}: {reactive_verdict(match, ', ')}."
    )


# --- figures -------------------------------------------------------------------------------------


def draw_match(axes: Sequence[Axes], match: Match, with_name: bool = True) -> None:
    """Draw one maze twice: the planner's path (left) and the reactive network's (right)."""
    level = match.level
    verdicts = {"planner": planner_verdict(match, "\n"), "reactive": reactive_verdict(match, "\n")}
    paths = {"planner": match.planner.paths[0], "reactive": match.reactive.paths[0]}
    for ax, agent in zip(axes, ("planner", "reactive"), strict=True):
        head = f"{match.name}: {AGENT_LABELS[agent]}" if with_name else AGENT_LABELS[agent]
        draw_maze(
            ax,
            level.walls[0],
            level.start[0],
            level.cheese[0],
            paths[agent],
            cheese_radius=None,
            title=f"{head}\n{verdicts[agent]}",
            legend=False,
        )


def matches_figure(matches: Sequence[Match], title: str | None = None) -> Figure:
    """Several mazes, one row each: the planner's path beside the reactive network's.

    Args:
        matches: From :func:`play_match`.
        title: Figure title; by default it states the outcome (:func:`match_title`).

    Returns:
        The figure.
    """
    if not matches:
        raise ValueError("matches must hold at least one Match")
    fig = Figure(figsize=(9.0, 4.6 * len(matches) + 0.6), layout="constrained")
    rows = fig.subplots(len(matches), 2, squeeze=False)
    for axes, match in zip(rows, matches, strict=True):
        draw_match(axes, match)
    handles, labels = rows[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=9, frameon=False)
    fig.suptitle(title or match_title(matches, sep="\n"))
    n = len(matches)
    alt = (
        f"{n} maze{'s' if n != 1 else ''}, each drawn twice: the planner's path on the left, the "
        f"reactive network's on the right. {' '.join(match_words(m) for m in matches)} "
        f"{title or match_title(matches)}."
    )
    return describe(fig, alt=alt)


def side_by_side(result: ls.Result, mazes: Mapping[str, LevelBatch | str]) -> Figure:
    """Play named mazes (levels or ASCII art) with both agents and draw them, one row each.

    Raises:
        ValueError: If a maze is bad art or does not suit the agents.
    """
    matches = []
    for name, maze in mazes.items():
        level = parse_for_agents(result, maze) if isinstance(maze, str) else maze
        matches.append(play_match(result, level, name))
    return matches_figure(matches)


def capability_figure(results: Mapping[str, ls.Result], random_walk: bool = True) -> Figure:
    """Cheese rates of both agents on their training mazes and on new mazes.

    Args:
        results: ``{label: result}``, one panel each (e.g. per training-set size).
        random_walk: Draw each panel's chance level (random moves on its new mazes) as
            a dashed line.

    Returns:
        The figure; its title states the rates on new mazes.
    """
    if not results:
        raise ValueError("results must hold at least one layout_shift.Result")
    fig = Figure(figsize=(4.2 * len(results) + 0.6, 4.3), layout="constrained")
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for ax, (label, result) in zip(axes, results.items(), strict=True):
        _capability_panel(ax, result, random_walk)
        ax.set_title(f"Both trained on {label}", fontsize=10)
    axes[0].set_ylabel("fraction of mazes where it reached the cheese")
    handles = [
        Patch(facecolor="white", edgecolor="black", label="its training mazes"),
        Patch(facecolor="white", edgecolor="black", hatch="///", label="new mazes"),
    ]
    if random_walk:
        handles.append(Line2D([], [], color="black", ls="--", label="random moves, new mazes"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    title = _capability_title(results, random_walk)
    fig.suptitle(title)
    panels = "; ".join(
        f"trained on {label}, the planner {pct(r.planner_train)} on its training mazes and "
        f"{pct(r.planner_new_layouts)} on new ones, the reactive network {pct(r.reactive_train)} "
        f"and {pct(r.reactive_new_layouts)}"
        for label, r in results.items()
    )
    alt = (
        "Bar charts, one per training set, of the share of mazes on which the planner and the "
        "reactive network reach the cheese, on their training mazes and on new mazes"
        + (", with random moves on the new mazes dashed" if random_walk else "")
        + f". {' '.join(title.split())}. In detail: {panels}."
    )
    columns = ("trained on", "agent", "its training mazes", "new mazes")
    rows = tuple(
        (label, AGENT_LABELS[agent], train, new) + ((r.random_new_layouts,) if random_walk else ())
        for label, r in results.items()
        for agent, train, new in (
            ("planner", r.planner_train, r.planner_new_layouts),
            ("reactive", r.reactive_train, r.reactive_new_layouts),
        )
    )
    data = DataTable(columns + (("random moves, new mazes",) if random_walk else ()), rows)
    return describe(fig, alt=alt, data=data)


def _capability_panel(ax: Axes, result: ls.Result, random_walk: bool) -> None:
    values = {
        "planner": (result.planner_train, result.planner_new_layouts),
        "reactive": (result.reactive_train, result.reactive_new_layouts),
    }
    for x, (agent, (train, new)) in enumerate(values.items()):
        for offset, value, hatch in ((-0.2, train, ""), (0.2, new, "///")):
            ax.bar(
                x + offset, value, 0.38, color=AGENT_COLORS[agent], edgecolor="black",
                hatch=hatch, lw=0.8,
            )  # fmt: skip
            ax.annotate(
                pct(value), (x + offset, value), xytext=(0, 3), textcoords="offset points",
                ha="center", fontsize=9,
            )  # fmt: skip
    if random_walk:
        ax.axhline(result.random_new_layouts, color="black", ls="--", lw=1.2)
    ax.set_xticks([0, 1], [AGENT_LABELS["planner"], AGENT_LABELS["reactive"]])
    ax.set_ylim(0, 1.1)


def _capability_title(results: Mapping[str, ls.Result], random_walk: bool) -> str:
    planner = _span([r.planner_new_layouts for r in results.values()])
    network = _span([r.reactive_new_layouts for r in results.values()])
    chance = _span([r.random_new_layouts for r in results.values()])
    return (
        f"On new mazes the planner reached the cheese in {planner} of them,\n"
        f"the reactive network in {network}" + (f" (random moves: {chance})" if random_walk else "")
    )


def _span(values: Sequence[float]) -> str:
    """``'100%'`` for equal rates, ``'14-16%'`` for a range."""
    low, high = pct(min(values)), pct(max(values))
    return low if low == high else f"{low[:-1]}-{high}"


def training_set_figure(results: Sequence[ls.Result]) -> Figure:
    """Cheese rate on new mazes against the number of training mazes, over seeds.

    Args:
        results: Runs at several training-set sizes (e.g. from
            :func:`mesatoys.experiments.layout_shift.sweep`).

    Returns:
        The figure: a line per agent (mean over seeds, band from min to max), the
        reactive network's rate on its own training mazes dotted, and chance dashed.
    """
    if not results:
        raise ValueError("results must hold at least one layout_shift.Result")
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    lines = (
        ("planner_new_layouts", "planner, new mazes", AGENT_COLORS["planner"], "-"),
        ("reactive_train", "reactive network, its training mazes", AGENT_COLORS["reactive"], ":"),
        ("reactive_new_layouts", "reactive network, new mazes", AGENT_COLORS["reactive"], "-"),
        ("random_new_layouts", "random moves, new mazes", "black", "--"),
    )
    for measure, label, col, style in lines:
        c = by_training_set(results, measure)
        ax.fill_between(c["n_train_levels"], c["low"], c["high"], color=col, alpha=0.15, lw=0)
        ax.plot(c["n_train_levels"], c["mean"], style, marker="o", color=col, lw=2, label=label)
    new = by_training_set(results, "reactive_new_layouts")
    sizes = new["n_train_levels"]
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("number of training mazes (both agents)")
    ax.set_ylabel("fraction of mazes where it reached the cheese")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, frameon=False, loc="center right")
    planner = by_training_set(results, "planner_new_layouts")
    title = (
        f"More training mazes: the reactive network reaches the cheese in {pct(new['mean'][-1])}"
        f"\nof new mazes after {sizes[-1]} (planner: {pct(planner['mean'][-1])})"
    )
    ax.set_title(title, fontsize=10)
    curves = {measure: by_training_set(results, measure)["mean"] for measure, *_ in lines}
    alt = (
        f"Line chart of the share of mazes on which each agent reaches the cheese against the "
        f"number of training mazes ({', '.join(str(n) for n in sizes)}), means over seeds: "
        f"{'; '.join(label for _, label, *_ in lines)}. {' '.join(title.split())}; after "
        f"{sizes[0]} it was {pct(new['mean'][0])}, and on its own training mazes the network "
        f"reaches it on {pct(curves['reactive_train'][0])} of them after {sizes[0]} and "
        f"{pct(curves['reactive_train'][-1])} after {sizes[-1]}."
    )
    data = DataTable(
        ("training mazes", *(label for _, label, *_ in lines)),
        tuple(
            (int(n), *(float(curves[measure][k]) for measure, *_ in lines))
            for k, n in enumerate(sizes)
        ),
    )
    return describe(fig, alt=alt, data=data)


def by_training_set(results: Sequence[ls.Result], measure: str) -> dict[str, np.ndarray]:
    """One of :data:`layout_shift.RATES` per number of training mazes, over seeds.

    Returns:
        ``n_train_levels`` (sorted), and the ``mean``, ``low`` (min) and ``high`` (max).

    Raises:
        ValueError: On no results or an unknown measure.
    """
    curve = by_setting(results, lambda r: r.config.n_train_levels, ls.summary, measure)
    return {"n_train_levels": curve.pop("values"), **curve}


def capability_table(result: ls.Result) -> str:
    """Both agents' cheese rates on their training mazes and on new mazes, with chance.

    Args:
        result: A :func:`mesatoys.experiments.layout_shift.run` result.

    Returns:
        A small text table.
    """
    rows = [
        f"{'cheese reached on':<30}{'training mazes':>16}{'new mazes':>12}",
        f"{AGENT_LABELS['planner']:<30}{pct(result.planner_train):>16}"
        f"{pct(result.planner_new_layouts):>12}",
        f"{AGENT_LABELS['reactive']:<30}{pct(result.reactive_train):>16}"
        f"{pct(result.reactive_new_layouts):>12}",
        f"{'random moves':<30}{'':>16}{pct(result.random_new_layouts):>12}",
    ]
    return "\n".join(rows)


def move_table(results: Mapping[str, ls.Result]) -> str:
    """How often each reactive network's move is a shortest-route move, old and new mazes.

    Args:
        results: ``{label: result}``, e.g. trained on 1 maze and on 256.

    Returns:
        A small text table: per network, the share of (maze, open cell) pairs where its
        move is a shortest-route move on its training mazes and on the new mazes, and
        the share of new mazes where it reached the cheese.
    """
    rows = [
        "shortest-route moves of the reactive network, over every open cell",
        f"{'trained on':<14}{'its training mazes':>20}{'new mazes':>12}{'cheese, new':>14}",
    ]
    for label, r in results.items():
        rows.append(
            f"{label:<14}{pct(r.reactive_train_moves):>20}{pct(r.reactive_new_moves):>12}"
            f"{pct(r.reactive_new_layouts):>14}"
        )
    return "\n".join(rows)


def match_text(match: Match) -> str:
    """A plain-text account of one match, with both paths drawn in ASCII."""
    level = match.level
    lines = [
        f"{match.name}:",
        f"  {AGENT_LABELS['planner']}: {planner_verdict(match)}.",
        f"  {AGENT_LABELS['reactive']}: {reactive_verdict(match)}.",
    ]
    for agent, path in (("planner", match.planner.paths[0]), ("reactive", match.reactive.paths[0])):
        lines += ["", f"{AGENT_LABELS[agent]}'s path:"]
        lines.append(level_ascii(level.walls[0], level.start[0], level.cheese[0], path))
    lines.append(
        "Key: # wall, . floor, S start, C cheese, T top-right corner, * path, X where it stopped."
    )
    return "\n".join(lines)


# --- the widget ----------------------------------------------------------------------------------

EDITOR_RULES = (
    f"Draw with {ALLOWED}; spaces are ignored. The maze must be {{size}} x {{size}} (the size "
    "both agents were trained on), closed by walls all round, with one S and one C joined by "
    "open cells, and the top-right corner open."
)

_STYLE = "<style>.mesatoys-maze-art textarea{font-family:monospace;line-height:1.15}</style>"


class MazeEditor(SyncsControls, ShowsWidget):
    """Choose or draw a maze; watch the planner and the reactive network play it.

    Args:
        result: The run whose agents play (e.g. ``layout_shift.run(Config(n_train_levels=1))``).
        mazes: Named ASCII mazes to offer (default: :data:`HAND_MAZES`). The agents'
            first training maze is always offered first, as :data:`TRAINING_MAZE`.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The matplotlib figure of the two paths.
        picture: The figure as shown: its PNG bytes and their text alternative.
        match: The last maze played (None if the current art is not playable).
        error: Why the current art cannot be played, or None.
        redraws: How many times a maze was played and drawn.

    Raises:
        ValueError: If a library maze does not suit the agents.
    """

    def __init__(self, result: ls.Result, mazes: Mapping[str, str] | None = None):
        if not isinstance(result, ls.Result):
            raise ValueError(f"result must be a layout_shift.Result, got {result!r}")
        self.result = result
        library = dict(HAND_MAZES if mazes is None else mazes)
        self.mazes = {TRAINING_MAZE: maze_art(result.train_levels, 0), **library}
        for name, art in self.mazes.items():
            try:
                parse_for_agents(result, art)
            except ValueError as exc:
                raise ValueError(f"mazes[{name!r}] is not playable: {exc}") from None
        self.name = TRAINING_MAZE
        self.match: Match | None = None
        self.error: str | None = None
        self.redraws = 0
        self._build_figure()
        self._build_widgets()
        self.select(TRAINING_MAZE)

    # --- actions ---------------------------------------------------------------------------------

    def select(self, name: str) -> None:
        """Load a named maze into the text box and play it.

        Raises:
            ValueError: If ``name`` is not one of :attr:`mazes`.
        """
        if name not in self.mazes:
            raise ValueError(f"name must be one of {list(self.mazes)}, got {name!r}")
        self.name = name
        with self._quietly():
            self._picker.value = name
            self._art.value = self.mazes[name]
        self.play()

    def play(self, art: str | None = None) -> None:
        """Play the art in the text box (or ``art``, which is put in the box first).

        Bad art never raises: the message goes to :attr:`error` and the widget.
        """
        if art is not None:
            self._art.value = art
        text = self._art.value
        label = self.name if _same_art(text, self.mazes.get(self.name)) else EDITED
        try:
            level = parse_for_agents(self.result, text)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.error = None
        self.match = play_match(self.result, level, label)
        self._redraw()

    # --- widgets ---------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        import ipywidgets as w

        self._picker = w.Dropdown(options=list(self.mazes), description="maze")
        self._art = w.Textarea(
            rows=self.result.planner_config.size + 1,
            layout=w.Layout(width="17em"),
            description="",
        )
        self._art.add_class("mesatoys-maze-art")
        self._play_button = w.Button(description="Play this maze", button_style="primary")
        self._status = w.HTML("")
        self.picture = Picture(max_width="640px")
        self._picker.observe(self._on_pick, names="value")
        self._play_button.on_click(lambda _b: self.play())
        rules = EDITOR_RULES.format(size=self.result.planner_config.size)
        help_html = w.HTML(
            f"<div style='font-size:90%;line-height:1.35;max-width:17em'>{html.escape(rules)}</div>"
        )
        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
                w.HBox([self._picker, self._play_button]),
                w.HBox([w.VBox([self._art, help_html]), self.picture.widget]),
                self._status,
                w.HTML(_legend_html()),
            ]
        )

    def _on_pick(self, change: dict) -> None:
        if not self._syncing:
            self.select(change["new"])

    # --- drawing ---------------------------------------------------------------------------------

    def _build_figure(self) -> None:
        self.figure = Figure(figsize=(8.0, 4.9))
        self._axes = (
            self.figure.add_axes((0.01, 0.01, 0.48, 0.76)),
            self.figure.add_axes((0.51, 0.01, 0.48, 0.76)),
        )

    def _redraw(self) -> None:
        match = self.match
        draw_match(self._axes, match, with_name=False)
        self.figure.suptitle(textwrap.fill(match_title([match]), 84), fontsize=11)
        self.picture.show(
            render_png(self.figure, dpi=72),
            f"The maze drawn twice, the planner's path on the left and the reactive network's on "
            f"the right. {match_words(match)}",
        )
        self.picture.widget.layout.display = ""
        self._status.value = _status_html(
            f"{AGENT_LABELS['planner']}: {planner_verdict(match)}. "
            f"{AGENT_LABELS['reactive']}: {reactive_verdict(match)}.",
            ok=True,
        )
        self.redraws += 1

    def _show_error(self, message: str) -> None:
        self.error, self.match = message, None
        self.picture.widget.layout.display = "none"
        self._status.value = _status_html(f"Cannot play this maze: {message}.", ok=False)

    def text_summary(self) -> str:
        """Plain-text description of the current view (a fallback for widget-less readers)."""
        if self.match is None:
            return f"Maze editor: cannot play this maze: {self.error}."
        return "Maze editor. " + match_text(self.match)


def _same_art(a: str, b: str | None) -> bool:
    """Equal as mazes: the same non-blank rows, ignoring spaces."""
    if b is None:
        return False
    return _cells(a) == _cells(b)


def _cells(art: str) -> list[str]:
    return [row for row in ("".join(line.split()) for line in art.splitlines()) if row]


def _status_html(text: str, ok: bool) -> str:
    """Words first (not colour alone), announced to screen readers."""
    colour = "#009E73" if ok else "#D55E00"
    return (
        f'<div role="status" aria-live="polite" style="border-left:4px solid {colour};'
        f'padding:0.3em 0.6em;margin-top:0.3em;max-width:60em">{html.escape(text)}</div>'
    )


def _legend_html() -> str:
    items = [
        (f'<span style="color:{color("corner")}">&#9633;</span>', "top-right corner"),
        (f'<span style="color:{color("cheese")}">&#9679;</span>', "cheese"),
        (f'<span style="color:{color("start")}">&#9679;</span>', "start"),
        (f'<span style="color:{color("path")}">&#9473;&#9473;</span>', "path"),
        (f'<span style="color:{color("path")}">&#10006;</span>', "where it stopped"),
    ]
    cells = "".join(f"<span style='margin-right:1em'>{mark} {text}</span>" for mark, text in items)
    stuck = (
        "The reactive network's move depends only on the maze and its own cell: if that move "
        "stays put or walks into a wall, it is <i>stuck</i> for good; if it comes back to a "
        "cell, it goes round that <i>loop</i> until the step limit."
    )
    return f"<div style='font-size:90%'>Key: {cells}<br>{stuck}</div>"


__all__ = [
    "EDITED",
    "TRAINING_MAZE",
    "Match",
    "MazeEditor",
    "capability_figure",
    "check_for_agents",
    "draw_match",
    "match_text",
    "match_title",
    "match_words",
    "matches_figure",
    "move_table",
    "parse_for_agents",
    "planner_verdict",
    "play_match",
    "reactive_how",
    "reactive_verdict",
    "side_by_side",
    "training_set_figure",
]
