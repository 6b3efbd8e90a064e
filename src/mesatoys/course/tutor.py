"""Ask anything about this lesson: a tutor that answers from the course notebooks' own text.

The tutor reads the markdown cells of the course notebooks (``notebooks/*.ipynb``) when it
is built, splits them into passages at their ``#``, ``##`` and ``###`` headings, and ranks
the passages for a question with BM25+ (Lv and Zhai 2011, *Lower-Bounding Term Frequency
Normalization*; BM25 itself: Robertson and Zaragoza 2009, *The Probabilistic Relevance
Framework: BM25 and Beyond*), using the maintained ``rank_bm25`` package. BM25+ rather than
the classic BM25 ("Okapi"): with only about a hundred passages, a word such as *optimizer*
or *goal* occurs in a large share of them, and Okapi's inverse document frequency treats a
word found in half the passages or more as worthless (zero, or a small floor), while BM25+
keeps every matched word worth something.

An answer is short: the one to three sentences of the best passage that share the most of
the question's words (weighted by how rare each word is in the lesson), with the notebook
and section they come from and a link to that section. Words are compared after a light
normalisation: British spellings become American ones (*optimiser*, *behaviour*), a small
suffix stripper in the spirit of Porter (1980, *An algorithm for suffix stripping*) maps
*optimizer*, *optimizing* and *optimization* to one stem, and a short map of the lesson's
terms adds the lesson's own words to a question that uses another name for them (*reward
hacking* -> specification gaming).

The tutor says so when the lesson does not cover a question. A question is answered only
from a passage (the best-ranked of the top :data:`CANDIDATES`) that contains at least
:data:`COVERAGE_THRESHOLD` of the question's information: the share of its words, weighted
by their inverse document frequency in the lesson (a word the lesson never uses weighs
most), that the passage contains. Otherwise the
answer says that the lesson does not cover it, and points to the closest section it does
cover. The threshold was chosen on the tuning part (two thirds) of the evaluation questions in
``tests/course/tutor_eval.json``; the held-out third is only used to report accuracy.

Where a hub configures a model (``MESATOYS_TUTOR_URL``; :mod:`mesatoys.course.generative`),
a covered question's answer is phrased by the model from the chosen sections alone, with
citations; the offline answer stands in on any failure. Coverage is always decided offline.

Example:
    >>> tutor = Tutor()
    >>> answer = tutor.ask("What is pseudo-alignment?")
    >>> answer.covered, answer.notebook
    (True, '03_inner_alignment.ipynb')
    >>> Tutor().ask("How do I bake bread?").covered
    False
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Plus

from mesatoys.course.generative import Endpoint, Source, endpoint_from_environment, generate
from mesatoys.display import ShowsWidget

#: Share of a question's information (IDF-weighted words) the best passage must contain.
COVERAGE_THRESHOLD = 0.49
#: Weight of a word added by the synonym map, relative to a word of the question itself.
EXPANSION_WEIGHT = 0.5
#: At most this many sentences are quoted.
MAX_SENTENCES = 3
#: A further sentence is quoted only if it shares this share of the best sentence's score.
SENTENCE_SHARE = 0.5
#: Quotes stop growing past this many characters.
MAX_QUOTE_CHARS = 480
#: A table row, rendered as "first cell: other cells", reads worse than a sentence.
TABLE_ROW_WEIGHT = 0.5
#: Questions longer than this are cut (at a space): a question is a sentence or two, and the
#: cut bounds the cost of any input.
MAX_QUESTION_CHARS = 500
#: The tutor answers from the best-ranked of this many top passages that covers the question.
CANDIDATES = 5
#: Headings whose passages are left out of the index: reference lists name sources.
SKIPPED_HEADINGS = ("references",)
#: Sections whose heading starts so are tasks (coding exercises), not lesson text to answer from.
SKIPPED_PREFIXES = ("exercise:",)
#: Sections that sum up what other sections teach: a notebook's opening (its learning
#: objectives), its closing recap ("what you should now be able to explain"), a section
#: that links to two or more other notebooks, and every section of the start page (a
#: notebook named ``00_*``). Their scores are multiplied by this, so that the section that
#: teaches an idea comes before one that lists it; they still answer what only they cover.
SUMMARY_WEIGHT = 0.6
_RECAP = re.compile(r"what you should now be able to explain", re.IGNORECASE)
_NOTEBOOK_LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)")

EMPTY_QUESTION = "Type a question about the lesson first, for example: What is a mesa-optimizer?"

# --- words ---------------------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are around as at be because been
    before being below between both but by can could did do does doing done down during each
    either else even ever every few for from further get gets got had has have having he her here
    hers him his how i if in into is it its itself just let me might more most much must my no
    nor not now of off on once one only or other others our ours out over own per same she
    should so some still such than that the their theirs them then there these they this those
    through thus to too under until up upon us very via was we were what when where whether
    which while who whom whose why will with within would yet you your yours yourself
    dont doesnt didnt isnt arent wasnt werent cant couldnt wont wouldnt shouldnt im ive id
    youre thats whats theres heres lets etc use used uses using make makes made making go goes
    going went gone keep keeps kept need needs needed good best better way ways really""".split()
)

