"""Figures of what the evidence says about scheming in real models (notebook 05).

These draw published numbers, loaded by :mod:`mesatoys.evidence`, not course toys:

- :func:`observed_figure`: which of six models showed scheming at least once in each of
  six evaluations (Table 1 of Meinke et al. 2024, "Frontier Models are Capable of
  In-context Scheming", arXiv:2412.04984).
- :func:`rates_figure`: how often each model took each scheming action in the four
  covert-subversion evaluations (their Table 2, or Table 4 without the goal nudge).
- :func:`anti_scheming_figure`: covert-action rates of o3 and o4-mini before and after
  anti-scheming training (Schoen et al. 2025, "Stress Testing Deliberative Alignment
  for Anti-Scheming Training", arXiv:2509.15541).

Every title states the finding, computed from the data; every figure ends with a caption
line that cites the table or section each number comes from. Figures are plain
:class:`matplotlib.figure.Figure` objects in the Okabe-Ito palette.

Example:
    >>> fig = anti_scheming_figure()
    >>> fig.axes[0].get_ylabel()
    'covert action rate (% of samples)'
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.figure import Figure

from mesatoys import evidence as ev
from mesatoys.display import DataTable, describe
from mesatoys.viz.palette import OKABE_ITO

SEEN_COLOR = OKABE_ITO["vermillion"]
BEFORE_COLOR = OKABE_ITO["vermillion"]
AFTER_COLOR = OKABE_ITO["bluish_green"]
_RATE_CMAP = LinearSegmentedColormap.from_list("rate", ["#FFFFFF", OKABE_ITO["blue"]])
_SEEN_CMAP = ListedColormap(["#FFFFFF", SEEN_COLOR])
_CONDITION_WORDS = {
    "strong goal nudge": "with a strong goal nudge",
    "no goal nudge": "without a goal nudge",
}
_NOT_A_TOY = "Published measurements of real models, not a course toy."


def observed_figure(findings: Iterable[ev.Finding] | None = None) -> Figure:
    """Grid of models x evaluations, filled where the paper saw scheming at least once.

    Args:
        findings: Findings to draw; by default :func:`mesatoys.evidence.load_scheming_findings`.

    Returns:
        The figure.
    """
    table = ev.scheming_observed(_findings(findings))
    fig = Figure(figsize=(8.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(table.values, cmap=_SEEN_CMAP, vmin=0, vmax=1, aspect="auto")
    for (i, j), seen in np.ndenumerate(table.values):
        ax.text(j, i, "yes" if seen else "no", ha="center", va="center", fontsize=8,
                color="white" if seen else "#555555")  # fmt: skip
    ax.set_xticks(range(len(table.columns)), [_wrap(c, 14) for c in table.columns], fontsize=8)
    ax.set_yticks(range(len(table.rows)), table.rows, fontsize=8)
    ax.set_xticks(np.arange(-0.5, len(table.columns)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(table.rows)), minor=True)
    ax.grid(which="minor", color="#BBBBBB", lw=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("evaluation (filled: scheming seen in at least one rollout)")
    ax.set_ylabel("model")
    title = observed_title(table)
    ax.set_title(title, fontsize=10)
    _caption(fig, table.citations())
    counts = (table.values > 0).sum(axis=1)
    per_model = ", ".join(
        f"{m} {int(n)}" for n, m in sorted(zip(counts, table.rows, strict=True), reverse=True)
    )
    alt = (
        f"{_NOT_A_TOY} Grid of {len(table.rows)} models by {len(table.columns)} evaluations, "
        f"filled where scheming was seen in at least one rollout "
        f"({_sources(table.citations())}). {title}; evaluations with scheming seen, per model: "
        f"{per_model}."
    )
    data = DataTable(
        ("model", *table.columns),
        tuple(
            (model, *("yes" if v > 0 else "no" for v in row))
            for model, row in zip(table.rows, table.values, strict=True)
        ),
    )
    return describe(fig, alt=alt, data=data)


def observed_title(table: ev.Matrix) -> str:
    """Title of :func:`observed_figure`: how many models schemed, and which did everywhere."""
    some = int((table.values > 0).any(axis=1).sum())
    every = [m for m, row in zip(table.rows, table.values, strict=True) if (row > 0).all()]
    everywhere = (
        f"only {' and '.join(every)} did in all {len(table.columns)}"
        if every
        else (f"none did in all {len(table.columns)}")
    )
    return f"{some} of {len(table.rows)} models schemed in at least one evaluation; {everywhere}"


def rates_figure(
    findings: Iterable[ev.Finding] | None = None, condition: str = "strong goal nudge"
) -> Figure:
    """Heatmap of how often each model took each covert-subversion action.

    Args:
        findings: Findings to draw; by default the shipped ones.
        condition: ``"strong goal nudge"`` (Table 2) or ``"no goal nudge"`` (Table 4).

    Returns:
        The figure.

    Raises:
        ValueError: For another condition.
    """
    if condition not in _CONDITION_WORDS:
        raise ValueError(f"condition must be one of {list(_CONDITION_WORDS)}, got {condition!r}")
    table = ev.behaviour_matrix(_findings(findings), "rate", condition)
    values = table.values.T  # behaviours down, models across
    top = max(np.nanmax(values), 0.01)
    fig = Figure(figsize=(8.2, 5.8), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(100 * values, cmap=_RATE_CMAP, vmin=0, vmax=100 * top, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, _percent(v), ha="center", va="center", fontsize=7.5,
                color="white" if v > 0.6 * top else "black")  # fmt: skip
    ax.set_xticks(range(len(table.rows)), [_wrap(m, 10) for m in table.rows], fontsize=8)
    ax.set_yticks(range(len(table.columns)), _behaviour_labels(table), fontsize=7.5)
    ax.set_xlabel("model")
    ax.set_ylabel("evaluation: scheming action")
    rollouts = sorted({f.n for f in table.findings if f.n})
    label = f"% of rollouts ({'/'.join(map(str, rollouts))} per model and evaluation)"
    fig.colorbar(image, ax=ax, shrink=0.8).set_label(label, fontsize=8)
    title = rates_title(table, condition)
    ax.set_title(_wrap(title, 80), fontsize=10)
    _caption(fig, table.citations())
    seen = int((np.nan_to_num(values) > 0).sum())
    alt = (
        f"{_NOT_A_TOY} Heat map of how often each of {len(table.rows)} models took each of "
        f"{len(table.columns)} covert-subversion actions {_CONDITION_WORDS[condition]}, in % of "
        f"rollouts ({_sources(table.citations())}). {title}; {seen} of {values.size} "
        f"model-action pairs are above zero."
    )
    data = DataTable(
        ("evaluation: scheming action", *table.rows),
        tuple(
            (label, *(_percent(v) for v in row))
            for label, row in zip(_behaviour_labels(table), values, strict=True)
        ),
    )
    return describe(fig, alt=alt, data=data)


def rates_title(table: ev.Matrix, condition: str) -> str:
    """Title of :func:`rates_figure`: the highest rate, who showed it, and where."""
    i, j = np.unravel_index(np.nanargmax(table.values), table.values.shape)
    top = table.values[i, j]
    return (
        f"Scheming actions were rare {_CONDITION_WORDS[condition]}: the highest rate was "
        f"{_percent(top)} ({table.rows[i]}, {table.columns[j].lower()})"
    )


def anti_scheming_figure(
    results: Iterable[ev.TrainingResult] | None = None, primary_only: bool = True
) -> Figure:
    """Bars of covert-action rates before and after anti-scheming training.

    Args:
        results: Results to draw; by default :func:`mesatoys.evidence.load_anti_scheming_results`.
        primary_only: Draw only numbers read in the paper itself.

    Returns:
        The figure.
    """
    results = ev.load_anti_scheming_results() if results is None else tuple(results)
    pairs = ev.stage_values(results, primary_only=primary_only)
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(pairs))
    for k, (stage, shade) in enumerate(
        zip(ev.STAGES[:2], (BEFORE_COLOR, AFTER_COLOR), strict=True)
    ):
        heights = [100 * pair[k].value for pair in pairs.values()]
        bars = ax.bar(x + (k - 0.5) * 0.38, heights, 0.38, color=shade, edgecolor="black",
                      linewidth=0.5, label=stage)  # fmt: skip
        ax.bar_label(bars, [f"{h:g}%" for h in heights], fontsize=8, padding=2)
    ax.set_xticks(x, list(pairs))
    ax.set_xlabel("model (OpenAI), covert actions pooled over 26 test evaluations")
    ax.set_ylabel("covert action rate (% of samples)")
    ax.set_ylim(0, 1.18 * max(100 * p[0].value for p in pairs.values()))
    ax.legend(fontsize=8, frameon=False)
    title = anti_scheming_title(pairs)
    ax.set_title(title, fontsize=10)
    citations = [r.citation for pair in pairs.values() for r in pair]
    _caption(fig, citations)
    changes = ", ".join(
        f"{model} from {100 * pair[0].value:g}% to {100 * pair[1].value:g}%"
        for model, pair in pairs.items()
    )
    alt = (
        f"{_NOT_A_TOY} Bar chart of covert action rates before and after anti-scheming "
        f"training, pooled over 26 test evaluations ({_sources(citations)}). {title}: "
        f"{changes} of samples."
    )
    data = DataTable(
        ("model", *(f"covert action rate {stage} (%)" for stage in ev.STAGES[:2])),
        tuple((model, 100 * pair[0].value, 100 * pair[1].value) for model, pair in pairs.items()),
    )
    return describe(fig, alt=alt, data=data)


def anti_scheming_title(pairs: dict[str, tuple[ev.TrainingResult, ...]]) -> str:
    """Title of :func:`anti_scheming_figure`: the range of fold reductions, and the floor."""
    factors = [ev.reduction_factor(p[0].value, p[1].value) for p in pairs.values()]
    span = (
        f"{min(factors):.0f}"
        if round(min(factors)) == round(max(factors))
        else (f"{min(factors):.0f} to {max(factors):.0f}")
    )
    return f"Anti-scheming training cut covert actions {span}-fold, but not to zero"


def _findings(findings: Iterable[ev.Finding] | None) -> tuple[ev.Finding, ...]:
    return ev.load_scheming_findings() if findings is None else tuple(findings)


def _behaviour_labels(table: ev.Matrix) -> list[str]:
    evaluation = {f.behaviour: f.evaluation for f in table.findings}
    return [f"{evaluation[b]}: {b.lower()}" for b in table.columns]


def _percent(value: float) -> str:
    if np.isnan(value):
        return "-"
    if value == 0:
        return "0"
    return f"{100 * value:.0f}%" if value >= 0.01 else f"{100 * value:.1f}%"


def _sources(citations: Iterable[ev.Citation]) -> str:
    return "source: " + "; ".join(caption_sources(citations))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _caption(fig: Figure, citations: Sequence[ev.Citation]) -> None:
    """Write the source line under the figure (one entry per paper) and leave room for it."""
    text = f"{_NOT_A_TOY} Source: " + "; ".join(caption_sources(citations)) + "."
    lines = textwrap.wrap(text, 120, break_on_hyphens=False)
    height = (0.02 + 0.025 * len(lines)) * 4.4 / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0, height, 1, 1 - height))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=6.5, va="bottom", color="#333333")


def caption_sources(citations: Iterable[ev.Citation]) -> list[str]:
    """One citation per paper and page read, with every locator used, in first-use order."""
    locators: dict[ev.Citation, list[str]] = {}
    for c in citations:
        key = next((k for k in locators if _same_source(k, c)), c)
        if c.locator not in locators.setdefault(key, []):
            locators[key].append(c.locator)
    return [
        ev.Citation(**{**vars(c), "locator": " / ".join(locs)}).short()
        for c, locs in locators.items()
    ]


def _same_source(a: ev.Citation, b: ev.Citation) -> bool:
    return (a.url, a.source_url, a.source_kind) == (b.url, b.source_url, b.source_kind)
