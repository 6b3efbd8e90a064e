"""Plain data: the only thing that crosses from a student's kernel to the grader.

A hidden test asks the sandboxed kernel for a value (an answer, or what a student's function
returned). The kernel turns it into JSON text with :func:`encode`; the grader turns that
text back into data with :func:`decode`, which accepts only plain data: ``str``, ``int``,
``float``, ``bool``, ``None``, and lists and string-keyed dicts of those, within
:class:`Limits`. Nothing is unpickled or evaluated, and no object of the student's reaches
the grader, so no ``__eq__``, ``__float__`` or ``__iter__`` of theirs ever runs there.

:func:`encode` runs in the student's kernel, where the student can replace it; that is
fine, because :func:`decode` trusts nothing about the text it gets. Sets and tuples become
lists, numpy scalars and arrays their Python equivalents.

This module imports only the standard library: the kernel imports it for every value a
hidden test reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

Plain = str | int | float | bool | None | list["Plain"] | dict[str, "Plain"]
"""JSON-shaped data, as :func:`decode` returns it."""


class PlainDataError(ValueError):
    """A value is not plain data, or exceeds the limits."""


@dataclass(frozen=True)
class Limits:
    """How much plain data one answer may hold.

    Attributes:
        max_text: Characters of JSON text accepted before decoding.
        max_depth: Nesting of lists and dicts.
        max_items: Scalars, lists and dicts in total.
    """

    max_text: int = 1_000_000
    max_depth: int = 20
    max_items: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_text", "max_depth", "max_items"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


class JSONText:
    """JSON text whose ``repr`` is the text itself, so IPython sends it unquoted."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


# --- the kernel's side ----------------------------------------------------------------------


def to_plain(value: object, depth: int = 0) -> Plain:
    """Convert ``value`` to plain data (sets and tuples to lists, numpy to Python).

    Raises:
        PlainDataError: On a value with no plain form (a function, a custom object).
    """
    if depth > Limits.max_depth:
        raise PlainDataError(f"nested deeper than {Limits.max_depth} levels")
    if value is None or isinstance(value, (bool, int, float, str)):
        return _scalar(value)
    if type(value).__module__ == "numpy" and callable(getattr(value, "tolist", None)):
        return to_plain(value.tolist(), depth)
    if isinstance(value, (list, tuple)):
        return [to_plain(x, depth + 1) for x in value]
    if isinstance(value, (set, frozenset)):
        items = [to_plain(x, depth + 1) for x in value]
        return sorted(items, key=repr)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise PlainDataError("dict keys must be strings")
        return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
    raise PlainDataError(f"a {type(value).__name__} has no plain form")


def encode(value: object) -> JSONText:
    """``value`` as JSON text (the kernel's reply to a hidden test).

    Raises:
        PlainDataError: On a value with no plain form.
    """
    return JSONText(json.dumps(to_plain(value), allow_nan=False))


def raises(thunk: Callable[[], object], exception: str) -> JSONText:
    """Whether calling ``thunk`` raises the built-in exception named ``exception``."""
    import builtins

    expected = getattr(builtins, exception, None)
    if not (isinstance(expected, type) and issubclass(expected, BaseException)):
        raise PlainDataError(f"exception must name a built-in exception, got {exception!r}")
    try:
        thunk()
    except expected:
        return encode(True)
    except Exception:  # any other exception is a wrong answer, not a grader error
        return encode(False)
    return encode(False)


def _scalar(value: object) -> Plain:
    if isinstance(value, bool) or value is None:
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlainDataError(f"numbers must be finite, got {value!r}")
        return float(value)
    return str(value)


# --- the grader's side ----------------------------------------------------------------------


def decode(text: object, limits: Limits | None = None) -> Plain:
    """Decode JSON text from a kernel into plain data, checking every part of it.

    Args:
        text: What the kernel sent; anything but a ``str`` is refused.
        limits: Size limits (default :class:`Limits`).

    Returns:
        The plain data.

    Raises:
        PlainDataError: If the text is not JSON, holds anything but plain data (NaN,
            duplicate keys) or exceeds the limits.
    """
    limits = limits or Limits()
    if type(text) is not str:
        raise PlainDataError(f"text must be a str, got a {type(text).__name__}")
    if len(text) > limits.max_text:
        raise PlainDataError(f"text has {len(text)} characters, more than {limits.max_text}")
    try:
        data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique)
    except (ValueError, RecursionError) as error:
        raise PlainDataError(f"not plain JSON: {type(error).__name__}") from None
    check(data, limits)
    return data


def check(data: object, limits: Limits | None = None) -> None:
    """Raise :class:`PlainDataError` unless ``data`` is plain data within ``limits``."""
    limits = limits or Limits()
    stack, items = [(data, 0)], 0
    while stack:
        value, depth = stack.pop()
        items += 1
        if items > limits.max_items:
            raise PlainDataError(f"more than {limits.max_items} items")
        if depth > limits.max_depth:
            raise PlainDataError(f"nested deeper than {limits.max_depth} levels")
        kind = type(value)
        if kind is float and not math.isfinite(value):
            raise PlainDataError(f"numbers must be finite, got {value!r}")
        if kind is list:
            stack.extend((x, depth + 1) for x in value)
        elif kind is dict:
            if any(type(k) is not str for k in value):
                raise PlainDataError("dict keys must be strings")
            stack.extend((x, depth + 1) for x in value.values())
        elif value is not None and kind not in (str, int, float, bool):
            raise PlainDataError(f"a {kind.__name__} is not plain data")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate keys")
    return dict(pairs)


__all__ = [
    "JSONText",
    "Limits",
    "Plain",
    "PlainDataError",
    "check",
    "decode",
    "encode",
    "raises",
    "to_plain",
]