#: Words that phrase a question rather than name its topic: left out of questions only.
QUESTION_WORDS = frozenset(
    """explain explained explaining explanation tell describe mean means meaning meant define
    defined definition difference differ different please thing things exactly actually really
    basically simple simply word words term terms understand know want question questions
    happen happens happened work works anyone someone something kind kinds sort example
    examples say said course lesson notebook notebooks section sections""".split()
)

#: Word beginnings spelled differently in British and American English (the lesson mixes them).
BRITISH_PREFIXES = (
    ("behaviour", "behavior"),
    ("misbehaviour", "misbehavior"),
    ("colour", "color"),
    ("favour", "favor"),
    ("neighbour", "neighbor"),
    ("honour", "honor"),
    ("labour", "labor"),
    ("humour", "humor"),
    ("flavour", "flavor"),
    ("rumour", "rumor"),
    ("endeavour", "endeavor"),
    ("centre", "center"),
    ("defence", "defense"),
    ("offence", "offense"),
    ("licence", "license"),
    ("practis", "practic"),
    ("modell", "model"),
    ("labell", "label"),
    ("travell", "travel"),
    ("cancell", "cancel"),
    ("signall", "signal"),
    ("fulfil", "fulfill"),
    ("programme", "program"),
    ("catalogue", "catalog"),
    ("dialogue", "dialog"),
    ("analys", "analyz"),
)

#: Words ending in -ise that are spelled so in American English too.
ISE_WORDS = frozenset(
    """advise arise chastise circumcise clockwise comprise compromise concise counterclockwise
    cruise demise despise devise disguise enterprise excise exercise expertise franchise
    improvise incise likewise merchandise noise otherwise paradise poise praise precise premise
    promise raise reprise revise rise supervise surmise surprise televise treatise wise""".split()
)

_ISE = re.compile(r"^(\w{3,}?)is(e|es|ed|ing|er|ers|ation|ations|ational)$")
_YSE = re.compile(r"^(\w+)ys(e|es|ed|ing)$")

#: Suffixes stripped by :func:`stem`, longest first: (suffix, replacement, shortest stem kept).
SUFFIXES = (
    ("izations", "iz", 3),
    ("ization", "iz", 3),
    ("fulness", "", 4),
    ("iveness", "ive", 4),
    ("ational", "ate", 4),
    ("ations", "", 4),
    ("ation", "", 4),
    ("ingly", "", 4),
    ("edly", "", 4),
    ("ness", "", 4),
    ("ments", "", 4),
    ("ment", "", 4),
    ("ings", "", 3),
    ("ions", "", 4),
    ("ion", "", 4),
    ("ives", "", 4),
    ("ive", "", 4),
    ("ing", "", 3),
    ("ies", "y", 2),
    ("ied", "y", 2),
    ("ers", "", 4),
    ("er", "", 4),
    ("ed", "", 3),
    ("ly", "", 4),
    ("al", "", 5),
    ("es", "e", 3),
    ("s", "", 3),
)
_VOWEL = re.compile(r"[aeiouy]")
_DOUBLE = re.compile(r"([b-df-hj-km-np-rtv-xz])\1$")  # a doubled consonant other than l, s


def americanize(word: str) -> str:
    """Spell a lower-case word the American way (``optimiser`` -> ``optimizer``)."""
    for british, american in BRITISH_PREFIXES:
        if word.startswith(british):
            return american + word[len(british) :]
    match = _ISE.match(word)
    if match and match.group(1) + "ise" not in ISE_WORDS:
        return f"{match.group(1)}iz{match.group(2)}"
    match = _YSE.match(word)
    if match:
        return f"{match.group(1)}yz{match.group(2)}"
    return word


def stem(word: str) -> str:
    """A light suffix stripper: ``optimizers``, ``optimizing``, ``optimization`` -> ``optimiz``.

    It removes at most three suffixes, keeps a stem with a vowel, undoes a doubled final
    consonant (``stopped`` -> ``stop``) and drops a final ``e`` (``race``, ``racing`` ->
    ``rac``). Two forms of one word usually get the same stem; unrelated words rarely do.
    """
    for _ in range(3):
        for suffix, replacement, shortest in SUFFIXES:
            base = word[: -len(suffix)]
            if word.endswith(suffix) and len(base) >= shortest and _VOWEL.search(base):
                if suffix == "s" and word.endswith(("ss", "us", "is")):
                    continue
                word = base + replacement
                if (
                    suffix in ("ing", "ed", "ings", "er", "ers")
                    and len(word) > 3
                    and _DOUBLE.search(word)
                ):
                    word = word[:-1]
                break
        else:
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


