"""Audit trail pages: newest first, filtered and paged; redacted for blinded viewers.

A blinded viewer sees no row hash (the chain algorithm is public: a hash over a redacted value
with few candidates, such as an arm, would give the value away by re-hashing) and no value of a
blinded field (:mod:`gvhdtrial.web.blinding`). Timestamps are shown as stored: the sequence
number already orders every row, and no hidden value depends on when a row was written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.blinding import REDACTED, shown
from gvhdtrial.web.errors import Invalid, require
from gvhdtrial.web.pages import page
from gvhdtrial.web.sites.roles import Actor, Permission

ACTIONS = ("create", "change", "delete")
__all__ = ["REDACTED", "AuditFilter", "audit_rows", "redact"]


def redact(actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """A trail row as ``actor`` may see it (no hashes and no blinded values when blinded)."""
    blinded = actor.blinded
    out = {
        **row,
        "old": shown(row["record"], row["field"], row["old"], blinded),
        "new": shown(row["record"], row["field"], row["new"], blinded),
    }
    if blinded:
        out.pop("hash", None)
        out.pop("prev_hash", None)
    return out


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the trail: patient code, user, action, UTC date range; keyset paging."""

    patient: str = ""
    user: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    record: str = ""
    before_seq: int = 0  # newest first: rows with seq < before_seq (0: from the newest)
    after_seq: int = 0  # oldest first from this seq (the API's historical order)


def _patient_records(code: str) -> list[str]:
    from gvhdtrial.web.patients.models import Patient

    pk = Patient.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise Invalid(_("No patient has the code %(code)s.") % {"code": repr(code)})
    linked = (
        AuditEntry.objects.filter(field="patient_id", new=str(pk))
        .values_list("record", flat=True)
        .distinct()
    )
    return [f"patients.patient:{pk}", *linked]


def audit_rows(
    actor: Actor,
    record: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
    filters: AuditFilter | None = None,
) -> list[dict[str, Any]]:
    """Rows of the trail as ``actor`` may see them; oldest first after ``after_seq`` when no
    ``filters`` are given (the API's original order), else newest first."""
    require(actor, Permission.VIEW_AUDIT)
    f = filters or AuditFilter(record=record or "", after_seq=after_seq)
    qs = AuditEntry.objects.all()
    if f.record:
        qs = qs.filter(record=f.record)
    if f.patient:
        qs = qs.filter(record__in=_patient_records(f.patient))
    if f.user:
        qs = qs.filter(user=f.user)
    if f.action:
        if f.action not in ACTIONS:
            raise Invalid(
                _("action must be one of %(actions)s, not %(value)s.")
                % {"actions": ", ".join(ACTIONS), "value": repr(f.action)}
            )
        qs = qs.filter(action=f.action)
    if f.date_from:
        qs = qs.filter(at__gte=dt.datetime.combine(f.date_from, dt.time(), dt.UTC))
    if f.date_to:
        end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        qs = qs.filter(at__lt=end)
    fields = ("seq", "at", "user", "action", "record", "field", "old", "new", "reason", "hash")
    if filters is None:
        qs = qs.filter(seq__gt=f.after_seq).order_by("seq")
    else:
        qs = qs.filter(Q(seq__lt=f.before_seq) if f.before_seq else Q()).order_by("-seq")
    return [redact(actor, r) for r in qs.values(*fields)[:limit]]


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            _("%(name)s: expected a date YYYY-MM-DD, got %(value)s.")
            % {"name": name, "value": repr(value)}
        ) from None


def _int(value: str) -> int:
    try:
        return min(max(0, int(value)), 2**62)
    except ValueError:
        return 0


PAGE_SIZE = 100


@page(Permission.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    actor = request.actor  # type: ignore[attr-defined]
    form = {k: g.get(k, "")[:120] for k in ("patient", "user", "action", "from", "to", "record")}
    rows: list[dict[str, Any]] = []
    try:
        f = AuditFilter(
            patient=form["patient"], user=form["user"], action=form["action"],
            date_from=_date(form["from"], "from"), date_to=_date(form["to"], "to"),
            record=form["record"], before_seq=_int(g.get("before", "0")),
        )  # fmt: skip
        rows = audit_rows(actor, limit=PAGE_SIZE, filters=f)
    except Invalid as exc:
        messages.error(request, exc.message)
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    return render(
        request,
        "web/audit.html",
        {
            "rows": rows,
            "form": form,
            "actions": ACTIONS,
            "show_hash": not actor.blinded,
            "next_before": rows[-1]["seq"] if len(rows) == PAGE_SIZE else None,
            "query": query,
        },
    )


@page(Permission.VERIFY_AUDIT)
def audit_verify(request: HttpRequest) -> HttpResponse:
    from gvhdtrial.web.audit.chain import verify_chain
    from gvhdtrial.web.audit.checkpoints import checkpoints_path
    from gvhdtrial.web.audit.reconcile import reconcile
    from gvhdtrial.web.keys import public_key_pem

    actor = request.actor  # type: ignore[attr-defined]
    result = verify_chain()
    differences = reconcile(blinded=actor.blinded)
    if result.ok and not differences.problems:
        messages.success(
            request, _("Audit chain intact: %(rows)s rows verified.") % {"rows": result.rows}
        )
    return render(
        request,
        "web/audit_verify.html",
        {
            "result": result,
            "reconciled": differences,
            "public_key": public_key_pem(),
            "checkpoint_file": checkpoints_path(),
        },
    )
