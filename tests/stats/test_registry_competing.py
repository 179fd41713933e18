"""Cause-specific Cox models beside Fine-Gray, pinned against R survival 3.5-3
``coxph(Surv(etime, estat == k) ~ age + male + hgb)`` on survival's mgus2 data
(progression vs death). Frozen values: tests/fixtures/registry_reference.json."""

from __future__ import annotations

import pytest
from registry_ref import close, data, reference

from gvhdtrial.stats import cause_specific_cox


def test_cause_specific_cox_against_R_coxph_per_cause() -> None:
    d = data("mgus2")
    fits = cause_specific_cox(d.etime, d.estat, d[["age", "male", "hgb"]])
    assert sorted(fits) == [1.0, 2.0]
    for cause, fit in fits.items():
        r = reference()["cause_specific"][f"mgus2_cause{int(cause)}"]
        close(fit.coef, r["coef"])
        close(fit.se, r["se"])
        close([fit.loglik_null, fit.loglik], r["loglik"])


def test_cause_specific_cox_names_a_cause_without_events() -> None:
    d = data("mgus2")
    with pytest.raises(ValueError, match="cause 3 has no events"):
        cause_specific_cox(d.etime, d.estat, d[["age"]], causes=[3])
