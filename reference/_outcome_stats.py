"""Small, fast survival estimators used only by the reference generator's search.

These are deliberately minimal (pure Python over <= 40 patients) so that the seeded
search in :mod:`reference.outcomes` can evaluate thousands of candidate data sets a
second. They are NOT the analysis engine: the trial's analysis uses ``gvhdtrial.stats``,
and the generated data set is checked against R (survival, cmprsk) during development.

Conventions (those of R's ``survfit`` and ``cmprsk::cuminc``):
- ``status``: 0 censored, 1 event of interest, 2 competing event (KM uses 0/1 only);
- at tied times events precede censorings;
- estimates are read at ``t`` as right-continuous step functions.

Hazard ratios use one binary covariate (arm: 1 = MSC, 0 = control). The Cox model
uses Breslow ties (as ``coxph(ties="breslow")``); the Fine-Gray model uses the
inverse-probability-of-censoring weights of Fine & Gray (1999) with the censoring
distribution estimated by Kaplan-Meier (as ``cmprsk::crr``), with the model-based
variance. The "Gray" p-value here is the Fine-Gray score test at beta = 0, a close
proxy for Gray's (1988) K-sample test used only to steer the search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_NORM_SQRT2 = math.sqrt(2.0)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / _NORM_SQRT2)


def km_at(times: Sequence[float], status: Sequence[int], t: float) -> float:
    """Kaplan-Meier survival at ``t`` (status 1 = event; anything else = censored)."""
    pairs = sorted(zip(times, status, strict=True), key=lambda p: (p[0], -(p[1] == 1)))
    n = len(pairs)
    s = 1.0
    i = 0
    while i < len(pairs) and pairs[i][0] <= t:
        tt = pairs[i][0]
        d = 0
        c = 0
        while i < len(pairs) and pairs[i][0] == tt:
            if pairs[i][1] == 1:
                d += 1
            else:
                c += 1
            i += 1
        if d:
            s *= 1.0 - d / n
        n -= d + c
    return s


def cif_at(times: Sequence[float], status: Sequence[int], t: float, cause: int = 1) -> float:
    """Aalen-Johansen cumulative incidence of ``cause`` at ``t`` (0 = censored)."""
    pairs = sorted(zip(times, status, strict=True), key=lambda p: p[0])
    n = len(pairs)
    s = 1.0
    f = 0.0
    i = 0
    while i < len(pairs) and pairs[i][0] <= t:
        tt = pairs[i][0]
        d_all = 0
        d_k = 0
        c = 0
        while i < len(pairs) and pairs[i][0] == tt:
            st = pairs[i][1]
            if st == 0:
                c += 1
            else:
                d_all += 1
                if st == cause:
                    d_k += 1
            i += 1
        if d_all:
            f += s * d_k / n
            s *= 1.0 - d_all / n
        n -= d_all + c
    return f


def logrank(times: Sequence[float], status: Sequence[int], group: Sequence[int]) -> float:
    """Two-sided log-rank p (hypergeometric variance, as ``survdiff``)."""
    data = sorted(zip(times, status, group, strict=True), key=lambda p: p[0])
    n = len(data)
    n1 = sum(1 for p in data if p[2] == 1)
    o_minus_e = 0.0
    var = 0.0
    i = 0
    while i < len(data):
        tt = data[i][0]
        d = d1 = c = c1 = 0
        while i < len(data) and data[i][0] == tt:
            ev = data[i][1] == 1
            g1 = data[i][2] == 1
            if ev:
                d += 1
                d1 += g1
            else:
                c += 1
                c1 += g1
            i += 1
        if d and n > 0:
            o_minus_e += d1 - d * n1 / n
            if n > 1:
                var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
        n -= d + c
        n1 -= d1 + c1
    if var <= 0:
        return 1.0
    return _two_sided_p(o_minus_e / math.sqrt(var))


def _weighted_cox(
    event_times: list[float],
    event_groups: list[int],
    risk: list[tuple[list[float], list[float]]],
) -> tuple[float, float, float]:
    """Newton-Raphson for one binary covariate (Breslow ties).

    ``risk[k]`` = (weights of group-1 members, weights of group-0 members) of the risk
    set at the k-th distinct event time; ``event_groups[k]`` is the number of group-1
    events at that time and ``event_times`` holds the total events.
    Returns (log HR, its model-based SE, score-test p at beta = 0).
    """
    totals = [(sum(w1), sum(w0)) for w1, w0 in risk]

    def score_info(beta: float) -> tuple[float, float]:
        u = 0.0
        info = 0.0
        eb = math.exp(beta)
        for d, d1, (s1, s0) in zip(event_times, event_groups, totals, strict=True):
            a = s1 * eb
            den = a + s0
            if den <= 0:
                continue
            p = a / den
            u += d1 - d * p
            info += d * p * (1 - p)
        return u, info

    u0, i0 = score_info(0.0)
    p_score = _two_sided_p(u0 / math.sqrt(i0)) if i0 > 0 else 1.0
    beta = 0.0
    for _ in range(50):
        u, info = score_info(beta)
        if info <= 1e-12:
            break
        step = u / info
        step = max(-2.0, min(2.0, step))
        beta += step
        if abs(step) < 1e-9:
            break
    beta = max(-10.0, min(10.0, beta))
    _, info = score_info(beta)
    se = 1.0 / math.sqrt(info) if info > 1e-12 else float("inf")
    return beta, se, p_score


def cox_binary(
    times: Sequence[float], status: Sequence[int], group: Sequence[int]
) -> tuple[float, float, float]:
    """Cox HR for group 1 vs 0: (log HR, SE, score p)."""
    data = list(zip(times, status, group, strict=True))
    ev_times = sorted({t for t, s, _ in data if s == 1})
    d_tot: list[float] = []
    d_g1: list[int] = []
    risk: list[tuple[list[float], list[float]]] = []
    for t in ev_times:
        d_tot.append(sum(1 for tt, s, _ in data if tt == t and s == 1))
        d_g1.append(sum(1 for tt, s, g in data if tt == t and s == 1 and g == 1))
        risk.append(
            (
                [1.0 for tt, _, g in data if tt >= t and g == 1],
                [1.0 for tt, _, g in data if tt >= t and g == 0],
            )
        )
    return _weighted_cox(d_tot, d_g1, risk)


def _censoring_km(times: Sequence[float], status: Sequence[int]) -> list[tuple[float, float]]:
    """Steps (time, G(time)) of the KM estimate of the censoring distribution."""
    cens = [0 if s else 1 for s in status]
    steps: list[tuple[float, float]] = []
    pairs = sorted(zip(times, cens, strict=True), key=lambda p: p[0])
    n = len(pairs)
    g = 1.0
    i = 0
    while i < len(pairs):
        tt = pairs[i][0]
        d = c = 0
        while i < len(pairs) and pairs[i][0] == tt:
            if pairs[i][1] == 1:
                d += 1
            else:
                c += 1
            i += 1
        if d:
            g *= 1.0 - d / n
            steps.append((tt, g))
        n -= d + c
    return steps


def _g_before(steps: list[tuple[float, float]], t: float) -> float:
    """G(t-) from censoring-KM steps."""
    g = 1.0
    for tt, gg in steps:
        if tt < t:
            g = gg
        else:
            break
    return g


def fine_gray_binary(
    times: Sequence[float], status: Sequence[int], group: Sequence[int], cause: int = 1
) -> tuple[float, float, float]:
    """Fine-Gray subdistribution HR for group 1 vs 0: (log HR, SE, score p)."""
    data = list(zip(times, status, group, strict=True))
    steps = _censoring_km(times, status)
    ev_times = sorted({t for t, s, _ in data if s == cause})
    d_tot: list[float] = []
    d_g1: list[int] = []
    risk: list[tuple[list[float], list[float]]] = []
    for t in ev_times:
        d_tot.append(sum(1 for tt, s, _ in data if tt == t and s == cause))
        d_g1.append(sum(1 for tt, s, g in data if tt == t and s == cause and g == 1))
        g_t = _g_before(steps, t)
        w1: list[float] = []
        w0: list[float] = []
        for tt, s, g in data:
            if tt >= t:
                w = 1.0
            elif s not in (0, cause):
                g_i = _g_before(steps, tt)
                w = g_t / g_i if g_i > 0 else 0.0
            else:
                continue
            (w1 if g == 1 else w0).append(w)
        risk.append((w1, w0))
    return _weighted_cox(d_tot, d_g1, risk)
