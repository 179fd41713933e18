"""Central randomization: seeded stratified permuted-block schedules and the allocation rule.

Public API:

- :class:`ScheduleParams`, :func:`generate_schedule`, :class:`Schedule`, :class:`Slot`,
  :func:`stratum_key`, :func:`read_schedule_csv`, :func:`fresh_seed` (CSPRNG seed for
  every new schedule), :func:`validate_schedule_csv` (a schedule made elsewhere, checked)
- :class:`AllocationState`, :func:`decide_allocation` and its decisions :class:`Allocate`,
  :class:`AlreadyAllocated`, :class:`Refusal` (with :class:`RefusalCode`)
"""

from gvhdtrial.randomization.allocation import (
    Allocate,
    AllocationState,
    AlreadyAllocated,
    Decision,
    ExistingAllocation,
    Refusal,
    RefusalCode,
    SlotRef,
    decide_allocation,
)
from gvhdtrial.randomization.schedule import (
    ALGORITHM,
    Schedule,
    ScheduleError,
    ScheduleParams,
    ScheduleProblems,
    Slot,
    fresh_seed,
    generate_schedule,
    read_schedule_csv,
    schedule_csv_bytes,
    stratum_key,
    validate_schedule_csv,
)

__all__ = [
    "ALGORITHM",
    "Allocate",
    "AllocationState",
    "AlreadyAllocated",
    "Decision",
    "ExistingAllocation",
    "Refusal",
    "RefusalCode",
    "Schedule",
    "ScheduleError",
    "ScheduleParams",
    "ScheduleProblems",
    "Slot",
    "SlotRef",
    "decide_allocation",
    "fresh_seed",
    "generate_schedule",
    "read_schedule_csv",
    "schedule_csv_bytes",
    "stratum_key",
    "validate_schedule_csv",
]
