"""Exact odds ratios and the CMH family beyond 2 x J: Fisher's conditional MLE odds ratio
and exact CI (R ``fisher.test``), the exact conditional 2 x 2 x K test
(``mantelhaen.test(exact = TRUE)``) and the generalized CMH for I x J x K tables
(``mantelhaen.test``). Frozen values: tests/fixtures/registry_reference.json.

fisher.test and mantelhaen.test solve their equations with uniroot's default tolerance
(.Machine$double.eps^0.25, documented in ?uniroot), so R's printed estimate is good to about
1e-5 relative and a far limit to about 1e-2. The R script also solves the same documented
equations to 1e-13 ("tight"); we equal those to 1e-6 and R's printed values to the
tolerance its root finder leaves."""

from __future__ import annotations

import numpy as np
import pytest
from registry_ref import arr, close, close_p, reference

from gvhdtrial.stats import cmh_test, fisher_test


def _finite_close(actual, expected, rtol: float) -> None:
    a, e = np.asarray(actual, dtype=float), arr(expected)
    assert np.array_equal(np.isinf(a), np.isinf(e))
    fin = np.isfinite(e)
    close(a[fin], e[fin], rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("i", range(len(reference()["fisher"])))
def test_fisher_conditional_mle_odds_ratio_and_exact_ci_against_R_fisher_test(i: int) -> None:
    r = reference()["fisher"][i]
    table = arr(r["table"]).reshape(2, 2)
    res = fisher_test(table)
    close_p(res.p_value, r["p"])
    _finite_close([res.estimate, res.ci_low, res.ci_high], r["tight"], rtol=1e-6)
    _finite_close([res.estimate], r["estimate"], rtol=1e-4)
    _finite_close([res.ci_low, res.ci_high], r["ci"], rtol=2e-2)
    res90 = fisher_test(table, conf_level=0.9)
    _finite_close([res90.ci_low, res90.ci_high], r["tight90"][1:], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(reference()["cmh_exact"]))
def test_cmh_exact_against_R_mantelhaen_test_exact(name: str) -> None:
    r = reference()["cmh_exact"][name]
    table = arr(r["table"]).reshape(r["dim"], order="F")
    res = cmh_test(table, exact=True)
    close(res.statistic, r["stat"])
    close_p(res.p_value, r["p"])
    _finite_close([res.estimate, res.ci_low, res.ci_high], r["tight"], rtol=1e-6)
    _finite_close([res.estimate], r["estimate"], rtol=1e-4)
    _finite_close([res.ci_low, res.ci_high], r["ci"], rtol=2e-2)


@pytest.mark.parametrize("name", sorted(reference()["cmh_ijk"]))
def test_cmh_general_association_I_by_J_by_K_against_R_mantelhaen_test(name: str) -> None:
    r = reference()["cmh_ijk"][name]
    table = arr(r["table"]).reshape(r["dim"], order="F")
    res = cmh_test(table)
    close(res.statistic, r["stat"])
    close(res.df, r["df"])
    close_p(res.p_value, r["p"])


def test_fisher_one_stratum_exact_cmh_equals_fisher_test() -> None:
    """With one stratum the exact conditional test is Fisher's (same distribution)."""
    t = np.array([[12.0, 5.0], [7.0, 9.0]])
    a, b = fisher_test(t), cmh_test(t[:, :, None], exact=True)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-10)


def test_exact_cmh_refuses_tables_that_are_not_2_by_2_by_K() -> None:
    with pytest.raises(ValueError, match="2 x 2 x K"):
        cmh_test(np.ones((3, 2, 2)), exact=True)
