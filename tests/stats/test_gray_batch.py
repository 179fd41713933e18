"""gray_test_batch gives, sample by sample, what gray_test gives (hypothesis).

gray_test itself is pinned to cmprsk::cuminc()$Tests (test_competing_risks.py); the batch
runs the same kernel on a shared column layout, so the two must agree to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvhdtrial.stats import gray_test, gray_test_batch

# 12 batches of 30-60 samples: at least 360 samples compared per run
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {"rtol": 1e-10, "atol": 1e-10}


@st.composite
def batches(draw, groups=("a", "b")):
    b = draw(st.integers(30, 60))
    n = draw(st.integers(len(groups) + 2, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # coarse times give many ties (within and across groups); fine times give few
    digits = draw(st.sampled_from([0, 1, 6]))
    time = np.round(rng.exponential(2.0, size=(b, n)), digits)
    status = rng.choice([0, 1, 2], size=(b, n), p=[0.3, 0.4, 0.3])  # 0 censored
    group = np.array([rng.permutation(np.resize(groups, n)) for _ in range(b)])
    rho = draw(st.sampled_from([0.0, 1.0, -0.5]))
    return time, status, group, rho


def _assert_rowwise_equal(time, status, group, rho):
    res = gray_test_batch(time, status, group, rho=rho)
    compared = 0
    for i in range(time.shape[0]):
        try:
            one = gray_test(time[i], status[i], group[i], rho=rho)
        except ValueError:  # no event of the cause, or a singular covariance
            assert np.isnan(res.statistic[i]) and np.isnan(res.p_value[i])
            continue
        np.testing.assert_allclose(res.statistic[i], one.statistic, **TOL)
        np.testing.assert_allclose(res.p_value[i], one.p_value, **TOL)
        np.testing.assert_allclose(res.score[i], one.score, **TOL)
        np.testing.assert_allclose(res.covariance[i], one.covariance, **TOL)
        compared += 1
    assert res.df == len(res.groups) - 1
    return compared


@SETTINGS
@given(batches())
def test_batch_equals_gray_test_on_each_two_group_sample(data):
    time, status, group, rho = data
    assert _assert_rowwise_equal(time, status, group, rho) >= time.shape[0] // 2


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(groups=("x", "y", "z")))
def test_batch_equals_gray_test_on_each_three_group_sample(data):
    time, status, group, rho = data
    _assert_rowwise_equal(time, status, group, rho)


def test_sample_without_the_cause_gives_nan_where_gray_test_refuses():
    time = [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]
    status = [[1, 0, 2, 1], [2, 0, 2, 0]]
    group = [[0, 1, 0, 1], [0, 1, 0, 1]]
    with pytest.raises(ValueError, match="no events"):
        gray_test(time[1], status[1], group[1])
    res = gray_test_batch(time, status, group)
    assert np.isfinite(res.p_value[0]) and np.isnan(res.p_value[1])
    assert res.p_value[0] == pytest.approx(gray_test(time[0], status[0], group[0]).p_value)


def test_bad_batches_are_refused_naming_the_sample():
    good = np.ones((2, 4))
    group = [[0, 1, 0, 1], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="sample 1 has no subject in group 1"):
        gray_test_batch(good, good, group)
    bad = good.copy()
    bad[1, 2] = -1.0
    with pytest.raises(ValueError, match=r"negative value at sample 1, row 2"):
        gray_test_batch(bad, good, [[0, 1, 0, 1]] * 2)
    with pytest.raises(ValueError, match="status has shape"):
        gray_test_batch(good, np.ones((2, 3)), [[0, 1, 0, 1]] * 2)
