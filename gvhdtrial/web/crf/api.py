"""JSON endpoints for the case report forms, mounted in ``gvhdtrial.web.api``.

``POST /api/protocol/stage`` runs the protocol engine on raw measurements as the user types:
the MAGIC organ stages, the overall grade and, given a patient, the response against that
patient's baseline assessment. The rule stays in Python; the page only shows the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from gvhdtrial.capture import baseline_assessment, stages_of, unassessed_organs
from gvhdtrial.protocol import ROMAN_GRADE, assess_response, lower_gi_stage, overall_grade
from gvhdtrial.web.crf.records import patient_record
from gvhdtrial.web.patients.services import get_patient

router = Router(tags=["data capture"])


class StageIn(Schema):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    skin_bsa_percent: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    skin_bullae: bool = False
    skin_desquamation_percent: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    bilirubin: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    bilirubin_unit: Annotated[str, Field(max_length=10)] = "mg/dL"
    upper_gi_persistent: bool = False
    stool_ml_per_day: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    stool_episodes_per_day: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    stool_mixed_with_urine: bool = False
    weight_kg: Annotated[float, Field(ge=-1e6, le=1e6)] | None = None
    severe_abdominal_pain: bool = False
    ileus: bool = False
    bloody_stool: bool = False
    patient_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    #: The stored assessment being edited, if any (the baseline is not compared with itself).
    assessment_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class StageOut(Schema):
    ok: bool
    #: False for a blank assessment: no stage, grade or response is given ("not assessed").
    assessed: bool = True
    not_assessed: list[str] = Field(default_factory=list)
    #: True when the assessment being edited is the patient's baseline (no response).
    is_baseline: bool = False
    error: str = ""
    stages: dict[str, int] = Field(default_factory=dict)
    grade: int | None = None
    grade_roman: str = ""
    baseline_stages: dict[str, int] | None = None
    response: str | None = None
    lower_gi_note: str = ""


@router.post("/protocol/stage", response={200: StageOut})
def stage(request: HttpRequest, payload: StageIn) -> Any:
    from gvhdtrial.web.api import _actor

    actor = _actor(request)
    # Site isolation first: another site's patient is not found, whatever the measurements.
    patient = get_patient(actor, payload.patient_id) if payload.patient_id is not None else None
    values = payload.dict(exclude={"patient_id", "assessment_id"})
    try:
        stages = stages_of(values)
    except (ValueError, TypeError) as exc:
        return StageOut(ok=False, error=str(exc))
    blank = unassessed_organs(values)
    if blank:  # stages of the organs entered so far; no grade, no response
        entered = {k: v for k, v in stages.as_dict().items() if k not in blank}
        return StageOut(ok=True, assessed=False, not_assessed=list(blank), stages=entered)
    out = StageOut(
        ok=True, stages=stages.as_dict(), grade=overall_grade(stages),
        grade_roman=ROMAN_GRADE[overall_grade(stages)],
    )  # fmt: skip
    volume, episodes = values.get("stool_ml_per_day"), values.get("stool_episodes_per_day")
    if (
        volume is not None
        and episodes is not None
        and not (values["severe_abdominal_pain"] or values["bloody_stool"])
    ):
        by_episodes = lower_gi_stage(None, episodes, values.get("weight_kg"),
                                     mixed_with_urine=values["stool_mixed_with_urine"])  # fmt: skip
        if by_episodes != stages.lower_gi:
            out.lower_gi_note = _(
                "staged by volume (stage %(volume)s); episodes alone give %(episodes)s"
            ) % {"volume": stages.lower_gi, "episodes": by_episodes}
    if patient is not None:
        base = baseline_assessment(patient_record(patient))
        editing = f"capture.assessment:{payload.assessment_id}"
        if base is not None and base.get("_ref") == editing:
            out.is_baseline = True
        elif base is not None:
            try:
                baseline = stages_of(base)
            except (ValueError, TypeError):
                baseline = None
            if baseline is not None and not unassessed_organs(base):
                out.baseline_stages = baseline.as_dict()
                out.response = assess_response(baseline, stages).value
    return out


class AssessmentIn(Schema):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    assessment_date: Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2999, 12, 31))]
    visit: Annotated[str, Field(max_length=16)]
    skin_bsa_percent: Annotated[float, Field(ge=0, le=100)] = 0.0
    skin_bullae: bool = False
    skin_desquamation_percent: Annotated[float, Field(ge=0, le=100)] = 0.0
    bilirubin: Annotated[float, Field(ge=0, le=1000)] = 0.0
    bilirubin_unit: Literal["mg/dL", "umol/L"] = "mg/dL"
    upper_gi_persistent: bool = False
    stool_ml_per_day: Annotated[float, Field(ge=0, le=20000)] | None = None
    stool_episodes_per_day: Annotated[float, Field(ge=0, le=100)] | None = None
    stool_mixed_with_urine: bool = False
    weight_kg: Annotated[float, Field(gt=0, le=300)]
    severe_abdominal_pain: bool = False
    ileus: bool = False
    bloody_stool: bool = False


class SavedOut(Schema):
    id: int
    findings: list[str]
    new_queries: int


class AssessmentOut(Schema):
    id: int
    assessment_date: dt.date
    visit: str


@router.post("/patients/{patient_id}/assessments", response={201: SavedOut})
def save_assessment(
    request: HttpRequest, patient_id: Annotated[int, Field(ge=1, le=2**62)], payload: AssessmentIn
) -> Any:
    """Save a GVHD assessment (the form's service: audited, edit checks, queries)."""
    from gvhdtrial.web.api import _actor
    from gvhdtrial.web.crf.services import save_row

    result = save_row(_actor(request), patient_id, "assessments", payload.dict())
    return 201, SavedOut(
        id=result.obj.pk, findings=sorted({f.check for f in result.findings}),
        new_queries=result.new_queries,
    )  # fmt: skip


@router.get("/patients/{patient_id}/assessments", response={200: list[AssessmentOut]})
def list_assessments(
    request: HttpRequest, patient_id: Annotated[int, Field(ge=1, le=2**62)]
) -> Any:
    from gvhdtrial.web.api import _actor
    from gvhdtrial.web.capture.models import Assessment

    patient = get_patient(_actor(request), patient_id)
    return [
        AssessmentOut(id=a.pk, assessment_date=a.assessment_date, visit=a.visit)
        for a in Assessment.objects.filter(patient=patient)
    ]


# ------------------------------------------------------------- source data verification (SDV)
class SdvFieldOut(Schema):
    field: str
    state: Literal["verified", "stale", "unverified"]


class SdvRowOut(Schema):
    form: str
    row_id: int
    record: str
    state: Literal["verified", "stale", "unverified"]
    fields: list[SdvFieldOut]


class SdvIn(Schema):
    model_config = ConfigDict(extra="forbid")

    form: Annotated[str, Field(max_length=40)]
    row_id: Annotated[int, Field(ge=1, le=2**62)]
    #: One field of the row, or "" for the whole row.
    field: Annotated[str, Field(max_length=64)] = ""


class SdvMarkOut(Schema):
    record: str
    field: str
    verified_by: str
    verified_at: dt.datetime


@router.get("/patients/{patient_id}/sdv", response={200: list[SdvRowOut]})
def sdv_states(request: HttpRequest, patient_id: Annotated[int, Field(ge=1, le=2**62)]) -> Any:
    """Every stored CRF row of the patient with its SDV state and its fields' states
    (``crf.sdv``: a mark holds while the data keep the digest it verified)."""
    from gvhdtrial.web.api import _actor
    from gvhdtrial.web.crf import sdv
    from gvhdtrial.web.crf.records import ref

    patient = get_patient(_actor(request), patient_id)
    marks = sdv.marks_of([patient.pk])
    return [
        SdvRowOut(
            form=form, row_id=obj.pk, record=ref(obj), state=sdv.row_state(obj, marks),
            fields=[SdvFieldOut(field=f, state=sdv.field_state(obj, f, marks))
                    for f in sdv.data_fields(obj)],
        )
        for form, obj in sdv.form_rows([patient.pk]).get(patient.pk, [])
    ]  # fmt: skip


@router.post("/patients/{patient_id}/sdv", response={201: SdvMarkOut})
def sdv_verify(
    request: HttpRequest, patient_id: Annotated[int, Field(ge=1, le=2**62)], payload: SdvIn
) -> Any:
    """The monitor verifies one stored row (``field`` "") or one field of it against the source
    (audited; only the monitor may; a later change of the data clears the mark)."""
    from gvhdtrial.web.api import _actor
    from gvhdtrial.web.crf import sdv

    mark = sdv.verify(_actor(request), patient_id, payload.form, payload.row_id, payload.field)
    return 201, SdvMarkOut(
        record=mark.record, field=mark.field, verified_by=mark.verified_by.username,
        verified_at=mark.verified_at,
    )  # fmt: skip


# ------------------------------------------------------------- serious adverse event reports
class SaeReportOut(Schema):
    patient_id: int
    patient_code: str
    site: str
    ae_id: str
    term: str
    grade: int | None
    onset_date: dt.date | None
    #: When the site became aware (``aware_from_onset``: not recorded, the onset day's start).
    aware_at: dt.datetime
    aware_from_onset: bool
    reported_at: dt.datetime
    reported_by: str
    #: ``aware_at`` + 24 hours (``gvhdtrial.capture.sae_clock``, EU 536/2014 Art. 41(2)).
    due_at: dt.datetime
    overdue: bool


@router.get("/sae-reports", response={200: list[SaeReportOut]})
def sae_reports(request: HttpRequest) -> Any:
    """Every serious adverse event's reporting clock the actor may see (a site role: its own
    site's), newest first: awareness, entry, the 24-hour deadline and whether it was overdue."""
    from gvhdtrial.web.api import _actor
    from gvhdtrial.web.crf.services import sae_reports as reports

    return [
        SaeReportOut(
            patient_id=r.adverse_event.patient.pk, patient_code=r.adverse_event.patient.code,
            site=r.adverse_event.patient.site.code, ae_id=str(r.adverse_event.ae_id),
            term=r.adverse_event.term or "", grade=r.adverse_event.grade,
            onset_date=r.adverse_event.onset_date, aware_at=r.aware_at,
            aware_from_onset=r.aware_from_onset, reported_at=r.reported_at,
            reported_by=r.reported_by.username, due_at=r.due_at, overdue=r.overdue,
        )
        for r in reports(_actor(request))
    ]  # fmt: skip
