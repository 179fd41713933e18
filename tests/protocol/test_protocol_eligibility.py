"""Golden tests for screening (paper, Methods: Patients; docs/protocol.md section 2)."""

from __future__ import annotations

import dataclasses

import pytest

from gvhdtrial.protocol import ELIGIBILITY_CRITERIA, Candidate, OrganStages, screen

ELIGIBLE = Candidate(
    age_years=38,
    haematologic_malignancy=True,
    first_allo_hsct=True,
    steroid_refractory=True,
    consent_signed=True,
    stages=OrganStages(skin=3, lower_gi=2),
    days_enrolment_to_first_infusion=1,
    creatinine_clearance_ml_min=85.0,
)


def test_eligible_candidate_paper_methods_patients() -> None:
    result = screen(ELIGIBLE)
    assert result.eligible
    assert result.failures == ()


# (criterion, change from the eligible candidate, failed code)
SINGLE_FAILURES = [
    ("I1 age 12 is under 13", {"age_years": 12}, "I1"),
    ("I1 age 71 is over 70", {"age_years": 71}, "I1"),
    ("I2a no haematologic malignancy", {"haematologic_malignancy": False}, "I2a"),
    ("I2b second transplant", {"first_allo_hsct": False}, "I2b"),
    ("I2c not steroid-refractory", {"steroid_refractory": False}, "I2c"),
    ("I2d grade I", {"stages": OrganStages(skin=2)}, "I2d"),
    ("I2d grade not recorded", {"stages": None}, "I2d"),
    ("I3 first infusion 4 days after enrolment", {"days_enrolment_to_first_infusion": 4}, "I3"),
    ("I4 no consent", {"consent_signed": False}, "I4"),
    ("E1a uncontrolled infection", {"uncontrolled_infection": True}, "E1a"),
    ("E1b pulmonary arterial hypertension", {"pulmonary_arterial_hypertension": True}, "E1b"),
    ("E1c NYHA III", {"nyha_class": 3}, "E1c"),
    ("E1c NYHA IV", {"nyha_class": 4}, "E1c"),
    ("E1d acute myocardial infarction", {"acute_myocardial_infarction": True}, "E1d"),
    ("E1e refractory hypertension", {"refractory_hypertension": True}, "E1e"),
    ("E1f creatinine clearance 29.9 mL/min", {"creatinine_clearance_ml_min": 29.9}, "E1f"),
    ("E1g severe VOD/SOS", {"severe_vod_sos": True}, "E1g"),
    ("E1h other life-threatening condition", {"other_life_threatening_condition": True}, "E1h"),
    ("E2a gut TA-TMA", {"gut_ta_tma": True}, "E2a"),
    ("E2b GI infection", {"gi_infection": True}, "E2b"),
    ("E3 solid tumour within 5 years", {"active_solid_tumour_within_5_years": True}, "E3"),
    ("E4 severe allergy to blood products", {"severe_allergy_to_blood_products": True}, "E4"),
    ("E5 mental or neurological disorder", {"mental_or_neurological_disorder": True}, "E5"),
]


@pytest.mark.parametrize(
    ("change", "code"),
    [row[1:] for row in SINGLE_FAILURES],
    ids=[row[0] for row in SINGLE_FAILURES],
)
def test_each_criterion_fails_alone_paper_methods_patients(
    change: dict[str, object], code: str
) -> None:
    result = screen(dataclasses.replace(ELIGIBLE, **change))  # type: ignore[arg-type]
    assert not result.eligible
    assert result.codes == (code,)
    assert result.failures[0].reason


@pytest.mark.parametrize(
    "change",
    [
        {"age_years": 13},
        {"age_years": 70},
        {"days_enrolment_to_first_infusion": 3},
        {"creatinine_clearance_ml_min": 30.0},
        {"nyha_class": 2},
        {"stages": None, "agvhd_grade": 2},
        {"stages": OrganStages(lower_gi=4)},
    ],
    ids=["age 13", "age 70", "3 days", "CrCl 30", "NYHA II", "grade II recorded", "grade IV"],
)
def test_boundaries_that_stay_eligible_paper_methods_patients(change: dict[str, object]) -> None:
    assert screen(dataclasses.replace(ELIGIBLE, **change)).eligible  # type: ignore[arg-type]


def test_every_failure_is_listed_not_only_the_first_protocol_section2() -> None:
    candidate = dataclasses.replace(
        ELIGIBLE,
        age_years=75,
        consent_signed=False,
        pulmonary_arterial_hypertension=True,
        creatinine_clearance_ml_min=20.0,
        mental_or_neurological_disorder=True,
    )
    result = screen(candidate)
    assert not result.eligible
    assert result.codes == ("I1", "I4", "E1b", "E1f", "E5")
    assert str(result.failures[0]) == "I1 age 13-70: age 75; 13-70 years required"
    assert "creatinine clearance 20 mL/min" in result.failures[3].reason


def test_agvhd_after_dli_is_allowed_and_noted_paper_methods_patients() -> None:
    result = screen(dataclasses.replace(ELIGIBLE, agvhd_after_dli=True))
    assert result.eligible
    assert any("donor lymphocyte infusion" in note for note in result.notes)


def test_criteria_table_codes_are_unique() -> None:
    codes = [criterion.code for criterion in ELIGIBILITY_CRITERIA]
    assert len(codes) == len(set(codes))
