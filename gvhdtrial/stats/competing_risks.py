"""Cumulative incidence (Aalen-Johansen) and Gray's K-sample test, as ``cmprsk::cuminc``.

Status is coded as in cmprsk: ``cencode`` (default 0) is censored, every other value is a
cause. Written from the literature (Gray RJ, Ann Stat 1988;16:1141-54; Pintilie M,
Competing Risks: A Practical Perspective, Wiley 2006, ch. 4), without cmprsk's code, and
pinned against cmprsk 2.2-11 (tests/fixtures/competing_reference.json).

Cumulative incidence of cause j in one group, at the distinct times u with n(u) at risk,
d1(u) events of cause j and d2(u) events of other causes, S the all-cause Kaplan-Meier:

    F(t) = sum_{u <= t} S(u-) d1(u) / n(u)

Variance (the one cuminc reports: a delta-method / Aalen-type estimate that treats the
cause-specific hazard increments as independent across times and causes, with the
binomial (n - 1) tie correction). With a(u) = F(t) - F(u) and r(u) = a(u) / (n(u) - d(u))
(0 when everybody at risk fails):

    Var F(t) = sum_{u <= t} (S(u-)/n - r)^2 f1 + r^2 f2,
    f_c = d_c (n - d_c) / (n - 1)   (f_c = d_c when n = 1).

Without ties this is Pintilie's Aalen-type estimator (her eq. 4.5). All terms are
cumulative sums, so a whole curve costs O(n log n).

95 % confidence interval (log(-log) transform, as EZR and Pintilie recommend; also what
tidycmprsk reports): F^exp(+-1.96 se / (F log F)).

Gray's test: the score and Gray's (1988) asymptotic covariance with its plug-in estimates
(see ``_gray_stratum``), vectorized as cumulative sums over the event times. The formula was
checked against an independent, MIT-licensed description of Gray's estimating equations
(cifmodeling's test reference); no cmprsk code was read. It reproduces
``cmprsk::cuminc()$Tests`` to 1e-12 on every fixture (tests/fixtures/competing_reference.json).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from gvhdtrial.stats._competing_input import (
    FloatArray,
    as_labels,
    as_status,
    as_time,
    label_codes,
)

__all__ = [
    "CumincCurve",
    "CumincPoints",
    "CumincResult",
    "GrayTestBatch",
    "GrayTestResult",
    "cuminc",
    "gray_test",
    "gray_test_batch",
]


# --------------------------------------------------------------------------------------
# per-group tables over distinct times
# --------------------------------------------------------------------------------------
def _group_table(
    time: FloatArray, status: FloatArray, cencode: float
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Distinct sorted times, number at risk, all-cause events; inverse index of rows."""
    uniq, inverse = np.unique(time, return_inverse=True)
    counts = np.bincount(inverse, minlength=uniq.size).astype(float)
    at_risk = time.size - np.concatenate(([0.0], np.cumsum(counts)[:-1]))
    events = np.bincount(inverse, weights=(status != cencode).astype(float), minlength=uniq.size)
    return uniq, at_risk, events, inverse


