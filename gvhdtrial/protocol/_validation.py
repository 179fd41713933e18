"""Checks shared by the protocol rules: one clear ``ValueError`` naming the field and the value."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def require_finite_number(field: str, value: float, expected: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number."""
    # numbers.Real also admits numpy scalars, as they arrive from pandas rows.
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ValueError(f"{field}: {value!r} is not a number; expected {expected}")
    if not math.isfinite(value):
        raise ValueError(f"{field}: {value!r} is not finite; expected {expected}")
    return float(value)


def require_non_negative(field: str, value: float, expected: str) -> float:
    """Return ``value`` as a float, or raise if it is negative or not finite."""
    number = require_finite_number(field, value, expected)
    if number < 0:
        raise ValueError(f"{field}: {value!r} is negative; expected {expected}")
    return number


def require_positive(field: str, value: float, expected: str) -> float:
    """Return ``value`` as a float, or raise if it is zero, negative or not finite."""
    number = require_finite_number(field, value, expected)
    if number <= 0:
        raise ValueError(f"{field}: {value!r} is not positive; expected {expected}")
    return number


def require_percent(field: str, value: float) -> float:
    """Return a percentage of body surface area, or raise if it is outside 0-100."""
    expected = "a percentage of body surface area between 0 and 100"
    number = require_non_negative(field, value, expected)
    if number > 100:
        raise ValueError(f"{field}: {value!r} is over 100; expected {expected}")
    return number


def require_bool(field: str, value: object) -> bool:
    """Return ``value`` as a bool (Python or numpy); raise otherwise (0/1 or "yes" are refused)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{field}: {value!r} is not a bool; expected True or False")
    return bool(value)


def require_int(field: str, value: object, expected: str) -> int:
    """Return ``value`` as an int (Python or numpy integer, not bool); raise otherwise."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
        raise ValueError(f"{field}: {value!r} is not an int; expected {expected}")
    return int(value)


def require_choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``; raise otherwise."""
    if value not in choices:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(map(repr, choices))}")
    return value
