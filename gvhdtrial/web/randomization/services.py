"""The randomization gateway: store a schedule (sealed); randomize a patient atomically.

A schedule's arms are stored sealed (:mod:`gvhdtrial.web.blinding`); randomizing never opens a
seal (it takes the next free slot by position), so the hot path pays nothing for it.

``randomize`` follows the ledger pattern: in one write transaction (SQLite ``BEGIN IMMEDIATE``;
PostgreSQL serialized on the audit chain head row) it reads a frozen
:class:`gvhdtrial.randomization.AllocationState`, asks :func:`decide_allocation`, applies the
decision (take the slot) and writes the audit rows. A repeat request returns the first allocation
and consumes nothing. An exhausted stratum is refused loudly: logged at ERROR and notified to the
statisticians and administrators.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gvhdtrial import __version__
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
from gvhdtrial.randomization import Slot as CoreSlot
from gvhdtrial.randomization.schedule import (
    schedule_csv_bytes,
    stratum_key,
    validate_schedule_csv,
)
from gvhdtrial.web.blinding import schedule_record, seal_schedule_record, seal_slot_arm
from gvhdtrial.web.errors import Forbidden, NotFound, Refused, require
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.gateway import _text as audit_text
from gvhdtrial.web.patients.models import Consent, Patient, Screening
from gvhdtrial.web.randomization.models import Schedule, Slot, randomization_number
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import Actor, Permission, Role

SLOT = Slot._meta.db_table
SCREENING = Screening._meta.db_table
CONSENT = Consent._meta.db_table
SCHEDULE = Schedule._meta.db_table
PATIENT = Patient._meta.db_table
SITE = Site._meta.db_table

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


@dataclass(frozen=True)
class PatientRef:
    """What randomizing needs to know about the patient (read with one plain query)."""

    pk: int
    code: str
    site_code: str
    answers: dict[str, Any]

    def __str__(self) -> str:
        return self.code


def _patient_ref(actor: Actor, patient_id: int, with_answers: bool) -> PatientRef:
    if not 0 < patient_id < 2**62:
        raise NotFound(_("No such patient."))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.id, p.code, s.code FROM {PATIENT} p JOIN {SITE} s ON s.id = p.site_id "
            "WHERE p.id = %s",
            [patient_id],
        )
        row = cur.fetchone()
    if row is None or not actor.sees_site(row[2]):
        raise NotFound(_("No such patient."))  # existence is not revealed to other sites
    answers: dict[str, Any] = {}
    if with_answers:
        screening = Screening.objects.filter(patient_id=row[0]).first()
        answers = screening.answers if screening else {}
    return PatientRef(row[0], row[1], row[2], answers)


def patient_stratum(patient: Patient | PatientRef, factors: dict[str, dict[str, str]]) -> str:
    """Centre plus the configured stratification factors, from the screening answers."""
    if isinstance(patient, PatientRef):
        answers, centre = patient.answers, patient.site_code
    else:
        answers = patient.screening.answers if factors else {}
        centre = patient.site.code
    levels = [(name, mapping[str(answers.get(name))]) for name, mapping in factors.items()]
    return stratum_key(centre, levels)


def import_schedule(actor: Actor | None, schedule: CoreSchedule, username: str = "") -> Schedule:
    """Store a generated schedule (deactivating any previous one), sealed and audited."""
    return store_schedule(
        actor, schedule.slots, str(schedule.metadata()["algorithm"]), schedule.metadata(),
        username=username, software_version=schedule.software_version,
    )  # fmt: skip


def store_schedule(
    actor: Actor | None,
    slots: Sequence[CoreSlot],
    algorithm: str,
    record: dict[str, Any],
    *,
    username: str = "",
    software_version: str = __version__,
    reason: str = "schedule generated",
    replaced_reason: str = "replaced by a new schedule",
    audit: AuditBatch | None = None,
) -> Schedule:
    """Store ``slots`` as the active schedule: the arm of every slot sealed to its randomization
    number, ``record`` (parameters with the seed) + SHA-256 digest + canonical CSV sealed as one
    value. Only the unblinded statistician (or the system's set-up) may do it. With ``audit``
    the rows join that write (an import); otherwise a write of their own."""
    if actor is not None and actor.role is not Role.STATISTICIAN:
        raise Forbidden(_("Only the unblinded statistician may load a schedule."))
    if audit is None:
        with write(actor, reason=reason, username=username) as batch:
            return store_schedule(
                actor, slots, algorithm, record, username=username,
                software_version=software_version, replaced_reason=replaced_reason, audit=batch,
            )  # fmt: skip
    user_model = get_user_model()
    user = (
        user_model.objects.get(pk=actor.user_id)
        if actor
        else user_model.objects.get(username=username)
    )
    for old in Schedule.objects.filter(active=True):
        before = snapshot(old)
        old.active = False
        old.save(update_fields=["active"])
        audit.changed(old, before, reason=replaced_reason)
    csv = schedule_csv_bytes(slots)
    stored = Schedule.objects.create(
        created_at=audit.now,
        created_by=user,
        algorithm=algorithm[:64],
        software_version=software_version,
        sealed="",
    )
    full = {**record, "sha256": hashlib.sha256(csv).hexdigest(), "slots": len(slots)}
    stored.sealed = seal_schedule_record(stored.pk, full, csv)
    stored.save(update_fields=["sealed"])
    audit.created(stored)
    created = Slot.objects.bulk_create(
        Slot(
            schedule=stored,
            stratum=s.stratum,
            sequence=s.sequence,
            arm=seal_slot_arm(stored.pk, s.stratum, s.sequence, s.arm),
        )
        for s in slots
    )
    for slot in created:
        audit.created(slot)
    return stored


def active_schedule() -> Schedule | None:
    return Schedule.objects.filter(active=True).order_by("-id").first()


def schedule_export(actor: Actor) -> tuple[Schedule, dict[str, Any], bytes]:
    """The active schedule's sealed record opened for the trial master file: its metadata (seed,
    parameters, digest, software) and canonical CSV. Unblinded statistician only."""
    require(actor, Permission.VIEW_SCHEDULE)
    stored = active_schedule()
    if stored is None:
        raise NotFound("No schedule is loaded.")
    record, csv = schedule_record(stored.pk, stored.sealed)
    meta = {
        **record,
        "schedule_id": stored.pk,
        "created_at": stored.created_at.isoformat(),
        "created_by": stored.created_by.get_username(),
        "algorithm": stored.algorithm,
        "software": "gvhdtrial",
        "software_version": stored.software_version,
    }
    return stored, meta, csv


def load_external_schedule(
    actor: Actor | None, data: bytes, source: str, username: str = ""
) -> Schedule:
    """Load a schedule made elsewhere (e.g. the paper's, made in SAS) after validating it
    against the trial's arms, ratio and strata; any problem loads nothing
    (:class:`gvhdtrial.randomization.ScheduleProblems`, every problem named)."""
    from django.conf import settings

    from gvhdtrial.web.seed import service_strata

    if actor is not None and actor.role is not Role.STATISTICIAN:
        raise Forbidden(_("Only the unblinded statistician may load a schedule."))
    arms = tuple(settings.GVHDTRIAL["arms"])
    ratio = tuple(settings.GVHDTRIAL.get("ratio", (1,) * len(arms)))
    strata = service_strata(tuple(Site.objects.order_by("code").values_list("code", flat=True)))
    slots = validate_schedule_csv(data, source, arms, ratio, strata)
    if Slot.objects.filter(patient__isnull=False, schedule__active=True).exists():
        raise Refused(
            "Patients are already randomized on the active schedule: a loaded schedule may only "
            "replace an unused one."
        )
    record = {
        "source": source,
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "arms": list(arms),
        "ratio": list(ratio),
        "strata": sorted({s.stratum for s in slots}),
        "block_sizes": sorted({s.block_size for s in slots}),
        "seed": None,
    }
    return store_schedule(
        actor, slots, "loaded from an external file", record, username=username,
        reason="schedule loaded", replaced_reason="replaced by a loaded schedule",
    )  # fmt: skip


def _read_state(patient_id: int, stratum: str, database_locked: bool) -> AllocationState:
    """Everything the rule needs, read with a handful of indexed queries inside the
    transaction (hand-written SQL: this is the serialized section, keep it short)."""
    # One statement (one round trip, one release of the GIL) reads the whole state.
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT
              (SELECT id FROM {SLOT} WHERE patient_id = %s),
              (SELECT stratum FROM {SLOT} WHERE patient_id = %s),
              (SELECT sequence FROM {SLOT} WHERE patient_id = %s),
              (SELECT eligible FROM {SCREENING} WHERE patient_id = %s),
              (SELECT COUNT(*) FROM {CONSENT} WHERE patient_id = %s),
              (SELECT id FROM {SCHEDULE} WHERE active ORDER BY id DESC LIMIT 1),
              (SELECT s.id FROM {SLOT} s WHERE s.schedule_id =
                 (SELECT id FROM {SCHEDULE} WHERE active ORDER BY id DESC LIMIT 1)
               AND s.stratum = %s AND s.patient_id IS NULL ORDER BY s.sequence LIMIT 1),
              (SELECT s.sequence FROM {SLOT} s WHERE s.schedule_id =
                 (SELECT id FROM {SCHEDULE} WHERE active ORDER BY id DESC LIMIT 1)
               AND s.stratum = %s AND s.patient_id IS NULL ORDER BY s.sequence LIMIT 1)
            """,
            [patient_id] * 5 + [stratum, stratum],
        )
        (slot_id, slot_stratum, slot_seq, eligible, consents, schedule_id, free_id, free_seq) = (
            cur.fetchone()
        )
    existing = ExistingAllocation(slot_id, slot_stratum, slot_seq) if slot_id else None
    screening = None if eligible is None else (eligible,)
    consented = bool(consents)
    schedule = None if schedule_id is None else (schedule_id,)
    next_slot = (
        SlotRef(free_id, stratum, free_seq) if free_id is not None and existing is None else None
    )
    return AllocationState(
        patient_id=patient_id,
        stratum=stratum,
        database_locked=database_locked,
        screened=screening is not None,
        eligible=bool(screening and screening[0]),
        consented=consented,
        schedule_active=schedule is not None,
        existing=existing,
        next_slot=next_slot,
    )


