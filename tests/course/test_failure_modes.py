"""The failure-mode sorting exercise of notebook 04, headless."""

from __future__ import annotations

import pytest

from mesatoys.course import failure_modes as fm

RIGHT_ANSWERS = [s.answer for s in fm.SCENARIOS]


def test_exercise_has_two_scenarios_per_failure_mode():
    counts = {mode: RIGHT_ANSWERS.count(mode) for mode in fm.FAILURE_MODES}
    assert counts == dict.fromkeys(fm.FAILURE_MODES, 2)
    assert all(s.explanation and s.source for s in fm.SCENARIOS)


def test_check_scores_and_explains():
    exercise = fm.FailureModeExercise()
    full = exercise.check(RIGHT_ANSWERS)
    assert full.score == full.total == 8 and all(full.correct)
    assert str(full).startswith("Score: 8 of 8.")
    wrong = ["specification_gaming"] * 8
    feedback = exercise.check(wrong)
    assert feedback.score == 2
    assert feedback.lines[0].startswith("1. Not quite: Goal misgeneralization.")
    assert "Langosco" in feedback.lines[0]
    assert exercise.attempts[-1] == tuple(wrong)


def test_check_accepts_labels_numbers_blanks_and_dicts():
    exercise = fm.FailureModeExercise()
    numbers = [list(fm.FAILURE_MODES).index(a) + 1 for a in RIGHT_ANSWERS]
    assert exercise.check(numbers).score == 8
    labels = [fm.FAILURE_MODES[a].upper() for a in RIGHT_ANSWERS]
    assert exercise.check(labels).score == 8
    partial = exercise.check({1: "goal misgeneralization", 2: "Specification-gaming"})
    assert partial.correct[:2] == (True, True) and partial.correct[2:] == (None,) * 6
    assert partial.lines[2].startswith("3. No answer yet")
    assert exercise.check([None] * 8).score == 0


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["spec"] * 8, "each answer must be one of"),
        ([1] * 7, "answers must be a list of 8 answers"),
        ("12341234", "answers must be a list of 8 answers"),
        ({9: 1}, "answers keys must be scenario numbers 1-8, got 9"),
        ([5] * 8, "each answer must be one of"),
    ],
)
def test_check_rejects_bad_answers(answers, message):
    with pytest.raises(ValueError, match=message):
        fm.FailureModeExercise().check(answers)


def test_exercise_widget_is_keyboard_usable_and_marks_answers():
    import ipywidgets as w

    exercise = fm.FailureModeExercise()
    widget = exercise.widget
    assert isinstance(widget, w.VBox)
    assert len(exercise._dropdowns) == 8
    assert all(isinstance(d, w.Dropdown) for d in exercise._dropdowns)  # focusable, arrow keys
    for dropdown, answer in zip(exercise._dropdowns, RIGHT_ANSWERS, strict=True):
        dropdown.value = answer
    exercise._dropdowns[0].value = "deceptive_alignment"
    exercise._button.click()
    assert "Score: 7 of 8." in exercise._score.value
    assert "Not quite" in exercise._feedback[0].value and "Correct" in exercise._feedback[1].value
    assert 'role="status"' in exercise._feedback[0].value
    exercise._dropdowns[0].value = "goal_misgeneralization"
    assert exercise._feedback[0].value == ""  # feedback belongs to the checked answer


def test_exercise_text_fallback(capsys):
    exercise = fm.FailureModeExercise()
    text = exercise.text()
    assert text.count("\n1. ") == 1 and "8. Researchers train a model on purpose" in text
    assert "1. Specification gaming" in text and "exercise.check(" in text
    exercise.text_fallback()
    assert "Sort each scenario" in capsys.readouterr().out
    assert exercise._repr_mimebundle_()["text/plain"] == text


def test_exercise_rejects_bad_scenarios():
    with pytest.raises(ValueError, match="at least one"):
        fm.FailureModeExercise([])
    bad = fm.Scenario("text", "laziness", "why", "source")
    with pytest.raises(ValueError, match="scenario answers must be one of"):
        fm.FailureModeExercise([bad])
