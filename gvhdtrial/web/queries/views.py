"""Query pages: lists (per site, per patient), one query's thread with its actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.crf.access import QUERY_ANSWER, QUERY_CLOSE, QUERY_RAISE
from gvhdtrial.web.crf.forms import QueryRaiseForm, QueryReplyForm
from gvhdtrial.web.errors import Invalid
from gvhdtrial.web.labels import label
from gvhdtrial.web.pages import page
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.queries import services

STATUSES = ("open", "answered", "closed")


@page()
def query_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    qs = services.visible_queries(actor)
    status = request.GET.get("status", "")
    site = request.GET.get("site", "")
    if status in STATUSES:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(patient__site__code=site)
    context = {"queries": qs[:500], "status": status, "site": site, "statuses": STATUSES}
    return render(request, "queries/list.html", context)


@page()
def patient_queries(request: HttpRequest, patient_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    form = QueryRaiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        query = services.raise_query(actor, patient_id, d["text"], record=d["record"],
                                     field=d["field"])  # fmt: skip
        messages.success(request, _("Query %(number)s raised.") % {"number": query.pk})
        return redirect("query", query_id=query.pk)
    if request.method == "POST" and actor.role not in QUERY_RAISE:
        raise services.Forbidden("Only the data manager raises queries by hand.")
    return render(request, "queries/patient.html", {
        "patient": patient, "queries": services.visible_queries(actor).filter(patient=patient),
        "form": form, "can_raise": actor.role in QUERY_RAISE,
    })  # fmt: skip


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
    return render(request, "queries/detail.html", {
        "query": query, "thread": query.thread.select_related("by"), "form": form,
        "can_answer": actor.role in QUERY_ANSWER and query.status == "open",
        "can_close": actor.role in QUERY_CLOSE and query.status != "closed",
        "can_reopen": actor.role in (QUERY_CLOSE | QUERY_RAISE) and query.status != "open",
    })  # fmt: skip