_REPLACEMENTS = {"α": " alpha ", "β": " beta ", "θ": " theta ", "π": " pi ", "’": "'", "‘": "'"}
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The lower-case words of ``text``: apostrophes joined, hyphens split, digits 0-9 dropped."""
    text = text.lower()
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    text = re.sub(r"'s\b", "", text).replace("'", "")
    return [w for w in _WORD.findall(text) if not (w.isdigit() and len(w) < 2)]


def normalize(word: str) -> str:
    """A word's index form: American spelling, then its stem."""
    return stem(americanize(word))


def terms(text: str, drop: Iterable[str] = ()) -> list[str]:
    """The index terms of ``text``: its words less stopwords (and ``drop``), normalised."""
    skip = STOPWORDS.union(drop)
    return [normalize(w) for w in words(text) if w not in skip]


# --- the lesson's terms --------------------------------------------------------------------------

#: Other names for the lesson's ideas -> the words the lesson uses. Keys and values are
#: plain phrases; both are normalised like any text.
SYNONYMS: dict[str, str] = {
    "inner misalignment": "inner alignment mesa-misalignment",
    "outer misalignment": "outer alignment specification gaming",
    "inner optimizer": "mesa-optimizer",
    "inner optimiser": "mesa-optimizer",
    "learned optimizer": "mesa-optimizer",
    "inner loop": "mesa-optimizer planner",
    "outer optimizer": "base optimizer outer loop",
    "outer loop": "base optimizer",
    "training process": "base optimizer",
    "outer objective": "base objective",
    "training objective": "base objective",
    "loss function": "base objective loss",
    "reward function": "base objective reward",
    "inner objective": "mesa-objective",
    "learned objective": "mesa-objective",
    "learned goal": "mesa-objective",
    "internal goal": "mesa-objective",
    "deceptively aligned": "deceptive alignment",
    "deceptive": "deceptive alignment",
    "deception": "deceptive alignment",
    "schemer": "scheming deceptive alignment",
    "scheming": "in-context scheming covert",
    "scheme": "in-context scheming covert",
    "alignment faking": "alignment faking deceptive",
    "reward hacking": "specification gaming",
    "reward gaming": "specification gaming",
    "hacking": "specification gaming",
    "cheat": "specification gaming loophole",
    "cheating": "specification gaming loophole",
    "loophole": "specification gaming",
    "exploit": "specification gaming loophole",
    "somewhere else": "elsewhere",
    "another place": "elsewhere",
    "wrong goal": "goal misgeneralization",
    "proxy goal": "goal misgeneralization proxy",
    "misgeneralize": "goal misgeneralization",
    "out of distribution": "distribution shift",
    "off distribution": "distribution shift",
    "ood": "distribution shift",
    "situational awareness": "situationally aware",
    "self aware": "situationally aware",
    "chain of thought": "reasoning plan",
    "cot": "reasoning plan",
    "scratchpad": "reasoning plan",
    "honey pot": "honeypot",
    "trap": "honeypot",
    "sting": "honeypot",
    "backdoor": "backdoor model organism sleeper agents",
    "sleeper agent": "sleeper agents model organism",
    "monitoring": "monitor",
    "look inside": "interpretability",
    "mechanistic interpretability": "interpretability",
    "natural selection": "evolution",
    "genetic fitness": "evolution fitness",
    "reinforcement learning": "reinforcement-learning agent reward",
    "rl": "reinforcement-learning agent reward",
    "es": "evolution strategies",
    "q learning": "q-learning lookup table",
    "lookup table": "q-learning table",
    "alpha": "α diversity",
    "coast runners": "coastrunners",
    "coin run": "coinrun",
    "goodharting": "goodhart",
    "llm": "language models",
    "llms": "language models",
    "gpt": "language models",
    "chatbot": "language models",
    "instrumental goal": "instrumental",
    "means to an end": "instrumental",
    "end in itself": "terminal",
    "final goal": "terminal",
    "takeaway": "big idea",
    "main point": "big idea",
    "conclusion": "big idea",
    "graded": "graded score practice",
    "grade": "graded score practice",
    "value iteration": "value iteration sweeps bellman",
    "bellman": "value iteration",
}


def _phrase_table(synonyms: dict[str, str]) -> list[tuple[tuple[str, ...], list[str]]]:
    """The synonym map as (normalised key words, normalised expansion terms), longest key first."""
    table = [(tuple(terms(key)), terms(value)) for key, value in synonyms.items()]
    return sorted(((k, v) for k, v in table if k), key=lambda kv: -len(kv[0]))


_PHRASES = _phrase_table(SYNONYMS)


@dataclass
class _Group:
    """One word of a question, with the words the synonym map adds for it."""

    term: str
    extra: set[str] = field(default_factory=set)

    def found_in(self, present: set[str] | dict[str, int]) -> bool:
        return self.term in present or any(t in present for t in self.extra)


