"""Pick or draw a maze, and watch a searching agent and a lookup table play it.

The figures and the widget of notebook 02 ("when is a learned model an optimizer?").
Two agents are trained on the same levels with the same reward
(:func:`mesatoys.experiments.goal_misgeneralization.train_agents`): the planner, whose
mesa-objective is learned and which searches the maze in front of it at every step,
and a reactive lookup table, which stores a move for each situation it met in
training. :class:`MazeEditor` lets a student pick a named maze or draw one in ASCII
art and shows both agents' paths side by side, each with a one-line verdict. Bad art
gets a message in the widget, never a traceback.

The agents are trained once, by the caller; a redraw only replays one maze and
renders one figure. The lookup table breaks ties between equally valued moves at
random ("coin flips"); the editor uses a fixed stream of coin flips, so the same maze
replays the same way until the student asks for new ones.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> agents = gm.train_agents(gm.Config(n_test_levels=20), seed=0, n_levels=1)
    >>> editor = MazeEditor(agents)
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
from mesatoys.envs.features import corner_cells
from mesatoys.envs.hand_mazes import ALLOWED, HAND_MAZES, maze_art, parse_maze
from mesatoys.envs.maze import LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.viz.display import ShowsWidget, SyncsControls
from mesatoys.viz.maze_plots import draw_maze, level_ascii, pct, render_png
from mesatoys.viz.palette import OKABE_ITO, color

TRAINING_MAZE = "their training maze"
AGENT_LABELS = {"planner": "Planner (searches)", "reactive": "Lookup table (no search)"}
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
        reactive: The lookup table's recorded episode, with its coin flips.
        shortest: Length of the shortest route from the start to the cheese.
    """

    name: str
    level: LevelBatch
    planner: Episodes
    reactive: gm.ReactiveTrace
    shortest: int

    @property
    def coin_flips(self) -> int:
        """Moves the lookup table chose at random (its table had no single best move)."""
        return int(self.reactive.moves[0] - self.reactive.decided[0].sum())


def check_for_agents(agents: gm.TrainedAgents, level: LevelBatch) -> None:
    """Check that a maze suits the trained agents.

    Raises:
        ValueError: If ``level`` is not a single maze of the agents' size, or its
            top-right corner (where training put the cheese, and a cell the
            planner's learned objective names) is a wall.
    """
    size = agents.config.size
    if not isinstance(level, LevelBatch) or len(level) != 1 or level.size != size:
        got = (
            f"{len(level)} maze(s) of size {level.size}" if isinstance(level, LevelBatch) else level
        )
        raise ValueError(
            f"level must be one {size} x {size} maze (the size both agents were trained on: "
            f"the lookup table has one entry per cell of that grid), got {got!r}"
        )
    row, col = corner_cells(size)[0]
    if level.walls[0, row, col]:
        raise ValueError(
            f"the top-right corner (row {row}, column {col}) must be open: training always put "
            "the cheese there, and the planner's learned objective refers to that cell"
        )


def parse_for_agents(agents: gm.TrainedAgents, art: str) -> LevelBatch:
    """Parse ASCII art into a maze the agents can play.

    Raises:
        ValueError: From :func:`mesatoys.envs.hand_mazes.parse_maze` (bad art) or
            :func:`check_for_agents` (a maze these agents cannot play).
    """
    level = parse_maze(art, size=agents.config.size)
    check_for_agents(agents, level)
    return level


def play_match(
    agents: gm.TrainedAgents, level: LevelBatch, name: str = "", coin_seed: int = 0
) -> Match:
    """Let both agents play one maze.

    Args:
        agents: The trained planner and lookup table.
        level: One maze of the agents' size.
        name: A name for titles.
        coin_seed: Seed of the lookup table's tie-breaking coin flips.

    Returns:
        Both episodes and the shortest route's length.
    """
    check_for_agents(agents, level)
    config = agents.config
    planner = gm.play(config, agents.planner.weights, level, record=True)
    rng = np.random.default_rng(gm.check_seed(coin_seed))
    reactive = gm.trace_reactive(agents.reactive, level, config.episode_limit, rng)
    shortest = int(distance_maps(level.walls, level.cheese)[0][tuple(level.start[0])])
    return Match(name, level, planner, reactive, shortest)


