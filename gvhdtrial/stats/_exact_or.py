"""Conditional (exact) inference on odds ratios: Fisher's 2 x 2 and the 2 x 2 x K common
odds ratio, as R's ``fisher.test`` and ``mantelhaen.test(exact = TRUE)`` report them.

Given all margins, the count X in the first cell (for K strata: the sum of the first
cells) has the (convolved) noncentral hypergeometric distribution with parameter psi, the
(common) odds ratio (Cornfield 1956; Agresti 2013, sections 3.5 and 7.3.5):

    P(X = x; psi) proportional to c(x) psi^x,

with c the central (psi = 1) probabilities. The estimate is the conditional maximum
likelihood estimate, solving E[X; psi] = x; the exact 1 - alpha interval solves
P(X >= x; psi_low) = alpha / 2 and P(X <= x; psi_high) = alpha / 2, with 0 and infinity at
the ends of the support. The two-sided p-value sums the probabilities (under psi = 1) of
the tables no more likely than the one observed, with a relative tolerance 1e-7 for ties,
as the ``fisher.test`` documentation describes.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

_REL_ERR = 1 + 1e-7


def _log_hypergeom(a: float, b: float, c: float, d: float) -> tuple[np.ndarray, np.ndarray]:
    """Support of the first cell of one 2 x 2 table [[a, b], [c, d]] and the central log
    probabilities."""
    m, n, k = a + b, c + d, a + c  # row 1, row 2, column 1 totals
    lo, hi = int(max(0, k - n)), int(min(k, m))
    x = np.arange(lo, hi + 1)
    return x, stats.hypergeom.logpmf(x, m + n, m, k)


def conditional_distribution(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Support and central log probabilities of the sum of first cells over strata, and the
    observed sum. ``tables`` has shape (2, 2, K)."""
    support = np.array([0])
    logp = np.array([0.0])
    observed = 0
    for k in range(tables.shape[2]):
        a, b, c, d = tables[0, 0, k], tables[0, 1, k], tables[1, 0, k], tables[1, 1, k]
        observed += int(a)
        x, lp = _log_hypergeom(a, b, c, d)
        # convolution in log space
        new_lo = support[0] + x[0]
        new = np.full(support.size + x.size - 1, -np.inf)
        for i, v in enumerate(logp):
            seg = v + lp
            sl = slice(i, i + x.size)
            new[sl] = np.logaddexp(new[sl], seg)
        support = np.arange(new_lo, new_lo + new.size)
        logp = new
    logp = logp - special.logsumexp(logp)
    return support, logp, observed


def _probs(support: np.ndarray, logp: np.ndarray, log_psi: float) -> np.ndarray:
    lw = logp + support * log_psi
    return np.exp(lw - special.logsumexp(lw))


def exact_odds_ratio(tables: np.ndarray, conf_level: float) -> tuple[float, float, float, float]:
    """(conditional MLE, exact lower, exact upper, two-sided p) for (2, 2, K) tables."""
    support, logp, x = conditional_distribution(tables)
    lo, hi = int(support[0]), int(support[-1])
    p0 = np.exp(logp)
    obs_p = p0[x - lo]
    p_value = float(min(1.0, p0[p0 <= obs_p * _REL_ERR].sum()))
    if lo == hi:
        return math.nan, 0.0, math.inf, p_value

    def mean(log_psi: float) -> float:
        return float((support * _probs(support, logp, log_psi)).sum())

    def upper_tail(log_psi: float) -> float:  # P(X >= x)
        return float(_probs(support, logp, log_psi)[x - lo :].sum())

    def lower_tail(log_psi: float) -> float:  # P(X <= x)
        return float(_probs(support, logp, log_psi)[: x - lo + 1].sum())

    def root(f, target: float) -> float:
        a, b = -1.0, 1.0
        while f(a) - target > 0:
            a *= 2
        while f(b) - target < 0:
            b *= 2
        return float(optimize.brentq(lambda s: f(s) - target, a, b, xtol=1e-14, rtol=1e-15))

    alpha = 1 - conf_level
    if x == lo:
        est = 0.0
    elif x == hi:
        est = math.inf
    else:
        est = math.exp(root(mean, x))
    low = 0.0 if x == lo else math.exp(root(upper_tail, alpha / 2))
    high = math.inf if x == hi else math.exp(root(lambda s: -lower_tail(s), -alpha / 2))
    return est, low, high, p_value