def _aalen_johansen(
    at_risk: FloatArray, d_all: FloatArray, d_cause: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cumulative incidence F (after each time), its variance, and S(u-)."""
    n = at_risk
    surv_after = np.cumprod(1.0 - d_all / n)
    surv_before = np.concatenate(([1.0], surv_after[:-1]))
    f = np.cumsum(surv_before * d_cause / n)
    d_other = d_all - d_cause
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(n > 1, d_cause * (n - d_cause) / (n - 1), d_cause)
        f2 = np.where(n > 1, d_other * (n - d_other) / (n - 1), d_other)
        c = np.where(n > d_all, 1.0 / (n - d_all), 0.0)
    alpha = surv_before / n
    # Var F(t) = P0 + P1 F(t) + P2 F(t)^2 with cumulative sums over u <= t of
    b = alpha + c * f
    p0 = np.cumsum(f1 * b * b + f2 * c * c * f * f)
    p1 = np.cumsum(-2.0 * (f1 * c * b + f2 * c * c * f))
    p2 = np.cumsum((f1 + f2) * c * c)
    var = p0 + p1 * f + p2 * f * f
    var = np.maximum(var, 0.0)  # rounding can leave -1e-18 where the variance is 0
    return f, var, surv_before


def _loglog_ci(est: FloatArray, var: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """F^exp(+-z se / (F log F)); where F is 0 or 1 or se is 0 the interval is [F, F]."""
    q = stats.norm.ppf(0.5 + level / 2.0)
    se = np.sqrt(var)
    ok = (est > 0) & (est < 1) & (se > 0)
    safe = np.where(ok, est, 0.5)
    k = q * se / (safe * np.log(safe))
    with np.errstate(over="ignore"):  # exp(+-k) -> inf/0 gives the limits 0 and 1 exactly
        lower = np.where(ok, safe ** np.exp(-k), est)
        upper = np.where(ok, safe ** np.exp(k), est)
    return np.minimum(lower, upper), np.maximum(lower, upper)


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CumincCurve:
    """Step function of one group x cause: value from ``time[i]`` up to ``time[i + 1]``."""

    group: Any
    cause: float
    time: FloatArray
    est: FloatArray
    var: FloatArray
    last_time: float  # last follow-up in the group; the curve is not estimated beyond it

    def lower_upper(self, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        return _loglog_ci(self.est, self.var, level)


@dataclass(frozen=True)
class CumincPoints:
    """Estimates at requested times (``CumincResult.at``).

    As ``cmprsk::timepoints``, times after the group's last follow-up are not estimable:
    there est, var, lower and upper are NaN and ``estimable`` is False.
    """

    times: FloatArray
    est: FloatArray
    var: FloatArray
    lower: FloatArray
    upper: FloatArray
    estimable: np.ndarray

    @property
    def se(self) -> FloatArray:
        return np.sqrt(self.var)


@dataclass(frozen=True)
class GrayTestResult:
    """Gray's K-sample test of equal cumulative incidence of ``cause`` across groups."""

    cause: float
    statistic: float
    df: int
    p_value: float
    rho: float
    groups: tuple[Any, ...]
    score: FloatArray  # observed - expected per group (weighted), sums to 0
    covariance: FloatArray
    stratified: bool

    def summary(self) -> str:
        return (
            f"Gray's test, cause {self.cause:g} (rho = {self.rho:g}"
            f"{', stratified' if self.stratified else ''}): "
            f"chi-square = {self.statistic:.4f}, df = {self.df}, p = {self.p_value:.4g}"
        )


@dataclass(frozen=True)
class CumincResult:
    """Cumulative incidence for every group x cause, and Gray's tests when grouped."""

    groups: tuple[Any, ...]
    causes: tuple[float, ...]
    curves: dict[tuple[Any, float], CumincCurve]
    tests: dict[float, GrayTestResult] = field(default_factory=dict)
    untestable: dict[float, str] = field(default_factory=dict)  # cause -> why no Gray test
    n: int = 0
    cencode: float = 0.0

    def curve(self, group: Any = None, cause: float = 1) -> CumincCurve:
        return self.curves[self._key(group, cause)]

    def _key(self, group: Any, cause: float) -> tuple[Any, float]:
        if group is None:
            if len(self.groups) != 1:
                raise ValueError(f"group is required: groups are {list(self.groups)}")
            group = self.groups[0]
        key = (group, float(cause))
        if key not in self.curves:
            if group not in self.groups:
                raise ValueError(f"group {group!r} not found; groups are {list(self.groups)}")
            raise ValueError(f"cause {cause!r} not found; causes are {list(self.causes)}")
        return key

    def at(self, times: Any, group: Any = None, cause: float = 1, level: float = 0.95):
        """Estimate, variance and log(-log) CI at ``times`` (right-continuous step)."""
        tt = as_time(np.atleast_1d(np.asarray(times, dtype=float)), "times")
        c = self.curve(group, cause)
        idx = np.searchsorted(c.time, tt, side="right") - 1
        est = np.where(idx >= 0, c.est[np.maximum(idx, 0)], 0.0)
        var = np.where(idx >= 0, c.var[np.maximum(idx, 0)], 0.0)
        lower, upper = _loglog_ci(est, var, level)
        ok = tt <= c.last_time
        nan = np.full(tt.shape, np.nan)
        return CumincPoints(
            times=tt,
            est=np.where(ok, est, nan),
            var=np.where(ok, var, nan),
            lower=np.where(ok, lower, nan),
            upper=np.where(ok, upper, nan),
            estimable=ok,
        )

    def summary(self, times: Any = None) -> str:
        """Estimates (95 % CI) per group x cause at ``times`` (default: quartiles of time)."""
        if times is None:
            last = max(c.last_time for c in self.curves.values())
            times = np.round(np.array([0.25, 0.5, 0.75, 1.0]) * last, 6)
        tt = np.atleast_1d(np.asarray(times, dtype=float))
        lines = [f"Cumulative incidence (Aalen-Johansen), n = {self.n}", ""]
        head = f"{'group':<12}{'cause':>6}" + "".join(f"{t:>26g}" for t in tt)
        lines.append(head)
        for (g, cause), _ in sorted(self.curves.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))):
            pts = self.at(tt, group=g, cause=cause)
            cells = []
            for e, lo, hi, ok in zip(pts.est, pts.lower, pts.upper, pts.estimable, strict=True):
                cells.append(f"{e:.3f} ({lo:.3f}-{hi:.3f})" if ok else "not estimable")
            lines.append(f"{str(g)[:11]:<12}{cause:>6g}" + "".join(f"{s:>26}" for s in cells))
        if self.tests:
            lines.append("")
            lines.extend(t.summary() for t in self.tests.values())
        lines.extend(
            f"Gray's test, cause {c:g}: not computed: {why}" for c, why in self.untestable.items()
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
def _causes(status: FloatArray, cencode: float) -> tuple[float, ...]:
    return tuple(float(c) for c in np.unique(status) if c != cencode)


def cuminc(
    time: Any,
    status: Any,
    group: Any = None,
    cencode: float = 0,
    *,
    strata: Any = None,
    rho: float = 0.0,
) -> CumincResult:
    """Aalen-Johansen cumulative incidence for every cause and group, as ``cmprsk::cuminc``.

    When ``group`` is given (two or more groups), ``.tests`` holds Gray's test for every
    cause (``rho`` and ``strata`` as in cuminc; strata affect only the tests). A cause with
    no events in a group gives a zero curve there.

    >>> res = cuminc([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0])
    >>> round(float(res.at([5], cause=1).est[0]), 4)
    0.2143
    """
    t = as_time(time)
    n = t.size
    st = as_status(status, n)
    cencode = float(cencode)
    if group is None:
        groups: tuple[Any, ...] = (0,)
        gi = np.zeros(n, dtype=np.intp)
    else:
        groups, gi = label_codes(as_labels(group, n, "group"))
    causes = _causes(st, cencode)
    if not causes:
        raise ValueError(
            f"status has no events: every subject is censored (code {cencode:g}), "
            "so there is no cumulative incidence to estimate"
        )
    curves: dict[tuple[Any, float], CumincCurve] = {}
    for j, lab in enumerate(groups):
        mask = gi == j
        tg, sg = t[mask], st[mask]
        uniq, at_risk, d_all, inverse = _group_table(tg, sg, cencode)
        label = None if group is None else lab
        for cause in causes:
            d_c = np.bincount(inverse, weights=(sg == cause).astype(float), minlength=uniq.size)
            f, var, _ = _aalen_johansen(at_risk, d_all, d_c)
            curves[(label, cause)] = CumincCurve(
                group=label,
                cause=cause,
                time=np.concatenate(([0.0], uniq)),
                est=np.concatenate(([0.0], f)),
                var=np.concatenate(([0.0], var)),
                last_time=float(uniq[-1]),
            )
    tests: dict[float, GrayTestResult] = {}
    untestable: dict[float, str] = {}
    if group is not None and len(groups) >= 2:
        if not np.isfinite(rho):
            raise ValueError(f"rho must be finite, got {rho}")
        s_lab = None if strata is None else as_labels(strata, n, "strata")
        tables = _all_stratum_tables(t, st, gi, len(groups), cencode, s_lab)
        for cause in causes:
            try:
                tests[cause] = _gray_from_tables(
                    tables, st, len(groups), groups, cause, rho, strata is not None
                )
            except ValueError as err:  # e.g. singular covariance: said, not hidden
                untestable[cause] = str(err)
    return CumincResult(
        groups=(None,) if group is None else groups,
        causes=causes,
        curves=curves,
        tests=tests,
        untestable=untestable,
        n=n,
        cencode=cencode,
    )


@dataclass(frozen=True)
class _StratumTables:
    """Per-stratum tables over the distinct times that do not depend on the cause."""

    inverse: np.ndarray  # row -> distinct-time index
    group_rows: tuple[np.ndarray, ...]  # per group: row indices
    n_at: FloatArray  # k x m at risk
    d_all: FloatArray  # k x m all-cause events


def _stratum_tables(t: FloatArray, st: FloatArray, gi: np.ndarray, k: int, cencode: float):
    uniq, inverse = np.unique(t, return_inverse=True)
    m = uniq.size
    n_at = np.zeros((k, m))
    d_all = np.zeros((k, m))
    is_event = (st != cencode).astype(float)
    rows = []
    for j in range(k):
        idx = np.flatnonzero(gi == j)
        rows.append(idx)
        if idx.size == 0:
            continue
        inv = inverse[idx]
        cnt = np.bincount(inv, minlength=m).astype(float)
        n_at[j] = idx.size - np.concatenate(([0.0], np.cumsum(cnt)[:-1]))
        d_all[j] = np.bincount(inv, weights=is_event[idx], minlength=m)
    # only times with an event (any cause, any group) contribute; censored-only times are
    # dropped (their rows are censored, so they never enter a cause count)
    keep = d_all.sum(axis=0) > 0
    column = np.maximum(np.cumsum(keep) - 1, 0)
    return _StratumTables(column[inverse], tuple(rows), n_at[:, keep], d_all[:, keep])


def _gray_stratum(
    tab: _StratumTables, st: FloatArray, k: int, cause: float, rho: float
) -> tuple[FloatArray, FloatArray]:
    """Score vector (k) and its covariance (k x k) within one stratum (Gray 1988, section 2).

    Over the distinct event times u, with Y_g(u) at risk in group g, d1_g(u) events of the
    cause and d2_g(u) events of other causes, S_g the all-cause Kaplan-Meier and F_g the
    cumulative incidence of the cause in group g:

    Score: z_g = sum_u L(u) [d1_g(u) - d1(u) R_g(u) / R(u)], with the subdistribution risk
    set R_g(u) = Y_g(u) (1 - F_g(u-)) / S_g(u-) and R = sum_g R_g.

    Covariance: Gray's asymptotic covariance with its plug-in estimates. Let
    r_g(u) = Y_g(u) / S_g(u-) (the "standardized" risk set), r = sum_g r_g, and F0 the
    pooled cumulative incidence under the null, F0(u) = sum_{v <= u} d1(v) / r(v); the
    weight is L(u) = (1 - F0(u-))^rho. With the coefficient matrix
    a_gh(u) = L(u) r_g(u) (delta_gh - r_h(u) / r(u)) and its running integral
    A_gh(u) = sum_{v <= u} a_gh(v) d1(v) / (r(v) (1 - F0(v-))), the score is a sum of
    martingale increments of each group's cause-specific counting processes:

    - an event of the cause in group h at u contributes
      a_.h(u) - c1_h(u) A_.h(u) + c1_h(u) A_.h(tau), with c1_h(u) = 1 - (1 - F0(u)) / S_h(u);
    - an event of another cause in group h at u contributes
      c2_h(u) (A_.h(tau) - A_.h(u)), with c2_h(u) = (1 - F0(u)) / S_h(u);

    and their variances are estimated under the null: for the cause,
    S_h(u-) d1(u) / (r(u) Y_h(u)), for other causes S_h(u-)^2 d2_h(u) / Y_h(u)^2, each
    with a finite-population (hypergeometric) factor for tied events,
    1 - (d1 - 1) / (r S_h(u-) - 1) and 1 - (d2_h - 1) / (Y_h - 1). The terms in A(tau)
    are collected at the end. Everything is a cumulative sum over the event times: O(m k^2).
    These estimates reproduce ``cmprsk::cuminc()$Tests`` to 1e-12 on every fixture.
    """
    n_at = tab.n_at
    m = n_at.shape[1]
    if m == 0:  # a stratum without events adds nothing
        return np.zeros(k), np.zeros((k, k))
    is_cause = (st == cause).astype(float)
    d1 = np.zeros((k, m))
    for j in range(k):
        idx = tab.group_rows[j]
        if idx.size:
            d1[j] = np.bincount(tab.inverse[idx], weights=is_cause[idx], minlength=m)
    z, cov = _gray_kernel(n_at[None], tab.d_all[None], d1[None], rho)
    return z[0], cov[0]


def _gray_kernel(
    n_at: FloatArray, d_all: FloatArray, d1: FloatArray, rho: float
) -> tuple[FloatArray, FloatArray]:
    """Gray's score (B x k) and covariance (B x k x k) for B independent samples at once.

    Inputs are B x k x m: at risk, all-cause events and events of the cause per group over
    m ordered times (formulas in ``_gray_stratum``). A time without any event adds exactly
    nothing (every term it could add is multiplied by an event count of 0), so the m times
    may include censored-only or empty columns; that lets samples with different distinct
    times share one array (``gray_test_batch``).
    """
    b, k, m = n_at.shape
    d2 = d_all - d1
    live = n_at > 0
    y = np.where(live, n_at, 1.0)
    s_after = np.cumprod(1.0 - np.where(live, d_all / y, 0.0), axis=2)
    s_before = np.concatenate([np.ones((b, k, 1)), s_after[:, :, :-1]], axis=2)
    f_after = np.cumsum(s_before * np.where(live, d1 / y, 0.0), axis=2)
    f_before = np.concatenate([np.zeros((b, k, 1)), f_after[:, :, :-1]], axis=2)
    safe_sb = np.where(s_before > 0, s_before, 1.0)
    safe_sa = np.where(s_after > 0, s_after, 1.0)

    d1_tot = d1.sum(axis=1)  # B x m
    has_event = d1_tot > 0
    # the score, on the subdistribution risk sets
    risk = np.where(live, n_at * (1.0 - f_before) / safe_sb, 0.0)
    risk_tot = risk.sum(axis=1)
    safe_rt = np.where(risk_tot > 0, risk_tot, 1.0)
    # pooled cumulative incidence under the null, on the standardized risk sets
    std_risk = np.where(live, n_at / safe_sb, 0.0)
    std_tot = std_risk.sum(axis=1)
    safe_st = np.where(std_tot > 0, std_tot, 1.0)
    f0_after = np.cumsum(np.where(std_tot > 0, d1_tot / safe_st, 0.0), axis=1)
    f0_before = np.concatenate([np.zeros((b, 1)), f0_after[:, :-1]], axis=1)
    # the weight counts only where the cause has events (elsewhere it multiplies 0)
    base = np.where(has_event, 1.0 - f0_before, 1.0)
    weight = base**rho if rho != 0 else np.ones((b, m))
    expected = np.where(
        (risk_tot > 0)[:, None, :], d1_tot[:, None, :] * risk / safe_rt[:, None, :], 0.0
    )
    z = (weight[:, None, :] * (d1 - expected)).sum(axis=2)

    # a[b, g, h, u] and its running integral A[b, g, h, u] (through u)
    a = weight[:, None, None, :] * (
        np.eye(k)[None, :, :, None] * std_risk[:, :, None, :]
        - std_risk[:, :, None, :] * std_risk[:, None, :, :] / safe_st[:, None, None, :]
    )
    one_minus_f0b = np.where(f0_before < 1, 1.0 - f0_before, 1.0)
    step = d1_tot / (safe_st * one_minus_f0b)
    big_a = np.cumsum(a * step[:, None, None, :], axis=3)
    a_end = big_a[:, :, :, -1]

    cov = np.zeros((b, k, k))
    cross = np.zeros((b, k, k))  # cross[., g, h]: covariance with the A(tau) terms
    var_end = np.zeros((b, k))  # variance multiplying A(tau) A(tau)'
    for h in range(k):
        sa_h, sb_h, y_h, d2_h = s_after[:, h], s_before[:, h], y[:, h], d2[:, h]
        # events of the cause
        c1 = np.where(sa_h > 0, 1.0 - (1.0 - f0_after) / safe_sa[:, h], 1.0)
        denom = std_tot * sb_h - 1.0
        fpc1 = np.where(
            (d1_tot > 1) & (denom > 0), 1.0 - (d1_tot - 1) / np.where(denom > 0, denom, 1.0), 1.0
        )
        v1 = np.where(live[:, h] & has_event, fpc1 * sb_h * d1_tot / (safe_st * y_h), 0.0)
        g1 = a[:, :, h, :] - c1[:, None, :] * big_a[:, :, h, :]
        cov += np.einsum("bgu,bfu->bgf", g1 * v1[:, None, :], g1)
        cross[:, :, h] += (g1 * (c1 * v1)[:, None, :]).sum(axis=2)
        var_end[:, h] += (c1**2 * v1).sum(axis=1)
        # events of other causes
        c2 = np.where(sa_h > 0, (1.0 - f0_after) / safe_sa[:, h], 0.0)
        fpc2 = np.where(d2_h > 1, 1.0 - (d2_h - 1) / np.maximum(n_at[:, h] - 1.0, 1.0), 1.0)
        v2 = np.where((d2_h > 0) & (sa_h > 0), fpc2 * sb_h**2 * d2_h / y_h**2, 0.0)
        g2 = c2[:, None, :] * big_a[:, :, h, :]
        cov += np.einsum("bgu,bfu->bgf", g2 * v2[:, None, :], g2)
        cross[:, :, h] -= (g2 * (c2 * v2)[:, None, :]).sum(axis=2)
        var_end[:, h] += (c2**2 * v2).sum(axis=1)
    a_end_t = np.swapaxes(a_end, 1, 2)
    cov += (
        (a_end * var_end[:, None, :]) @ a_end_t + a_end @ np.swapaxes(cross, 1, 2) + cross @ a_end_t
    )
    return z, cov


def gray_test(
    time: Any,
    status: Any,
    group: Any,
    cause: float = 1,
    rho: float = 0.0,
    strata: Any = None,
    cencode: float = 0,
) -> GrayTestResult:
    """Gray's K-sample test that ``cause`` has the same cumulative incidence in all groups.

    Chi-square on k - 1 degrees of freedom. ``rho`` is the power of the weight
    (1 - F0(t-))^rho; with ``strata`` the scores and covariances are summed over strata.

    >>> res = gray_test([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
    ...                 ["a", "a", "b", "b", "a", "b", "a", "b", "a", "b"])
    >>> round(res.p_value, 4)
    0.9252
    """
    t = as_time(time)
    n = t.size
    st = as_status(status, n)
    groups, gi = label_codes(as_labels(group, n, "group"))
    cause = float(cause)
    cencode = float(cencode)
    if cause == cencode:
        raise ValueError(f"cause ({cause:g}) must differ from cencode ({cencode:g})")
    if not np.isfinite(rho):
        raise ValueError(f"rho must be finite, got {rho}")
    k = len(groups)
    if k < 2:
        raise ValueError(f"group must have at least two distinct values, got {list(groups)}")
    if not np.any(st == cause):
        raise ValueError(f"cause {cause:g} has no events: Gray's test is not defined")
    s_lab = None if strata is None else as_labels(strata, n, "strata")
    tables = _all_stratum_tables(t, st, gi, k, cencode, s_lab)
    return _gray_from_tables(tables, st, k, groups, cause, rho, strata is not None)


@dataclass(frozen=True)
class GrayTestBatch:
    """Gray's test for each of many samples (``gray_test_batch``): arrays over samples.

    Where ``gray_test`` would refuse a sample (no event of the cause, or a singular
    covariance), ``statistic`` and ``p_value`` are NaN.
    """

    cause: float
    rho: float
    df: int
    groups: tuple[Any, ...]
    statistic: FloatArray  # B
    p_value: FloatArray  # B
    score: FloatArray  # B x k
    covariance: FloatArray  # B x k x k


def _as_matrix(values: Any, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"{name} must be a non-empty samples x subjects matrix, got {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape} but time has {shape}")
    return arr


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)


