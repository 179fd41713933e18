"""Logistic regression of a binary response (e.g. ORR at day 28) on baseline covariates.

statsmodels' GLM (binomial, logit link, IRLS) does the fitting; this module adds the
odds ratios with Wald CIs the paper reports, and refuses to return a fit when the maximum
likelihood estimate does not exist (perfect or quasi-complete separation), where
statsmodels would hand back huge coefficients or NaN. Pinned against R
``glm(family = binomial)`` in tests/stats/test_regression.py.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from gvhdtrial.stats._format import box, fmt_num, fmt_p, table
from gvhdtrial.stats._validate import as_float_1d, design
from gvhdtrial.stats._wald import WaldRatioLimits

# A fitted probability this close to 0 or 1 (|linear predictor| > 25) means the
# likelihood is still increasing towards infinite coefficients: separation.
_SEPARATION_ETA = 25.0


class PerfectSeparationError(ValueError):
    """The logistic MLE does not exist: covariates predict the outcome (quasi-)perfectly."""


@dataclass(frozen=True)
class LogisticResult(WaldRatioLimits):
    """Result of :func:`logistic`; arrays follow ``names`` (the intercept first)."""

    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    conf_level: float
    loglik: float
    loglik_null: float
    n: int
    n_events: int

    @property
    def odds_ratio(self) -> np.ndarray:
        return np.exp(self.coef)

    @property
    def lr_statistic(self) -> float:
        return 2 * (self.loglik - self.loglik_null)

    @property
    def df(self) -> int:
        return len(self.names) - 1

    @property
    def lr_p(self) -> float:
        return float(stats.chi2.sf(self.lr_statistic, self.df)) if self.df > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "coef": self.coef,
                "odds_ratio": self.odds_ratio,
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
                fmt_num(o, 4),
                f"{s:.4f}",
                f"{z:.3f}",
                fmt_p(p),
                fmt_num(lo, 3),
                fmt_num(hi, 3),
            ]
            for name, b, o, s, z, p, lo, hi in zip(
                self.names,
                self.coef,
                self.odds_ratio,
                self.se,
                self.z,
                self.p_value,
                self.ci_low,
                self.ci_high,
                strict=True,
            )
        ]
        lines = [
            f"n = {self.n}, events = {self.n_events}, log-likelihood = {self.loglik:.4f} "
            f"(null {self.loglik_null:.4f})",
            "",
            *table(["term", "coef", "OR", "se", "z", "p", f"{pct}% lo", f"{pct}% hi"], rows),
            "",
            f"Likelihood ratio test = {self.lr_statistic:.3f} on {self.df} df, "
            f"p = {fmt_p(self.lr_p)}",
        ]
        return box("Logistic regression (Wald CIs)", lines)


def logistic(y: object, X: object, *, conf_level: float = 0.95) -> LogisticResult:
    """Logistic regression of y (0/1) on X with an intercept (R: ``glm(y ~ X, binomial)``).

    Raises :class:`PerfectSeparationError` (a ValueError) when the MLE does not exist.

    >>> import pandas as pd
    >>> x = [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6]
    >>> fit = logistic([0, 1, 0, 1, 1, 0, 1, 0, 1, 1], pd.DataFrame({"x": x}))
    >>> fit.names, [round(float(b), 4) for b in fit.coef]
    (['(Intercept)', 'x'], [0.5956, -1.1774])
    """
    yy = as_float_1d("y", y)
    if not np.isin(yy, (0.0, 1.0)).all():
        i = int(np.flatnonzero(~np.isin(yy, (0.0, 1.0)))[0])
        raise ValueError(f"y must be 0 or 1; element {i} is {yy[i]!r}")
    if yy.min() == yy.max():
        raise ValueError(f"y is constant ({int(yy[0])} for all {yy.size}); nothing to model")
    Z, names = design(X, yy.size)
    const = np.all(Z[:1] == Z, axis=0)
    if const.any():
        raise ValueError(
            f"covariate(s) {[n for n, c in zip(names, const, strict=True) if c]} are constant"
        )
    exog = np.column_stack([np.ones(yy.size), Z])
    if np.linalg.matrix_rank(exog) < exog.shape[1]:
        raise ValueError(
            f"covariates {names} are collinear (the design matrix is not of full rank)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation is diagnosed below, not warned about
        fit = sm.GLM(yy, exog, family=sm.families.Binomial()).fit(tol=1e-13, maxiter=200)
    eta = exog @ fit.params
    if np.max(np.abs(eta)) > _SEPARATION_ETA or not np.all(np.isfinite(fit.bse)):
        size = np.abs(fit.params[1:]) * Z.std(axis=0)
        worst = [names[i] for i in np.argsort(-size)[: min(3, len(names))]]
        raise PerfectSeparationError(
            "perfect or quasi-complete separation: some fitted probabilities are 0 or 1, so "
            f"the maximum likelihood estimate does not exist (largest effects: {worst}); "
            "combine categories, drop the variable, or use a penalized (Firth) model"
        )
    null_p = yy.mean()
    loglik_null = float(yy.sum() * np.log(null_p) + (yy.size - yy.sum()) * np.log(1 - null_p))
    return LogisticResult(
        names=["(Intercept)", *names],
        coef=np.asarray(fit.params),
        se=np.asarray(fit.bse),
        cov=np.asarray(fit.cov_params()),
        z=np.asarray(fit.tvalues),
        p_value=np.asarray(fit.pvalues),
        conf_level=conf_level,
        loglik=float(fit.llf),
        loglik_null=loglik_null,
        n=int(yy.size),
        n_events=int(yy.sum()),
    )