def _question_groups(question: str) -> list[_Group]:
    """The question's words, normalised, each with what the synonym map adds for it."""
    found = terms(question, drop=QUESTION_WORDS)
    groups: list[_Group] = []
    for term in found:
        if all(g.term != term for g in groups):
            groups.append(_Group(term))
    for key, expansion in _PHRASES:
        for start in range(len(found) - len(key) + 1):
            if tuple(found[start : start + len(key)]) == key:
                for group in groups:
                    if group.term in key:
                        group.extra.update(t for t in expansion if t not in key)
    return groups


# --- notebooks into passages ---------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")


def plain(markdown: str) -> str:
    """Inline markdown as plain text: links, emphasis, code marks, math marks and HTML removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = text.replace("<sup>", "^").replace("<br>", " ")
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\\(?:text|mathrm|mathbb|operatorname)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text).replace("$", "")
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_]([^*_\n]+?)[*_](?![\w*])", r"\1", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


@dataclass(frozen=True)
class Passage:
    """One section of a notebook's text.

    Attributes:
        notebook: The notebook's file name, e.g. ``03_inner_alignment.ipynb``.
        section: The section's heading, as it reads in the notebook (markdown removed).
        level: The heading level: 1 (``#``, the notebook's title), 2 or 3.
        markdown: The section's markdown (its heading excluded).
        parent: The heading of the enclosing ``##`` section of a ``###`` one, else None.
    """

    notebook: str
    section: str
    level: int
    markdown: str
    parent: str | None = None

    @property
    def anchor(self) -> str:
        """The heading's anchor in JupyterLab: its text with spaces replaced by ``-``."""
        anchor = self.section.replace(" ", "-")
        return "".join(f"%{ord(c):02X}" if c in "()<>%[]" else c for c in anchor)

    @property
    def link(self) -> str:
        """A link to the section, relative to the notebooks folder."""
        return f"{self.notebook}#{self.anchor}"

    def units(self) -> list[Unit]:
        """The section's quotable text, sentence by sentence, in order."""
        return _units(self.markdown)


@dataclass(frozen=True)
class Unit:
    """A sentence of a passage, as plain text, with where it sits.

    Attributes:
        text: The sentence.
        block: Index of its paragraph, list item or table row within the passage.
        item: Whether it is part of a list item.
        row: Whether it is a table row (quoted only when no sentence says as much).
    """

    text: str
    block: int
    item: bool
    row: bool = False


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """Split markdown into ("para" | "item" | "row", text) blocks; code and display math dropped."""
    blocks: list[tuple[str, str]] = []
    current: list[str] = []
    kind = "para"
    in_code = in_math = False
    table_header = False

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append((kind, " ".join(current)))
        current = []

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if _FENCE.match(line):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.count("$$") % 2 == 1:
            flush()
            in_math = not in_math
            continue
        if in_math or "$$" in line:
            continue
        stripped = line.strip().lstrip(">").strip()
        if not stripped:
            flush()
            kind, table_header = "para", False
        elif stripped.startswith("|"):
            flush()
            if _TABLE_RULE.match(stripped.strip("|").strip()):
                table_header = False
                continue
            cells = [plain(c) for c in stripped.strip("|").split("|")]
            if kind != "row":
                kind, table_header = "row", True
            if not table_header and any(cells):
                head, rest = cells[0], "; ".join(c for c in cells[1:] if c)
                blocks.append(("row", f"{head}: {rest}." if head and rest else head or rest))
        elif _ITEM.match(stripped):
            flush()
            kind = "item"
            current = [_ITEM.sub("", stripped)]
        else:
            if kind == "row":
                kind = "para"
            current.append(stripped)
    flush()
    return blocks


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(*])")
_NO_BREAK_AFTER = ("et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "Fig.", "Eq.", "No.")


def sentences(text: str) -> list[str]:
    """Split plain text into sentences (not after "et al.", "e.g." and the like)."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and parts[-1].endswith(_NO_BREAK_AFTER):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def _units(markdown: str) -> list[Unit]:
    units = []
    for index, (kind, text) in enumerate(_blocks(markdown)):
        for sentence in sentences(plain(text)):
            units.append(Unit(sentence, index, kind == "item", kind == "row"))
    return units


def passages_of(notebook: str, cells: Sequence[str]) -> list[Passage]:
    """Split a notebook's markdown cells into passages at their #, ## and ### headings.

    Text before the first heading belongs to a passage named after the notebook. Lines that
    only look like headings inside code blocks are not headings.

    Args:
        notebook: The notebook's file name.
        cells: The source of each markdown cell, in order.
    """
    found: list[Passage] = []
    heading, level, parent = Path(notebook).stem, 1, None
    body: list[str] = []
    h2: str | None = None

    def close() -> None:
        text = "\n".join(body).strip()
        name = heading.lower()
        if text and name not in SKIPPED_HEADINGS and not name.startswith(SKIPPED_PREFIXES):
            found.append(Passage(notebook, heading, level, text, parent))

    for cell in cells:
        in_code = False
        for line in cell.splitlines():
            if _FENCE.match(line):
                in_code = not in_code
            match = None if in_code else _HEADING.match(line)
            if match is None:
                body.append(line)
                continue
            close()
            level, heading, body = len(match.group(1)), plain(match.group(2)), []
            h2 = heading if level <= 2 else h2
            parent = h2 if level == 3 else None
        body.append("")
    close()
    return found


def read_notebook(path: Path) -> list[Passage]:
    """The passages of one notebook file.

    Raises:
        ValueError: If the file is not a readable notebook.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = [
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in data["cells"]
            if c.get("cell_type") == "markdown"
        ]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"cannot read the notebook {path}: {err}") from err
    return passages_of(path.name, cells)


