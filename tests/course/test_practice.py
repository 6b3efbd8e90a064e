"""Practice questions, question banks and the practice quiz, without a browser or kernel."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets as w
import numpy as np
import pytest

from mesatoys.course import bank, practice
from mesatoys.course.bank import Question, load_bank, parse_bank, read_bank
from mesatoys.course.practice import NO_CHOICE, NO_TICK, PracticeQuestion, PracticeQuiz

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUIZ = "07_end_of_lesson_quiz"


def _single(**kwargs) -> Question:
    args = {
        "id": "demo-single",
        "prompt": "Which optimizer sees the base objective?",
        "options": ["The inner one", "The outer one", "Neither"],
        "correct": [1],
        "explanations": ["It has its own.", "It is trained on it.", "One of them does."],
    }
    return Question(**{**args, **kwargs})


def _multiple() -> Question:
    return Question(
        id="demo-multiple",
        prompt="Which are even?",
        options=["2", "3", "4", "5"],
        correct=[0, 2],
        explanations=["2 = 2 x 1.", "3 is odd.", "4 = 2 x 2.", "5 is odd."],
    )


def _spec(**kwargs) -> dict:
    item = {
        "id": "demo-q",
        "prompt": "Q?",
        "options": ["x", "y", "z"],
        "correct": [2],
        "explanations": ["a", "b", "c"],
    }
    return {**item, **kwargs}


# --- the bank format ----------------------------------------------------------------------------


def test_parse_bank_builds_questions_and_infers_the_kind():
    data = {"title": " T ", "questions": [_spec(), _spec(id="demo-r", correct=[0, 1])]}
    title, questions = parse_bank(data, "demo.json")
    assert title == "T"
    assert [q.kind for q in questions] == ["single", "multiple"]
    assert questions[1].correct == (0, 1) and questions[0].options == ("x", "y", "z")


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"correct": [3]}, "correct", r"indices 0-2, got \[3\]"),
        ({"correct": []}, "correct", "non-empty list"),
        ({"correct": 1}, "correct", "non-empty list"),
        ({"correct": [True]}, "correct", "non-empty list"),
        ({"correct": [1, 1]}, "correct", "must not repeat"),
        ({"explanations": ["a", "b"]}, "explanations", r"one text per option \(3\)"),
        ({"explanations": ["a", " ", "c"]}, r"explanations\[1\]", "non-empty string"),
        ({"options": ["x", "x", "y"]}, "options", "distinct"),
        ({"options": ["only"]}, "options", "2 to 26"),
        ({"options": "xyz"}, "options", "2 to 26"),
        ({"prompt": ""}, "prompt", "non-empty string"),
        ({"kind": "several"}, "kind", r"one of \('single', 'multiple'\)"),
        ({"kind": "single", "correct": [0, 1]}, "correct", "exactly one index"),
    ],
)
def test_bad_fields_name_the_file_the_question_and_the_field(item, field, message):
    data = {"questions": [_spec(id="first-q"), _spec(**item)]}
    with pytest.raises(ValueError, match=message) as err:
        parse_bank(data, "demo.json")
    text = str(err.value)
    assert text.startswith("demo.json, question 2 (id 'demo-q'): field ")
    assert re.search(f"field {field} ", text)


@pytest.mark.parametrize("bad_id", ["Has-Caps", "two  words", "end-", "a--b", "", 7])
def test_ids_must_be_stable_slugs(bad_id):
    with pytest.raises(ValueError, match="field id must be lower-case letters"):
        parse_bank({"questions": [_spec(id=bad_id)]}, "demo.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a bank must be a JSON object with a 'questions' list"),
        ({"title": "x"}, "a bank must be a JSON object with a 'questions' list"),
        ({"questions": []}, "questions must be a non-empty list"),
        ({"questions": [_spec()], "author": "me"}, r"unknown top-level field\(s\) \['author'\]"),
        ({"questions": [_spec()], "title": 3}, "title must be a string"),
        ({"questions": ["text"]}, "question 1: must be a JSON object"),
        ({"questions": [{"id": "no-options"}]}, r"question 1 \(id 'no-options'\): missing field"),
        (
            {"questions": [_spec(explanation=["a", "b", "c"])]},
            r"question 1 \(id 'demo-q'\): unknown field\(s\) \['explanation'\]",
        ),
        ({"questions": [_spec(), _spec()]}, "question 2 repeats the id 'demo-q' of question 1"),
    ],
)
def test_malformed_banks_are_rejected_with_the_file_named(data, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_bank(data, "demo.json")
    assert str(err.value).startswith("demo.json")


def test_read_bank_reads_a_file_and_reports_bad_json(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"questions": [_spec()]}), encoding="utf-8")
    assert read_bank(good)[1][0].id == "demo-q"
    bad = tmp_path / "bad.json"
    bad.write_text('{"questions": [', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        read_bank(bad)


@pytest.mark.parametrize("name", ["08_nope", "", None, "../banks/01_the_two_layer_problem"])
def test_unknown_bank_names_are_rejected(name):
    with pytest.raises(ValueError, match="name must be"):
        load_bank(name)


def test_question_by_id_finds_shipped_questions():
    assert bank.question_by_id("inner-alignment-which-failure").prompt.startswith("Trained with")
    with pytest.raises(ValueError, match="question_id must be the id of a shipped question"):
        bank.question_by_id("no-such-question")


# --- checking answers without widgets -----------------------------------------------------------


@pytest.mark.parametrize("answer", ["B", "b", " B ", 1, [1], ["b"], (1,)])
def test_single_choice_accepts_a_letter_or_an_index(answer):
    feedback = PracticeQuestion(_single()).check(answer)
    assert feedback.right and feedback.chosen == (1,)


def test_single_choice_wrong_answer_explains_only_the_chosen_option():
    q = PracticeQuestion(_single())
    feedback = q.check("C")
    assert not feedback.right
    assert str(feedback) == (
        "Not quite. Read why, then try another option.\n  C (your answer): One of them does."
    )
    assert "It is trained on it." not in feedback.text  # the answer is not given away


def test_single_choice_right_answer_explains_every_option():
    feedback = PracticeQuestion(_single()).check("B")
    assert feedback.verdict == "Correct."
    assert [(n.letter, n.label) for n in feedback.notes] == [
        ("B", "your answer"),
        ("A", "not this one"),
        ("C", "not this one"),
    ]
    assert {n.explanation for n in feedback.notes} == set(_single().explanations)


@pytest.mark.parametrize("answer", ["A,C", "a, c", "C A", "AC", "A;C", [0, 2], ["A", "c"], (2, 0)])
def test_multiple_select_accepts_several_letters_or_indices(answer):
    feedback = PracticeQuestion(_multiple()).check(answer)
    assert feedback.right and feedback.chosen == (0, 2)
    assert feedback.verdict == "Correct: you chose exactly the options that apply."


def test_multiple_select_gives_feedback_on_every_option():
    feedback = PracticeQuestion(_multiple()).check("A,B")  # one right, one wrong, one missed
    assert not feedback.right
    assert feedback.verdict == (
        "Not quite: you chose 1 of the 2 options that apply, and 1 that does not."
    )
    notes = {n.letter: (n.label, n.good, n.explanation) for n in feedback.notes}
    assert notes == {
        "A": ("chosen, and it applies", True, "2 = 2 x 1."),
        "B": ("chosen, but it does not apply", False, "3 is odd."),
        "C": ("missed: it applies", False, "4 = 2 x 2."),
        "D": ("rightly left out", True, "5 is odd."),
    }
    assert "C (missed: it applies): 4 = 2 x 2." in feedback.text


def test_multiple_select_partial_answer_without_wrong_picks():
    feedback = _multiple().feedback_for("C")
    assert feedback.verdict == "Not quite: you chose 1 of the 2 options that apply."


@pytest.mark.parametrize("answer", ["Z", "", "  ", None, True, 1.0, 3, -1, "A,Z", "A1", [], [0, 9]])
def test_bad_answers_raise_a_value_error_naming_the_argument(answer):
    q = PracticeQuestion(_single())
    with pytest.raises(ValueError, match="answer must be one letter A-C or an index 0-2; got"):
        q.check(answer)
    assert q.attempts == []  # nothing recorded


@pytest.mark.parametrize(
    "answer", [np.int64(1), np.int32(1), np.uint8(1), [np.int64(1)], (np.intp(1),), np.array([1])]
)
def test_numpy_integers_are_accepted_as_indices(answer):
    q = PracticeQuestion(_single())
    feedback = q.check(answer)
    assert feedback.right and feedback.chosen == (1,) and q.attempts == [(1,)]
    assert type(q.attempts[0][0]) is int


@pytest.mark.parametrize("answer", [[np.int64(2), np.int64(0)], np.array([0, 2]), np.int16(0)])
def test_numpy_integers_are_accepted_for_multiple_select(answer):
    feedback = PracticeQuestion(_multiple()).check(answer)
    assert feedback.chosen == ((0, 2) if np.ndim(answer) else (0,))


@pytest.mark.parametrize("answer", [np.bool_(True), np.float64(1.0), np.int64(3), np.array([[1]])])
def test_numpy_values_that_are_not_option_indices_are_still_refused(answer):
    with pytest.raises(ValueError, match="answer must be one letter A-C or an index 0-2; got"):
        PracticeQuestion(_single()).check(answer)


def test_several_options_for_a_single_choice_question_are_refused():
    with pytest.raises(ValueError, match="answer must name exactly one option"):
        PracticeQuestion(_single()).check("A,B")


def test_bad_answers_to_multiple_select_say_how_to_answer():
    with pytest.raises(
        ValueError, match=r'one or more letters A-D separated by commas \(e.g. "A,C"\)'
    ):
        PracticeQuestion(_multiple()).check("E")


def test_attempt_history_and_first_try():
    q = PracticeQuestion(_multiple())
    assert not q.answered and not q.right_first_time and not q.solved
    q.check("A")
    q.check("A,C")
    assert q.attempts == [(0,), (0, 2)]
    assert q.answered and q.solved and not q.right_first_time


def test_feedback_displays_as_text_in_ipython():
    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, value):
            self.out += value

    printer = Printer()
    feedback = _single().feedback_for("A")
    feedback._repr_pretty_(printer, False)
    assert printer.out == feedback.text


# --- the on_result hook -------------------------------------------------------------------------


def test_on_result_hears_every_checked_answer():
    calls = []
    q = PracticeQuestion(_multiple(), on_result=lambda *args: calls.append(args))
    q.check("A")
    with pytest.raises(ValueError):
        q.check("Z")  # not an answer: not reported
    q.check([2, 0])
    assert calls == [("demo-multiple", False, (0,)), ("demo-multiple", True, (0, 2))]


def test_on_result_hears_widget_checks_too():
    calls = []
    q = practice.questions("03_inner_alignment", on_result=lambda *args: calls.append(args))[0]
    q.controls[0].value = 0
    q.controls[-1].click()
    assert calls == [("inner-alignment-which-failure", True, (0,))]


def _broken_hook(question_id, right, chosen):
    raise RuntimeError("the hook broke")


def test_a_failing_hook_cannot_swallow_the_feedback():
    q = PracticeQuestion(_single(), on_result=_broken_hook)
    with pytest.warns(practice.HookWarning, match="checked.*RuntimeError: the hook broke"):
        feedback = q.check("B")
    assert feedback.right and feedback.verdict == "Correct." and q.attempts == [(1,)]


def test_a_failing_hook_is_reported_in_the_widget_under_the_feedback():
    q = PracticeQuestion(_single(), on_result=_broken_hook)
    q.controls[0].value = 1
    q.controls[-1].click()  # the Check button: nothing raises into it
    shown = q.feedback_shown
    assert shown.index("Correct.") < shown.index("RuntimeError: the hook broke")
    assert q.attempts == [(1,)]


def test_a_failing_hook_does_not_stop_the_progress_recorder(progress_home):
    q = practice.questions("03_inner_alignment", on_result=_broken_hook)[0]
    with pytest.warns(practice.HookWarning, match="the hook broke"):
        q.check("A")
    saved = json.loads((progress_home / "progress.json").read_text())
    assert saved["answers"][q.id]["last_answer"] == [0]


def test_a_failing_question_hook_still_updates_the_quiz_and_calls_its_hook():
    heard = []
    qs = [PracticeQuestion(_single(), on_result=_broken_hook), PracticeQuestion(_multiple())]
    quiz = PracticeQuiz(qs, title="T", on_result=lambda *a: heard.append(a))
    score = quiz.widget.children[-1]
    with pytest.warns(practice.HookWarning, match="the hook broke"):
        quiz[0].check("B")
    assert heard == [("demo-single", True, (1,))]
    assert "1 / 2 answered correctly" in score.value


def test_on_result_must_be_callable():
    with pytest.raises(TypeError, match="on_result must be None or a callable"):
        PracticeQuestion(_single(), on_result="save")
    with pytest.raises(TypeError, match="question must be a mesatoys.course.bank.Question"):
        PracticeQuestion({"prompt": "Q?"})


# --- the widget, without a browser --------------------------------------------------------------


def test_single_choice_widget_feedback_follows_the_check_button():
    q = PracticeQuestion(_single())
    radio, button = q.controls
    button.click()
    assert NO_CHOICE in q.feedback_shown and q.attempts == []
    radio.value = 2
    button.click()
    assert "Not quite." in q.feedback_shown and "One of them does." in q.feedback_shown
    assert 'role="status"' in q.feedback_shown and 'aria-live="polite"' in q.feedback_shown
    radio.value = 1
    assert q.feedback_shown == ""  # old feedback is not left under a new answer
    button.click()
    assert "Correct." in q.feedback_shown and "It has its own." in q.feedback_shown
    assert q.attempts == [(2,), (1,)]


def test_multiple_select_widget_shows_per_option_feedback():
    q = PracticeQuestion(_multiple())
    *boxes, button = q.controls
    assert [type(b) for b in boxes] == [w.Checkbox] * 4
    button.click()
    assert NO_TICK in q.feedback_shown and q.attempts == []
    boxes[0].value = boxes[1].value = True
    button.click()
    shown = q.feedback_shown
    for text in ("chosen, and it applies", "chosen, but it does not apply", "missed: it applies"):
        assert text in shown
    assert q.selection() == (0, 1) and q.attempts == [(0, 1)]
    boxes[1].value = False
    assert q.feedback_shown == ""


def test_bad_answers_get_a_message_in_the_widget_not_a_traceback():
    q = PracticeQuestion(_single())
    for answer in ("Z", "", None):
        assert q.show_feedback(answer) is None
        assert "Answer must be one letter A-C or an index 0-2" in q.feedback_shown
    assert q.attempts == []
    assert q.show_feedback("B").right


def test_widget_escapes_html_in_texts():
    q = PracticeQuestion(_single(prompt="Is <b> bold?", explanations=["a < b", "ok", "c"]))
    q.show_feedback("A")
    assert "a &lt; b" in q.feedback_shown
    assert "&lt;b&gt;" in q.widget.children[1].value


def test_controls_are_standard_keyboard_focusable_widgets():
    for q, kind in (
        (PracticeQuestion(_single()), w.RadioButtons),
        (PracticeQuestion(_multiple()), w.Checkbox),
    ):
        *choices, button = q.controls
        assert all(isinstance(c, kind) for c in choices)
        assert isinstance(button, w.Button) and button.description == "Check"
        for control in q.controls:
            assert not control.disabled and control.tabbable is not False
    # Every option's full text is in its control's accessible label, with its letter.
    radio = PracticeQuestion(_single()).controls[0]
    assert radio.options == (("A. The inner one", 0), ("B. The outer one", 1), ("C. Neither", 2))
    box = PracticeQuestion(_multiple()).controls[1]
    assert box.description == "B. 3" and box.indent is False


def test_long_option_labels_wrap_instead_of_being_cut():
    box = PracticeQuestion(_single()).widget
    assert "mesatoys-practice" in box._dom_classes
    assert "white-space:normal" in box.children[0].value


def test_widget_is_built_once():
    q = PracticeQuestion(_single())
    assert q.widget is q.widget


# --- the text fallback --------------------------------------------------------------------------


def test_text_fallback_shows_the_question_without_the_answer(capsys):
    q = PracticeQuestion(_single())
    q.text_fallback()
    out = capsys.readouterr().out
    assert "Which optimizer sees the base objective?" in out
    assert "  A. The inner one" in out and "  C. Neither" in out
    assert '.check("B")' in out
    assert "It is trained on it" not in out and "Correct" not in out


def test_multiple_select_text_says_select_all():
    text = PracticeQuestion(_multiple()).text()
    assert "Which are even? (Select all that apply.)" in text and '.check("A,C")' in text


def test_question_displays_as_widget_with_text_fallback():
    q = PracticeQuestion(_multiple())
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == q.text()


def test_importing_the_course_loads_neither_widgets_nor_matplotlib_nor_the_toys():
    code = (
        "import sys; from mesatoys.course import practice; "
        "practice.questions('01_the_two_layer_problem')[0].check('A'); "
        "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'mesatoys.experiments') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the practice quiz --------------------------------------------------------------------------


def test_quiz_keeps_a_first_try_score():
    quiz = PracticeQuiz.from_bank(QUIZ)
    assert len(quiz) == 15 and quiz.title == "End-of-lesson practice quiz"
    first, second = quiz[0], quiz[1]
    first.check(first.question.correct)
    wrong = next(i for i in range(len(second.question.options)) if i not in second.question.correct)
    second.check(wrong)
    second.check(second.question.correct)  # a retry teaches, but does not score
    score = quiz.score()
    assert (score.first_try, score.answered, score.total) == (1, 2, 15)
    assert quiz.summary() == (
        "Score: 1 / 15 answered correctly at the first try (2 of 15 answered so far). "
        "Practice only: not graded, saved to your progress."
    )


def test_quiz_widget_updates_its_score_on_every_check():
    quiz = PracticeQuiz.from_bank(QUIZ)
    box = quiz.widget
    score = box.children[-1]
    assert "0 / 15 answered correctly" in score.value
    q = quiz[0]
    q.controls[0].value = q.question.correct[0]
    q.controls[-1].click()
    assert "1 / 15 answered correctly" in score.value
    quiz[1].check("A")  # checked without the widget: the score still follows
    assert "(2 of 15 answered so far)" in score.value
    assert "Question 15 of 15" in box.children[15].children[0].value


def test_quiz_keeps_question_hooks_and_calls_its_own():
    heard = []
    qs = practice.questions("01_the_two_layer_problem", on_result=lambda *a: heard.append("q"))
    quiz = PracticeQuiz(qs, title="T", on_result=lambda *a: heard.append("quiz"))
    quiz[2].check("D")
    assert heard == ["q", "quiz"]


def test_quiz_text_fallback_lists_every_question_and_the_score():
    quiz = PracticeQuiz.from_bank(QUIZ)
    text = quiz._repr_mimebundle_()["text/plain"]
    assert text == quiz.text()
    for number, q in enumerate(quiz, 1):
        assert f"Question {number} of 15" in text and q.question.prompt in text
    assert 'quiz[0].check("B")' in text and quiz.summary() in text
    assert not any(e in text for q in quiz for e in q.question.explanations)


@pytest.mark.parametrize("bad", [[], [_single()], "questions", None])
def test_quiz_rejects_anything_but_questions(bad):
    with pytest.raises(ValueError, match="questions must be a non-empty list of PracticeQuestion"):
        PracticeQuiz(bad)


# --- the shipped banks --------------------------------------------------------------------------


def _all_banks() -> dict[str, list[Question]]:
    return {name: load_bank(name) for name in bank.bank_names()}


def test_every_notebook_has_a_bank_and_every_bank_a_notebook():
    notebooks = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if p.stem != "00_start_here")
    assert list(bank.bank_names()) == notebooks


def test_every_question_is_complete():
    for name, questions in _all_banks().items():
        assert bank.bank_title(name)
        for q in questions:
            assert len(q.explanations) == len(q.options) >= 2, q.id
            assert len(q.correct) >= 1, q.id
            assert q.kind == "multiple" or len(q.correct) == 1, q.id
            assert len(set(q.explanations)) == len(q.explanations), q.id


def test_ids_are_unique_across_all_banks():
    ids = [q.id for questions in _all_banks().values() for q in questions]
    assert len(ids) == len(set(ids))


def test_no_two_banks_share_a_question():
    seen: dict[str, str] = {}
    for name, questions in _all_banks().items():
        for q in questions:
            for text in (q.prompt, *q.options):
                key = " ".join(text.lower().split())
                if len(key) > 40:  # long texts only: short options like "None" may recur
                    assert seen.setdefault(key, name) == name, f"{name} repeats {text!r}"


def test_right_answers_sit_in_varied_positions():
    positions = [q.correct[0] for qs in _all_banks().values() for q in qs if q.kind == "single"]
    counts = [positions.count(i) for i in range(4)]
    assert min(counts) >= 0.15 * len(positions), counts  # no letter is the usual answer
    for name, questions in _all_banks().items():
        firsts = {q.correct for q in questions}
        assert len(firsts) >= 3, name


def _practice_cells(name: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    return [s for s in sources if "questions" in s or "quiz" in s]


@pytest.mark.parametrize("name", [n for n in bank.bank_names() if n != QUIZ])
def test_notebooks_show_every_question_of_their_bank(name):
    cells = _practice_cells(name)
    assert any(f'questions = practice.questions("{name}")' in c for c in cells)
    shown = sorted(int(i) for c in cells for i in re.findall(r"^questions\[(\d+)\]$", c, re.M))
    assert shown == list(range(len(load_bank(name))))
    assert any('questions[0].check("B")' in c for c in cells)
    hint = practice.questions(name)[0].check("B")  # the hint works as written...
    assert hint.chosen == (1,) and not hint.right  # ...and does not give the answer away


def test_the_end_of_lesson_quiz_is_new_and_mixed():
    questions = load_bank(QUIZ)
    assert len(questions) == 15
    kinds = [q.kind for q in questions]
    assert 5 <= kinds.count("multiple") <= 10
    assert all(q.id.startswith("quiz-") for q in questions)
    assert any(f'PracticeQuiz.from_bank("{QUIZ}")' in c for c in _practice_cells(QUIZ))


def test_questions_are_built_fresh_each_time():
    first = practice.questions("02_mesa_optimization")
    first[0].check("A")
    second = practice.questions("02_mesa_optimization")
    assert second[0] is not first[0] and second[0].attempts == []


def test_the_bank_takes_numpy_integers_as_option_indices():
    import numpy as np

    from mesatoys.course.bank import load_bank

    question = load_bank("03_inner_alignment")[0]
    right = question.correct[0]
    assert question.feedback_for(np.int64(right)).right
    assert question.feedback_for(np.int32(right)).chosen == (right,)
    assert question.feedback_for(right) == question.feedback_for(np.int64(right))
