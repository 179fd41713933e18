"""Univariable screen -> multivariable model (paper, "Statistical analysis": variables with
p < 0.1 in the univariable analysis enter the multivariable model).

The univariable p-values are checked against R (the LR test of a 3-level factor from
``anova(glm)``, the LR test of ``coxph``), and each multivariable table against a direct
fit of the same design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from survival_ref import FIXTURES, close, close_p, data, reference

from gvhdtrial.stats import cox, logistic, univariable_then_multivariable


def logistic_data() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "data" / "survival_logistic.csv")


def test_logistic_screen_uses_R_glm_lr_test_for_a_factor() -> None:
    d = logistic_data()
    res = univariable_then_multivariable(d, "y", ["x1", "x2", "x3"], "logistic")
    uni = res.univariable
    x3 = uni[uni.variable == "x3"]
    assert x3.term.tolist() == ["x3[b]", "x3[c]"]  # reference level "a"
    close_p(x3.p_variable.iloc[0], reference()["logistic"]["x3_lr"]["p"])
    # each univariable row is the variable's own model
    alone = logistic(d.y, d.x1)
    row = uni[uni.variable == "x1"].iloc[0]
    close(row.estimate, np.exp(alone.coef[1]), rtol=1e-12)
    close_p(row.p_variable, alone.lr_p)


def test_logistic_multivariable_is_the_fit_of_the_selected_variables() -> None:
    d = logistic_data()
    res = univariable_then_multivariable(d, "y", ["x1", "x2", "x3"], "logistic", threshold=0.1)
    p = res.univariable.groupby("variable").p_variable.first()
    assert res.selected == [v for v in ["x1", "x2", "x3"] if p[v] < 0.1]
    assert set(res.univariable.selected) == {True, False} or len(res.selected) in (0, 3)
    X = pd.concat(
        [
            d[[v for v in res.selected if v != "x3"]],
            pd.DataFrame({f"x3[{k}]": (d.x3 == k).astype(float) for k in "bc"})
            if "x3" in res.selected
            else pd.DataFrame(index=d.index),
        ],
        axis=1,
    )
    direct = logistic(d.y, X)
    assert res.multivariable is not None
    np.testing.assert_allclose(res.multivariable.coef, direct.coef[1:], rtol=1e-10)
    np.testing.assert_allclose(res.multivariable.p_value, direct.p_value[1:], rtol=1e-8)
    assert "Multivariable analysis" in res.summary()


def test_cox_screen_matches_R_coxph_lr_test() -> None:
    d = data("medium_noties")
    r = reference()["survival"]["medium_noties"]["cox_efron_x1"]
    res = univariable_then_multivariable(
        d, ("time", "event"), ["x1", "x2", "group"], "cox", categorical=["group"]
    )
    row = res.univariable[res.univariable.variable == "x1"].iloc[0]
    close_p(row.p_variable, stats.chi2.sf(r["lr"][0], 1))
    close(row.estimate, np.exp(r["coef"]))
    assert res.univariable[res.univariable.variable == "group"].term.tolist() == [
        "group[2]",
        "group[3]",
    ]
    assert res.multivariable is not None
    terms = res.multivariable.term.tolist()
    X = pd.DataFrame(
        {t: (d.group == int(t[6])).astype(float) if t.startswith("group[") else d[t] for t in terms}
    )
    direct = cox(d.time, d.event, X)
    np.testing.assert_allclose(res.multivariable.coef, direct.coef, rtol=1e-10)
    np.testing.assert_allclose(res.multivariable.ci_low, direct.ci_low, rtol=1e-10)


def test_reference_level_override_and_forced_variable() -> None:
    d = logistic_data()
    res = univariable_then_multivariable(
        d, "y", ["x2", "x3"], "logistic", threshold=1e-9, reference={"x3": "c"}, forced=["x2"]
    )
    assert res.univariable[res.univariable.variable == "x3"].term.tolist() == ["x3[a]", "x3[b]"]
    assert res.selected == []  # nothing passes a threshold of 1e-9 ...
    assert res.multivariable is not None  # ... but the forced variable is fitted
    assert res.multivariable.variable.tolist() == ["x2"]


def test_nothing_selected_gives_no_multivariable_model() -> None:
    d = logistic_data()
    res = univariable_then_multivariable(d, "y", ["x2"], "logistic", threshold=1e-12)
    assert res.multivariable is None and res.selected == []
    assert "No variable passed the screen" in res.summary()


def test_missing_values_are_dropped_per_model() -> None:
    d = logistic_data()
    d.loc[:9, "x1"] = np.nan
    res = univariable_then_multivariable(d, "y", ["x1", "x2"], "logistic")
    n = res.univariable.groupby("variable").n.first()
    assert n["x1"] == len(d) - 10 and n["x2"] == len(d)


def test_selection_input_errors_are_clear() -> None:
    d = logistic_data()
    with pytest.raises(ValueError, match="model must be one of"):
        univariable_then_multivariable(d, "y", ["x1"], "probit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="columns not in data"):
        univariable_then_multivariable(d, "y", ["age"], "logistic")
    with pytest.raises(ValueError, match="two columns"):
        univariable_then_multivariable(d, "y", ["x1"], "cox")
    with pytest.raises(ValueError, match="reference level"):
        univariable_then_multivariable(d, "y", ["x3"], "logistic", reference={"x3": "z"})


def _fine_gray_available() -> bool:
    try:
        from gvhdtrial.stats import fine_gray  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _fine_gray_available(), reason="fine_gray not written yet")
def test_fine_gray_screen_uses_wald_tests_of_the_fine_gray_fit() -> None:
    from gvhdtrial.stats import fine_gray

    d = pd.read_csv(FIXTURES / "data" / "competing_tied_3g_3c.csv")
    res = univariable_then_multivariable(
        d, ("time", "status"), ["x1", "x2", "group"], "fine_gray", threshold=0.5
    )
    assert res.variable_test == "Wald"
    alone = fine_gray(d.time.to_numpy(), d.status.to_numpy(), d[["x1"]])
    row = res.univariable[res.univariable.variable == "x1"].iloc[0]
    close(row.coef, alone.coef, rtol=1e-12)
    close_p(row.p_variable, 2 * stats.norm.sf(abs(alone.coef[0] / alone.se[0])))
    g = res.univariable[res.univariable.variable == "group"]
    assert g.term.tolist() == ["group[B]", "group[C]"]
    X = pd.DataFrame({k: (d.group == k[6]).astype(float) for k in g.term})
    both = fine_gray(d.time.to_numpy(), d.status.to_numpy(), X)
    wald = both.coef @ np.linalg.solve(both.var, both.coef)
    close_p(g.p_variable.iloc[0], stats.chi2.sf(wald, 2))
    if res.multivariable is not None:
        assert "SHR" in res.summary()
