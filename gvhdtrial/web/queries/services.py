"""Queries: raised by edit checks on save (``sync_findings``) or by hand, answered by the site,
closed by the data manager only. Every change goes through the gateway (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gvhdtrial.capture import Finding
from gvhdtrial.web.crf.access import QUERY_ANSWER, QUERY_CLOSE, QUERY_RAISE
from gvhdtrial.web.errors import Forbidden, Invalid, NotFound, Refused
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.queries.models import Query, QueryMessage
from gvhdtrial.web.sites.roles import SITE_ROLES, Actor

SYSTEM_NOTE = "resolved by a change of the data; the data manager closes it"
#: The account automatic queries are credited to (an edit check, not the person who saved).
SYSTEM_USERNAME = "system"


def system_user_id(audit: AuditBatch) -> int:
    """The system account (inactive, no password, no role): it raises automatic queries. It is
    created, the first time, inside the caller's audited write (so the trail reconciles)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = get_user_model()(username=SYSTEM_USERNAME, is_active=False)
        user.set_unusable_password()
        user.save()
        audit.created(user)
    return int(user.pk)


def visible_queries(actor: Actor) -> QuerySet[Query]:
    qs = Query.objects.select_related("patient__site")
    if actor.role in SITE_ROLES:
        qs = qs.filter(patient__site__code=actor.site_code)
    return qs


def get_query(actor: Actor, query_id: int) -> Query:
    query = visible_queries(actor).filter(pk=query_id).first()
    if query is None:
        raise NotFound(_("No such query."))
    return query


def _message(audit: AuditBatch, query: Query, action: str, text: str, user_id: int) -> None:
    msg = QueryMessage.objects.create(query=query, action=action, text=text, at=audit.now,
                                      by_id=user_id)  # fmt: skip
    audit.created(msg)


def _key(record: str, field: str, check: str) -> tuple[str, str, str]:
    return (record, field, check)


def sync_findings(
    audit: AuditBatch, patient: Patient, findings: Iterable[Finding], user_id: int
) -> list[Query]:
    """Inside the saving transaction: open a query for each new finding; a still-open automatic
    query whose finding is gone is marked answered (the data manager closes it)."""
    current = {_key(f.ref or f"{f.table}:patient", f.field, f.check): f for f in findings}
    live = {
        _key(q.record, q.field, q.check_id): q
        for q in Query.objects.filter(patient=patient).exclude(check_id="manual")
        .exclude(status="closed")
    }  # fmt: skip
    created = []
    system = None
    for key, f in current.items():
        if key in live:
            continue
        system = system or system_user_id(audit)
        query = Query.objects.create(
            patient=patient, record=key[0], table=f.table, field=f.field, check_id=f.check,
            severity=f.severity, message=f.message, source=f.source, status="open",
            created_at=audit.now, created_by_id=system, updated_at=audit.now,
        )  # fmt: skip
        audit.created(query)
        _message(audit, query, "raise", f.message, system)
        created.append(query)
    for key, query in live.items():
        if key not in current and query.status == "open":
            before = snapshot(query)
            query.status, query.updated_at = "answered", audit.now
            query.save(update_fields=["status", "updated_at"])
            audit.changed(query, before, reason="edit check passes after a change of data")
            _message(audit, query, "resolved", SYSTEM_NOTE, system_user_id(audit))
    if created:
        from gvhdtrial.web.notifications import queries_raised

        queries_raised(audit, patient, created)
    return created