def randomize(
    actor: Actor, patient_id: int, factors: dict[str, dict[str, str]] | None = None
) -> RandomizeResult:
    require(actor, Permission.RANDOMIZE)
    patient = _patient_ref(actor, patient_id, bool(factors))
    stratum = patient_stratum(patient, factors or {})
    refusal: Refusal | None = None
    with write(actor, reason="randomization", when_locked=True) as audit:
        decision = decide_allocation(_read_state(patient.pk, stratum, audit.database_locked))
        if isinstance(decision, AlreadyAllocated):
            ref = decision.allocation
            with connection.cursor() as cur:
                cur.execute(f"SELECT allocated_at FROM {SLOT} WHERE id = %s", [ref.slot_id])
                (raw_at,) = cur.fetchone()
            allocated_at = _as_datetime(raw_at)
            stratum_, sequence, already = ref.stratum, ref.sequence, True
        elif isinstance(decision, Allocate):
            slot = decision.slot
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE {SLOT} SET patient_id = %s, allocated_at = %s, allocated_by_id = %s "
                    "WHERE id = %s AND patient_id IS NULL",
                    [
                        patient.pk,
                        connection.ops.adapt_datetimefield_value(audit.now),
                        actor.user_id,
                        slot.slot_id,
                    ],
                )
                if cur.rowcount != 1:  # impossible while writers are serialized: never double-book
                    raise RuntimeError(f"slot {slot.slot_id} was taken concurrently")
            audit.change_fields(
                f"randomization.slot:{slot.slot_id}",
                [
                    ("patient_id", None, str(patient.pk)),
                    ("allocated_at", None, audit_text(audit.now)),
                    ("allocated_by_id", None, str(actor.user_id)),
                ],
                reason="randomization",
            )
            allocated_at = audit.now
            stratum_, sequence, already = slot.stratum, slot.sequence, False
        else:
            refusal = decision
    if refusal is not None:
        if refusal.code is RefusalCode.STRATUM_EXHAUSTED:
            _report_exhausted(stratum, patient)
        raise Refused(refusal.message, code=refusal.code.value)
    return RandomizeResult(
        patient_id=patient.pk,
        patient_code=patient.code,
        randomization_number=randomization_number(stratum_, sequence),
        stratum=stratum_,
        sequence=sequence,
        allocated_at=allocated_at,
        already_randomized=already,
    )


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    assert parsed is not None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _report_exhausted(stratum: str, patient: PatientRef) -> None:
    log.error("randomization schedule exhausted: stratum %s (patient %s refused)", stratum, patient)
    from django.utils.translation import gettext_noop

    from gvhdtrial.web.notifications import Kind, Localized, notify_roles

    notify_roles(
        (Role.STATISTICIAN, Role.ADMINISTRATOR),
        Kind.SCHEDULE_EXHAUSTED,
        subject=Localized(
            gettext_noop("Randomization schedule exhausted for stratum %(stratum)s"),
            {"stratum": stratum},
        ),
        body=Localized(
            gettext_noop(
                "Patient %(code)s could not be randomized: stratum %(stratum)s has no unused "
                "slot. Extend the schedule."
            ),
            {"code": patient.code, "stratum": stratum},
        ),
    )
