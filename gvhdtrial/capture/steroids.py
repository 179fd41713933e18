"""The steroid-refractory category of a patient's first-line course, from the CRF rows.

The rule is the protocol engine's :func:`gvhdtrial.protocol.steroid_refractory_category`
(paper's four categories, docs/protocol.md section 3), and so is its input: the course in
methylprednisolone mg/kg/day (:func:`gvhdtrial.protocol.steroid_course`, the one equivalence
table, summed per date, carried forward per agent) with the organ stages from steroid start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gvhdtrial.capture.record import PatientRecord
from gvhdtrial.capture.response import _stages_or_none
from gvhdtrial.i18n import _
from gvhdtrial.protocol import (
    DatedStages,
    SRCategory,
    steroid_course,
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
        return SteroidCourseResult(None, _("no steroid doses recorded"))
    start = min(d["date"] for d in dated)
    doses = [
        (d["date"], str(d.get("agent")), float(d.get("dose_mg_per_day") or 0.0)) for d in dated
    ]
    stages = []
    for row in sorted(
        (a for a in record.assessments if isinstance(a.get("assessment_date"), dt.date)),
        key=lambda a: a["assessment_date"],
    ):
        staged = _stages_or_none(row)
        if staged is not None:
            stages.append(DatedStages(row["assessment_date"], staged))
    try:
        course, why = steroid_course(doses, float(weight), stages)
    except ValueError as exc:  # e.g. an agent without equivalence (edit check STER-AGENT)
        return SteroidCourseResult(None, str(exc), start)
    if course is None:
        return SteroidCourseResult(None, why, start)
    if as_of is not None and as_of < start:
        as_of = None
    return SteroidCourseResult(steroid_refractory_category(course, as_of=as_of), "", start)
