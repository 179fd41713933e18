"""Cox proportional hazards regression (Efron or Breslow ties), fast at n = 10^6.

Partial likelihood, score and information from Therneau & Grambsch (2000), section 3.3
(Efron's approximation: eq. 3.6-3.8), maximised by Newton-Raphson with step halving.

Why it is O(n p^2) per Newton step: the data are sorted by time once; every risk-set sum
S_k(t) = sum_{T_j >= t} r_j Z_j^(k) is a backward cumulative sum read at the first index of
each distinct time. Efron's tie correction needs, for the d tied deaths at t and
l = 0..d-1, S_k(t) - (l/d) D_k(t), with D_k the same sums over the tied deaths only; these
are formed once per death (O(total deaths)). The information's second-moment term
sum_l S2_l / S0_l is rewritten as sum_j r_j Z_j Z_j' * W_j, where W_j accumulates
sum_l 1/S0_l over the event times at or before T_j, so it is one weighted cross-product
Z' diag(r W) Z and nothing is ever n x n (or n x p x p).

Pinned against R ``survival::coxph`` 3.5-3 (eps = 1e-11) in tests/stats/test_cox.py.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gvhdtrial.stats._cox_general import CoxCounting
from gvhdtrial.stats._format import box, fmt_num, fmt_p, table
from gvhdtrial.stats._timefix import merge_near_ties
from gvhdtrial.stats._validate import as_float_1d, design, labels, time_event
from gvhdtrial.stats._wald import WaldRatioLimits

Ties = Literal["efron", "breslow", "exact"]


class ConvergenceWarning(UserWarning):
    """The fit stopped at its iteration limit or a coefficient may be infinite."""


@dataclass(frozen=True)
class CoxResult(WaldRatioLimits):
    """Result of :func:`cox`; arrays are in the order of ``names``."""

    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    conf_level: float
    loglik: float
    loglik_null: float
    wald_statistic: float
    score_statistic: float
    lr_statistic: float
    df: int
    n: int
    n_events: int
    ties: Ties
    iterations: int
    converged: bool
    robust: bool = False
    naive_se: np.ndarray | None = None
    strata_levels: tuple[object, ...] = ()
    _engine_args: tuple | None = field(default=None, repr=False, compare=False)
    _engine: CoxCounting | None = field(default=None, repr=False, compare=False)

    @property
    def hazard_ratio(self) -> np.ndarray:
        return np.exp(self.coef)

    def _general(self) -> CoxCounting:
        """The counting-process engine over the fitted data (built on first use)."""
        if self._engine_args is None:  # pragma: no cover - cox() always keeps them
            raise ValueError("this fit holds no data for baseline hazards")
        if self._engine is None:
            object.__setattr__(self, "_engine", CoxCounting(*self._engine_args))
        assert self._engine is not None
        return self._engine

    def baseline_hazard(self) -> pd.DataFrame:
        """Cumulative baseline hazard at covariates 0 (offset 0) at each distinct observed
        time, per stratum (R: ``basehaz(fit, centered = FALSE)``; Breslow increments
        d / S0, or Efron's sum_l meanwt / S0_l with ``ties="efron"``, as ``survfit.coxph``).

        >>> fit = cox([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1], [0, 1, 0, 1, 1, 0])
        >>> [round(float(h), 4) for h in fit.baseline_hazard().hazard]  # as R basehaz
        [0.1751, 0.3873, 0.6499, 0.6499, 1.1751, 2.1751]
        """
        eng = self._general()
        dl, _, _ = eng.baseline_increments(self.coef)
        dl = dl * np.exp(-eng.center @ self.coef)
        parts = []
        for s in np.unique(eng.strata):
            sel = eng.event_stratum == s
            cum = np.concatenate(([0.0], np.cumsum(dl[sel])))
            times = np.unique(eng._stop_times[eng.strata == s])
            hz = cum[np.searchsorted(eng.event_time[sel], times, side="right")]
            part = pd.DataFrame({"time": times, "hazard": hz})
            if self.strata_levels:
                part["strata"] = self.strata_levels[int(s)]
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def predict_survival(
        self,
        x: object,
        times: object,
        *,
        strata: object | None = None,
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Predicted survival S(t | x) = exp(-exp(x'b) H0(t)) for each row of ``x`` at
        ``times``, with the standard error of the cumulative hazard (both variance terms:
        the baseline's and the coefficients', Therneau & Grambsch section 10.2) and the
        log-scale CI, as R's ``summary(survfit(fit, newdata = x), times = times)``.
        ``strata`` gives each row's stratum in a stratified fit. One row per (x row,
        time), long format. ``std_err`` is the SE of the cumulative hazard (R's
        ``summary()`` shows that of S, std_err x surv).

        >>> fit = cox([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1], [0, 1, 0, 1, 1, 0])
        >>> p = fit.predict_survival([[1.0]], [3.0])
        >>> round(float(p.surv[0]), 3), round(float(p.lower[0]), 2), float(p.upper[0])  # R
        (0.556, 0.23, 1.0)
        """
        eng = self._general()
        xm = np.atleast_2d(np.asarray(x, dtype=float))
        if xm.shape[1] != self.coef.size:
            raise ValueError(f"x has {xm.shape[1]} columns but the model has {self.coef.size}")
        tt = np.atleast_1d(np.asarray(times, dtype=float))
        if self.strata_levels:
            if strata is None:
                raise ValueError("the model is stratified: give each row's stratum (strata=)")
            lev = list(self.strata_levels)
            s_lab = np.atleast_1d(np.asarray(strata, dtype=object))
            if s_lab.size != xm.shape[0]:
                raise ValueError(f"strata has {s_lab.size} values for {xm.shape[0]} rows of x")
            unknown = [v for v in s_lab if v not in lev]
            if unknown:
                raise ValueError(f"stratum {unknown[0]!r} is not in the model; strata: {lev}")
            s_code = np.array([lev.index(v) for v in s_lab])
        else:
            s_code = np.zeros(xm.shape[0], dtype=int)
        dl, v1, xa = eng.baseline_increments(self.coef)
        z = stats.norm.ppf(0.5 + conf_level / 2)
        rows = []
        for i, xi in enumerate(xm):
            xc = xi - eng.center
            risk = float(np.exp(xc @ self.coef))
            sel = eng.event_stratum == s_code[i]
            et = eng.event_time[sel]
            cum_h = np.concatenate(([0.0], np.cumsum(dl[sel])))
            cum_v = np.concatenate(([0.0], np.cumsum(v1[sel])))
            q = np.vstack([np.zeros(self.coef.size), np.cumsum(np.outer(dl[sel], xc) - xa[sel], 0)])
            pos = np.searchsorted(et, tt, side="right")
            h = risk * cum_h[pos]
            qq = q[pos]
            var = risk**2 * (cum_v[pos] + np.einsum("ij,jk,ik->i", qq, self.naive_cov_, qq))
            se = np.sqrt(var)
            surv = np.exp(-h)
            for j, t in enumerate(tt):
                rows.append(
                    {
                        "row": i,
                        "time": t,
                        "surv": surv[j],
                        "cumhaz": h[j],
                        "std_err": se[j],
                        "lower": surv[j] * np.exp(-z * se[j]),
                        "upper": min(1.0, surv[j] * np.exp(z * se[j])),
                    }
                )
        return pd.DataFrame(rows)

    @property
    def naive_cov_(self) -> np.ndarray:
        """The model-based covariance (inverse information), robust or not."""
        if self.naive_se is None or not self.robust:
            return self.cov
        return self._naive_cov

    @property
    def _naive_cov(self) -> np.ndarray:
        eng = self._general()
        _, _, info = eng.evaluate(self.coef)
        return np.linalg.inv(info)

    @property
    def wald_p(self) -> float:
        return float(stats.chi2.sf(self.wald_statistic, self.df))

    @property
    def score_p(self) -> float:
        return float(stats.chi2.sf(self.score_statistic, self.df))

    @property
    def lr_p(self) -> float:
        return float(stats.chi2.sf(self.lr_statistic, self.df))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "coef": self.coef,
                "hazard_ratio": self.hazard_ratio,
                "se": self.se,
                "z": self.z,
                "p_value": self.p_value,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            },
            index=pd.Index(self.names, name="term"),
        )

    def summary(self) -> str:
        pct = round(100 * self.conf_level)
        rows = [
            [
                name,
                f"{b:.4f}",
                fmt_num(hr, 4),
                f"{s:.4f}",
                f"{z:.3f}",
                fmt_p(p),
                fmt_num(lo, 3),
                fmt_num(hi, 3),
            ]
            for name, b, hr, s, z, p, lo, hi in zip(
                self.names,
                self.coef,
                self.hazard_ratio,
                self.se,
                self.z,
                self.p_value,
                self.ci_low,
                self.ci_high,
                strict=True,
            )
        ]
        lines = [
            f"n = {self.n}, events = {self.n_events}, ties = {self.ties}, "
            f"iterations = {self.iterations}",
            f"Log partial likelihood: {self.loglik:.4f} (null {self.loglik_null:.4f})",
            "",
            *table(["term", "coef", "HR", "se", "z", "p", f"{pct}% lo", f"{pct}% hi"], rows),
            "",
            f"Likelihood ratio test = {self.lr_statistic:.3f} on {self.df} df, "
            f"p = {fmt_p(self.lr_p)}",
            f"Wald test             = {self.wald_statistic:.3f} on {self.df} df, "
            f"p = {fmt_p(self.wald_p)}",
            f"Score (log-rank) test = {self.score_statistic:.3f} on {self.df} df, "
            f"p = {fmt_p(self.score_p)}",
        ]
        return box("Cox proportional hazards regression", lines)


