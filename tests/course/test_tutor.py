"""The lesson tutor: reading notebooks, normalising words, answering and declining, the widget."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mesatoys.course import lesson_text
from mesatoys.course import tutor as tutor_module
from mesatoys.course.lesson_text import Passage, passages_of, plain, sentences
from mesatoys.course.tutor import (
    EMPTY_QUESTION,
    MAX_ANSWER_WORDS,
    NOT_COVERED,
    Answer,
    Tutor,
    TutorBox,
    is_definition_question,
)
from mesatoys.course.words import americanize, normalize

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EVAL = json.loads((Path(__file__).parent / "tutor_eval.json").read_text(encoding="utf-8"))


def _notebook(path: Path, *cells: str) -> Path:
    data = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": c}
            if not c.startswith("CODE:")
            else {
                "cell_type": "code",
                "metadata": {},
                "source": c[5:],
                "outputs": [],
                "execution_count": None,
            }
            for c in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def course_tutor() -> Tutor:
    return Tutor()


@pytest.fixture
def toy_dir(tmp_path) -> Path:
    _notebook(
        tmp_path / "01_toy.ipynb",
        "# 1 · Toy lesson\n\nA lesson about gardens.",
        "## 1. Watering tomatoes\n\nTomatoes need **deep watering** twice a week. "
        "Shallow watering makes weak roots. See [the guide](http://example.org).",
        "CODE:print('## not a heading')",
        "### Mulch and soil\n\nMulch keeps the soil moist (Smith et al. 2020).\n\n"
        "```\n## also not a heading\n```\n\n| tool | use |\n|---|---|\n| hose | watering |",
        "## References\n\n- Smith, A. (2020). *Tomatoes and mulch.*",
    )
    _notebook(tmp_path / "02_toy.ipynb", "## 2. Pruning roses\n\nPrune roses in early spring.")
    return tmp_path


# --- reading the notebooks -----------------------------------------------------------------------


def test_passages_split_at_headings_and_skip_code_and_references(toy_dir):
    tutor = Tutor(notebooks_dir=toy_dir)
    found = [(p.notebook, p.section, p.level, p.parent) for p in tutor.passages]
    assert found == [
        ("01_toy.ipynb", "1 · Toy lesson", 1, None),
        ("01_toy.ipynb", "1. Watering tomatoes", 2, None),
        ("01_toy.ipynb", "Mulch and soil", 3, "1. Watering tomatoes"),
        ("02_toy.ipynb", "2. Pruning roses", 2, None),
    ]
    mulch = tutor.passages[2]
    texts = [b.text for b in mulch.blocks]
    assert texts == ["Mulch keeps the soil moist (Smith et al. 2020).", "hose: watering."]
    assert [b.kind for b in mulch.blocks] == ["para", "row"]


def test_any_input_is_answered_or_refused_quickly(course_tutor):
    """A question is cut to MAX_QUESTION_CHARS: 15,000 distinct words took 13 s before."""
    import random
    import string

    from mesatoys.course.tutor import MAX_QUESTION_CHARS

    rng = random.Random(3)
    words = ["".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(15_000)]
    flood = " ".join(words)
    answer = course_tutor.ask(flood)
    assert not answer.covered and len(answer.question) <= MAX_QUESTION_CHARS
    pointer = course_tutor.ask("What is pseudo-alignment? " + flood)  # the start still counts
    assert "pseudo-alignment" in pointer.link
    assert course_tutor.ask("x" * 100_000).question == "x" * MAX_QUESTION_CHARS


def test_exercise_statements_are_tasks_not_lesson_text():
    cells = ["## 1. Lesson\n\nWatering.", "### Exercise: water it\n\nWrite `water()`."]
    assert [p.section for p in passages_of("01_x.ipynb", cells)] == ["1. Lesson"]


def test_text_before_the_first_heading_is_named_after_the_notebook():
    (passage,) = passages_of("05_x.ipynb", ["Just some text."])
    assert (passage.section, passage.level) == ("05_x", 1)


def test_plain_strips_markdown():
    text = "**Bold**, *it*, `code_x`, [link](a.ipynb), $O_\\text{base}$, 0.95<sup>*d*</sup>"
    assert plain(text) == "Bold, it, code_x, link, O_base, 0.95^d"


def test_sentences_do_not_break_after_et_al():
    text = "Hubinger et al. (2019) wrote it. E.g. this is one. Next one!"
    assert sentences(text) == ["Hubinger et al. (2019) wrote it.", "E.g. this is one.", "Next one!"]


def test_links_use_jupyterlab_heading_anchors():
    passage = Passage("03_x.ipynb", "7. The crux: what if (really)?", 2, "text")
    assert passage.link == "03_x.ipynb#7.-The-crux:-what-if-%28really%29?"


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("optimiser", "optimizer"),
        ("optimisers", "optimizers"),
        ("generalisation", "generalization"),
        ("behaviour", "behavior"),
        ("behavioural", "behavioral"),
        ("penalising", "penalizing"),
        ("recognise", "recognize"),
        ("modelled", "modeled"),
        ("defence", "defense"),
        ("analyse", "analyze"),
    ],
)
def test_british_spellings_normalise_like_american_ones(british, american):
    assert americanize(british) == american
    assert normalize(british) == normalize(american)


@pytest.mark.parametrize("word", ["exercise", "otherwise", "supervise", "noise", "promise"])
def test_words_spelled_ise_in_american_english_are_kept(word):
    assert americanize(word) == word


@pytest.mark.parametrize(
    "forms",
    [
        ("optimizer", "optimizers", "optimizing", "optimization", "optimize"),
        ("deceptive", "deceptively", "deception"),
        ("aligned", "alignment", "aligning"),
        ("race", "races", "racing", "raced"),
        ("stop", "stopped", "stopping"),
        ("add", "adding", "added"),
        ("optimiser", "optimisation", "optimizer"),
        ("generalise", "generalization"),
    ],
)
def test_forms_of_a_word_share_a_stem(forms):
    assert len({normalize(f) for f in forms}) == 1


@pytest.mark.parametrize(("a", "b"), [("cheese", "choose"), ("goal", "go"), ("test", "testify")])
def test_unrelated_words_keep_different_stems(a, b):
    assert normalize(a) != normalize(b)


# --- answering -----------------------------------------------------------------------------------


def test_answer_quotes_the_best_section_with_a_link(toy_dir):
    answer = Tutor(notebooks_dir=toy_dir).ask("How much watering do tomatoes need?")
    assert isinstance(answer, Answer) and answer.covered
    assert (answer.notebook, answer.section) == ("01_toy.ipynb", "1. Watering tomatoes")
    assert answer.quote.startswith("Tomatoes need deep watering twice a week.")
    assert "**" not in answer.quote and "http" not in answer.quote
    assert "Read more: [1 · Toy lesson, “1. Watering tomatoes”]" in answer.text
    assert "(01_toy.ipynb#1.-Watering-tomatoes)" in answer.text
    assert str(answer) == answer.text and answer._repr_markdown_() == answer.text


def test_the_read_more_link_opens_in_place():
    """No target: JupyterLab opens a relative link in its own tab, at the section."""
    answer = Answer("q", "t", "03_x.ipynb", "A", True, "An answer.", "03_x.ipynb#A", where="3, “A”")
    link = answer.html()
    assert 'href="03_x.ipynb#A"' in link and "target" not in link
    assert "Read more: 3, “A” →" in link and "underline" in link


def test_an_answer_leads_with_the_definition_and_resolves_what_it_refers_to(tmp_path):
    _notebook(
        tmp_path / "01_toy.ipynb",
        "# 1 · Pests\n\nAbout pests.",
        "## 2. Aphid counts\n\nWe counted aphids on roses. Aphid numbers rose in May. "
        "Aphid numbers fell in July. Aphids were fewest in August.",
        "## 3. Insects\n\nGardeners meet many insects on roses. They like new shoots. "
        "Such an insect is called an aphid when it sucks sap from the shoots.",
    )
    tutor = Tutor(notebooks_dir=tmp_path)
    assert tutor.rank("What is an aphid?")[0][1].section == "2. Aphid counts"
    answer = tutor.ask("What is an aphid?")
    assert answer.section == "3. Insects"  # the section that says what an aphid is
    # The defining sentence opens with "Such", and the one before it with "They": both
    # sentences they refer back to come first.
    assert answer.quote == (
        "Gardeners meet many insects on roses. They like new shoots. "
        "Such an insect is called an aphid when it sucks sap from the shoots."
    )


def test_a_list_item_comes_with_its_lead_in_and_labels_introduce_lists(tmp_path):
    _notebook(
        tmp_path / "01_toy.ipynb",
        "## 1. Kinds of frost\n\nGardeners tell two kinds of frost apart:\n\n"
        "- it is a ground frost if the soil freezes;\n- it is an air frost if the air does.\n\n"
        "Both harm seedlings.",
        "## 2. Tools\n\n**What you need**\n\n- a fleece\n- a cloche",
    )
    tutor = Tutor(notebooks_dir=tmp_path)
    ground = tutor.ask("What is a ground frost?")
    assert ground.quote.startswith("Gardeners tell two kinds of frost apart: it is a ground frost")
    tools = tutor.ask("what you need: tools")
    assert tools.quote.startswith("What you need: a fleece")


def test_sentences_that_point_at_the_screen_are_left_out(tmp_path):
    _notebook(
        tmp_path / "01_toy.ipynb",
        "## 1. Compost\n\nCompost feeds the soil slowly. Move the slider below to see compost "
        "age. Compost needs air and water.",
    )
    answer = Tutor(notebooks_dir=tmp_path).ask("Why compost?")
    assert "slider" not in answer.quote and "Compost feeds the soil" in answer.quote


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is pseudo-alignment?", True),
        ("what's a honeypot", True),
        ("define base objective", True),
        ("honeypots", True),
        ("deceptive alignment?", True),
        ("Why does the mouse go to the corner?", False),
        ("How do I install mesatoys?", False),
    ],
)
def test_definition_questions_are_recognised(question, expected):
    assert is_definition_question(question) is expected


def test_misspelled_words_are_read_as_the_lesson_spells_them(course_tutor):
    right = course_tutor.ask("What is goal misgeneralization?")
    typo = course_tutor.ask("What is goal misgeneralizaton?")
    assert (typo.notebook, typo.section) == (right.notebook, right.section)
    assert course_tutor.spell("distinguishabilty") == "distinguishability"
    assert course_tutor.spell("cheese") == "cheese"  # a lesson word stays as it is


def test_uncovered_question_is_declined_with_a_pointer(toy_dir):
    answer = Tutor(notebooks_dir=toy_dir).ask("Should I water the lawn in the evening or at noon?")
    assert not answer.covered and answer.quote == ""
    assert answer.text.startswith(NOT_COVERED)
    assert answer.section == "1. Watering tomatoes"
    assert "(01_toy.ipynb#1.-Watering-tomatoes)" in answer.text


def test_question_without_any_lesson_word_gets_no_pointer(toy_dir):
    answer = Tutor(notebooks_dir=toy_dir).ask("How do I bake bread?")
    assert not answer.covered and answer.notebook is None and answer.section is None
    assert NOT_COVERED in answer.text


@pytest.mark.parametrize(("bad", "error"), [("", ValueError), ("   ", ValueError), (3, TypeError)])
def test_bad_questions_raise(toy_dir, bad, error):
    with pytest.raises(error, match="question must be"):
        Tutor(notebooks_dir=toy_dir).ask(bad)


def test_bad_notebooks_dir_is_named(tmp_path):
    with pytest.raises(ValueError, match="notebooks_dir must be an existing folder"):
        Tutor(notebooks_dir=tmp_path / "missing")
    with pytest.raises(ValueError, match="notebooks_dir holds no .ipynb notebook"):
        Tutor(notebooks_dir=tmp_path)
    with pytest.raises(TypeError, match="notebooks_dir must be a path"):
        Tutor(notebooks_dir=3)
    (tmp_path / "01_broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read the notebook"):
        Tutor(notebooks_dir=tmp_path)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_must_be_a_share(toy_dir, threshold):
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        Tutor(notebooks_dir=toy_dir, threshold=threshold)


def test_missing_notebooks_give_a_clear_error(tmp_path, monkeypatch):
    fake_package = tmp_path / "site" / "mesatoys" / "__init__.py"
    fake_package.parent.mkdir(parents=True)
    monkeypatch.setattr("mesatoys.__file__", str(fake_package))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"Tutor\(notebooks_dir="):
        Tutor()


def test_the_course_notebooks_are_found_from_their_own_folder(monkeypatch):
    monkeypatch.chdir(NOTEBOOKS)
    assert lesson_text.find_notebooks_dir().resolve() == NOTEBOOKS.resolve()


# --- the course itself ---------------------------------------------------------------------------


def test_synonyms_and_spellings_reach_the_lessons_terms(course_tutor):
    hacking = course_tutor.ask("What is reward hacking?")
    assert hacking.covered and hacking.notebook == "04_outer_alignment.ipynb"
    assert "specification gaming" in hacking.quote.lower()
    british = course_tutor.ask("What is a mesa-optimiser?")
    american = course_tutor.ask("What is a mesa-optimizer?")
    assert (british.notebook, british.section) == (american.notebook, american.section)
    inner = course_tutor.ask("What is inner misalignment?")
    assert inner.covered and "inner" in inner.quote.lower()


def test_every_expected_eval_section_exists(course_tutor):
    sections = {(p.notebook, p.section) for p in course_tutor.passages}
    expected = {(a["notebook"], a["section"]) for q in EVAL["on_topic"] for a in q["answers"]}
    assert not expected - sections, f"eval names sections the notebooks lack: {expected - sections}"


def _rates(tutor: Tutor, split: str | None) -> dict[str, float]:
    on = [q for q in EVAL["on_topic"] if split in (None, q["split"])]
    off = [q for q in EVAL["off_topic"] if split in (None, q["split"])]
    notebook = section = 0
    for q in on:
        answer = tutor.ask(q["question"])
        accepted = {(a["notebook"], a["section"]) for a in q["answers"]}
        notebook += answer.covered and answer.notebook in {nb for nb, _ in accepted}
        section += answer.covered and (answer.notebook, answer.section) in accepted
    declined = sum(not tutor.ask(q["question"]).covered for q in off)
    return {
        "notebook": notebook / len(on),
        "section": section / len(on),
        "declined": declined / len(off),
        "n_on": len(on),
        "n_off": len(off),
    }


def test_eval_set_is_large_enough_and_split():
    on, off = EVAL["on_topic"], EVAL["off_topic"]
    assert len(on) >= 80 and len(off) >= 30
    assert {q["split"] for q in on + off} == {"tune", "heldout"}
    assert sum(q["split"] == "heldout" for q in on) >= 40
    assert sum(q["split"] == "heldout" for q in off) >= 10


def test_eval_targets(course_tutor):
    rates = {split: _rates(course_tutor, split) for split in ("tune", "heldout", None)}
    for split, r in rates.items():
        print(
            f"\ntutor eval ({split or 'all'}): right notebook {r['notebook']:.1%}, right section "
            f"{r['section']:.1%} of {r['n_on']} on-topic; declined {r['declined']:.1%} of "
            f"{r['n_off']} off-topic"
        )
    held = rates["heldout"]
    assert held["notebook"] >= 0.88  # 90.2% measured: one question is 2 points
    assert rates[None]["section"] >= 0.75
    assert rates[None]["declined"] >= 0.9


_DANGLING_START = re.compile(r"^(It|Its|They|Their|This|These|That|Those|Such|So|But|And)\b")
_SCREEN = re.compile(
    r"\b((table|figure|plot|chart|cell)s? (below|above)|(below|above)[.:,]|this cell)\b",
    re.IGNORECASE,
)


def test_every_answer_is_short_and_self_contained(course_tutor):
    """Every covered answer to an evaluation question: at most MAX_ANSWER_WORDS words, no
    opening "it"/"this" without the sentence it refers to, nothing that points at the screen."""
    problems = []
    for q in EVAL["on_topic"]:
        answer = course_tutor.ask(q["question"])
        if not answer.covered:
            continue
        words = answer.quote.replace(" …", "").split()
        if len(words) > MAX_ANSWER_WORDS:
            problems.append(f"{len(words)} words: {q['question']}")
        if _DANGLING_START.match(answer.quote) or _SCREEN.search(answer.quote):
            problems.append(f"{answer.quote[:80]!r}: {q['question']}")
        if not answer.quote.rstrip("…").strip() or answer.quote.endswith(":"):
            problems.append(f"empty or unfinished answer: {q['question']}")
    assert not problems, "\n".join(problems)


# --- the widget ----------------------------------------------------------------------------------


def test_box_answers_on_enter_and_on_the_button(toy_dir):
    box = TutorBox(Tutor(notebooks_dir=toy_dir))
    question, button = box.controls
    question.value = "How much watering do tomatoes need?"  # what Enter does
    assert "Tomatoes need deep watering" in box.answer_shown
    assert 'href="01_toy.ipynb#1.-Watering-tomatoes"' in box.answer_shown
    button.click()
    assert len(box.answers) == 2 and all(a.covered for a in box.answers)
    question.value = "Should I water the lawn in the evening or at noon?"
    assert "doesn" in box.answer_shown and "Closest topic" in box.answer_shown


def test_box_prompts_for_an_empty_question(toy_dir):
    box = TutorBox(Tutor(notebooks_dir=toy_dir))
    _, button = box.controls
    button.click()
    assert EMPTY_QUESTION in box.answer_shown and box.answers == []
    assert box.ask("   ") is None


def test_box_without_notebooks_shows_a_message_not_a_traceback(monkeypatch):
    def missing():
        raise FileNotFoundError("The tutor could not find the course notebooks.")

    monkeypatch.setattr(tutor_module, "find_notebooks_dir", missing)
    monkeypatch.setattr(lesson_text, "find_notebooks_dir", missing)
    box = TutorBox()
    assert box.ask("What is a mesa-optimizer?") is None
    assert "could not find the course notebooks" in box.answer_shown


def test_box_text_fallback_explains_how_to_ask(toy_dir):
    box = TutorBox()
    bundle = box._repr_mimebundle_()
    assert '.ask("' in bundle["text/plain"] and "Tutor()" in bundle["text/plain"]
    assert Tutor(notebooks_dir=toy_dir).text_summary() == box.text_summary()
    with pytest.raises(TypeError, match="tutor must be a Tutor"):
        TutorBox("tutor")


def test_importing_the_tutor_loads_no_plotting_or_experiments():
    code = (
        "import sys; import mesatoys.course.tutor; "
        "bad = [m for m in sys.modules if m.startswith(('matplotlib', 'mesatoys.experiments', "
        "'ipywidgets'))]; print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
