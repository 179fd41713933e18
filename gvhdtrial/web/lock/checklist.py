"""What stands open before the database lock, listed item by item (issue 11): open queries,
randomized patients with a CRF form missing (no baseline form, or a response visit of the trial
definition due and not assessed), randomized patients whose casebook is not signed (or changed
since it was signed), and stored CRF rows not source-verified. The lock page and ``/api/lock``
show the list; :func:`gvhdtrial.web.lock.services.lock_database` refuses while anything is open
unless the lock is confirmed (``confirmed=True``), and the confirmation is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvhdtrial.capture import trial_response_rule
from gvhdtrial.web.capture.models import Assessment, Baseline
from gvhdtrial.web.labels import label
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


def response_visits() -> dict[str, int]:
    """The response visits of the trial definition in force with the last day each may be
    assessed (target day + window): ``{"d28": 31, "d56": 59}`` for the phase 2 definition."""
    rule = trial_response_rule()
    return {name.lower(): int(day) + int(rule.window_days) for name, day in rule.visits.items()}


def _missing_forms(randomized: list[Patient], today: dt.date) -> list[tuple[str, str]]:
    ids = [p.pk for p in randomized]
    with_baseline = set(
        Baseline.objects.filter(patient_id__in=ids).values_list("patient_id", flat=True)
    )
    assessed = set(Assessment.objects.filter(patient_id__in=ids).values_list("patient_id", "visit"))
    visits = response_visits()
    out = []
    for p in randomized:
        url = f"/patients/{p.pk}/crf/"
        if p.pk not in with_baseline:
            out.append((f"{p.code}: " + _("baseline form not entered"), f"{url}baseline/"))
        when = p.allocation.allocated_at  # type: ignore[attr-defined]
        for visit, last_day in visits.items():
            due = when is not None and when.date() + dt.timedelta(days=last_day) < today
            if due and (p.pk, visit) not in assessed:
                text = _("%(visit)s assessment not entered") % {"visit": visit.upper()}
                out.append((f"{p.code}: {text}", f"{url}assessments/"))
    return out


def _query_text(query: Query) -> str:
    """An automatic query's finding in the reader's language; a typed question as typed."""
    from gvhdtrial.i18n import translate_text

    return translate_text(query.message) if query.automatic else query.message


#: The checklist's items: key -> title (the key is what the trail records).
ITEM_TITLES = {
    "open_queries": gettext_lazy("Open or answered queries"),
    "missing_forms": gettext_lazy("Forms missing for randomized patients"),
    "unsigned_casebooks": gettext_lazy("Casebooks not signed by the investigator"),
    "unverified_forms": gettext_lazy("Forms not source-verified"),
}


def lock_checklist(today: dt.date | None = None) -> list[ChecklistItem]:
    """Every item with its count and its first :data:`LISTED` entries (text, link)."""
    from gvhdtrial.web.crf import casebook, sdv
    from gvhdtrial.web.crf.services import TITLES

    today = today or dt.date.today()
    open_queries = Query.objects.filter(status__in=("open", "answered")).select_related("patient")
    queries = [
        (f"{q.patient.code}: {_query_text(q)[:120]} ({label(q.status)})", f"/queries/{q.pk}/")
        for q in open_queries.order_by("patient__code", "id")[:LISTED]
    ]
    randomized = list(
        Patient.objects.filter(allocation__isnull=False)
        .select_related("allocation")
        .order_by("code")
    )
    missing = _missing_forms(randomized, today)
    ids = [p.pk for p in randomized]
    codes = {p.pk: p.code for p in randomized}
    states = casebook.states(ids)
    unsigned = [
        (f"{codes[pid]}: " + (_("signed, then changed") if state == casebook.CHANGED
                              else _("not signed")), f"/patients/{pid}/casebook/")
        for pid, (state, _sig) in states.items() if state != casebook.SIGNED
    ]  # fmt: skip
    marks = sdv.marks_of(ids)
    unverified = [
        (f"{codes[pid]}: {TITLES[slug]} #{obj.pk}", f"/patients/{pid}/crf/{slug}/{obj.pk}/")
        for pid, rows in sorted(sdv.form_rows(ids).items(), key=lambda kv: codes[kv[0]])
        for slug, obj in rows
        if sdv.row_state(obj, marks) != sdv.VERIFIED
    ]
    return [
        ChecklistItem("open_queries", ITEM_TITLES["open_queries"],
                      open_queries.count(), tuple(queries)),
        ChecklistItem("missing_forms", ITEM_TITLES["missing_forms"],
                      len(missing), tuple(missing[:LISTED])),
        ChecklistItem("unsigned_casebooks", ITEM_TITLES["unsigned_casebooks"],
                      len(unsigned), tuple(unsigned[:LISTED])),
        ChecklistItem("unverified_forms", ITEM_TITLES["unverified_forms"],
                      len(unverified), tuple(unverified[:LISTED])),
    ]  # fmt: skip


def open_items(items: list[ChecklistItem]) -> int:
    return sum(item.count for item in items)


def summary(items: list[ChecklistItem]) -> str:
    """One line for the trail and the signature's reason: each item's key and count."""
    return ", ".join(f"{item.key} {item.count}" for item in items)


#: How a confirmed lock's reason records the open items (the trail's and the signature's
#: text, kept in English as recorded; :func:`reason_display` shows it in the reader's language).
_CONFIRMED = " [confirmed with open checklist items: "


def confirmed_reason(reason: str, items: list[ChecklistItem]) -> str:
    return f"{reason.strip()}{_CONFIRMED}{summary(items)}]"


def reason_display(reason: str) -> str:
    """A lock reason in the page's language: the user's words as written, the recorded open
    items (``open_queries 1, ...``) by their titles."""
    head, sep, tail = (reason or "").partition(_CONFIRMED)
    if not sep or not tail.endswith("]"):
        return reason
    parts = []
    for part in tail[:-1].split(", "):
        key, _sep, count = part.rpartition(" ")
        parts.append(f"{ITEM_TITLES[key]} {count}" if key in ITEM_TITLES else part)
    return _("%(reason)s [confirmed with open checklist items: %(items)s]") % {
        "reason": head, "items": "; ".join(parts)}  # fmt: skip
