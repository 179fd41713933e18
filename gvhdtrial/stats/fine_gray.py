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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from gvhdtrial.stats import _fine_gray_engine as eng
from gvhdtrial.stats._competing_input import (
    FloatArray,
    as_covariates,
    as_labels,
    as_status,
    as_time,
    label_codes,
)

__all__ = ["FineGrayPrediction", "FineGrayResult", "MonotoneLikelihoodError", "fine_gray"]

ConfType = Literal["log", "cloglog", "plain"]


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


def _monotone_direction(des: eng.Design) -> tuple[int, int] | None:
    """(column, +1/-1) of a covariate whose Fine-Gray estimate is infinite, else None.

    Along coordinate j the log partial likelihood is non-decreasing when every event of
    interest has the largest (or smallest) Z_j of its risk set, which holds the subjects
    of its stratum with T >= s and the earlier competing subjects (their weight
    G(s-)/G(T-) is positive); it then increases strictly, without bound of the argument,
    if the risk sets are not all constant in Z_j. The maximum is then attained only at
    infinity. Time-fixed covariates only.
    """
    for j in range(des.x.shape[1]):
        for sign in (1, -1):
            all_top, strict = True, False
            for blk in des.blocks:
                if blk.event_times.size == 0:
                    continue
                a, b = blk.rows[0], blk.rows[-1] + 1
                v = sign * des.x[a:b, j]
                idx = blk.first_at_risk
                back = np.maximum.accumulate(v[::-1])[::-1][idx]
                comp = np.where(blk.is_competing, v, -np.inf)
                fwd = np.concatenate(([-np.inf], np.maximum.accumulate(comp)))[idx]
                top = np.maximum(back, fwd)
                ev = blk.is_event
                if not np.all(v[ev] >= top[blk.event_index[ev]]):
                    all_top = False
                    break
                low_back = np.minimum.accumulate(v[::-1])[::-1][idx]
                compl = np.where(blk.is_competing, v, np.inf)
                low_fwd = np.concatenate(([np.inf], np.minimum.accumulate(compl)))[idx]
                strict = strict or bool(np.any(np.minimum(low_back, low_fwd) < top))
            if all_top and strict:
                return j, sign
    return None


@dataclass(frozen=True)
class FineGrayPrediction:
    """Predicted cumulative incidence with pointwise confidence limits.

    Arrays have shape (len(times), rows of x). ``se`` is the standard error of the
    cumulative incidence itself; the limits are formed on the ``conf_type`` scale (``log``:
    exp(log F +- z se(F)/F), as ``mets::FGprediid``'s default; ``cloglog``: on
    log(-log(1 - F)); ``plain``: F +- z se).
    """

    times: FloatArray
    cif: FloatArray
    se: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_type: str
    level: float


@dataclass(frozen=True)
class _State:
    """What the variance of predictions needs: the design and the influence functions."""

    des: eng.Design
    fit: eng.Fit
    beta_if: FloatArray  # n x p influence of beta (sorted order), I^-1 (eta + psi)
    cluster: np.ndarray  # cluster code per sorted row
    n_clusters: int
    strata_levels: tuple[Any, ...]


def _cluster_sum(v: FloatArray, codes: np.ndarray, n_clusters: int) -> FloatArray:
    """Sum the rows of v within clusters (v: n or n x p)."""
    if v.ndim == 1:
        return np.bincount(codes, weights=v, minlength=n_clusters)
    return np.column_stack(
        [np.bincount(codes, weights=v[:, j], minlength=n_clusters) for j in range(v.shape[1])]
    )


