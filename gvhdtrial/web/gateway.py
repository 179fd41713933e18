"""The one gateway for every write: lock check, row locks, the change, and its audit rows.

Pattern (clinicedc's pharmacy ledger, STYLE.md): a view calls a service; the service opens
:func:`write`, reads a frozen state (locking rows on PostgreSQL), asks a pure rule from
``gvhdtrial.randomization`` or ``gvhdtrial.supply`` what to do, applies it, and records each
created, changed or deleted field in the audit batch, which is hash-chained and written in the
same transaction. After the commit a signed checkpoint of the new chain head is appended to the
checkpoint file outside the database (:mod:`gvhdtrial.web.audit.checkpoints`). When the
database is locked, or the trial is unblinded, every write is refused with
:class:`DatabaseLocked` unless the caller is the lock itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction
from django.utils import timezone

from gvhdtrial.web.audit import checkpoints
from gvhdtrial.web.audit.chain import chain_hash
from gvhdtrial.web.audit.models import AuditEntry, ChainHead
from gvhdtrial.web.db import write_transaction
from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.lock.models import DatabaseLock
from gvhdtrial.web.sites.roles import READ_ONLY_ROLES, Actor
from gvhdtrial.web.unblinding.models import TrialUnblinding

LOCKED_MESSAGE = (
    "The database is locked: no data can be created, changed or deleted. "
    "An administrator must unlock it (with a reason) first."
)


FINAL_MESSAGE = (
    "The database is locked: no data can be created, changed or deleted. "
    "The trial is unblinded, so the database can never be unlocked again."
)


class DatabaseLocked(Exception):
    def __init__(self, final: bool = False) -> None:
        super().__init__(FINAL_MESSAGE if final else LOCKED_MESSAGE)


class ReasonRequired(Exception):
    def __init__(self, record: str) -> None:
        super().__init__(f"A reason is required to change {record} after it was first saved.")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, sort_keys=True)
    return str(value)


#: Fields never written to the trail: a password hash, an API token's hash. Their changes are
#: recorded as account events (:func:`record_event`) that say what happened, not the value.
SECRET_FIELDS = frozenset({("auth.user", "password"), ("sites.apitoken", "key_hash")})


def snapshot(obj: models.Model) -> dict[str, str | None]:
    label = obj._meta.label_lower
    return {
        f.attname: _text(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if (label, f.attname) not in SECRET_FIELDS
    }


def record_label(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


class AuditBatch:
    """Audit rows collected during one write, chained and inserted at commit."""

    def __init__(
        self, actor: Actor | None, username: str, reason: str, head: tuple[int, str, bool]
    ) -> None:
        self.actor = actor
        self.username = username
        self.reason = reason
        self.head_seq, self.head_hash, self.database_locked = head
        self.now = timezone.now()
        self._rows: list[dict[str, object]] = []
        #: When set, the only models (``app.model`` labels) this write may record a change of.
        self.only: frozenset[str] | None = None

    def _add(self, action: str, record: str, field: str, old: str | None, new: str | None) -> None:
        if self.only is not None and record.partition(":")[0] not in self.only:
            raise Forbidden(f"This write may change {sorted(self.only)} only, not {record}.")
        self._rows.append(
            {"action": action, "record": record, "field": field, "old": old, "new": new}
        )

    def created(self, obj: models.Model) -> None:
        record = record_label(obj)
        for field, value in snapshot(obj).items():
            self._add("create", record, field, None, value)

    def changed(
        self,
        obj: models.Model,
        before: dict[str, str | None],
        reason: str = "",
        after: dict[str, str | None] | None = None,
    ) -> None:
        """Record the fields of ``obj`` that differ from ``before``: against ``obj`` as it is
        now, or against ``after`` when a batched write recorded the state step by step."""
        after = snapshot(obj) if after is None else after
        diffs = [(f, before.get(f), v) for f, v in after.items() if before.get(f) != v]
        if not diffs:
            return
        why = reason or self.reason
        if not why.strip():
            raise ReasonRequired(record_label(obj))
        for field, old, new in diffs:
            self._add("change", record_label(obj), field, old, new)
            self._rows[-1]["reason"] = why

    def deleted(self, obj: models.Model, before: dict[str, str | None], reason: str = "") -> None:
        why = reason or self.reason
        if not why.strip():
            raise ReasonRequired(record_label(obj))
        for field, old in before.items():
            self._add("delete", f"{obj._meta.label_lower}:{before.get('id')}", field, old, None)
            self._rows[-1]["reason"] = why

    def change_fields(
        self, record: str, fields: list[tuple[str, str | None, str | None]], reason: str
    ) -> None:
        """Record a change given as (field, old, new) texts (for hand-written SQL updates)."""
        if not reason.strip():
            raise ReasonRequired(record)
        for field, old, new in fields:
            self._add("change", record, field, old, new)
            self._rows[-1]["reason"] = reason

    def event(self, action: str, record: str, details: dict[str, str | None]) -> None:
        """Record something that is not a stored field's change (a login, a failed password,
        a token's expiry): one row per detail, ``old`` empty. ``record`` is ``account:<name>``."""
        for field, value in details.items():
            self._add(action, record, field, None, value)

    def flush(self) -> None:
        if not self._rows:
            return
        seq, prev = self.head_seq, self.head_hash
        params = []
        at_db = connection.ops.adapt_datetimefield_value(self.now)
        for row in self._rows:
            seq += 1
            values: dict[str, object] = {
                "seq": seq,
                "at": self.now,
                "user": self.username,
                "reason": row.get("reason", self.reason),
                **{k: row[k] for k in ("action", "record", "field", "old", "new")},
            }
            digest = chain_hash(prev, values)
            params.append(
                (seq, at_db, self.username, values["action"], values["record"], values["field"],
                 values["old"], values["new"], values["reason"], prev, digest)
            )  # fmt: skip
            prev = digest
        with connection.cursor() as cur:
            for i in range(0, len(params), 50):  # multi-row INSERT: one round trip per 50 rows
                chunk = params[i : i + 50]
                cur.execute(
                    f"INSERT INTO {AuditEntry._meta.db_table} (seq, at, {qn('user')}, action, "
                    "record, field, old, new, reason, prev_hash, hash) VALUES "
                    + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk)),
                    [v for row in chunk for v in row],
                )
            cur.execute(
                f"UPDATE {ChainHead._meta.db_table} SET last_seq = %s, last_hash = %s WHERE id = 1",
                [seq, prev],
            )
        self.head_seq, self.head_hash = seq, prev
        self._rows.clear()


