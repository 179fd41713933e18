"""Reconcile the audited tables with the trail: the trail's last word must be what is stored.

The hash chain protects the trail; nothing in it stops someone with database access from
changing a table and leaving the trail alone (a slot's arm, an AE grade, a weight set with
``sqlite3`` on the file). :func:`reconcile` replays the trail (create sets every field, change
sets one, delete removes the record) and compares the result with every row of every table the
trail speaks of. Each difference is named: table, record, field, stored value, audited value and
the trail row that said it last. A row the trail never created and a record it never deleted
that is gone are named too. Values of blinded fields are shown redacted to blinded viewers.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from gvhdtrial.web.audit.chain import raw_rows
from gvhdtrial.web.blinding import shown
from gvhdtrial.web.gateway import _text

#: (model label, field) that legitimately change without an audit row: Django records each
#: login's time on the user (a login is not a data change; account events are audited apart).
NOT_RECONCILED = frozenset({("auth.user", "last_login")})
#: The trail's actions that set stored values; any other (``login``, ``login_failed``,
#: ``password``, ``token_expired``...: ``AuditBatch.event``) records an event, not a table row.
DATA_ACTIONS = frozenset({"create", "change", "delete"})
_DELETED = object()


@dataclass(frozen=True)
class Difference:
    table: str
    record: str
    field: str
    stored: str | None
    audited: str | None
    seq: int  # the trail row that said it last (0: none)
    kind: str  # "changed" | "not in the trail" | "deleted outside the trail"

    def text(self) -> str:
        if self.kind == "changed":
            return (
                f"{self.table} {self.record} field {self.field}: stored {self.stored!r}, "
                f"audited {self.audited!r} (trail seq {self.seq})"
            )
        if self.kind == "not in the trail":
            return f"{self.table} {self.record}: stored, but never created in the trail"
        return (
            f"{self.table} {self.record}: missing from the table, but the trail never deleted it "
            f"(last audited at seq {self.seq})"
        )


@dataclass(frozen=True)
class ReconcileResult:
    records: int  # records the trail speaks of
    rows: int  # table rows compared
    tables: tuple[str, ...]
    differences: tuple[Difference, ...]
    unknown: tuple[str, ...]  # model labels in the trail that no longer exist

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def problems(self) -> list[str]:
        return [d.text() for d in self.differences]


def _same(field: models.Field, stored: object, audited: str | None) -> bool:  # type: ignore[type-arg]
    """Whether an audited text means the stored value (after the fast text comparison failed):
    the gateway records what the code assigned (``61``), the table returns the field's type
    (``61.0``), so both are compared as the field's Python value."""
    if audited is None or stored is None:
        return audited is None and stored is None
    try:
        if isinstance(field, models.JSONField):
            return json.loads(audited) == stored
        if isinstance(field, models.BinaryField):
            return audited == _text(stored)
        value = field.to_python(audited)
    except (ValueError, TypeError, json.JSONDecodeError, decimal.InvalidOperation):
        return False
    except Exception:
        return False
    if isinstance(value, dt.datetime) and isinstance(stored, dt.datetime):
        return value == stored
    if isinstance(value, float | decimal.Decimal | int) and not isinstance(value, bool):
        try:
            return decimal.Decimal(str(value)) == decimal.Decimal(str(stored))
        except decimal.InvalidOperation:
            return False
    return value == stored


class Replay:
    """The trail's last word per record: {record: {field: (value, seq)}}, or deleted."""

    def __init__(self) -> None:
        self.state: dict[str, dict[str, tuple[str | None, int]] | object] = {}

    def add(self, row: tuple) -> None:  # type: ignore[type-arg]
        """One row of :func:`raw_rows` (seq, at, user, action, record, field, old, new, ...)."""
        seq, action, record, field, new = row[0], row[3], row[4], row[5], row[7]
        if action not in DATA_ACTIONS:
            return
        if action == "delete":
            self.state[record] = _DELETED
            return
        fields = self.state.get(record)
        if not isinstance(fields, dict):
            fields = self.state[record] = {}
        fields[field] = (new, seq)

    @classmethod
    def of_trail(cls) -> Replay:
        replay = cls()
        for row in raw_rows():
            replay.add(row)
        return replay


def reconcile(
    blinded: bool = False,
    max_differences: int = 200,
    progress: Callable[[str], None] | None = None,
    replayed: Replay | None = None,
) -> ReconcileResult:
    """Compare every table the trail speaks of with the trail's last word (``replayed``: a
    replay already made in the same pass as the chain verification)."""
    state = (replayed or Replay.of_trail()).state
    by_label: dict[str, dict[str, object]] = {}
    for record, fields in state.items():
        label, _, pk = record.partition(":")
        by_label.setdefault(label, {})[pk] = fields
    out: list[Difference] = []
    unknown: list[str] = []
    rows = 0
    for label in sorted(by_label):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            unknown.append(label)
            continue
        if progress:
            progress(label)
        audited = by_label[label]
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        names = list(concrete)
        table = model._meta.db_table
        pk_name = model._meta.pk.attname
        seen: set[str] = set()
        for values in model.objects.order_by().values(*names).iterator(chunk_size=5000):
            rows += 1
            pk = str(values[pk_name])
            record = f"{label}:{pk}"
            fields = audited.get(pk)
            seen.add(pk)
            if fields is None or fields is _DELETED:
                out.append(Difference(table, record, "", None, None, 0, "not in the trail"))
                continue
            assert isinstance(fields, dict)
            for name, (text, seq) in fields.items():
                field = concrete.get(name)
                if field is None or (label, name) in NOT_RECONCILED:
                    continue
                stored = values[name]
                kind = type(stored)  # the common types first: _text for the rest
                as_text = (
                    stored if kind is str or stored is None
                    else str(stored) if kind is int
                    else _text(stored)
                )  # fmt: skip
                if as_text == text or _same(field, stored, text):
                    continue
                out.append(
                    Difference(
                        table,
                        record,
                        name,
                        shown(record, name, _text(stored), blinded),
                        shown(record, name, text, blinded),
                        seq,
                        "changed",
                    )
                )
            if len(out) >= max_differences:
                break
        for pk, fields in audited.items():
            if pk not in seen and isinstance(fields, dict) and len(out) < max_differences:
                last = max(seq for _, seq in fields.values())
                out.append(
                    Difference(table, f"{label}:{pk}", "", None, None, last,
                               "deleted outside the trail")
                )  # fmt: skip
        if len(out) >= max_differences:
            break
    return ReconcileResult(
        records=len(state), rows=rows, tables=tuple(sorted(by_label)),
        differences=tuple(out[:max_differences]), unknown=tuple(unknown),
    )  # fmt: skip
