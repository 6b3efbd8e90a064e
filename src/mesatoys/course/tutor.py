"""Ask anything about this lesson: a tutor that answers from the course notebooks' own text.

The tutor reads the markdown of the course notebooks (``notebooks/*.ipynb``;
:mod:`mesatoys.course.lesson_text`) when it is built, as sections at their ``#``, ``##`` and
``###`` headings, and ranks the sections for a question with BM25+ (Lv and Zhai 2011,
*Lower-Bounding Term Frequency Normalization*; BM25 itself: Robertson and Zaragoza 2009,
*The Probabilistic Relevance Framework: BM25 and Beyond*), using the maintained
``rank_bm25`` package. BM25+ rather than the classic BM25 ("Okapi"): with only about a
hundred sections, a word such as *optimizer* or *goal* occurs in a large share of them, and
Okapi's inverse document frequency treats a word found in half the sections or more as
worthless, while BM25+ keeps every matched word worth something. Words are compared as
:mod:`mesatoys.course.words` normalises them (American spelling, Snowball stems, the
lesson's own names for its ideas).

An answer is short (at most :data:`MAX_ANSWER_WORDS` words) and made of the lesson's own
sentences from the best section: it leads with the sentence that answers the question (for
"what is X?", a sentence that defines X), adds the sentence before one that starts with
"it" or "this" so that nothing dangles, leaves out sentences that point at a figure, a cell
or a slider, and ends with a "read more" link to the section, which JupyterLab opens in
place, scrolled to the heading.

The tutor says so when the lesson does not cover a question. A question is answered only
from a section (the best-ranked of the top :data:`CANDIDATES`) that contains at least
:data:`COVERAGE_THRESHOLD` of the question's information: the share of its words, weighted
by their inverse document frequency in the lesson (a word the lesson never uses weighs
most), that the section contains. Otherwise the answer says that the lesson does not cover
it, and points to the closest section it does cover. The threshold was chosen on the tuning
part of the evaluation questions in ``tests/course/tutor_eval.json``; the held-out part is
only used to report accuracy.

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

import difflib
import html
import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from rank_bm25 import BM25Plus

from mesatoys.course.generative import Endpoint, Source, endpoint_from_environment, generate
from mesatoys.course.lesson_text import (
    Passage,
    check_notebooks_dir,
    find_notebooks_dir,
    read_lesson,
)
from mesatoys.course.words import Group, normalize, question_groups, terms, words
from mesatoys.display import ShowsWidget

#: Share of a question's information (IDF-weighted words) the best section must contain.
COVERAGE_THRESHOLD = 0.49
#: Weight of a word added by the synonym map, relative to a word of the question itself.
EXPANSION_WEIGHT = 0.5
#: Weight of a pair of the question's words found side by side (see :func:`pairs`).
PAIR_WEIGHT = 1.0
NOTEBOOK_SHARE = 0.7
#: Answers are cut to this many words (the link not counted).
MAX_ANSWER_WORDS = 100
#: A sentence is added after the lead only while the answer stays within this many words.
EXTRA_SENTENCE_WORDS = 75
#: A sentence other than the lead's neighbours is added only if it scores this share of the lead.
SENTENCE_SHARE = 0.6
#: How a sentence's score is scaled: a table row reads worse than a sentence; a sentence that
#: points at a figure, a cell or a control means little without it; a sentence that opens
#: with "it", "this" or "so" needs the one before it; a sentence that defines the question's
#: topic is what a "what is ...?" question asks for.
ROW_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.35
DANGLING_WEIGHT = 0.6
DEFINITION_WEIGHT = 2.0
#: Spelling: a word the lesson never uses, of at least this many letters, is corrected to
#: the lesson's closest word if ``difflib`` rates them at least this similar; at most this
#: many words of a question are tried, and at most this many corrections are remembered.
SPELLING_MIN_LENGTH = 6
SPELLING_CUTOFF = 0.85
SPELLING_MAX_CORRECTIONS = 6
SPELLING_CACHE = 4096
#: A paragraph of at most this many words without a full stop is a label for what follows.
LABEL_WORDS = 10
#: An answer shorter than this many words takes the sentences that follow it as context.
MIN_ANSWER_WORDS = 25
#: Questions longer than this are cut (at a space): a question is a sentence or two, and the
#: cut bounds the cost of any input.
MAX_QUESTION_CHARS = 500
#: The tutor answers from the best-ranked of this many top sections that covers the question.
CANDIDATES = 5
#: Sections that sum up what other sections teach: a notebook's opening (its learning
#: objectives), its closing recap ("what you should now be able to explain"), a section
#: that links to two or more other notebooks, and every section of the start page (a
#: notebook named ``00_*``). Their scores are multiplied by this, so that the section that
#: teaches an idea comes before one that lists it; they still answer what only they cover.
SUMMARY_WEIGHT = 0.6
_RECAP = re.compile(r"what you should now be able to explain", re.IGNORECASE)

EMPTY_QUESTION = "Type a question about the lesson first, for example: What is a mesa-optimizer?"

# --- composing an answer -------------------------------------------------------------------------

_DANGLING = re.compile(
    r"^(\(|it|its|they|them|their|this|these|that|those|such|he|she|his|her|both|so|but|and|or|"
    r"also|however|then|thus|hence|therefore|instead|otherwise|yet|still|which)(\b|(?<=\())",
    re.IGNORECASE,
)
_CONNECTIVE = re.compile(
    r"^(so|but|and|also|however|thus|hence|therefore|yet|still),?\s+(?=\S)", re.IGNORECASE
)
_POINTS_AT_CONTEXT = re.compile(
    r"\b(below|above|this cell|the cell|next cell|run the|slider|widget|dropdown|the plot|"
    r"the figure|this figure|the table|this table|the chart|the panel|drag|click|press|"
    r"scroll)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(
    r"^(run|move|drag|click|try|press|set|change|look|read|pick|choose|watch|use|type|open|"
    r"scroll|compare|find|see)\b",
    re.IGNORECASE,
)
_DEFINITION_QUESTION = re.compile(
    r"^\W*(what\s*(is|are|'s|s|was|were)\b|what\s+(does|do)\b.*\bmean|define\b|"
    r"definition\b|meaning\s+of\b|who\s+(is|are)\b)",
    re.IGNORECASE,
)
_ASKS_HOW_OR_WHY = re.compile(r"\b(how|why|when|where|which|does|do|can|should)\b", re.I)
_DEFINING_WORDS = frozenset({"is", "are", "mean", "refer", "describ", "denot", "stand"})
_DEFINED_BY = frozenset({"is", "are", "call", "name", "as", "term"})
_ARTICLES = frozenset({"a", "an", "the"})


@dataclass(frozen=True)
class Sentence:
    """A sentence of a section, with where it sits and its index terms.

    Attributes:
        text: The sentence, as plain text.
        block: Index of its paragraph, list item or table row within the section.
        first: Whether it opens its block.
        row: Whether it is a table row (read "first cell: the others.").
        terms: Its normalised words.
    """

    text: str
    block: int
    first: bool
    row: bool
    terms: frozenset[str]


def sentences_of(passage: Passage) -> list[Sentence]:
    """A section's sentences, in order."""
    found = []
    for index, block in enumerate(passage.blocks):
        texts = block.sentences()
        if block.kind == "para" and len(texts) == 1 and _is_label(texts[0]):
            texts = [f"{texts[0]}:"]  # a bold line such as "Where the analogy holds" introduces
        for position, text in enumerate(texts):
            found.append(
                Sentence(text, index, position == 0, block.kind == "row", frozenset(terms(text)))
            )
    return found


