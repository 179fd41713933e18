"""Adapter from stored screening answers to the protocol engine's ``screen``.

The clinical rules live in :mod:`gvhdtrial.protocol.eligibility`; this module only turns the
form's answers (plain JSON) into a :class:`gvhdtrial.protocol.Candidate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings

from gvhdtrial.protocol import Candidate, OrganStages, overall_grade, screen
from gvhdtrial.protocol.staging import ORGANS

ENGINE = "gvhdtrial.protocol.screen"

#: Screening answers the service asks for, with their kind; names are the Candidate's.
BOOL_ANSWERS = tuple(
    f.name for f in fields(Candidate) if f.type == "bool" and f.name != "consent_signed"
)
INT_ANSWERS = ("age_years", "agvhd_grade", "days_enrolment_to_first_infusion", "nyha_class")
FLOAT_ANSWERS = ("creatinine_clearance_ml_min",)
REQUIRED = ("age_years", "agvhd_grade")
#: MAGIC organ stages at screening (optional; a trial that requires organ involvement, criterion
#: I2e, e.g. the phase 3 gut trial, needs them). Given all four, the grade is derived from them.
STAGE_ANSWERS = tuple(f"{organ}_stage" for organ in ORGANS)


@dataclass(frozen=True)
class ScreeningResult:
    eligible: bool
    failures: tuple[dict[str, str], ...]
    engine: str = ENGINE


def clean_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the known answers, typed; raises ValueError naming the bad answer."""
    out: dict[str, Any] = {}
    for name in BOOL_ANSWERS:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            raise ValueError(f"{name}: expected true or false")
        out[name] = value
    for name in INT_ANSWERS:
        value = raw.get(name)
        if value in (None, ""):
            if name in REQUIRED:
                raise ValueError(f"{name}: required")
            out[name] = None if name != "days_enrolment_to_first_infusion" else 0
            continue
        if isinstance(value, bool):
            raise ValueError(f"{name}: expected a whole number")
        try:
            out[name] = int(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: expected a whole number") from exc
    for name in STAGE_ANSWERS:
        value = raw.get(name)
        if value in (None, ""):
            continue  # not recorded (kept out of the answers)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{name}: expected a MAGIC stage 0-4")
        try:
            out[name] = int(value)
        except ValueError as exc:
            raise ValueError(f"{name}: expected a MAGIC stage 0-4") from exc
    if any(n in out for n in STAGE_ANSWERS):
        missing = [n for n in STAGE_ANSWERS if n not in out]
        if missing:
            raise ValueError(f"{missing[0]}: required with the other organ stages")
        stages = OrganStages(*(out[n] for n in STAGE_ANSWERS))  # ValueError naming the organ
        if (grade := overall_grade(stages)) != out["agvhd_grade"]:
            raise ValueError(
                f"agvhd_grade: {out['agvhd_grade']} disagrees with MAGIC grade {grade} from the "
                "organ stages"
            )
    for name in FLOAT_ANSWERS:
        value = raw.get(name)
        try:
            out[name] = None if value in (None, "") else float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: expected a number") from exc
    return out


def evaluate(answers: Mapping[str, Any], consent_signed: bool) -> ScreeningResult:
    """Every failed criterion (the engine's), with consent as recorded in the service."""
    given = {k: v for k, v in answers.items() if k not in STAGE_ANSWERS}
    if all(answers.get(n) is not None for n in STAGE_ANSWERS):
        given["stages"] = OrganStages(*(answers[n] for n in STAGE_ANSWERS))
    candidate = Candidate(consent_signed=consent_signed, **given)
    result = screen(candidate, settings.TRIAL_DEFINITION.eligibility)  # the trial's criteria
    return ScreeningResult(
        eligible=result.eligible,
        failures=tuple(
            {"code": f.code, "criterion": f.criterion, "reason": f.reason} for f in result.failures
        ),
    )