def find_notebooks_dir() -> Path:
    """The course's notebooks folder: beside the package's source tree, or the current folder.

    Raises:
        FileNotFoundError: If no folder with the course notebooks can be found.
    """
    import mesatoys

    here = Path(mesatoys.__file__).resolve().parent
    candidates = [parent / "notebooks" for parent in here.parents]
    cwd = Path.cwd()
    candidates += [cwd, cwd / "notebooks", cwd.parent / "notebooks"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder
    raise FileNotFoundError(
        "The tutor could not find the course notebooks (a folder of 01_*.ipynb, 02_*.ipynb, ...). "
        f"It looked beside the mesatoys package ({here}) and in the current folder ({cwd}). "
        "Pass the folder that holds them: Tutor(notebooks_dir='path/to/notebooks')."
    )


def _check_dir(notebooks_dir: object) -> Path:
    if not isinstance(notebooks_dir, (str, os.PathLike)):
        raise TypeError(f"notebooks_dir must be a path or None, got {notebooks_dir!r}")
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise ValueError(f"notebooks_dir must be an existing folder, got {str(folder)!r}")
    return folder


# --- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The tutor's answer to one question.

    Attributes:
        question: The question asked.
        text: The answer as markdown: the quoted sentences and where they come from, or, if
            the lesson does not cover the question, a message saying so with a pointer.
        notebook: The notebook the answer comes from (file name). For an uncovered
            question, the notebook of the closest section, offered as a pointer; None if
            the question shares no word with the lesson.
        section: The section's heading (see ``notebook``).
        covered: Whether the lesson covers the question (False: the tutor declines).
        quote: The quoted sentences alone ("" when not covered).
        link: A link to the section, relative to the notebooks folder (None with no section).
        coverage: The share of the question's information found in the best section, 0 to 1.
        generated: Whether a model phrased the answer from the passages (else it quotes them).
    """

    question: str
    text: str
    notebook: str | None
    section: str | None
    covered: bool
    quote: str = ""
    link: str | None = None
    coverage: float = 0.0
    generated: bool = False

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text

    def html(self) -> str:
        """The answer as HTML: the quote or message, and a link to the section."""
        if self.covered:
            body = f"<p>{html.escape(self.quote)}</p>"
            where = "From"
        else:
            body = f"<p>{html.escape(_not_covered_line(self.notebook is not None))}</p>"
            where = "Closest topic the lesson covers:"
            if self.notebook is None:
                return body + f"<p>{html.escape(_topics_line())}</p>"
        return body + (
            f'<p>{where} <a href="{html.escape(self.link or "", quote=True)}" target="_blank">'
            f"{html.escape(self.notebook or '')}, “{html.escape(self.section or '')}”</a></p>"
        )


NOT_COVERED = "This lesson doesn't cover that, so I can't answer it from the course text."
NO_WORDS = "I couldn't find anything to look up in that question."


def _not_covered_line(has_pointer: bool) -> str:
    return NOT_COVERED if has_pointer else f"{NO_WORDS} {NOT_COVERED}"


def _topics_line() -> str:
    return (
        "The lesson covers mesa-optimizers and base optimizers, inner and outer alignment, goal "
        "misgeneralization, specification gaming, deceptive alignment, and defenses such as "
        "interpretability, honeypots and AI control. Try asking about one of those."
    )


def _md_link(passage: Passage) -> str:
    label = f"{passage.notebook}, “{passage.section}”".replace("[", "(").replace("]", ")")
    return f"[{label}]({passage.link})"


def _choose_units(units: list[Unit], groups: list[_Group], weights: list[float]) -> list[Unit]:
    """The best one to three sentences for the question, in the passage's order."""
    scored = []
    for position, unit in enumerate(units):
        present = set(terms(unit.text))
        score = sum(w for g, w in zip(groups, weights, strict=True) if g.found_in(present))
        scored.append((score * (TABLE_ROW_WEIGHT if unit.row else 1.0), -position, unit))
    ranked = sorted(scored, key=lambda s: (s[0], s[1]), reverse=True)
    best = ranked[0][0]
    chosen = [ranked[0][2]]
    for score, _, unit in ranked[1:]:
        if len(chosen) >= MAX_SENTENCES or score < SENTENCE_SHARE * best or score <= 0:
            break
        if sum(len(u.text) for u in chosen) + len(unit.text) <= MAX_QUOTE_CHARS:
            chosen.append(unit)
    chosen = _complete_lead_ins(chosen, units)
    return sorted(chosen, key=units.index)


def _complete_lead_ins(chosen: list[Unit], units: list[Unit]) -> list[Unit]:
    """A sentence that ends with ':' is followed by the first sentence of what it introduces.

    Up to three following paragraphs or list items are added while the quote stays within
    :data:`MAX_QUOTE_CHARS`.
    """
    result = list(chosen)
    for unit in chosen:
        if not unit.text.endswith(":"):
            continue
        seen: set[int] = set()
        for nxt in units[units.index(unit) + 1 :]:
            if nxt.block in seen or nxt.block == unit.block:
                continue
            seen.add(nxt.block)
            too_long = sum(len(u.text) for u in result) + len(nxt.text) > MAX_QUOTE_CHARS
            if len(seen) > MAX_SENTENCES or nxt.text.endswith(":") or (too_long and len(seen) > 1):
                break
            if nxt not in result:
                result.append(nxt)
    return result


def _quote(chosen: list[Unit]) -> str:
    parts = []
    for unit in chosen:
        text = unit.text
        if parts and unit.item and not parts[-1].endswith((":", ".", "!", "?", ";")):
            parts[-1] += ";"
        parts.append(text)
    quote = " ".join(parts)
    return quote[:1].upper() + quote[1:]


# --- the tutor -----------------------------------------------------------------------------------


class Tutor(ShowsWidget):
    """Answers questions from the lesson's own text; says so when the lesson does not cover one.

    Args:
        notebooks_dir: The folder of the course notebooks. By default the ``notebooks``
            folder of the source tree the package is installed from, else the current
            folder (or its ``notebooks`` folder) if it holds the course notebooks.
        threshold: The share of a question's information (IDF-weighted words) the best
            section must contain for the tutor to answer (see :data:`COVERAGE_THRESHOLD`).
        endpoint: An OpenAI-compatible model that phrases covered answers from the chosen
            passages (:mod:`mesatoys.course.generative`); None: offline only. By default
            the one ``MESATOYS_TUTOR_URL`` configures, if any.

    Attributes:
        notebooks_dir: The folder the notebooks were read from.
        passages: The indexed sections, in course order.

    Raises:
        FileNotFoundError: If ``notebooks_dir`` is None and no notebooks folder is found.
        ValueError: If ``notebooks_dir`` is not a folder, holds no notebook, a notebook
            cannot be read, or ``threshold`` is not between 0 and 1.
        TypeError: If ``notebooks_dir`` is not a path.
    """

    def __init__(
        self,
        notebooks_dir: str | os.PathLike | None = None,
        threshold: float | None = None,
        endpoint: Endpoint | None | str = "environment",
    ):
        folder = find_notebooks_dir() if notebooks_dir is None else _check_dir(notebooks_dir)
        if endpoint == "environment":
            endpoint = endpoint_from_environment()
        if endpoint is not None and not isinstance(endpoint, Endpoint):
            raise TypeError(
                f"endpoint must be a generative.Endpoint, None or 'environment', got {endpoint!r}"
            )
        self.endpoint = endpoint
        threshold = COVERAGE_THRESHOLD if threshold is None else threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a number between 0 and 1, got {threshold!r}")
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
        files = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
        if not files:
            raise ValueError(f"notebooks_dir holds no .ipynb notebook: {str(folder)!r}")
        self.notebooks_dir = folder
        self.threshold = float(threshold)
        self.passages = [p for path in files for p in read_notebook(path)]
        if not self.passages:
            raise ValueError(
                f"the notebooks in {str(folder)!r} have no markdown text to answer from"
            )
        self._docs = [_passage_terms(p) for p in self.passages]
        self._present = [set(doc) for doc in self._docs]
        self._bm25 = BM25Plus(self._docs)
        self._df = {t: sum(t in s for s in self._present) for t in set().union(*self._present)}
        self._prior = [SUMMARY_WEIGHT if _is_summary(p) else 1.0 for p in self.passages]
        self._box: TutorBox | None = None

    def __len__(self) -> int:
        return len(self.passages)

    def weight(self, term: str) -> float:
        """How informative a normalised word is: ln((N + 1) / (df + 0.5)) over N passages."""
        return math.log((len(self.passages) + 1) / (self._df.get(term, 0) + 0.5))

    def rank(self, question: str) -> list[tuple[float, Passage]]:
        """Every passage with its BM25+ score for the question, best first.

        Raises:
            TypeError: If ``question`` is not a string.
        """
        groups = _question_groups(_check_question(question, allow_empty=True))
        scores = self._scores(groups)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [(scores[i], self.passages[i]) for i in order]

    def _scores(self, groups: list[_Group]) -> list[float]:
        totals = [0.0] * len(self.passages)
        base_terms = {g.term for g in groups}
        weighted = {t: 1.0 for t in base_terms}
        for group in groups:
            for extra in group.extra - base_terms:
                weighted[extra] = max(weighted.get(extra, 0.0), EXPANSION_WEIGHT)
        for term, w in weighted.items():
            if term not in self._df:
                continue  # BM25+ adds the same constant to every passage for an unknown word
            for i, score in enumerate(self._bm25.get_scores([term])):
                totals[i] += w * float(score)
        return [t * p for t, p in zip(totals, self._prior, strict=True)]

    def coverage(self, groups: list[_Group], index: int) -> float:
        """The share of the question's information (IDF-weighted words) found in a passage."""
        weights = [self.weight(g.term) for g in groups]
        total = sum(weights)
        if total <= 0:
            return 0.0
        present = self._present[index]
        return sum(w for g, w in zip(groups, weights, strict=True) if g.found_in(present)) / total

    def ask(self, question: str) -> Answer:
        """Answer a question from the lesson, or say that the lesson does not cover it.

        Args:
            question: The question, in plain words.

        Returns:
            The answer; ``print(answer)`` shows it, and a notebook renders it as markdown.

        Raises:
            TypeError: If ``question`` is not a string.
            ValueError: If ``question`` is empty or only spaces.
        """
        question = _check_question(question)
        groups = _question_groups(question)
        if not groups:
            return Answer(
                question, _not_covered_line(False) + " " + _topics_line(), None, None, False
            )
        scores = self._scores(groups)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:CANDIDATES]
        best = next((i for i in order if self.coverage(groups, i) >= self.threshold), order[0])
        passage = self.passages[best]
        matched = any(g.found_in(self._present[best]) for g in groups)
        share = self.coverage(groups, best)
        if not matched:
            text = f"{_not_covered_line(False)} {_topics_line()}"
            return Answer(question, text, None, None, False, coverage=0.0)
        if share < self.threshold:
            text = f"{NOT_COVERED} The closest topic it does cover: {_md_link(passage)}."
            return Answer(
                question, text, passage.notebook, passage.section, False, "", passage.link, share
            )
        covering = [i for i in order if self.coverage(groups, i) >= self.threshold]
        generated = self._generated(question, [best, *(i for i in covering if i != best)], share)
        if generated is not None:
            return generated
        weights = [self.weight(g.term) for g in groups]
        units = passage.units() or [Unit(passage.section, 0, False)]
        quote = _quote(_choose_units(units, groups, weights))
        text = f"{quote}\n\nFrom {_md_link(passage)}."
        return Answer(
            question, text, passage.notebook, passage.section, True, quote, passage.link, share
        )

    def _generated(self, question: str, indices: list[int], share: float) -> Answer | None:
        """The model's answer from the passages ``indices`` (at most three), or None.

        ``share`` is the best passage's coverage of the question, already computed.
        """
        if self.endpoint is None:
            return None
        chosen = [self.passages[i] for i in indices[:3]]
        sources = [Source(f"{p.notebook}, {p.section}", plain(p.markdown)) for p in chosen]
        text = generate(self.endpoint, question, sources)
        if text is None:
            return None
        cited = sorted({int(k) for k in re.findall(r"\[(\d+)\]", text)})
        first = chosen[cited[0] - 1]
        links = ", ".join(f"[{k}] {_md_link(chosen[k - 1])}" for k in cited)
        return Answer(
            question,
            f"{text}\n\nFrom {links}.",
            first.notebook,
            first.section,
            True,
            text,
            first.link,
            share,
            generated=True,
        )

    # --- display ------------------------------------------------------------------------------

    def text_summary(self) -> str:
        """How to ask the tutor without widgets."""
        return TutorBox.HOW_TO

    @property
    def widget(self):
        """A question box for this tutor (see :class:`TutorBox`)."""
        if self._box is None:
            self._box = TutorBox(self)
        return self._box.widget


