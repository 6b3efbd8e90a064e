"""Words as the tutor compares them: spelling, stems, stopwords and the lesson's own terms.

Words are compared after normalisation: British spellings become American ones (the lesson
mixes them: *optimiser*, *behaviour*), then the Snowball English stemmer (Porter 2; Porter
1980, *An algorithm for suffix stripping*, revised in the Snowball project) maps *optimizer*,
*optimizing* and *optimization* to one stem. A short map of the lesson's terms adds the
lesson's own words to a question that uses another name for them (*reward hacking* ->
specification gaming).

Example:
    >>> terms("What are mesa-optimisers?")
    ['mesa', 'optim']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")

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
    examples say said course lesson notebook notebooks section sections ok okay hey hi hello
    pls plz please thanks thank anyway guess wonder wondering confused confusing get gets got
    vs versus whats hows whys""".split()
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


_REPLACEMENTS = {"α": " alpha ", "β": " beta ", "θ": " theta ", "π": " pi ", "’": "'", "‘": "'"}
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The lower-case words of ``text``: apostrophes joined, hyphens split, digits 0-9 dropped."""
    text = text.lower()
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    text = re.sub(r"'s\b", "", text).replace("'", "")
    return [w for w in _WORD.findall(text) if not (w.isdigit() and len(w) < 2)]


@lru_cache(maxsize=1 << 16)
def normalize(word: str) -> str:
    """A word's index form: American spelling, then its Snowball (Porter 2) stem."""
    return _STEMMER.stemWord(americanize(word))


def terms(
    text: str, drop: Iterable[str] = (), spell: Callable[[str], str] | None = None
) -> list[str]:
    """The index terms of ``text``: its words less stopwords (and ``drop``), normalised.

    Args:
        text: The text.
        drop: Further words to leave out.
        spell: Corrects a word's spelling before it is normalised (e.g. to the lesson's).
    """
    skip = STOPWORDS.union(drop)
    return [normalize(spell(w) if spell else w) for w in words(text) if w not in skip]


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
class Group:
    """One word of a question, with the words the synonym map adds for it."""

    term: str
    extra: set[str] = field(default_factory=set)

    def found_in(self, present: set[str] | frozenset[str] | dict[str, int]) -> bool:
        """Whether the word, or a word the synonym map adds for it, is in ``present``."""
        return self.term in present or any(t in present for t in self.extra)


def question_groups(question: str, spell: Callable[[str], str] | None = None) -> list[Group]:
    """The question's words, normalised, each with what the synonym map adds for it.

    Args:
        question: The question.
        spell: Corrects a word's spelling before it is normalised (see :func:`terms`).
    """
    found = terms(question, drop=QUESTION_WORDS, spell=spell)
    groups: list[Group] = []
    for term in found:
        if all(g.term != term for g in groups):
            groups.append(Group(term))
    for key, expansion in _PHRASES:
        for start in range(len(found) - len(key) + 1):
            if tuple(found[start : start + len(key)]) == key:
                for group in groups:
                    if group.term in key:
                        group.extra.update(t for t in expansion if t not in key)
    return groups


__all__ = [
    "QUESTION_WORDS",
    "STOPWORDS",
    "SYNONYMS",
    "Group",
    "americanize",
    "normalize",
    "question_groups",
    "terms",
    "words",
]
