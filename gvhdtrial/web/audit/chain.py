"""Hash-chaining and verification of the audit trail.

``hash_n = sha256(hash_{n-1} + canonical_json(row_n))`` with the genesis hash 64 zeros; the
canonical JSON has sorted keys, no spaces, non-ASCII characters as they are, and the timestamp in
ISO 8601 UTC with microseconds. The algorithm is public: anyone holding an export of the trail
can recompute it, and so can anyone who rewrites the table. What a rewrite cannot do is agree
with the signed checkpoints kept outside the database (:mod:`gvhdtrial.web.audit.checkpoints`).

Verification walks the rows in sequence order (raw cursor, no ORM objects), recomputes every
hash, checks each row's link to its predecessor and the chain head (kept in another table), and
compares the recomputed chain with every signed checkpoint:

- a checkpoint whose head the trail no longer yields: rows at or before it were changed,
  removed or re-chained after it was signed (the report names the range since the last
  checkpoint that still agrees);
- a checkpoint beyond the end of the trail: rows were cut from the end (truncation), or
  removed in the middle and the rest re-chained;
- rows after the last checkpoint are *unanchored* (a crash between a commit and its checkpoint,
  or a trail older than checkpoints): reported as a warning, not as tampering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # the C encoder json.dumps uses (ensure_ascii=False)
from pathlib import Path

from django.db import connection

from gvhdtrial.web.audit import checkpoints as cps
from gvhdtrial.web.audit.models import GENESIS_HASH, AuditEntry, ChainHead

HASHED_FIELDS = ("seq", "at", "user", "action", "record", "field", "old", "new", "reason")
_CANONICAL = (
    '{"action":%s,"at":"%s","field":%s,"new":%s,"old":%s,"reason":%s,"record":%s,"seq":%d,'
    '"user":%s}'
)


def canonical_row(values: dict[str, object]) -> str:
    """The reference form of the canonical JSON (``json.dumps``); :func:`chain_hash` must match."""
    payload = {}
    for key in HASHED_FIELDS:
        value = values[key]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload[key] = value
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _s(value: object) -> str:
    return "null" if value is None else encode_basestring(value)


def canonical_at(value: object) -> str:
    """A stored timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite's converter gives naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = str(value)  # SQLite stores naive UTC text: "YYYY-MM-DD HH:MM:SS[.ffffff]"
    if len(text) == 27 and text[10] == "T" and text[26] == "Z":
        return text  # already canonical (PostgreSQL's to_char above)
    if len(text) == 26 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}Z"
    if len(text) == 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}.000000Z"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_text(seq: int, at: object, user: str, action: str, record: str, field_: str,
             old: str | None, new: str | None, reason: str) -> str:  # fmt: skip
    """The canonical JSON of a row (what :func:`canonical_row` gives, built without a dict)."""
    return _CANONICAL % (
        _s(action), canonical_at(at), _s(field_), _s(new), _s(old), _s(reason), _s(record),
        seq, _s(user),
    )  # fmt: skip


def row_hash(prev_hash: str, seq: int, at: object, user: str, action: str, record: str,
             field_: str, old: str | None, new: str | None, reason: str) -> str:  # fmt: skip
    text = row_text(seq, at, user, action, record, field_, old, new, reason)
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, values: dict[str, object]) -> str:
    return row_hash(
        prev_hash, int(values["seq"]), values["at"], values["user"], values["action"],  # type: ignore[arg-type]
        values["record"], values["field"], values["old"], values["new"], values["reason"],  # type: ignore[arg-type]
    )  # fmt: skip


def raw_rows(chunk: int = 20_000, start_seq: int = 0) -> Iterator[tuple]:  # type: ignore[type-arg]
    """Every audit row in sequence order as a tuple (seq, at, user, action, record, field, old,
    new, reason, prev_hash, hash), read in chunks by keyset (no ORM objects)."""
    table = AuditEntry._meta.db_table
    user = connection.ops.quote_name("user")
    # The time as text in the database (no datetime objects: parsing and formatting 250k of
    # them was most of the time): SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC);
    # PostgreSQL formats the canonical form itself.
    at = (
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        if connection.vendor == "postgresql"
        else "CAST(at AS TEXT)"
    )
    after = start_seq
    with connection.cursor() as cur:
        while True:
            cur.execute(
                f"SELECT seq, {at}, {user}, action, record, field, old, new, reason, prev_hash, "
                f"hash FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s",
                [after, chunk],
            )
            rows = cur.fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    checkpoints: int = 0  # signed checkpoints that agree with the trail
    anchored_seq: int = 0  # the last sequence number covered by an agreeing checkpoint
    unanchored: tuple[int, int] | None = None  # (first, last) seq after the last checkpoint
    head: tuple[int, str] = (0, GENESIS_HASH)  # the recomputed chain head
    files: tuple[str, ...] = field(default=())


