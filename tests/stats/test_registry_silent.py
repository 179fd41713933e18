"""The silent or misleading answers of issue 14, each pinned: Wilcoxon with all values
equal (R: p NA), CMH with a one-subject stratum (R refuses; we say what we left out and
otherwise equal R on the rest), Fine-Gray on a monotone likelihood (name the covariate and
the infinite estimate). Frozen R values: tests/fixtures/registry_reference.json."""

from __future__ import annotations

import math

import numpy as np
import pytest
from registry_ref import arr, close, close_p, reference

from gvhdtrial.stats import MonotoneLikelihoodError, cmh_test, fine_gray, wilcoxon_rank_sum


def test_wilcoxon_all_values_equal_gives_NA_p_as_R_wilcox_test() -> None:
    r = reference()["silent"]["wilcox_all_equal"]
    res = wilcoxon_rank_sum([4, 4, 4], [4, 4])
    close(res.statistic, r["W"])
    assert r["p"] == [None] and math.isnan(res.p_value)
    assert "undefined" in res.note


def test_cmh_one_subject_stratum_is_said_and_the_rest_equals_R_mantelhaen_test() -> None:
    r = reference()["silent"]["cmh_one_subject"]
    assert r["r_error"] == ["sample size in each stratum must be > 1"]
    table = arr(r["table"]).reshape(r["dim"], order="F")
    res = cmh_test(table)
    assert res.dropped_strata == (2,)
    assert "1 stratum/strata with fewer than 2 subjects left out" in res.note
    close(res.statistic, r["stat"])
    close_p(res.p_value, r["p"])
    close(res.estimate, r["estimate"])
    # nothing left out, nothing said
    assert cmh_test(table[:, :, [0, 1, 3]]).dropped_strata == ()


def _monotone_data(direction: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 60
    x = np.r_[np.zeros(30), np.ones(30)]
    time = rng.exponential(1.0, n).round(4) + 0.01
    status = rng.integers(0, 3, n)
    # the events of interest only where x is 0 (direction -1) or 1 (direction +1)
    no_events_where = 1.0 if direction < 0 else 0.0
    status[(x == no_events_where) & (status == 1)] = 2
    return time, status, x


@pytest.mark.parametrize("direction", [-1, 1])
def test_fine_gray_monotone_likelihood_names_covariate_and_infinite_estimate(
    direction: int,
) -> None:
    """Issue 14: was a coefficient near -101 with SE 0.6 and 'did not converge' one way,
    'collinear covariates' the other. Now: monotone likelihood, which covariate, which
    infinity, in both directions."""
    time, status, x = _monotone_data(direction)
    rng = np.random.default_rng(6)
    X = np.column_stack([rng.normal(size=x.size), x])
    sign = "+inf" if direction > 0 else "-inf"
    with pytest.raises(MonotoneLikelihoodError, match=rf"monotone likelihood.*'x2'.*\{sign}"):
        fine_gray(time, status, X)
    try:
        fine_gray(time, status, X)
    except MonotoneLikelihoodError as err:
        assert err.covariate == "x2" and err.direction == direction
        assert isinstance(err, ValueError)


def test_fine_gray_without_monotone_likelihood_still_fits() -> None:
    time, status, x = _monotone_data(1)
    status[(x == 0) & (np.arange(x.size) % 7 == 0)] = 1  # a few events where x = 0
    fit = fine_gray(time, status, x)
    assert fit.converged and np.isfinite(fit.coef).all()
