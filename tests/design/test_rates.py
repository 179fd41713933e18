"""Sample size and power for two rates against rpact 3.3.4 (getSampleSizeRates /
getPowerRates; tests/fixtures/design_reference.json): fixed, OF, asOF + bsOF, two-sided
asP, two-sided asP + bsP (futility wedge) and binding Pampallona-Tsiatis designs, allocation
1:1 and 2:1. Sample sizes to 1e-6 relative, probabilities to 1e-6 absolute. One group with
rpact's exact binomial size (normalApproximation = FALSE): the same integer size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gvhdtrial.design import group_sequential, power_rates, sample_size_rates
from tests.design._rpact import arr, design_kwargs, reference

CASES = reference()["rates"]
IDS = [
    f"{c['design_name']}-{c['pi1'][0]}-vs-{c['pi2'][0]}-r{c['allocation_ratio_planned'][0]:g}"
    for c in CASES
]


def _design(case):
    return group_sequential(**design_kwargs(case["design"]))


def _assert_looks_equal_rpact(s, case) -> None:
    """Expected sizes under H0, H0/H1 and H1 and the rejection / futility per look."""
    for h in ("h0", "h01", "h1"):
        assert getattr(s, f"expected_number_of_subjects_{h}") == pytest.approx(
            case[f"expected_number_of_subjects_{h}"][0], rel=1e-6
        ), h
    np.testing.assert_allclose(s.reject_per_stage, arr(case["reject_per_stage"]), atol=1e-6)
    fut = arr(case["futility_per_stage"])
    if fut.size:
        np.testing.assert_allclose(s.futility_per_stage, np.nan_to_num(fut), atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sample_size_equals_rpact(case):
    d = _design(case)
    s = sample_size_rates(
        d,
        pi1=case["pi1"][0],
        pi2=case["pi2"][0],
        allocation_ratio_planned=case["allocation_ratio_planned"][0],
    )
    assert s.n_fixed == pytest.approx(case["n_fixed"][0], rel=1e-6)
    assert s.max_number_of_subjects == pytest.approx(case["max_number_of_subjects"][0], rel=1e-6)
    np.testing.assert_allclose(s.number_of_subjects, arr(case["number_of_subjects"]), rtol=1e-6)
    if d.k_max > 1:
        _assert_looks_equal_rpact(s, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_power_equals_rpact(case):
    d = _design(case)
    p = power_rates(
        d,
        pi1=case["pi1"][0],
        pi2=case["pi2"][0],
        max_number_of_subjects=case["power_max_number_of_subjects"][0],
        allocation_ratio_planned=case["allocation_ratio_planned"][0],
    )
    assert p.overall_reject == pytest.approx(case["power_overall_reject"][0], abs=1e-6)
    np.testing.assert_allclose(p.reject_per_stage, arr(case["power_reject_per_stage"]), atol=1e-6)
    if d.k_max > 1:
        assert p.expected_number_of_subjects == pytest.approx(
            case["power_expected_number_of_subjects"][0], rel=1e-6
        )


def test_fixed_design_power_at_the_planned_size_is_the_planned_power():
    """For one look the two formulas are inverse: power at the unrounded size is 1 - beta.

    (With several looks rpact's power drift is not the exact inverse of n_fixed times the
    inflation factor when s0 != s1; the fixtures pin that convention.)"""
    d = group_sequential(k_max=1, beta=0.2)
    s = sample_size_rates(d, pi1=0.55, pi2=0.35)
    p = power_rates(d, pi1=0.55, pi2=0.35, max_number_of_subjects=s.max_number_of_subjects)
    assert p.overall_reject == pytest.approx(0.8, abs=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pi1": 1.2, "pi2": 0.3}, "pi1"),
        ({"pi1": 0.3, "pi2": 0.3}, "differ"),
        ({"pi1": 0.5, "pi2": 0.3, "allocation_ratio_planned": 0}, "allocation_ratio_planned"),
        ({"pi1": 0.5, "pi2": 0.3, "theta_h0": 0.2}, "pi1 - pi2 must differ from theta_h0"),
        ({"pi1": 0.5, "pi2": 0.3, "theta_h0": 1.0}, "theta_h0"),
        ({"pi1": 0.5, "pi2": 0.3, "groups": 1, "theta_h0": 0.3}, "pi2 is for two groups"),
        ({"pi1": 0.5, "groups": 1}, r"theta_h0 must be in \(0, 1\) with one group"),
        ({"pi1": 0.5, "groups": 3}, "groups must be 1 or 2"),
        ({"pi1": 0.5}, "pi2 must be in"),
        ({"pi1": 0.5, "pi2": 0.3, "normal_approximation": False}, "groups=2: as rpact"),
    ],
)
def test_bad_rates_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_rates(**kwargs)


def test_exact_rates_refusals_say_what_is_accepted():
    """normal_approximation=False: refused as rpact refuses it (two groups, two-sided design,
    power), each message naming the argument and what is accepted."""
    two_sided = group_sequential(k_max=1, alpha=0.05, sided=2)
    with pytest.raises(ValueError, match=r"two-sided design: as rpact.*accepted: sided=1"):
        sample_size_rates(two_sided, pi1=0.55, groups=1, theta_h0=0.35, normal_approximation=False)
    with pytest.raises(ValueError, match=r"getPowerRates.*accepted: normal_approximation=True"):
        power_rates(
            pi1=0.55, groups=1, theta_h0=0.35, max_number_of_subjects=50,
            normal_approximation=False,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# One group, and H0 with a margin (Farrington-Manning), against rpact 3.3.4 (rates_h0 fixtures)
# ---------------------------------------------------------------------------------------------
H0_CASES = reference()["rates_h0"]
H0_IDS = [
    f"{c['design_name']}-g{c['groups'][0]:g}-{c['pi1'][0]}-h0-{c['theta_h0'][0]}" for c in H0_CASES
]


def _h0_args(case) -> dict:
    out = {
        "pi1": case["pi1"][0],
        "theta_h0": case["theta_h0"][0],
        "groups": int(case["groups"][0]),
        "allocation_ratio_planned": case["allocation_ratio_planned"][0],
    }
    if out["groups"] == 2:
        out["pi2"] = case["pi2"][0]
    return out


@pytest.mark.parametrize("case", H0_CASES, ids=H0_IDS)
def test_one_group_and_margin_sample_size_and_power_equal_rpact(case):
    d = _design(case)
    s = sample_size_rates(d, **_h0_args(case))
    assert s.n_fixed == pytest.approx(case["n_fixed"][0], rel=1e-6)
    assert s.max_number_of_subjects == pytest.approx(case["max_number_of_subjects"][0], rel=1e-6)
    np.testing.assert_allclose(s.number_of_subjects, arr(case["number_of_subjects"]), rtol=1e-6)
    if d.k_max > 1:
        for h in ("h0", "h1"):
            assert getattr(s, f"expected_number_of_subjects_{h}") == pytest.approx(
                case[f"expected_number_of_subjects_{h}"][0], rel=1e-6
            ), h
    p = power_rates(
        d, max_number_of_subjects=case["power_max_number_of_subjects"][0], **_h0_args(case)
    )
    assert p.overall_reject == pytest.approx(case["power_overall_reject"][0], abs=1e-6)
    np.testing.assert_allclose(p.reject_per_stage, arr(case["power_reject_per_stage"]), atol=1e-6)


def test_a_margin_with_a_two_sided_design_is_refused_as_rpact_refuses_it():
    d = group_sequential(k_max=2, alpha=0.05, sided=2, type_of_design="asP")
    with pytest.raises(ValueError, match="for one-sided designs only"):
        sample_size_rates(d, pi1=0.5, pi2=0.5, theta_h0=-0.15)


def test_restricted_rates_are_the_constrained_maximum_likelihood():
    """Farrington-Manning's closed form against a direct maximisation of the log-likelihood on
    the line p1 - p2 = theta_h0 (and the pooled rate when theta_h0 = 0)."""
    from scipy.optimize import minimize_scalar

    from gvhdtrial.design.rates import restricted_rates

    for pi1, pi2, th, r in [(0.55, 0.35, 0.05, 1.0), (0.6, 0.5, -0.1, 2.0), (0.3, 0.4, 0.0, 1.5)]:

        def nll(p2, pi1=pi1, pi2=pi2, th=th, r=r):
            p1 = p2 + th
            return -(r * (pi1 * np.log(p1) + (1 - pi1) * np.log(1 - p1))
                     + pi2 * np.log(p2) + (1 - pi2) * np.log(1 - p2))  # fmt: skip

        lo, hi = max(1e-9, -th + 1e-9), min(1 - 1e-9, 1 - th - 1e-9)
        best = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
        q1, q2 = restricted_rates(pi1, pi2, th, r)
        assert q1 - q2 == pytest.approx(th, abs=1e-12)
        assert q2 == pytest.approx(best.x, abs=1e-7)
        if th == 0:
            assert q1 == pytest.approx((r * pi1 + pi2) / (1 + r), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# One group, exact binomial size (normalApproximation = FALSE), against rpact 3.3.4
# (rates_exact fixtures: fixed designs at three alpha / beta pairs, both directions, the ties
# P_H0 = alpha at n = 2, and five one-sided group-sequential designs)
# ---------------------------------------------------------------------------------------------
EXACT_CASES = reference()["rates_exact"]
EXACT_IDS = [
    f"{c['design_name']}-a{c['design']['alpha'][0]:g}-b{c['design']['beta'][0]:g}"
    f"-{c['pi1'][0]:g}-h0-{c['theta_h0'][0]:g}"
    for c in EXACT_CASES
]


@pytest.mark.parametrize("case", EXACT_CASES, ids=EXACT_IDS)
def test_exact_one_group_sample_size_equals_rpact(case):
    """Same integer size as rpact (nFixed), the maximum it times the inflation factor, the
    per-look and expected sizes and the rejection/futility probabilities per look."""
    d = _design(case)
    s = sample_size_rates(
        d, pi1=case["pi1"][0], theta_h0=case["theta_h0"][0], groups=1,
        normal_approximation=False,
    )  # fmt: skip
    assert s.n_fixed == case["n_fixed"][0]
    assert float(s.n_fixed).is_integer()
    assert s.max_number_of_subjects == pytest.approx(case["max_number_of_subjects"][0], rel=1e-6)
    np.testing.assert_allclose(s.number_of_subjects, arr(case["number_of_subjects"]), rtol=1e-6)
    if d.k_max == 1:
        assert s.max_number_of_subjects == case["max_number_of_subjects"][0]
    else:
        _assert_looks_equal_rpact(s, case)
    normal = sample_size_rates(d, pi1=case["pi1"][0], theta_h0=case["theta_h0"][0], groups=1)
    assert normal.n_fixed == pytest.approx(case["normal_approximation_n_fixed"][0], rel=1e-6)


def test_the_exact_fixtures_hold_sizes_that_are_not_the_smallest_crossing():
    """The fixtures pin rpact's search, not 'the smallest n with enough power': the size
    returned always has power >= 1 - beta and its predecessor less, but in many cases a smaller
    size already has enough (pi1 0.4 vs 0.2, alpha 0.025, beta 0.2: rpact 44, while 41 has
    power 0.822 and 42, 43 have less)."""
    from gvhdtrial.design.rates import exact_binomial_power

    smaller = set()
    for case in EXACT_CASES:
        a, b = case["design"]["alpha"][0], case["design"]["beta"][0]
        p1, p0, n = case["pi1"][0], case["theta_h0"][0], int(case["n_fixed"][0])
        assert exact_binomial_power(n, p1, p0, a) >= 1 - b
        if n > 2:
            assert exact_binomial_power(n - 1, p1, p0, a) < 1 - b
        if n <= 100 and any(exact_binomial_power(m, p1, p0, a) >= 1 - b for m in range(2, n - 1)):
            smaller.add((a, b, p1, p0))
    assert len(smaller) >= 20
    assert exact_binomial_power(41, 0.4, 0.2, 0.025) == pytest.approx(0.8219, abs=1e-4)
    assert max(exact_binomial_power(m, 0.4, 0.2, 0.025) for m in (42, 43)) < 0.8


def test_exact_binomial_power_is_the_exact_test_s_power():
    """pi1 0.4 against 0.2, n = 44, alpha 0.025: the test rejects from 15 responders
    (P_H0(X >= 15) = 0.0203 <= 0.025 < P_H0(X >= 14)); its power is P_0.4(X >= 15). Below:
    pi1 0.2 against 0.4, n = 45, rejects up to 11 (P_H0(X <= 11) < 0.025 <= P_H0(X <= 12))."""
    from scipy.stats import binom

    from gvhdtrial.design.rates import exact_binomial_power

    assert binom.sf(14, 44, 0.2) <= 0.025 < binom.sf(13, 44, 0.2)
    assert exact_binomial_power(44, 0.4, 0.2, 0.025) == pytest.approx(binom.sf(14, 44, 0.4))
    assert binom.cdf(11, 45, 0.4) < 0.025 <= binom.cdf(12, 45, 0.4)
    assert exact_binomial_power(45, 0.2, 0.4, 0.025) == pytest.approx(binom.cdf(11, 45, 0.2))


@given(
    p0=st.floats(0.05, 0.95),
    d=st.floats(0.08, 0.4),
    up=st.booleans(),
    alpha=st.sampled_from([0.01, 0.025, 0.05]),
    beta=st.sampled_from([0.1, 0.2]),
)
@settings(max_examples=40, deadline=None)
def test_exact_size_has_enough_power_and_its_predecessor_has_not(p0, d, up, alpha, beta):
    """Property of rpact's bisection: whatever the saw-tooth, the size found has exact power
    >= 1 - beta and the size one below has less (or the size is the minimum, 2)."""
    from gvhdtrial.design.rates import exact_binomial_power, exact_binomial_size

    p1 = p0 + d if up else p0 - d
    assume(0.01 < p1 < 0.99)
    n = exact_binomial_size(p1, p0, alpha, beta)
    assert exact_binomial_power(n, p1, p0, alpha) >= 1 - beta
    assert n == 2 or exact_binomial_power(n - 1, p1, p0, alpha) < 1 - beta