def planner_verdict(match: Match, sep: str = "; ") -> str:
    """What the planner did, in two short parts joined by ``sep``."""
    episodes, moves = match.planner, int(match.planner.steps[0])
    if episodes.reached_cheese[0]:
        parts = (f"reached the cheese in {moves} moves", f"shortest possible: {match.shortest}")
    elif (episodes.final_pos[0] == corner_cells(match.level.size)[0]).all():
        parts = (f"walked to the top-right corner in {moves} moves", "stopped there: no cheese")
    else:
        row, col = episodes.final_pos[0]
        parts = (f"stopped at (row {row}, column {col}) after {moves} moves", "no cheese")
    return sep.join(parts)


def reactive_verdict(match: Match, sep: str = "; ") -> str:
    """What the lookup table did and how many of its moves were coin flips, joined by ``sep``."""
    moves, flips = int(match.reactive.moves[0]), match.coin_flips
    how = "every move from its table" if flips == 0 else f"{flips} of {moves} moves coin flips"
    got = match.reactive.episodes.reached_cheese[0]
    return sep.join((f"{'reached' if got else 'missed'} the cheese in {moves} moves", how))


def _who(match: Match) -> str:
    planner = bool(match.planner.reached_cheese[0])
    table = bool(match.reactive.episodes.reached_cheese[0])
    if planner and table:
        return "both reached the cheese"
    if planner or table:
        return f"only the {'planner' if planner else 'lookup table'} reached the cheese"
    corner = bool(match.planner.reached_corner[0])
    return "neither reached the cheese" + (" (the planner went to the corner)" if corner else "")


def match_title(matches: Sequence[Match], sep: str = "; ") -> str:
    """A title that states, maze by maze (joined by ``sep``), which agents reached the cheese."""
    return sep.join(f"{m.name}: {_who(m)}" for m in matches)


# --- figures -------------------------------------------------------------------------------------


