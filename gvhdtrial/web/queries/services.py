"""Queries: raised by edit checks on save (``sync_findings``) or by hand, answered by the site,
closed by the data manager only. Every change goes through the gateway (audited)."""

from __future__ import annotations

from collections.abc import Iterable

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
    for key, f in current.items():
        if key in live:
            continue
        query = Query.objects.create(
            patient=patient, record=key[0], table=f.table, field=f.field, check_id=f.check,
            severity=f.severity, message=f.message, source=f.source, status="open",
            created_at=audit.now, created_by_id=user_id, updated_at=audit.now,
        )  # fmt: skip
        audit.created(query)
        _message(audit, query, "raise", f.message, user_id)
        created.append(query)
    for key, query in live.items():
        if key not in current and query.status == "open":
            before = snapshot(query)
            query.status, query.updated_at = "answered", audit.now
            query.save(update_fields=["status", "updated_at"])
            audit.changed(query, before, reason="edit check passes after a change of data")
            _message(audit, query, "resolved", SYSTEM_NOTE, user_id)
    return created


def raise_query(
    actor: Actor, patient_id: int, text: str, *, record: str = "", table: str = "", field: str = ""
) -> Query:
    if actor.role not in QUERY_RAISE:
        raise Forbidden(_("Only the data manager raises queries by hand."))
    if not text.strip():
        raise Invalid(_("Write the question."))
    patient = get_patient(actor, patient_id)
    with write(actor, reason="query raised") as audit:
        query = Query.objects.create(
            patient=patient, record=record[:80], table=(table or "patient")[:40],
            field=field[:60], check_id="manual", message=text, source=f"raised by {actor.username}",
            status="open", created_at=audit.now, created_by_id=actor.user_id,
            updated_at=audit.now,
        )  # fmt: skip
        audit.created(query)
        _message(audit, query, "raise", text, actor.user_id)
    return query


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
