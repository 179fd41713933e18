"""The general Cox engine: (start, stop] data, strata, case weights, offset; Efron, Breslow
or exact ties; score residuals for the robust (sandwich) variance; baseline hazard.

Formulas from Therneau & Grambsch (2000): the counting-process partial likelihood
(section 3.7), Efron's approximation with case weights (each of the d tied deaths enters
the l-th denominator S0 - (l/d) D0 with the deaths' mean weight; section 3.3), the score
residuals and the grouped jackknife (dfbeta) variance D'D (section 7.2), and the exact
partial likelihood of tied deaths as the discrete logistic model (section 3.3, Gail,
Lubin & Rubinstein 1981), computed by the recursion on elementary symmetric sums.

Why it is O(n p^2) per Newton step: rows are sorted once by (stratum, stop) and once by
(stratum, start); a risk-set sum sum_{start < t <= stop} r Z is the backward cumulative sum
over stop times read at t minus the same over start times read at t, each bounded to the
stratum's block. Per-row sums over the event times in (start, stop] (the information's
second-moment term, the score residuals) are differences of forward cumulative sums over
the event times. Nothing n x n or n x p x p is formed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Ties = Literal["efron", "breslow", "exact"]


class CoxCounting:
    """Data of a Cox model in counting-process form, sorted and indexed once."""

    def __init__(
        self,
        start: np.ndarray,
        stop: np.ndarray,
        event: np.ndarray,
        Z: np.ndarray,
        weights: np.ndarray,
        offset: np.ndarray,
        strata: np.ndarray,
        ties: Ties,
    ) -> None:
        self.n, self.p = Z.shape
        self.center = Z.mean(axis=0)
        self.Z = Z - self.center
        self.w = weights
        self.offset = offset
        self.ties = ties
        self.strata = strata
        grid = np.unique(np.concatenate([stop, start[np.isfinite(start)]]))
        m = grid.size + 2
        # integer keys that order (stratum, time); -inf start is below every time
        self.key_stop = strata * m + 1 + np.searchsorted(grid, stop)
        k_start = np.where(np.isfinite(start), 1 + np.searchsorted(grid, start), 0)
        self.key_start = strata * m + k_start
        self.key_end = (strata + 1) * m  # first key of the next stratum
        self.o_stop = np.lexsort((stop, strata))
        self.o_start = np.lexsort((start, strata))
        self._stop_times = stop
        self.ks_sorted = self.key_stop[self.o_stop]
        self.kt_sorted = self.key_start[self.o_start]
        dead = np.flatnonzero(event)
        dead = dead[np.argsort(self.key_stop[dead], kind="stable")]
        self.dead = dead
        kd = self.key_stop[dead]
        self.dstart = np.flatnonzero(np.r_[True, kd[1:] != kd[:-1]])
        self.n_dead = np.diff(np.r_[self.dstart, kd.size])
        self.K = self.dstart.size
        self.event_key = kd[self.dstart]
        self.event_time = stop[dead][self.dstart]
        self.event_stratum = strata[dead][self.dstart]
        self.death_group = np.repeat(np.arange(self.K), self.n_dead)
        wd = weights[dead]
        self.wd = wd
        self.meanwt = np.add.reduceat(wd, self.dstart) / self.n_dead if self.K else np.zeros(0)
        end = (self.event_stratum + 1) * m
        self.i_stop = np.searchsorted(self.ks_sorted, self.event_key, side="left")
        self.e_stop = np.searchsorted(self.ks_sorted, end, side="left")
        # start >= t leaves the risk set at t
        self.i_start = np.searchsorted(self.kt_sorted, self.event_key, side="left")
        self.e_start = np.searchsorted(self.kt_sorted, end, side="left")
        if ties == "efron":
            rank = np.arange(dead.size) - np.repeat(self.dstart, self.n_dead)
            self.frac = rank / self.n_dead[self.death_group]
        else:
            self.frac = np.zeros(dead.size)
        # per row: event groups in (start, stop] are those with event_key in that range
        self.row_hi = np.searchsorted(self.event_key, self.key_stop, side="right")
        self.row_lo = np.searchsorted(self.event_key, self.key_start, side="right")
        self.Zd = self.Z[dead]
        self.tied_exact = np.flatnonzero(self.n_dead > 1) if ties == "exact" else np.zeros(0, int)

    # -- risk-set sums -----------------------------------------------------------------
    def _risk(self, v: np.ndarray) -> np.ndarray:
        """sum over the risk set of each event group of v (first axis = rows)."""
        bs = np.zeros((self.n + 1, *v.shape[1:]))
        bs[:-1] = np.cumsum(v[self.o_stop][::-1], axis=0)[::-1]
        bt = np.zeros((self.n + 1, *v.shape[1:]))
        bt[:-1] = np.cumsum(v[self.o_start][::-1], axis=0)[::-1]
        return bs[self.i_stop] - bs[self.e_stop] - (bt[self.i_start] - bt[self.e_start])

    def _per_row(self, per_event: np.ndarray) -> np.ndarray:
        """For each row, the sum of per_event over the event groups in (start, stop]."""
        cum = np.zeros((self.K + 1, *per_event.shape[1:]))
        np.cumsum(per_event, axis=0, out=cum[1:])
        return cum[self.row_hi] - cum[self.row_lo]

    def eta(self, beta: np.ndarray) -> np.ndarray:
        return self.Z @ beta + self.offset

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            ll, u, info, _ = self._evaluate(beta)
        if not np.isfinite(ll) or not np.all(np.isfinite(info)):
            return -np.inf, u, info
        return ll, u, info

    def _evaluate(self, beta: np.ndarray):
        eta = self.eta(beta)
        shift = eta.max()
        r = self.w * np.exp(eta - shift)
        rZ = self.Z * r[:, None]
        s0 = self._risk(r)
        s1 = self._risk(rZ)
        d = self.dead
        g, f = self.death_group, self.frac
        rd = r[d]
        d0 = np.add.reduceat(rd, self.dstart) if self.K else np.zeros(0)
        d1 = np.add.reduceat(rZ[d], self.dstart, axis=0) if self.K else np.zeros((0, self.p))
        s0_l = s0[g] - f * d0[g]
        a = (s1[g] - f[:, None] * d1[g]) / s0_l[:, None]
        mw = self.meanwt[g]
        loglik = float((self.wd * (eta[d] - shift)).sum() - (mw * np.log(s0_l)).sum())
        score = (self.wd[:, None] * self.Zd).sum(axis=0) - (mw[:, None] * a).sum(axis=0)
        inv = mw / s0_l
        w0 = np.bincount(g, weights=inv, minlength=self.K)
        weight = r * self._per_row(w0)
        info = (self.Z * weight[:, None]).T @ self.Z
        if f.any():
            w1 = np.bincount(g, weights=f * inv, minlength=self.K)
            wd_ = rd * w1[g]
            info -= (self.Zd * wd_[:, None]).T @ self.Zd
        info -= (a * mw[:, None]).T @ a
        parts = (r, s0_l, a, shift)
        if self.tied_exact.size:
            loglik, score, info = self._exact_correction(beta, eta, loglik, score, info, parts)
        return loglik, score, info, parts

    # -- exact partial likelihood at tied times ----------------------------------------
    def _risk_rows(self, k: int) -> np.ndarray:
        s = self.event_stratum[k]
        t_key = self.event_key[k]
        return np.flatnonzero(
            (self.strata == s) & (self.key_stop >= t_key) & (self.key_start < t_key)
        )

    def _exact_correction(self, beta, eta, loglik, score, info, parts):
        """Replace the Breslow terms of tied event times by the exact ones."""
        r, s0_l, a, shift = parts
        g = self.death_group
        for k in self.tied_exact:
            sel = g == k
            dk = int(self.n_dead[k])
            # remove the Breslow terms of this time (frac is 0 under ties="exact")
            ak = a[sel][0]
            s0k = s0_l[sel][0]
            loglik += dk * np.log(s0k)
            score += dk * ak
            rows = self._risk_rows(k)
            zz = self.Z[rows]
            s2 = (r[rows][:, None, None] * zz[:, :, None] * zz[:, None, :]).sum(axis=0)
            info -= dk * (s2 / s0k - np.outer(ak, ak))
            # exact: log e_d(r) and its derivatives by the elementary-symmetric recursion
            lg, grad, hess = _log_esp(eta[rows] - shift, zz, dk)
            loglik -= lg
            score -= grad
            info += hess
        return loglik, score, info

    # -- after the fit -----------------------------------------------------------------
    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Weighted score residuals (rows), which sum to the score (T&G section 7.2)."""
        if self.tied_exact.size:
            raise ValueError("robust variance is not available with ties='exact'")
        with np.errstate(over="ignore", under="ignore"):
            _, _, _, (r, s0_l, a, _) = self._evaluate(beta)
        g, f = self.death_group, self.frac
        mw = self.meanwt[g]
        inv = mw / s0_l
        w0 = np.bincount(g, weights=inv, minlength=self.K)
        w1 = np.zeros((self.K, self.p))
        np.add.at(w1, g, a * inv[:, None])
        A0 = self._per_row(w0)
        A1 = self._per_row(w1)
        resid = -r[:, None] * (self.Z * A0[:, None] - A1)
        d = self.dead
        abar = np.zeros((self.K, self.p))
        np.add.at(abar, g, a)
        abar /= self.n_dead[:, None]
        resid[d] += self.wd[:, None] * (self.Zd - abar[g])
        if f.any():
            # a death at its own time is in the l-th risk set with weight (1 - l/d)
            fw0 = np.bincount(g, weights=f * inv, minlength=self.K)
            fw1 = np.zeros((self.K, self.p))
            np.add.at(fw1, g, (f * inv)[:, None] * a)
            resid[d] += r[d][:, None] * (self.Zd * fw0[g][:, None] - fw1[g])
        return resid

    def baseline_increments(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hazard increments dL_k at each event group (for centred Z, eta without shift),
        their variance terms, and sum_l meanwt a_l / s0_l (for the predicted-survival
        variance): Breslow sums d_w / S0; Efron sums meanwt / s0_l (R's survfit.coxph)."""
        with np.errstate(over="ignore", under="ignore"):
            _, _, _, (_, s0_l, a, shift) = self._evaluate(beta)
        g = self.death_group
        scale = np.exp(-shift)  # s0 above is on exp(eta - shift)
        mw = self.meanwt[g]
        s0 = s0_l / scale
        dl = np.bincount(g, weights=mw / s0, minlength=self.K)
        v1 = np.bincount(g, weights=mw / s0**2, minlength=self.K)
        xa = np.zeros((self.K, self.p))
        np.add.at(xa, g, (mw / s0)[:, None] * a)
        return dl, v1, xa


def _log_esp(eta: np.ndarray, Z: np.ndarray, d: int) -> tuple[float, np.ndarray, np.ndarray]:
    """log e_d(exp(eta)) over a risk set, its gradient (p) and minus its Hessian's
    negative, i.e. returns (log e_d, d log e_d / d beta, d^2 log e_d / d beta^2) where
    e_d is the d-th elementary symmetric sum of r_j = exp(eta_j) and eta = Z beta.

    Recursion over the size m = 1..d: B_m(j) = sum_{j' <= j} r_j' B_{m-1}(j' - 1), the same
    with derivatives; each level is rescaled by its largest value (ratios unchanged).
    """
    n, p = Z.shape
    r = np.exp(eta - eta.max())
    b = np.ones(n + 1)  # B_0(j) = 1 for j = 0..n
    db = np.zeros((n + 1, p))
    d2b = np.zeros((n + 1, p, p))
    log_scale = 0.0
    for _ in range(d):
        prev_b, prev_db, prev_d2b = b[:-1], db[:-1], d2b[:-1]
        tb = r * prev_b
        tdb = r[:, None] * (prev_db + Z * prev_b[:, None])
        td2b = r[:, None, None] * (
            prev_d2b
            + Z[:, :, None] * prev_db[:, None, :]
            + prev_db[:, :, None] * Z[:, None, :]
            + Z[:, :, None] * Z[:, None, :] * prev_b[:, None, None]
        )
        b = np.concatenate(([0.0], np.cumsum(tb)))
        db = np.concatenate((np.zeros((1, p)), np.cumsum(tdb, axis=0)))
        d2b = np.concatenate((np.zeros((1, p, p)), np.cumsum(td2b, axis=0)))
        sc = b[-1]
        b, db, d2b = b / sc, db / sc, d2b / sc
        log_scale += np.log(sc)
    e = b[-1]
    grad = db[-1] / e
    hess = d2b[-1] / e - np.outer(grad, grad)
    return float(log_scale + np.log(e) + d * eta.max()), grad, hess
