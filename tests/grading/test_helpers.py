"""The grading helpers on their own: format checks, hidden checks, feedback sanitising."""

from __future__ import annotations

import nbformat
import pytest

import mesatoys.grading as grading
from mesatoys.grading import (
    HiddenCheckError,
    assert_format,
    check_format,
    expect_choice,
    expect_choices,
    expect_number,
    format_problem,
)
from mesatoys.grading.preprocessors import HideHiddenTestOutput, LimitOutputSize


@pytest.mark.parametrize(
    ("question", "answer"),
    [(1, "A"), (1, " d "), (5, {"A", "E"}), (5, frozenset({"b"})), (12, 0.5), (12, 1), (14, 0.25)],
)
def test_well_formed_answers_pass_the_format_check(question, answer, capsys):
    assert check_format(question, answer) is True
    assert "format OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("question", "answer", "words"),
    [
        (1, 1, "as a string"),
        (1, "E", "one of the letters"),
        (5, ["A"], "set of letters"),
        (5, set(), "empty"),
        (5, {"A", "Z"}, "not"),
        (12, "0.5", "a number"),
        (12, True, "a number"),
        (12, 1.5, "between"),
        (12, 0.12345, "3 decimal"),
        (14, float("nan"), "between"),
    ],
)
def test_malformed_answers_are_explained(question, answer, words, capsys):
    assert check_format(question, answer) is False
    assert words in capsys.readouterr().out
    with pytest.raises(grading.AnswerFormatError, match=f"Question {question}"):
        assert_format(question, answer)


def test_assert_format_says_format_ok_as_the_quiz_promises(capsys):
    assert_format(3, "d")
    assert "Question 3: format OK" in capsys.readouterr().out


def test_the_format_check_says_the_same_for_right_and_wrong_answers(capsys):
    """It cannot be used to find the answer: any well-formed letter gets the same reply."""
    replies = set()
    for letter in "ABCD":
        check_format(3, letter)
        replies.add(capsys.readouterr().out)
    assert len(replies) == 1


def test_unknown_questions_and_quizzes_are_rejected():
    with pytest.raises(ValueError, match="question must be one of"):
        format_problem(15, "A")
    with pytest.raises(ValueError, match="quiz must be one of"):
        format_problem(1, "A", quiz="nope")


def test_hidden_checks_accept_the_key_and_name_only_the_question():
    expect_choice(2, " b ", "B")
    expect_choices(5, ["a", "C"], {"A", "C"})
    expect_number(12, 0.7004, 0.7, tolerance=0.0006)
    for call in (
        lambda: expect_choice(2, "C", "B"),
        lambda: expect_choices(5, ["A"], {"A", "C"}),
        lambda: expect_choices(5, ["A", "C", 3], {"A", "C"}),
        lambda: expect_choices(5, ["A", "C", "c"], {"A", "C"}),
        lambda: expect_number(12, 0.71, 0.7, tolerance=0.0006),
        lambda: expect_number(12, True, 1.0, tolerance=0.1),
    ):
        with pytest.raises(HiddenCheckError) as info:
            call()
        message = str(info.value) + "".join(info.value._render_traceback_())
        assert message.startswith("Question ")
        assert "0.7" not in message and '"B"' not in message and "'B'" not in message


class _Liar(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__

    def strip(self):
        return self

    def upper(self):
        return _Liar("B")


class _FrameReader(float):
    def __float__(self):
        raise AssertionError("a hidden check called the answer's __float__")


@pytest.mark.parametrize(
    "call",
    [
        lambda: expect_choice(1, _Liar("Z"), "B"),
        lambda: expect_choices(5, {"A", "C"}, {"A", "C"}),  # a set is not plain: lists only
        lambda: expect_choices(5, [_Liar("A"), "C"], {"A", "C"}),
        lambda: expect_number(12, _FrameReader(0.7), 0.7, tolerance=0.1),
        lambda: grading.expect("exercise 1", 1),
    ],
    ids=["str-subclass", "set", "liar-in-list", "float-subclass", "truthy"],
)
def test_checks_refuse_anything_but_plain_data(call):
    """Only exact plain types count: no method of a student's object runs in a check."""
    with pytest.raises(HiddenCheckError):
        call()


def _test_cell(source, outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_q07", "points": 1}
    cell.outputs = [nbformat.NotebookNode(o) for o in outputs]
    return cell


def test_hidden_test_tracebacks_are_replaced_by_one_answer_free_line():
    secret = 'expect_choice(7, q7, "A")'
    error = {
        "output_type": "error",
        "ename": "NameError",
        "evalue": "name 'q7' is not defined",
        "traceback": ["----> 1 " + secret],
    }
    cell = _test_cell(f"x = 1\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS", [error])
    out, _ = HideHiddenTestOutput().preprocess_cell(cell, {}, 0)
    assert len(out.outputs) == 1
    text = str(out.outputs[0])
    assert secret not in text and "test_q07 lost its points" in text and "NameError" in text


def test_passing_hidden_cells_lose_their_outputs_and_visible_cells_are_untouched():
    printed = {"output_type": "stream", "name": "stdout", "text": "from the student's function"}
    hidden = _test_cell("### BEGIN HIDDEN TESTS\npass\n### END HIDDEN TESTS", [printed])
    assert HideHiddenTestOutput().preprocess_cell(hidden, {}, 0)[0].outputs == []
    visible = _test_cell("assert True", [printed])
    assert HideHiddenTestOutput().preprocess_cell(visible, {}, 0)[0].outputs[0]["text"]


def test_output_size_is_capped_but_stderr_still_counts():
    streams = [
        {"output_type": "stream", "name": "stdout", "text": "x" * 1_000_000},
        {"output_type": "stream", "name": "stderr", "text": "warning"},
    ]
    cell = _test_cell("print()", streams)
    out, _ = LimitOutputSize(max_chars=1000).preprocess_cell(cell, {}, 0)
    assert sum(len(o["text"]) for o in out.outputs) < 1200
    assert [o["name"] for o in out.outputs] == ["stdout", "stderr"]