def _is_label(text: str) -> bool:
    """A short line without a full stop, such as a bold pseudo-heading."""
    return len(text.split()) <= LABEL_WORDS and not text.endswith((".", "!", "?", ":", ";", ")"))


def is_definition_question(question: str) -> bool:
    """Whether a question asks what something is: "What is X?", "define X", or just "X?"."""
    if _DEFINITION_QUESTION.match(question):
        return True
    return len(words(question)) <= 3 and not _ASKS_HOW_OR_WHY.search(question)


def defines(sentence: Sentence, topic: set[str]) -> bool:
    """Whether a sentence says what the ``topic`` is: it names all of it and then defines it.

    "A *mesa-optimizer* is ...", "deceptive alignment, is ...", "X means ..." and "... is
    called X" define X; a sentence that only uses the words does not.
    """
    tokens = [normalize(w) for w in words(sentence.text)]
    if not topic <= set(tokens):
        return False
    for i, token in enumerate(tokens):
        if token not in topic:
            continue
        after = [t for t in tokens[i + 1 : i + 4] if t not in topic]
        before = [t for t in tokens[max(0, i - 3) : i] if t not in _ARTICLES and t not in topic]
        if after[:1] and after[0] in _DEFINING_WORDS:
            return True
        if before[-1:] and before[-1] in _DEFINED_BY:
            return True
    return False


