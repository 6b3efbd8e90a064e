"""The API that hidden tests use: ask the student's kernel for plain data, judge it here.

Inside ``### BEGIN HIDDEN TESTS`` an instructor writes, for example::

    from mesatoys.grading import hidden

    hidden.expect_choice(3, hidden.value("q3"), "A")
    result = hidden.call("my_function", [1, 2, 3], scale=2.0)
    hidden.expect("exercise 9", result == expected)

When a submission is autograded, nbgrader's executor (:mod:`mesatoys.grading.execute`)
runs this code in the grader's own process, never in the student's kernel: the kernel
never sees the hidden code or the key, and its history (``In``) holds none of it. Every
:func:`value`, :func:`call`, :func:`evaluate` and :func:`raises` sends one expression to
the sandboxed kernel and gets back plain data only (:mod:`mesatoys.grading.plain`): the
key is compared with JSON-decoded ``str``/``int``/``float``/``bool``/``None``/lists/dicts,
never with an object of the student's.

What the kernel does see: the names a hidden test reads and the arguments it passes to a
student's function (the function runs there, so it receives them). Put no expected value
in an argument or an expression.

Outside autograding (an instructor running the source notebook, ``nbgrader validate``) the
same calls evaluate in the notebook's own namespace, with the same conversion to plain
data, so the source notebook runs top to bottom as before.

:func:`reference` runs instructor code in a clean Python process (isolated mode, no
inherited environment): an independent reference for the student's results.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import keyword
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Protocol

from mesatoys.grading import (
    HiddenCheckError,
    expect,
    expect_choice,
    expect_choices,
    expect_number,
)
from mesatoys.grading.plain import Plain, PlainDataError, check, decode

_PLAIN = "__import__('mesatoys.grading.plain', fromlist=['plain'])"


class ProbeError(Exception):
    """The kernel did not give a hidden test the plain data it asked for.

    Attributes:
        reason: What went wrong, in words that name no key (shown in feedback).
        kernel_lost: True when the kernel stopped answering (it is then shut down).
    """

    def __init__(self, reason: str, kernel_lost: bool = False):
        super().__init__(reason)
        self.reason, self.kernel_lost = reason, kernel_lost


class Submission(Protocol):
    """Where hidden tests send their expressions (the sandboxed kernel when grading)."""

    def evaluate(self, expression: str) -> Plain:
        """Evaluate a kernel expression that returns ``plain.JSONText``; decode the text."""


class Code:
    """A Python expression evaluated in the student's kernel, for a non-plain argument.

    For example ``Code("np.array([0.0, 1.0])")``. It must not contain a key.
    """

    def __init__(self, expression: str):
        if not isinstance(expression, str) or not expression.strip() or "\n" in expression:
            raise ValueError(f"expression must be one line of Python, got {expression!r}")
        self.expression = expression

    def __repr__(self) -> str:
        return self.expression


class LocalSubmission:
    """Evaluates in this process's ``__main__`` (the instructor's own notebook)."""

    def evaluate(self, expression: str) -> Plain:
        """Evaluate ``expression`` in ``__main__`` and decode its JSON text."""
        namespace = sys.modules["__main__"].__dict__
        try:
            text = eval(expression, namespace)  # noqa: S307 (the instructor's own notebook)
        except Exception as error:  # reported as the student's error, as when grading
            raise ProbeError(f"it raised {type(error).__name__}") from error
        return decode(getattr(text, "text", None))


_current: contextvars.ContextVar[Submission | None] = contextvars.ContextVar(
    "mesatoys_hidden_submission", default=None
)


@contextlib.contextmanager
def bound(submission: Submission) -> Iterator[None]:
    """Send every hidden-test request to ``submission`` inside the ``with`` block."""
    token = _current.set(submission)
    try:
        yield
    finally:
        _current.reset(token)


def _submission() -> Submission:
    return _current.get() or LocalSubmission()


def value(name: str) -> Plain:
    """The student's variable ``name`` (dotted names allowed), as plain data.

    Raises:
        ProbeError: If it is not defined or has no plain form.
    """
    return _ask(f"{_PLAIN}.encode(({_dotted(name, 'name')}\n))")


def call(function: str, *args: object, **kwargs: object) -> Plain:
    """What the student's ``function`` returns for the given arguments, as plain data.

    Args:
        function: Name of the function in the student's notebook (dotted allowed).
        *args: Plain data, or :class:`Code` for arguments built in the kernel.
        **kwargs: Likewise, by keyword.

    Raises:
        ProbeError: If the call raises or returns something with no plain form.
    """
    return _ask(f"{_PLAIN}.encode(({_call_source(function, args, kwargs)}\n))")


def raises(exception: str, function: str, *args: object, **kwargs: object) -> bool:
    """Whether the student's ``function`` raises the built-in ``exception`` for these arguments."""
    thunk = f"lambda: {_call_source(function, args, kwargs)}"
    return _ask(f"{_PLAIN}.raises({thunk}, {exception!r})") is True


def evaluate(expression: str) -> Plain:
    """Any one-line Python expression, evaluated in the student's namespace, as plain data."""
    return _ask(f"{_PLAIN}.encode(({Code(expression).expression}\n))")


def _ask(expression: str) -> Plain:
    try:
        return _submission().evaluate(expression)
    except PlainDataError as error:
        raise ProbeError(f"the result is not plain data ({error})") from None


def _dotted(name: object, what: str) -> str:
    parts = name.split(".") if isinstance(name, str) else [None]
    if not all(isinstance(p, str) and p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise ValueError(f"{what} must be a Python name like 'q5' or 'agent.weights', got {name!r}")
    return name


def _argument(value: object) -> str:
    if isinstance(value, Code):
        return value.expression
    check(value)
    return repr(value)


def _call_source(function: str, args: tuple, kwargs: dict) -> str:
    parts = [_argument(a) for a in args]
    parts += [f"{_dotted(k, 'keyword')}={_argument(v)}" for k, v in kwargs.items()]
    return f"{_dotted(function, 'function')}({', '.join(parts)})"


# --- references -----------------------------------------------------------------------------


def reference(code: str, timeout: float = 300.0) -> Plain:
    """Run reference code in a clean Python process; return the JSON it prints last.

    The process is this interpreter in isolated mode (``-I``: no ``PYTHONPATH``, no user
    site, no working folder on the path), with an environment of its own and an empty
    working folder: nothing a submission did or set can reach it. Results are cached per
    code within one grader process.

    Args:
        code: Python source that prints one JSON document as its last line of output.
        timeout: Seconds before the run is abandoned.

    Raises:
        RuntimeError: If the run fails (an instructor's error, not the student's).
    """
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"code must be Python source, got {code!r}")
    return json.loads(_reference_text(code, float(timeout)))


@functools.lru_cache(maxsize=64)
def _reference_text(code: str, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="mesatoys-reference-") as folder:
        env = {
            "PATH": os.defpath,
            "HOME": folder,
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
        proc = subprocess.run(
            [sys.executable, "-I", "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=folder,
            env=env,
        )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"reference run failed with exit code {proc.returncode}: {tail}")
    return lines[-1]


__all__ = [
    "Code",
    "HiddenCheckError",
    "LocalSubmission",
    "ProbeError",
    "Submission",
    "bound",
    "call",
    "evaluate",
    "expect",
    "expect_choice",
    "expect_choices",
    "expect_number",
    "raises",
    "reference",
    "value",
]
