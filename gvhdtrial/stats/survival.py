"""Overall survival: Kaplan-Meier curves and the log-rank test.

Formulas from Klein & Moeschberger (2003), sections 4.2 and 7.3; numbers pinned against
R ``survival`` 3.5-3 (``survfit``, ``summary.survfit(times=)``, ``survdiff(rho = 0)``) in
tests/stats/test_survival.py, with the fixtures made by tests/fixtures/survival_reference.R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gvhdtrial.stats._format import box, fmt_num, fmt_p, table
from gvhdtrial.stats._timefix import merge_near_ties
from gvhdtrial.stats._validate import as_float_1d, labels, time_event

ConfType = Literal["log", "log-log", "plain", "logit", "arcsin"]
CONF_TYPES = ("log", "log-log", "plain", "logit", "arcsin")

# R's tolerance for "the curve equals 0.5" when finding the median (sqrt of machine eps).
_MEDIAN_TOL = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class SurvivalAt:
    """Kaplan-Meier estimate read at chosen times (right-continuous step function).

    Two standard errors, named apart: ``std_err`` (also ``std_err_log``) is the Greenwood
    SE of log S(t), as R's ``survfit()$std.err``; ``std_err_surv`` is the SE of S(t)
    itself, S(t) times the former, which is what R's ``summary(fit, times=)$std.err``
    prints (NaN once S = 0, as R's NA).
    """

    time: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_risk: np.ndarray

    @property
    def std_err_log(self) -> np.ndarray:
        """Greenwood standard error of log S(t) (R: ``survfit()$std.err``)."""
        return self.std_err

    @property
    def std_err_surv(self) -> np.ndarray:
        """Standard error of S(t) (R: ``summary(fit, times = )$std.err``)."""
        with np.errstate(invalid="ignore"):
            return np.where(self.surv > 0, self.std_err * self.surv, np.nan)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk,
                "surv": self.surv,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve, one row per distinct observed time (events and censorings).

    ``std_err`` is the Greenwood standard error of log S(t) (R's ``survfit()$std.err``);
    ``lower``/``upper`` are the pointwise CI of ``conf_type``. Where S(t) = 0 the log and
    log-log intervals are undefined and are NaN, as R's are NA; so are the log-log, logit
    and arcsine intervals at an observed time where S(t) = 1 (a censoring before the first
    event). With case weights ``n_risk``, ``n_event`` and ``n_censor`` are weighted sums.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_type: ConfType
    conf_level: float
    n: int
    label: str | None = None
    # number at risk at any t (delayed entry, weights): stop and entry times sorted, with the
    # weight of everyone at or after each (backward cumulative sums)
    _stop: np.ndarray | None = field(default=None, repr=False)
    _stop_w: np.ndarray | None = field(default=None, repr=False)
    _entry: np.ndarray | None = field(default=None, repr=False)
    _entry_w: np.ndarray | None = field(default=None, repr=False)

    @property
    def events(self) -> int | float:
        total = self.n_event.sum()
        return int(total) if np.issubdtype(self.n_event.dtype, np.integer) else float(total)

    def _n_risk_at(self, t: np.ndarray) -> np.ndarray:
        if self._stop is None or self._stop_w is None:
            pos = np.searchsorted(self.time, t, side="left")
            return np.append(self.n_risk, 0)[pos]
        risk = self._stop_w[np.searchsorted(self._stop, t, side="left")]
        if self._entry is not None and self._entry_w is not None:
            risk = risk - self._entry_w[np.searchsorted(self._entry, t, side="left")]
        return risk

    def _ci(self, surv: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _confint(surv, se, self.conf_type, self.conf_level)

    def at(self, times: object) -> SurvivalAt:
        """S(t), its CI and the number at risk at each of ``times`` (summary(fit, times=)).

        The curve is right-continuous: at an event time it already includes that drop.
        Before the first observed time S = 1. The number at risk is #{T >= t}.
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.isfinite(t).all():
            raise ValueError("times must be finite")
        idx = np.searchsorted(self.time, t, side="right") - 1
        before = idx < 0
        safe = np.where(before, 0, idx)
        surv = np.where(before, 1.0, self.surv[safe])
        se = np.where(before, 0.0, self.std_err[safe])
        # before the first observed time R reports the interval (1, 1); after it, the
        # curve's own limits (NA where S = 1 for the transformed intervals)
        lower = np.where(before, 1.0, self.lower[safe])
        upper = np.where(before, 1.0, self.upper[safe])
        # number at risk at t: everyone in follow-up at t (entry < t <= time)
        return SurvivalAt(
            time=t, surv=surv, std_err=se, lower=lower, upper=upper, n_risk=self._n_risk_at(t)
        )

    def risk_table(self, times: object) -> pd.DataFrame:
        """Numbers at risk (and cumulative events, censorings) at ``times``, for plots."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        at_risk = self._n_risk_at(t)
        upto = np.searchsorted(self.time, t, side="right")
        cum_e = np.concatenate([[0], np.cumsum(self.n_event)])[upto]
        cum_c = np.concatenate([[0], np.cumsum(self.n_censor)])[upto]
        return pd.DataFrame(
            {"time": t, "n_risk": at_risk, "cum_events": cum_e, "cum_censored": cum_c}
        )

    def quantile(self, q: float) -> tuple[float, float, float]:
        """The q-quantile of survival time and its CI, by R's rule (see :attr:`median`)."""
        if not 0 < q < 1:
            raise ValueError(f"q must be in (0, 1), got {q}")
        target = 1 - q
        return (
            _first_below(self.surv, self.time, target),
            _first_below(self.lower, self.time, target),
            _first_below(self.upper, self.time, target),
        )

    @property
    def median(self) -> float:
        """Smallest time with S(t) <= 0.5; if S = 0.5 exactly on an interval, its midpoint
        with the next event time (R's definition). NaN if the curve never reaches 0.5."""
        return self.quantile(0.5)[0]

    @property
    def median_ci(self) -> tuple[float, float]:
        """CI of the median: where the lower and the upper pointwise limits reach 0.5."""
        _, lo, hi = self.quantile(0.5)
        return lo, hi

    def _se_surv(self) -> np.ndarray:
        """Standard error of S(t) itself (Greenwood), NaN once S = 0 as in R."""
        with np.errstate(invalid="ignore"):
            return np.where(self.surv > 0, self.std_err * self.surv, np.nan)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "surv": self.surv,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )

    def summary(self) -> str:
        pct = round(100 * self.conf_level)
        lo, hi = self.median_ci
        head = [
            f"n = {self.n}, events = {self.events}"
            + (f", group = {self.label}" if self.label is not None else ""),
            f"Median survival {fmt_num(self.median, 2)} ({pct} % CI {fmt_num(lo, 2)} to "
            f"{fmt_num(hi, 2)}); CI type {self.conf_type!r}",
            "",
        ]
        ev = self.n_event > 0
        rows = [
            [
                fmt_num(t, 3),
                str(r),
                str(d),
                f"{s:.4f}",
                fmt_num(se, 4),
                fmt_num(lo_, 4),
                fmt_num(hi_, 4),
            ]
            for t, r, d, s, se, lo_, hi_ in zip(
                self.time[ev],
                self.n_risk[ev],
                self.n_event[ev],
                self.surv[ev],
                self._se_surv()[ev],
                self.lower[ev],
                self.upper[ev],
                strict=True,
            )
        ]
        body = table(["time", "n.risk", "n.event", "survival", "std.err", "lower", "upper"], rows)
        return box("Kaplan-Meier estimate", head + body)


