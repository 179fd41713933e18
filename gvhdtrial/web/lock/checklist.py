"""What stands open before the database lock, listed item by item (issue 11): open queries,
randomized patients with a CRF form missing. The lock page shows the list and the lock needs
its confirmation when anything is open (``lock_database(..., confirmed=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from gvhdtrial.web.capture.models import Baseline
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.queries.models import Query

#: At most this many entries of an item are listed by name (the count is always given).
LISTED = 50


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: object
    count: int
    entries: tuple[tuple[str, str], ...] = field(default=())  # (text, url)


def lock_checklist() -> list[ChecklistItem]:
    """Every item with its count and its first :data:`LISTED` entries (text, link)."""
    open_queries = Query.objects.filter(status__in=("open", "answered")).select_related("patient")
    queries = [
        (f"{q.patient.code}: {q.message[:120]} ({q.status})", f"/queries/{q.pk}/")
        for q in open_queries.order_by("patient__code", "id")[:LISTED]
    ]
    with_baseline = Baseline.objects.values_list("patient_id", flat=True)
    missing = Patient.objects.filter(allocation__isnull=False).exclude(pk__in=with_baseline)
    missing_entries = [
        (f"{p.code}: " + str(_("baseline form not entered")), f"/patients/{p.pk}/crf/baseline/")
        for p in missing.order_by("code")[:LISTED]
    ]
    return [
        ChecklistItem("open_queries", _("Open or answered queries"), open_queries.count(),
                      tuple(queries)),
        ChecklistItem("missing_forms", _("Randomized patients with a form missing"),
                      missing.count(), tuple(missing_entries)),
    ]  # fmt: skip


def open_items(items: list[ChecklistItem]) -> int:
    return sum(item.count for item in items)
