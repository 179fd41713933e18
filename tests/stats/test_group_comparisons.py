"""Table 1 helpers pinned against R: t.test (var.equal TRUE/FALSE), wilcox.test (exact and
normal approximation), mantelhaen.test (2 x 2 x K and 2 x J x K); the ordinal CMH
correlation test against prop.trend.test and a written-out formula. Frozen values in
tests/fixtures/survival_reference.json (tests/fixtures/survival_reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survival_ref import FIXTURES, close, close_p, reference

from gvhdtrial.stats import cmh_test, t_test, wilcoxon_rank_sum

SETS = ["exact", "ties", "large"]


def samples(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = pd.read_csv(FIXTURES / "data" / "survival_twosample.csv")
    d = d[d.set == name]
    return d.value[d.group == 1].to_numpy(), d.value[d.group == 2].to_numpy()


def r_array(entry: dict) -> np.ndarray:
    """An R array (column-major, dims as given) as a NumPy array."""
    return np.array(entry["table"], dtype=float).reshape(entry["dim"], order="F")


@pytest.mark.parametrize("name", SETS)
def test_student_t_test_against_R_t_test_var_equal(name: str) -> None:
    r = reference()["twosample"][name]["student"]
    res = t_test(*samples(name))
    close(res.statistic, r["stat"])
    close(res.df, r["df"])
    close_p(res.p_value, r["p"])
    close([res.ci_low, res.ci_high], r["ci"])


@pytest.mark.parametrize("name", SETS)
def test_welch_t_test_against_R_t_test(name: str) -> None:
    r = reference()["twosample"][name]["welch"]
    res = t_test(*samples(name), welch=True)
    close(res.statistic, r["stat"])
    close(res.df, r["df"])
    close_p(res.p_value, r["p"])
    close([res.ci_low, res.ci_high], r["ci"])


@pytest.mark.parametrize("name", SETS)
def test_wilcoxon_against_R_wilcox_test(name: str) -> None:
    """exact: n < 50 without ties (exact); ties: normal approx with continuity and tie
    correction; large: n >= 50 (normal approx with continuity correction)."""
    r = reference()["twosample"][name]["wilcox"]
    res = wilcoxon_rank_sum(*samples(name))
    close(res.statistic, r["W"])
    close_p(res.p_value, r["p"])
    assert ("exact" in res.method) == (name == "exact")


@pytest.mark.parametrize("name", SETS)
def test_wilcoxon_without_correction_against_R_wilcox_test(name: str) -> None:
    r = reference()["twosample"][name]["wilcox_normal_nocorrect"]
    res = wilcoxon_rank_sum(*samples(name), exact=False, correct=False)
    close(res.statistic, r["W"])
    close_p(res.p_value, r["p"])


def test_cmh_2x2xK_against_R_mantelhaen_test() -> None:
    r = reference()["cmh"]["mh2x2"]
    table = r_array(r)
    res = cmh_test(table)
    close(res.statistic, r["stat"])
    close_p(res.p_value, r["p"])
    close(res.estimate, r["estimate"])
    close([res.ci_low, res.ci_high], r["ci"])
    res_nc = cmh_test(table, correct=False)
    close(res_nc.statistic, r["stat_nc"])
    close_p(res_nc.p_value, r["p_nc"])


def test_cmh_general_association_2xJxK_against_R_mantelhaen_test() -> None:
    r = reference()["cmh"]["general"]
    res = cmh_test(r_array(r))
    close(res.statistic, r["stat"])
    assert res.df == r["df"][0]
    close_p(res.p_value, r["p"])


def test_cmh_ordinal_grade_table1_against_R_prop_trend_test() -> None:
    """Source: Table 1, aGVHD grade II/III/IV at baseline, ITT (MSC 21/16/3, control
    23/15/0). Unstratified, the CMH correlation statistic is (N - 1)/N times R's
    prop.trend.test statistic."""
    r = reference()["cmh"]["ordinal_grade"]
    table = np.array(r["table"], dtype=float).reshape(2, 3)
    res = cmh_test(table, ordered=True)
    close(res.statistic, r["stat"])
    close_p(res.p_value, r["p"])


def test_cmh_ordinal_stratified_against_R_formula() -> None:
    """Stratified correlation statistic, written out in R from Agresti (2013) ch. 8."""
    r = reference()["cmh"]["ordinal_strat"]
    res = cmh_test(r_array(r), ordered=True, scores=[1, 2, 3])
    close(res.statistic, r["stat"])
    close_p(res.p_value, r["p"])


def test_cmh_ordinal_two_columns_equals_uncorrected_mantel_haenszel() -> None:
    """With J = 2 the correlation statistic is the uncorrected 2 x 2 x K MH statistic."""
    table = r_array(reference()["cmh"]["mh2x2"])
    a = cmh_test(table, ordered=True).statistic
    b = cmh_test(table, correct=False).statistic
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_group_comparison_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="at least 2 observations"):
        t_test([1.0], [2.0, 3.0])
    with pytest.raises(ValueError, match="zero variance"):
        t_test([1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="shape"):
        cmh_test(np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="scores must have 3"):
        cmh_test(np.ones((2, 3)), ordered=True, scores=[1, 2])
    with pytest.raises(ValueError, match="must be finite"):
        wilcoxon_rank_sum([1.0, np.nan], [2.0])


def test_wilcoxon_with_ties_falls_back_to_normal_and_says_so() -> None:
    res = wilcoxon_rank_sum([1, 2, 2, 3], [2, 4, 5])
    assert "normal approximation" in res.method and "Ties" in res.note
    assert "W =" in res.summary()