@dataclass(frozen=True)
class KaplanMeierGroups:
    """Kaplan-Meier curves by group, in sorted order of the group labels."""

    curves: dict[object, KaplanMeier] = field(default_factory=dict)

    def __getitem__(self, key: object) -> KaplanMeier:
        return self.curves[key]

    @property
    def groups(self) -> list[object]:
        return list(self.curves)

    def risk_table(self, times: object) -> pd.DataFrame:
        """Numbers at risk per group (rows) at ``times`` (columns), for plots."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        return pd.DataFrame(
            {g: c.risk_table(t)["n_risk"].to_numpy() for g, c in self.curves.items()}, index=t
        ).T

    def summary(self) -> str:
        return "\n".join(c.summary() for c in self.curves.values())


def _confint(
    surv: np.ndarray, se: np.ndarray, conf_type: ConfType, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S(t) from se = SE of log S(t) (Klein & Moeschberger 2003, 4.3;
    Borgan & Liestol 1990 for the log-log and arcsine-square-root transforms)."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inside = (surv > 0) & (surv < 1)  # where the transformed intervals are defined
        p = np.where(inside, surv, 0.5)
        if conf_type == "log":
            # CI for log S(t); undefined once S = 0 (R: NA)
            lower = np.where(surv > 0, surv * np.exp(-z * se), np.nan)
            upper = np.where(surv > 0, np.minimum(surv * np.exp(z * se), 1.0), np.nan)
        elif conf_type == "log-log":
            # CI for log H(t) = log(-log S(t)), Var = se^2 / H^2; undefined at S = 0 and at
            # S = 1 (H = 0), where R gives NA
            h = -np.log(p)
            lower = np.where(inside, np.exp(-h * np.exp(z * se / h)), np.nan)
            upper = np.where(inside, np.exp(-h * np.exp(-z * se / h)), np.nan)
        elif conf_type == "logit":
            # CI for log(S / (1 - S)), Var = se^2 / (1 - S)^2
            lo_ = np.log(p / (1 - p))
            half = z * se / (1 - p)
            lower = np.where(inside, 1 / (1 + np.exp(-(lo_ - half))), np.nan)
            upper = np.where(inside, 1 / (1 + np.exp(-(lo_ + half))), np.nan)
        elif conf_type == "arcsin":
            # CI for arcsin(sqrt(S)), Var = se^2 S / (4 (1 - S)), kept within [0, pi/2]
            a = np.arcsin(np.sqrt(p))
            half = 0.5 * z * se * np.sqrt(p / (1 - p))
            lower = np.where(inside, np.sin(np.maximum(0.0, a - half)) ** 2, np.nan)
            upper = np.where(inside, np.sin(np.minimum(np.pi / 2, a + half)) ** 2, np.nan)
        elif conf_type == "plain":
            lower = np.clip(surv - z * se * surv, 0.0, 1.0)
            upper = np.clip(surv + z * se * surv, 0.0, 1.0)
        else:
            raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    return lower, upper


def _first_below(curve: np.ndarray, time: np.ndarray, target: float) -> float:
    keep = ~np.isnan(curve) & (curve < target + _MEDIAN_TOL)
    if not keep.any():
        return math.nan
    x, y = time[keep], curve[keep]
    if abs(y[0] - target) < _MEDIAN_TOL and (y < y[0]).any():
        # flat at exactly the target: midpoint to the time the curve next drops
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


def _km_one(
    t: np.ndarray,
    e: np.ndarray,
    conf_type: ConfType,
    conf_level: float,
    label: str | None,
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> KaplanMeier:
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    w = None if weights is None else weights[order]
    times, first, counts = np.unique(t, return_index=True, return_counts=True)
    if w is None:
        n_event = np.add.reduceat(e.astype(np.int64), first)
        n_censor = counts - n_event
        n_risk = t.size - first
    else:
        n_event = np.add.reduceat(np.where(e, w, 0.0), first)
        n_censor = np.add.reduceat(np.where(e, 0.0, w), first)
        n_risk = np.cumsum(w[::-1])[::-1][first]
    stop_w = entry_s = entry_w = None
    if entry is not None:
        # delayed entry: at risk at u are those with entry < u <= time
        ent = entry[order]
        we = np.ones(t.size) if w is None else w
        eo = np.argsort(ent, kind="stable")
        entry_s = ent[eo]
        entry_w = np.append(np.cumsum(we[eo][::-1])[::-1], 0.0)
        stop_w = np.append(np.cumsum(we[::-1])[::-1], 0.0)
        late = entry_w[np.searchsorted(entry_s, times, side="left")]
        n_risk = n_risk - (late if w is not None else late.astype(np.int64))
        if w is None:
            stop_w = stop_w.astype(np.int64)
            entry_w = entry_w.astype(np.int64)
    elif w is not None:
        stop_w = np.append(np.cumsum(w[::-1])[::-1], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n_risk > 0, 1.0 - n_event / np.where(n_risk > 0, n_risk, 1), 1))
        # Greenwood: Var(log S) = sum d / (n (n - d)); infinite once everyone has died
        terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    std_err = np.sqrt(np.cumsum(terms))
    lower, upper = _confint(surv, std_err, conf_type, conf_level)
    return KaplanMeier(
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
        conf_type=conf_type,
        conf_level=conf_level,
        n=int(t.size),
        label=label,
        _stop=None if stop_w is None else t,
        _stop_w=stop_w,
        _entry=entry_s,
        _entry_w=entry_w,
    )


def _entry_times(entry: object, t: np.ndarray) -> np.ndarray:
    s = as_float_1d("entry", entry)
    if s.size != t.size:
        raise ValueError(f"entry and time differ in length: {s.size} vs {t.size}")
    bad = np.flatnonzero(s >= t)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"entry must be before time (an interval (entry, time] of positive length); "
            f"element {i} has entry {float(s[i])!r} and time {float(t[i])!r}"
        )
    return s


def _case_weights(weights: object, n: int) -> np.ndarray:
    w = as_float_1d("weights", weights)
    if w.size != n:
        raise ValueError(f"weights and time differ in length: {w.size} vs {n}")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"weights must be >= 0; element {i} is {w[i]!r}")
    return w


def prepare_times(
    time: object, event: object, entry: object | None, timefix: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validated (time, event, entry), with R's timefix merge of near-equal times if asked."""
    t, e = time_event(time, event)
    s = None if entry is None else as_float_1d("entry", entry)
    if timefix:
        if s is None:
            (t,) = merge_near_ties(t)
        else:
            t, s = merge_near_ties(t, s)
    if s is not None:
        s = _entry_times(s, t)
    return t, e, s


