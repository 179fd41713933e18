"""R's ``timefix``: times that differ only by floating-point round-off are one time.

The rule is the one R's documentation states (``?aeqSurv``, ``?all.equal``, and the
survival vignette "Roundoff error and tied times"), written from that text:

* the tolerance is ``sqrt(.Machine$double.eps)`` (about 1.5e-8);
* two values a < b are equal when their difference, relative to |a|, is below the
  tolerance; when |a| itself is not above the tolerance (a time at or near 0) the absolute
  difference is used instead (``all.equal``'s scale rule with target a);
* the distinct values are taken in sorted order and each one that is equal to the value
  before it joins that value's run; every value of a run is replaced by the smallest, so
  ``0.1 + 0.2`` and ``0.3`` become one time, as in ``survfit`` and ``coxph``.

Start and stop times of counting-process data are merged together; an interval that
becomes empty is an error, as R's is.
"""

from __future__ import annotations

import math

import numpy as np

TIMEFIX_TOLERANCE = math.sqrt(np.finfo(float).eps)


def merge_near_ties(*arrays: np.ndarray, tolerance: float = TIMEFIX_TOLERANCE) -> list[np.ndarray]:
    """The arrays with every time replaced by the smallest time of its near-tie run."""
    allv = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    uniq = np.unique(allv)
    if uniq.size < 2:
        return [np.asarray(a, dtype=float) for a in arrays]
    prev, nxt = uniq[:-1], uniq[1:]
    scale = np.abs(prev)
    rel = scale > tolerance
    diff = np.where(rel, (nxt - prev) / np.where(rel, scale, 1.0), nxt - prev)
    joins = diff < tolerance  # nxt joins the run of prev
    if not joins.any():
        return [np.asarray(a, dtype=float) for a in arrays]
    run_start = np.r_[True, ~joins]
    run_id = np.cumsum(run_start) - 1
    smallest = uniq[run_start][run_id]
    return [smallest[np.searchsorted(uniq, np.asarray(a, dtype=float))] for a in arrays]
