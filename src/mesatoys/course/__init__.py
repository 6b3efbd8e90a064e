"""Learner features of the course, beside the toys: practice questions and quizzes.

- :mod:`mesatoys.course.bank`: the question-bank format (JSON files shipped in
  ``mesatoys/course/banks/``), its validating loader, and how an answer is checked.
- :mod:`mesatoys.course.practice`: the practice-question widget (single choice and
  "select all that apply"), with a plain-text fallback, and a practice quiz with a
  running score.

This package imports nothing from :mod:`mesatoys.experiments` and never loads
matplotlib; ipywidgets loads only when a widget is first shown.
"""
