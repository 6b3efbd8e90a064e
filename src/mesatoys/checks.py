"""Argument checks shared by the toys.

Each error names the argument, the value it got and what is allowed.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def check_count(name: str, value: object, low: int = 1) -> int:
    """Validate an integer of at least ``low``.

    Raises:
        ValueError: Otherwise.
    """
    if not _is_int(value) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_seed(seed: object) -> int:
    """Validate a seed: a non-negative integer.

    Raises:
        ValueError: Otherwise.
    """
    if not _is_int(seed) or seed < 0:
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
