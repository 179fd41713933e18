"""Fine-Gray subdistribution hazard regression, as ``cmprsk::crr`` computes it.

Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
risk. JASA 1999;94:496-509. The formulas are those of docs/fine_gray.md:

* censoring weights from the Kaplan-Meier estimate of the censoring distribution,
  evaluated just before each time (``G(u-)``); a subject with a competing event stays in
  the risk set of a later event time ``s`` with weight ``G(s-) / G(T_j-)``;
* Breslow's handling of tied event times;
* the sandwich variance ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1`` whose
  ``psi`` term accounts for estimating ``G``.

Every sum over a risk set is a cumulative sum over the data sorted once by time: the
weight of a competing subject factors as ``G(s-)`` times ``1 / G(T_j-)``, so sums over
"competing, T_j < s" are forward cumulative sums and sums over "T_j >= s" backward ones.
A Newton step costs O(n p^2) and nothing n x n is ever formed. Written from the paper
and the specification; no code of cmprsk was used.

Validated against ``cmprsk::crr`` (tests/fixtures/competing_reference.json).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from gvhdtrial.stats._competing_input import (
    FloatArray,
    as_covariates,
    as_status,
    as_time,
)

__all__ = ["FineGrayResult", "MonotoneLikelihoodError", "fine_gray"]


class MonotoneLikelihoodError(ValueError):
    """A coefficient's estimate is infinite: the partial likelihood only increases with it."""

    def __init__(self, covariate: str, direction: int) -> None:
        self.covariate = covariate
        self.direction = direction
        side = "largest" if direction > 0 else "smallest"
        lower = "lower" if direction > 0 else "higher"
        sign = "+inf" if direction > 0 else "-inf"
        super().__init__(
            f"monotone likelihood: the coefficient of {covariate!r} is infinite ({sign}); "
            f"every event of interest has the {side} value of {covariate!r} in its risk set "
            f"(no event of interest among subjects with a {lower} value), so the partial "
            "likelihood keeps increasing and no finite estimate exists. Recode or drop "
            f"{covariate!r}."
        )


def _monotone_direction(des: _Design) -> tuple[int, int] | None:
    """(column, +1/-1) of a covariate whose Fine-Gray estimate is infinite, else None.

    Along coordinate j the log partial likelihood is non-decreasing when every event of
    interest has the largest (or smallest) Z_j of its risk set, which holds the subjects
    with T >= s and the earlier competing subjects (their weight G(s-)/G(T-) is positive);
    it then increases strictly, without bound of the argument, if the risk sets are not
    all constant in Z_j. The maximum is then attained only at infinity.
    """
    if des.event_times.size == 0:
        return None
    idx = des.first_at_risk
    ev = des.is_event
    k_of = des.event_index[ev]
    for j in range(des.x.shape[1]):
        z = des.x[:, j]
        for sign in (1, -1):
            v = sign * z
            back = np.maximum.accumulate(v[::-1])[::-1][idx]
            comp = np.where(des.is_competing, v, -np.inf)
            fwd = np.concatenate(([-np.inf], np.maximum.accumulate(comp)))[idx]
            top = np.maximum(back, fwd)
            if not np.all(v[ev] >= top[k_of]):
                continue
            # strict somewhere: a risk set holding a smaller value
            low_back = np.minimum.accumulate(v[::-1])[::-1][idx]
            compl = np.where(des.is_competing, v, np.inf)
            low_fwd = np.concatenate(([np.inf], np.minimum.accumulate(compl)))[idx]
            if np.any(np.minimum(low_back, low_fwd) < top):
                return j, sign
    return None


@dataclass(frozen=True)
class _Design:
    """Data sorted once by time, with the censoring weights and event-time index."""

    time: FloatArray  # sorted times
    x: FloatArray  # n x p covariates, sorted
    is_event: np.ndarray  # event of interest
    is_competing: np.ndarray  # competing event
    is_censored: np.ndarray
    inv_g: FloatArray  # 1 / G(T_j-) (used for competing subjects)
    event_times: FloatArray  # distinct event times of interest s_k
    d: FloatArray  # events at s_k
    g_event: FloatArray  # G(s_k-)
    first_at_risk: np.ndarray  # first sorted row with T >= s_k
    n_le: np.ndarray  # per subject: number of s_k <= T_j
    sum_z_events: FloatArray  # sum of Z over events of interest
    event_index: np.ndarray  # per subject: k of its event time (events only), else -1
    cens_times: FloatArray  # distinct censoring times u
    cens_count: FloatArray  # c(u)
    cens_at_risk: FloatArray  # pi(u)
    cens_first: np.ndarray  # first sorted row with T >= u
    cens_n_lt_event: np.ndarray  # number of s_k < u