def trial_unblinded() -> bool:
    return TrialUnblinding.objects.exists()


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _lock_head() -> tuple[int, str, bool]:
    """Lock the chain head (PostgreSQL: FOR UPDATE) and read it with the database lock flag.

    A trial that was unblinded counts as locked whatever the lock row says: after trial-level
    unblinding nothing can be written again (a lock flag cleared by hand changes nothing)."""
    suffix = " FOR UPDATE OF h" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT h.last_seq, h.last_hash, l.locked, EXISTS (SELECT 1 FROM "
            f"{TrialUnblinding._meta.db_table}) FROM {ChainHead._meta.db_table} h, "
            f"{DatabaseLock._meta.db_table} l WHERE h.id = 1 AND l.id = 1{suffix}"
        )
        seq, digest, locked, unblinded = cur.fetchone()
    return int(seq), str(digest), bool(locked) or bool(unblinded)


#: The one exception to the read-only roles (issue 11): the monitor's source data verification
#: marks. A write opened with ``sdv=True`` may record changes of these models and of nothing else
#: (anything else recorded in it is refused and the whole write rolled back).
READ_ONLY_MAY_WRITE = frozenset({"crf.verification"})


@contextmanager
def write(
    actor: Actor | None,
    reason: str = "",
    *,
    when_locked: bool = False,
    username: str = "",
    sdv: bool = False,
) -> Iterator[AuditBatch]:
    """Open the write transaction; yields the audit batch to record changes into.

    A read-only role (the monitor) is refused here, whatever page or API route asked, except
    for a source data verification write (``sdv=True``), which may change SDV marks only."""
    if actor is not None and actor.role in READ_ONLY_ROLES and not sdv:
        raise Forbidden(f"The {actor.role.value} role is read-only: it changes nothing.")
    with write_transaction():
        # The chain head is the one row every writer locks: on PostgreSQL this serializes
        # writers (so the chain has no forks and slot picking cannot race); on SQLite the
        # IMMEDIATE transaction already holds the database's write lock.
        head = _lock_head()
        if not when_locked and head[2]:
            raise DatabaseLocked(final=trial_unblinded())
        batch = AuditBatch(actor, username or (actor.username if actor else "system"), reason, head)
        if sdv:
            batch.only = READ_ONLY_MAY_WRITE
        yield batch
        batch.flush()
        if batch.head_seq != head[0]:
            # Signed checkpoint of the new head, outside the database, once the commit is done.
            seq, digest = batch.head_seq, batch.head_hash
            transaction.on_commit(lambda: checkpoints.append_after_commit(seq, digest))


def record_event(username: str, action: str, record: str, details: dict[str, str | None],
                 reason: str) -> None:  # fmt: skip
    """One account event in its own audited write (allowed while the database is locked:
    it changes no trial data). Never pass a password or a token."""
    with write(None, reason=reason, when_locked=True, username=username) as audit:
        audit.event(action, record, details)
