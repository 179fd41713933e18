"""Hash-chaining and verification of the audit trail.

``hash_n = sha256(hash_{n-1} + canonical_json(row_n))`` with the genesis hash 64 zeros; the
canonical JSON has sorted keys, no spaces, and the timestamp in ISO 8601 UTC with microseconds.
Verification walks the rows in sequence order and also checks that the chain head (the last
sequence number and hash, kept in another table) matches the last row, so removing rows from the
end is caught as well as changing or removing any row in the middle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from gvhdtrial.web.audit.models import GENESIS_HASH, AuditEntry, ChainHead

HASHED_FIELDS = ("seq", "at", "user", "action", "record", "field", "old", "new", "reason")


def canonical_row(values: dict[str, object]) -> str:
    payload = {}
    for key in HASHED_FIELDS:
        value = values[key]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload[key] = value
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, values: dict[str, object]) -> str:
    return hashlib.sha256((prev_hash + canonical_row(values)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problems: tuple[str, ...]


def verify_chain(max_problems: int = 20) -> VerifyResult:
    problems: list[str] = []
    prev = GENESIS_HASH
    expected_seq = 1
    rows = 0
    qs = AuditEntry.objects.order_by("seq").values(*HASHED_FIELDS, "prev_hash", "hash")
    for row in qs.iterator(chunk_size=5000):
        rows += 1
        seq = row["seq"]
        if seq != expected_seq:
            problems.append(f"seq {expected_seq}..{seq - 1}: rows missing")
        if row["prev_hash"] != prev:
            problems.append(f"seq {seq}: prev_hash does not match the previous row's hash")
        recomputed = chain_hash(row["prev_hash"], row)
        if recomputed != row["hash"]:
            problems.append(f"seq {seq}: contents changed (hash mismatch, record {row['record']})")
        prev = row["hash"]
        expected_seq = seq + 1
        if len(problems) >= max_problems:
            break
    head = ChainHead.objects.get(pk=1)
    if len(problems) < max_problems and (head.last_seq, head.last_hash) != (expected_seq - 1, prev):
        problems.append(
            f"chain head says seq {head.last_seq} but the table ends at seq {expected_seq - 1}"
            " (rows removed from the end, or the head was changed)"
        )
    return VerifyResult(ok=not problems, rows=rows, problems=tuple(problems))