def _design(time: FloatArray, status: FloatArray, x: FloatArray, cause: float, cencode: float):
    order = np.argsort(time, kind="stable")
    t = time[order]
    st = status[order]
    xs = x[order]
    n = t.size
    is_cens = st == cencode
    is_event = st == cause
    is_comp = ~is_cens & ~is_event

    # Kaplan-Meier of the censoring distribution over the distinct times.
    uniq, first, counts = np.unique(t, return_index=True, return_counts=True)
    at_risk = (n - first).astype(float)
    c_u = np.add.reduceat(is_cens.astype(float), first)
    g_after = np.cumprod(1.0 - c_u / at_risk)
    g_before = np.concatenate(([1.0], g_after[:-1]))
    subject_u = np.repeat(np.arange(uniq.size), counts)
    g_subject = g_before[subject_u]

    e_mask = np.add.reduceat(is_event.astype(float), first)
    has_event = e_mask > 0
    event_times = uniq[has_event]
    d = e_mask[has_event]
    g_event = g_before[has_event]
    first_at_risk = first[has_event]
    n_le = np.searchsorted(event_times, t, side="right")
    event_index = np.where(is_event, n_le - 1, -1)

    has_cens = c_u > 0
    cens_times = uniq[has_cens]
    return _Design(
        time=t,
        x=xs,
        is_event=is_event,
        is_competing=is_comp,
        is_censored=is_cens,
        inv_g=np.where(is_comp, 1.0 / g_subject, 0.0),
        event_times=event_times,
        d=d,
        g_event=g_event,
        first_at_risk=first_at_risk,
        n_le=n_le,
        sum_z_events=xs[is_event].sum(axis=0),
        event_index=event_index,
        cens_times=cens_times,
        cens_count=c_u[has_cens],
        cens_at_risk=at_risk[has_cens],
        cens_first=first[has_cens],
        cens_n_lt_event=np.searchsorted(event_times, cens_times, side="left"),
    ), order


def _backward(v: FloatArray) -> FloatArray:
    """B[i] = sum_{j >= i} v[j], with B[n] = 0 (first axis)."""
    out = np.zeros((v.shape[0] + 1, *v.shape[1:]))
    out[:-1] = np.cumsum(v[::-1], axis=0)[::-1]
    return out


def _forward(v: FloatArray) -> FloatArray:
    """F[i] = sum_{j < i} v[j], with F[0] = 0 (first axis)."""
    out = np.zeros((v.shape[0] + 1, *v.shape[1:]))
    np.cumsum(v, axis=0, out=out[1:])
    return out


def _risk_sums(des: _Design, r: FloatArray) -> tuple[FloatArray, FloatArray]:
    """S0_k and S1_k (K, K x p) for r_j = exp(b'Z_j)."""
    rc = r * des.inv_g  # r_j / G_j for competing subjects, 0 otherwise
    idx = des.first_at_risk
    s0 = _backward(r)[idx] + des.g_event * _forward(rc)[idx]
    rz = r[:, None] * des.x
    rcz = rc[:, None] * des.x
    s1 = _backward(rz)[idx] + des.g_event[:, None] * _forward(rcz)[idx]
    return s0, s1


def _tail(v: FloatArray) -> FloatArray:
    """T[m] = sum_{k >= m} v[k] for m = 0..K (first axis); T[K] = 0."""
    return _backward(v)


def _head(v: FloatArray) -> FloatArray:
    """H[m] = sum_{k < m} v[k] for m = 0..K (first axis); H[0] = 0."""
    return _forward(v)


