"""Golden tests for the treatment plan (paper, Methods; docs/protocol.md section 4)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from gvhdtrial.protocol import VisitWindows, bags_per_infusion, treatment_plan

FIRST_INFUSION = dt.date(2024, 3, 12)

# (weight kg, bags per infusion, delivered cells/kg): bags = weight x 1e6 / 2e7 rounded half up.
DOSING_TABLE = [
    (40.0, 2, 1.0e6),  # 2.0 bags
    (50.0, 3, 1.2e6),  # 2.5 -> 3 (half up, not banker's 2)
    (60.0, 3, 1.0e6),  # 3.0 bags
    (61.0, 3, 6.0e7 / 61),  # 3.05 -> 3 bags, 0.98e6/kg
    (95.0, 5, 1.0e8 / 95),  # 4.75 -> 5 bags, 1.05e6/kg
    (5.0, 1, 4.0e6),  # 0.25 -> at least one bag
]


@pytest.mark.parametrize(("weight", "bags", "delivered"), DOSING_TABLE)
@pytest.mark.parametrize("day28_response", ["CR", "PR"])
def test_treatment_plan_bags_and_delivered_dose_paper_methods(
    weight: float, bags: int, delivered: float, day28_response: str
) -> None:
    plan = treatment_plan(weight, FIRST_INFUSION, day28_response)
    assert plan.bags_per_infusion == bags
    assert plan.delivered_cells_per_kg == pytest.approx(delivered)
    assert plan.volume_ml_per_infusion == 50 * bags


def test_delivered_dose_rounds_as_documented_protocol_section4() -> None:
    assert round(treatment_plan(61.0, FIRST_INFUSION).delivered_cells_per_kg / 1e6, 2) == 0.98
    assert round(treatment_plan(95.0, FIRST_INFUSION).delivered_cells_per_kg / 1e6, 2) == 1.05


def test_bag_rounding_up_is_configurable_protocol_section4() -> None:
    assert bags_per_infusion(61.0, "up") == 4
    assert bags_per_infusion(60.0, "up") == 3
    assert treatment_plan(61.0, FIRST_INFUSION, rounding="up").bags_per_infusion == 4


@pytest.mark.parametrize(
    ("day28_response", "expected_infusions", "last_day"),
    [(None, 8, 24), ("CR", 8, 24), ("NR", 8, 24), ("PD", 8, 24), ("PR", 16, 52)],
)
@pytest.mark.parametrize("weight", [40.0, 60.0, 61.0, 95.0])
def test_eight_infusions_or_sixteen_after_pr_at_day28_paper_methods(
    weight: float, day28_response: str | None, expected_infusions: int, last_day: int
) -> None:
    plan = treatment_plan(weight, FIRST_INFUSION, day28_response)
    assert plan.number_of_infusions == expected_infusions
    assert [infusion.number for infusion in plan.infusions] == list(
        range(1, expected_infusions + 1)
    )
    assert plan.infusions[0].date == FIRST_INFUSION
    assert plan.infusions[-1].day == last_day
    # The 8th infusion falls before the day-28 assessment.
    assert plan.infusions[7].day == 24


@pytest.mark.parametrize("day28_response", ["CR", "PR"])
def test_infusions_twice_weekly_at_least_3_days_apart_paper_methods(day28_response: str) -> None:
    plan = treatment_plan(60.0, FIRST_INFUSION, day28_response)
    dates = [infusion.date for infusion in plan.infusions]
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(dates))
    for week in range(len(dates) // 2):
        in_week = [d for d in dates if week * 7 <= (d - FIRST_INFUSION).days < (week + 1) * 7]
        assert len(in_week) == 2


def test_visit_schedule_paper_methods() -> None:
    plan = treatment_plan(60.0, FIRST_INFUSION)
    screening = plan.visits[0]
    assert screening.name == "screening"
    assert screening.earliest == FIRST_INFUSION - dt.timedelta(days=7)
    assert screening.latest == FIRST_INFUSION
    treatment_days = [visit.day for visit in plan.visits[1:]]
    # 2-3 visits a week to day 56.
    for week in range(8):
        in_week = [d for d in treatment_days if week * 7 <= d < (week + 1) * 7]
        assert 2 <= len(in_week) <= 3
    assert 56 in treatment_days
    # Weekly to day 100, then days 180 and 360.
    assert [d for d in treatment_days if 56 < d <= 100] == [63, 70, 77, 84, 91, 98]
    assert treatment_days[-2:] == [180, 360]
    by_day = {visit.day: visit for visit in plan.visits[1:]}
    assert (by_day[70].window_before, by_day[70].window_after) == (3, 3)
    assert (by_day[180].window_before, by_day[360].window_after) == (14, 14)
    assert by_day[360].date == FIRST_INFUSION + dt.timedelta(days=360)


def test_visit_windows_are_configurable_protocol_section4() -> None:
    plan = treatment_plan(
        60.0, FIRST_INFUSION, windows=VisitWindows(screening_days=5, weekly=2, late=7)
    )
    by_day = {visit.day: visit for visit in plan.visits[1:]}
    assert plan.visits[0].window_before == 5
    assert by_day[70].window_after == 2
    assert by_day[180].window_before == 7
