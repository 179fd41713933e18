"""The allocation rule: refusals as data, idempotent repeats, exhausted strata."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

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

READY = AllocationState(
    patient_id=1,
    stratum="C01",
    database_locked=False,
    screened=True,
    eligible=True,
    consented=True,
    schedule_active=True,
    existing=None,
    next_slot=SlotRef(slot_id=10, stratum="C01", sequence=3),
)


def test_the_system_shall_allocate_the_next_unused_slot_of_the_stratum() -> None:
    assert decide_allocation(READY) == Allocate(1, READY.next_slot)


def test_the_system_shall_refuse_without_eligibility_or_consent() -> None:
    cases = {
        RefusalCode.NOT_SCREENED: replace(READY, screened=False),
        RefusalCode.NOT_ELIGIBLE: replace(READY, eligible=False),
        RefusalCode.NO_CONSENT: replace(READY, consented=False),
        RefusalCode.DATABASE_LOCKED: replace(READY, database_locked=True),
        RefusalCode.NO_SCHEDULE: replace(READY, schedule_active=False),
        RefusalCode.STRATUM_EXHAUSTED: replace(READY, next_slot=None),
    }
    for code, state in cases.items():
        decision = decide_allocation(state)
        assert isinstance(decision, Refusal) and decision.code is code


def test_exhausted_stratum_message_names_the_stratum_not_an_arm() -> None:
    decision = decide_allocation(replace(READY, next_slot=None))
    assert isinstance(decision, Refusal)
    assert "C01" in decision.message and "exhausted" in decision.message
    assert "MSC" not in decision.message and "placebo" not in decision.message


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_a_randomized_patient_gets_the_first_allocation_back_whatever_else_holds(
    locked: bool, screened: bool, eligible: bool, consented: bool, active: bool, has_slot: bool
) -> None:
    existing = ExistingAllocation(slot_id=4, stratum="C01", sequence=1)
    state = AllocationState(
        1, "C01", locked, screened, eligible, consented, active, existing,
        READY.next_slot if has_slot else None,
    )  # fmt: skip
    assert decide_allocation(state) == AlreadyAllocated(1, existing)