def _is_summary(passage: Passage) -> bool:
    """Whether a passage sums up what other sections teach (see :data:`SUMMARY_WEIGHT`)."""
    others = {name for name in _NOTEBOOK_LINK.findall(passage.markdown) if name != passage.notebook}
    return (
        passage.level == 1
        or passage.notebook.startswith("00_")
        or bool(_RECAP.search(passage.section))
        or len(others) >= 2
    )


def _passage_terms(passage: Passage) -> list[str]:
    """A passage's index terms: its heading (counted twice), its parent heading, its text."""
    heading = terms(passage.section)
    parent = terms(passage.parent) if passage.parent else []
    return (
        heading + heading + parent + terms(plain(" ".join(t for _, t in _blocks(passage.markdown))))
    )


def _check_question(question: object, allow_empty: bool = False) -> str:
    """The question, stripped and cut to :data:`MAX_QUESTION_CHARS` (at a space).

    A question is a sentence or two; the cut keeps any input's cost bounded.
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, got {repr(question)[:80]}")
    if not allow_empty and not question.strip():
        raise ValueError(f"question must be a non-empty string, got {question[:80]!r}")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        cut = question[:MAX_QUESTION_CHARS]
        question = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return question


# --- the widget ----------------------------------------------------------------------------------


class TutorBox(ShowsWidget):
    """The "ask anything about this lesson" widget: a text box, an Ask button, the answer.

    Type a question and press Enter, or Tab to **Ask** and press Enter or Space. The answer
    quotes the lesson and links to the section it comes from; a question the lesson does not
    cover gets a message saying so and a pointer to the closest topic. Where widgets do not
    render, the text view explains how to ask in code.

    Args:
        tutor: The tutor to ask; by default one over the course notebooks, built on the first
            question (so a missing notebooks folder shows as a message, not a traceback).

    Attributes:
        answers: Every answer shown, in order.
    """

    HOW_TO = (
        "Ask anything about this lesson. Without widgets, ask in code:\n"
        "    from mesatoys.course.tutor import Tutor\n"
        '    print(Tutor().ask("What is a mesa-optimizer?"))\n'
        "The tutor answers from the notebooks' own text, names the notebook and section the\n"
        "answer comes from, and says so when the lesson does not cover a question."
    )

    def __init__(self, tutor: Tutor | None = None):
        if tutor is not None and not isinstance(tutor, Tutor):
            raise TypeError(f"tutor must be a Tutor or None, got {tutor!r}")
        self._tutor = tutor
        self.answers: list[Answer] = []

    @property
    def tutor(self) -> Tutor:
        """The tutor (built on first use)."""
        if self._tutor is None:
            self._tutor = Tutor()
        return self._tutor

    def text_summary(self) -> str:
        """How to ask the tutor without widgets."""
        return self.HOW_TO

    def _build_widget(self):
        import ipywidgets as w

        self._question = w.Text(
            value="",
            placeholder="e.g. What is pseudo-alignment?",
            description="Question:",
            continuous_update=False,
            layout=w.Layout(width="70%", min_width="260px"),
        )
        self._button = w.Button(
            description="Ask", button_style="primary", icon="question", tooltip="Ask the tutor"
        )
        self._answer = w.HTML("")
        self._question.observe(self._on_submit, names="value")
        self._button.on_click(self._on_ask)
        title = w.HTML("<b>Ask anything about this lesson</b> (answers come from the notebooks)")
        return w.VBox([title, w.HBox([self._question, self._button]), self._answer])

    @property
    def controls(self) -> list:
        """The focusable controls, in tab order: the question box, then Ask."""
        self.widget  # noqa: B018 - builds the controls
        return [self._question, self._button]

    @property
    def answer_shown(self) -> str:
        """The answer area's HTML now (empty before a question)."""
        self.widget  # noqa: B018 - builds the answer area
        return self._answer.value

    def ask(self, question: str) -> Answer | None:
        """Ask a question and show the answer in the widget.

        An empty question, or a tutor that cannot be built, shows a message instead of
        raising.

        Returns:
            The answer, or None if there was nothing to answer.
        """
        self.widget  # noqa: B018 - builds the answer area
        if not isinstance(question, str) or not question.strip():
            self._answer.value = _box_html(f"<p>{html.escape(EMPTY_QUESTION)}</p>")
            return None
        try:
            answer = self.tutor.ask(question)
        except (OSError, ValueError) as err:
            self._answer.value = _box_html(f"<p>{html.escape(str(err))}</p>")
            return None
        self.answers.append(answer)
        self._answer.value = _box_html(answer.html())
        return answer

    def _on_submit(self, change: dict[str, Any]) -> None:
        if change.get("new", "").strip():
            self.ask(change["new"])

    def _on_ask(self, _button: Any = None) -> None:
        self.ask(self._question.value)


def _box_html(inner: str) -> str:
    """The answer area: announced to screen readers when it changes."""
    return (
        '<div role="status" aria-live="polite" style="border-left:4px solid #0072B2;'
        f'padding:0.3em 0.6em;margin-top:0.3em">{inner}</div>'
    )


__all__ = [
    "COVERAGE_THRESHOLD",
    "Answer",
    "Passage",
    "Tutor",
    "TutorBox",
    "americanize",
    "find_notebooks_dir",
    "passages_of",
    "plain",
    "read_notebook",
    "sentences",
    "stem",
    "terms",
    "words",
]