def gray_test_batch(
    time: Any, status: Any, group: Any, cause: float = 1, rho: float = 0.0, cencode: float = 0
) -> GrayTestBatch:
    """Gray's test (unstratified) on B samples of equal size at once, as ``gray_test`` on each.

    ``time``, ``status`` and ``group`` are B x n matrices, one sample per row; every row must
    contain every group label of the batch. Each row is sorted by time and its tied times
    are summed at the first of them, so all rows share one m = n column layout and
    ``_gray_kernel`` (the same code ``gray_test`` runs) handles the whole batch in one pass.

    >>> res = gray_test_batch([[2, 3, 3, 5, 6, 7, 8, 9, 10, 12]] * 2,
    ...                       [[1, 2, 0, 1, 1, 2, 0, 1, 2, 0], [1, 1, 0, 2, 2, 1, 0, 1, 1, 0]],
    ...                       [["a", "a", "b", "b", "a", "b", "a", "b", "a", "b"]] * 2)
    >>> [round(float(p), 4) for p in res.p_value]  # gray_test on each row: 0.9252, 0.4521
    [0.9252, 0.4521]
    """
    t = _as_matrix(time, "time").astype(float)
    st = _as_matrix(status, "status", t.shape).astype(float)
    lab = _as_matrix(group, "group", t.shape)
    if not np.isfinite(t).all():
        i, j = _first_bad(~np.isfinite(t))
        raise ValueError(f"time has a missing or infinite value at sample {i}, row {j}")
    if (t < 0).any():
        i, j = _first_bad(t < 0)
        raise ValueError(f"time has a negative value at sample {i}, row {j}: {t[i, j]}")
    if not np.isfinite(st).all():
        i, j = _first_bad(~np.isfinite(st))
        raise ValueError(f"status has a missing value at sample {i}, row {j}")
    cause = float(cause)
    cencode = float(cencode)
    if cause == cencode:
        raise ValueError(f"cause ({cause:g}) must differ from cencode ({cencode:g})")
    if not np.isfinite(rho):
        raise ValueError(f"rho must be finite, got {rho}")
    groups, codes = label_codes(as_labels(lab.ravel(), lab.size, "group"))
    gi = codes.reshape(t.shape)
    k = len(groups)
    if k < 2:
        raise ValueError(f"group must have at least two distinct values, got {list(groups)}")
    b, n = t.shape
    present = np.zeros((b, k), dtype=bool)
    present[np.repeat(np.arange(b), n), gi.ravel()] = True
    if not present.all():
        i, g = _first_bad(~present)
        raise ValueError(f"sample {i} has no subject in group {groups[g]!r}")

    order = np.argsort(t, axis=1, kind="stable")
    ts = np.take_along_axis(t, order, axis=1)
    ss = np.take_along_axis(st, order, axis=1)
    gs = np.take_along_axis(gi, order, axis=1)
    first = np.ones((b, n), dtype=bool)
    first[:, 1:] = ts[:, 1:] != ts[:, :-1]
    starts = np.flatnonzero(first.ravel())
    in_group = gs[None, :, :] == np.arange(k)[:, None, None]  # k x B x n
    # at risk at each distinct time: members of the group at or after its first position
    n_at = np.cumsum(in_group[:, :, ::-1], axis=2)[:, :, ::-1].astype(float)
    counts = np.concatenate(
        [in_group & (ss != cencode)[None], in_group & (ss == cause)[None]]
    ).reshape(2 * k, b * n)
    sums = np.zeros((2 * k, b * n))
    sums[:, starts] = np.add.reduceat(counts.astype(float), starts, axis=1)
    sums = sums.reshape(2 * k, b, n)
    tied = ~first[None]
    n_at = np.where(tied, 0.0, n_at)  # tied positions carry no events (and no risk set)
    z, cov = _gray_kernel(
        np.moveaxis(n_at, 0, 1), np.moveaxis(sums[:k], 0, 1), np.moveaxis(sums[k:], 0, 1), rho
    )
    statistic = _chi_square(z[:, : k - 1], cov[:, : k - 1, : k - 1])
    statistic[~(ss == cause).any(axis=1)] = np.nan
    return GrayTestBatch(
        cause=cause,
        rho=float(rho),
        df=k - 1,
        groups=groups,
        statistic=statistic,
        p_value=stats.chi2.sf(statistic, k - 1),
        score=z,
        covariance=cov,
    )


