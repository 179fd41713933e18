"""Simulated operating characteristics against their exact values (enumeration of every
count), the analysis plan's own test rule by enumeration and by simulation, and
conditional / predictive power against their closed forms for one remaining look
(Jennison & Turnbull 2000, eq. 10.2; Spiegelhalter, Freedman & Blackburn 1986)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from gvhdtrial.design import group_sequential
from gvhdtrial.design.exact import sap_power, sap_rejection_region, simulate_sap_power
from gvhdtrial.design.simulation import (
    BLOCK,
    block_plan,
    conditional_power,
    exact_rates,
    predictive_power,
    simulate_rates,
)
from gvhdtrial.stats.proportions import compare_proportions

SCENARIOS = [
    # (design kwargs, pi1, pi2, planned subjects)
    (
        {"k_max": 3, "type_of_design": "asOF", "type_beta_spending": "bsOF"},
        0.55,
        0.35,
        [50, 100, 150],
    ),
    (
        {"k_max": 3, "type_of_design": "asOF", "type_beta_spending": "bsOF"},
        0.35,
        0.35,
        [50, 100, 150],
    ),
    ({"k_max": 2, "type_of_design": "asP", "sided": 2, "alpha": 0.05}, 0.667, 0.333, [30, 60]),
    (  # two-sided beta spending: futility inside the wedge |Z| < f
        {
            "k_max": 3,
            "type_of_design": "asP",
            "type_beta_spending": "bsP",
            "sided": 2,
            "alpha": 0.05,
        },
        0.5,
        0.3,
        [40, 80, 120],
    ),
    (
        {"k_max": 4, "type_of_design": "OF", "futility_bounds": [0, 0, 0]},
        0.5,
        0.3,
        [40, 80, 120, 160],
    ),
]


@pytest.mark.parametrize(("kw", "pi1", "pi2", "n"), SCENARIOS)
def test_simulation_agrees_with_exact_within_4_se(kw, pi1, pi2, n):
    design = group_sequential(**kw)
    iters = 200_000
    sim = simulate_rates(
        design, pi1=pi1, pi2=pi2, planned_subjects=n, max_number_of_iterations=iters, seed=7
    )
    ex = exact_rates(design, pi1=pi1, pi2=pi2, planned_subjects=n)
    probs = [(sim.overall_reject, ex.overall_reject)]
    probs += list(zip(sim.reject_per_stage, ex.reject_per_stage, strict=True))
    probs += list(zip(sim.futility_per_stage, ex.futility_per_stage, strict=True))
    for s, e in probs:
        se = math.sqrt(max(e * (1 - e), 1e-12) / iters)
        assert abs(s - e) <= 4 * se, (s, e, se)
    # expected sample size: its SD is at most the range of the planned sizes
    assert abs(sim.expected_number_of_subjects - ex.expected_number_of_subjects) <= (
        4 * (n[-1] - n[0]) / math.sqrt(iters)
    )


def test_exact_probabilities_add_up_to_one():
    design = group_sequential(k_max=3, type_of_design="asOF", type_beta_spending="bsOF")
    ex = exact_rates(design, pi1=0.5, pi2=0.4, planned_subjects=[40, 80, 121])
    total = ex.reject_per_stage.sum() + ex.futility_per_stage.sum()
    last_accept = 1 - total
    assert 0 <= last_accept <= 1
    assert ex.expected_number_of_subjects <= 121


def test_exact_type_one_error_near_the_design_alpha():
    """With many patients the z-test's exact level approaches the normal-theory alpha."""
    design = group_sequential(k_max=3, type_of_design="asOF", alpha=0.025)
    ex = exact_rates(design, pi1=0.4, pi2=0.4, planned_subjects=[200, 400, 600])
    assert ex.overall_reject == pytest.approx(0.025, abs=0.002)