def kaplan_meier(
    time: object,
    event: object,
    group: object | None = None,
    *,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    weights: object | None = None,
    entry: object | None = None,
    timefix: bool = True,
) -> KaplanMeier | KaplanMeierGroups:
    """Kaplan-Meier estimate with Greenwood variance (R: ``survfit(Surv(time, event) ~ 1)``).

    ``conf_type`` is "log" (R's default), "log-log", "plain", "logit" or "arcsin". With
    ``group`` the result holds one curve per group (R: ``survfit(Surv(time, event) ~
    group)``). ``weights`` are case weights (the Greenwood variance on the weighted counts,
    R's ``survfit(..., weights = w, robust = FALSE)``; for whole-number weights that is
    R's default). ``entry`` gives delayed entry (left truncation): a subject is at risk
    on (entry, time], R's ``Surv(entry, time, event)``. ``timefix`` merges times that
    differ only by round-off as R does (see ``gvhdtrial.stats._timefix``).

    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> [round(float(s), 4) for s in km.surv]
    [0.8, 0.6, 0.3, 0.3]
    """
    t, e, s = prepare_times(time, event, entry, timefix)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    w = None if weights is None else _case_weights(weights, t.size)
    if group is None:
        return _km_one(t, e, conf_type, conf_level, None, w, s)
    g = labels("group", group, t.size)
    return KaplanMeierGroups(
        {
            lev: _km_one(
                t[g == lev],
                e[g == lev],
                conf_type,
                conf_level,
                str(lev),
                None if w is None else w[g == lev],
                None if s is None else s[g == lev],
            )
            for lev in np.unique(g)
        }
    )


