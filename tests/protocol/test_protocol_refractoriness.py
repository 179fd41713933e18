"""Golden tests for steroid refractoriness: the paper's four categories (Methods: Patients;
docs/protocol.md section 3), EBMT-NIH-CIBMTR 2018 (Schoemans et al., BMT 2018) and REACH
(Jagasia et al., Blood 2020; Zeiser et al., NEJM 2020)."""

from __future__ import annotations

import datetime as dt

import pytest

from gvhdtrial.protocol import (
    DatedStages,
    OrganStages,
    SteroidCourse,
    SteroidDose,
    methylprednisolone_equivalent,
    steroid_refractory_category,
)

START = dt.date(2024, 1, 1)
SKIN3 = OrganStages(skin=3)
SKIN3_GUT2 = OrganStages(skin=3, lower_gi=2)


def course(
    doses: list[tuple[int, float]], assessments: list[tuple[int, OrganStages]]
) -> SteroidCourse:
    """A course from (day, dose) and (day, stages) pairs, day 0 = steroid start."""
    return SteroidCourse(
        start_date=START,
        doses=tuple(SteroidDose(START + dt.timedelta(days=d), dose) for d, dose in doses),
        assessments=tuple(
            DatedStages(START + dt.timedelta(days=d), stages) for d, stages in assessments
        ),
    )


def test_category1_progression_after_3_days_paper() -> None:
    result = steroid_refractory_category(
        course([(0, 2.0)], [(0, SKIN3), (3, OrganStages(skin=3, lower_gi=1))])
    )
    assert (result.category, result.kind, result.day) == (1, "resistance", 3)
    assert result.refractory


def test_progression_before_day_3_is_not_category1_paper() -> None:
    result = steroid_refractory_category(
        course([(0, 2.0)], [(0, SKIN3), (2, OrganStages(skin=4)), (3, SKIN3)])
    )
    assert not result.refractory
    assert result.category is None and result.kind is None


def test_category2_failure_to_improve_after_7_days_paper() -> None:
    result = steroid_refractory_category(course([(0, 2.0)], [(0, SKIN3_GUT2), (7, SKIN3_GUT2)]))
    assert (result.category, result.kind, result.day) == (2, "resistance", 7)


def test_improvement_by_day_7_is_not_category2_paper() -> None:
    result = steroid_refractory_category(
        course([(0, 2.0)], [(0, SKIN3_GUT2), (7, OrganStages(skin=1, lower_gi=2))])
    )
    assert not result.refractory


def test_category3_failure_to_reach_cr_after_14_days_paper() -> None:
    result = steroid_refractory_category(
        course(
            [(0, 2.0)],
            [(0, SKIN3_GUT2), (7, OrganStages(skin=1, lower_gi=1)), (14, OrganStages(skin=1))],
        )
    )
    assert (result.category, result.kind, result.day) == (3, "resistance", 14)


def test_cr_by_day_14_is_not_refractory_paper() -> None:
    result = steroid_refractory_category(
        course(
            [(0, 2.0), (14, 1.0)], [(0, SKIN3_GUT2), (7, OrganStages(skin=1)), (14, OrganStages())]
        )
    )
    assert not result.refractory
    assert result.reason == "not steroid-refractory"


def test_category4_dose_back_up_to_2_mg_per_kg_during_taper_paper() -> None:
    result = steroid_refractory_category(
        course(
            [(0, 2.0), (10, 1.0), (20, 2.0)],
            [(0, SKIN3), (7, OrganStages(skin=1)), (14, OrganStages())],
        )
    )
    assert (result.category, result.kind, result.day) == (4, "dependence", 20)
    assert "back up to 2" in " ".join(criterion.reason for criterion in result.criteria_met)


def test_category4_not_held_below_half_mg_per_kg_for_7_days_paper() -> None:
    # Tapered to 0.25 on day 20, raised to 0.75 on day 24: below 0.5 for only 4 days.
    result = steroid_refractory_category(
        course(
            [(0, 1.0), (10, 0.5), (20, 0.25), (24, 0.75)],
            [(0, SKIN3), (7, OrganStages(skin=1)), (14, OrganStages())],
        )
    )
    assert (result.category, result.kind, result.day) == (4, "dependence", 24)


def test_taper_held_below_half_mg_per_kg_for_7_days_is_not_dependence_paper() -> None:
    result = steroid_refractory_category(
        course(
            [(0, 1.0), (10, 0.5), (20, 0.25), (27, 0.4)],
            [(0, SKIN3), (7, OrganStages(skin=1)), (14, OrganStages())],
        )
    )
    assert not result.refractory


