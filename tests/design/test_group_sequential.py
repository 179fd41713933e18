"""Group-sequential designs against rpact 3.3.4 (tests/fixtures/design_reference.json, made
by tests/fixtures/design_reference.R): every design type, one- and two-sided, k_max 2 to 5,
equal and unequal information rates, beta spending with binding and non-binding futility
(two-sided: the inner futility wedge, with and without rpact's betaAdjustment and
twoSidedPower, on the grid and on 40 random designs off it, with rpact's own unit-test
design), Pampallona-Tsiatis one- and two-sided, and user futility bounds. Critical
values, futility bounds, alpha and beta spent, stage levels, power and inflation factor agree
to 1e-6 absolute."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from gvhdtrial.design import group_sequential
from gvhdtrial.design._integration import exit_probabilities, exit_probabilities_wedge
from tests.design._rpact import arr, design_kwargs, reference

TOL = 1e-6
CASES = reference()["designs"]


def _case_id(case: dict) -> str:
    a = design_kwargs(case["args"])
    eq = np.allclose(np.diff([0, *a["information_rates"]]), 1 / a["k_max"])
    parts = [a["type_of_design"]]
    if a.get("type_beta_spending"):
        parts.append(a["type_beta_spending"])
    if a.get("futility_bounds") is not None:
        parts.append("user-futility")
    if a.get("binding_futility"):
        parts.append("binding")
    if a.get("beta_adjustment") is False:
        parts.append("no-beta-adjustment")
    if a.get("two_sided_power"):
        parts.append("two-sided-power")
    parts += [f"sided{a['sided']}", f"k{a['k_max']}", "equal" if eq else "unequal"]
    return "-".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{_case_id(c)}" for i, c in enumerate(CASES)])
def test_design_equals_rpact(case):
    d = group_sequential(**design_kwargs(case["args"]))
    crit = arr(case["critical_values"])
    np.testing.assert_allclose(d.critical_values, np.where(crit > 1e300, np.inf, crit), atol=TOL)
    fut = arr(case["futility_bounds"])
    # no futility bound: rpact writes -6 (one-sided) or NA (an empty two-sided wedge)
    fut = np.where(np.isnan(fut) | (fut <= -6), -np.inf, fut)
    np.testing.assert_allclose(d.futility_bounds, fut, atol=TOL)
    np.testing.assert_allclose(d.alpha_spent, arr(case["alpha_spent"]), atol=TOL)
    np.testing.assert_allclose(d.stage_levels, arr(case["stage_levels"]), atol=TOL)
    for name in ("beta_spent", "power"):
        ref = arr(case[name])
        if np.isfinite(ref).any():
            np.testing.assert_allclose(getattr(d, name), ref, atol=TOL, err_msg=name)
    if case["inflation_factor"][0] is not None:
        assert d.inflation_factor == pytest.approx(case["inflation_factor"][0], abs=TOL)
        assert d.shift == pytest.approx(case["shift"][0], abs=1e-5)


def test_single_look_is_the_fixed_design():
    """K = 1: the critical value is z_{1-alpha} and the inflation factor 1 (by definition)."""
    d = group_sequential(k_max=1, alpha=0.025, type_of_design="asOF")
    assert d.critical_values[0] == pytest.approx(float(ndtri(0.975)), abs=1e-10)
    assert d.inflation_factor == pytest.approx(1.0, abs=1e-8)


@settings(max_examples=15, deadline=None)
@given(
    k=st.integers(2, 4),
    theta=st.floats(-1.0, 4.0),
    c=st.floats(1.5, 3.5),
)
def test_exit_probabilities_add_up_to_one(k, theta, c):
    """With a last look that always decides (upper = lower), every path leaves once."""
    t = np.arange(1, k + 1) / k
    upper = np.full(k, c)
    lower = np.append(np.full(k - 1, -c / 2), c)
    up, low = exit_probabilities(t, lower, upper, theta)
    assert up.sum() + low.sum() == pytest.approx(1.0, abs=1e-10)
    assert np.all(up >= -1e-15) and np.all(low >= -1e-15)


def test_two_looks_against_bivariate_normal():
    """P(Z1 < c1, Z2 < c2) with corr sqrt(t1) from scipy's multivariate normal CDF."""
    from scipy.stats import multivariate_normal

    t = np.array([0.4, 1.0])
    c = np.array([2.8, 2.0])
    up, _ = exit_probabilities(t, np.full(2, -np.inf), c, 0.0)
    r = math.sqrt(0.4)
    mvn = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]], abseps=1e-12, releps=1e-12)
    p_none = mvn.cdf(c)
    assert 1 - up.sum() == pytest.approx(p_none, abs=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k_max": 0}, "k_max"),
        ({"alpha": 0.7}, "alpha"),
        ({"sided": 3}, "sided"),
        ({"information_rates": [0.5, 0.4, 1]}, "information_rates"),
        ({"type_of_design": "XX"}, "type_of_design"),
        ({"type_of_design": "WT"}, "delta_wt"),
        ({"type_of_design": "OF", "type_beta_spending": "bsOF"}, "alpha-spending"),
        ({"type_of_design": "asUser", "user_alpha_spending": [0.01, 0.02, 0.03]}, "alpha"),
        ({"futility_bounds": [0.0]}, "futility_bounds"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        group_sequential(**{"k_max": 3, **kwargs})


@settings(max_examples=12, deadline=None)
@given(
    gamma=st.floats(0.5, 4.0),
    cuts=st.lists(st.floats(0.1, 0.9), min_size=1, max_size=3, unique=True),
    alpha=st.sampled_from([0.01, 0.025, 0.05]),
)
def test_alpha_spending_spends_exactly_the_function(gamma, cuts, alpha):
    """Kim-DeMets spending alpha t^gamma: the error spent by look k is alpha t_k^gamma
    (Lan & DeMets 1983), whatever the information rates."""
    t = sorted(c for c in cuts if min(abs(c - x) for x in [*cuts, 1.0] if x != c) > 0.02)
    if not t:
        return
    rates = [*t, 1.0]
    d = group_sequential(
        k_max=len(rates),
        alpha=alpha,
        information_rates=rates,
        type_of_design="asKD",
        gamma_a=gamma,
    )
    np.testing.assert_allclose(d.alpha_spent, alpha * np.array(rates) ** gamma, atol=1e-9)
    assert np.all(np.diff(d.alpha_spent) >= 0)


@settings(max_examples=15, deadline=None)
@given(
    k=st.integers(2, 4),
    theta=st.floats(-1.0, 4.0),
    c=st.floats(1.8, 3.5),
    f=st.floats(0.0, 1.5),
)
def test_wedge_exit_probabilities_add_up_and_match_without_a_wedge(k, theta, c, f):
    """Two-sided test with an inner futility wedge: every path leaves once (rejecting up,
    rejecting down, stopping in the wedge, or ending without rejection); with an empty
    wedge the rejection probabilities equal the one-interval recursion's."""
    t = np.arange(1, k + 1) / k
    crit = np.full(k, c)
    up, low, inner = exit_probabilities_wedge(t, crit, np.full(k - 1, f), theta)
    assert up.sum() + low.sum() + inner.sum() == pytest.approx(1.0, abs=1e-10)
    up0, low0, _ = exit_probabilities_wedge(t, crit, np.full(k - 1, -np.inf), theta)
    up1, low1 = exit_probabilities(t, -crit, crit, theta)
    np.testing.assert_allclose(up0, up1, atol=1e-12)
    np.testing.assert_allclose(low0, low1, atol=1e-12)


def test_conditional_power_refuses_a_two_sided_wedge():
    from gvhdtrial.design import conditional_power

    d = group_sequential(
        k_max=3, alpha=0.05, sided=2, type_of_design="asP", type_beta_spending="bsP"
    )
    with pytest.raises(ValueError, match="futility wedge"):
        conditional_power(d, stage=1, z=1.0)
