"""Invalid input raises one ValueError whose message names the field and the value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from gvhdtrial.protocol import (
    Candidate,
    DatedStages,
    Measurements,
    OrganStages,
    StageAssessment,
    SteroidCourse,
    SteroidDose,
    assess_response,
    durable_complete_response,
    liver_stage,
    lower_gi_stage,
    skin_stage,
    stage_organs,
    steroid_refractory_category,
    treatment_plan,
)

START = dt.date(2024, 1, 1)
LATER = dt.date(2024, 1, 8)
STAGES = OrganStages(skin=2)


def course(doses: tuple[SteroidDose, ...], assessments: tuple[DatedStages, ...]) -> SteroidCourse:
    return SteroidCourse(start_date=START, doses=doses, assessments=assessments)


def candidate(**change: object) -> Candidate:
    values: dict[str, object] = {
        "age_years": 40,
        "haematologic_malignancy": True,
        "first_allo_hsct": True,
        "steroid_refractory": True,
        "consent_signed": True,
    }
    values.update(change)
    return Candidate(**values)  # type: ignore[arg-type]


# (case, call, field and value expected in the message)
INVALID_INPUTS: list[tuple[str, Callable[[], object], str]] = [
    ("negative bilirubin", lambda: liver_stage(-1.0), "bilirubin: -1.0 is negative"),
    ("NaN bilirubin", lambda: liver_stage(float("nan")), "bilirubin: nan"),
    ("BSA over 100", lambda: skin_stage(101.0), "skin_bsa_percent: 101.0 is over 100"),
    ("negative BSA", lambda: skin_stage(-5.0), "skin_bsa_percent: -5.0"),
    (
        "desquamation over the erythema BSA",
        lambda: skin_stage(10.0, True, 20.0),
        "skin_desquamation_percent: 20.0",
    ),
    ("weight 0", lambda: lower_gi_stage(500.0, weight_kg=0.0), "weight_kg: 0.0 is not positive"),
    ("negative weight", lambda: lower_gi_stage(500.0, weight_kg=-3.0), "weight_kg: -3.0"),
    ("negative stool volume", lambda: lower_gi_stage(-1.0), "stool_ml_per_day: -1.0"),
    ("negative episodes", lambda: lower_gi_stage(None, -2.0), "stool_episodes_per_day: -2.0"),
    ("unknown lower GI rule", lambda: lower_gi_stage(1.0, rule="mean"), "lower_gi_rule: 'mean'"),  # type: ignore[arg-type]
    ("unknown bilirubin unit", lambda: Measurements(bilirubin_unit="g/L"), "bilirubin_unit: 'g/L'"),
    ("mapping with an unknown key", lambda: stage_organs({"bilirubn": 1.0}), "'bilirubn'"),
    ("stage out of range", lambda: OrganStages(upper_gi=2), "upper_gi: 2 is out of range"),
    ("stage not an int", lambda: OrganStages(skin=1.5), "skin: 1.5"),  # type: ignore[arg-type]
    ("bullae not a bool", lambda: Measurements(skin_bullae=1), "skin_bullae: 1"),  # type: ignore[arg-type]
    (
        "dose record before steroid start",
        lambda: course(
            (SteroidDose(START - dt.timedelta(days=1), 2.0),), (DatedStages(START, STAGES),)
        ),
        "doses: first record dated 2023-12-31",
    ),
    (
        "assessments out of order",
        lambda: course(
            (SteroidDose(START, 2.0),),
            (DatedStages(START, STAGES), DatedStages(LATER, STAGES), DatedStages(LATER, STAGES)),
        ),
        "assessments: record dated 2024-01-08 follows 2024-01-08",
    ),
    ("no assessments", lambda: course((SteroidDose(START, 2.0),), ()), "assessments: empty"),
    ("negative dose", lambda: SteroidDose(START, -1.0), "mg_per_kg_day: -1.0"),
    (
        "as_of before steroid start",
        lambda: steroid_refractory_category(
            course((SteroidDose(START, 2.0),), (DatedStages(START, STAGES),)),
            as_of=START - dt.timedelta(days=1),
        ),
        "as_of: 2023-12-31",
    ),
    (
        "unknown refractoriness definition",
        lambda: steroid_refractory_category(
            course((SteroidDose(START, 2.0),), (DatedStages(START, STAGES),)),
            "mayo",  # type: ignore[arg-type]
        ),
        "definition: 'mayo'",
    ),
    ("response rules", lambda: assess_response(STAGES, STAGES, rules="nih"), "rules: 'nih'"),  # type: ignore[arg-type]
    (
        "assessment days out of order",
        lambda: durable_complete_response([(10, STAGES), (5, STAGES)], 0),
        "assessments: day 5 follows day 10",
    ),
    ("assessment day not an int", lambda: StageAssessment(1.5, STAGES), "day: 1.5"),  # type: ignore[arg-type]
    ("plan weight 0", lambda: treatment_plan(0.0, START), "weight_kg: 0.0 is not positive"),
    ("plan weight implausible", lambda: treatment_plan(4000.0, START), "weight_kg: 4000.0"),
    ("plan response unknown", lambda: treatment_plan(60.0, START, "SD"), "day28_response: 'SD'"),
    (
        "plan rounding unknown",
        lambda: treatment_plan(60.0, START, rounding="down"),  # type: ignore[arg-type]
        "rounding: 'down'",
    ),
    ("candidate negative age", lambda: candidate(age_years=-1), "age_years: -1"),
    ("candidate NYHA 5", lambda: candidate(nyha_class=5), "nyha_class: 5"),
    (
        "candidate negative creatinine clearance",
        lambda: candidate(creatinine_clearance_ml_min=-10.0),
        "creatinine_clearance_ml_min: -10.0",
    ),
    (
        "candidate grade disagrees with stages",
        lambda: candidate(agvhd_grade=4, stages=OrganStages(skin=3)),
        "agvhd_grade: 4 disagrees with MAGIC grade 2",
    ),
    (
        "candidate consent not a bool",
        lambda: candidate(consent_signed="yes"),
        "consent_signed: 'yes'",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"),
    [row[1:] for row in INVALID_INPUTS],
    ids=[row[0] for row in INVALID_INPUTS],
)
def test_invalid_input_raises_value_error_naming_field_and_value(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        call()
    assert message in str(raised.value)


def test_negative_bilirubin_message_says_what_was_expected() -> None:
    with pytest.raises(ValueError) as raised:
        stage_organs({"bilirubin": -1.0})
    assert str(raised.value) == (
        "bilirubin: -1.0 is negative; expected a total bilirubin >= 0 mg/dL"
    )
