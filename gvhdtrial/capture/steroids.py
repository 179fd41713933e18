"""The steroid-refractory category of a patient's first-line course, from the CRF rows.

The rule is the protocol engine's :func:`gvhdtrial.protocol.steroid_refractory_category`
(paper's four categories, docs/protocol.md section 3); this module builds its input: daily doses in
methylprednisolone mg/kg/day (agents converted with ``METHYLPREDNISOLONE_PER_MG``, summed per
date, carried forward per agent) and the organ stages of the assessments from steroid start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gvhdtrial.capture.checks import METHYLPREDNISOLONE_PER_MG
from gvhdtrial.capture.record import PatientRecord
from gvhdtrial.capture.response import _stages_or_none
from gvhdtrial.protocol import (
    DatedStages,
    SRCategory,
    SteroidCourse,
    SteroidDose,
    steroid_refractory_category,
)


@dataclass(frozen=True)
class SteroidCourseResult:
    """The SR category, or why it cannot be computed yet."""

    category: SRCategory | None
    reason: str
    start_date: dt.date | None = None


def sr_category(record: PatientRecord, as_of: dt.date | None = None) -> SteroidCourseResult:
    """SR category (paper's definition) of the recorded steroid course, or why not."""
    weight = record.patient.get("weight_kg")
    dated = [d for d in record.steroid_doses if isinstance(d.get("date"), dt.date)]
    if not dated or not weight:
        return SteroidCourseResult(None, "no steroid doses recorded")
    start = min(d["date"] for d in dated)
    # Per agent, each record holds until that agent's next record (data model: steroid_doses).
    agents = sorted({str(d.get("agent")) for d in dated})
    dates = sorted({d["date"] for d in dated})
    doses: list[SteroidDose] = []
    for day in dates:
        total = 0.0
        for agent in agents:
            rows = [d for d in dated if d.get("agent") == agent and d["date"] <= day]
            if rows:
                last = max(rows, key=lambda d: d["date"])
                mg = float(last.get("dose_mg_per_day") or 0.0)
                total += mg * METHYLPREDNISOLONE_PER_MG.get(agent, 1.0)
        doses.append(SteroidDose(day, total / float(weight)))
    stages = []
    for row in sorted(
        (a for a in record.assessments if isinstance(a.get("assessment_date"), dt.date)),
        key=lambda a: a["assessment_date"],
    ):
        if row["assessment_date"] < start:
            continue
        staged = _stages_or_none(row)
        if staged is not None:
            stages.append(DatedStages(row["assessment_date"], staged))
    if not stages or stages[0].date != start:
        return SteroidCourseResult(
            None, f"needs an assessment on the steroid start date {start}", start
        )
    course = SteroidCourse(start, tuple(doses), tuple(stages))
    if as_of is not None and as_of < start:
        as_of = None
    return SteroidCourseResult(steroid_refractory_category(course, as_of=as_of), "", start)
