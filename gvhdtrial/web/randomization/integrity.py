"""Consistency of the allocations as stored: what the load and crash runs check.

- no slot taken twice and no patient holding two slots (also enforced by unique constraints);
- within each stratum the used slots are exactly 1..k (nothing skipped);
- every used slot is complete (time, user) and has its audit rows;
- the audit hash chain verifies.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gvhdtrial.web.audit.chain import verify_chain
from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.randomization.models import Schedule, Slot


def allocation_report() -> dict[str, Any]:
    schedule = Schedule.objects.filter(active=True).order_by("-id").first()
    used = list(
        Slot.objects.filter(schedule=schedule, patient__isnull=False).values_list(
            "id", "stratum", "sequence", "patient_id", "allocated_at", "allocated_by_id"
        )
    )
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for _, stratum, sequence, *_ in used:
        by_stratum[stratum].append(sequence)
    skipped = {
        s: sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        for s, seqs in by_stratum.items()
        if sorted(seqs) != list(range(1, len(seqs) + 1))
    }
    patients = [u[3] for u in used]
    incomplete = [u[0] for u in used if u[4] is None or u[5] is None]
    audited = set(
        AuditEntry.objects.filter(
            record__startswith="randomization.slot:", action="change", field="patient_id"
        ).values_list("record", flat=True)
    )
    unaudited = [u[0] for u in used if f"randomization.slot:{u[0]}" not in audited]
    chain = verify_chain()
    return {
        "allocations": len(used),
        "duplicate_patients": len(patients) - len(set(patients)),
        "skipped": skipped,
        "incomplete": incomplete,
        "unaudited": unaudited,
        "audit_chain_ok": chain.ok,
        "audit_problems": list(chain.problems),
        "allocation_by_patient": {str(u[3]): f"{u[1]}-R{u[2]:04d}" for u in used},
        "ok": not skipped
        and not incomplete
        and not unaudited
        and chain.ok
        and len(patients) == len(set(patients)),
    }