@dataclass(frozen=True)
class LogRank:
    """Result of :func:`logrank` (R: ``survdiff(..., rho = rho)``)."""

    groups: list[object]
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    statistic: float
    df: int
    p_value: float
    stratified: bool
    rho: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "n": self.n,
                "observed": self.observed,
                "expected": self.expected,
                "(O-E)^2/E": (self.observed - self.expected) ** 2 / self.expected,
                "(O-E)^2/V": (self.observed - self.expected) ** 2 / np.diag(self.variance),
            },
            index=pd.Index(self.groups, name="group"),
        )

    def summary(self) -> str:
        f = self.to_frame()
        rows = [
            [
                str(g),
                str(int(r.n)),
                f"{r.observed:.0f}",
                f"{r.expected:.2f}",
                f"{r.iloc[3]:.3f}",
                f"{r.iloc[4]:.3f}",
            ]
            for g, r in f.iterrows()
        ]
        lines = table(["group", "N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V"], rows)
        lines.append("")
        lines.append(
            f"Chisq = {self.statistic:.4f} on {self.df} degrees of freedom, "
            f"p = {fmt_p(self.p_value)}"
        )
        title = "Stratified log-rank test" if self.stratified else "Log-rank test"
        if self.rho != 0:
            title = f"{title} (G-rho family, rho = {self.rho:g})"
        return box(title, lines)


