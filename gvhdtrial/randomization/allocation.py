"""Allocation as a pure rule over a frozen state (the pharmacy-ledger pattern).

A gateway (the web service's ``randomize``) locks what it must, reads an :class:`AllocationState`,
calls :func:`decide_allocation`, applies the returned decision and writes the audit rows, all in
one transaction. The rule itself touches no database: it returns either the slot to take, the
patient's existing allocation (randomizing twice returns the first and consumes nothing), or a
:class:`Refusal` as data with a stable code and a message that never names an arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RefusalCode(StrEnum):
    DATABASE_LOCKED = "database_locked"
    NOT_SCREENED = "not_screened"
    NOT_ELIGIBLE = "not_eligible"
    NO_CONSENT = "no_consent"
    NO_SCHEDULE = "no_schedule"
    STRATUM_EXHAUSTED = "stratum_exhausted"
    NOT_AUTHORISED = "not_authorised"


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    message: str


@dataclass(frozen=True)
class SlotRef:
    """The next unused slot of a stratum: its identity and its position in the stratum."""

    slot_id: int
    stratum: str
    sequence: int


@dataclass(frozen=True)
class ExistingAllocation:
    slot_id: int
    stratum: str
    sequence: int


@dataclass(frozen=True)
class AllocationState:
    """What the rule needs to know, read inside the gateway's transaction."""

    patient_id: int
    stratum: str
    database_locked: bool
    screened: bool
    eligible: bool
    consented: bool
    schedule_active: bool
    existing: ExistingAllocation | None
    next_slot: SlotRef | None


@dataclass(frozen=True)
class Allocate:
    """Take ``slot`` for the patient."""

    patient_id: int
    slot: SlotRef


@dataclass(frozen=True)
class AlreadyAllocated:
    """The patient was randomized before; nothing is consumed."""

    patient_id: int
    allocation: ExistingAllocation


Decision = Allocate | AlreadyAllocated | Refusal


def decide_allocation(state: AllocationState) -> Decision:
    """Decide what randomizing the patient means, in the order a reviewer would check it."""
    if state.existing is not None:
        # Idempotent: a repeat request returns the first allocation even after lock.
        return AlreadyAllocated(state.patient_id, state.existing)
    if state.database_locked:
        return Refusal(
            RefusalCode.DATABASE_LOCKED, "The database is locked: no patient can be randomized."
        )
    if not state.screened:
        return Refusal(RefusalCode.NOT_SCREENED, "No eligibility screening is recorded.")
    if not state.eligible:
        return Refusal(
            RefusalCode.NOT_ELIGIBLE, "The recorded screening says the patient is not eligible."
        )
    if not state.consented:
        return Refusal(RefusalCode.NO_CONSENT, "No written informed consent is recorded.")
    if not state.schedule_active:
        return Refusal(RefusalCode.NO_SCHEDULE, "No randomization schedule is active.")
    if state.next_slot is None:
        return Refusal(
            RefusalCode.STRATUM_EXHAUSTED,
            f"Stratum {state.stratum} has no unused slot left: the schedule is exhausted for "
            "this stratum. Contact the trial statistician.",
        )
    if state.next_slot.stratum != state.stratum:
        raise ValueError("gateway bug: next slot belongs to another stratum")
    return Allocate(state.patient_id, state.next_slot)