def test_results_do_not_depend_on_how_blocks_are_shared():
    """Any partition of the blocks adds up to the single run (the Dask guarantee)."""
    design = group_sequential(k_max=2, type_of_design="OF")
    kw = {"pi1": 0.5, "pi2": 0.3, "planned_subjects": [40, 80], "seed": 11}
    iters = 2 * BLOCK + 123
    whole = simulate_rates(design, max_number_of_iterations=iters, **kw)
    parts = [
        simulate_rates(design, max_number_of_iterations=iters, blocks=[b], **kw)
        for b in range(len(block_plan(iters, 11)))
    ]
    np.testing.assert_array_equal(sum(p.reject_per_stage for p in parts), whole.reject_per_stage)
    again = simulate_rates(design, max_number_of_iterations=iters, **kw)
    np.testing.assert_array_equal(again.reject_per_stage, whole.reject_per_stage)


def test_sap_rule_power_by_enumeration_and_simulation_agree():
    n1 = n2 = 18
    exact = sap_power(n1, n2, 0.667, 0.333)
    iters = 200_000
    sim = simulate_sap_power(n1, n2, 0.667, 0.333, iters, seed=5)
    assert abs(sim - exact) <= 4 * math.sqrt(exact * (1 - exact) / iters)


def test_sap_region_is_the_rule_itself():
    """Each table of the region is decided by compare_proportions (spot checks, incl. the
    Fisher and Yates branches of the rule)."""
    region = sap_rejection_region(20, 20, direction=False)
    for x1, x2 in [(15, 5), (12, 8), (3, 0), (20, 14), (10, 10)]:
        assert region[x1, x2] == (compare_proportions(x1, 20, x2, 20).p_value <= 0.05)


def test_sap_rule_level_under_h0_is_at_most_alpha_for_small_trials():
    """Fisher's exact test is conservative: the exact level under H0 stays below 0.05."""
    assert sap_power(12, 12, 0.5, 0.5, direction=False) <= 0.05


@settings(max_examples=20, deadline=None)
@given(z=st.floats(-1.0, 3.5), theta=st.floats(-1.0, 4.0), t1=st.floats(0.2, 0.8))
def test_conditional_power_closed_form_one_look_left(z, theta, t1):
    design = group_sequential(k_max=2, information_rates=[t1, 1.0], type_of_design="OF")
    c2 = design.critical_values[1]
    expected = ndtr((z * math.sqrt(t1) + theta * (1 - t1) - c2) / math.sqrt(1 - t1))
    assert conditional_power(design, 1, z, theta) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("z", "t1"), [(0.5, 0.5), (1.5, 0.3), (2.2, 0.7)])
def test_predictive_power_closed_form_one_look_left(z, t1):
    design = group_sequential(k_max=2, information_rates=[t1, 1.0], type_of_design="OF")
    c2 = design.critical_values[1]
    expected = ndtr((z - c2 * math.sqrt(t1)) / math.sqrt(1 - t1))
    assert predictive_power(design, 1, z) == pytest.approx(expected, abs=1e-8)


def test_bad_simulation_input_is_refused():
    design = group_sequential(k_max=2)
    with pytest.raises(ValueError, match="planned_subjects"):
        simulate_rates(design, pi1=0.5, pi2=0.3, planned_subjects=[80, 40])
    with pytest.raises(ValueError, match="pi1"):
        simulate_rates(design, pi1=1.5, pi2=0.3, planned_subjects=[40, 80])
    with pytest.raises(ValueError, match="stage"):
        conditional_power(design, 2, 1.0)


def test_sap_power_band_equals_the_full_table():
    """Leaving out counts of probability < 1e-13 changes the power by less than 1e-10."""
    region = sap_rejection_region(25, 30)
    from scipy.stats import binom

    f1 = binom.pmf(np.arange(26), 25, 0.6)
    f2 = binom.pmf(np.arange(31), 30, 0.3)
    assert sap_power(25, 30, 0.6, 0.3) == pytest.approx(float(f1 @ region @ f2), abs=1e-10)
