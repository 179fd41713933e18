"""Logistic regression pinned against R ``glm(family = binomial)`` with Wald CIs
(``confint.default``); frozen values in tests/fixtures/survival_reference.json."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survival_ref import FIXTURES, close, close_p, reference

from gvhdtrial.stats import PerfectSeparationError, logistic


def logistic_data() -> pd.DataFrame:
    d = pd.read_csv(FIXTURES / "data" / "survival_logistic.csv")
    return d.assign(x3b=(d.x3 == "b").astype(float), x3c=(d.x3 == "c").astype(float))


def test_logistic_against_R_glm_binomial() -> None:
    d, r = logistic_data(), reference()["logistic"]["full"]
    fit = logistic(d.y, d[["x1", "x2", "x3b", "x3c"]])
    close(fit.coef, r["coef"])
    close(fit.se, r["se"])
    close(fit.z, r["z"])
    close_p(fit.p_value, r["p"])
    close(np.log(fit.ci_low), r["ci_low"])
    close(np.log(fit.ci_high), r["ci_high"])
    close(fit.loglik, r["loglik"])
    close(fit.loglik_null, r["loglik_null"])
    assert fit.names == ["(Intercept)", "x1", "x2", "x3b", "x3c"]


def test_logistic_one_covariate_against_R_glm_binomial() -> None:
    d, r = logistic_data(), reference()["logistic"]["x1"]
    fit = logistic(d.y, d.x1)
    close(fit.coef, r["coef"])
    close(fit.se, r["se"])
    close_p(fit.p_value, r["p"])


def test_logistic_lr_test_of_factor_against_R_anova() -> None:
    d, r = logistic_data(), reference()["logistic"]["x3_lr"]
    fit = logistic(d.y, d[["x3b", "x3c"]])
    close(fit.lr_statistic, r["stat"])
    close_p(fit.lr_p, r["p"])


def test_logistic_perfect_separation_is_a_clear_error() -> None:
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])
    with pytest.raises(PerfectSeparationError, match="separation"):
        logistic(x, pd.DataFrame({"arm": x}))


def test_logistic_quasi_complete_separation_is_a_clear_error() -> None:
    """All events in one category, the other category mixed: the MLE does not exist."""
    y = np.array([0, 0, 0, 0, 1, 1, 0, 1, 0, 1])
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1.0])
    with pytest.raises(PerfectSeparationError, match=r"\['x'\]"):
        logistic(y, x)


def test_logistic_input_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        logistic([0, 1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="y is constant"):
        logistic([1, 1, 1], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="constant"):
        logistic([0, 1, 0, 1], pd.DataFrame({"c": [1.0] * 4}))
    with pytest.raises(ValueError, match="collinear"):
        logistic([0, 1, 0, 1, 1], pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 4, 6, 8, 10]}))


def test_logistic_summary_and_frame() -> None:
    d = logistic_data()
    fit = logistic(d.y, d[["x1", "x2"]])
    assert "OR" in fit.summary() and "Likelihood ratio test" in fit.summary()
    np.testing.assert_allclose(fit.to_frame().odds_ratio, np.exp(fit.coef))
