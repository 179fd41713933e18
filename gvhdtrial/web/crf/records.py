"""Adapter: one patient's stored CRF rows -> :class:`gvhdtrial.capture.PatientRecord`.

Rows carry ``_ref`` (``<app>.<model>:<pk>``, the audit trail's record label) so that an edit
check's finding raises its query on the stored record.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.db.models import prefetch_related_objects

from gvhdtrial.capture import PatientRecord
from gvhdtrial.data import table
from gvhdtrial.web.capture.models import (
    AdverseEvent,
    Assessment,
    Baseline,
    Event,
    Infusion,
    SteroidDose,
    Therapy,
)
from gvhdtrial.web.crf.models import ResponseConfirmation
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.trialdef.services import definition_for

ROW_MODELS: dict[str, type[models.Model]] = {
    "steroid_doses": SteroidDose,
    "assessments": Assessment,
    "infusions": Infusion,
    "therapies": Therapy,
    "adverse_events": AdverseEvent,
    "events": Event,
}


def ref(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def row_of(obj: models.Model, table_name: str) -> dict[str, Any]:
    """The data-model row of a stored CRF object (empty text -> None, as in a CSV cell)."""
    out: dict[str, Any] = {"_ref": ref(obj)}
    for column in table(table_name).columns:
        if column == "patient_id":
            continue
        if column == "kit_numbers":
            out[column] = obj.kit_numbers  # type: ignore[attr-defined]
            continue
        value = getattr(obj, column, None)
        out[column] = None if value == "" else value
    return out


#: Each form's "rows of one patient" query, compiled once per process and model (the ORM
#: spends far longer compiling these small queries than SQLite spends running them, and the
#: edit checks read the whole record inside every save's write transaction).
_SQL: dict[tuple[str, type[models.Model]], str] = {}


def _rows_of(model: type[models.Model], patient_pk: int) -> list[Any]:
    """The patient's rows of ``model`` in its Meta ordering (as ``filter(patient=...)``)."""
    key = (connection.vendor, model)
    sql = _SQL.get(key)
    if sql is None:
        sql, params = model.objects.filter(patient_id=-1).query.sql_with_params()  # type: ignore[attr-defined]
        if list(params) != [-1]:  # never: the only parameter is the patient's id
            raise RuntimeError(f"{model.__name__}: unexpected query parameters {params!r}")
        _SQL[key] = sql
    return list(model.objects.raw(sql, [patient_pk]))  # type: ignore[attr-defined]


def patient_record(patient: Patient) -> PatientRecord:
    baseline = next(iter(_rows_of(Baseline, patient.pk)), None)
    consent = getattr(patient, "consent", None)
    slot = getattr(patient, "allocation", None)
    info: dict[str, Any] = {"weight_kg": float(patient.weight_kg)}
    if baseline is not None:
        info.update(row_of(baseline, "patients"))
        info["weight_kg"] = float(patient.weight_kg)
    if consent is not None:
        info["consent_date"] = consent.consent_date
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, model in ROW_MODELS.items():
        objs = _rows_of(model, patient.pk)
        if model is Infusion and objs:
            prefetch_related_objects(objs, "kits__kit")
        rows[name] = [row_of(obj, name) for obj in objs]
    responses = [
        {"_ref": ref(r), "visit": r.visit, "computed": r.computed or None,
         "confirmed": r.confirmed, "reason": r.reason}
        for r in _rows_of(ResponseConfirmation, patient.pk)
    ]  # fmt: skip
    return PatientRecord(
        patient_id=patient.code,
        site=patient.site.code,
        patient=info,
        randomization_date=(
            slot.allocated_at.date() if slot is not None and slot.allocated_at else None
        ),
        responses=responses,
        **rows,
        definition=definition_for(patient),  # the version in force at randomization
    )
