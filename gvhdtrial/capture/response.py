"""The computed day-28 and day-56 response that the investigator confirms or overrides.

The rule itself is the protocol engine's (:func:`gvhdtrial.protocol.assess_response`, paper's
definitions, docs/protocol.md section 5). This module only picks its inputs from the CRF rows:

- baseline = the assessment labelled ``baseline``, else the last assessment on or before the
  first infusion (the start of study treatment);
- the visit assessment = the assessment nearest the visit's target day (day 28 or 56 from the
  first infusion) within ``RESPONSE_WINDOW_DAYS``;
- died / salvage = a death event, or a salvage agent started, on or before the target date:
  the response is then NR whatever the stages (docs/protocol.md section 5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from gvhdtrial.capture.record import RESPONSE_VISITS, PatientRecord, Row
from gvhdtrial.protocol import Measurements, OrganStages, assess_response, overall_grade
from gvhdtrial.protocol import stage_organs as _stage_organs

# A response visit's assessment must fall within +/- 3 days of its target day (the protocol's
# default visit window for weekly visits, docs/protocol.md section 4).
RESPONSE_WINDOW_DAYS: Final = 3

MEASUREMENT_FIELDS: Final = tuple(f.name for f in fields(Measurements))


def measurements_of(row: Mapping[str, Any]) -> Measurements:
    """The raw measurements of an assessment row (names as :class:`Measurements`).

    Missing booleans are False, a missing bilirubin unit is mg/dL; raises ValueError (the
    engine's message) for values the engine refuses.
    """
    values: dict[str, Any] = {}
    for name in MEASUREMENT_FIELDS:
        value = row.get(name)
        if value is None or value == "":
            continue
        if name in {f.name for f in fields(Measurements) if f.type == "bool"}:
            values[name] = bool(value)
        elif name == "bilirubin_unit":
            values[name] = str(value)
        else:
            values[name] = float(value)
    return Measurements(**values)


def stages_of(row: Mapping[str, Any]) -> OrganStages:
    """MAGIC organ stages of an assessment row (protocol engine)."""
    return _stage_organs(measurements_of(row))


def _stages_or_none(row: Mapping[str, Any] | None) -> OrganStages | None:
    if row is None:
        return None
    try:
        return stages_of(row)
    except (ValueError, TypeError):
        return None  # the ASM-STAGEABLE edit check reports why


def baseline_assessment(record: PatientRecord) -> Row | None:
    """The baseline assessment: labelled ``baseline``, else the last on/before the first
    infusion (start of study treatment, docs/protocol.md section 5)."""
    labelled = [a for a in record.assessments if a.get("visit") == "baseline"]
    if labelled:
        return labelled[-1]
    start = record.first_infusion_date or record.randomization_date
    if start is None:
        return None
    before = [
        a
        for a in record.assessments
        if isinstance(a.get("assessment_date"), dt.date) and a["assessment_date"] <= start
    ]
    return max(before, key=lambda a: a["assessment_date"]) if before else None


def visit_target_date(record: PatientRecord, visit: str) -> dt.date | None:
    """Target date of a response visit: its day counted from the first infusion."""
    start = record.first_infusion_date
    if start is None:
        return None
    return start + dt.timedelta(days=RESPONSE_VISITS[visit])


def visit_assessment(record: PatientRecord, visit: str) -> Row | None:
    """The assessment nearest the visit's target date within the window, if any."""
    target = visit_target_date(record, visit)
    if target is None:
        return None
    inside = [
        a
        for a in record.assessments
        if isinstance(a.get("assessment_date"), dt.date)
        and abs((a["assessment_date"] - target).days) <= RESPONSE_WINDOW_DAYS
    ]
    if not inside:
        return None
    return min(
        inside, key=lambda a: (abs((a["assessment_date"] - target).days), a["assessment_date"])
    )


def salvage_date(record: PatientRecord) -> dt.date | None:
    """The first salvage agent's start date (a salvage patient is NR from then on)."""
    dates = [
        t["start_date"]
        for t in record.therapies
        if t.get("role") == "salvage" and isinstance(t.get("start_date"), dt.date)
    ]
    dates += [
        e["event_date"]
        for e in record.events
        if e.get("event_type") == "new_systemic_therapy"
        and isinstance(e.get("event_date"), dt.date)
    ]
    return min(dates) if dates else None


@dataclass(frozen=True)
class ComputedResponse:
    """The engine's response at a visit, with what it was computed from."""

    visit: str
    response: str | None
    reason: str
    target_date: dt.date | None
    baseline_stages: OrganStages | None = None
    stages: OrganStages | None = None
    grade: int | None = None
    assessment_date: dt.date | None = None
    died: bool = False
    salvage: bool = False


def compute_response(record: PatientRecord, visit: str) -> ComputedResponse:
    """The day-28 or day-56 response (docs/protocol.md section 5) from the CRF rows, or why not."""
    if visit not in RESPONSE_VISITS:
        raise ValueError(f"visit: {visit!r}; expected one of {', '.join(RESPONSE_VISITS)}")
    target = visit_target_date(record, visit)
    if target is None:
        return ComputedResponse(visit, None, "no infusion recorded yet", None)
    death = record.death_date
    salvage = salvage_date(record)
    died = death is not None and death <= target
    salvaged = salvage is not None and salvage <= target
    base_row = baseline_assessment(record)
    baseline = _stages_or_none(base_row)
    row = visit_assessment(record, visit)
    stages = _stages_or_none(row)
    when = row.get("assessment_date") if row is not None else None
    if died or salvaged:
        why = f"died on {death}" if died else f"salvage agent from {salvage}"
        return ComputedResponse(
            visit, "NR", f"NR by rule: {why}", target, baseline, stages,
            None if stages is None else overall_grade(stages), when, died, salvaged,
        )  # fmt: skip
    if baseline is None:
        why = "no baseline assessment" if base_row is None else "baseline cannot be staged"
        return ComputedResponse(visit, None, why, target)
    if stages is None and row is not None:
        return ComputedResponse(visit, None, "the visit's assessment cannot be staged", target)
    if stages is None:
        return ComputedResponse(
            visit, None,
            f"no assessment within {RESPONSE_WINDOW_DAYS} days of {target}", target, baseline,
        )  # fmt: skip
    response = assess_response(baseline, stages)
    return ComputedResponse(
        visit, response.value, f"{response.value} against baseline", target, baseline, stages,
        overall_grade(stages), when,
    )  # fmt: skip
