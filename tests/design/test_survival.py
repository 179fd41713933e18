"""Schoenfeld events and subjects for survival against rpact 3.3.4 (getSampleSizeSurvival;
tests/fixtures/design_reference.json): hazard ratio with lambda2 or median2, event
probabilities at a time, allocation 2:1, drop-out, one- and two-sided, K = 1 to 3.
Events, subjects, accrual intensity and analysis times to 1e-6 relative."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gvhdtrial.design import group_sequential, sample_size_survival
from gvhdtrial.design.survival import event_probability
from tests.design._rpact import arr, design_kwargs, reference

CASES = reference()["survival"]
ARG_NAMES = {
    "hazardRatio": "hazard_ratio",
    "lambda2": "lambda2",
    "median2": "median2",
    "pi1": "pi1",
    "pi2": "pi2",
    "eventTime": "event_time",
    "accrualTime": "accrual_time",
    "followUpTime": "follow_up_time",
    "accrualIntensity": "accrual_intensity",
    "dropoutRate1": "dropout_rate1",
    "dropoutRate2": "dropout_rate2",
    "dropoutTime": "dropout_time",
    "allocationRatioPlanned": "allocation_ratio_planned",
    "typeOfComputation": "type_of_computation",
}


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_survival_sample_size_equals_rpact(case):
    args = dict(case["args"])
    design = group_sequential(**design_kwargs(args.pop("design")))
    kwargs = {
        ARG_NAMES[k]: (v if k == "accrualTime" or not isinstance(v, list) else v[0])
        for k, v in args.items()
    }
    s = sample_size_survival(design, **kwargs)
    rel = 1e-6
    assert s.events_fixed == pytest.approx(case["events_fixed"][0], rel=rel)
    assert s.max_number_of_events == pytest.approx(case["max_number_of_events"][0], rel=rel)
    np.testing.assert_allclose(s.events_per_stage, arr(case["events_per_stage"]), rtol=rel)
    assert s.max_number_of_subjects == pytest.approx(case["max_number_of_subjects"][0], rel=rel)
    assert s.accrual_intensity == pytest.approx(case["accrual_intensity"][0], rel=rel)
    np.testing.assert_allclose(s.analysis_time, arr(case["analysis_time"]), rtol=rel)
    np.testing.assert_allclose(s.number_of_subjects, arr(case["number_of_subjects"]), rtol=rel)
    assert s.hazard_ratio == pytest.approx(case["hazard_ratio"][0], rel=1e-12)
    if "follow_up_time" in case:
        assert s.follow_up_time == pytest.approx(case["follow_up_time"][0], rel=rel)
    if design.k_max > 1:
        assert s.expected_events_h1 == pytest.approx(case["expected_events_h1"][0], rel=rel)
        assert s.expected_number_of_subjects_h1 == pytest.approx(
            case["expected_number_of_subjects_h1"][0], rel=rel
        )


def test_event_probability_by_quadrature():
    """The closed form equals numerical integration over the entry time."""
    from scipy.integrate import quad

    lam, eta, acc, t = 0.06, 0.01, 18.0, 25.0
    val, _ = quad(lambda u: lam / (lam + eta) * (1 - math.exp(-(lam + eta) * (t - u))), 0, acc)
    assert event_probability(t, acc, lam, eta) == pytest.approx(val / acc, rel=1e-12)


def test_unknown_computation_is_refused():
    with pytest.raises(
        ValueError, match="one of Schoenfeld, Freedman, HsiehFreedman, got 'Lachin'"
    ):
        sample_size_survival(
            hazard_ratio=0.7, lambda2=0.05, follow_up_time=6, type_of_computation="Lachin"
        )


def test_freedman_and_hsieh_agree_at_one_to_one():
    """At 1:1 both give Freedman's (1 + HR)^2 / (1 - HR)^2 (z_a + z_b)^2 (Freedman 1982): HR 0.7,
    one-sided 0.025, power 0.8: 7.84887 * 32.1111 = 252.04 events."""
    kw = {"hazard_ratio": 0.7, "lambda2": 0.05, "follow_up_time": 6}
    f = sample_size_survival(type_of_computation="Freedman", **kw).events_fixed
    h = sample_size_survival(type_of_computation="HsiehFreedman", **kw).events_fixed
    assert f == pytest.approx(h, rel=1e-12) and f == pytest.approx(252.036, abs=0.001)


def test_too_few_subjects_for_the_events_is_refused():
    with pytest.raises(ValueError, match="never reach"):
        sample_size_survival(
            hazard_ratio=0.7,
            lambda2=0.05,
            accrual_time=12,
            accrual_intensity=1,
            dropout_rate1=0.5,
            dropout_rate2=0.5,
        )