class _CoxData:
    """Sorted, centred data and the index bookkeeping for risk sets and tied deaths."""

    def __init__(self, t: np.ndarray, e: np.ndarray, Z: np.ndarray, ties: Ties) -> None:
        order = np.argsort(t, kind="stable")
        t = t[order]
        self.n, self.p = Z.shape
        self.Z = Z[order] - Z.mean(axis=0)
        self.dead = np.flatnonzero(e[order])
        self.Zd = self.Z[self.dead]
        self.Zd_sum = self.Zd.sum(axis=0)
        # first sorted index of each distinct time (the risk set of that time starts there)
        td = t[self.dead]
        change = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        group_of_index = np.cumsum(np.r_[True, t[1:] != t[:-1]]) - 1
        # distinct event times, the deaths at each, and where their risk sets start
        dgroup = group_of_index[self.dead]
        self.dstart = np.flatnonzero(np.r_[True, td[1:] != td[:-1]])  # in the deaths array
        self.n_dead = np.diff(np.r_[self.dstart, td.size])
        self.risk_start = change[dgroup[self.dstart]]
        self.death_group = np.repeat(np.arange(self.dstart.size), self.n_dead)
        if ties == "efron":
            rank_in_group = np.arange(td.size) - np.repeat(self.dstart, self.n_dead)
            self.frac = rank_in_group / self.n_dead[self.death_group]
        else:
            self.frac = np.zeros(td.size)

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log partial likelihood, score and information at beta.

        Where a trial step runs off (a risk set's weights underflow, as when a coefficient
        diverges), the log-likelihood is -inf and the caller halves the step.
        """
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            loglik, score, info = self._evaluate(beta)
        if not np.isfinite(loglik) or not np.all(np.isfinite(info)):
            return -np.inf, score, info
        return loglik, score, info

    def _evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = self.Z @ beta
        shift = eta.max()  # the likelihood is invariant to a common shift; avoids overflow
        r = np.exp(eta - shift)
        rZ = self.Z * r[:, None]
        s0 = np.cumsum(r[::-1])[::-1][self.risk_start]
        s1 = np.cumsum(rZ[::-1], axis=0)[::-1][self.risk_start]
        rd = r[self.dead]
        d0 = np.add.reduceat(rd, self.dstart)
        d1 = np.add.reduceat(rZ[self.dead], self.dstart, axis=0)
        g, f = self.death_group, self.frac
        s0_l = s0[g] - f * d0[g]
        a = (s1[g] - f[:, None] * d1[g]) / s0_l[:, None]
        loglik = float((eta[self.dead] - shift).sum() - np.log(s0_l).sum())
        score = self.Zd_sum - a.sum(axis=0)
        inv = 1.0 / s0_l
        w0 = np.bincount(g, weights=inv, minlength=self.dstart.size)
        w1 = np.bincount(g, weights=f * inv, minlength=self.dstart.size)
        acc = np.zeros(self.n)
        acc[self.risk_start] = w0  # one distinct event time per start index
        weight = r * np.cumsum(acc)
        info = (self.Z * weight[:, None]).T @ self.Z
        if f.any():
            wd = rd * w1[g]
            info -= (self.Zd * wd[:, None]).T @ self.Zd
        info -= a.T @ a
        return loglik, score, info


def _solve(info: np.ndarray, rhs: np.ndarray, names: list[str]) -> np.ndarray:
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        evals, evecs = np.linalg.eigh(info)
        j = int(np.argmax(np.abs(evecs[:, int(np.argmin(evals))])))
        raise ValueError(
            "Cox information matrix is singular: a covariate is constant or collinear "
            f"(most involved: {names[j]!r}), or has no variation among patients at risk"
        ) from None
    y = np.linalg.solve(chol, rhs)
    return np.linalg.solve(chol.T, y)


def _newton(data, names: list[str], p: int, eps: float, max_iter: int, init=None):
    beta = np.zeros(p) if init is None else init
    ll0, u0, i0 = data.evaluate(np.zeros(p))
    score_stat = float(u0 @ _solve(i0, u0, names))
    ll, u, info = data.evaluate(beta) if init is not None else (ll0, u0, i0)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported in the result)
        step = _solve(info, u, names)
        new = beta + step
        ll_new, u_new, info_new = data.evaluate(new)
        halvings = 0
        while not (ll_new >= ll - 1e-12 * abs(ll)) and halvings < 30:
            new = (new + beta) / 2  # step halving (Therneau & Grambsch, section 3.5)
            ll_new, u_new, info_new = data.evaluate(new)
            halvings += 1
        if not (ll_new >= ll - 1e-12 * abs(ll)):
            # no step improves the likelihood any more: the coefficient is running off to
            # infinity faster than the weights can be represented (monotone likelihood). Stop
            # at the last point whose likelihood is finite; the warning below says why.
            converged = True
            break
        done = abs(ll_new - ll) <= eps * abs(ll_new) or np.max(np.abs(new - beta)) < 1e-13
        beta, ll, u, info = new, ll_new, u_new, info_new
        if done:
            converged = True
            break
    return beta, ll, ll0, info, score_stat, iterations, converged


def cox(
    time: object,
    event: object,
    X: object,
    *,
    ties: Ties = "efron",
    conf_level: float = 0.95,
    eps: float = 1e-12,
    max_iter: int = 100,
    strata: object | None = None,
    weights: object | None = None,
    cluster: object | None = None,
    robust: bool | None = None,
    entry: object | None = None,
    offset: object | None = None,
    timefix: bool = True,
) -> CoxResult:
    """Fit a Cox model (R: ``coxph(Surv(time, event) ~ X, ties = ties)``).

    ``X`` is a DataFrame (its column names name the coefficients), a Series, or an array.
    Converged when the relative change of the log partial likelihood is below ``eps``.
    The overall score test is evaluated at beta = 0 (the log-rank test for one binary X).

    As ``coxph``: ``strata`` (a separate baseline hazard per stratum, ``+ strata(s)``),
    ``weights`` (case weights), ``cluster`` (the robust sandwich variance D'D of the
    dfbeta residuals summed within clusters, ``+ cluster(id)``; ``robust=True`` without
    ``cluster`` treats each row as its own cluster), ``entry`` (counting-process data
    ``Surv(entry, time, event)``: at risk on (entry, time], for delayed entry and
    time-varying covariates split into rows), ``offset`` (a known term in the linear
    predictor), ``ties="exact"`` (the exact partial likelihood of tied deaths, the
    discrete logistic model) and ``timefix`` (R's merge of near-equal times). With a robust
    variance ``se``, ``z``, ``p_value``, the CI and the Wald test use it, as R's summary;
    ``naive_se`` keeps the model-based one.

    >>> fit = cox([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1], [0, 1, 0, 1, 1, 0])
    >>> round(float(fit.coef[0]), 4)
    -0.1008
    """
    t, e = time_event(time, event)
    Z, names = design(X, t.size)
    if ties not in ("efron", "breslow", "exact"):
        raise ValueError(f"ties must be 'efron', 'breslow' or 'exact', got {ties!r}")
    if not e.any():
        raise ValueError("no events: a Cox model needs at least one event (all are censored)")
    start = None if entry is None else as_float_1d("entry", entry)
    if start is not None and start.size != t.size:
        raise ValueError(f"entry and time differ in length: {start.size} vs {t.size}")
    if timefix:
        if start is None:
            (t_fixed,) = merge_near_ties(t)
        else:
            t_fixed, start = merge_near_ties(t, start)
        t = t_fixed
    if start is not None:
        bad = np.flatnonzero(start >= t)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"entry must be before time; row {i} has entry {float(start[i])!r} and "
                f"time {float(t[i])!r}"
            )
    general = any(v is not None for v in (strata, weights, cluster, entry, offset)) or bool(robust)
    general = general or ties == "exact"
    strata_levels: tuple[object, ...] = ()
    if not general:
        data: _CoxData | CoxCounting = _CoxData(t, e, Z, ties)  # type: ignore[arg-type]
        engine = None
        n0 = t.size
        engine_args: tuple = (
            np.full(n0, -np.inf),
            t,
            e,
            Z,
            np.ones(n0),
            np.zeros(n0),
            np.zeros(n0, np.int64),
            ties,
        )
    else:
        w = np.ones(t.size) if weights is None else as_float_1d("weights", weights)
        if w.size != t.size:
            raise ValueError(f"weights and time differ in length: {w.size} vs {t.size}")
        if (w <= 0).any():
            i = int(np.flatnonzero(w <= 0)[0])
            raise ValueError(f"weights must be > 0; row {i} is {float(w[i])!r}")
        if ties == "exact" and weights is not None:
            raise ValueError("ties='exact' does not take case weights (as coxph)")
        off = np.zeros(t.size) if offset is None else as_float_1d("offset", offset)
        if off.size != t.size:
            raise ValueError(f"offset and time differ in length: {off.size} vs {t.size}")
        if strata is None:
            s_codes = np.zeros(t.size, dtype=np.int64)
        else:
            lev, s_codes = np.unique(labels("strata", strata, t.size), return_inverse=True)
            strata_levels = tuple(lev.tolist())
        st = np.full(t.size, -np.inf) if start is None else start
        engine_args = (st, t, e, Z, w, off, s_codes.astype(np.int64), ties)
        data = CoxCounting(*engine_args)
        engine = data
    p = Z.shape[1]
    beta, ll, ll0, info, score_stat, iterations, converged = _newton(data, names, p, eps, max_iter)
    cov = _solve(info, np.eye(p), names)
    naive_se = np.sqrt(np.diag(cov))
    if robust is None:
        # coxph's default: robust with a cluster, or with case weights other than 0 or 1
        w_in = None if weights is None else np.asarray(weights, dtype=float)
        robust = cluster is not None or (w_in is not None and bool(np.any(w_in != 1)))
    use_robust = cluster is not None or bool(robust)
    if use_robust:
        assert engine is not None
        resid = engine.score_residuals(beta)
        dfbeta = resid @ cov
        if cluster is not None:
            c_codes = np.unique(labels("cluster", cluster, t.size), return_inverse=True)[1]
            grouped = np.zeros((int(c_codes.max()) + 1, p))
            np.add.at(grouped, c_codes, dfbeta)
        else:
            grouped = dfbeta
        cov = grouped.T @ grouped
    se = np.sqrt(np.diag(cov))
    if not converged:
        warnings.warn(
            f"Cox fit did not converge in {max_iter} iterations", ConvergenceWarning, stacklevel=2
        )
    # monotone likelihood: the coefficient runs off while its information vanishes
    sd = Z.std(axis=0)
    big = ((np.abs(beta) * sd > 5) & (naive_se * sd > 100)) | (np.abs(beta) * sd > 30)
    if big.any():
        warnings.warn(
            "Cox coefficient(s) may be infinite (monotone likelihood, e.g. no events in a "
            f"group): {[n for n, b in zip(names, big, strict=True) if b]}",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = beta / se
    wald = float(beta @ np.linalg.solve(cov, beta)) if use_robust else float(beta @ info @ beta)
    return CoxResult(
        names=names,
        coef=beta,
        se=se,
        cov=cov,
        z=z,
        p_value=2 * stats.norm.sf(np.abs(z)),
        conf_level=conf_level,
        loglik=ll,
        loglik_null=ll0,
        wald_statistic=wald,
        score_statistic=score_stat,
        lr_statistic=2 * (ll - ll0),
        df=p,
        n=int(t.size),
        n_events=int(e.sum()),
        ties=ties,
        iterations=iterations,
        converged=converged,
        robust=use_robust,
        naive_se=naive_se if use_robust else None,
        strata_levels=strata_levels,
        _engine_args=engine_args,
        _engine=engine,
    )


__all__ = ["ConvergenceWarning", "CoxResult", "cox"]


@dataclass(frozen=True)
class CoxZphResult:
    """Grambsch-Therneau tests of proportional hazards (R: ``cox.zph``)."""

    names: list[str]
    chisq: np.ndarray  # one per covariate, then the global test
    df: np.ndarray
    p_value: np.ndarray
    transform: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"chisq": self.chisq, "df": self.df, "p": self.p_value},
            index=pd.Index([*self.names, "GLOBAL"], name="term"),
        )

    def summary(self) -> str:
        rows = [
            [n, f"{c:.4f}", f"{d:g}", fmt_p(p)]
            for n, c, d, p in zip(
                [*self.names, "GLOBAL"], self.chisq, self.df, self.p_value, strict=True
            )
        ]
        lines = [f"transform = {self.transform!r}", "", *table(["", "chisq", "df", "p"], rows)]
        return box("Test of proportional hazards (Grambsch-Therneau)", lines)


def cox_zph(fit: CoxResult, transform: str = "km") -> CoxZphResult:
    """Score tests that each coefficient is constant in time, and a global test (R:
    ``cox.zph(fit, transform = "km")``; Grambsch & Therneau, Biometrika 1994).

    The model beta(t) = beta + theta g(t) is tested by the score test for theta = 0 at
    the fitted beta, using the full information matrix of (beta, theta): with V_k the
    covariance of Z over the risk set at event time t_k (Efron-averaged when ties are
    "efron") and r_k the sum of the Schoenfeld residuals there, U = sum g_k r_k and the
    statistic is U' (sum g^2 V - (sum g V)(sum V)^-1 (sum g V))^-1 U on p df; each
    covariate alone on 1 df. ``transform`` is g: "km" (1 - the Kaplan-Meier of all rows
    just before t, the default as in R), "rank" (rank of t among all observed times, ties
    averaged), "identity" or
    "log".

    >>> fit = cox([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 1, 0], [0, 1, 0, 1, 1, 0, 1, 0])
    >>> round(float(cox_zph(fit).p_value[-1]), 4)
    0.3751
    """
    if transform not in ("km", "rank", "identity", "log"):
        raise ValueError(f"transform must be 'km', 'rank', 'identity' or 'log', got {transform!r}")
    eng = fit._general()
    if eng.ties == "exact":
        raise ValueError("cox_zph is not available for ties='exact'")
    with np.errstate(over="ignore", under="ignore"):
        _, _, _, (r, s0_l, a, _) = eng._evaluate(fit.coef)
    g_idx, f = eng.death_group, eng.frac
    p = eng.p
    K = eng.K
    mw = eng.meanwt[g_idx]
    zz = eng.Z[:, :, None] * eng.Z[:, None, :]
    s2 = eng._risk(r[:, None, None] * zz)
    d2 = np.add.reduceat((r[eng.dead][:, None, None] * zz[eng.dead]), eng.dstart, axis=0)
    s2_l = s2[g_idx] - f[:, None, None] * d2[g_idx]
    v_l = mw[:, None, None] * (s2_l / s0_l[:, None, None] - a[:, :, None] * a[:, None, :])
    V = np.zeros((K, p, p))
    np.add.at(V, g_idx, v_l)
    resid = np.zeros((K, p))
    np.add.at(resid, g_idx, eng.wd[:, None] * eng.Zd - mw[:, None] * a)
    t_k = eng.event_time
    if transform == "identity":
        g = t_k
    elif transform == "log":
        g = np.log(t_k)
    elif transform == "rank":
        # ranks of the times among all rows' times (ties averaged), read at each event time
        all_ranks = stats.rankdata(eng._stop_times)
        g = all_ranks[eng.dead][eng.dstart]
    else:
        stop = eng._stop_times
        ev = np.zeros(stop.size, dtype=bool)
        ev[eng.dead] = True
        km = _km_left(stop, ev, eng.w, t_k)
        g = 1.0 - km
    g = g - g[g_idx].mean()  # centred over the deaths (the tests do not depend on it)
    U = (g[:, None] * resid).sum(axis=0)
    i_bb = V.sum(axis=0)
    i_tb = (g[:, None, None] * V).sum(axis=0)
    i_tt = (g[:, None, None] ** 2 * V).sum(axis=0)
    inv_bb = np.linalg.inv(i_bb)
    schur = i_tt - i_tb @ inv_bb @ i_tb.T
    chisq = np.empty(p + 1)
    for j in range(p):
        chisq[j] = U[j] ** 2 / schur[j, j]
    chisq[p] = float(U @ np.linalg.solve(schur, U))
    df = np.r_[np.ones(p), p]
    return CoxZphResult(
        names=list(fit.names),
        chisq=chisq,
        df=df,
        p_value=stats.chi2.sf(chisq, df),
        transform=transform,
    )


def _km_left(stop: np.ndarray, event: np.ndarray, w: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of all rows (weighted) just before each of ``at``."""
    times, inv = np.unique(stop, return_inverse=True)
    d = np.bincount(inv, weights=np.where(event, w, 0.0), minlength=times.size)
    cnt = np.bincount(inv, weights=w, minlength=times.size)
    n = np.cumsum(cnt[::-1])[::-1]
    s = np.cumprod(1 - d / n)
    pos = np.searchsorted(times, at, side="left") - 1
    return np.where(pos >= 0, s[np.maximum(pos, 0)], 1.0)


__all__ += ["CoxZphResult", "cox_zph"]
