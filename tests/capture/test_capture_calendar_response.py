"""The visit calendar (treatment plan -> visits with status, per-site lists) and the computed
day-28/56 response the investigator confirms."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from gvhdtrial.capture import compute_response, patient_calendar, site_worklist

from .test_capture_edit_checks import FIRST, RAND, _add, _assessment, _day, _death, clean


def test_no_calendar_before_randomization() -> None:
    assert patient_calendar(replace(clean(), randomization_date=None, infusions=[]), FIRST) is None


def test_calendar_is_anchored_on_the_first_infusion_and_marks_done_visits() -> None:
    cal = patient_calendar(clean(), today=_day(29))
    assert cal is not None and cal.anchor == "first infusion" and cal.day0 == FIRST
    by_name = {v.name: v for v in cal.visits}
    assert by_name["baseline"].status == "done" and by_name["baseline"].done_on == RAND
    assert by_name["day 28"].status == "done"
    assert by_name["infusion 8"].status == "done"
    # Day 3's window (+/- 1 day) passed without an assessment.
    assert by_name["day 3"].status == "overdue"
    assert by_name["day 31"].status == "upcoming"
    assert by_name["day 180"].status == "upcoming"


def test_pr_at_day_28_plans_sixteen_infusions() -> None:
    cal = patient_calendar(clean(), today=_day(29))
    assert cal is not None and cal.number_of_infusions == 16
    assert {v.name for v in cal.visits if v.kind == "infusion"} >= {"infusion 16"}
    nr = clean()
    nr = replace(nr, responses=[{**nr.responses[0], "confirmed": "NR"}])
    cal = patient_calendar(nr, today=_day(29))
    assert cal is not None and cal.number_of_infusions == 8


def test_before_the_first_infusion_the_plan_is_provisional_from_randomization() -> None:
    rec = replace(clean(), infusions=[], responses=[])
    cal = patient_calendar(rec, today=RAND)
    assert cal is not None and cal.anchor == "randomization (provisional)"
    first = next(v for v in cal.visits if v.name == "infusion 1")
    assert first.status == "due"


def test_after_death_no_visit_is_expected() -> None:
    rec = _add(clean(), "events", _death(_day(40)))
    cal = patient_calendar(rec, today=_day(120))
    assert cal is not None
    by_name = {v.name: v for v in cal.visits}
    assert by_name["day 49"].status == "off study"
    assert by_name["day 35"].status == "overdue"


def test_site_worklist_lists_overdue_and_upcoming_of_its_own_site_only() -> None:
    today = _day(29)
    mine = patient_calendar(clean(), today)
    other = patient_calendar(replace(clean(), patient_id="C02-0001", site="C02"), today)
    assert mine is not None and other is not None
    work = site_worklist("C01", [mine, other], today)
    assert {i.patient_id for i in work.overdue + work.upcoming} == {"C01-0001"}
    assert any(i.visit.name == "day 3" for i in work.overdue)
    assert any(i.visit.name == "day 31" for i in work.upcoming)
    assert all(i.visit.earliest <= today + dt.timedelta(days=7) for i in work.upcoming)
    assert [i.visit.date for i in work.overdue] == sorted(i.visit.date for i in work.overdue)


def test_day_28_response_is_partial_against_baseline() -> None:
    result = compute_response(clean(), "d28")
    assert result.response == "PR"
    assert result.baseline_stages is not None and result.baseline_stages.skin == 3
    assert result.stages is not None and result.stages.skin == 1 and result.grade == 1


def test_no_assessment_in_the_window_means_no_computed_response() -> None:
    result = compute_response(clean(), "d56")
    assert result.response is None and "no assessment within 3 days" in result.reason


def test_death_or_salvage_before_the_visit_is_nr() -> None:
    dead = _add(clean(), "events", _death(_day(20)))
    assert compute_response(dead, "d28").response == "NR" and compute_response(dead, "d28").died
    salvage = _add(
        clean(),
        "therapies",
        {"agent": "etanercept", "role": "salvage", "start_date": _day(10), "stop_date": None},
    )
    result = compute_response(salvage, "d28")
    assert result.response == "NR" and result.salvage


def test_complete_response_and_progression() -> None:
    cr = clean()
    cr = replace(cr, assessments=[cr.assessments[0], _assessment(_day(27), "d28")])
    assert compute_response(cr, "d28").response == "CR"
    pd = replace(
        cr, assessments=[cr.assessments[0], _assessment(_day(29), "d30", skin_bsa_percent=60.0,
                                                         bilirubin=4.0)]
    )  # fmt: skip
    assert compute_response(pd, "d28").response == "PD"


def test_infusions_keep_the_definitions_twice_weekly_window() -> None:
    """An infusion's window is the trial definition's window_frequent_days (phase 2: +/- 1 day,
    docs/protocol.md section 4), not a number of the calendar's own."""
    from gvhdtrial.protocol.treatment import VisitWindows

    for frequent in (1, 2):
        cal = patient_calendar(clean(), today=_day(29), windows=VisitWindows(frequent=frequent))
        assert cal is not None
        second = next(v for v in cal.visits if v.name == "infusion 2")
        assert (second.latest - second.date).days == frequent
        assert (second.date - second.earliest).days == frequent
