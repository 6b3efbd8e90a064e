"""What the evidence says: published measurements of scheming in real language models.

Everything else in the course is a toy that we simulate. This module is not: it loads
numbers that two papers report about real frontier models, so a notebook can show them
next to the toys without mixing the two up.

- Meinke, Schoen, Scheurer, Balesni, Shah and Hobbhahn (2024), "Frontier Models are
  Capable of In-context Scheming", Apollo Research, arXiv:2412.04984. Six agentic
  evaluations (oversight subversion, self-exfiltration, goal-guarding, covert email
  reranking, instrumental alignment faking, sandbagging) run on o1, Claude 3.5 Sonnet,
  Claude 3 Opus, Gemini 1.5 Pro, Llama 3.1 405B and GPT-4o. The goal, and the facts that
  make scheming useful, are given in context; the authors measure capability, not how
  often models would scheme unprompted.
- Schoen, Nitishinskaya, Balesni et al. (2025), "Stress Testing Deliberative Alignment
  for Anti-Scheming Training", OpenAI and Apollo Research, arXiv:2509.15541. Covert-action
  rates of o3 and o4-mini before and after anti-scheming training.

Each row of the two CSV files in :mod:`mesatoys.data` carries its citation (author, year,
title), a locator (table, section or abstract), the arXiv URL and whether the number
was read from the paper itself (``primary``) or only from a summary (``second-hand``).
The loaders refuse a row that lacks any of these.

Example:
    >>> from mesatoys import evidence
    >>> findings = evidence.load_scheming_findings()
    >>> seen = evidence.scheming_observed(findings)
    >>> seen.value("o1", "Sandbagging")
    1.0
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

FINDINGS_FILE = "scheming_evidence.csv"
RESULTS_FILE = "anti_scheming_results.csv"

#: Models of Meinke et al. (2024), in the order of their Table 1.
MODELS = (
    "GPT-4o",
    "Gemini 1.5 Pro",
    "Llama 3.1 405B",
    "Claude 3.5 Sonnet",
    "Claude 3 Opus",
    "o1",
)
#: The six evaluations of Meinke et al. (2024), in the order of their Table 1.
EVALUATIONS = (
    "Oversight subversion",
    "Self-exfiltration",
    "Goal-guarding",
    "Covert email reranking",
    "Instrumental alignment faking",
    "Sandbagging",
)
#: The four covert-subversion evaluations (the ones with per-rollout rates).
COVERT_EVALUATIONS = EVALUATIONS[:4]
#: What a finding measures.
MEASURES = (
    "observed",
    "rate",
    "cot_term_rate",
    "share_favouring_goal",
    "accuracy",
    "accuracy_difference",
    "p_value",
)
CONDITIONS = (
    "strong goal nudge",
    "no goal nudge",
    "no goal given",
    "summary of all conditions",
    "after a scheming action",
)
#: Training stages of Schoen et al. (2025), in time order.
STAGES = (
    "before anti-scheming training",
    "after anti-scheming training",
    "after anti-scheming then capabilities training",
    "early in capabilities-focused RL",
    "late in capabilities-focused RL",
)
RELATIONS = ("=", "<", ">")
SOURCE_KINDS = ("primary", "second-hand")
#: Allowed range of a value, by unit.
UNIT_RANGES = {
    "indicator (1 = observed at least once)": (0.0, 1.0),
    "fraction of rollouts": (0.0, 1.0),
    "fraction of rollout pairs": (0.0, 1.0),
    "fraction of follow-up answers": (0.0, 1.0),
    "fraction of interrogations": (0.0, 1.0),
    "fraction of false rankings": (0.0, 1.0),
    "accuracy (fraction correct)": (0.0, 1.0),
    "accuracy difference (fraction)": (-1.0, 1.0),
    "p-value": (0.0, 1.0),
    "fraction of samples (aggregate over 26 out-of-distribution test evaluations)": (0.0, 1.0),
    "fraction of samples whose reasoning explicitly mentions being evaluated": (0.0, 1.0),
}
_CITATION_COLUMNS = ("author", "year", "title", "locator", "url", "source_url", "source_kind")
FINDING_COLUMNS = (
    ("model", "evaluation", "behaviour", "measure", "condition", "relation", "value", "unit", "n")
    + _CITATION_COLUMNS
    + ("note",)
)
RESULT_COLUMNS = (
    ("model", "measure", "stage", "relation", "value", "unit", "n") + _CITATION_COLUMNS + ("note",)
)
_ARXIV = "https://arxiv.org/abs/"


class EvidenceError(ValueError):
    """A data row is malformed or does not say where its number comes from."""


@dataclass(frozen=True)
class Citation:
    """Where a number comes from.

    Attributes:
        author: Authors of the paper, as listed in the file.
        year: Year of the paper.
        title: Title of the paper.
        locator: Where in the paper the number sits ("Table 2 (Section 3)", "Abstract").
        url: arXiv page of the paper.
        source_url: Page the number was read from (the arXiv page for primary rows).
        source_kind: ``"primary"`` (read in the paper) or ``"second-hand"``.
    """

    author: str
    year: int
    title: str
    locator: str
    url: str
    source_url: str
    source_kind: str

    @property
    def arxiv_id(self) -> str:
        """The arXiv identifier, e.g. ``"2412.04984"``."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def is_primary(self) -> bool:
        """Whether the number was read in the paper itself."""
        return self.source_kind == "primary"

    def short(self) -> str:
        """One-line citation: first author, year, title, arXiv id and locator."""
        first = self.author.split(",")[0].strip()
        text = f'{first} et al. {self.year}, "{self.title}", arXiv:{self.arxiv_id}, {self.locator}'
        return text if self.is_primary else f"{text} [second-hand: {self.source_url}]"


