"""Kaplan-Meier and log-rank, pinned against R survival 3.5-3 (survfit, summary.survfit,
survdiff): frozen values in tests/fixtures/survival_reference.json, made by
tests/fixtures/survival_reference.R. Plus hand-derived values on Therneau's six subjects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from survival_ref import SURVIVAL_SETS, arr, close, close_p, data, reference

from gvhdtrial.stats import kaplan_meier, logrank


def ref(name: str) -> dict:
    return reference()["survival"][name]


@pytest.mark.parametrize("name", SURVIVAL_SETS)
@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_kaplan_meier_against_R_survfit(name: str, conf_type: str) -> None:
    d, r = data(name), ref(name)["km_" + conf_type.replace("-", "")]
    km = kaplan_meier(d.time, d.event, conf_type=conf_type)
    close(km.time, r["time"])
    close(km.n_risk, r["n_risk"])
    close(km.n_event, r["n_event"])
    close(km.n_censor, r["n_censor"])
    close(km.surv, r["surv"])
    # R's std.err is NaN/Inf after S reaches 0; compare where finite
    se_r = arr(r["std_err"])
    fin = np.isfinite(se_r)
    close(km.std_err[fin], se_r[fin])
    close(km.lower, r["lower"])
    close(km.upper, r["upper"])


@pytest.mark.parametrize("name", SURVIVAL_SETS)
@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_kaplan_meier_at_times_against_R_summary_survfit_times(name: str, conf_type: str) -> None:
    d, r = data(name), ref(name)["km_" + conf_type.replace("-", "")]
    km = kaplan_meier(d.time, d.event, conf_type=conf_type)
    at = km.at(r["at_time"])
    close(at.surv, r["at_surv"])
    close(at.lower, r["at_lower"])
    close(at.upper, r["at_upper"])
    close(at.n_risk, r["at_n_risk"])
    # R's summary std.err is on the survival scale: S * se(log S)
    with np.errstate(invalid="ignore"):  # 0 * inf once S = 0: NaN, as R's NA
        close(at.surv * at.std_err, r["at_std_err"])


@pytest.mark.parametrize("name", SURVIVAL_SETS)
def test_kaplan_meier_median_and_ci_against_R_survfit_table(name: str) -> None:
    d = data(name)
    for key, kwargs in [
        ("km_log", {}),
        ("km_loglog", {"conf_type": "log-log"}),
        ("km_log_90", {"conf_level": 0.9}),
    ]:
        r = ref(name)[key]
        km = kaplan_meier(d.time, d.event, **kwargs)
        close([km.median, *km.median_ci], [r["median"][0], r["lcl"][0], r["ucl"][0]])


@pytest.mark.parametrize("name", SURVIVAL_SETS)
def test_kaplan_meier_90_percent_ci_against_R_survfit(name: str) -> None:
    d, r = data(name), ref(name)["km_log_90"]
    km = kaplan_meier(d.time, d.event, conf_level=0.9)
    close(km.lower, r["lower"])
    close(km.upper, r["upper"])


@pytest.mark.parametrize("name", SURVIVAL_SETS)
def test_kaplan_meier_by_group_against_R_survfit_group(name: str) -> None:
    d, r = data(name), ref(name)["km_by_group"]
    curves = kaplan_meier(d.time, d.event, group=d.group)
    assert [str(g) for g in curves.groups] == list(r)
    for g in curves.groups:
        c, rg = curves[g], r[str(g)]
        close(c.time, rg["time"])
        close(c.surv, rg["surv"])
        close(c.lower, rg["lower"])
        close(c.upper, rg["upper"])
        close(c.n_risk, rg["n_risk"])


@pytest.mark.parametrize("name", SURVIVAL_SETS)
def test_logrank_against_R_survdiff(name: str) -> None:
    d, r = data(name), ref(name)["logrank"]
    lr = logrank(d.time, d.event, d.group)
    close(lr.observed, r["obs"])
    close(lr.expected, r["exp"])
    close(lr.variance.ravel(), r["var"], atol=1e-12)
    close(lr.statistic, r["chisq"])
    assert lr.df == r["df"][0]
    close_p(lr.p_value, r["p"])


@pytest.mark.parametrize("name", [s for s in SURVIVAL_SETS if "logrank_strat" in ref(s)])
def test_stratified_logrank_against_R_survdiff_strata(name: str) -> None:
    d, r = data(name), ref(name)["logrank_strat"]
    lr = logrank(d.time, d.event, d.group, strata=d.stratum)
    close(lr.observed, r["obs"])
    close(lr.expected, r["exp"])
    close(lr.variance.ravel(), r["var"], atol=1e-12)
    close(lr.statistic, r["chisq"])
    close_p(lr.p_value, r["p"])


def test_kaplan_meier_six_subjects_by_hand() -> None:
    """Therneau's six subjects: times 1,1,6,6,8,9; events 1,0,1,1,0,1. By hand:
    S(1) = 5/6, S(6) = 5/6 * 2/4, S(8) = S(6), S(9) = 0; Greenwood var(log S(6)) =
    1/(6*5) + 2/(4*2)."""
    d = data("six")
    km = kaplan_meier(d.time, d.event)
    np.testing.assert_allclose(km.surv, [5 / 6, 5 / 12, 5 / 12, 0.0], rtol=1e-15)
    np.testing.assert_allclose(km.std_err[1], math.sqrt(1 / 30 + 2 / 8), rtol=1e-15)
    assert np.isnan(km.lower[-1]) and np.isnan(km.upper[-1])  # S = 0: CI undefined, as in R
    at = km.at([0.5, 1, 5.9, 6, 100])
    np.testing.assert_allclose(at.surv, [1, 5 / 6, 5 / 6, 5 / 12, 0.0])
    np.testing.assert_array_equal(at.n_risk, [6, 6, 4, 4, 0])
    assert km.median == 6.0


def test_logrank_six_subjects_by_hand() -> None:
    """Groups {1,1,6} and {6,8,9}. At t=1: 6 at risk (3 in group 1), 1 death in group 1;
    t=6: 4 at risk (1 in group 1), 2 deaths; t=9: 1 at risk (group 2), 1 death.
    E1 = 1/2 + 2/4 + 0 = 1; V11 = 1*5/5*(1/2)(1/2) + 2*2/3*(1/4)(3/4) = 1/4 + 1/4."""
    d = data("six")
    lr = logrank(d.time, d.event, d.group)
    np.testing.assert_allclose(lr.observed, [2, 2])
    np.testing.assert_allclose(lr.expected, [1, 3])
    np.testing.assert_allclose(lr.variance[0, 0], 0.5)
    np.testing.assert_allclose(lr.statistic, (2 - 1) ** 2 / 0.5)


def test_kaplan_meier_median_midpoint_rule() -> None:
    """S = 0.5 exactly on [2, 4): the median is the midpoint (2 + 4) / 2, as in R."""
    km = kaplan_meier([1, 2, 3, 4], [0, 1, 0, 1])
    # S(2) = 2/3 ... choose data where S hits 0.5 exactly
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.surv[1] == 0.5
    assert km.median == 2.5


def test_kaplan_meier_never_below_half_has_nan_median() -> None:
    km = kaplan_meier([1, 2, 3, 4, 5], [1, 0, 0, 0, 0])
    assert math.isnan(km.median)


def test_kaplan_meier_risk_table_for_plots() -> None:
    d = data("six")
    rt = kaplan_meier(d.time, d.event).risk_table([0, 1, 2, 6, 9, 10])
    assert rt["n_risk"].tolist() == [6, 6, 4, 4, 1, 0]
    assert rt["cum_events"].tolist() == [0, 1, 1, 3, 4, 4]
    groups = kaplan_meier(d.time, d.event, group=d.group).risk_table([0, 6])
    assert groups.loc[1].tolist() == [3, 1] and groups.loc[2].tolist() == [3, 3]


def test_summaries_are_readable_text() -> None:
    d = data("medium_ties")
    km = kaplan_meier(d.time, d.event)
    assert "Median survival" in km.summary()
    assert "Chisq" in logrank(d.time, d.event, d.group).summary()
    assert "group = 1" in kaplan_meier(d.time, d.event, group=d.group).summary()


def test_survival_input_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="time must be >= 0"):
        kaplan_meier([1, -2], [1, 1])
    with pytest.raises(ValueError, match="event must be 0"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match="differ in length"):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="sqrt")
    with pytest.raises(ValueError, match="at least 2 distinct"):
        logrank([1, 2], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="no events"):
        logrank([1, 2, 3], [0, 0, 0], [1, 2, 2])