def _logrank_parts(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, k: int, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and variance over one stratum; g holds group codes 0..k-1.

    With ``rho`` every event time u is weighted by S(u-)^rho, S the Kaplan-Meier of the
    pooled stratum (Harrington & Fleming 1982's G-rho family; rho = 1 is the Peto-Peto
    modification of the Gehan-Wilcoxon test), as R's ``survdiff(rho = )``.
    """
    times, tidx = np.unique(t, return_inverse=True)
    m = times.size
    deaths = np.bincount(tidx * k + g, weights=e, minlength=m * k).reshape(m, k)
    counts = np.bincount(tidx * k + g, minlength=m * k).reshape(m, k).astype(float)
    at_risk = np.cumsum(counts[::-1], axis=0)[::-1]  # n_ug = #{T >= u, group g}
    d = deaths.sum(axis=1)
    n = at_risk.sum(axis=1)
    if rho != 0:
        surv_after = np.cumprod(1.0 - d / n)
        wt = np.concatenate(([1.0], surv_after[:-1])) ** rho
    else:
        wt = np.ones(m)
    keep = d > 0
    d, n, at_risk, deaths, wt = d[keep], n[keep], at_risk[keep], deaths[keep], wt[keep]
    share = at_risk / n[:, None]
    expected = ((wt * d)[:, None] * share).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, d * (n - d) / (n - 1), 0.0)  # hypergeometric factor
    c = c * wt**2
    variance = np.diag((c[:, None] * share).sum(axis=0)) - share.T @ (c[:, None] * share)
    return (wt[:, None] * deaths).sum(axis=0), expected, variance


def logrank(
    time: object,
    event: object,
    group: object,
    strata: object | None = None,
    *,
    rho: float = 0.0,
    timefix: bool = True,
) -> LogRank:
    """Log-rank test of k >= 2 groups, optionally stratified (R: ``survdiff``).

    The statistic is (O - E)' V^- (O - E) with V the hypergeometric covariance summed over
    the distinct event times (within strata) and V^- a generalized inverse; df is the
    number of groups with a positive expected count minus one. ``rho`` gives the G-rho
    family (weights S(t-)^rho; 1 is Peto-Peto), with O and E weighted as R reports them.

    >>> round(logrank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [1, 1, 1, 2, 2, 2]).p_value, 4)
    0.0246
    """
    t, e = time_event(time, event)
    if timefix:
        (t,) = merge_near_ties(t)
    if not np.isfinite(rho):
        raise ValueError(f"rho must be finite, got {rho}")
    g = labels("group", group, t.size)
    levels, codes = np.unique(g, return_inverse=True)
    k = levels.size
    if k < 2:
        raise ValueError(f"group must have at least 2 distinct values, got {list(levels)}")
    if strata is None:
        s_codes = np.zeros(t.size, dtype=np.int64)
    else:
        s_codes = np.unique(labels("strata", strata, t.size), return_inverse=True)[1]
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for s in np.unique(s_codes):
        sel = s_codes == s
        o, ex, v = _logrank_parts(t[sel], e[sel].astype(float), codes[sel], k, float(rho))
        observed += o
        expected += ex
        variance += v
    if observed.sum() == 0:
        raise ValueError("no events: the log-rank test is undefined when every time is censored")
    df = int((expected > 0).sum()) - 1
    diff = observed - expected
    statistic = float(diff @ np.linalg.pinv(variance, rcond=1e-10, hermitian=True) @ diff)
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else math.nan
    if df <= 0:
        raise ValueError(
            "log-rank test undefined: only one group has anyone at risk at event times"
        )
    return LogRank(
        groups=list(levels),
        n=np.bincount(codes, minlength=k),
        observed=observed,
        expected=expected,
        variance=variance,
        statistic=statistic,
        df=df,
        p_value=p_value,
        stratified=strata is not None,
        rho=float(rho),
    )