def _score_information(des: _Design, beta: FloatArray):
    """Log partial likelihood, score and information at beta."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _score_information_raw(des, beta)


def _score_information_raw(des: _Design, beta: FloatArray):
    eta_lin = des.x @ beta
    r = np.exp(eta_lin)
    s0, s1 = _risk_sums(des, r)
    e = s1 / s0[:, None]
    dl = des.d / s0
    loglik = float(eta_lin[des.is_event].sum() - np.sum(des.d * np.log(s0)))
    score = des.sum_z_events - (des.d[:, None] * e).sum(axis=0)
    # sum_k d_k S2_k / S0_k = sum_j r_j a_j Z_j Z_j', with
    # a_j = sum_{s_k <= T_j} dL_k + [j competing] / G_j * sum_{s_k > T_j} G(s_k-) dL_k
    a = _head(dl)[des.n_le] + des.inv_g * _tail(des.g_event * dl)[des.n_le]
    wx = des.x * (r * a)[:, None]
    info = des.x.T @ wx - (e * des.d[:, None]).T @ e
    return loglik, score, info, r, e, dl


def _sandwich_middle(des: _Design, r: FloatArray, e: FloatArray, dl: FloatArray) -> FloatArray:
    """sum_i (eta_i + psi_i)(eta_i + psi_i)' (docs/fine_gray.md, 'Variance')."""
    x = des.x
    m = des.n_le
    # eta_i = [event] (Z_i - E_k(i)) - r_i sum_k w_ik (Z_i - E_k) dL_k
    gdl = des.g_event * dl
    a1 = _head(dl)[m]
    a2 = _head(e * dl[:, None])[m]
    a3 = _tail(gdl)[m]
    a4 = _tail(e * gdl[:, None])[m]
    inner = x * a1[:, None] - a2 + des.inv_g[:, None] * (x * a3[:, None] - a4)
    eta = -r[:, None] * inner
    ev = des.is_event
    eta[ev] += x[ev] - e[des.event_index[ev]]

    # psi: for each distinct censoring time u,
    # q(u) = [sum_{comp, T_j < u} r_j Z_j / G_j] H1(u) - [sum_{comp, T_j < u} r_j / G_j] H2(u)
    # with H1(u) = sum_{s_k >= u} G(s_k-) dL_k, H2(u) = sum_{s_k >= u} G(s_k-) E_k dL_k.
    psi = np.zeros_like(eta)
    if des.cens_times.size:
        rc = r * des.inv_g
        fw_rc = _forward(rc)[des.cens_first]
        fw_rcz = _forward(rc[:, None] * x)[des.cens_first]
        h1 = _tail(gdl)[des.cens_n_lt_event]
        h2 = _tail(e * gdl[:, None])[des.cens_n_lt_event]
        q = fw_rcz * h1[:, None] - fw_rc[:, None] * h2
        pi = des.cens_at_risk
        # subtract sum_{u <= T_i} q(u) c(u) / pi(u)^2 from every subject
        comp_term = _forward(q * (des.cens_count / pi**2)[:, None])
        n_cens_le = np.searchsorted(des.cens_times, des.time, side="right")
        psi -= comp_term[n_cens_le]
        # censored subjects add q(T_i) / pi(T_i)
        cz = des.is_censored
        k_u = n_cens_le[cz] - 1
        psi[cz] += q[k_u] / pi[k_u, None]
    total = eta + psi
    return total.T @ total


@dataclass(frozen=True)
class FineGrayResult:
    """Fitted Fine-Gray model (subdistribution hazard for ``cause``).

    ``coef`` are log subdistribution hazard ratios; ``var`` is crr's sandwich variance,
    including the term for the estimated censoring distribution.
    """

    names: tuple[str, ...]
    coef: FloatArray
    var: FloatArray
    loglik: float
    loglik_null: float
    score: FloatArray
    information: FloatArray
    iterations: int
    converged: bool
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    cause: float
    cencode: float
    _baseline_times: FloatArray = field(repr=False)
    _baseline_hazard: FloatArray = field(repr=False)

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.diag(self.var))

    @property
    def hazard_ratio(self) -> FloatArray:
        return np.exp(self.coef)

    @property
    def z(self) -> FloatArray:
        return self.coef / self.se

    @property
    def p_values(self) -> FloatArray:
        return 2.0 * stats.norm.sf(np.abs(self.z))

    def conf_int(self, level: float = 0.95) -> FloatArray:
        """Wald interval for the hazard ratios, exp(coef +- z * se); shape (p, 2)."""
        q = stats.norm.ppf(0.5 + level / 2.0)
        return np.exp(np.column_stack([self.coef - q * self.se, self.coef + q * self.se]))

    def predict(self, x: Any, times: Any) -> FloatArray:
        """Cumulative incidence 1 - exp(-exp(b'x) H0(t)) for covariate rows x at times.

        ``H0`` is the Breslow-type baseline cumulative subdistribution hazard
        (sum over s_k <= t of d_k / S0_k at the fitted coefficients), as predict.crr.
        Returns an array of shape (len(times), rows of x).
        """
        xm = np.atleast_2d(np.asarray(x, dtype=float))
        if xm.shape[1] != self.coef.size:
            raise ValueError(f"x has {xm.shape[1]} columns but the model has {self.coef.size}")
        tt = as_time(np.atleast_1d(times), "times")
        cum = np.concatenate(([0.0], np.cumsum(self._baseline_hazard)))
        h0 = cum[np.searchsorted(self._baseline_times, tt, side="right")]
        return 1.0 - np.exp(-np.outer(h0, np.exp(xm @ self.coef)))

    def summary(self) -> str:
        ci = self.conf_int()
        lines = [
            "Fine-Gray subdistribution hazard regression (cmprsk::crr formulas)",
            f"cause = {self.cause:g}, censoring code = {self.cencode:g}",
            f"n = {self.n}, events of interest = {self.n_events}, "
            f"competing events = {self.n_competing}, censored = {self.n_censored}",
            f"log partial likelihood = {self.loglik:.4f} (null {self.loglik_null:.4f}); "
            f"Newton iterations = {self.iterations}, converged = {self.converged}",
            "",
            f"{'':<16}{'coef':>10}{'sHR':>10}{'se':>10}{'z':>9}{'p':>10}"
            f"{'2.5% sHR':>11}{'97.5% sHR':>11}",
        ]
        for j, name in enumerate(self.names):
            lines.append(
                f"{name[:15]:<16}{self.coef[j]:>10.4f}{self.hazard_ratio[j]:>10.4f}"
                f"{self.se[j]:>10.4f}{self.z[j]:>9.3f}{self.p_values[j]:>10.4g}"
                f"{ci[j, 0]:>11.4f}{ci[j, 1]:>11.4f}"
            )
        return "\n".join(lines)


