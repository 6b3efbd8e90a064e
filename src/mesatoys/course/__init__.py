"""Learner features of the course, beside the toys: practice questions, quizzes, progress.

- :mod:`mesatoys.course.bank`: the question-bank format (JSON files shipped in
  ``mesatoys/course/banks/``), its validating loader, and how an answer is checked.
- :mod:`mesatoys.course.practice`: the practice-question widget (single choice and
  "select all that apply"), with a plain-text fallback, and a practice quiz with a
  running score.
- :mod:`mesatoys.course.progress`: the learner's progress (notebooks read to the end, practice
  answers, the practice quiz's score), saved in ``$MESATOYS_HOME`` or ``~/.mesatoys``, and
  the start page's progress widget. Practice questions record their answers there.
- :mod:`mesatoys.course.tutor`: "ask anything about this lesson": short answers quoted from
  the notebooks' own text (BM25 retrieval with ``rank-bm25``), and an honest "not covered".

This package imports nothing from :mod:`mesatoys.experiments` and never loads
matplotlib; ipywidgets loads only when a widget is first shown.
"""
