"""Property tests (hypothesis) of the protocol engine.

- Raising any raw measurement never lowers a stage or the grade (docs/protocol.md section 1).
- An unchanged, involved patient is NR; CR only when every current stage is 0 (section 5).
- The engine never raises on valid input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gvhdtrial.protocol import (
    Candidate,
    DatedStages,
    Measurements,
    OrganStages,
    SteroidCourse,
    SteroidDose,
    assess_response,
    durable_complete_response,
    ibmtr_index,
    overall_grade,
    screen,
    stage_organs,
    steroid_refractory_category,
    time_to_first_response,
    treatment_plan,
)
from gvhdtrial.protocol.grading import GradingSystem

percent = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
organ_stages = st.builds(
    OrganStages,
    skin=st.integers(0, 4),
    liver=st.integers(0, 4),
    upper_gi=st.integers(0, 1),
    lower_gi=st.integers(0, 4),
)
lower_gi_rules = st.sampled_from(["volume_first", "episodes_first", "worst"])


@st.composite
def measurements(draw: st.DrawFn) -> Measurements:
    bsa = draw(percent)
    return Measurements(
        skin_bsa_percent=bsa,
        skin_bullae=draw(st.booleans()),
        skin_desquamation_percent=draw(st.floats(min_value=0.0, max_value=bsa)),
        bilirubin=draw(st.floats(min_value=0.0, max_value=500.0)),
        bilirubin_unit=draw(st.sampled_from(["mg/dL", "umol/L"])),
        upper_gi_persistent=draw(st.booleans()),
        stool_ml_per_day=draw(st.none() | st.floats(min_value=0.0, max_value=6000.0)),
        stool_episodes_per_day=draw(st.none() | st.floats(min_value=0.0, max_value=40.0)),
        stool_mixed_with_urine=draw(st.booleans()),
        weight_kg=draw(st.none() | st.floats(min_value=2.0, max_value=250.0)),
        severe_abdominal_pain=draw(st.booleans()),
        ileus=draw(st.booleans()),
        bloody_stool=draw(st.booleans()),
    )


@st.composite
def raised_measurement(draw: st.DrawFn) -> tuple[Measurements, Measurements]:
    """A valid measurement and the same with one raw measure raised (weight is not a measure)."""
    low = draw(measurements())
    field = draw(
        st.sampled_from(
            [
                "skin_bsa_percent",
                "skin_desquamation_percent",
                "bilirubin",
                "stool_ml_per_day",
                "stool_episodes_per_day",
                "skin_bullae",
                "upper_gi_persistent",
                "severe_abdominal_pain",
                "ileus",
                "bloody_stool",
            ]
        )
    )
    value = getattr(low, field)
    if isinstance(value, bool):
        raised: dict[str, Any] = {field: True}
        return low, dataclasses.replace(low, **raised)
    if value is None:  # not measured: nothing to raise
        return low, low
    ceiling = {
        "skin_bsa_percent": 100.0,
        "skin_desquamation_percent": low.skin_bsa_percent,
        "bilirubin": 600.0,
        "stool_ml_per_day": 8000.0,
        "stool_episodes_per_day": 50.0,
    }[field]
    higher = draw(st.floats(min_value=value, max_value=max(value, ceiling)))
    raised_value: dict[str, Any] = {field: higher}
    return low, dataclasses.replace(low, **raised_value)


@given(raised_measurement(), lower_gi_rules)
def test_raising_any_raw_measure_never_lowers_a_stage_or_grade(
    pair: tuple[Measurements, Measurements], rule: str
) -> None:
    low, high = pair
    low_stages = stage_organs(low, lower_gi_rule=rule)  # type: ignore[arg-type]
    high_stages = stage_organs(high, lower_gi_rule=rule)  # type: ignore[arg-type]
    for organ, stage in low_stages.as_dict().items():
        assert high_stages.as_dict()[organ] >= stage, organ
    systems: tuple[GradingSystem, ...] = ("magic", "glucksberg")
    for system in systems:
        assert overall_grade(high_stages, system) >= overall_grade(low_stages, system)


@given(
    organ_stages.filter(lambda stages: stages.any_involved), st.sampled_from(["paper", "cibmtr"])
)
def test_unchanged_involved_patient_is_nr(stages: OrganStages, rules: str) -> None:
    assert assess_response(stages, stages, rules=rules) == "NR"  # type: ignore[arg-type]


@given(
    organ_stages,
    organ_stages,
    st.booleans(),
    st.booleans(),
    st.sampled_from(["paper", "cibmtr"]),
)
def test_cr_only_when_every_current_stage_is_zero(
    baseline: OrganStages, current: OrganStages, died: bool, salvage: bool, rules: str
) -> None:
    response = assess_response(baseline, current, died=died, salvage=salvage, rules=rules)  # type: ignore[arg-type]
    if response == "CR":
        assert not current.any_involved
    if died or salvage:
        assert response == "NR"


@given(measurements(), lower_gi_rules)
def test_staging_and_grading_never_raise_on_valid_measurements(
    raw: Measurements, rule: str
) -> None:
    stages = stage_organs(raw, lower_gi_rule=rule)  # type: ignore[arg-type]
    assert 0 <= overall_grade(stages) <= 4
    assert 0 <= overall_grade(stages, "glucksberg") <= overall_grade(stages)
    assert (ibmtr_index(stages) is None) == (not stages.any_involved)


@st.composite
def steroid_courses(draw: st.DrawFn) -> SteroidCourse:
    start = draw(st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 1, 1)))
    dose_days = sorted(draw(st.sets(st.integers(1, 60), max_size=6)))
    assessment_days = sorted(draw(st.sets(st.integers(1, 60), max_size=8)))
    doses = [SteroidDose(start, draw(st.floats(min_value=0.0, max_value=3.0)))]
    doses += [
        SteroidDose(start + dt.timedelta(days=d), draw(st.floats(min_value=0.0, max_value=3.0)))
        for d in dose_days
    ]
    assessments = [
        DatedStages(start + dt.timedelta(days=d), draw(organ_stages)) for d in [0, *assessment_days]
    ]
    return SteroidCourse(start_date=start, doses=tuple(doses), assessments=tuple(assessments))


@given(steroid_courses(), st.sampled_from(["paper", "ebmt_nih_cibmtr_2018", "reach"]))
def test_refractoriness_never_raises_on_valid_courses(
    course: SteroidCourse, definition: str
) -> None:
    result = steroid_refractory_category(course, definition)  # type: ignore[arg-type]
    assert result.refractory == bool(result.criteria_met)
    if result.category is not None:
        assert result.kind == ("dependence" if result.category == 4 else "resistance")


@given(
    st.floats(min_value=0.5, max_value=400.0),
    st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.sampled_from([None, "CR", "VGPR", "PR", "MR", "NR", "PD"]),
    st.sampled_from(["nearest", "up"]),
)
def test_treatment_plan_never_raises_on_valid_input(
    weight: float, first_infusion: dt.date, response: str | None, rounding: str
) -> None:
    plan = treatment_plan(weight, first_infusion, response, rounding=rounding)  # type: ignore[arg-type]
    assert plan.bags_per_infusion >= 1
    # Nearest-bag rounding is never more than half a bag (1e7 cells) off the target dose;
    # under 10 kg the one-bag minimum can exceed it.
    if rounding == "nearest" and weight >= 10.0:
        assert abs(plan.bags_per_infusion * 2e7 - weight * 1e6) <= 1e7
    assert plan.number_of_infusions == (16 if response == "PR" else 8)


@given(
    organ_stages,
    st.lists(st.tuples(st.integers(0, 400), organ_stages), max_size=12, unique_by=lambda x: x[0]),
    st.integers(0, 10),
)
def test_response_timing_never_raises_on_valid_assessments(
    baseline: OrganStages, assessments: list[tuple[int, OrganStages]], first_infusion_day: int
) -> None:
    ordered = sorted(assessments, key=lambda pair: pair[0])
    durable = durable_complete_response(ordered, first_infusion_day)
    time = time_to_first_response(baseline, ordered)
    if durable:
        assert time is not None


@given(
    st.integers(0, 100),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.none() | organ_stages,
    st.integers(0, 14),
    st.none() | st.floats(min_value=0.0, max_value=200.0),
    st.none() | st.integers(1, 4),
)
def test_screening_never_raises_on_valid_candidates(
    age: int,
    malignancy: bool,
    first_hsct: bool,
    refractory: bool,
    consent: bool,
    stages: OrganStages | None,
    days: int,
    clearance: float | None,
    nyha: int | None,
) -> None:
    result = screen(
        Candidate(
            age_years=age,
            haematologic_malignancy=malignancy,
            first_allo_hsct=first_hsct,
            steroid_refractory=refractory,
            consent_signed=consent,
            stages=stages,
            days_enrolment_to_first_infusion=days,
            creatinine_clearance_ml_min=clearance,
            nyha_class=nyha,
        )
    )
    assert result.eligible == (len(result.failures) == 0)
    assert len(set(result.codes)) == len(result.codes)
