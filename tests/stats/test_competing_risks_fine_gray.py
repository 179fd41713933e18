"""Fine-Gray regression against frozen cmprsk::crr 2.2-11 and survival::coxph values.

crr was run with gtol = 1e-13, maxiter = 200 (tests/fixtures/competing_reference.R).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvhdtrial.stats import fine_gray

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REF = json.loads((FIXTURES / "competing_reference.json").read_text())


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = pd.read_csv(FIXTURES / "data" / f"competing_{name}.csv")
    x = pd.get_dummies(d[["x1", "x2", "group"]], columns=["group"], drop_first=True, dtype=float)
    return d, x


CASES = [
    pytest.param(name, key, id=f"{name}-{key}")
    for name, v in sorted(REF["datasets"].items())
    for key in v
    if key.startswith("crr_cause")
]


@pytest.mark.parametrize(("name", "key"), CASES)
def test_fine_gray_against_R_crr(name, key):
    """Covers untied and tied times, 2 and 3 groups, 1 and 2 competing causes, n = 20."""
    d, x = load(name)
    ref = REF["datasets"][name][key]
    fit = fine_gray(d.time, d.status, x, cause=int(key[-1]))
    assert fit.converged
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=1e-6)
    np.testing.assert_allclose(fit.var.ravel(order="F"), ref["var"], rtol=1e-6, atol=1e-12)
    assert fit.loglik == pytest.approx(ref["loglik"][0], rel=1e-9)
    # iteration 0, apart from the optimiser: log partial likelihood at beta = 0
    assert fit.loglik_null == pytest.approx(ref["loglik_null"][0], rel=1e-12)
    assert fit.names == ("x1", "x2", *[f"group_{g}" for g in sorted(d.group.unique())[1:]])


def test_fine_gray_against_R_crr_tied():
    d, x = load("tied_3g_3c")
    ref = REF["datasets"]["tied_3g_3c"]["crr_cause2"]
    fit = fine_gray(d.time, d.status, x, cause=2)
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=1e-6)


def test_fine_gray_equals_R_coxph_breslow_without_competing_events():
    """Identity: no competing events -> Fine-Gray = Cox (Breslow ties), sandwich = robust."""
    d, x = load("nocomp_tied")
    ref = REF["datasets"]["nocomp_tied"]["coxph_breslow"]
    fit = fine_gray(d.time, d.status, x)
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(fit.se, ref["robust_se"], rtol=1e-6)
    np.testing.assert_allclose(fit.loglik, ref["loglik"][1], rtol=1e-9)


def test_fine_gray_derived_quantities():
    d, x = load("untied_2g_2c")
    fit = fine_gray(d.time, d.status, x)
    np.testing.assert_allclose(fit.hazard_ratio, np.exp(fit.coef))
    np.testing.assert_allclose(fit.z, fit.coef / fit.se)
    ci = fit.conf_int()
    np.testing.assert_allclose(np.log(ci[:, 1]) - fit.coef, 1.959963984540054 * fit.se)
    assert np.all((fit.p_values > 0) & (fit.p_values < 1))
    text = fit.summary()
    assert "Fine-Gray" in text and "group_B" in text


def test_fine_gray_predict_is_a_cumulative_incidence():
    d, x = load("untied_2g_2c")
    fit = fine_gray(d.time, d.status, x)
    times = np.linspace(0, d.time.max(), 50)
    cif = fit.predict([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], times)
    assert cif.shape == (50, 2)
    assert np.all(np.diff(cif, axis=0) >= 0) and np.all((cif >= 0) & (cif < 1))
    assert cif[0, 0] == 0.0


def test_fine_gray_numpy_input_names_columns_x1_to_xp():
    d, x = load("small20")
    fit = fine_gray(d.time.to_numpy(), d.status.to_numpy(), x.to_numpy())
    assert fit.names == ("x1", "x2", "x3")


def test_fine_gray_cause_without_events_is_a_clear_error():
    d, x = load("small20")
    with pytest.raises(ValueError, match="cause 3 has no events"):
        fine_gray(d.time, d.status, x, cause=3)
    with pytest.raises(ValueError, match="all censored"):
        fine_gray(d.time, np.zeros(len(d)), x)


def test_fine_gray_constant_covariate_is_a_clear_error():
    d, _ = load("small20")
    with pytest.raises(ValueError, match="singular"):
        fine_gray(d.time, d.status, np.ones((len(d), 1)))


@pytest.mark.parametrize(
    ("time", "status", "x", "message"),
    [
        ([1, 2, -3], [1, 0, 1], [[0], [1], [0]], "time has a negative value at row 2"),
        ([1, 2, 3], [1, 0], [[0], [1], [0]], "status has 2 values"),
        ([1, 2, 3], [1, 0, 1], [[0], [1]], "X has 2 rows but time has 3"),
        ([1, 2, 3], [1, 0, 1], [[0], [np.nan], [0]], "X has a missing .* row 1, column 0"),
    ],
)
def test_fine_gray_rejects_bad_input(time, status, x, message):
    with pytest.raises(ValueError, match=message):
        fine_gray(time, status, x)
