"""A worked example patient, run through every rule of the protocol engine (``gvhdtrial demo``).

The patient is invented: a 61 kg adult with skin, liver and lower GI aGVHD who did not improve
after 7 days of methylprednisolone 2 mg/kg/day, and who is in partial response at day 28.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from gvhdtrial.protocol.grading import ROMAN_GRADE, ibmtr_index, overall_grade
from gvhdtrial.protocol.refractoriness import (
    DatedStages,
    SRCategory,
    SteroidCourse,
    SteroidDose,
    steroid_refractory_category,
)
from gvhdtrial.protocol.response import Response, assess_response
from gvhdtrial.protocol.staging import Measurements, OrganStages, stage_organs
from gvhdtrial.protocol.treatment import TreatmentPlan, treatment_plan

WEIGHT_KG = 61.0
STEROID_START = dt.date(2024, 3, 1)
FIRST_INFUSION = dt.date(2024, 3, 12)

BASELINE = Measurements(
    skin_bsa_percent=30.0,
    bilirubin=58.0,
    bilirubin_unit="umol/L",
    stool_ml_per_day=1200.0,
    stool_episodes_per_day=6.0,
    weight_kg=WEIGHT_KG,
)
DAY_28 = Measurements(
    skin_bsa_percent=10.0,
    bilirubin=1.4,
    stool_ml_per_day=600.0,
    stool_episodes_per_day=3.0,
    weight_kg=WEIGHT_KG,
)


@dataclass(frozen=True)
class WorkedExample:
    """Everything the engine derives for the example patient."""

    baseline_stages: OrganStages
    day28_stages: OrganStages
    refractoriness: SRCategory
    day28_response: Response
    plan: TreatmentPlan


def worked_example() -> WorkedExample:
    """Run the example patient through staging, refractoriness, response and the plan."""
    baseline = stage_organs(BASELINE)
    course = SteroidCourse(
        start_date=STEROID_START,
        doses=(SteroidDose(STEROID_START, 2.0),),
        assessments=(
            DatedStages(STEROID_START, baseline),
            DatedStages(STEROID_START + dt.timedelta(days=7), baseline),
        ),
    )
    day28 = stage_organs(DAY_28)
    response = assess_response(baseline, day28)
    return WorkedExample(
        baseline_stages=baseline,
        day28_stages=day28,
        refractoriness=steroid_refractory_category(course),
        day28_response=response,
        plan=treatment_plan(WEIGHT_KG, FIRST_INFUSION, response),
    )


def _measurement_rows(measurements: Measurements) -> dict[str, str]:
    stool = (
        "not measured"
        if measurements.stool_ml_per_day is None
        else (
            f"{measurements.stool_ml_per_day:g} mL/day, {measurements.stool_episodes_per_day:g}/day"
        )
    )
    return {
        "Skin erythema": f"{measurements.skin_bsa_percent:g} % BSA",
        "Total bilirubin": (
            f"{measurements.bilirubin:g} {measurements.bilirubin_unit} "
            f"({measurements.bilirubin_mg_dl:.2f} mg/dL)"
        ),
        "Upper GI persistent symptoms": "yes" if measurements.upper_gi_persistent else "no",
        "Stool": stool,
    }


def _grades(stages: OrganStages) -> dict[str, str]:
    return {
        "MAGIC grade": ROMAN_GRADE[overall_grade(stages, "magic")],
        "Glucksberg grade (Keystone)": ROMAN_GRADE[overall_grade(stages, "glucksberg")],
        "IBMTR index": ibmtr_index(stages) or "-",
    }


def print_worked_example(console: Console | None = None) -> None:
    """Print the worked example as rich tables (the ``gvhdtrial demo`` command)."""
    console = console or Console()
    example = worked_example()

    table = Table(title=f"Worked example: {WEIGHT_KG:g} kg adult with SR-aGVHD")
    table.add_column("")
    table.add_column("Baseline")
    table.add_column("Day 28")
    before, after = _measurement_rows(BASELINE), _measurement_rows(DAY_28)
    for label in before:
        table.add_row(label, before[label], after[label])
    table.add_section()
    for organ, stage in example.baseline_stages.as_dict().items():
        table.add_row(f"Stage: {organ}", str(stage), str(example.day28_stages.as_dict()[organ]))
    table.add_section()
    grades_before, grades_after = _grades(example.baseline_stages), _grades(example.day28_stages)
    for label in grades_before:
        table.add_row(label, grades_before[label], grades_after[label])
    table.add_section()
    sr = example.refractoriness
    table.add_row(
        "Steroid-refractory (paper)", f"category {sr.category} ({sr.kind}): {sr.reason}", ""
    )
    table.add_row("Response vs baseline (paper)", "", str(example.day28_response))
    plan = example.plan
    table.add_section()
    table.add_row(
        "Bags per infusion", "", f"{plan.bags_per_infusion} ({plan.volume_ml_per_infusion} mL)"
    )
    table.add_row("Delivered dose", "", f"{plan.delivered_cells_per_kg / 1e6:.2f} x 10^6 cells/kg")
    table.add_row("Infusions planned", "", f"{plan.number_of_infusions} (PR at day 28)")
    console.print(table)

    plan_table = Table(title="Infusion schedule (twice weekly, at least 3 days apart)")
    plan_table.add_column("Infusion", justify="right")
    plan_table.add_column("Day", justify="right")
    plan_table.add_column("Date")
    for infusion in plan.infusions:
        plan_table.add_row(
            str(infusion.number), str(infusion.day), infusion.date.strftime("%a %Y-%m-%d")
        )
    console.print(plan_table)
    late_visits = ", ".join(
        f"{visit.name} ({visit.earliest.isoformat()} to {visit.latest.isoformat()})"
        for visit in plan.visits
        if visit.day >= 180
    )
    console.print(f"{len(plan.visits)} visits planned; last: {late_visits}")
