"""What the practice-quiz notebook says about the toys in words, checked against the notebooks
that show them.

Notebook 07 runs no toy; its "Keep going" section recalls results of notebooks 05 and 06. Those
results are checked on seeds the notebooks do not use in ``test_notebook_05_claims.py``,
``test_deception.py``, ``test_absent_supervisor.py`` and ``test_reasoning_gap.py``; the quiz's
own numbers in ``tests/course/test_quiz_facts.py``. Here: 07 recalls them as 05 and 06 state them.
"""

from notebook_text import notebook_text


def _text(stem: str) -> str:
    return " ".join(notebook_text(stem).split())


def test_selection_is_recalled_as_notebook_05_shows_it():
    quiz, selection = _text("07_end_of_lesson_quiz"), _text("05_deceptive_alignment")
    # Notebook 05: "Training does not favour the deceptive agents over the aligned ones"; their
    # share rises because training removes the agents that misbehave openly.
    assert "Training does not favour the deceptive agents over the aligned ones" in selection
    assert "favoured the deceptive agents" not in quiz
    assert (
        "selection on watched behaviour in notebook 05, section 3, removed the agents that "
        "misbehaved openly and left the deceptive ones, which then made up most of the population"
    ) in quiz
    assert "a short training kept mostly deceptive agents" in quiz
    assert (
        "longer training removed them through their rare slips, unless they never slipped" in quiz
    )
    assert "Long enough training removes deception, slowly" in selection
    assert "Deception that never slips survives any amount of training" in selection


def test_the_other_toys_are_recalled_as_their_notebooks_show_them():
    quiz = _text("07_end_of_lesson_quiz")
    assert "its control showed that it needs the agent to tell the two apart" in quiz
    assert "behaving well only when watched needs it" in _text("05_deceptive_alignment")
    assert "taught the toy agent to state one plan and follow another" in quiz
    assert 'now the plans say "safe" and the action is the shortcut' in _text("06_defenses")
