"""Issue 11, pure rules: infusions follow the treatment plan; a blank assessment is "not
assessed"; the calendar stops expecting visits after withdrawal and counts day 0 done with
the baseline.

The plan is the paper's (Methods: infusions twice weekly, at least 3 days apart, 8 over four
weeks, 16 for a partial response at day 28), through gvhdtrial.protocol.treatment_plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from gvhdtrial.capture import (
    compute_response,
    infusion_refusal,
    is_assessed,
    patient_calendar,
    unassessed_organs,
)
from gvhdtrial.protocol import treatment_plan

from .test_capture_edit_checks import FIRST, RAND, _add, _day, clean

D0 = dt.date(2024, 3, 4)


def _given(n: int) -> dict[int, dt.date]:
    """Infusions 1..n on the plan's own dates."""
    plan = treatment_plan(55.0, D0)
    return {i.number: i.date for i in plan.infusions[:n]}


def test_infusion_nine_of_a_plan_of_eight_is_refused():
    why = infusion_refusal(9, D0 + dt.timedelta(days=28), weight_kg=55, done=_given(8))
    assert why is not None and why.field == "infusion_number"
    assert "it has 8 infusions" in why.message and "16 only after a confirmed PR" in why.message
    # After a confirmed PR at day 28 the plan has 16: infusion 9 follows it.
    assert infusion_refusal(9, D0 + dt.timedelta(days=28), weight_kg=55, done=_given(8),
                            day28_response="PR") is None  # fmt: skip


def test_infusion_five_before_two_to_four_is_refused():
    why = infusion_refusal(5, D0 + dt.timedelta(days=14), weight_kg=55, done=_given(1))
    assert why is not None and why.message == "Infusion 5 cannot come before infusions 2, 3, 4."


def test_a_second_infusion_on_the_same_day_is_refused():
    # Twelve kits to one patient in a day were infusions 1-4 dispensed on one date.
    why = infusion_refusal(2, D0, weight_kg=55, done=_given(1))
    assert why is not None and why.field == "date" and "at least 3 days" in why.message


def test_dates_in_the_future_or_before_randomization_are_refused():
    today = D0 + dt.timedelta(days=5)
    future = infusion_refusal(1, today + dt.timedelta(days=1), weight_kg=55, done={},
                              randomized_on=D0, today=today)  # fmt: skip
    before = infusion_refusal(1, D0 - dt.timedelta(days=1), weight_kg=55, done={},
                              randomized_on=D0, today=today)  # fmt: skip
    assert future is not None and "in the future" in future.message
    assert before is not None and "before randomization" in before.message


@given(st.integers(min_value=1, max_value=16), st.sampled_from(["PR", None]))
def test_every_infusion_of_the_plan_on_its_planned_date_is_accepted(n, response):
    plan = treatment_plan(55.0, D0, response)
    if n > plan.number_of_infusions:
        why = infusion_refusal(n, D0 + dt.timedelta(days=60), weight_kg=55,
                               done=_given(8), day28_response=response)  # fmt: skip
        assert why is not None and why.field == "infusion_number"
        return
    done = {i.number: i.date for i in plan.infusions[: n - 1]}
    planned = plan.infusions[n - 1]
    assert infusion_refusal(n, planned.date, weight_kg=55, done=done, day28_response=response,
                            randomized_on=D0, today=planned.date) is None  # fmt: skip


BLANK = {"assessment_date": _day(28), "visit": "d28", "bilirubin_unit": "mg/dL",
         "skin_bsa_percent": None, "bilirubin": None, "stool_ml_per_day": None}  # fmt: skip


def test_a_blank_assessment_is_not_assessed():
    assert unassessed_organs(BLANK) == ("skin", "liver")
    assert not is_assessed(BLANK)
    # The form starts at 0 % BSA: still not assessed until the bilirubin is entered.
    assert unassessed_organs({**BLANK, "skin_bsa_percent": 0.0}) == ("liver",)
    assert is_assessed({**BLANK, "skin_bsa_percent": 0.0, "bilirubin": 1.0})


def test_a_blank_day28_assessment_gives_no_response():
    rec = clean()
    rows = [a for a in rec.assessments if a["assessment_date"] != _day(28)] + [BLANK]
    got = compute_response(replace(rec, assessments=rows), "d28")
    # Before the fix a blank form staged as all-zero and came out CR against baseline.
    assert got.response is None and got.grade is None and got.stages is None


def test_day_zero_is_done_with_the_baseline_assessment():
    d0 = dt.date(2024, 1, 1)
    rec = replace(
        clean(),
        randomization_date=d0,
        infusions=[{"infusion_number": 1, "date": d0}],
        assessments=[{"assessment_date": d0, "visit": "baseline"}],
        responses=[],
    )
    cal = patient_calendar(rec, today=d0)
    assert cal is not None
    by_name = {v.name: v.status for v in cal.visits}
    assert by_name["baseline"] == "done" and by_name["day 0"] == "done"


def test_after_consent_is_withdrawn_no_visit_is_overdue():
    withdrawn = {"event_id": 9, "event_type": "discontinuation", "event_date": _day(20),
                 "discontinuation_reason": "consent_withdrawn"}  # fmt: skip
    cal = patient_calendar(_add(clean(), "events", withdrawn), today=_day(200))
    assert cal is not None
    late = [v for v in cal.visits if v.earliest > _day(20)]
    assert late and {v.status for v in late} <= {"off study", "done"}  # done: entered anyway
    assert "overdue" not in {v.status for v in late}


def test_after_treatment_is_discontinued_infusions_are_not_overdue_but_visits_are():
    stopped = {"event_id": 9, "event_type": "discontinuation", "event_date": _day(8),
               "discontinuation_reason": "other"}  # fmt: skip
    rec = replace(_add(clean(), "events", stopped), infusions=clean().infusions[:3])
    cal = patient_calendar(rec, today=_day(40))
    assert cal is not None
    by_name = {v.name: v.status for v in cal.visits}
    assert by_name["infusion 5"] == "off study"
    assert by_name["day 31"] == "overdue"  # follow-up continues after treatment stops


def test_the_reference_days_of_the_clean_record():
    assert RAND <= FIRST  # the helpers this module borrows are what they say