def fine_gray(
    time: Any,
    status: Any,
    X: Any,
    cause: float = 1,
    cencode: float = 0,
    *,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> FineGrayResult:
    """Fit the Fine-Gray model for ``cause``; every other non-censoring code competes.

    Matches ``cmprsk::crr(ftime, fstatus, cov1, failcode = cause, cencode = cencode)`` run
    to full convergence. Newton-Raphson with step halving; stops when the Newton step is
    below ``tol`` (relative to 1 + |coef|) or the score is numerically zero.

    Raises ValueError for inputs of the wrong shape, missing or negative times, a cause with
    no events, or covariates that make the information matrix singular (a constant column,
    collinear columns).

    >>> fit = fine_gray([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
    ...                 [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6])
    >>> round(float(fit.coef[0]), 4), round(float(fit.se[0]), 4)
    (0.7062, 0.4957)
    """
    t = as_time(time)
    n = t.size
    st = as_status(status, n)
    x, names = as_covariates(X, n)
    cause = float(cause)
    cencode = float(cencode)
    if cause == cencode:
        raise ValueError(f"cause ({cause:g}) must differ from cencode ({cencode:g})")
    n_events = int(np.sum(st == cause))
    if n_events == 0:
        present = sorted({float(v) for v in np.unique(st)} - {cencode})
        raise ValueError(
            f"cause {cause:g} has no events in status; causes present: "
            f"{', '.join(f'{c:g}' for c in present) or 'none (all censored)'}"
        )
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if constant.size:
        raise ValueError(
            f"X column {names[constant[0]]!r} is constant: its coefficient is not identifiable "
            "(the information matrix is singular)"
        )
    des, _ = _design(t, st, x, cause, cencode)
    mono = _monotone_direction(des)
    if mono is not None:
        raise MonotoneLikelihoodError(names[mono[0]], mono[1])
    p = x.shape[1]
    beta = np.zeros(p)
    loglik, score, info, r, e, dl = _score_information(des, beta)
    loglik_null = loglik
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        if np.linalg.cond(info) > 1e12:
            raise ValueError(
                "the information matrix is singular: collinear covariates, or a covariate "
                "constant among the subjects at risk"
            )
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            raise ValueError(
                "the information matrix is singular: a covariate is constant among the "
                "subjects at risk, or covariates are collinear"
            ) from None
        if not np.all(np.isfinite(step)):
            raise ValueError("the information matrix is singular (collinear covariates?)")
        new_beta = beta + step
        new = _score_information(des, new_beta)
        halvings = 0
        while (not np.isfinite(new[0]) or new[0] < loglik - 1e-10 * abs(loglik)) and halvings < 30:
            step = step / 2.0
            new_beta = beta + step
            new = _score_information(des, new_beta)
            halvings += 1
        beta = new_beta
        loglik, score, info, r, e, dl = new
        if np.max(np.abs(step) / (1.0 + np.abs(beta))) < tol:
            converged = True
            break
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(info)) and np.isfinite(loglik)):
        raise ValueError(
            "Fine-Gray fit diverged: a coefficient runs to infinity (monotone likelihood, "
            "e.g. a covariate level with no events of interest)"
        )
    if not converged:
        warnings.warn(
            f"Fine-Gray Newton-Raphson did not converge in {max_iter} iterations; "
            "see .converged and .score",
            RuntimeWarning,
            stacklevel=2,
        )
    try:
        info_inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise ValueError("the information matrix is singular at the estimate") from None
    middle = _sandwich_middle(des, r, e, dl)
    var = info_inv @ middle @ info_inv
    var = (var + var.T) / 2.0
    if not np.all(np.isfinite(var)):
        raise ValueError("Fine-Gray variance is not finite (information matrix near singular)")
    return FineGrayResult(
        names=names,
        coef=beta,
        var=var,
        loglik=loglik,
        loglik_null=loglik_null,
        score=score,
        information=info,
        iterations=iterations,
        converged=converged,
        n=n,
        n_events=n_events,
        n_competing=int(np.sum(des.is_competing)),
        n_censored=int(np.sum(des.is_censored)),
        cause=cause,
        cencode=cencode,
        _baseline_times=des.event_times,
        _baseline_hazard=dl,
    )