@dataclass(frozen=True)
class FineGrayResult:
    """Fitted Fine-Gray model (subdistribution hazard for ``cause``).

    ``coef`` are log subdistribution hazard ratios; ``var`` is the sandwich variance
    I^-1 (sum_c U_c U_c') I^-1 of the influence functions U (crr's, with the term for the
    estimated censoring distribution) summed within ``cluster`` (one row per cluster when
    no cluster is given, which is crr's variance; with clusters, mets::cifreg's).
    ``var_naive`` is I^-1, the model-based variance.
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
    n_clusters: int = 0
    strata_levels: tuple[Any, ...] = ()
    cengroup_levels: tuple[Any, ...] = ()
    _baseline_times: tuple[FloatArray, ...] = field(default=(), repr=False)
    _baseline_hazard: tuple[FloatArray, ...] = field(default=(), repr=False)
    _tf: Callable[[FloatArray], FloatArray] | None = field(default=None, repr=False)
    _n_cov1: int = field(default=0, repr=False)
    _state: _State | None = field(default=None, repr=False, compare=False)

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.diag(self.var))

    @property
    def var_naive(self) -> FloatArray:
        return np.linalg.inv(self.information)

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

    def _stratum(self, strata: Any, rows: int) -> np.ndarray:
        """Block index of each new row (0 when the model has no strata)."""
        if len(self.strata_levels) <= 1 and strata is None:
            return np.zeros(rows, dtype=int)
        if strata is None:
            raise ValueError(
                "strata is needed: the model has a baseline per stratum "
                f"({', '.join(map(str, self.strata_levels))})"
            )
        lab = np.atleast_1d(np.asarray(strata, dtype=object))
        if lab.size == 1 and rows > 1:
            lab = np.repeat(lab, rows)
        if lab.size != rows:
            raise ValueError(f"strata has {lab.size} values but x has {rows} rows")
        out = np.empty(rows, dtype=int)
        for i, v in enumerate(lab):
            hits = [k for k, lev in enumerate(self.strata_levels) if lev == v]
            if not hits:
                raise ValueError(
                    f"strata value {v!r} (row {i}) is not a stratum of the fit; strata: "
                    f"{', '.join(map(str, self.strata_levels))}"
                )
            out[i] = hits[0]
        return out

    def _new_x(self, x: Any) -> FloatArray:
        xm = np.atleast_2d(np.asarray(x, dtype=float))
        if xm.shape[1] != self._n_cov1:
            raise ValueError(
                f"x has {xm.shape[1]} columns but the model has {self._n_cov1} (cov1) covariates"
            )
        bad = np.argwhere(~np.isfinite(xm))
        if bad.size:
            raise ValueError(f"x has a missing or infinite value at row {bad[0, 0]}")
        return xm

    def predict(self, x: Any, times: Any, *, cov2: Any = None, strata: Any = None) -> FloatArray:
        """Cumulative incidence for covariate rows x at times, as ``predict.crr``.

        F(t | x) = 1 - exp(-sum_{s_k <= t} exp(b'Z(s_k)) dL_k), with dL_k = d_k / S0_k the
        Breslow-type baseline subdistribution hazard of the row's stratum at the fitted
        coefficients; Z(s) = (x, cov2 * tf(s)) for a model with time-varying covariates
        (exp(b'x) H0(t) otherwise). Returns an array of shape (len(times), rows of x).

        >>> fit = fine_gray([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
        ...                 [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6])
        >>> fit.predict([[0.0], [1.0]], [5.0, 9.0]).round(4).tolist()  # as R predict.crr
        [[0.1687, 0.3124], [0.3994, 0.6441]]
        """
        xm = self._new_x(x)
        tt = as_time(np.atleast_1d(times), "times")
        hs = self._stratum(strata, xm.shape[0])
        b1 = self.coef[: self._n_cov1]
        out = np.empty((tt.size, xm.shape[0]))
        c2 = None
        if self._tf is not None:
            if cov2 is None:
                raise ValueError("cov2 is needed: the model has time-varying covariates")
            c2 = np.atleast_2d(np.asarray(cov2, dtype=float))
            if c2.shape != (xm.shape[0], self.coef.size - self._n_cov1):
                raise ValueError(
                    f"cov2 must have shape ({xm.shape[0]}, {self.coef.size - self._n_cov1}), "
                    f"got {c2.shape}"
                )
        for i in range(xm.shape[0]):
            bt = self._baseline_times[hs[i]]
            dl = self._baseline_hazard[hs[i]]
            lin = np.full(bt.size, xm[i] @ b1)
            if c2 is not None and bt.size:
                tfv = np.asarray(self._tf(bt.copy()), dtype=float).reshape(bt.size, -1)
                lin = lin + tfv @ (c2[i] * self.coef[self._n_cov1 :])
            cum = np.concatenate(([0.0], np.cumsum(np.exp(lin) * dl)))
            out[:, i] = 1.0 - np.exp(-cum[np.searchsorted(bt, tt, side="right")])
        return out

    def predict_ci(
        self,
        x: Any,
        times: Any,
        *,
        strata: Any = None,
        level: float = 0.95,
        conf_type: ConfType = "log",
    ) -> FineGrayPrediction:
        """Cumulative incidence with pointwise confidence limits for new covariate rows.

        The variance is that of ``mets::IIDbaseline.cifreg`` + ``FGprediid``: the
        influence functions of the baseline cumulative subdistribution hazard H0(t) and of
        the coefficients (each with its term for the estimated censoring distribution, as
        in the sandwich variance), summed within clusters, carried to F(t | x) by the delta
        method. ``conf_type="log"`` (FGprediid's default) forms the limits on log F.
        Models with time-varying covariates (cov2) predict without limits (``predict``).

        >>> fit = fine_gray([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
        ...                 [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6])
        >>> pr = fit.predict_ci([[0.0]], [9.0])
        >>> [round(float(v[0, 0]), 4) for v in (pr.cif, pr.lower, pr.upper)]
        [0.3994, 0.1865, 0.8556]
        """
        if self._tf is not None or self._state is None:
            raise ValueError("predict_ci: models with cov2/tf give point predictions only")
        if conf_type not in ("log", "cloglog", "plain"):
            raise ValueError(f"conf_type must be 'log', 'cloglog' or 'plain', got {conf_type!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        xm = self._new_x(x)
        tt = as_time(np.atleast_1d(times), "times")
        hs = self._stratum(strata, xm.shape[0])
        st = self._state
        zq = stats.norm.ppf(0.5 + level / 2.0)
        shape = (tt.size, xm.shape[0])
        cif, se = np.empty(shape), np.empty(shape)
        for h in np.unique(hs):
            cols = np.flatnonzero(hs == h)
            for a, t in enumerate(tt):
                h0, phi = _baseline_influence(st, int(h), float(t))
                lp = np.exp(xm[cols] @ self.coef)
                surv = np.exp(-h0 * lp)
                # IF of F = surv * lp * (IF_H0 + H0 * x' IF_beta)
                infl = (surv * lp)[None, :] * (phi[:, None] + h0 * (st.beta_if @ xm[cols].T))
                agg = np.column_stack(
                    [_cluster_sum(infl[:, j], st.cluster, st.n_clusters) for j in range(cols.size)]
                )
                cif[a, cols] = 1.0 - surv
                se[a, cols] = np.sqrt(np.sum(agg**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            if conf_type == "log":
                sl = se / cif
                lower, upper = cif * np.exp(-zq * sl), cif * np.exp(zq * sl)
            elif conf_type == "cloglog":
                g = np.log(-np.log1p(-cif))
                sg = se / ((1.0 - cif) * -np.log1p(-cif))
                lower = 1.0 - np.exp(-np.exp(g - zq * sg))
                upper = 1.0 - np.exp(-np.exp(g + zq * sg))
            else:
                lower, upper = cif - zq * se, cif + zq * se
        return FineGrayPrediction(tt, cif, se, lower, upper, conf_type, level)

    def summary(self) -> str:
        ci = self.conf_int()
        lines = [
            "Fine-Gray subdistribution hazard regression (cmprsk::crr formulas)",
            f"cause = {self.cause:g}, censoring code = {self.cencode:g}",
            f"n = {self.n}, events of interest = {self.n_events}, "
            f"competing events = {self.n_competing}, censored = {self.n_censored}",
            f"log partial likelihood = {self.loglik:.4f} (null {self.loglik_null:.4f}); "
            f"Newton iterations = {self.iterations}, converged = {self.converged}",
        ]
        if len(self.strata_levels) > 1:
            lines.append(f"strata: {', '.join(map(str, self.strata_levels))}")
        if len(self.cengroup_levels) > 1:
            lines.append(f"censoring groups: {', '.join(map(str, self.cengroup_levels))}")
        if self.n_clusters and self.n_clusters != self.n:
            lines.append(f"robust variance over {self.n_clusters} clusters")
        lines += [
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


def _baseline_influence(st: _State, h: int, t: float) -> tuple[float, FloatArray]:
    """H0_h(t) and the influence function of H0_h(t) per sorted row (beta estimated).

    H0(t) = sum_{s_k <= t} dL_k. Its influence: the weighted martingale part
    sum_{s_k <= t} (dN_i(s_k) - w_ik r_i dL_k) / S0_k for the rows of stratum h, minus
    (sum_{s_k <= t} E_k dL_k)' times the influence of beta, plus the censoring part (as
    psi, with q(u) = [sum_{comp, T_j < u} r_j / G_j] sum_{u <= s_k <= t} G(s_k-) dL_k / S0_k).
    """
    des, fit = st.des, st.fit
    blk = des.blocks[h]
    s0, e, dl = fit.s0[h], fit.e[h], fit.dl[h]
    kt = int(np.searchsorted(blk.event_times, t, side="right"))
    v = np.where(np.arange(s0.size) < kt, dl / s0, 0.0)
    a, b = blk.rows[0], blk.rows[-1] + 1
    r = fit.r[a:b]
    m = blk.n_le
    inner = eng._forward(v)[m]
    h1 = [eng._group_tail(blk, v, k) for k in range(len(des.groups))]
    for k in blk.comp_groups:
        inner = inner + np.where(blk.group == k, blk.inv_g, 0.0) * h1[k][m]
    # the censoring part: only subjects of stratum h (the others' Q is 0)
    zero = [[np.zeros((grp.cens_times.size, 1)) for grp in des.groups] for _ in des.blocks]
    hq = eng.group_tails(blk, v) if len(des.groups) > 1 else h1
    zero[h] = eng.q_stratum(des, blk, eng.comp_forward(des, fit.r, None), None, hq, None)
    phi = -st.beta_if @ (e[:kt] * dl[:kt, None]).sum(axis=0)
    own = -r * inner
    ev = blk.is_event & (blk.event_index < kt)
    own[ev] += 1.0 / s0[blk.event_index[ev]]
    phi[a:b] += own
    phi += eng._psi(des, zero)[0]
    return float(dl[:kt].sum()), phi


#: From this many rows on, Newton-Raphson starts from the estimate on a systematic
#: subsample of about _WARM_SAMPLE rows (every k-th row): it then needs three or four
#: evaluations over all the data instead of six. The estimate is the same (the log partial
#: likelihood is concave; Newton stops on the same criterion).
_WARM_START_N = 200_000
_WARM_SAMPLE = 50_000


def _newton(
    des: eng.Design,
    beta: FloatArray,
    max_iter: int,
    tol: float,
    on_failure: Callable[[], None],
) -> tuple[FloatArray, eng.Fit, int, bool, float]:
    """Newton-Raphson with step halving from beta; stops when the Newton step at the
    current point is below tol (relative to 1 + |coef|), without evaluating past it.
    Returns the estimate, the fit there, iterations, convergence and the starting loglik."""
    fit = eng.evaluate(des, beta)
    loglik_start = fit.loglik
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        info = fit.info
        if not np.all(np.isfinite(info)) or np.linalg.cond(info) > 1e12:
            on_failure()
            raise ValueError(
                "the information matrix is singular: collinear covariates, or a covariate "
                "constant among the subjects at risk"
            )
        step = np.linalg.solve(info, fit.score)
        if not np.all(np.isfinite(step)):
            on_failure()
            raise ValueError("the information matrix is singular (collinear covariates?)")
        if np.max(np.abs(step) / (1.0 + np.abs(beta))) < tol:
            converged = True
            break
        new = eng.evaluate(des, beta + step)
        halvings = 0
        while (
            not np.isfinite(new.loglik) or new.loglik < fit.loglik - 1e-10 * abs(fit.loglik)
        ) and halvings < 30:
            step = step / 2.0
            new = eng.evaluate(des, beta + step)
            halvings += 1
        beta = beta + step
        fit = new
    return beta, fit, iterations, converged, loglik_start


def _warm_start(
    t: FloatArray,
    st: FloatArray,
    x: FloatArray,
    cause: float,
    cencode: float,
    h_codes: np.ndarray,
    g_codes: np.ndarray,
    max_iter: int,
) -> FloatArray | None:
    """Estimate on every k-th row (k = n // _WARM_SAMPLE), loosely converged; None when
    that subsample cannot be fitted (Newton then starts from 0 as usual)."""
    k = max(1, t.size // _WARM_SAMPLE)
    sub = slice(None, None, k)
    if not np.any(st[sub] == cause):
        return None

    def fail() -> None:
        raise ValueError("subsample")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            des, _ = eng.build(t[sub], st[sub], x[sub], cause, cencode, h_codes[sub], g_codes[sub])
            beta, _, _, converged, _ = _newton(des, np.zeros(des.p), max_iter, 1e-6, fail)
    except (ValueError, ArithmeticError, IndexError, np.linalg.LinAlgError):
        # a start only: whatever stops the subsample fit, Newton starts from 0 instead
        return None
    return beta if converged and np.all(np.isfinite(beta)) else None


def _as_tf(tf: Any, p2: int) -> Callable[[FloatArray], FloatArray]:
    if not callable(tf):
        raise ValueError(
            "tf must be a function of time returning one column per cov2 column "
            f"(as crr's tf), got {type(tf).__name__}"
        )
    return tf


def fine_gray(
    time: Any,
    status: Any,
    X: Any,
    cause: float = 1,
    cencode: float = 0,
    *,
    cengroup: Any = None,
    cov2: Any = None,
    tf: Callable[[FloatArray], FloatArray] | None = None,
    strata: Any = None,
    cluster: Any = None,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> FineGrayResult:
    """Fit the Fine-Gray model for ``cause``; every other non-censoring code competes.

    Matches ``cmprsk::crr(ftime, fstatus, cov1 = X, cov2, tf, cengroup, failcode = cause,
    cencode = cencode)`` run to full convergence, and ``mets::cifreg(Event(time, status) ~
    X + strata(s) + cluster(id), propodds = NULL)`` for the stratified baseline and the
    cluster-robust variance:

    * ``cengroup``: labels; the censoring distribution is estimated by a separate
      Kaplan-Meier in each group (crr's ``cengroup``), and a competing subject's weight
      uses its own group's curve.
    * ``cov2`` and ``tf``: time-varying covariates as crr's: column m of ``cov2`` enters
      multiplied by column m of ``tf(t)`` (``tf`` gets the array of distinct event times
      of interest and returns one column per ``cov2`` column). Coefficients follow those
      of ``X``, named ``name*tf<m>``.
    * ``strata``: labels; a separate baseline subdistribution hazard per stratum (risk
      sets within stratum), as ``+ strata(s)`` in cifreg (Zhou et al., Biometrics 2011).
    * ``cluster``: labels; the influence functions are summed within clusters before the
      sandwich (``+ cluster(id)`` in cifreg). Without it each row is its own cluster,
      which is crr's variance.

    Tied event times are handled as crr does (Breslow). Newton-Raphson with step halving;
    stops when the Newton step is below ``tol`` (relative to 1 + |coef|).

    Raises ValueError naming the argument and row for inputs of the wrong shape, missing or
    negative times, a cause with no events, or covariates that make the information matrix
    singular (a constant column, collinear columns); MonotoneLikelihoodError when an
    estimate is infinite.

    >>> fit = fine_gray([2, 3, 3, 5, 6, 7, 8, 9, 10, 12], [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
    ...                 [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6])
    >>> round(float(fit.coef[0]), 4), round(float(fit.se[0]), 4)
    (0.7062, 0.4957)

    Two strata, clusters of two rows, and the incidence by day 6 for x = 0 in stratum 1:

    >>> fit = fine_gray([2, 3, 3, 5, 6, 7, 8, 9, 10, 12, 4, 11],
    ...                 [1, 2, 0, 1, 1, 2, 0, 1, 2, 0, 1, 1],
    ...                 [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6, 0.1, -0.2],
    ...                 strata=[1] * 6 + [2] * 6, cluster=[1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
    >>> round(float(fit.coef[0]), 4), round(float(fit.se[0]), 4)
    (0.4351, 0.3443)
    >>> pred = fit.predict_ci([[0.0]], [6.0], strata=[1])
    >>> [round(float(v[0, 0]), 4) for v in (pred.cif, pred.lower, pred.upper)]
    [0.5033, 0.4342, 0.5833]
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
    c2 = None
    tf_fn = None
    if cov2 is not None or tf is not None:
        if cov2 is None or tf is None:
            raise ValueError("cov2 and tf go together: give both or neither")
        c2, names2 = as_covariates(cov2, n, "cov2")
        tf_fn = _as_tf(tf, c2.shape[1])
        names = (*names, *[f"{nm}*tf{m + 1}" for m, nm in enumerate(names2)])
    elif not np.all(np.isfinite(x)):  # pragma: no cover - as_covariates checks
        raise ValueError("X has a missing value")
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if constant.size:
        raise ValueError(
            f"X column {names[constant[0]]!r} is constant: its coefficient is not identifiable "
            "(the information matrix is singular)"
        )
    strata_levels: tuple[Any, ...] = ()
    h_codes = np.zeros(n, dtype=np.int64)
    if strata is not None and c2 is not None:
        raise ValueError(
            "strata and cov2 together are not supported: no reference fits both "
            "(cmprsk::crr has cov2/tf but no strata; mets::cifreg has strata but no "
            "time-varying covariates). Use cov2/tf without strata, with the stratum as "
            "indicator columns of X, or strata without cov2."
        )
    if strata is not None and cengroup is not None:
        raise ValueError(
            "strata and cengroup together are not supported: cmprsk::crr has cengroup but "
            "no strata, and mets::cifreg's stratified censoring model (cens.model = "
            "~strata()) gives a censoring term of the variance that differs from crr's "
            "cengroup, so the combination has no single reference. Use cengroup without "
            "strata (crr), with the stratum as indicator columns of X, or strata without "
            "cengroup (cifreg)."
        )
    if strata is not None:
        strata_levels, h_codes = label_codes(as_labels(strata, n, "strata"))
    g_levels: tuple[Any, ...] = ()
    g_codes = np.zeros(n, dtype=np.int64)
    if cengroup is not None:
        g_levels, g_codes = label_codes(as_labels(cengroup, n, "cengroup"))
    cl_codes = np.arange(n)
    n_clusters = n
    if cluster is not None:
        _, cl_codes = label_codes(as_labels(cluster, n, "cluster"))
        n_clusters = int(cl_codes.max()) + 1
    des, order = eng.build(t, st, x, cause, cencode, h_codes, g_codes, c2, tf_fn)

    def monotone_check() -> None:
        # An infinite estimate shows as a fit that does not converge or diverges (the
        # Newton step stays near 1 as the coefficient grows), so it is checked only then.
        if c2 is None:
            mono = _monotone_direction(des)
            if mono is not None:
                raise MonotoneLikelihoodError(names[mono[0]], mono[1])

    p = des.p
    start = None
    if n >= _WARM_START_N and c2 is None:
        start = _warm_start(t, st, x, cause, cencode, h_codes, g_codes, max_iter)
    if start is None:
        beta, fit, iterations, converged, loglik_null = _newton(
            des, np.zeros(p), max_iter, tol, monotone_check
        )
    else:
        loglik_null = eng.evaluate(des, np.zeros(p), loglik_only=True).loglik
        beta, fit, iterations, converged, _ = _newton(des, start, max_iter, tol, monotone_check)
    if not (
        np.all(np.isfinite(beta)) and np.all(np.isfinite(fit.info)) and np.isfinite(fit.loglik)
    ):
        monotone_check()
        raise ValueError(
            "Fine-Gray fit diverged: a coefficient runs to infinity (monotone likelihood, "
            "e.g. a covariate level with no events of interest)"
        )
    if not converged:
        monotone_check()
        warnings.warn(
            f"Fine-Gray Newton-Raphson did not converge in {max_iter} iterations; "
            "see .converged and .score",
            RuntimeWarning,
            stacklevel=2,
        )
    try:
        info_inv = np.linalg.inv(fit.info)
    except np.linalg.LinAlgError:
        raise ValueError("the information matrix is singular at the estimate") from None
    total = eng.influence(des, fit)
    cl_sorted = order if cluster is None else cl_codes[order]  # arange(n)[order] is order
    u = total if cluster is None else _cluster_sum(total, cl_sorted, n_clusters)
    var = info_inv @ (u.T @ u) @ info_inv
    var = (var + var.T) / 2.0
    if not np.all(np.isfinite(var)):
        raise ValueError("Fine-Gray variance is not finite (information matrix near singular)")
    # (I^-1 U')' with U' p x n contiguous: one product along rows, no transposed copy
    beta_if = (info_inv @ total.T).T
    state = _State(des, fit, beta_if, cl_sorted, n_clusters, strata_levels)
    return FineGrayResult(
        names=names,
        coef=beta,
        var=var,
        loglik=fit.loglik,
        loglik_null=loglik_null,
        score=fit.score,
        information=fit.info,
        iterations=iterations,
        converged=converged,
        n=n,
        n_events=n_events,
        n_competing=int(np.sum(des.is_competing)),
        n_censored=int(np.sum(des.is_censored)),
        cause=cause,
        cencode=cencode,
        n_clusters=n_clusters,
        strata_levels=strata_levels,
        cengroup_levels=g_levels,
        _baseline_times=tuple(b.event_times for b in des.blocks),
        _baseline_hazard=tuple(fit.dl),
        _tf=tf_fn,
        _n_cov1=x.shape[1],
        _state=state,
    )
