"""Cox regression as a registry statistician fits it, pinned against R survival 3.5-3
``coxph`` (eps = 1e-11): strata, case weights, cluster-robust (sandwich) variance,
ties = "exact", counting-process (start, stop] data, offset; baseline hazard and predicted
survival for new covariates (``basehaz``, ``survfit.coxph``). Frozen values made by
tests/fixtures/registry_reference.R (tests/fixtures/registry_reference.json)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from registry_ref import arr, close, close_p, data, reference

from gvhdtrial.stats import cox, cox_zph


def _case(name: str) -> tuple[dict[str, Any], Any]:
    """The fit R made for the named case, made here with the same arguments."""
    if name.startswith("lung_strata"):
        d = data("lung")
        ties = name.rsplit("_", 1)[1]
        fit = cox(d.time, d.status, d[["age", "sex"]], strata=d["ph.ecog"], ties=ties)
    elif name == "colon_cluster":
        d = data("colon")
        d["lev"] = (d.rx == "Lev").astype(float)
        d["lev5fu"] = (d.rx == "Lev+5FU").astype(float)
        X = d[["lev", "lev5fu", "sex", "age", "nodes"]]
        fit = cox(d.time, d.status, X, strata=d.etype, cluster=d.id)
    elif name == "heart_counting_cluster":
        d = data("heart")
        X = d[["age", "year", "surgery", "transplant"]]
        fit = cox(d.stop, d.event, X, entry=d.start, cluster=d.id)
    elif name == "veteran_exact":
        d = data("veteran")
        fit = cox(d.time, d.status, d[["karno", "trt"]], ties="exact")
    elif name == "sim_ties_exact":
        d = data("sim_ties").iloc[:150]
        fit = cox(d.time, d.event, d[["x1", "x2"]], ties="exact")
    elif name == "sim_ties_exact_strata":
        d = data("sim_ties").iloc[:150]
        fit = cox(d.time, d.event, d[["x1", "x2"]], ties="exact", strata=d.stratum)
    else:
        sim, ties, kind = name.rsplit("_", 2)
        d = data(sim)
        X = d[["x1", "x2", "x3"]]
        if kind == "all":
            fit = cox(
                d.time,
                d.event,
                X,
                entry=d.entry,
                strata=d.stratum,
                weights=d.w,
                cluster=d.cluster,
                ties=ties,
            )
        elif kind == "weights":
            fit = cox(d.time, d.event, X, weights=d.w, ties=ties)
        elif kind == "offset":
            fit = cox(d.time, d.event, d[["x1", "x2"]], offset=0.3 * d.x3, ties=ties)
        else:
            fit = cox(d.time, d.event, X, robust=True, ties=ties)
    return reference()["cox"][name], fit


@pytest.mark.parametrize("name", sorted(reference()["cox"]))
def test_cox_against_R_coxph(name: str) -> None:
    r, fit = _case(name)
    close(fit.coef, r["coef"])
    close(fit.se, r["se"])
    close(fit.cov.ravel(), r["var"], atol=1e-14)
    close([fit.loglik_null, fit.loglik], r["loglik"])
    close(fit.lr_statistic, r["lr"])
    close(fit.wald_statistic, r["wald"])
    close_p(fit.p_value, r["p"])
    if fit.robust:
        close(fit.naive_se, r["naive_se"])
    else:
        close(fit.score_statistic, r["score"])


def test_cox_cluster_of_one_row_each_equals_robust_true() -> None:
    """cluster = row id is the same sandwich as robust = TRUE (definition of D'D)."""
    d = data("sim_cont")
    X = d[["x1", "x2"]]
    a = cox(d.time, d.event, X, robust=True)
    b = cox(d.time, d.event, X, cluster=d.id)
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-12)


def test_cox_whole_weights_equal_repeated_rows_breslow() -> None:
    """A whole-number case weight is the same as repeating the row (Breslow ties)."""
    d = data("sim_ties")
    rep = d.loc[d.index.repeat(d.wi)]
    a = cox(d.time, d.event, d[["x1", "x2"]], weights=d.wi, ties="breslow", robust=False)
    b = cox(rep.time, rep.event, rep[["x1", "x2"]], ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-9)


