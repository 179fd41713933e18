"""Sample size and power for two rates against rpact 3.3.4 (getSampleSizeRates /
getPowerRates; tests/fixtures/design_reference.json): fixed, OF, asOF + bsOF, two-sided
asP and binding Pampallona-Tsiatis designs, allocation 1:1 and 2:1. Sample sizes to 1e-6
relative, probabilities to 1e-6 absolute."""

from __future__ import annotations

import numpy as np
import pytest

from gvhdtrial.design import group_sequential, power_rates, sample_size_rates
from tests.design._rpact import arr, design_kwargs, reference

CASES = reference()["rates"]
IDS = [
    f"{c['design_name']}-{c['pi1'][0]}-vs-{c['pi2'][0]}-r{c['allocation_ratio_planned'][0]:g}"
    for c in CASES
]


def _design(case):
    return group_sequential(**design_kwargs(case["design"]))


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
        for h in ("h0", "h01", "h1"):
            assert getattr(s, f"expected_number_of_subjects_{h}") == pytest.approx(
                case[f"expected_number_of_subjects_{h}"][0], rel=1e-6
            ), h
        np.testing.assert_allclose(s.reject_per_stage, arr(case["reject_per_stage"]), atol=1e-6)
        fut = arr(case["futility_per_stage"])
        if fut.size:
            np.testing.assert_allclose(s.futility_per_stage, np.nan_to_num(fut), atol=1e-6)


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
        ({"pi1": 0.5, "pi2": 0.3, "theta_h0": 0.1}, "theta_h0"),
        ({"pi1": 0.5, "pi2": 0.3, "groups": 1}, "groups"),
        ({"pi1": 0.5, "pi2": 0.3, "normal_approximation": False}, "normal_approximation"),
    ],
)
def test_bad_rates_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_rates(**kwargs)
