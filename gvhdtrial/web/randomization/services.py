"""The randomization gateway: import a schedule; randomize a patient atomically.

``randomize`` follows the ledger pattern: in one write transaction (SQLite ``BEGIN IMMEDIATE``;
PostgreSQL serialized on the audit chain head row) it reads a frozen
:class:`gvhdtrial.randomization.AllocationState`, asks :func:`decide_allocation`, applies the
decision (take the slot) and writes the audit rows. A repeat request returns the first allocation
and consumes nothing. An exhausted stratum is refused loudly: logged at ERROR and notified to the
statisticians and administrators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from gvhdtrial.randomization import (
    Allocate,
    AllocationState,
    AlreadyAllocated,
    ExistingAllocation,
    Refusal,
    RefusalCode,
    SlotRef,
    decide_allocation,
)
from gvhdtrial.randomization import (
    Schedule as CoreSchedule,
)
from gvhdtrial.randomization.schedule import stratum_key
from gvhdtrial.web.errors import Forbidden, Refused, require
from gvhdtrial.web.gateway import snapshot, write
from gvhdtrial.web.lock.models import database_is_locked
from gvhdtrial.web.patients.models import Consent, Patient, Screening
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.randomization.models import Schedule, Slot
from gvhdtrial.web.sites.roles import Actor, Permission, Role

log = logging.getLogger("gvhdtrial.randomization")


@dataclass(frozen=True)
class RandomizeResult:
    patient_id: int
    patient_code: str
    randomization_number: str
    stratum: str
    sequence: int
    allocated_at: datetime
    already_randomized: bool


def patient_stratum(patient: Patient, factors: dict[str, dict[str, str]]) -> str:
    """Centre plus the configured stratification factors, from the screening answers."""
    answers = patient.screening.answers if factors else {}
    levels = [(name, mapping[str(answers.get(name))]) for name, mapping in factors.items()]
    return stratum_key(patient.site.code, levels)


def import_schedule(actor: Actor | None, schedule: CoreSchedule, username: str = "") -> Schedule:
    """Store a generated schedule (deactivating any previous one), audited."""
    if actor is not None and actor.role is not Role.STATISTICIAN:
        raise Forbidden("Only the unblinded statistician may load a schedule.")
    user_model = get_user_model()
    user = (
        user_model.objects.get(pk=actor.user_id)
        if actor
        else user_model.objects.get(username=username)
    )
    with write(actor, reason="schedule generated", username=username) as audit:
        for old in Schedule.objects.filter(active=True):
            before = snapshot(old)
            old.active = False
            old.save(update_fields=["active"])
            audit.changed(old, before, reason="replaced by a new schedule")
        meta = schedule.metadata()
        stored = Schedule.objects.create(
            created_at=audit.now,
            created_by=user,
            algorithm=str(meta["algorithm"]),
            software_version=schedule.software_version,
            params=schedule.params.as_dict(),
            sha256=schedule.sha256,
            csv=schedule.to_csv_bytes(),
        )
        audit.created(stored)
        slots = Slot.objects.bulk_create(
            Slot(
                schedule=stored,
                stratum=s.stratum,
                sequence=s.sequence,
                block=s.block,
                block_size=s.block_size,
                arm=s.arm,
            )
            for s in schedule.slots
        )
        for slot in slots:
            audit.created(slot)
    return stored


def _state(patient: Patient, stratum: str) -> AllocationState:
    existing_slot = Slot.objects.filter(patient=patient).first()
    existing = (
        ExistingAllocation(existing_slot.pk, existing_slot.stratum, existing_slot.sequence)
        if existing_slot
        else None
    )
    screening = Screening.objects.filter(patient=patient).only("eligible").first()
    schedule_id = (
        Schedule.objects.filter(active=True).order_by("-id").values_list("id", flat=True).first()
    )
    next_slot = None
    if schedule_id is not None and existing is None:
        row = (
            Slot.objects.filter(schedule_id=schedule_id, stratum=stratum, patient__isnull=True)
            .order_by("sequence")
            .values_list("id", "sequence")
            .first()
        )
        next_slot = SlotRef(row[0], stratum, row[1]) if row else None
    return AllocationState(
        patient_id=patient.pk,
        stratum=stratum,
        database_locked=database_is_locked(),
        screened=screening is not None,
        eligible=bool(screening and screening.eligible),
        consented=Consent.objects.filter(patient=patient).exists(),
        schedule_active=schedule_id is not None,
        existing=existing,
        next_slot=next_slot,
    )


def randomize(
    actor: Actor, patient_id: int, factors: dict[str, dict[str, str]] | None = None
) -> RandomizeResult:
    require(actor, Permission.RANDOMIZE)
    patient = get_patient(actor, patient_id)
    stratum = patient_stratum(patient, factors or {})
    refusal: Refusal | None = None
    with write(actor, reason="randomization", when_locked=True) as audit:
        decision = decide_allocation(_state(patient, stratum))
        if isinstance(decision, AlreadyAllocated):
            slot = Slot.objects.get(pk=decision.allocation.slot_id)
            already = True
        elif isinstance(decision, Allocate):
            slot = Slot.objects.get(pk=decision.slot.slot_id)
            before = snapshot(slot)
            updated = Slot.objects.filter(pk=slot.pk, patient__isnull=True).update(
                patient=patient, allocated_at=audit.now, allocated_by_id=actor.user_id
            )
            if updated != 1:  # cannot happen while writers are serialized; never double-book
                raise RuntimeError(f"slot {slot.pk} was taken concurrently")
            slot.refresh_from_db()
            audit.changed(slot, before)
            already = False
        else:
            refusal = decision
    if refusal is not None:
        if refusal.code is RefusalCode.STRATUM_EXHAUSTED:
            _report_exhausted(stratum, patient)
        raise Refused(refusal.message, code=refusal.code.value)
    assert slot.allocated_at is not None
    return RandomizeResult(
        patient_id=patient.pk,
        patient_code=patient.code,
        randomization_number=slot.randomization_number,
        stratum=slot.stratum,
        sequence=slot.sequence,
        allocated_at=slot.allocated_at,
        already_randomized=already,
    )


def _report_exhausted(stratum: str, patient: Patient) -> None:
    log.error("randomization schedule exhausted: stratum %s (patient %s refused)", stratum, patient)
    from gvhdtrial.web.unblinding.services import notify_roles

    notify_roles(
        (Role.STATISTICIAN, Role.ADMINISTRATOR),
        subject=f"Randomization schedule exhausted for stratum {stratum}",
        body=(
            f"Patient {patient.code} could not be randomized: stratum {stratum} has no unused "
            "slot. Extend the schedule."
        ),
    )