@dataclass(frozen=True, kw_only=True)
class SourcedNumber:
    """A number a source reports, with its bound, unit, sample size and citation.

    Attributes:
        relation: ``"="``, or ``"<"``/``">"`` when the source gives only a bound.
        value: The number, in ``unit``.
        unit: Unit of ``value`` (a key of :data:`UNIT_RANGES`).
        n: Number of rollouts or samples behind the number, where the source says.
        citation: Where the number comes from.
        note: Context a reader needs.
    """

    relation: str
    value: float
    unit: str
    n: int | None
    citation: Citation
    note: str


@dataclass(frozen=True, kw_only=True)
class Finding(SourcedNumber):
    """One reported number of Meinke et al. (2024): a model, a behaviour, a measure.

    Attributes:
        model: Model name (one of :data:`MODELS`).
        evaluation: Evaluation or follow-up experiment it belongs to.
        behaviour: Row label of the source table, e.g. ``"Disabled oversight"``.
        measure: One of :data:`MEASURES`: ``"observed"`` (Table 1), ``"rate"`` of a
            behaviour, ``"cot_term_rate"`` (Table 3), ``"share_favouring_goal"``,
            ``"accuracy"``, ``"accuracy_difference"`` or ``"p_value"``.
        condition: Prompting condition (one of :data:`CONDITIONS`).

    The number itself: see :class:`SourcedNumber`.
    """

    model: str
    evaluation: str
    behaviour: str
    measure: str
    condition: str

    def describe(self) -> str:
        """The finding and its source, in one line."""
        bound = "" if self.relation == "=" else f"{self.relation} "
        n = "" if self.n is None else f", n={self.n}"
        return (
            f"{self.model} | {self.evaluation} | {self.behaviour}: {bound}{self.value:g} "
            f"({self.unit}; {self.condition}{n}) [{self.citation.short()}]"
        )


@dataclass(frozen=True, kw_only=True)
class TrainingResult(SourcedNumber):
    """One reported number of Schoen et al. (2025) at one stage of training.

    Attributes:
        model: Model name, e.g. ``"o3"``.
        measure: ``"covert_action_rate"`` or ``"verbalized_eval_awareness"``.
        stage: Training stage (one of :data:`STAGES`).

    The number itself: see :class:`SourcedNumber`.
    """

    model: str
    measure: str
    stage: str