def raise_query(
    actor: Actor, patient_id: int, text: str, *, form: str, field: str, row_id: int | None = None
) -> Query:
    """A query raised by hand on one field of one stored CRF row (the baseline form needs no
    row id): free text that points at nothing is refused."""
    from gvhdtrial.web.capture.models import Baseline
    from gvhdtrial.web.crf.records import ref
    from gvhdtrial.web.crf.services import FORMS, get_row

    if actor.role not in QUERY_RAISE:
        raise Forbidden(_("Only the data manager raises queries by hand."))
    if not text.strip():
        raise Invalid(_("Write the question."), field="text")
    patient = get_patient(actor, patient_id)
    if form not in FORMS:
        raise Invalid(_("Raise the query from a field of a form."), field="text")
    model, table, _number = FORMS[form]
    if form == "baseline" and row_id is None:
        row = Baseline.objects.filter(patient=patient).first()
        if row is None:
            raise NotFound(_("The baseline form is not entered yet."))
    elif row_id is None:
        raise Invalid(_("Raise the query from a field of a saved record."), field="text")
    else:
        row = get_row(patient, form, row_id)
    names = {f.name for f in model._meta.concrete_fields} - {"id", "patient"}
    if field not in names:
        raise Invalid(_("The form has no such field."), field="text")
    with write(actor, reason="query raised") as audit:
        query = Query.objects.create(
            patient=patient, record=ref(row), table=table, field=field, check_id="manual",
            message=text, source="", status="open", created_at=audit.now,
            created_by_id=actor.user_id, updated_at=audit.now,
        )  # fmt: skip
        audit.created(query)
        _message(audit, query, "raise", text, actor.user_id)
        from gvhdtrial.web.notifications import queries_raised

        queries_raised(audit, patient, [query])
    return query


@dataclass(frozen=True)
class QueryPlace:
    """Where a query points, in the words of the forms: the form's title, the field's data
    dictionary label and the link to the form (no model name, record id or code path)."""

    form: str
    field: str
    url: str


def describe(query: Query) -> QueryPlace:
    from gvhdtrial.web.capture.fields import field_label
    from gvhdtrial.web.crf.services import FORMS, TITLES

    by_table = {table: slug for slug, (_m, table, _n) in FORMS.items()}
    by_model = {model._meta.label_lower: slug for slug, (model, _t, _n) in FORMS.items()}
    label, _sep, pk = query.record.partition(":")
    slug = by_model.get(label) or by_table.get(query.table)
    base = f"/patients/{query.patient_id}/crf/"
    if slug is None:
        return QueryPlace(_("Patient record"), _field(query.table, query.field), base)
    url = f"{base}{slug}/{pk}/" if label in by_model and pk.isdigit() else base
    table = FORMS[slug][1]
    try:
        name = field_label(table, query.field) if query.field else ""
    except KeyError:
        name = _field(query.table, query.field)
    return QueryPlace(str(TITLES[slug]), name, url)


def _field(table: str, field: str) -> str:
    from gvhdtrial.web.capture.fields import field_label

    try:
        return field_label(table, field) if field else ""
    except KeyError:
        from gvhdtrial.web.labels import LABELS

        return str(LABELS.get(f"{table}.{field}", field.replace("_", " ")))


def _transition(actor: Actor, query_id: int, action: str, text: str, to: str) -> Query:
    query = get_query(actor, query_id)
    with write(actor, reason=f"query {action}") as audit:
        query = Query.objects.select_for_update(of=("self",)).get(pk=query.pk)
        if action == "answer" and query.status != "open":
            raise Refused(f"The query is {query.status}; only an open query is answered.")
        if action == "close" and query.status == "closed":
            raise Refused(_("The query is already closed."))
        if action == "reopen" and query.status == "open":
            raise Refused(_("The query is already open."))
        before = snapshot(query)
        query.status, query.updated_at = to, audit.now
        query.save(update_fields=["status", "updated_at"])
        audit.changed(query, before, reason=f"query {action}: {text}"[:500])
        _message(audit, query, action, text, actor.user_id)
    return query


def answer_query(actor: Actor, query_id: int, text: str) -> Query:
    if actor.role not in QUERY_ANSWER:
        raise Forbidden(_("Only the site (investigator or pharmacist) answers a query."))
    if not text.strip():
        raise Invalid(_("Write the answer."))
    return _transition(actor, query_id, "answer", text, "answered")


def close_query(actor: Actor, query_id: int, text: str = "") -> Query:
    if actor.role not in QUERY_CLOSE:
        raise Forbidden(_("Only the data manager closes a query."))
    return _transition(actor, query_id, "close", text or "closed", "closed")


def reopen_query(actor: Actor, query_id: int, text: str) -> Query:
    if actor.role not in QUERY_CLOSE | QUERY_RAISE:
        raise Forbidden(_("Only the data manager reopens a query."))
    if not text.strip():
        raise Invalid(_("Say why the query is reopened."))
    return _transition(actor, query_id, "reopen", text, "open")
