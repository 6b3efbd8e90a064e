"""The numeric answer key in the quiz's hidden tests equals what the toys produce.

The expected values are read from the source notebook at test time and the toys are run
with the code each question gives students, so the key cannot drift from the toys.
"""

from __future__ import annotations

import re

import course as c
import pytest

from mesatoys.grading import QUIZ_FORMATS


def _numeric_keys():
    return [k for k in c.answer_key().values() if k.kind == "expect_number"]


def test_the_quiz_has_numeric_questions():
    assert 2 <= len(_numeric_keys()) <= 3


@pytest.mark.parametrize("key", _numeric_keys(), ids=lambda k: f"q{k.question}")
def test_numeric_key_matches_the_toy(key):
    value = float(c.run_question_code(c.question_code(key.question)))
    decimals = QUIZ_FORMATS[c.QUIZ][key.question].decimals
    assert key.value == round(value, decimals)
    assert abs(key.value - value) <= key.tolerance  # the exact value itself is accepted


def test_every_auto_graded_question_has_a_key_and_a_format():
    keys = c.answer_key()
    assert set(keys) == set(QUIZ_FORMATS[c.QUIZ])
    for q, key in keys.items():
        assert QUIZ_FORMATS[c.QUIZ][q].problem(key.value) is None, q


def test_choice_answers_are_spread_over_the_letters():
    letters = [k.value for k in c.answer_key().values() if k.kind == "expect_choice"]
    assert len(set(letters)) >= 3


def test_external_resources_finds_what_a_browser_would_fetch():
    page = (
        '<script src="https://cdn.example/x.js"></script><script>var a = 1;</script>'
        '<link rel="stylesheet" href="//cdn.example/s.css"><a href="https://example.org">doi</a>'
        '<img src="data:image/png;base64,AAA"><style>@import url("http://f.example/f.css");'
        "body { background: url(https://bg.example/b.png) }</style>"
        "<iframe src='https://frame.example/'></iframe><img srcset=\"//img.example/a.png 2x\">"
        '<img src="local.png"><link href="style.css" rel="stylesheet">'
    )
    found = c.external_resources(page)
    hosts = sorted(re.search(r"//([^/]+)", f).group(1) for f in found)
    assert hosts == [
        "bg.example",
        "cdn.example",
        "cdn.example",
        "f.example",
        "frame.example",
        "img.example",
    ]