def _chi_square(z: FloatArray, v: FloatArray) -> FloatArray:
    """z' v^-1 z per sample; NaN where v is singular (``gray_test`` refuses those)."""
    try:
        return np.einsum("bi,bi->b", z, np.linalg.solve(v, z[:, :, None])[:, :, 0])
    except np.linalg.LinAlgError:
        out = np.full(z.shape[0], np.nan)
        for i in range(z.shape[0]):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = z[i] @ np.linalg.solve(v[i], z[i])
        return out


def _all_stratum_tables(t, st, gi, k, cencode, s_lab):
    if s_lab is None:
        return [(slice(None), _stratum_tables(t, st, gi, k, cencode))]
    out = []
    for lab in np.unique(s_lab):
        rows = np.flatnonzero(s_lab == lab)
        out.append((rows, _stratum_tables(t[rows], st[rows], gi[rows], k, cencode)))
    return out


def _gray_from_tables(tables, st, k, groups, cause, rho, stratified) -> GrayTestResult:
    z = np.zeros(k)
    cov = np.zeros((k, k))
    for rows, tab in tables:
        zs, cs = _gray_stratum(tab, st[rows], k, cause, rho)
        z += zs
        cov += cs
    zz = z[: k - 1]
    vv = cov[: k - 1, : k - 1]
    try:
        statistic = float(zz @ np.linalg.solve(vv, zz))
    except np.linalg.LinAlgError:
        raise ValueError(
            f"Gray's test for cause {cause:g}: the score covariance is singular "
            "(a group with no subjects at risk at any event time?)"
        ) from None
    df = k - 1
    return GrayTestResult(
        cause=cause,
        statistic=statistic,
        df=df,
        p_value=float(stats.chi2.sf(statistic, df)),
        rho=float(rho),
        groups=groups,
        score=z,
        covariance=cov,
        stratified=stratified,
    )
