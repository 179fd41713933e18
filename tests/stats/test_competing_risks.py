"""cuminc and Gray's test against frozen cmprsk 2.2-11 values.

Reference values: tests/fixtures/competing_reference.json, made by
tests/fixtures/competing_reference.R from the CSV files written by
tests/fixtures/competing_datasets.py (R and package versions recorded in the JSON).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvhdtrial.stats import cuminc, gray_test

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REF = json.loads((FIXTURES / "competing_reference.json").read_text())
DATASETS = sorted(REF["datasets"])


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "data" / f"competing_{name}.csv")


def as_float(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_fixture_records_r_and_package_versions():
    meta = REF["meta"]
    assert meta["cmprsk_version"] == "2.2.11"
    assert meta["r_version"].startswith("R version")
    assert "sessionInfo" in meta["session_info"] or "R version" in meta["session_info"]


@pytest.mark.parametrize("name", DATASETS)
def test_cuminc_against_R_cuminc_timepoints(name):
    d = load(name)
    ref = REF["datasets"][name]["cuminc"]
    res = cuminc(d.time, d.status, d.group)
    for key, cur in ref["curves"].items():
        group, cause = key.split()
        pts = res.at(ref["times"], group=group, cause=float(cause))
        est, var = as_float(cur["est"]), as_float(cur["var"])
        # timepoints() gives NA after the group's last follow-up; so do we
        np.testing.assert_array_equal(np.isnan(pts.est), np.isnan(est))
        ok = ~np.isnan(est)
        np.testing.assert_allclose(pts.est[ok], est[ok], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(pts.var[ok], var[ok], rtol=1e-6, atol=1e-14)


@pytest.mark.parametrize("name", DATASETS)
def test_cuminc_against_R_cuminc_full_curve(name):
    """Every step of R's curve: R lists (t, value before) and (t, value after) pairs."""
    d = load(name)
    ref = REF["datasets"][name]["cuminc"]["curves"]
    res = cuminc(d.time, d.status, d.group)
    for key, cur in ref.items():
        group, cause = key.split()
        t = np.array(cur["time_full"])
        after = np.r_[t[1:] != t[:-1], True]  # last of each run of equal times
        pts = res.at(t[after], group=group, cause=float(cause))
        np.testing.assert_allclose(pts.est, np.array(cur["est_full"])[after], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(pts.var, np.array(cur["var_full"])[after], rtol=1e-6, atol=1e-14)


@pytest.mark.parametrize("name", ["small20", "tied_3g_3c"])
def test_cuminc_without_group_against_R_cuminc(name):
    d = load(name)
    ref = REF["datasets"][name]["cuminc"]
    res = cuminc(d.time, d.status)
    for key, cur in ref["ungrouped"].items():
        cause = float(key.split()[-1])
        pts = res.at(ref["times"], cause=cause)
        est, var = as_float(cur["est"]), as_float(cur["var"])
        ok = ~np.isnan(est)
        np.testing.assert_allclose(pts.est[ok], est[ok], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(pts.var[ok], var[ok], rtol=1e-6, atol=1e-14)


def test_cuminc_equals_one_minus_R_survfit_without_competing_events():
    d = load("nocomp_tied")
    km = REF["datasets"]["nocomp_tied"]["survfit"]
    res = cuminc(d.time, d.status)
    pts = res.at(km["time"], cause=1)
    np.testing.assert_allclose(pts.est, 1.0 - np.array(km["surv"]), rtol=1e-12, atol=1e-14)


def test_cuminc_equals_one_minus_kaplan_meier_computed_by_hand():
    """Identity (no competing events): Aalen-Johansen = 1 - product-limit estimate."""
    rng = np.random.default_rng(11)
    time = np.round(rng.exponential(size=80), 1) + 0.1
    status = (rng.random(80) < 0.6).astype(int)
    res = cuminc(time, status)
    surv = 1.0
    for u in np.unique(time):
        at_risk = np.sum(time >= u)
        deaths = np.sum((time == u) & (status == 1))
        surv *= 1.0 - deaths / at_risk
        assert res.at([u], cause=1).est[0] == pytest.approx(1.0 - surv, abs=1e-14)


def test_cuminc_hand_computed_small_example():
    """Five subjects worked on paper: times 1,2,2,3,4; status 1,2,1,0,1.

    F1: at 1: 1/5; at 2 (n=4, one cause-1, one cause-2): S(2-) = 4/5 -> + 4/5 * 1/4;
    S(2) = 4/5 * 2/4 = 2/5; at 4 (n=1): + 2/5 -> F1 = 1/5 + 1/5 + 2/5 = 4/5.
    Variance at t = 1: (S(0)/n)^2 * d1 (n - d1)/(n - 1) = (1/5)^2 * 4/4 = 1/25.
    """
    res = cuminc([1, 2, 2, 3, 4], [1, 2, 1, 0, 1])
    pts = res.at([0.5, 1, 2, 3.5, 4], cause=1)
    np.testing.assert_allclose(pts.est, [0, 0.2, 0.4, 0.4, 0.8], atol=1e-15)
    assert pts.var[1] == pytest.approx(1 / 25, rel=1e-12)
    assert res.at([2], cause=2).est[0] == pytest.approx(0.2, abs=1e-15)


def test_cuminc_loglog_confidence_interval_formula():
    d = load("untied_2g_2c")
    res = cuminc(d.time, d.status, d.group)
    pts = res.at([1.0], group="A", cause=1)
    f, se = pts.est[0], pts.se[0]
    k = 1.959963984540054 * se / (f * np.log(f))
    assert pts.lower[0] == pytest.approx(f ** np.exp(-k), rel=1e-12)
    assert pts.upper[0] == pytest.approx(f ** np.exp(k), rel=1e-12)
    assert pts.lower[0] < f < pts.upper[0]


def test_cuminc_beyond_last_follow_up_is_flagged_not_estimable():
    res = cuminc([1, 2, 3], [1, 0, 2])
    pts = res.at([2.5, 3, 10], cause=1)
    assert list(pts.estimable) == [True, True, False]
    assert np.isnan(pts.est[2])


def test_cuminc_cause_without_events_in_a_group_is_a_zero_curve():
    res = cuminc([1, 2, 3, 1, 2, 3], [1, 0, 1, 2, 2, 0], group=["a", "a", "a", "b", "b", "b"])
    pts = res.at([0.5, 3], group="b", cause=1)
    np.testing.assert_array_equal(pts.est, [0.0, 0.0])
    np.testing.assert_array_equal(pts.var, [0.0, 0.0])
    np.testing.assert_array_equal(pts.lower, [0.0, 0.0])


def test_cuminc_all_censored_is_a_clear_error():
    with pytest.raises(ValueError, match="every subject is censored"):
        cuminc([1, 2, 3], [0, 0, 0])


def test_cuminc_group_with_one_patient():
    res = cuminc([1, 2, 3, 4], [1, 2, 1, 1], group=["a", "a", "a", "b"])
    pts = res.at([4], group="b", cause=1)
    # one at risk, one event: cmprsk's variance term is S(u-)^2 d1 = 1 (as small20, group B)
    assert pts.est[0] == 1.0 and pts.var[0] == 1.0
    assert all(np.isfinite(t.statistic) for t in res.tests.values())


def test_cuminc_all_tied_times():
    res = cuminc([2, 2, 2, 2], [1, 1, 2, 0])
    assert res.at([2], cause=1).est[0] == pytest.approx(0.5)
    assert np.isfinite(res.at([2], cause=1).var[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1, -2, 3], "status": [1, 0, 1]}, "time has a negative value at row 1"),
        ({"time": [1, np.nan, 3], "status": [1, 0, 1]}, "time has a missing .* row 1"),
        ({"time": [1, 2, 3], "status": [1, 0]}, "status has 2 values but time has 3"),
        ({"time": [1, 2, 3], "status": [1, np.nan, 0]}, "status has a missing value at row 1"),
        ({"time": [1, 2, 3], "status": [1, 0, 1], "group": ["a", "b"]}, "group has 2 values"),
        ({"time": [], "status": []}, "time is empty"),
    ],
)
def test_cuminc_rejects_bad_input_naming_argument_and_row(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cuminc(**kwargs)


def test_cuminc_summary_is_readable_text():
    d = load("small20")
    text = cuminc(d.time, d.status, d.group).summary([0.5, 1.0])
    assert "Cumulative incidence" in text and "Gray's test, cause 1" in text


# ---------------------------------------------------------------------- Gray's test
def test_gray_test_score_sums_to_zero_and_df_is_groups_minus_one():
    d = load("tied_3g_3c")
    res = gray_test(d.time, d.status, d.group, cause=1)
    assert res.df == 2
    assert abs(res.score.sum()) < 1e-10
    np.testing.assert_allclose(res.covariance.sum(axis=0), 0.0, atol=1e-10)
    assert 0.0 <= res.p_value <= 1.0


def test_gray_test_identical_groups_give_zero_statistic():
    time = np.array([1, 2, 3, 4, 5, 6.0])
    status = np.array([1, 2, 0, 1, 1, 2])
    res = gray_test(np.r_[time, time], np.r_[status, status], ["a"] * 6 + ["b"] * 6)
    assert res.statistic == pytest.approx(0.0, abs=1e-20)
    assert res.p_value == pytest.approx(1.0)


def test_gray_test_rejects_single_group_and_missing_cause():
    with pytest.raises(ValueError, match="at least two distinct values"):
        gray_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(ValueError, match="cause 3 has no events"):
        gray_test([1, 2, 3], [1, 0, 2], ["a", "b", "a"], cause=3)


def _gray_cases():
    for name in DATASETS:
        for rkey, tests in REF["datasets"][name]["cuminc"]["tests"].items():
            for cause, tt in tests.items():
                yield pytest.param(name, rkey, cause, tt, id=f"{name}-{rkey}-cause{cause}")


RHO = {"rho0": (0.0, False), "rho1": (1.0, False), "rho_minus0.5": (-0.5, False)}
RHO |= {"strata_rho0": (0.0, True), "strata_rho1": (1.0, True)}


@pytest.mark.parametrize(("name", "rkey", "cause", "tt"), list(_gray_cases()))
def test_gray_test_against_R_cuminc_Tests(name, rkey, cause, tt):
    d = load(name)
    rho, stratified = RHO[rkey]
    res = gray_test(
        d.time,
        d.status,
        d.group,
        cause=int(cause),
        rho=rho,
        strata=d.strata if stratified else None,
    )
    assert res.df == tt["df"][0]
    # cmprsk 2.2-11 cuminc()$Tests: statistic to 1e-6 relative, p-value to 1e-8 absolute
    assert res.statistic == pytest.approx(tt["stat"][0], rel=1e-6)
    assert res.p_value == pytest.approx(tt["pv"][0], abs=1e-8)


def test_gray_test_stratum_without_events_adds_nothing():
    time = [1, 2, 3, 4, 5, 6]
    status = [1, 2, 0, 0, 1, 0]
    group = ["a", "b", "a", "b", "b", "a"]
    plain = gray_test([*time[:3], 5], [*status[:3], 1], [*group[:3], "b"])
    strat = gray_test(time, status, group, strata=[1, 1, 1, 2, 1, 2])
    assert strat.statistic == pytest.approx(plain.statistic, rel=1e-12)
