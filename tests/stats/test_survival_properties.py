"""Properties that any correct implementation has, whatever the data (hypothesis):
results do not depend on row order; every row twice leaves estimates unchanged and
doubles the information (Breslow Cox SE and Greenwood SE shrink by sqrt 2); degenerate
inputs (one patient in a group, everyone censored, all times tied) give a clear result
or a clear error, never a silent NaN."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gvhdtrial.stats import (
    ConvergenceWarning,
    compare_proportions,
    cox,
    kaplan_meier,
    logistic,
    logrank,
)
from gvhdtrial.stats.regression import PerfectSeparationError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def survival_data(draw: st.DrawFn, min_n: int = 4, max_n: int = 40) -> dict[str, np.ndarray]:
    n = draw(st.integers(min_n, max_n))
    tied = draw(st.booleans())
    if tied:
        time = np.array(draw(st.lists(st.integers(1, 8), min_size=n, max_size=n)), float)
    else:
        time = np.array(
            draw(
                st.lists(st.floats(0.1, 100, allow_nan=False), min_size=n, max_size=n, unique=True)
            )
        )
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), int)
    x = np.array(draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n, max_size=n)))
    group = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    perm = np.array(draw(st.permutations(range(n))))
    return {"time": time, "event": event, "x": np.round(x, 3), "group": group, "perm": perm}


def _fit_cox(time, event, x, ties):
    """A Cox fit, or None where the model is degenerate (no events, singular, diverging)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            return cox(time, event, x, ties=ties)
        except (ValueError, ConvergenceWarning):
            return None


@SETTINGS
@given(survival_data())
def test_kaplan_meier_does_not_depend_on_row_order(d) -> None:
    p = d["perm"]
    a = kaplan_meier(d["time"], d["event"])
    b = kaplan_meier(d["time"][p], d["event"][p])
    np.testing.assert_array_equal(a.time, b.time)
    np.testing.assert_allclose(a.surv, b.surv, rtol=1e-12)
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)


@SETTINGS
@given(survival_data())
def test_logrank_does_not_depend_on_row_order(d) -> None:
    assume(d["event"].any() and np.unique(d["group"]).size > 1)
    p = d["perm"]
    try:
        a = logrank(d["time"], d["event"], d["group"])
    except ValueError as err:  # e.g. only one group at risk at the event times
        with pytest.raises(ValueError, match=str(err)):
            logrank(d["time"][p], d["event"][p], d["group"][p])
        return
    b = logrank(d["time"][p], d["event"][p], d["group"][p])
    np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.expected, b.expected, rtol=1e-12)


@SETTINGS
@given(survival_data(), st.sampled_from(["efron", "breslow"]))
def test_cox_does_not_depend_on_row_order(d, ties) -> None:
    p = d["perm"]
    a = _fit_cox(d["time"], d["event"], d["x"], ties)
    assume(a is not None)
    b = _fit_cox(d["time"][p], d["event"][p], d["x"][p], ties)
    assert b is not None
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-10)


@SETTINGS
@given(survival_data())
def test_doubling_the_data_keeps_km_and_shrinks_greenwood_se_by_sqrt2(d) -> None:
    t2, e2 = np.tile(d["time"], 2), np.tile(d["event"], 2)
    a, b = kaplan_meier(d["time"], d["event"]), kaplan_meier(t2, e2)
    np.testing.assert_allclose(a.surv, b.surv, rtol=1e-12)
    fin = np.isfinite(a.std_err)
    np.testing.assert_allclose(b.std_err[fin], a.std_err[fin] / math.sqrt(2), rtol=1e-10)


@SETTINGS
@given(survival_data())
def test_doubling_the_data_shrinks_breslow_cox_se_by_sqrt2(d) -> None:
    a = _fit_cox(d["time"], d["event"], d["x"], "breslow")
    assume(a is not None)
    b = _fit_cox(np.tile(d["time"], 2), np.tile(d["event"], 2), np.tile(d["x"], 2), "breslow")
    assert b is not None
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.se, a.se / math.sqrt(2), rtol=1e-6)


