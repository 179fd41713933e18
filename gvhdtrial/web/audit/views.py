"""Audit trail pages; arms and schedule contents are redacted for blinded viewers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gvhdtrial.web.audit.chain import verify_chain
from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.errors import require
from gvhdtrial.web.pages import page
from gvhdtrial.web.sites.roles import Actor, Permission

#: (model label, field) whose values blinded viewers never see.
BLINDED_FIELDS = frozenset(
    {
        ("randomization.slot", "arm"),
        ("supply.kit", "arm"),
        ("randomization.schedule", "params"),
        ("randomization.schedule", "csv"),
    }
)
REDACTED = "[blinded]"


def redact(actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    if actor.blinded and (row["record"].split(":")[0], row["field"]) in BLINDED_FIELDS:
        return {**row, "old": REDACTED if row["old"] is not None else None,
                "new": REDACTED if row["new"] is not None else None}  # fmt: skip
    return row


def audit_rows(
    actor: Actor, record: str | None = None, after_seq: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    require(actor, Permission.VIEW_AUDIT)
    qs = AuditEntry.objects.filter(seq__gt=after_seq)
    if record:
        qs = qs.filter(record=record)
    fields = ("seq", "at", "user", "action", "record", "field", "old", "new", "reason", "hash")
    return [redact(actor, r) for r in qs.order_by("seq").values(*fields)[:limit]]


@page(Permission.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    record = request.GET.get("record") or None
    rows = audit_rows(request.actor, record=record, after_seq=min(after, 2**62), limit=100)  # type: ignore[attr-defined]
    return render(
        request,
        "web/audit.html",
        {"rows": rows, "record": record or "", "next_after": rows[-1]["seq"] if rows else None},
    )


@page(Permission.VERIFY_AUDIT)
def audit_verify(request: HttpRequest) -> HttpResponse:
    result = verify_chain()
    if result.ok:
        messages.success(
            request, _("Audit chain intact: %(rows)s rows verified.") % {"rows": result.rows}
        )
    return render(request, "web/audit_verify.html", {"result": result})
