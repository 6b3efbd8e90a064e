"""The quiz as the hub tests answer it: answers with chosen questions wrong, and the scores
those answers earn, read from the points of the source notebook's test cells."""

from __future__ import annotations

import re

import course as c
import nbformat


def answered(notebook: dict, wrong: set[int]) -> nbformat.NotebookNode:
    """The fetched quiz with every auto-graded question answered, wrongly for ``wrong``."""
    node = nbformat.from_dict(notebook)
    for question, key in c.answer_key().items():
        value = c.wrong_answer(key) if question in wrong else key.value
        c.set_cell(node, f"answer_q{question:02d}", c.answer_line(question, value))
    return node


def source_points() -> dict[str, float]:
    """``{grade_id: points}`` of every graded cell of the quiz's source notebook."""
    points = {}
    for cell in c.read(c.source_path(c.QUIZ)).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            points[meta["grade_id"]] = float(meta["points"])
    return points


def expected_score(wrong: set[int]) -> float:
    """Points of the test cells of the questions answered right, read from the source."""
    return sum(
        points
        for gid, points in source_points().items()
        if gid.startswith("test_q") and int(gid[len("test_q") :]) not in wrong
    )


def zero_scored_tests(feedback: str) -> set[int]:
    """Which test cells (numbered in page order, question 1 first) the page scores 0."""
    plain = re.sub(r"<[^>]+>", "", feedback)  # the page's text, as a browser shows it
    scores = re.findall(r"Test cell \(Score: ([\d.]+) / [\d.]+\)", plain)
    return {i + 1 for i, score in enumerate(scores) if float(score) == 0.0}
