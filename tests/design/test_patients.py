"""Competing-risks sample size (Latouche-Porcher) checked by simulation with Gray's test,
the simulation model checked against its own cumulative incidence, and patient-level
trials whose day-28 responses go through the protocol engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gvhdtrial.design.exact import sap_p_value
from gvhdtrial.design.patients import (
    CompetingRiskModel,
    PatientTrialScenario,
    _protocol_response,
    _responder_by_code,
    _stages_of,
    sample_size_competing,
)
from gvhdtrial.stats import gray_test

MODEL = CompetingRiskModel(
    p=0.4,
    rate=1 / 6,
    shr=0.5,
    competing_rate=0.03,
    accrual_time=24,
    follow_up_time=12,
    dropout_rate=0.01,
)


def test_drawn_times_follow_the_model_cumulative_incidence():
    rng = np.random.default_rng(1)
    model = CompetingRiskModel(p=0.4, rate=0.2, shr=0.6, accrual_time=1e9, follow_up_time=0)
    for experimental in (False, True):
        n = 200_000
        t, s = model.draw(rng, np.full(n, experimental))
        for horizon in (2.0, 6.0, 20.0):
            f = float(model.cif(horizon, experimental))
            emp = np.mean((s == 1) & (t <= horizon))
            assert abs(emp - f) <= 4 * math.sqrt(f * (1 - f) / n)


def test_psi_is_the_observed_fraction_of_events_of_interest():
    """psi (by quadrature) equals the simulated share of observed cause-1 events."""
    plan = sample_size_competing(MODEL)
    rng = np.random.default_rng(2)
    n = 400_000
    arm = np.arange(n) % 2 == 1
    _, s = MODEL.draw(rng, arm)
    emp = float(np.mean(s == 1))
    assert abs(emp - plan.psi) <= 4 * math.sqrt(plan.psi * (1 - plan.psi) / n)


def test_schoenfeld_events_for_the_subdistribution_hazard_ratio():
    """e = (z_.975 + z_.8)^2 / (1/4 log(0.5)^2) = 65.35 (Latouche & Porcher 2007, eq. 1)."""
    plan = sample_size_competing(MODEL)
    assert plan.events == pytest.approx(
        (1.959964 + 0.841621) ** 2 / (0.25 * math.log(0.5) ** 2), rel=1e-6
    )
    assert plan.max_number_of_subjects == pytest.approx(plan.events / plan.psi)


def test_gray_test_power_at_the_latouche_porcher_size_is_the_target():
    """Trials of the planned size tested with gvhdtrial.stats.gray_test reach 80 % power
    within 4 Monte Carlo SE."""
    plan = sample_size_competing(MODEL)
    n = math.ceil(plan.max_number_of_subjects)
    rng = np.random.default_rng(3)
    trials = 300
    rejected = 0
    for _ in range(trials):
        arm = rng.permutation(np.arange(n) % 2)
        t, s = MODEL.draw(rng, arm == 1)
        rejected += gray_test(t, s, arm).p_value <= 0.05
    power = rejected / trials
    assert abs(power - 0.8) <= 4 * math.sqrt(0.8 * 0.2 / trials), power


def test_patient_level_response_rate_is_the_assumed_one():
    """The protocol engine classifies the simulated day-28 stages back to the assumed ORR
    (early deaths count as NR, and are part of the assumed rate)."""
    sc = PatientTrialScenario(n_subjects=100, orr=((0.3, 0.5), (0.6, 0.7)), p_gut=0.5)
    rng = np.random.default_rng(4)
    trials = 150
    responders = [sc.trial(rng)[2] for _ in range(trials)]
    expected = 50 * (0.5 * 0.3 + 0.5 * 0.5) + 50 * (0.5 * 0.6 + 0.5 * 0.7)
    sd = math.sqrt(100 * 0.25)  # at most a binomial's
    assert abs(np.mean(responders) - expected) <= 4 * sd / math.sqrt(trials)


def test_codes_decode_to_the_protocol_rule():
    """The integer code of (baseline, day 28, died) decodes to the same engine verdict."""
    base, cur = (2, 0, 1, 3), (1, 0, 0, 1)
    code = (np.array(base) @ [100, 20, 10, 1]) * 1000 + (np.array(cur) @ [100, 20, 10, 1]) * 2
    assert _stages_of(int(np.array(base) @ [100, 20, 10, 1])) == base
    assert _responder_by_code(int(code)) == _protocol_response(base, cur, False) is True
    assert _responder_by_code(int(code) + 1) is False  # died -> NR


def test_bad_competing_model_is_refused():
    with pytest.raises(ValueError, match="shr"):
        sample_size_competing(CompetingRiskModel(shr=1.0))


def test_batched_trials_reach_gray_test_verdict_on_each_trial():
    """trials() draws a batch and tests it with gray_test_batch; the same draws tested one
    by one with gvhdtrial.stats.gray_test (pinned to cmprsk) give the same verdicts."""
    sc = PatientTrialScenario(n_subjects=60)
    x1, n1, x2, time, status, arm = sc.draw_trials(np.random.default_rng(5), 80)
    orr_reject, gray_reject, responders = sc.trials(np.random.default_rng(5), 80)
    one_by_one = [
        (status[i] == 1).any() and gray_test(time[i], status[i], arm[i]).p_value <= sc.alpha
        for i in range(80)
    ]
    np.testing.assert_array_equal(gray_reject, one_by_one)
    np.testing.assert_array_equal(responders, x1 + x2)
    sap = [
        sap_p_value(int(a), 30, int(b), 30) <= sc.alpha and a > b
        for a, b in zip(x1, x2, strict=True)
    ]
    np.testing.assert_array_equal(orr_reject, sap)
    assert (n1 == 30).all() and 0 < gray_reject.sum() < 80
