"""Cox regression pinned against R survival 3.5-3 ``coxph`` (eps = 1e-11), Efron and
Breslow ties; frozen values in tests/fixtures/survival_reference.json (made by
tests/fixtures/survival_reference.R). Plus the likelihood on Therneau's six subjects
worked on paper, checked at beta = 0 apart from the optimiser."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from survival_ref import SURVIVAL_SETS, close, close_p, data, reference

from gvhdtrial.stats import ConvergenceWarning, cox
from gvhdtrial.stats.cox import _CoxData


def design(d: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    d = d.assign(g2=(d.group == 2).astype(float), g3=(d.group == 3).astype(float))
    return d[names]


CASES = [
    (name, key)
    for name in SURVIVAL_SETS
    for key in ("cox_efron", "cox_breslow", "cox_efron_x1", "cox_breslow_x1")
]


@pytest.mark.parametrize(("name", "key"), CASES)
def test_cox_against_R_coxph(name: str, key: str) -> None:
    d, r = data(name), reference()["survival"][name][key]
    ties = "efron" if "efron" in key else "breslow"
    fit = cox(d.time, d.event, design(d, r["names"]), ties=ties)
    assert fit.names == r["names"]
    close(fit.coef, r["coef"])
    close(fit.se, r["se"])
    close(fit.cov.ravel(), r["var"])
    close([fit.loglik_null, fit.loglik], r["loglik"])
    close(fit.z, r["z"])
    close_p(fit.p_value, r["p"])
    close(fit.ci_low, r["ci_low"])
    close(fit.ci_high, r["ci_high"])
    close(fit.wald_statistic, r["wald"][0])
    close(fit.score_statistic, r["score"][0])
    close(fit.lr_statistic, r["lr"][0])
    df = len(r["names"])
    close_p(fit.wald_p, stats.chi2.sf(r["wald"][0], df))
    close_p(fit.lr_p, stats.chi2.sf(r["lr"][0], df))


def test_cox_score_test_equals_logrank_for_one_binary_covariate() -> None:
    """With one binary covariate and no ties, the Cox score test is the log-rank test."""
    from gvhdtrial.stats import logrank

    d = data("medium_noties")
    d = d[d.group < 3]
    fit = cox(d.time, d.event, (d.group == 2).astype(float), ties="breslow")
    np.testing.assert_allclose(fit.score_statistic, logrank(d.time, d.event, d.group).statistic)


def test_cox_six_subjects_loglik_by_hand() -> None:
    """Therneau & Grambsch (2000) section 3.6 style: six subjects, x = (1,1,1,0,0,0),
    times 1,1,6,6,8,9, events 1,0,1,1,0,1. At beta = 0 (r = 1):
    Breslow: log L = -[log 6 + 2 log 4 + log 1]; Efron at t = 6 (two deaths among four):
    -[log 4 + log(4 - 1)]. Score at 0 (Breslow): sum over deaths of x - mean x at risk:
    (1 - 3/6) + (1 + 0 - 2 * 1/4) + (0 - 0) = 1."""
    d = data("six")
    X = d[["x1"]].to_numpy(float)
    t, e = d.time.to_numpy(float), d.event.to_numpy(bool)
    ll_b, u_b, _ = _CoxData(t, e, X, "breslow").evaluate(np.zeros(1))
    ll_e, _, _ = _CoxData(t, e, X, "efron").evaluate(np.zeros(1))
    assert math.isclose(ll_b, -(math.log(6) + 2 * math.log(4)), rel_tol=1e-14)
    assert math.isclose(ll_e, -(math.log(6) + math.log(4) + math.log(3)), rel_tol=1e-14)
    np.testing.assert_allclose(u_b, [1.0], rtol=1e-14)
    # one step of Newton-Raphson from 0 is the score / information
    _, u, i = _CoxData(t, e, X, "efron").evaluate(np.zeros(1))
    ll1, _, _ = _CoxData(t, e, X, "efron").evaluate(u / i[0])
    assert ll1 > ll_e


def test_cox_names_from_dataframe_series_and_array() -> None:
    d = data("small_noties")
    assert cox(d.time, d.event, d[["x1", "x2"]]).names == ["x1", "x2"]
    assert cox(d.time, d.event, d.x1).names == ["x1"]
    assert cox(d.time, d.event, d[["x1", "x2"]].to_numpy()).names == ["x1", "x2"]


def test_cox_summary_and_frame() -> None:
    d = data("medium_ties")
    fit = cox(d.time, d.event, d[["x1", "x2"]])
    text = fit.summary()
    assert "Likelihood ratio test" in text and "x2" in text
    frame = fit.to_frame()
    assert list(frame.index) == ["x1", "x2"]
    np.testing.assert_allclose(frame.hazard_ratio, np.exp(fit.coef))


def test_cox_errors_are_clear() -> None:
    d = data("small_noties")
    with pytest.raises(ValueError, match="no events"):
        cox(d.time, np.zeros(len(d)), d.x1)
    with pytest.raises(ValueError, match=r"singular.*'c'"):
        cox(d.time, d.event, d.assign(c=1.0)[["x1", "c"]])
    with pytest.raises(ValueError, match="ties"):
        cox(d.time, d.event, d.x1, ties="discrete")
    with pytest.raises(ValueError, match="rows"):
        cox(d.time, d.event, d.x1[:5])


def test_cox_monotone_likelihood_warns() -> None:
    """No events in one group: the coefficient diverges; a warning says so (R does too)."""
    t = np.arange(1.0, 11.0)
    x = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], float)
    e = np.where(x == 1, 0, 1)
    with pytest.warns(ConvergenceWarning, match="infinite"):
        fit = cox(t, e, x)
    assert np.isfinite(fit.coef).all()
