"""Baseline comparisons between the arms (Table 1): t-test, Wilcoxon rank-sum, CMH.

The paper: "Comparisons between groups for quantitative data were performed via the
independent samples t-test or Wilcoxon rank sum test ... Comparisons between groups of
ranked data were performed using the Wilcoxon rank sum test or CMH test."

Each function matches a named R function (``t.test``, ``wilcox.test``,
``mantelhaen.test``); tests/stats/test_group_comparisons.py pins them to R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from gvhdtrial.stats._exact_or import exact_odds_ratio
from gvhdtrial.stats._format import box, fmt_num, fmt_p
from gvhdtrial.stats._validate import as_float_1d

# R's wilcox.test uses the exact distribution when both samples have fewer than 50
# observations and there are no ties.
WILCOXON_EXACT_BELOW = 50


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test: statistic, degrees of freedom (if any), p-value and details."""

    method: str
    statistic: float
    p_value: float
    df: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    conf_level: float | None = None
    statistic_name: str = "statistic"
    note: str = ""
    dropped_strata: tuple[int, ...] = ()

    def summary(self) -> str:
        lines = [f"{self.statistic_name} = {self.statistic:.4f}"]
        if self.df is not None:
            lines[0] += f", df = {fmt_num(self.df, 3)}"
        lines[0] += f", p = {fmt_p(self.p_value)}"
        if self.estimate is not None:
            line = f"Estimate = {fmt_num(self.estimate, 4)}"
            if self.ci_low is not None and self.conf_level is not None:
                line += (
                    f", {round(100 * self.conf_level)} % CI {fmt_num(self.ci_low, 4)} "
                    f"to {fmt_num(self.ci_high if self.ci_high is not None else math.nan, 4)}"
                )
            lines.append(line)
        if self.note:
            lines.append(self.note)
        return box(self.method, lines)