def draw_match(axes: Sequence[Axes], match: Match, with_name: bool = True) -> None:
    """Draw one maze twice: the planner's path (left) and the lookup table's (right)."""
    level = match.level
    verdicts = {"planner": planner_verdict(match, "\n"), "reactive": reactive_verdict(match, "\n")}
    paths = {"planner": match.planner.paths[0], "reactive": match.reactive.episodes.paths[0]}
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
    """Several mazes, one row each: the planner's path beside the lookup table's.

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
    return fig


def side_by_side(
    agents: gm.TrainedAgents, mazes: Mapping[str, LevelBatch | str], coin_seed: int = 0
) -> Figure:
    """Play named mazes (levels or ASCII art) with both agents and draw them, one row each.

    Raises:
        ValueError: If a maze is bad art or does not suit the agents.
    """
    matches = []
    for name, maze in mazes.items():
        level = parse_for_agents(agents, maze) if isinstance(maze, str) else maze
        matches.append(play_match(agents, level, name, coin_seed))
    return matches_figure(matches)


def capability_figure(
    comparisons: Mapping[str, gm.CapabilityComparison], random_walk: float | None = None
) -> Figure:
    """Cheese rates of both agents on their training mazes and on new mazes.

    Args:
        comparisons: ``{label: comparison}``, one panel each (e.g. per training set).
        random_walk: Cheese rate of random moves on the same new mazes, drawn as a
            dashed line; None draws none.

    Returns:
        The figure; its title states the rates on new mazes.
    """
    if not comparisons:
        raise ValueError("comparisons must hold at least one CapabilityComparison")
    fig = Figure(figsize=(4.2 * len(comparisons) + 0.6, 4.3), layout="constrained")
    axes = fig.subplots(1, len(comparisons), sharey=True, squeeze=False)[0]
    for ax, (label, comparison) in zip(axes, comparisons.items(), strict=True):
        _capability_panel(ax, comparison, random_walk)
        ax.set_title(f"Both trained on {label}", fontsize=10)
    axes[0].set_ylabel("fraction of mazes where it reached the cheese")
    handles = [
        Patch(facecolor="white", edgecolor="black", label="its training mazes"),
        Patch(facecolor="white", edgecolor="black", hatch="///", label="new mazes"),
    ]
    if random_walk is not None:
        handles.append(Line2D([], [], color="black", ls="--", label="random moves, new mazes"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(_capability_title(comparisons, random_walk))
    return fig


def _capability_panel(
    ax: Axes, comparison: gm.CapabilityComparison, random_walk: float | None
) -> None:
    values = {
        "planner": (comparison.planner_train, comparison.planner_new_layouts),
        "reactive": (comparison.reactive_train, comparison.reactive_new_layouts),
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
    if random_walk is not None:
        ax.axhline(random_walk, color="black", ls="--", lw=1.2)
    ax.set_xticks([0, 1], [AGENT_LABELS["planner"], AGENT_LABELS["reactive"]])
    ax.set_ylim(0, 1.1)


def _capability_title(
    comparisons: Mapping[str, gm.CapabilityComparison], random_walk: float | None
) -> str:
    planner = _span([c.planner_new_layouts for c in comparisons.values()])
    table = _span([c.reactive_new_layouts for c in comparisons.values()])
    chance = "" if random_walk is None else f" (random moves: {pct(random_walk)})"
    return (
        f"On new mazes the planner reached the cheese in {planner} of them,\n"
        f"the lookup table in {table}{chance}"
    )


def _span(values: Sequence[float]) -> str:
    """``'100%'`` for equal rates, ``'14-16%'`` for a range."""
    low, high = pct(min(values)), pct(max(values))
    return low if low == high else f"{low[:-1]}-{high}"


def decision_table(
    agents: Mapping[str, gm.TrainedAgents], new_levels: LevelBatch, coin_seed: int = 0
) -> str:
    """What each lookup table learned, and how many of its moves it decided, old and new mazes.

    Args:
        agents: ``{label: trained agents}``, e.g. trained on 1 maze and on 256.
        new_levels: Mazes none of them was trained on.
        coin_seed: Seed of the tie-breaking coin flips.

    Returns:
        A small text table: the situations with learned values (of all the table
        has room for), then the share of moves its table decided (the rest were
        coin flips) on its training mazes and on the new mazes.
    """
    rows = [
        "moves decided by the lookup table (the rest were coin flips)",
        f"{'table trained on':<18}{'situations learned':>20}{'its training mazes':>20}"
        f"{f'{len(new_levels)} new mazes':>16}",
    ]
    for label, pair in agents.items():
        table = pair.reactive.q_table_
        learned = f"{int((table != 0).any(axis=1).sum()):,} of {len(table):,}"
        shares = [
            gm.trace_reactive(
                pair.reactive, levels, pair.config.episode_limit, np.random.default_rng(coin_seed)
            ).decided_share
            for levels in (pair.planner.train_levels, new_levels)
        ]
        rows.append(f"{label:<18}{learned:>20}{pct(shares[0]):>20}{pct(shares[1]):>16}")
    return "\n".join(rows)


def match_text(match: Match) -> str:
    """A plain-text account of one match, with both paths drawn in ASCII."""
    level = match.level
    lines = [
        f"{match.name}:",
        f"  {AGENT_LABELS['planner']}: {planner_verdict(match)}.",
        f"  {AGENT_LABELS['reactive']}: {reactive_verdict(match)}.",
    ]
    for agent, path in (
        ("planner", match.planner.paths[0]),
        ("reactive", match.reactive.episodes.paths[0]),
    ):
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
    """Choose or draw a maze; watch the planner and the lookup table play it.

    Args:
        agents: The trained agents (e.g. ``gm.train_agents(config, seed, n_levels=1)``).
        mazes: Named ASCII mazes to offer (default: :data:`HAND_MAZES`). The agents'
            first training maze is always offered first, as :data:`TRAINING_MAZE`.

    Attributes:
        widget: The ipywidgets container to display.
        figure: The matplotlib figure of the two paths.
        match: The last maze played (None if the current art is not playable).
        error: Why the current art cannot be played, or None.
        redraws: How many times a maze was played and drawn.

    Raises:
        ValueError: If a library maze does not suit the agents.
    """

    def __init__(self, agents: gm.TrainedAgents, mazes: Mapping[str, str] | None = None):
        if not isinstance(agents, gm.TrainedAgents):
            raise ValueError(
                f"agents must be a goal_misgeneralization.TrainedAgents, got {agents!r}"
            )
        self.agents = agents
        library = dict(HAND_MAZES if mazes is None else mazes)
        self.mazes = {TRAINING_MAZE: maze_art(agents.planner.train_levels, 0), **library}
        for name, art in self.mazes.items():
            try:
                parse_for_agents(agents, art)
            except ValueError as exc:
                raise ValueError(f"mazes[{name!r}] is not playable: {exc}") from None
        self.name, self.coin_seed = TRAINING_MAZE, 0
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
            level = parse_for_agents(self.agents, text)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.error = None
        self.match = play_match(self.agents, level, label, self.coin_seed)
        self._redraw()

    def new_coin_flips(self) -> None:
        """Replay the current maze with a fresh stream of the lookup table's coin flips."""
        self.coin_seed += 1
        self.play()

    # --- widgets ---------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        import ipywidgets as w

        self._picker = w.Dropdown(options=list(self.mazes), description="maze")
        self._art = w.Textarea(
            rows=self.agents.config.size + 1,
            layout=w.Layout(width="17em"),
            description="",
        )
        self._art.add_class("mesatoys-maze-art")
        self._play_button = w.Button(description="Play this maze", button_style="primary")
        self._coin_button = w.Button(
            description="New coin flips for the table", layout=w.Layout(width="auto")
        )
        self._status = w.HTML("")
        self._image = w.Image(format="png", layout=w.Layout(max_width="640px"))
        self._picker.observe(self._on_pick, names="value")
        self._play_button.on_click(lambda _b: self.play())
        self._coin_button.on_click(lambda _b: self.new_coin_flips())
        rules = EDITOR_RULES.format(size=self.agents.config.size)
        help_html = w.HTML(
            f"<div style='font-size:90%;line-height:1.35;max-width:17em'>{html.escape(rules)}</div>"
        )
        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
                w.HBox([self._picker, self._play_button, self._coin_button]),
                w.HBox([w.VBox([self._art, help_html]), self._image]),
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
        self._image.value = render_png(self.figure, dpi=72)
        self._image.layout.display = ""
        self._status.value = _status_html(
            f"{AGENT_LABELS['planner']}: {planner_verdict(match)}. "
            f"{AGENT_LABELS['reactive']}: {reactive_verdict(match)}.",
            ok=True,
        )
        self.redraws += 1

    def _show_error(self, message: str) -> None:
        self.error, self.match = message, None
        self._image.layout.display = "none"
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
    coin = (
        "A <i>coin flip</i> is a move the lookup table chose at random, because its table held "
        "no single best move for that situation."
    )
    return f"<div style='font-size:90%'>Key: {cells}<br>{coin}</div>"


__all__ = [
    "EDITED",
    "TRAINING_MAZE",
    "Match",
    "MazeEditor",
    "capability_figure",
    "check_for_agents",
    "decision_table",
    "draw_match",
    "match_text",
    "match_title",
    "matches_figure",
    "parse_for_agents",
    "planner_verdict",
    "play_match",
    "reactive_verdict",
    "side_by_side",
]
