"""The boundary between a student's kernel and the grader, piece by piece (no kernel):
plain data, the hidden-test API, references, the sandbox's command line, the executor's
refusal to grade without a sandbox."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from mesatoys.grading import hidden, plain
from mesatoys.grading.execute import ExecuteToTheEnd, split_hidden
from mesatoys.grading.plain import Limits, PlainDataError, decode, encode, to_plain
from mesatoys.grading.sandbox import Limits as SandboxLimits
from mesatoys.grading.sandbox import Sandbox, SandboxError, availability, python_paths

# --- plain data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"C", "A"}, ["A", "C"]),
        (frozenset({"b"}), ["b"]),
        ((1, 2), [1, 2]),
        (np.float64(0.25), 0.25),
        (np.array([[1, 2]]), [[1, 2]]),
        (np.int64(3), 3),
        ({"a": (None, True)}, {"a": [None, True]}),
    ],
)
def test_the_kernel_side_turns_answers_into_plain_data(value, expected):
    assert decode(encode(value).text) == expected
    assert type(decode(encode(value).text)) is type(expected)


@pytest.mark.parametrize("value", [object(), {1: "a"}, float("nan"), lambda: 1, b"bytes"])
def test_values_without_a_plain_form_are_refused_in_the_kernel(value):
    with pytest.raises(PlainDataError):
        to_plain(value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("NaN", "not plain JSON"),
        ('{"a": 1, "a": 2}', "not plain JSON"),
        ("[" * 50 + "]" * 50, "deeper"),
        ("[" * 100_000, "not plain JSON"),
        ("1" * 5000, "not plain JSON"),  # Python refuses to parse such an int
        ('"' + "x" * 2_000_000 + '"', "characters"),
        ("{'a': 1}", "not plain JSON"),
        ("[1, 2", "not plain JSON"),
    ],
)
def test_the_grader_accepts_only_plain_json_within_limits(text, words):
    with pytest.raises(PlainDataError, match=words):
        decode(text)


def test_decode_refuses_anything_but_text_and_counts_items():
    with pytest.raises(PlainDataError, match="must be a str"):
        decode(b"[1]")
    with pytest.raises(PlainDataError, match="items"):
        decode(json.dumps(list(range(50))), Limits(max_items=10))
    with pytest.raises(ValueError, match="max_depth must be an integer >= 1"):
        Limits(max_depth=0)


def test_the_kernel_side_exception_check_names_only_builtins():
    def refuse():
        raise ValueError("no")

    assert decode(plain.raises(refuse, "ValueError").text) is True
    assert decode(plain.raises(lambda: 1, "ValueError").text) is False
    assert decode(plain.raises(lambda: 1 / 0, "ValueError").text) is False
    with pytest.raises(PlainDataError, match="built-in exception"):
        plain.raises(refuse, "os.system")


# --- the hidden-test API outside grading ----------------------------------------------------


def test_hidden_tests_run_in_the_instructors_own_namespace(monkeypatch):
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "q5", {"E", "A"}, raising=False)
    monkeypatch.setattr(main, "double", lambda x, scale=2: [v * scale for v in x], raising=False)
    monkeypatch.setattr(main, "np", np, raising=False)
    assert hidden.value("q5") == ["A", "E"]
    assert hidden.call("double", [1, 2], scale=3) == [3, 6]
    assert hidden.call("double", hidden.Code("np.arange(2)")) == [0, 2]
    assert hidden.raises("TypeError", "double", 5) is True
    with pytest.raises(hidden.ProbeError, match="NameError"):
        hidden.value("q99")


@pytest.mark.parametrize(
    "call",
    [
        lambda: hidden.value("q1; import os"),
        lambda: hidden.value("__import__('os')"),
        lambda: hidden.call("f", object()),
        lambda: hidden.call("f", float("inf")),
        lambda: hidden.call("f", **{"x=1, y": 2}),
        lambda: hidden.Code("a\nb"),
    ],
)
def test_requests_are_built_from_names_and_plain_data_only(call):
    with pytest.raises((ValueError, PlainDataError)):
        call()


class _Recorder:
    def __init__(self, reply):
        self.reply, self.sent = reply, []

    def evaluate(self, expression):
        self.sent.append(expression)
        return self.reply


def test_when_bound_every_request_goes_to_the_submission_and_nothing_else():
    recorder = _Recorder(["A", "C"])
    with hidden.bound(recorder):
        hidden.expect_choices(5, hidden.value("q5"), {"A", "C"})
        hidden.call("f", {"top_right": 1.0}, n=3)
    assert len(recorder.sent) == 2
    assert "q5" in recorder.sent[0] and "{'top_right': 1.0}" in recorder.sent[1]
    assert all("A" not in s.split("encode")[1] for s in recorder.sent[:1])  # no key sent


def test_references_run_in_a_clean_isolated_process(tmp_path, monkeypatch):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sitecustomize.py").write_text("print('[0.0]')\nraise SystemExit(0)\n")
    (fake / "json.py").write_text("raise SystemExit('shadowed')\n")
    monkeypatch.setenv("PYTHONPATH", str(fake))
    monkeypatch.chdir(fake)
    code = (
        "import json, os, sys\n"
        "print(json.dumps([os.getcwd() != sys.argv[0], 'PYTHONPATH' in os.environ]))"
    )
    assert hidden.reference(code) == [True, False]


def test_a_failing_reference_is_the_instructors_error():
    with pytest.raises(RuntimeError, match="exit code 1"):
        hidden.reference("raise SystemExit(1)")


# --- splitting a test cell ------------------------------------------------------------------


def test_split_hidden_keeps_line_numbers_and_leaves_nothing_hidden_visible():
    source = "assert_format(1, q1)\n### BEGIN HIDDEN TESTS\nsecret = 1\n### END HIDDEN TESTS\nx = 2"
    visible, secret = split_hidden(source)
    assert "secret" not in visible and "HIDDEN" not in visible and "x = 2" in visible
    assert secret.split("\n")[2] == "secret = 1" and "assert_format" not in secret
    assert split_hidden("print(1)") == ("print(1)", None)


# --- the sandbox's command line -------------------------------------------------------------


def test_the_sandbox_refuses_to_expose_the_course_root():
    inside = python_paths()[0]
    with pytest.raises(SandboxError, match="would expose"):
        Sandbox(hidden=(inside + "/course",)).command(["true"], inside, inside, None)


def test_the_command_binds_the_environment_read_only_and_limits_the_kernel(tmp_path):
    argv = Sandbox().command(["python3", "-c", "1"], tmp_path / "run", tmp_path / "sub", 61001)
    text = " ".join(argv)
    assert argv[0].endswith("bwrap") and "--unshare-net" in argv and "--unshare-pid" in argv
    for path in python_paths():
        assert f"--ro-bind {path} {path}" in text
    assert "--reuid=61001" in text and "--no-new-privs" in argv
    assert "--nproc=64" in text and f"--as={2048 * 1024 * 1024}" in text
    assert "--clearenv" in argv and argv[-3:] == ["python3", "-c", "1"]


def test_an_environment_under_tmp_is_bound_over_the_sandboxs_own_tmp(tmp_path, monkeypatch):
    import mesatoys.grading.sandbox as sandbox

    env = "/tmp/checkout/.venv"  # a clone under /tmp, as a CI runner may make
    monkeypatch.setattr(sandbox, "python_paths", lambda: [env])
    argv = Sandbox().command(["true"], tmp_path / "run", tmp_path / "sub", None)
    tmpfs = next(i for i in range(len(argv) - 1) if argv[i : i + 2] == ["--tmpfs", "/tmp"])
    bind = next(i for i in range(len(argv) - 2) if argv[i : i + 3] == ["--ro-bind", env, env])
    assert tmpfs < bind  # a later mount hides an earlier one: /tmp must come first


@pytest.mark.parametrize("field", ["memory_bytes", "processes", "tmp_bytes"])
def test_limits_must_be_positive_integers(field):
    with pytest.raises(ValueError, match=f"{field} must be an integer >= 1"):
        SandboxLimits(**{field: 0})


def test_without_bubblewrap_the_grader_refuses_to_run_student_code(monkeypatch):
    assert "not installed" in availability(bwrap="/nonexistent/bwrap")
    import mesatoys.grading.execute as execute

    monkeypatch.setattr(execute, "availability", lambda: "not installed: bwrap")
    import nbformat

    with pytest.raises(SandboxError, match="refusing to run student code without a sandbox"):
        ExecuteToTheEnd().preprocess(nbformat.v4.new_notebook(), {})


def test_no_sandbox_must_be_asked_for_by_name():
    assert ExecuteToTheEnd().sandbox == "bubblewrap"
    assert ExecuteToTheEnd(sandbox="none").sandbox == "none"
    with pytest.raises(Exception, match="sandbox"):
        ExecuteToTheEnd(sandbox="off")