def verify_chain(
    max_problems: int = 20,
    against: list[Path] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_row: Callable[[tuple], None] | None = None,  # type: ignore[type-arg]
) -> VerifyResult:
    """Recompute the chain and compare it with the checkpoint file (and any exported copies).

    ``on_row`` sees every row as it is read (the reconciliation replays the trail in the same
    pass)."""
    problems: list[str] = []
    warnings: list[str] = []
    sources = [cps.read()] + [cps.read(Path(p)) for p in against or []]
    expected: dict[int, list[cps.Checkpoint]] = {}
    for source in sources:
        problems.extend(source.bad_lines)
        for c in source.checkpoints:
            expected.setdefault(c.seq, []).append(c)
    total = AuditEntry.objects.count() if progress else 0
    prev = running = GENESIS_HASH
    expected_seq, rows, agreeing, anchored, last_good = 1, 0, 0, 0, 0
    for row in raw_rows():
        seq, at, user, action, record, fld, old, new, reason, prev_hash, stored = row
        if on_row is not None:
            on_row(row)
        rows += 1
        if progress and rows % 20_000 == 0:
            progress(rows, total)
        if len(problems) >= max_problems:
            continue
        if seq != expected_seq:
            problems.append(f"seq {expected_seq}..{seq - 1}: rows missing")
        if prev_hash != prev:
            problems.append(f"seq {seq}: prev_hash does not match the previous row's hash")
        text = row_text(seq, at, user, action, record, fld, old, new, reason).encode("utf-8")
        recomputed = hashlib.sha256(prev_hash.encode("utf-8") + text).hexdigest()
        if recomputed != stored:
            problems.append(f"seq {seq}: contents changed (hash mismatch, record {record})")
        # The chain recomputed from the genesis, whatever the stored links say (it differs from
        # ``recomputed`` only after a changed row).
        running = (
            recomputed
            if prev_hash == running
            else hashlib.sha256(running.encode("utf-8") + text).hexdigest()
        )
        for c in expected.pop(seq, ()):
            if c.head == running:
                agreeing += 1
                anchored = last_good = seq
            else:
                problems.append(
                    f"seq {seq}: the checkpoint signed at {c.at} does not match the trail: rows "
                    f"{last_good + 1}..{seq} were changed, removed or re-chained after it was "
                    "signed"
                )
        prev = stored
        expected_seq = seq + 1
    if progress:
        progress(rows, total)
    last_seq = expected_seq - 1
    beyond = [c for cs in expected.values() for c in cs if c.seq > last_seq]
    if beyond:
        top = max(beyond, key=lambda c: c.seq)
        problems.append(
            f"rows removed: the checkpoint signed at {top.at} covers seq {top.seq}, but the "
            f"trail ends at seq {last_seq}; it agrees with the signed checkpoints up to seq "
            f"{last_good} only, so rows after it were cut from the end (truncation), or removed "
            "and the rest re-chained"
        )
    missing = [c for cs in expected.values() for c in cs if c.seq <= last_seq]
    for c in missing[: max(0, max_problems - len(problems))]:
        problems.append(f"seq {c.seq}: signed in a checkpoint at {c.at}, missing from the trail")
    head = ChainHead.objects.get(pk=1)
    if len(problems) < max_problems and (head.last_seq, head.last_hash) != (last_seq, prev):
        problems.append(
            f"chain head says seq {head.last_seq} but the table ends at seq {last_seq}"
            " (rows removed from the end, or the head was changed)"
        )
    unanchored = None
    if last_seq > anchored:
        unanchored = (anchored + 1, last_seq)
        where = sources[0].path
        if not any(s.checkpoints for s in sources):
            warnings.append(
                f"no signed checkpoint in {where}: the trail (seq 1..{last_seq}) is not anchored "
                "outside the database; `gvhdtrial audit checkpoint` anchors it after this check"
            )
        else:
            warnings.append(
                f"seq {anchored + 1}..{last_seq} ({last_seq - anchored} rows) come after the last "
                "signed checkpoint: not anchored (a crash between a commit and its checkpoint?); "
                "`gvhdtrial audit checkpoint` anchors them after this check"
            )
    return VerifyResult(
        ok=not problems, rows=rows, problems=tuple(problems), warnings=tuple(warnings),
        checkpoints=agreeing, anchored_seq=anchored, unanchored=unanchored,
        head=(last_seq, running), files=tuple(s.path for s in sources),
    )  # fmt: skip