@dataclass(frozen=True)
class Matrix:
    """A model-by-column table of values pivoted from findings (NaN where none).

    Attributes:
        rows: Row labels (models).
        columns: Column labels (behaviours or evaluations).
        values: Array of shape ``(len(rows), len(columns))``.
        findings: The findings the table was built from.
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: np.ndarray
    findings: tuple[Finding, ...]

    def value(self, row: str, column: str) -> float:
        """The value at ``row``, ``column``.

        Raises:
            ValueError: For an unknown row or column.
        """
        if row not in self.rows:
            raise ValueError(f"row must be one of {list(self.rows)}, got {row!r}")
        if column not in self.columns:
            raise ValueError(f"column must be one of {list(self.columns)}, got {column!r}")
        return float(self.values[self.rows.index(row), self.columns.index(column)])

    def citations(self) -> tuple[Citation, ...]:
        """The distinct citations behind the table, in order of first use."""
        return tuple(dict.fromkeys(f.citation for f in self.findings))

    def text(self) -> str:
        """Plain-text table (columns as rows, models across), '-' where no value."""
        width = max(len(c) for c in self.columns) + 2
        cell = max(len(r) for r in self.rows) + 2
        lines = [" " * width + "".join(f"{r:>{cell}}" for r in self.rows)]
        for j, column in enumerate(self.columns):
            cells = ("-" if np.isnan(v) else f"{v:g}" for v in self.values[:, j])
            lines.append(f"{column:<{width}}" + "".join(f"{c:>{cell}}" for c in cells))
        return "\n".join(lines)


def load_scheming_findings(path: str | Path | None = None) -> tuple[Finding, ...]:
    """Load and check the findings of Meinke et al. (2024).

    Args:
        path: A CSV file with :data:`FINDING_COLUMNS`; by default the shipped
            ``scheming_evidence.csv``.

    Returns:
        One :class:`Finding` per row, in file order.

    Raises:
        EvidenceError: If a column is missing or a row is malformed or unsourced.
    """
    return parse_findings(*_read(path, FINDINGS_FILE))


def load_anti_scheming_results(path: str | Path | None = None) -> tuple[TrainingResult, ...]:
    """Load and check the before/after results of Schoen et al. (2025).

    As :func:`load_scheming_findings`, for a CSV file with :data:`RESULT_COLUMNS` (by
    default the shipped ``anti_scheming_results.csv``): one :class:`TrainingResult`
    per row, in file order, or an :class:`EvidenceError`.
    """
    return parse_training_results(*_read(path, RESULTS_FILE))


def parse_findings(rows: Sequence[Mapping[str, str]], source: str = "rows") -> tuple[Finding, ...]:
    """Check rows (as read by :class:`csv.DictReader`) and turn them into findings.

    Raises:
        EvidenceError: Naming the line, the field and what is allowed.
    """
    return _parse(rows, FINDING_COLUMNS, source, _finding, _finding_key)


def parse_training_results(
    rows: Sequence[Mapping[str, str]], source: str = "rows"
) -> tuple[TrainingResult, ...]:
    """Check rows (as read by :class:`csv.DictReader`) and turn them into results.

    Raises:
        EvidenceError: Naming the line, the field and what is allowed.
    """
    return _parse(rows, RESULT_COLUMNS, source, _training_result, _result_key)


def _parse(rows, columns, source, make, key_of) -> tuple:
    """Check the columns, make one record per row and refuse repeated keys."""
    _require_columns(rows, columns, source)
    records, seen = [], {}
    for line, row in enumerate(rows, start=2):
        where = _where(source, line, row)
        record = make(row, where)
        _unique(seen, key_of(record), line, where)
        records.append(record)
    return tuple(records)


def _sourced(row: Mapping[str, str], where: str) -> dict:
    """The fields every row has: its number, unit, sample size, citation and note."""
    return {
        "relation": _choice(row, "relation", RELATIONS, where),
        "value": _value(row, where),
        "unit": row["unit"].strip(),
        "n": _count(row, where),
        "citation": _citation(row, where),
        "note": row["note"].strip(),
    }


def _finding(row: Mapping[str, str], where: str) -> Finding:
    for key in ("evaluation", "behaviour"):
        _text(row, key, where)
    return Finding(
        model=_choice(row, "model", MODELS, where),
        evaluation=row["evaluation"].strip(),
        behaviour=row["behaviour"].strip(),
        measure=_choice(row, "measure", MEASURES, where),
        condition=_choice(row, "condition", CONDITIONS, where),
        **_sourced(row, where),
    )


def _finding_key(f: Finding) -> tuple:
    return (f.model, f.evaluation, f.behaviour, f.measure, f.condition)


def _training_result(row: Mapping[str, str], where: str) -> TrainingResult:
    return TrainingResult(
        model=_text(row, "model", where),
        measure=_text(row, "measure", where),
        stage=_choice(row, "stage", STAGES, where),
        **_sourced(row, where),
    )


def _result_key(r: TrainingResult) -> tuple:
    return (r.model, r.measure, r.stage)


def behaviour_matrix(
    findings: Iterable[Finding],
    measure: str = "rate",
    condition: str = "strong goal nudge",
    by: str = "behaviour",
    evaluations: Sequence[str] = COVERT_EVALUATIONS,
) -> Matrix:
    """Pivot findings into a model x behaviour (or model x evaluation) table.

    Args:
        findings: Findings, e.g. from :func:`load_scheming_findings`.
        measure: Which measure to keep.
        condition: Which prompting condition to keep.
        by: ``"behaviour"`` (one column per table row label) or ``"evaluation"``.
        evaluations: Keep only findings of these evaluations (by default the four
            covert-subversion ones, whose rates share one scale).

    Returns:
        The table; models in :data:`MODELS` order, columns in first-seen order.

    Raises:
        ValueError: For a bad ``by``, no matching finding, or two findings in one cell.
    """
    if by not in ("behaviour", "evaluation"):
        raise ValueError(f"by must be 'behaviour' or 'evaluation', got {by!r}")
    chosen = tuple(
        f
        for f in findings
        if f.measure == measure and f.condition == condition and f.evaluation in evaluations
    )
    if not chosen:
        raise ValueError(
            f"no finding has measure={measure!r} and condition={condition!r} "
            f"in evaluations {list(evaluations)}"
        )
    rows = tuple(m for m in MODELS if any(f.model == m for f in chosen))
    columns = tuple(dict.fromkeys(getattr(f, by) for f in chosen))
    values = np.full((len(rows), len(columns)), np.nan)
    for f in chosen:
        i, j = rows.index(f.model), columns.index(getattr(f, by))
        if not np.isnan(values[i, j]):
            cell = f"{f.model!r}, {getattr(f, by)!r}"
            raise ValueError(f"two findings for {cell}; try by='behaviour'")
        values[i, j] = f.value
    return Matrix(rows, columns, values, chosen)


def scheming_observed(findings: Iterable[Finding]) -> Matrix:
    """Model x evaluation table of Table 1 of Meinke et al.: 1 if scheming was ever seen."""
    return behaviour_matrix(
        findings, "observed", "summary of all conditions", by="evaluation", evaluations=EVALUATIONS
    )


def stage_values(
    results: Iterable[TrainingResult],
    measure: str = "covert_action_rate",
    stages: Sequence[str] = STAGES[:2],
    primary_only: bool = False,
) -> dict[str, tuple[TrainingResult, ...]]:
    """Results of each model that has every one of ``stages``, in stage order.

    Args:
        results: Results, e.g. from :func:`load_anti_scheming_results`.
        measure: Which measure to keep.
        stages: The stages wanted, e.g. before and after anti-scheming training.
        primary_only: Keep only numbers read in the paper itself.

    Returns:
        ``{model: (result at stages[0], result at stages[1], ...)}``.

    Raises:
        ValueError: For an unknown stage or when no model has all the stages.
    """
    for stage in stages:
        if stage not in STAGES:
            raise ValueError(f"stages must be among {list(STAGES)}, got {stage!r}")
    by_model: dict[str, dict[str, TrainingResult]] = {}
    for r in results:
        if r.measure == measure and (r.citation.is_primary or not primary_only):
            by_model.setdefault(r.model, {})[r.stage] = r
    out = {
        m: tuple(got[s] for s in stages) for m, got in by_model.items() if set(stages) <= set(got)
    }
    if not out:
        raise ValueError(f"no model has measure={measure!r} at all of {list(stages)}")
    return out


def reduction_factor(before: float, after: float) -> float:
    """How many times smaller ``after`` is than ``before`` (``before / after``).

    Raises:
        ValueError: Unless both are positive.
    """
    if not (before > 0 and after > 0):
        raise ValueError(f"before and after must both be > 0, got {before} and {after}")
    return before / after


def _read(path: str | Path | None, default: str) -> tuple[list[dict[str, str]], str]:
    if path is None:
        resource = resources.files("mesatoys.data") / default
        text, name = resource.read_text(encoding="utf-8"), default
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path must be an existing CSV file, got {str(path)!r}")
        text, name = path.read_text(encoding="utf-8"), path.name
    return list(csv.DictReader(text.splitlines())), name


def _require_columns(rows: Sequence[Mapping[str, str]], columns: Sequence[str], source: str):
    if not rows:
        raise EvidenceError(f"{source} has no data rows")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise EvidenceError(f"{source} lacks column(s) {missing}; required: {list(columns)}")


def _where(source: str, line: int, row: Mapping[str, str]) -> str:
    return f"{source} line {line} (model={row.get('model')!r}, measure={row.get('measure')!r})"


def _text(row: Mapping[str, str], key: str, where: str) -> str:
    value = (row.get(key) or "").strip()
    if not value:
        raise EvidenceError(f"{where}: {key} is empty; every row must give it")
    return value


def _choice(row: Mapping[str, str], key: str, allowed: Sequence[str], where: str) -> str:
    value = _text(row, key, where)
    if value not in allowed:
        raise EvidenceError(f"{where}: {key} must be one of {list(allowed)}, got {value!r}")
    return value


def _citation(row: Mapping[str, str], where: str) -> Citation:
    for key in _CITATION_COLUMNS:
        if not (row.get(key) or "").strip():
            raise EvidenceError(
                f"{where}: {key} is empty; every row must cite its source "
                f"(author, year, title), a locator, an arXiv url and a source_kind"
            )
    url, source_url = row["url"].strip(), row["source_url"].strip()
    if not url.startswith(_ARXIV):
        raise EvidenceError(f"{where}: url must start with {_ARXIV!r}, got {url!r}")
    if not source_url.startswith("https://"):
        raise EvidenceError(f"{where}: source_url must be an https URL, got {source_url!r}")
    kind = _choice(row, "source_kind", SOURCE_KINDS, where)
    if kind == "second-hand" and source_url == url:
        raise EvidenceError(f"{where}: a second-hand row must name the page it was read from")
    year = row["year"].strip()
    if not (year.isdigit() and 2000 <= int(year) <= 2100):
        raise EvidenceError(f"{where}: year must be a four-digit year, got {year!r}")
    return Citation(
        author=row["author"].strip(),
        year=int(year),
        title=row["title"].strip(),
        locator=row["locator"].strip(),
        url=url,
        source_url=source_url,
        source_kind=kind,
    )


def _value(row: Mapping[str, str], where: str) -> float:
    unit = _choice(row, "unit", tuple(UNIT_RANGES), where)
    text = _text(row, "value", where)
    try:
        value = float(text)
    except ValueError:
        raise EvidenceError(f"{where}: value must be a number, got {text!r}") from None
    low, high = UNIT_RANGES[unit]
    if not low <= value <= high:
        raise EvidenceError(f"{where}: value {value} is outside [{low}, {high}] for unit {unit!r}")
    if unit.startswith("indicator") and value not in (0.0, 1.0):
        raise EvidenceError(f"{where}: an indicator must be 0 or 1, got {value}")
    return value


def _count(row: Mapping[str, str], where: str) -> int | None:
    text = (row.get("n") or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise EvidenceError(f"{where}: n must be empty or a positive integer, got {text!r}")
    return int(text)


def _unique(seen: dict, key: tuple, line: int, where: str) -> None:
    if key in seen:
        raise EvidenceError(f"{where}: duplicates line {seen[key]} ({key})")
    seen[key] = line
