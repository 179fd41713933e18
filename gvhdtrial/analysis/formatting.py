"""How the paper prints numbers: "n (%)", "median (range)", p-values; half-up rounding.

The paper rounds halves up (2/32 = 6.25 % is printed 6.3, 19/40 = 47.5 % is printed 48), which
Python's ``round`` (half to even, on binary floats) does not do; :func:`round_half_up` works in
exact decimals.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

EN_DASH = "\u2013"


def round_half_up(value: float | Fraction, decimals: int) -> Decimal:
    """``value`` rounded half up to ``decimals`` places (exact for fractions such as n/N)."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(float(value)))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def percent(n: int, total: int, decimals: int) -> str:
    """100 n / total rounded half up, as text; "-" when there is nobody to count (total 0)."""
    if total <= 0:
        return "-"
    return str(round_half_up(Fraction(100 * n, total), decimals))


def n_percent(n: int, total: int, decimals: int = 1) -> str:
    """ "n (%)" as the paper prints it: "0 (0)" for none, else the percent to ``decimals``."""
    if total <= 0:
        return f"{n} (-)"
    if n == 0:
        return "0 (0)"
    return f"{n} ({percent(n, total, decimals)})"


def number(value: float, decimals: int | None) -> str:
    """A number to ``decimals`` places; ``None``: whole numbers bare, others to 1 place."""
    if math.isnan(value):
        return "NA"
    if decimals is None:
        if float(value).is_integer():
            return str(int(value))
        decimals = 1
    return str(round_half_up(value, decimals))


def median_range(values: list[float], decimals: int | None = None) -> str:
    """ "median (min–max)" with the paper's en dash."""
    clean = sorted(v for v in values if not math.isnan(v))
    if not clean:
        return "NA"
    k = len(clean)
    med = clean[k // 2] if k % 2 else (clean[k // 2 - 1] + clean[k // 2]) / 2
    return (
        f"{number(med, decimals)} ({number(clean[0], decimals)}{EN_DASH}"
        f"{number(clean[-1], decimals)})"
    )


def p_value(p: float, decimals: int = 3) -> str:
    """A p-value to ``decimals`` places; below the smallest, "<0.001"."""
    if math.isnan(p):
        return ""
    floor = 10.0**-decimals
    if p < floor:
        return f"<{floor:.{decimals}f}"
    return f"{p:.{decimals}f}"


def fixed(value: float, decimals: int = 6) -> str:
    """Deterministic text of a float for the CSV outputs ("" for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return f"{float(value):.{decimals}f}"