def test_cox_counting_process_with_entry_zero_equals_right_censored() -> None:
    d = data("sim_cont")
    a = cox(d.time, d.event, d[["x1", "x2"]], entry=np.zeros(len(d)), strata=np.ones(len(d)))
    b = cox(d.time, d.event, d[["x1", "x2"]])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-10)


PRED = {
    "lung_efron": ("lung", "time", "status", ["age", "sex"], "efron", None),
    "lung_breslow": ("lung", "time", "status", ["age", "sex"], "breslow", None),
    "sim_ties_efron": ("sim_ties", "time", "event", ["x1", "x2", "x3"], "efron", None),
    "sim_cont_entry": ("sim_cont", "time", "event", ["x1", "x2", "x3"], "efron", "entry"),
}
NEW = {"lung": [[50, 1], [70, 2]], "sim": [[-1, 0, 0.2], [0.5, 1, -0.4]]}


@pytest.mark.parametrize("name", list(PRED))
def test_cox_baseline_hazard_and_predicted_survival_against_R_survfit_coxph(name: str) -> None:
    ds, tcol, ecol, cols, ties, entry = PRED[name]
    d, r = data(ds), reference()["cox_predict"][name]
    fit = cox(d[tcol], d[ecol], d[cols], ties=ties, entry=None if entry is None else d[entry])
    base = fit.baseline_hazard()
    close(base.time, r["base_time"])
    close(base.hazard, r["base_hazard"])
    new = NEW["lung" if ds == "lung" else "sim"]
    pred = fit.predict_survival(new, r["time"])
    m = len(r["time"])
    for key in ("surv", "std_err", "lower", "upper", "cumhaz"):
        got = np.concatenate([pred[pred.row == i][key].to_numpy() for i in range(len(new))])
        want = arr(r[key])
        assert got.size == m * len(new)
        close(got, want, atol=1e-13)


def test_cox_predict_survival_needs_a_known_stratum() -> None:
    d = data("sim_ties")
    fit = cox(d.time, d.event, d[["x1"]], strata=d.stratum)
    with pytest.raises(ValueError, match="stratified"):
        fit.predict_survival([[0.0]], [3.0])
    with pytest.raises(ValueError, match="stratum 9 is not in the model"):
        fit.predict_survival([[0.0]], [3.0], strata=[9])
    out = fit.predict_survival([[0.0]], [3.0], strata=[2])
    assert isinstance(out, pd.DataFrame) and 0 < out.surv.iloc[0] < 1


ZPH = {
    "lung_km": ("lung", ["age", "sex", "ph.ecog"], "efron", "km"),
    "lung_identity": ("lung", ["age", "sex", "ph.ecog"], "efron", "identity"),
    "lung_rank": ("lung", ["age", "sex", "ph.ecog"], "efron", "rank"),
    "lung_log": ("lung", ["age", "sex", "ph.ecog"], "efron", "log"),
    "lung_breslow_km": ("lung", ["age", "sex", "ph.ecog"], "breslow", "km"),
    "veteran_km": ("veteran", ["karno", "trt", "age"], "efron", "km"),
    "sim_ties_km": ("sim_ties", ["x1", "x2", "x3"], "efron", "km"),
}


@pytest.mark.parametrize("name", list(ZPH))
def test_cox_zph_against_R_cox_zph(name: str) -> None:
    ds, cols, ties, transform = ZPH[name]
    d, r = data(ds), reference()["cox_zph"][name]
    ecol = "event" if ds.startswith("sim") else "status"
    fit = cox(d.time, d[ecol], d[cols], ties=ties)
    res = cox_zph(fit, transform=transform) if transform != "km" else cox_zph(fit)
    close(res.chisq, r["chisq"])
    close(res.df, r["df"])
    close_p(res.p_value, r["p"])
