"""Query pages: lists (per site, per patient), one query's thread with its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.crf.access import QUERY_ANSWER, QUERY_CLOSE, QUERY_RAISE
from gvhdtrial.web.crf.forms import QueryRaiseForm, QueryReplyForm
from gvhdtrial.web.errors import Invalid, ServiceError
from gvhdtrial.web.labels import label
from gvhdtrial.web.pages import page
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.queries import services

STATUSES = ("open", "answered", "closed")


def _placed(queries: Any) -> list[Any]:
    out = list(queries)
    for q in out:
        q.place = services.describe(q)
    return out


@page()
def query_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    qs = services.visible_queries(actor).select_related("created_by")
    status = request.GET.get("status", "")
    site = request.GET.get("site", "")
    if status in STATUSES:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(patient__site__code=site)
    context = {"queries": _placed(qs[:500]), "status": status, "site": site,
               "statuses": STATUSES}  # fmt: skip
    return render(request, "queries/list.html", context)


@page()
def patient_queries(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's queries; with ``?form=&row=&field=`` (the link next to a field of a form)
    the form to raise a query on that field."""
    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    source = request.POST if request.method == "POST" else request.GET
    target = {k: source.get(k, "") for k in ("form", "row", "field")}
    form = QueryRaiseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if actor.role not in QUERY_RAISE:
            raise services.Forbidden("Only the data manager raises queries by hand.")
        if form.is_valid():
            row = int(target["row"]) if target["row"].isdigit() else None
            try:
                query = services.raise_query(
                    actor, patient_id, form.cleaned_data["text"], form=target["form"],
                    field=target["field"], row_id=row,
                )  # fmt: skip
            except ServiceError as exc:
                form.add_error("text", exc.message)
                status = exc.status
            else:
                messages.success(request, _("Query raised."))
                return redirect("query", query_id=query.pk)
        else:
            status = 422
    place = _target_place(target, patient.pk) if target["form"] and target["field"] else None
    return render(request, "queries/patient.html", {
        "patient": patient, "form": form, "target": target, "place": place,
        "queries": _placed(services.visible_queries(actor).filter(patient=patient)
                           .select_related("created_by")),
        "can_raise": actor.role in QUERY_RAISE,
    }, status=status)  # fmt: skip


def _target_place(target: dict[str, str], patient_pk: int) -> services.QueryPlace | None:
    from gvhdtrial.web.capture.fields import field_label
    from gvhdtrial.web.crf.services import FORMS, TITLES

    if target["form"] not in FORMS:
        return None
    table = FORMS[target["form"]][1]
    try:
        name = field_label(table, target["field"])
    except KeyError:
        return None
    row = f"{target['row']}/" if target["row"].isdigit() else ""
    url = f"/patients/{patient_pk}/crf/{target['form']}/{row}"
    return services.QueryPlace(str(TITLES[target["form"]]), name, url)


@page()
def query_detail(request: HttpRequest, query_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    query = services.get_query(actor, query_id)
    form = QueryReplyForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        text = form.data.get("text", "")
        if action == "answer":
            services.answer_query(actor, query_id, text)
        elif action == "close":
            services.close_query(actor, query_id, text)
        elif action == "reopen":
            services.reopen_query(actor, query_id, text)
        else:
            raise Invalid(_("Choose answer, close or reopen."))
        messages.success(
            request,
            _("Query %(number)s: %(action)s recorded.")
            % {"number": query_id, "action": label(action)},
        )
        return redirect("query", query_id=query_id)
    query.place = services.describe(query)  # type: ignore[attr-defined]
    return render(request, "queries/detail.html", {
        "query": query, "thread": query.thread.select_related("by"), "form": form,
        "can_answer": actor.role in QUERY_ANSWER and query.status == "open",
        "can_close": actor.role in QUERY_CLOSE and query.status != "closed",
        "can_reopen": actor.role in (QUERY_CLOSE | QUERY_RAISE) and query.status != "open",
    })  # fmt: skip
