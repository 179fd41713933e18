"""Exact power of the analysis plan's own test of two proportions, by enumeration.

The plan compares the arms' response rates with the rule of
:func:`gvhdtrial.stats.proportions.compare_proportions` (Pearson chi-square, Yates'
correction or Fisher's exact test, chosen by the total and the smallest expected count;
two-sided). Its power at a fixed size is a finite sum over the (n1 + 1)(n2 + 1) possible
tables, each weighted by its binomial probability, with the rule itself deciding each
table (it is called, not re-implemented). With ``direction=True`` only tables whose
experimental rate is the higher count as a success (the trial's question).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.stats import binom

from gvhdtrial.stats.proportions import compare_proportions


@cache
def _p_values(n1: int, n2: int) -> np.ndarray:
    p = np.ones((n1 + 1, n2 + 1))
    for x1 in range(n1 + 1):
        for x2 in range(n2 + 1):
            p[x1, x2] = sap_p_value(x1, n1, x2, n2)  # an empty margin: p = 1
    p.setflags(write=False)
    return p


def sap_rejection_region(n1: int, n2: int, alpha: float = 0.05, direction: bool = True):
    """Boolean (n1 + 1) x (n2 + 1) table: does the plan's rule reject at level alpha?"""
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"n1 and n2 must be > 0, got {n1}, {n2}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    reject = _p_values(int(n1), int(n2)) <= alpha
    if direction:
        x1 = np.arange(n1 + 1)[:, None] / n1
        x2 = np.arange(n2 + 1)[None, :] / n2
        reject = reject & (x1 > x2)
    return reject


@cache
def sap_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """p-value of the plan's rule for one table (1 when a margin is empty), remembered."""
    if (x1 + x2) in (0, n1 + n2):
        return 1.0
    return compare_proportions(x1, n1, x2, n2).p_value


#: tables less likely than this in either arm are left out of the sum (total < 1e-10)
NEGLIGIBLE = 1e-13


def sap_power(
    n1: int, n2: int, pi1: float, pi2: float, alpha: float = 0.05, direction: bool = True
) -> float:
    """Exact probability that the plan's rule rejects (module docstring).

    Only counts with binomial probability above ``NEGLIGIBLE`` in their arm are visited
    (what is left out weighs less than 1e-10), so large trials cost little.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"n1 and n2 must be > 0, got {n1}, {n2}")
    f1 = binom.pmf(np.arange(n1 + 1), n1, pi1)
    f2 = binom.pmf(np.arange(n2 + 1), n2, pi2)
    total = 0.0
    for x1 in np.flatnonzero(f1 > NEGLIGIBLE):
        for x2 in np.flatnonzero(f2 > NEGLIGIBLE):
            if direction and x1 * n2 <= x2 * n1:
                continue
            if sap_p_value(int(x1), n1, int(x2), n2) <= alpha:
                total += f1[x1] * f2[x2]
    return float(total)


def simulate_sap_power(
    n1: int,
    n2: int,
    pi1: float,
    pi2: float,
    iterations: int,
    seed: int,
    alpha: float = 0.05,
    direction: bool = True,
) -> float:
    """The same probability by simulation (tables drawn, the rule's decision looked up)."""
    region = sap_rejection_region(n1, n2, alpha, direction)
    rng = np.random.default_rng(seed)
    x1 = rng.binomial(n1, pi1, size=iterations)
    x2 = rng.binomial(n2, pi2, size=iterations)
    return float(region[x1, x2].mean())
