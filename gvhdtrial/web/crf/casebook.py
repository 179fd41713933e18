"""The investigator's e-signature of a patient's casebook (issue 11).

The investigator of the patient's own site re-enters the password (through the login throttle:
:func:`gvhdtrial.web.lock.services.check_signature`), the meaning is stated
(:data:`CASEBOOK_MEANING`) and stored with the signer, the time and the digest of every CRF row
of the patient (:func:`casebook_digest`) in a :class:`CasebookSignature`, in one audited write.
The signature holds while the casebook keeps that digest: any later change of the patient's
data (a form row created, changed or deleted, a response confirmed, a bag added) voids it, and
the casebook must be signed again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gvhdtrial.web.capture.models import InfusionKit
from gvhdtrial.web.crf.models import CasebookSignature, ResponseConfirmation
from gvhdtrial.web.crf.records import ref
from gvhdtrial.web.crf.sdv import form_rows
from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.gateway import snapshot, write
from gvhdtrial.web.lock.services import MEANINGS, check_signature
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.sites.roles import Actor, Role

#: What the investigator states by signing (shown above the password field, stored).
CASEBOOK_MEANING: Final = MEANINGS["casebook"]
SIGNERS: Final = frozenset({Role.INVESTIGATOR})
SIGNED, CHANGED, UNSIGNED = "signed", "changed", "unsigned"


def _rows(patient_ids: list[int]) -> dict[int, list[models.Model]]:
    out: dict[int, list[models.Model]] = defaultdict(list)
    for pid, rows in form_rows(patient_ids).items():
        out[pid].extend(obj for _slug, obj in rows)
    for r in ResponseConfirmation.objects.filter(patient_id__in=patient_ids):
        out[r.patient_id].append(r)
    for k in InfusionKit.objects.filter(infusion__patient_id__in=patient_ids).select_related(
        "infusion"
    ):
        out[k.infusion.patient_id].append(k)
    return out


def _digest(rows: list[models.Model]) -> str:
    body = sorted((ref(obj), snapshot(obj)) for obj in rows)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def casebook_digests(patient_ids: Iterable[int]) -> dict[int, str]:
    """SHA-256 of every CRF row of each patient (a patient with no rows has one too)."""
    ids = list(patient_ids)
    rows = _rows(ids)
    return {pid: _digest(rows.get(pid, [])) for pid in ids}


def casebook_digest(patient_id: int) -> str:
    return casebook_digests([patient_id])[patient_id]


def states(patient_ids: Iterable[int]) -> dict[int, tuple[str, CasebookSignature | None]]:
    """Each patient's casebook: ``signed`` (the last signature matches the data), ``changed``
    (signed, then the data changed) or ``unsigned``, with the last signature."""
    ids = list(patient_ids)
    last: dict[int, CasebookSignature] = {}
    for s in (
        CasebookSignature.objects.filter(patient_id__in=ids)
        .select_related("signed_by")
        .order_by("signed_at", "pk")
    ):
        last[s.patient_id] = s
    digests = casebook_digests([pid for pid in ids if pid in last])
    out: dict[int, tuple[str, CasebookSignature | None]] = {}
    for pid in ids:
        sig = last.get(pid)
        if sig is None:
            out[pid] = (UNSIGNED, None)
        else:
            out[pid] = (SIGNED if digests[pid] == sig.digest else CHANGED, sig)
    return out


def sign_casebook(
    actor: Actor, patient_id: int, password: str, request: HttpRequest | None = None
) -> CasebookSignature:
    """The investigator of the patient's own site signs the casebook (password re-entered)."""
    if actor.role not in SIGNERS:
        raise Forbidden(_("Only the patient's site investigator signs the casebook."))
    patient = get_patient(actor, patient_id)  # another site's patient: 404
    check_signature(actor, "casebook", password, request)
    with write(actor, reason=f"casebook of {patient.code} signed") as audit:
        signature = CasebookSignature.objects.create(
            patient=patient, signed_by_id=actor.user_id, signed_at=audit.now,
            meaning=str(CASEBOOK_MEANING), digest=casebook_digest(patient.pk),
        )  # fmt: skip
        audit.created(signature)
    return signature
