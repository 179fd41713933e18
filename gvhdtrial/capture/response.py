"""The computed day-28 and day-56 response that the investigator confirms or overrides.

The rule is the protocol engine's, all of it: which assessment is the visit's, the baseline,
the time origin, the window, death and salvage (:func:`gvhdtrial.protocol.visit_response`,
docs/protocol.md sections 4-5) and the response itself (:func:`gvhdtrial.protocol.
assess_response`). The analysis calls the same function, so the form and the analysis cannot
disagree about a patient's response. This module only turns the CRF rows into its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from gvhdtrial.capture.assessed import is_assessed
from gvhdtrial.capture.record import PatientRecord, Row
from gvhdtrial.i18n import N_
from gvhdtrial.protocol import Measurements, OrganStages, overall_grade
from gvhdtrial.protocol import stage_organs as _stage_organs
from gvhdtrial.protocol.visits import (
    BASIS_ASSESSED,
    BASIS_DIED,
    BASIS_IMPUTED,
    BASIS_NO_BASELINE,
    BASIS_NO_ORIGIN,
    BASIS_PENDING,
    BASIS_SALVAGE,
    DatedAssessment,
    ResponseVisitRule,
    salvage_start,
    time_origin_date,
    visit_response,
)
from gvhdtrial.protocol.visits import baseline_assessment as _baseline_assessment

MEASUREMENT_FIELDS: Final = tuple(f.name for f in fields(Measurements))


def trial_response_rule(record: PatientRecord | None = None) -> ResponseVisitRule:
    """The response visits (the ``[response]`` table) of the definition ``record``'s data are
    interpreted under (the version in force at the patient's randomization), else of the trial
    definition the process runs (:func:`gvhdtrial.trial.current_definition`): which visits the
    investigator confirms, their days, window and time origin."""
    if record is not None:
        return record.trial_definition.response_rule
    from gvhdtrial.trial import current_definition

    return current_definition().response_rule


def measurements_of(row: Mapping[str, Any]) -> Measurements:
    """The raw measurements of an assessment row (:meth:`Measurements.from_record`).

    Raises ValueError (the engine's message) for values the engine refuses.
    """
    return Measurements.from_record(row)


def stages_of(row: Mapping[str, Any]) -> OrganStages:
    """MAGIC organ stages of an assessment row (protocol engine)."""
    return _stage_organs(measurements_of(row))


def _stages_or_none(row: Mapping[str, Any] | None) -> OrganStages | None:
    if row is None or not is_assessed(row):
        return None  # a blank assessment is "not assessed", not stage 0
    try:
        return stages_of(row)
    except (ValueError, TypeError):
        return None  # the ASM-STAGEABLE edit check reports why


def _dated(record: PatientRecord) -> list[tuple[DatedAssessment, Row]]:
    rows = [a for a in record.assessments if isinstance(a.get("assessment_date"), dt.date)]
    rows.sort(key=lambda a: a["assessment_date"])
    return [
        (DatedAssessment(a["assessment_date"], a.get("visit"), _stages_or_none(a)), a) for a in rows
    ]


def baseline_assessment(record: PatientRecord, rule: ResponseVisitRule | None = None) -> Row | None:
    """The baseline assessment row (:func:`gvhdtrial.protocol.visits.baseline_assessment`);
    ``rule``: default the patient's definition version's."""
    rule = rule or trial_response_rule(record)
    dated = _dated(record)
    origin = time_origin_date(rule, record.randomization_date, record.first_infusion_date)
    chosen = _baseline_assessment([d for d, _ in dated], origin)
    return next((row for d, row in dated if d is chosen), None)


def salvage_date(record: PatientRecord) -> dt.date | None:
    """The first salvage treatment (:func:`gvhdtrial.protocol.visits.salvage_start`)."""
    return salvage_start(
        ((t.get("role"), _as_date(t.get("start_date"))) for t in record.therapies),
        ((e.get("event_type"), _as_date(e.get("event_date"))) for e in record.events),
    )


def _as_date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def visit_target_date(
    record: PatientRecord, visit: str, rule: ResponseVisitRule | None = None
) -> dt.date | None:
    """Target date of a response visit: its day counted from the rule's time origin (``rule``:
    default the patient's definition version's)."""
    rule = rule or trial_response_rule(record)
    origin = time_origin_date(rule, record.randomization_date, record.first_infusion_date)
    return None if origin is None else origin + dt.timedelta(days=rule.target_day(visit))


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
    basis: str = ""


def compute_response(
    record: PatientRecord,
    visit: str,
    *,
    rule: ResponseVisitRule | None = None,
    today: dt.date | None = None,
) -> ComputedResponse:
    """The response at ``visit`` (a visit of ``rule``, e.g. ``d28``) from the CRF rows, or why not.

    ``today``: a visit without an assessment is pending until its window has closed, then NR
    by non-responder imputation (as the analysis counts it); ``None`` = keep it pending.
    ``rule``: default the one of the definition version the patient's data are interpreted
    under (``record.definition``; else :func:`gvhdtrial.trial.current_definition`).
    """
    if rule is None:
        rule = trial_response_rule(record)
    rule.target_day(visit)  # ValueError naming the rule's visits for an unknown one
    dated = _dated(record)
    salvage = salvage_date(record)
    result = visit_response(
        rule,
        visit,
        randomization_date=record.randomization_date,
        first_infusion_date=record.first_infusion_date,
        assessments=[d for d, _ in dated],
        death_date=record.death_date,
        salvage_date=salvage,
        as_of=today if today is not None else dt.date.min,
    )
    target = result.target_date
    origin = time_origin_date(rule, record.randomization_date, record.first_infusion_date)
    base = _baseline_assessment([d for d, _ in dated], origin)
    baseline = None if base is None else base.stages
    chosen = result.assessment
    stages = None if chosen is None else chosen.stages
    when = None if chosen is None else chosen.date
    grade = None if stages is None else overall_grade(stages)
    reasons = {
        BASIS_ASSESSED: N_("%(response)s against baseline") % {"response": result.response},
        BASIS_DIED: N_("NR by rule: died on %(date)s") % {"date": record.death_date},
        BASIS_SALVAGE: N_("NR by rule: salvage agent from %(date)s") % {"date": salvage},
        BASIS_NO_BASELINE: (
            N_("no baseline assessment")
            if base is None
            else N_("baseline not assessed or cannot be staged")
        ),
        BASIS_NO_ORIGIN: (
            N_("no infusion recorded yet")
            if rule.time_origin == "first_infusion"
            else N_("not randomized yet")
        ),
        BASIS_PENDING: N_("no assessment within %(days)s days of %(date)s")
        % {"days": rule.window_days, "date": target},
        BASIS_IMPUTED: (
            N_("NR by non-responder imputation: no assessment within %(days)s days of %(date)s")
            % {"days": rule.window_days, "date": target}
        ),
    }
    reason = reasons.get(result.basis, result.basis)
    return ComputedResponse(
        visit, result.response, reason, target, baseline, stages, grade, when,
        result.died, result.salvage, result.basis,
    )  # fmt: skip
