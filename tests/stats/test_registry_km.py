"""Kaplan-Meier and log-rank beyond the basics, pinned against R survival 3.5-3: conf.type
logit/arcsin, case weights, delayed entry, timefix, survdiff's rho; and the silent answers
of issue 14 (log-log CI at S = 1, summary's standard error). Frozen values made by
tests/fixtures/registry_reference.R (tests/fixtures/registry_reference.json)."""

from __future__ import annotations

import numpy as np
import pytest
from registry_ref import arr, close, close_p, data, reference

from gvhdtrial.stats import kaplan_meier, logrank

KM_SETS = {
    "lung": ("time", "status"),
    "veteran": ("time", "status"),
    "sim_ties": ("time", "event"),
    "sim_cont": ("time", "event"),
}
CONF_TYPES = ["log", "log-log", "plain", "logit", "arcsin"]


def _same_curve(km, r, se: bool = True) -> None:
    close(km.time, r["time"])
    close(km.n_risk, r["n_risk"])
    close(km.n_event, r["n_event"])
    close(km.n_censor, r["n_censor"])
    close(km.surv, r["surv"])
    if se:
        se_r = arr(r["std_err"])
        fin = np.isfinite(se_r)
        close(km.std_err[fin], se_r[fin])
    close(km.lower, r["lower"])
    close(km.upper, r["upper"])


@pytest.mark.parametrize("name", list(KM_SETS))
@pytest.mark.parametrize("conf_type", CONF_TYPES)
def test_kaplan_meier_conf_types_against_R_survfit_conf_type(name: str, conf_type: str) -> None:
    d = data(name)
    tcol, ecol = KM_SETS[name]
    km = kaplan_meier(d[tcol], d[ecol], conf_type=conf_type)
    _same_curve(km, reference()["km"][name][conf_type])


@pytest.mark.parametrize("name", ["sim_ties", "sim_cont"])
def test_kaplan_meier_case_weights_against_R_survfit_weights(name: str) -> None:
    d, r = data(name), reference()["km_weights"][name]
    # whole-number weights: R's default (Greenwood on the weighted counts)
    _same_curve(kaplan_meier(d.time, d.event, weights=d.wi), r["whole"])
    # fractional weights: R's robust = FALSE (Greenwood on the weighted counts)
    km = kaplan_meier(d.time, d.event, weights=d.w)
    _same_curve(km, r["frac"])
    close(km.at(r["at"]).n_risk, r["frac_at_n_risk"])


def test_kaplan_meier_whole_weights_equal_repeated_rows() -> None:
    """A whole-number case weight is the same as repeating the row (definition)."""
    d = data("sim_ties")
    rep = d.loc[d.index.repeat(d.wi)]
    a = kaplan_meier(d.time, d.event, weights=d.wi)
    b = kaplan_meier(rep.time, rep.event)
    np.testing.assert_allclose(a.surv, b.surv, rtol=1e-12)
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)


@pytest.mark.parametrize("name", ["sim_ties", "sim_cont"])
def test_kaplan_meier_delayed_entry_against_R_survfit_start_stop(name: str) -> None:
    d, r = data(name), reference()["km_entry"][name]
    km = kaplan_meier(d.time, d.event, entry=d.entry)
    _same_curve(km, r)
    at = km.at(r["at"])
    close(at.n_risk, r["at_n_risk"])
    close(at.surv, r["at_surv"])
    _same_curve(kaplan_meier(d.time, d.event, entry=d.entry, weights=d.wi), r["weighted"])


def test_kaplan_meier_delayed_entry_on_R_heart_against_R_survfit() -> None:
    d = data("heart")
    km = kaplan_meier(d.stop, d.event, entry=d.start, conf_type="log-log")
    _same_curve(km, reference()["km_entry"]["heart"])


def test_kaplan_meier_entry_not_before_time_is_refused_with_its_row() -> None:
    with pytest.raises(ValueError, match=r"element 1 has entry 3\.0 and time 3\.0"):
        kaplan_meier([2, 3], [1, 1], entry=[0, 3])


def test_timefix_merges_round_off_ties_as_R_survfit_and_survdiff() -> None:
    r = reference()["timefix"]
    d = r["data"]
    t, e, g = arr(d["time"]), arr(d["event"]), arr(d["group"])
    assert t[0] != t[1]  # 0.1 + 0.2 != 0.3 in floating point
    _same_curve(kaplan_meier(t, e), r["km"])
    _same_curve(kaplan_meier(t, e, timefix=False), r["km_off"])
    close(logrank(t, e, g).statistic, r["logrank"])


def test_timefix_keeps_times_that_differ_beyond_the_tolerance() -> None:
    """R's rule (all.equal): 3 and 3 (1 + 2e-8) differ by more than sqrt(eps) relative."""
    km = kaplan_meier([1.0, 3.0, 3.0 * (1 + 2e-8), 4.0], [1, 1, 1, 1])
    assert km.time.size == 4
    km = kaplan_meier([0.0, 1e-9, 2e-9, 3.0], [1, 1, 1, 1])  # near 0: absolute differences
    assert km.time.tolist() == [0.0, 3.0]


LOGRANK_CASES = {
    "lung_rho0": ("lung", "time", "status", "sex", None, 0.0),
    "lung_rho1": ("lung", "time", "status", "sex", None, 1.0),
    "lung_rho05": ("lung", "time", "status", "sex", None, 0.5),
    "veteran_rho1_strata": ("veteran", "time", "status", "trt", "celltype", 1.0),
    "sim_ties_rho1_strata": ("sim_ties", "time", "event", "x2", "stratum", 1.0),
    "sim_cont_rho2_3groups": ("sim_cont", "time", "event", "stratum", None, 2.0),
}


@pytest.mark.parametrize("case", list(LOGRANK_CASES))
def test_logrank_G_rho_against_R_survdiff_rho(case: str) -> None:
    name, tcol, ecol, gcol, scol, rho = LOGRANK_CASES[case]
    d, r = data(name), reference()["logrank"][case]
    res = logrank(d[tcol], d[ecol], d[gcol], None if scol is None else d[scol], rho=rho)
    close(res.observed, r["obs"])
    close(res.expected, r["exp"])
    close(res.variance.ravel(), r["var"], atol=1e-12)
    close(res.statistic, r["chisq"])
    close_p(res.p_value, r["p"])


def test_kaplan_meier_loglog_ci_is_NA_at_a_censoring_while_S_is_1_as_R() -> None:
    """Issue 14: a first censoring before any event gave (1, 1); R gives NA."""
    r = reference()["silent"]["loglog_first_censor"]
    km = kaplan_meier(r["time"], [0, 1, 0, 1, 1, 0], conf_type="log-log")
    _same_curve(km, r)
    assert np.isnan(km.lower[0]) and np.isnan(km.upper[0])
    at = km.at(r["at_time"])
    close(at.lower, r["at_lower"])  # (1, 1) before the first time, NA at it: as R
    close(at.upper, r["at_upper"])


def test_survival_at_gives_both_standard_errors_named_as_R() -> None:
    """Issue 14: std_err is the SE of log S (survfit()$std.err); std_err_surv is the SE
    of S (summary(fit, times=)$std.err)."""
    r = reference()["silent"]["loglog_first_censor"]
    km = kaplan_meier(r["time"], [0, 1, 0, 1, 1, 0], conf_type="log-log")
    at = km.at(r["at_time"])
    close(at.std_err_surv, r["at_std_err"])
    np.testing.assert_array_equal(at.std_err_log, at.std_err)
    close(at.std_err_surv, at.surv * at.std_err)
