"""Source data verification (SDV) by the monitor, per CRF row and per field (issue 11).

The monitor compares a stored value with the source document and marks the field (or the whole
row) verified: a :class:`~gvhdtrial.web.crf.models.Verification` row, written through the
gateway's one exception for the read-only monitor (``write(..., sdv=True)``: SDV marks only) and
audited. A mark stores the digest of the value(s) it verified: it holds while the stored data
keep that digest, so any later change of the data (the investigator's edit) leaves it *stale*:
the field and its form show as not verified until the monitor verifies them again. SDV shows
values and who verified them, never an arm (it reads CRF rows only).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from django.db import models
from django.utils.translation import gettext as _

from gvhdtrial.web.crf.models import Verification
from gvhdtrial.web.crf.records import ref
from gvhdtrial.web.errors import Forbidden, Invalid, NotFound
from gvhdtrial.web.gateway import snapshot, write
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.sites.roles import Actor, Role

#: Who verifies source data: the monitor (site roles enter the data they would verify).
VERIFIERS: Final = frozenset({Role.MONITOR})
#: Not data of the form (the row's own id and its patient).
_NOT_DATA: Final = frozenset({"id", "patient_id"})
VERIFIED, STALE, UNVERIFIED = "verified", "stale", "unverified"


def data_fields(obj: models.Model) -> list[str]:
    """The fields of a stored CRF row that SDV covers (every stored value but its keys)."""
    return [f for f in snapshot(obj) if f not in _NOT_DATA]


def value_digest(obj: models.Model, field: str = "") -> str:
    """SHA-256 of one field's stored value (``field``) or of every data field of the row."""
    snap = snapshot(obj)
    values = {field: snap.get(field)} if field else {f: snap[f] for f in data_fields(obj)}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def form_rows(patient_ids: Iterable[int]) -> dict[int, list[tuple[str, models.Model]]]:
    """Every stored CRF row of these patients as (form slug, row), one query per form."""
    from gvhdtrial.web.crf.services import FORMS

    ids = list(patient_ids)
    out: dict[int, list[tuple[str, models.Model]]] = defaultdict(list)
    for slug, (model, _table, _number) in FORMS.items():
        for obj in model.objects.filter(patient_id__in=ids).order_by("pk"):  # type: ignore[attr-defined]
            out[obj.patient_id].append((slug, obj))
    return out


Marks = dict[str, dict[str, str]]  # record -> field ("" = row) -> digest


def marks_of(patient_ids: Iterable[int]) -> Marks:
    out: Marks = defaultdict(dict)
    for record, field, digest in Verification.objects.filter(
        patient_id__in=list(patient_ids)
    ).values_list("record", "field", "digest"):
        out[record][field] = digest
    return out


def field_state(obj: models.Model, field: str, marks: Marks) -> str:
    """``verified`` (its mark, or the row's, matches the stored value), ``stale`` (a mark made
    before the value changed) or ``unverified``."""
    mine = marks.get(ref(obj), {})
    if "" in mine and mine[""] == value_digest(obj):
        return VERIFIED
    if field in mine:
        return VERIFIED if mine[field] == value_digest(obj, field) else STALE
    return STALE if "" in mine else UNVERIFIED


def row_state(obj: models.Model, marks: Marks) -> str:
    """``verified`` when the row's mark matches or every data field's mark does; ``stale`` when
    a mark exists but the data changed since; else ``unverified``."""
    mine = marks.get(ref(obj), {})
    if not mine:
        return UNVERIFIED
    states = [field_state(obj, f, marks) for f in data_fields(obj)]
    if all(s == VERIFIED for s in states):
        return VERIFIED
    return STALE if STALE in states or "" in mine else UNVERIFIED


def verify(actor: Actor, patient_id: int, form: str, row_id: int, field: str = "") -> Verification:
    """Mark one stored row (``field=""``) or one field of it verified against the source."""
    from gvhdtrial.web.crf.services import FORMS, get_row

    patient = get_patient(actor, patient_id)  # first: another centre's patient is 404
    if actor.role not in VERIFIERS:
        raise Forbidden(_("Only the monitor verifies source data."))
    if form not in FORMS:
        raise NotFound(_("No such form."))
    obj = get_row(patient, form, row_id)
    if field and field not in data_fields(obj):
        raise Invalid(_("This form has no field %(field)s.") % {"field": field}, field=field)
    with write(actor, reason="source data verified", sdv=True) as audit:
        obj = type(obj).objects.select_for_update(of=("self",)).get(pk=obj.pk)  # type: ignore[attr-defined]
        digest = value_digest(obj, field)
        mark = Verification.objects.filter(record=ref(obj), field=field).first()
        if mark is None:
            mark = Verification.objects.create(
                patient=patient, record=ref(obj), field=field, digest=digest,
                verified_by_id=actor.user_id, verified_at=audit.now,
            )  # fmt: skip
            audit.created(mark)
        else:
            before = snapshot(mark)
            mark.digest, mark.verified_by_id, mark.verified_at = digest, actor.user_id, audit.now
            mark.save()
            audit.changed(mark, before, reason="source data verified again")
    return mark
