"""Argument checks shared by the toys.

Each error names the argument, the value it got and what is allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np


def is_integer(value: object) -> bool:
    """Whether ``value`` is a Python or numpy integer; a bool is not.

    ``True`` is an int to Python, but an argument given as ``True`` is a mistake, not
    the number 1.
    """
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def check_count(
    name: str, value: object, low: int = 1, high: int | None = None, *, optional: bool = False
) -> int | None:
    """Validate an integer of at least ``low`` (and at most ``high``, if given).

    A bool is not an integer here; numpy integers are.

    Args:
        name: The argument's name, for the message.
        value: What was passed.
        low: Smallest allowed value.
        high: Largest allowed value (None: no cap). Give a cap to any count that sizes
            an array, so a typo meets a clear message instead of a ``MemoryError``.
        optional: Also accept None (returned as None).

    Returns:
        ``value`` as a plain int (or None).

    Raises:
        ValueError: Otherwise; the message names the allowed range.
    """
    if optional and value is None:
        return None
    if not is_integer(value) or value < low or (high is not None and value > high):
        allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        none = "None or " if optional else ""
        raise ValueError(f"{name} must be {none}{allowed}, got {value!r}")
    return int(value)


def check_seed(seed: object) -> int:
    """Validate a seed: a non-negative integer.

    Raises:
        ValueError: Otherwise.
    """
    if not is_integer(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_fraction(name: str, value: object) -> float:
    """Validate a probability-like argument: a number in [0, 1].

    Raises:
        ValueError: Otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def check_choice(name: str, value: object, allowed: Collection[str]) -> str:
    """Validate a name that must be one of a fixed set of strings.

    Raises:
        ValueError: Unless ``value`` is one of ``allowed``.
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


def check_number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Validate a finite real number, optionally within bounds.

    Args:
        name: The argument's name, for the message.
        value: What was passed.
        low: Smallest allowed value (None: no lower bound).
        high: Largest allowed value (None: no upper bound).
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.

    Returns:
        ``value`` as a float.

    Raises:
        ValueError: If ``value`` is not a real number (a bool or a string is not), is NaN
            or infinite, or is out of bounds; the message names the allowed range.
    """
    allowed = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number{allowed}, got {value!r}")
    number = float(value)
    too_low = low is not None and (number < low or (low_open and number == low))
    too_high = high is not None and (number > high or (high_open and number == high))
    if not np.isfinite(number) or too_low or too_high:
        raise ValueError(f"{name} must be a finite number{allowed}, got {value!r}")
    return number


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_config(config: object, config_class: type, module: str) -> object:
    """The config a ``run`` was given, or the default one.

    Args:
        config: What ``run`` received (None means the defaults).
        config_class: The module's ``Config`` class.
        module: The module's short name, for the message (e.g. ``"probing"``).

    Returns:
        ``config``, or ``config_class()`` for None.

    Raises:
        TypeError: If ``config`` is anything but None or a ``config_class``.
    """
    if config is None:
        return config_class()
    if not isinstance(config, config_class):
        raise TypeError(
            f"config must be a {module}.Config (or None for the defaults), "
            f"got {type(config).__name__}: {config!r}"
        )
    return config


def check_instance(name: str, value: object, expected: type | tuple[type, ...]) -> object:
    """Validate that ``value`` is an instance of ``expected``.

    Raises:
        TypeError: Otherwise, naming the argument and the expected type.
    """
    if not isinstance(value, expected):
        names = (
            " or ".join(t.__name__ for t in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        article = "an" if names[:1] in ("A", "E", "I", "O", "U", "a", "e", "i", "o", "u") else "a"
        raise TypeError(f"{name} must be {article} {names}, got {type(value).__name__}: {value!r}")
    return value


def check_action(action: object, n_actions: int) -> int:
    """Validate a discrete action: an integer in ``[0, n_actions)``.

    Python and numpy integers (and 0-d integer arrays, as ``Discrete.sample`` may give)
    are accepted; a bool, a float or a string is not, even when it would index.

    Returns:
        ``action`` as a plain int.

    Raises:
        ValueError: Otherwise, naming the allowed range.
    """
    value = action
    if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
        value = action[()]
    if not is_integer(value) or not 0 <= value < n_actions:
        raise ValueError(f"action must be an integer in [0, {n_actions - 1}], got {action!r}")
    return int(value)


def check_options(options: object, allowed: Collection[str]) -> dict[str, Any]:
    """Validate the ``options`` of a Gymnasium ``reset``: None or a dict of known keys.

    Returns:
        A copy of ``options`` as a dict (empty for None).

    Raises:
        TypeError: If ``options`` is not a mapping.
        ValueError: If it has a key outside ``allowed`` (a typo would otherwise be
            silently ignored); the message lists the allowed keys.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(
            f"options must be a dict or None, got {type(options).__name__}: {options!r}"
        )
    unknown = [key for key in options if key not in allowed]
    if unknown:
        raise ValueError(f"options has unknown keys {unknown}; allowed: {list(allowed)}")
    return dict(options)


def check_render_mode(render_mode: object, allowed: Collection[str]) -> str | None:
    """Validate a Gymnasium ``render_mode``: None or one of ``allowed``.

    Raises:
        ValueError: Otherwise.
    """
    if render_mode is not None and (not isinstance(render_mode, str) or render_mode not in allowed):
        raise ValueError(f"render_mode must be one of {list(allowed)} or None, got {render_mode!r}")
    return render_mode