@SETTINGS
@given(survival_data())
def test_doubling_untied_data_keeps_efron_coefficient_close_to_breslow_identity(d) -> None:
    """Untied data doubled: each time now has a tie of two. Efron's likelihood is no longer
    2 x the original, but the coefficient and SE / sqrt 2 stay close to the original."""
    assume(np.unique(d["time"]).size == d["time"].size)
    a = _fit_cox(d["time"], d["event"], d["x"], "efron")
    assume(a is not None and a.n_events >= 5)
    b = _fit_cox(np.tile(d["time"], 2), np.tile(d["event"], 2), np.tile(d["x"], 2), "efron")
    assert b is not None
    assert np.all(np.isfinite(b.se)) and np.all(b.se < a.se)


@SETTINGS
@given(survival_data(min_n=2, max_n=15))
def test_degenerate_inputs_give_a_result_or_a_clear_error_never_silent_nan(d) -> None:
    t, e, x, g = d["time"], d["event"], d["x"], d["group"]
    km = kaplan_meier(t, e)
    assert np.all(np.isfinite(km.surv))
    assert np.all(np.isnan(km.lower) == (km.surv == 0) | (km.conf_type != "log"))
    try:
        lr = logrank(t, e, g)
        assert math.isfinite(lr.statistic) and math.isfinite(lr.p_value)
    except ValueError as err:
        assert "no events" in str(err) or "group" in str(err)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            fit = cox(t, e, x)
            assert np.all(np.isfinite(fit.coef)) and math.isfinite(fit.loglik)
        except ValueError as err:
            assert "no events" in str(err) or "singular" in str(err)


def test_group_with_one_patient() -> None:
    t = np.array([1.0, 2, 3, 4, 5, 6, 7])
    e = np.array([1, 0, 1, 1, 0, 1, 1])
    g = np.array([0, 0, 0, 1, 1, 1, 2])  # group 2 has one patient
    lr = logrank(t, e, g)
    assert lr.df == 2 and math.isfinite(lr.statistic)
    curves = kaplan_meier(t, e, group=g)
    assert curves[2].surv.tolist() == [0.0] and math.isnan(curves[2].lower[0])


def test_all_censored() -> None:
    t = np.arange(1.0, 6.0)
    e = np.zeros(5, int)
    km = kaplan_meier(t, e)
    assert km.surv.tolist() == [1.0] * 5 and km.lower.tolist() == [1.0] * 5
    assert math.isnan(km.median)  # never reaches 0.5: no median, as R's NA
    with pytest.raises(ValueError, match="no events"):
        logrank(t, e, [0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="no events"):
        cox(t, e, [0.0, 1, 0, 1, 0])


def test_all_times_tied() -> None:
    t = np.full(6, 3.0)
    e = np.array([1, 1, 0, 1, 0, 1])
    km = kaplan_meier(t, e)
    assert km.time.tolist() == [3.0] and km.surv[0] == pytest.approx(2 / 6)
    lr = logrank(t, e, [0, 0, 0, 1, 1, 1])
    assert math.isfinite(lr.statistic)
    fit = cox(t, e, [0.0, 1, 0, 1, 1, 0])
    assert np.isfinite(fit.coef).all()


@SETTINGS
@given(
    st.integers(1, 60).flatmap(lambda n1: st.tuples(st.integers(0, n1), st.just(n1))),
    st.integers(1, 60).flatmap(lambda n2: st.tuples(st.integers(0, n2), st.just(n2))),
)
def test_compare_proportions_always_finite_and_symmetric(a, b) -> None:
    (x1, n1), (x2, n2) = a, b
    r = compare_proportions(x1, n1, x2, n2)
    s = compare_proportions(x2, n2, x1, n1)
    assert 0 <= r.p_value <= 1 and r.test == s.test
    assert r.p_value == pytest.approx(s.p_value, rel=1e-9, abs=1e-12)
    assert r.odds_ratio == pytest.approx(1 / s.odds_ratio, rel=1e-9)
    assert 0 < r.ci_low <= r.odds_ratio <= r.ci_high < math.inf


@SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), st.floats(-3, 3, allow_nan=False)), min_size=6, max_size=40)
)
def test_logistic_gives_finite_fit_or_clear_error(rows) -> None:
    y = np.array([r[0] for r in rows], float)
    x = np.round(np.array([r[1] for r in rows]), 3)
    try:
        fit = logistic(y, x)
        assert np.all(np.isfinite(fit.coef)) and np.all(np.isfinite(fit.se))
    except PerfectSeparationError:
        pass
    except ValueError as err:
        assert "constant" in str(err) or "collinear" in str(err)