def test_escalation_before_any_taper_is_not_dependence_paper() -> None:
    # 1 -> 2 mg/kg/day on day 2 is first-line escalation, not failure during taper.
    result = steroid_refractory_category(
        course([(0, 1.0), (2, 2.0)], [(0, SKIN3), (7, OrganStages(skin=1)), (14, OrganStages())])
    )
    assert not result.refractory


def test_earliest_criterion_gives_the_category_all_are_listed_paper() -> None:
    result = steroid_refractory_category(
        course(
            [(0, 2.0)], [(0, SKIN3_GUT2), (7, SKIN3_GUT2), (14, OrganStages(skin=4, lower_gi=2))]
        )
    )
    assert result.category == 2
    assert [c.category for c in result.criteria_met] == [2, 1, 3]
    assert [c.day for c in result.criteria_met] == [7, 14, 14]


def test_as_of_uses_only_records_up_to_that_date_paper() -> None:
    data = course([(0, 2.0)], [(0, SKIN3_GUT2), (4, SKIN3_GUT2), (7, SKIN3_GUT2)])
    assert not steroid_refractory_category(data, as_of=START + dt.timedelta(days=6)).refractory
    assert steroid_refractory_category(data, as_of=START + dt.timedelta(days=7)).category == 2


def test_prednisone_to_methylprednisolone_conversion_protocol_section3() -> None:
    # Prednisone 1 mg = methylprednisolone 0.8 mg: 2.5 mg/kg prednisone = 2.0 methylprednisolone.
    assert methylprednisolone_equivalent(2.5) == pytest.approx(2.0)
    assert methylprednisolone_equivalent(0.625) == pytest.approx(0.5)


def test_ebmt_2018_needs_2_mg_per_kg_prednisone_for_progression_schoemans_2018() -> None:
    progression = [(0, SKIN3), (3, OrganStages(skin=4))]
    low_dose = course([(0, 1.0)], progression)
    full_dose = course([(0, methylprednisolone_equivalent(2.0))], progression)
    assert steroid_refractory_category(low_dose, "paper").category == 1
    assert not steroid_refractory_category(low_dose, "ebmt_nih_cibmtr_2018").refractory
    assert steroid_refractory_category(full_dose, "ebmt_nih_cibmtr_2018").category == 1


def test_ebmt_2018_incomplete_response_after_28_days_not_14_schoemans_2018() -> None:
    data = course(
        [(0, 2.0)],
        [
            (0, SKIN3_GUT2),
            (7, OrganStages(skin=1, lower_gi=1)),
            (14, OrganStages(skin=1)),
            (28, OrganStages(skin=1)),
        ],
    )
    paper = steroid_refractory_category(data, "paper")
    ebmt = steroid_refractory_category(data, "ebmt_nih_cibmtr_2018")
    assert (paper.category, paper.day) == (3, 14)
    assert (ebmt.category, ebmt.day) == (3, 28)


def test_ebmt_2018_flare_during_taper_is_dependence_schoemans_2018() -> None:
    data = course(
        [(0, 2.0), (10, 1.0)],
        [
            (0, SKIN3_GUT2),
            (7, OrganStages(skin=1)),
            (12, OrganStages(skin=2)),
            (14, OrganStages(skin=2)),
        ],
    )
    ebmt = steroid_refractory_category(data, "ebmt_nih_cibmtr_2018")
    assert (ebmt.category, ebmt.kind, ebmt.day) == (4, "dependence", 12)
    # The paper has no flare criterion: the same course is category 3 (no CR on day 14).
    assert steroid_refractory_category(data, "paper").category == 3


def test_reach_new_organ_after_1_mg_per_kg_for_skin_disease_jagasia_2020_zeiser_2020() -> None:
    data = course([(0, 1.0)], [(0, OrganStages(skin=2)), (2, OrganStages(skin=2, liver=1))])
    reach = steroid_refractory_category(data, "reach")
    assert (reach.category, reach.kind, reach.day) == (1, "resistance", 2)
    # Under the paper, progression counts only from day 3.
    assert not steroid_refractory_category(data, "paper").refractory


def test_reach_no_response_requires_2_mg_per_kg_jagasia_2020_zeiser_2020() -> None:
    unchanged = [(0, SKIN3_GUT2), (7, SKIN3_GUT2)]
    assert not steroid_refractory_category(course([(0, 1.0)], unchanged), "reach").refractory
    assert steroid_refractory_category(course([(0, 2.0)], unchanged), "reach").category == 2
