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
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gvhdtrial.stats._format import box, fmt_num, fmt_p, table
from gvhdtrial.stats._validate import design, time_event
from gvhdtrial.stats._wald import WaldRatioLimits

Ties = Literal["efron", "breslow"]


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

    @property
    def hazard_ratio(self) -> np.ndarray:
        return np.exp(self.coef)

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


def cox(
    time: object,
    event: object,
    X: object,
    *,
    ties: Ties = "efron",
    conf_level: float = 0.95,
    eps: float = 1e-12,
    max_iter: int = 100,
) -> CoxResult:
    """Fit a Cox model (R: ``coxph(Surv(time, event) ~ X, ties = ties)``).

    ``X`` is a DataFrame (its column names name the coefficients), a Series, or an array.
    Converged when the relative change of the log partial likelihood is below ``eps``.
    The overall score test is evaluated at beta = 0 (the log-rank test for one binary X).
    """
    t, e = time_event(time, event)
    Z, names = design(X, t.size)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if not e.any():
        raise ValueError("no events: a Cox model needs at least one event (all are censored)")
    data = _CoxData(t, e, Z, ties)

    beta = np.zeros(data.p)
    ll0, u0, i0 = data.evaluate(beta)
    score_stat = float(u0 @ _solve(i0, u0, names))
    ll, u, info = ll0, u0, i0
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
    cov = _solve(info, np.eye(data.p), names)
    se = np.sqrt(np.diag(cov))
    if not converged:
        warnings.warn(
            f"Cox fit did not converge in {max_iter} iterations", ConvergenceWarning, stacklevel=2
        )
    # monotone likelihood: the coefficient runs off while its information vanishes
    sd = Z.std(axis=0)
    big = ((np.abs(beta) * sd > 5) & (se * sd > 100)) | (np.abs(beta) * sd > 30)
    if big.any():
        warnings.warn(
            "Cox coefficient(s) may be infinite (monotone likelihood, e.g. no events in a "
            f"group): {[n for n, b in zip(names, big, strict=True) if b]}",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = beta / se
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
        wald_statistic=float(beta @ info @ beta),
        score_statistic=score_stat,
        lr_statistic=2 * (ll - ll0),
        df=data.p,
        n=int(t.size),
        n_events=int(e.sum()),
        ties=ties,
        iterations=iterations,
        converged=converged,
    )


__all__ = ["ConvergenceWarning", "CoxResult", "cox"]
