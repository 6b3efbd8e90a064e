"""Coding exercises: the learner writes a piece of a toy, a checker says whether it is right.

Every lesson notebook (01-06) asks the learner to write small pieces of the machinery it
has just explained: the evolution-strategies update, a Bellman backup, the rate a
distribution-shift test reports, a reward that cannot be gamed, a step of selection, a
probe. Each piece is an :class:`~mesatoys.course.exercises.core.Exercise`:

- its notebook shows a stub with a docstring; the learner writes the body;
- ``exercises.<id>.check(my_function)`` runs it on many inputs, edge cases included, and
  compares each result with an independent reference solution; the first mismatch is
  explained in one sentence (which input, what was expected, what came back) with a hint;
- ``exercises.<id>.hint()`` gives the hints one at a time, ``exercises.<id>.solution()``
  shows the reference solution;
- ``exercises.<id>.use(my_function)`` hands the learner's function to the toy that
  follows, so their own code produces (or breaks) the effect. A stub that is not written
  yet hands over the reference instead, with a note, so the notebook still runs top to
  bottom.

Passing a check is saved in the learner's progress (:mod:`mesatoys.course.progress`): a
notebook is done when its exercises pass and its practice questions are answered.

This module only names the exercises (:data:`CATALOG`) and imports the standard library;
an exercise's own module, with its reference and its toy, loads the first time it is
asked for.

Example:
    >>> from mesatoys.course import exercises
    >>> [e.id for e in exercises.all()][:2]
    ['es_gradient', 'bellman_backup']
    >>> exercises.es_gradient.check(exercises.es_gradient.reference).passed
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mesatoys.course.exercises.core import Exercise

#: Every exercise: ``{id: (notebook, module)}``, in course order. The notebook is its file
#: name without ``.ipynb``; the module, in this package, defines the exercise.
CATALOG: dict[str, tuple[str, str]] = {
    "es_gradient": ("01_the_two_layer_problem", "two_layer"),
    "bellman_backup": ("01_the_two_layer_problem", "two_layer"),
    "cell_utility": ("02_mesa_optimization", "mesa"),
    "goal_rates": ("03_inner_alignment", "inner"),
    "simplicity_cost": ("03_inner_alignment", "inner"),
    "race_reward": ("04_outer_alignment", "outer"),
    "catch_rates": ("05_deceptive_alignment", "deceptive"),
    "selection_step": ("05_deceptive_alignment", "deceptive"),
    "probe_accuracy": ("06_defenses", "defenses"),
    "cheese_vector": ("06_defenses", "defenses"),
    "audit_mask": ("06_defenses", "defenses"),
}


def ids_for(notebook: str) -> tuple[str, ...]:
    """The ids of one notebook's exercises, in order (none for a notebook without any).

    Args:
        notebook: A notebook's file name without ``.ipynb``.
    """
    return tuple(i for i, (nb, _) in CATALOG.items() if nb == notebook)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id.

    Raises:
        ValueError: If no exercise has that id.
    """
    if not isinstance(exercise_id, str) or exercise_id not in CATALOG:
        raise ValueError(f"exercise_id must be one of {list(CATALOG)}, got {exercise_id!r}")
    _, module = CATALOG[exercise_id]
    return importlib.import_module(f"{__name__}.{module}").EXERCISES[exercise_id]


def all() -> list[Exercise]:  # noqa: A001 (the name the notebooks and tests use)
    """Every exercise, in course order."""
    return [get(i) for i in CATALOG]


def __getattr__(name: str) -> Exercise:
    """``exercises.<id>``: the exercise with that id."""
    if name in CATALOG:
        return get(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *CATALOG])