def _two_samples(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_float_1d("x", x), as_float_1d("y", y)
    return a, b


def t_test(x: object, y: object, *, welch: bool = False, conf_level: float = 0.95) -> TestResult:
    """Independent-samples t-test of mean(x) - mean(y).

    Student's pooled-variance test by default (R: ``t.test(x, y, var.equal = TRUE)``);
    ``welch=True`` gives Welch's test (R's default, ``var.equal = FALSE``).

    >>> round(t_test([1.1, 2.3, 3.5, 4.2], [2.8, 5.1, 6.4, 7.7, 8.0]).p_value, 4)
    0.0347
    """
    a, b = _two_samples(x, y)
    if a.size < 2 or b.size < 2:
        raise ValueError(
            f"t-test needs at least 2 observations per group, got {a.size} and {b.size}"
        )
    if (np.ptp(a) == 0 and np.ptp(b) == 0) or (welch and (np.ptp(a) == 0 or np.ptp(b) == 0)):
        raise ValueError("t-test undefined: zero variance (all values equal within groups)")
    res = stats.ttest_ind(a, b, equal_var=not welch)
    ci = res.confidence_interval(confidence_level=conf_level)
    return TestResult(
        method="Welch two-sample t-test" if welch else "Two-sample t-test (pooled variance)",
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        df=float(res.df),
        estimate=float(a.mean() - b.mean()),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        conf_level=conf_level,
        statistic_name="t",
    )


def wilcoxon_rank_sum(
    x: object, y: object, *, exact: bool | None = None, correct: bool = True
) -> TestResult:
    """Wilcoxon rank-sum (Mann-Whitney) test, two-sided, as R's ``wilcox.test(x, y)``.

    W is the rank sum of x minus n_x (n_x + 1) / 2. Exact p-value when both samples have
    fewer than 50 observations and there are no ties (unless ``exact`` says otherwise);
    otherwise the normal approximation with tie-corrected variance and, if ``correct``, a
    continuity correction of 0.5.

    >>> round(wilcoxon_rank_sum([1.1, 2.3, 3.5, 4.2], [2.8, 5.1, 6.4, 7.7, 8.0]).p_value, 4)
    0.0635
    """
    a, b = _two_samples(x, y)
    if np.ptp(np.concatenate([a, b])) == 0:
        # every observation tied: the statistic has no variance and R's p-value is NA
        # (scipy would give p = 1 once the continuity correction is applied)
        return TestResult(
            method="Wilcoxon rank-sum test (undefined: all observations are equal)",
            statistic=float(a.size * b.size / 2),
            p_value=math.nan,
            statistic_name="W",
            note="All observations are equal: the test is undefined (R: p-value NA).",
        )
    ties = np.unique(np.concatenate([a, b])).size < a.size + b.size
    if exact is None:
        exact = a.size < WILCOXON_EXACT_BELOW and b.size < WILCOXON_EXACT_BELOW
    note = ""
    if exact and ties:
        exact = False
        note = "Ties present: normal approximation used (as R does)."
    method = "exact" if exact else "asymptotic"
    res = stats.mannwhitneyu(a, b, alternative="two-sided", method=method, use_continuity=correct)
    if not np.isfinite(res.pvalue):
        raise ValueError("Wilcoxon test undefined: all observations are equal")
    desc = (
        "exact" if exact else "normal approximation" + (", continuity-corrected" if correct else "")
    )
    return TestResult(
        method=f"Wilcoxon rank-sum test ({desc})",
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        statistic_name="W",
        note=note,
    )


def _strata_table(table: object) -> np.ndarray:
    arr = np.asarray(table, dtype=float)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(
            f"table must have shape (I, J) or (I, J, K) with I, J >= 2 (rows = the groups), "
            f"got {np.asarray(table).shape}"
        )
    if (arr < 0).any() or not np.all(arr == np.round(arr)):
        raise ValueError("table must hold non-negative whole-number counts")
    return arr


def cmh_test(
    table: object,
    *,
    ordered: bool = False,
    scores: object | None = None,
    correct: bool = True,
    conf_level: float = 0.95,
    exact: bool = False,
) -> TestResult:
    """Cochran-Mantel-Haenszel test, stratified or not.

    ``table`` has shape (I, J) or (I, J, K): rows are the I groups, columns the J
    categories, the last axis the K strata.

    - J = 2, ``ordered=False``: the 2 x 2 x K Mantel-Haenszel test, with continuity
      correction if ``correct``, and the Mantel-Haenszel common odds ratio with the
      Robins-Breslow-Greenland CI. Matches R ``mantelhaen.test(table)``.
    - J > 2, ``ordered=False``: the generalized CMH test of general association, J - 1 df.
      Matches R ``mantelhaen.test(table)`` for a 2 x J x K table.
    - ``ordered=True``: the CMH correlation (linear-by-linear association) statistic,
      1 df, with column ``scores`` (default 1..J); with two groups it equals the
      row-mean-scores statistic (Agresti 2013, section 8.4; SAS ``PROC FREQ CMH``
      "Nonzero Correlation"). Unstratified it is (N - 1) / N times R's
      ``prop.trend.test`` (the Cochran-Armitage statistic).
    - I > 2: the generalized CMH test of general association on (I - 1)(J - 1) df
      (Landis, Heyman & Koch 1978), R's ``mantelhaen.test`` for an I x J x K table.
    - ``exact=True`` (2 x 2 x K): the exact conditional test, the conditional MLE of the
      common odds ratio and its exact CI, as ``mantelhaen.test(exact = TRUE)``.

    Strata with fewer than 2 subjects carry no information: they are left out and the
    result says so (``dropped_strata``, ``note``); R refuses such a table.

    >>> res = cmh_test([[[2, 5], [3, 6]], [[4, 2], [5, 3]]])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (0.0011, 0.9731)
    """
    arr = _strata_table(table)
    n_k = arr.sum(axis=(0, 1))
    small = np.flatnonzero(n_k < 2)
    arr = arr[:, :, n_k >= 2]  # a stratum with < 2 subjects carries no information
    if arr.shape[2] == 0:
        raise ValueError("CMH test undefined: no stratum has 2 or more subjects")
    i_rows, j = arr.shape[0], arr.shape[1]
    if exact and (i_rows != 2 or j != 2 or ordered):
        raise ValueError("exact=True is for 2 x 2 x K tables (as mantelhaen.test)")
    if i_rows > 2 and ordered:
        raise ValueError("ordered=True needs two groups (a 2 x J x K table)")
    if exact:
        res = _mantel_haenszel_exact(arr, conf_level)
    elif i_rows > 2:
        res = _cmh_general_ij(arr)
    elif ordered:
        res = _cmh_correlation(arr, scores)
    elif scores is not None:
        raise ValueError("scores apply only with ordered=True")
    elif j == 2:
        res = _mantel_haenszel_2x2(arr, correct, conf_level)
    else:
        res = _cmh_general(arr)
    if small.size:
        # said, not silent (R's mantelhaen.test refuses such a table outright)
        said = (
            f"{small.size} stratum/strata with fewer than 2 subjects left out (no "
            f"information): index {', '.join(str(int(i)) for i in small)} of the last axis "
            f"({int(n_k[small].sum())} subject(s))."
        )
        res = replace(res, note=f"{res.note} {said}".strip(), dropped_strata=tuple(map(int, small)))
    return res


def _cmh_correlation(arr: np.ndarray, scores: object | None) -> TestResult:
    j = arr.shape[1]
    v = np.arange(1.0, j + 1) if scores is None else as_float_1d("scores", scores)
    if v.size != j:
        raise ValueError(f"scores must have {j} values (one per column), got {v.size}")
    u = np.array([1.0, 0.0])  # group indicator: first row = 1
    num = 0.0
    den = 0.0
    for k in range(arr.shape[2]):
        m = arr[:, :, k]
        n = m.sum()
        r, c = m.sum(axis=1), m.sum(axis=0)
        t = u @ m @ v
        num += t - (u @ r) * (v @ c) / n
        den += (u**2 @ r - (u @ r) ** 2 / n) * (v**2 @ c - (v @ c) ** 2 / n) / (n - 1)
    if den <= 0:
        raise ValueError("CMH correlation test undefined: no variation in group or score")
    stat = num**2 / den
    return TestResult(
        method="CMH correlation test (linear-by-linear, ordered categories)",
        statistic=float(stat),
        p_value=float(stats.chi2.sf(stat, 1)),
        df=1.0,
        statistic_name="Chi-square",
    )


def _cmh_general(arr: np.ndarray) -> TestResult:
    j = arr.shape[1]
    diff = np.zeros(j - 1)
    cov = np.zeros((j - 1, j - 1))
    for k in range(arr.shape[2]):
        m = arr[:, :, k]
        n = m.sum()
        n1, n2 = m.sum(axis=1)
        c = m.sum(axis=0)[: j - 1]
        diff += m[0, : j - 1] - n1 * c / n
        # covariance of a multivariate hypergeometric row (Agresti 2013, section 8.4.1)
        cov += n1 * n2 / (n**2 * (n - 1)) * (n * np.diag(c) - np.outer(c, c))
    stat = float(diff @ np.linalg.pinv(cov, hermitian=True) @ diff)
    df = j - 1
    return TestResult(
        method="Cochran-Mantel-Haenszel test of general association",
        statistic=stat,
        p_value=float(stats.chi2.sf(stat, df)),
        df=float(df),
        statistic_name="Chi-square",
    )


def _cmh_general_ij(arr: np.ndarray) -> TestResult:
    """Generalized CMH statistic for I x J x K: the first (I-1)(J-1) cells of each stratum
    against their hypergeometric mean and covariance (Agresti 2013, section 8.4.1)."""
    i_rows, j = arr.shape[0], arr.shape[1]
    q = (i_rows - 1) * (j - 1)
    diff = np.zeros(q)
    cov = np.zeros((q, q))
    for k in range(arr.shape[2]):
        m = arr[:, :, k]
        n = m.sum()
        r, c = m.sum(axis=1)[:-1], m.sum(axis=0)[:-1]
        diff += (m[:-1, :-1] - np.outer(r, c) / n).ravel()
        vr = n * np.diag(r) - np.outer(r, r)
        vc = n * np.diag(c) - np.outer(c, c)
        cov += np.kron(vr, vc) / (n**2 * (n - 1))
    stat = float(diff @ np.linalg.pinv(cov, hermitian=True) @ diff)
    return TestResult(
        method="Cochran-Mantel-Haenszel test of general association (I x J x K)",
        statistic=stat,
        p_value=float(stats.chi2.sf(stat, q)),
        df=float(q),
        statistic_name="Cochran-Mantel-Haenszel M^2",
    )


def _mantel_haenszel_exact(arr: np.ndarray, conf_level: float) -> TestResult:
    est, low, high, p_value = exact_odds_ratio(arr, conf_level)
    return TestResult(
        method="Exact conditional test of independence in 2 x 2 x K tables",
        statistic=float(arr[0, 0].sum()),
        p_value=p_value,
        estimate=est,
        ci_low=low,
        ci_high=high,
        conf_level=conf_level,
        statistic_name="S",
        note="Estimate: conditional maximum likelihood common odds ratio, exact CI.",
    )


def _mantel_haenszel_2x2(arr: np.ndarray, correct: bool, conf_level: float) -> TestResult:
    a, b, c, d = arr[0, 0], arr[0, 1], arr[1, 0], arr[1, 1]
    n = a + b + c + d
    expected = (a + b) * (a + c) / n
    var = (a + b) * (c + d) * (a + c) * (b + d) / (n**2 * (n - 1))
    delta = abs(a.sum() - expected.sum())
    if correct and delta >= 0.5:  # R applies the 0.5 correction only when it fits
        delta -= 0.5
    if var.sum() <= 0:
        raise ValueError("Mantel-Haenszel test undefined: a margin is zero in every stratum")
    stat = delta**2 / var.sum()
    # Mantel-Haenszel common odds ratio; Robins, Breslow & Greenland (1986) variance
    r, s = a * d / n, b * c / n
    p_, q_ = (a + d) / n, (b + c) / n
    rr, ss = r.sum(), s.sum()
    estimate = rr / ss
    var_log = (p_ * r).sum() / (2 * rr**2) + ((p_ * s + q_ * r).sum()) / (2 * rr * ss)
    var_log += (q_ * s).sum() / (2 * ss**2)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    half = z * math.sqrt(var_log) if np.isfinite(var_log) else math.nan
    return TestResult(
        method="Mantel-Haenszel chi-square test (2 x 2 x K)"
        + (" with continuity correction" if correct else ""),
        statistic=float(stat),
        p_value=float(stats.chi2.sf(stat, 1)),
        df=1.0,
        estimate=float(estimate),
        ci_low=float(estimate * math.exp(-half)),
        ci_high=float(estimate * math.exp(half)),
        conf_level=conf_level,
        statistic_name="Mantel-Haenszel X-squared",
        note="Estimate: Mantel-Haenszel common odds ratio (Robins-Breslow-Greenland CI).",
    )