def _points_elsewhere(text: str) -> bool:
    return bool(_POINTS_AT_CONTEXT.search(text) or _IMPERATIVE.match(text))


def score_sentence(
    sentence: Sentence, groups: list[Group], weights: list[float], topic: set[str] | None
) -> float:
    """How well a sentence answers the question (0 if it shares no word with it).

    Args:
        sentence: The sentence.
        groups: The question's words (with the synonyms they bring).
        weights: How informative each word is.
        topic: For a "what is X?" question, X's terms; None for other questions.
    """
    score = sum(w for g, w in zip(groups, weights, strict=True) if g.found_in(sentence.terms))
    if score <= 0:
        return 0.0
    if sentence.row:
        score *= ROW_WEIGHT
    if _points_elsewhere(sentence.text):
        score *= CONTEXT_WEIGHT
    if _DANGLING.match(sentence.text):
        score *= DANGLING_WEIGHT
    if topic and defines(sentence, topic):
        score *= DEFINITION_WEIGHT
    return score


def _n_words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def _tidy_lead(text: str) -> str:
    """The answer's first sentence without a leading "So," / "But" and with a capital."""
    text = _CONNECTIVE.sub("", text)
    return text[:1].upper() + text[1:]


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` words, at a clause boundary if there is one."""
    tokens = text.split()
    if len(tokens) <= limit:
        return text
    cut = " ".join(tokens[:limit])
    clause = max(cut.rfind(", "), cut.rfind("; "), cut.rfind(" — "))
    if clause > len(cut) // 2:
        cut = cut[:clause]
    return cut.rstrip(",;:— ") + " …"


def compose(sentences: list[Sentence], scores: list[float]) -> str:
    """An answer of at most :data:`MAX_ANSWER_WORDS` words from a section's sentences.

    It starts from the best sentence that can lead (see :func:`_can_lead`; any, if none
    can); adds the sentence before it when it opens with "it",
    "this" or "so", or when it is a list item introduced by a sentence ending in a colon;
    adds what a sentence ending in a colon introduces; then adds well-scored sentences of the
    same or a neighbouring paragraph that stand alone, and, if the answer is still short,
    the sentences that follow it. Sentences
    that point at a figure, a cell or a control are left out; the answer keeps the
    section's order.
    """
    on_topic = [i for i in range(len(sentences)) if scores[i] > 0]
    readable = [i for i in on_topic if _can_lead(sentences, i)]
    lead = max(readable or on_topic or [0], key=lambda i: (scores[i], -i))
    chosen = {lead, *_context_before(sentences, lead)}
    chosen |= _introduced(sentences, chosen, EXTRA_SENTENCE_WORDS)
    nearby = [
        i for i in range(len(sentences)) if abs(sentences[i].block - sentences[lead].block) <= 1
    ]
    for i in sorted(nearby, key=lambda i: (-scores[i], i)):
        if scores[i] < SENTENCE_SHARE * scores[lead]:
            break
        _try_add(sentences, chosen, i, EXTRA_SENTENCE_WORDS)
    for i in range(max(chosen) + 1, len(sentences)):
        if _words_in(sentences, chosen) >= MIN_ANSWER_WORDS:
            break
        if not sentences[i].row:
            _try_add(sentences, chosen, i, EXTRA_SENTENCE_WORDS)
    texts = [sentences[i].text for i in sorted(chosen)]
    texts[0] = _tidy_lead(texts[0])
    return _cut(" ".join(texts), MAX_ANSWER_WORDS)


def _can_lead(sentences: list[Sentence], i: int) -> bool:
    """Whether an answer can start from sentence ``i``.

    It must point at nothing on screen, and if it opens with "it" or "this", the sentences
    before it that it needs must be able to come too.
    """
    if _points_elsewhere(sentences[i].text):
        return False
    first = sentences[min({i, *_context_before(sentences, i)})].text
    return not _DANGLING.match(first) or bool(_CONNECTIVE.match(first))


def _words_in(sentences: list[Sentence], chosen: set[int]) -> int:
    return sum(len(sentences[i].text.split()) for i in chosen)


def _context_before(sentences: list[Sentence], lead: int) -> set[int]:
    """The sentences a sentence needs before it: an antecedent, or a list's lead-in."""
    needed: set[int] = set()
    i = lead
    while i > 0 and len(needed) < 2:
        opens_list = sentences[i].first and sentences[i - 1].text.endswith(":")
        if not (_DANGLING.match(sentences[i].text) or opens_list):
            break
        if _points_elsewhere(sentences[i - 1].text):
            break  # the answer then starts without its "and" or "so" (see _tidy_lead)
        i -= 1
        needed.add(i)
        if opens_list:
            break
    return needed


def _introduced(sentences: list[Sentence], chosen: set[int], limit: int) -> set[int]:
    """The first sentence of each of up to three blocks a chosen lead-in (": ") introduces."""
    added: set[int] = set()
    for i in sorted(chosen):
        if not sentences[i].text.endswith(":"):
            continue
        blocks: set[int] = set()
        for j in range(i + 1, len(sentences)):
            if sentences[j].block == sentences[i].block or not sentences[j].first:
                continue
            if len(blocks) >= 3 or sentences[j].text.endswith(":"):
                break
            if _words_in(sentences, chosen | added | {j}) > limit and blocks:
                break
            blocks.add(sentences[j].block)
            added.add(j)
    return added


def _try_add(sentences: list[Sentence], chosen: set[int], i: int, limit: int) -> None:
    """Add sentence ``i`` if it stands alone, points at nothing on screen and fits."""
    sentence = sentences[i]
    if i in chosen or _points_elsewhere(sentence.text) or sentence.text.endswith(":"):
        return
    if _DANGLING.match(sentence.text) and (i - 1) not in chosen:
        return
    if _words_in(sentences, chosen | {i}) <= limit:
        chosen.add(i)


# --- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The tutor's answer to one question.

    Attributes:
        question: The question asked.
        text: The answer as markdown: the answer and a "read more" link to its section, or,
            if the lesson does not cover the question, a message saying so with a pointer.
        notebook: The notebook the answer comes from (file name). For an uncovered
            question, the notebook of the closest section, offered as a pointer; None if
            the question shares no word with the lesson.
        section: The section's heading (see ``notebook``).
        covered: Whether the lesson covers the question (False: the tutor declines).
        quote: The answer alone, without the link ("" when not covered).
        link: A link to the section, relative to the notebooks folder (None with no section).
        coverage: The share of the question's information found in the best section, 0 to 1.
        generated: Whether a model phrased the answer from the sections (else it quotes them).
        where: The notebook's title and the section's heading, as the link reads.
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
    where: str = ""

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text

    def html(self) -> str:
        """The answer as HTML: the answer or message, and a link to the section."""
        if self.covered:
            body = f"<p>{html.escape(self.quote)}</p>"
            label = f"Read more: {self.where} →"
        else:
            body = f"<p>{html.escape(_not_covered_line(self.notebook is not None))}</p>"
            label = f"Closest topic the lesson covers: {self.where} →"
            if self.notebook is None:
                return body + f"<p>{html.escape(_topics_line())}</p>"
        href = html.escape(self.link or "", quote=True)
        return body + (
            f'<p><a href="{href}" style="text-decoration:underline;font-weight:600">'
            f"{html.escape(label)}</a></p>"
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


def _md_link(label: str, link: str) -> str:
    return f"[{label.replace('[', '(').replace(']', ')')}]({link})"


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
        folder = (
            find_notebooks_dir() if notebooks_dir is None else check_notebooks_dir(notebooks_dir)
        )
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
        self.notebooks_dir = folder
        self.threshold = float(threshold)
        self.passages = read_lesson(folder)
        if not self.passages:
            raise ValueError(
                f"the notebooks in {str(folder)!r} have no markdown text to answer from"
            )
        self._docs = [_passage_terms(p) for p in self.passages]
        self._present = [set(doc) for doc in self._docs]
        self._bm25 = BM25Plus(self._docs)
        self._notebooks = sorted({p.notebook for p in self.passages})
        self._notebook_index = np.array([self._notebooks.index(p.notebook) for p in self.passages])
        notebook_docs: list[list[str]] = [[] for _ in self._notebooks]
        for index, doc in zip(self._notebook_index, self._docs, strict=True):
            notebook_docs[index] += doc
        self._notebook_bm25 = BM25Plus(notebook_docs)
        self._df = {t: sum(t in s for s in self._present) for t in set().union(*self._present)}
        self._prior = np.array([SUMMARY_WEIGHT if _is_summary(p) else 1.0 for p in self.passages])
        self._titles = {p.notebook: p.section for p in reversed(self.passages) if p.level == 1}
        self._sentences: dict[int, list[Sentence]] = {}
        self._vocabulary = sorted(
            {w for p in self.passages for w in words(f"{p.section} {p.text}") if w.isalpha()}
        )
        self._spelled: dict[str, str] = {}
        self._box: TutorBox | None = None

    def __len__(self) -> int:
        return len(self.passages)

    def weight(self, term: str) -> float:
        """How informative a normalised word is: ln((N + 1) / (df + 0.5)) over N passages."""
        return math.log((len(self.passages) + 1) / (self._df.get(term, 0) + 0.5))

    def spell(self, word: str) -> str:
        """A word the lesson never uses, corrected to the closest one it does, if one is close.

        Only words of at least :data:`SPELLING_MIN_LENGTH` letters are corrected, to a lesson
        word at least :data:`SPELLING_CUTOFF` similar (``difflib``'s ratio); the first
        :data:`SPELLING_MAX_CORRECTIONS` unknown words of a question are tried, which bounds
        the cost of any input.
        """
        if len(word) < SPELLING_MIN_LENGTH or not word.isalpha() or normalize(word) in self._df:
            return word
        if word not in self._spelled:
            if len(self._spelled) >= SPELLING_CACHE:
                self._spelled.clear()
            close = difflib.get_close_matches(word, self._vocabulary, n=1, cutoff=SPELLING_CUTOFF)
            self._spelled[word] = close[0] if close else word
        return self._spelled[word]

    def groups(self, question: str) -> list[Group]:
        """The question's words, spelled as the lesson spells them, with their synonyms."""
        budget = [SPELLING_MAX_CORRECTIONS]

        def spell(word: str) -> str:
            if budget[0] <= 0 or len(word) < SPELLING_MIN_LENGTH:
                return word
            corrected = self.spell(word)
            budget[0] -= normalize(word) not in self._df
            return corrected

        return question_groups(question, spell=spell)

    def rank(self, question: str) -> list[tuple[float, Passage]]:
        """Every passage with its BM25+ score for the question, best first.

        Raises:
            TypeError: If ``question`` is not a string.
        """
        groups = self.groups(_check_question(question, allow_empty=True))
        scores = self._scores(groups)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [(scores[i], self.passages[i]) for i in order]

    def _scores(self, groups: list[Group]) -> list[float]:
        """Each section's score: BM25+ of its words, scaled by its notebook's and its prior."""
        weighted = _weighted_terms(groups)
        known = [(t, w) for t, w in weighted.items() if t in self._df]  # others add a constant
        sections = np.zeros(len(self.passages))
        notebooks = np.zeros(len(self._notebooks))
        for term, w in known:
            sections += w * self._bm25.get_scores([term])
            notebooks += w * self._notebook_bm25.get_scores([term])
        share = notebooks[self._notebook_index] / (notebooks.max() or 1.0)
        scaled = sections * self._prior * (1 - NOTEBOOK_SHARE + NOTEBOOK_SHARE * share)
        return scaled.tolist()

    def coverage(self, groups: list[Group], index: int) -> float:
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
        groups = self.groups(question)
        if not groups:
            return Answer(
                question, _not_covered_line(False) + " " + _topics_line(), None, None, False
            )
        scores = self._scores(groups)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:CANDIDATES]
        shares = {i: self.coverage(groups, i) for i in order}
        covering = [i for i in order if shares[i] >= self.threshold]
        best = self._choose(question, groups, covering) if covering else order[0]
        passage, share, where = self.passages[best], shares[best], self.where(self.passages[best])
        matched = any(g.found_in(self._present[best]) for g in groups)
        if not matched:
            text = f"{_not_covered_line(False)} {_topics_line()}"
            return Answer(question, text, None, None, False, coverage=0.0)
        if share < self.threshold:
            text = (
                f"{NOT_COVERED} The closest topic it does cover: {_md_link(where, passage.link)}."
            )
            return Answer(
                question,
                text,
                passage.notebook,
                passage.section,
                False,
                "",
                passage.link,
                share,
                where=where,
            )
        generated = self._generated(question, [best, *(i for i in covering if i != best)], share)
        if generated is not None:
            return generated
        text = self.compose(question, groups, best)
        return Answer(
            question,
            f"{text}\n\nRead more: {_md_link(where, passage.link)}",
            passage.notebook,
            passage.section,
            True,
            text,
            passage.link,
            share,
            where=where,
        )

    def _choose(self, question: str, groups: list[Group], covering: list[int]) -> int:
        """The section to answer from, among the ``covering`` ones (best-ranked first).

        The first that can give a readable answer (:func:`_can_lead`), preferring, for a
        "what is X?" question, one that defines X; the first if none can.
        """
        topic = {g.term for g in groups} if is_definition_question(question) else None
        readable = [i for i in covering if self._scored(groups, i, topic)[1]]
        if topic:
            defining = [
                i for i in readable if any(defines(s, topic) for s in self._sentences_of(i))
            ]
            readable = defining or readable
        return readable[0] if readable else covering[0]

    def _scored(
        self, groups: list[Group], index: int, topic: set[str] | None
    ) -> tuple[list[float], bool]:
        """Each sentence's score in section ``index``, and whether one can lead an answer."""
        found = self._sentences_of(index)
        weights = [self.weight(g.term) for g in groups]
        scores = [score_sentence(s, groups, weights, topic) for s in found]
        can_lead = any(score > 0 and _can_lead(found, i) for i, score in enumerate(scores))
        return scores, can_lead

    def _sentences_of(self, index: int) -> list[Sentence]:
        if index not in self._sentences:
            self._sentences[index] = sentences_of(self.passages[index])
        return self._sentences[index]

    def where(self, passage: Passage) -> str:
        """Where a section is, as a link to it reads: the notebook's title, then the heading."""
        title = self._titles.get(passage.notebook, passage.notebook)
        return title if title == passage.section else f"{title}, “{passage.section}”"

    def compose(self, question: str, groups: list[Group], index: int) -> str:
        """The answer to a question from the section ``index`` (see :func:`compose`)."""
        found = self._sentences_of(index)
        if not found:
            return self.passages[index].section
        topic = {g.term for g in groups} if is_definition_question(question) else None
        return compose(found, self._scored(groups, index, topic)[0])

    def _generated(self, question: str, indices: list[int], share: float) -> Answer | None:
        """The model's answer from the passages ``indices`` (at most three), or None.

        ``share`` is the best passage's coverage of the question, already computed.
        """
        if self.endpoint is None:
            return None
        chosen = [self.passages[i] for i in indices[:3]]
        sources = [Source(self.where(p), p.text) for p in chosen]
        text = generate(self.endpoint, question, sources)
        if text is None:
            return None
        cited = sorted({int(k) for k in re.findall(r"\[(\d+)\]", text)})
        first = chosen[cited[0] - 1]
        links = ", ".join(
            f"[{k}] {_md_link(self.where(chosen[k - 1]), chosen[k - 1].link)}" for k in cited
        )
        return Answer(
            question,
            f"{text}\n\nRead more: {links}",
            first.notebook,
            first.section,
            True,
            text,
            first.link,
            share,
            generated=True,
            where=self.where(first),
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


def _weighted_terms(groups: list[Group]) -> dict[str, float]:
    """The terms to rank by, with weights: the question's words, their pairs, their synonyms."""
    base = {g.term for g in groups}
    weighted = dict.fromkeys(base, 1.0)
    weighted.update(dict.fromkeys(pairs([g.term for g in groups]), PAIR_WEIGHT))
    for group in groups:
        for extra in group.extra - base:
            weighted[extra] = max(weighted.get(extra, 0.0), EXPANSION_WEIGHT)
    return weighted


def _is_summary(passage: Passage) -> bool:
    """Whether a passage sums up what other sections teach (see :data:`SUMMARY_WEIGHT`)."""
    targets = {link.split("#")[0] for link in passage.links}
    others = {t for t in targets if t.endswith(".ipynb") and t != passage.notebook}
    return passage.level == 1 or bool(_RECAP.search(passage.section)) or len(others) >= 2


def _passage_terms(passage: Passage) -> list[str]:
    """A passage's index terms: its heading (counted twice), its parent heading, its text."""
    heading = terms(passage.section)
    parent = terms(passage.parent) if passage.parent else []
    body = terms(passage.text)
    return heading + heading + parent + body + pairs(heading) + pairs(heading) + pairs(body)


def pairs(found: list[str]) -> list[str]:
    """Adjacent pairs of terms as single terms (``goal misgeneralization`` -> ``goal_misgener``).

    Ranking counts a pair of the question's words that the lesson uses side by side as a
    term of its own, so a section that names a two-word idea ranks above one that only
    uses both words.
    """
    return [f"{a}_{b}" for a, b in zip(found, found[1:], strict=False) if a != b]


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
        # The answer is shown as an output, so that JupyterLab renders it and opens its
        # "read more" link in place, scrolled to the section (a link in an HTML widget
        # would reload the page).
        self._answer = w.Output()
        self._shown = ""
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
        return self._shown

    def _show(self, inner: str) -> None:
        self._shown = _box_html(inner)
        self._answer.outputs = (
            {
                "output_type": "display_data",
                "data": {
                    "text/html": self._shown,
                    "text/plain": html.unescape(re.sub(r"<[^>]+>", " ", inner)).strip(),
                },
                "metadata": {},
            },
        )

    def ask(self, question: str) -> Answer | None:
        """Ask a question and show the answer in the widget.

        An empty question, or a tutor that cannot be built, shows a message instead of
        raising.

        Returns:
            The answer, or None if there was nothing to answer.
        """
        self.widget  # noqa: B018 - builds the answer area
        if not isinstance(question, str) or not question.strip():
            self._show(f"<p>{html.escape(EMPTY_QUESTION)}</p>")
            return None
        try:
            answer = self.tutor.ask(question)
        except (OSError, ValueError) as err:
            self._show(f"<p>{html.escape(str(err))}</p>")
            return None
        self.answers.append(answer)
        self._show(answer.html())
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
    "Sentence",
    "Tutor",
    "TutorBox",
    "compose",
    "is_definition_question",
    "score_sentence",
    "sentences_of",
]
