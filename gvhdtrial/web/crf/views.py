"""CRF pages: thin views over ``crf.services`` (which call the capture core and the gateway)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gvhdtrial.capture import (
    compute_response,
    patient_calendar,
    site_worklist,
    trial_response_rule,
)
from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.capture.models import Baseline
from gvhdtrial.web.crf import sdv, services
from gvhdtrial.web.crf.access import QUERY_RAISE, may_write, require_write
from gvhdtrial.web.crf.forms import FORM_CLASSES, ResponseForm
from gvhdtrial.web.crf.models import ResponseConfirmation
from gvhdtrial.web.crf.records import patient_record, ref
from gvhdtrial.web.errors import NotFound, ServiceError
from gvhdtrial.web.gateway import DatabaseLocked, ReasonRequired
from gvhdtrial.web.pages import page
from gvhdtrial.web.patients.services import get_patient, visible_patients
from gvhdtrial.web.queries.services import describe, visible_queries


def _saved(request: HttpRequest, result: services.SaveResult, what: str) -> None:
    messages.success(request, _("%(what)s saved.") % {"what": what})
    if result.new_queries:
        messages.warning(
            request, ngettext("%(n)s new query raised by the edit checks (see below).",
                              "%(n)s new queries raised by the edit checks (see below).",
                              result.new_queries) % {"n": result.new_queries},
        )  # fmt: skip


def _placed(queries: Any) -> list[Any]:
    out = list(queries)
    for q in out:
        q.place = describe(q)
    return out


@page()
def crf_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    context = services.overview(patient)
    context.update(
        patient=patient,
        writable={f.replace("-", "_"): may_write(actor, f) for f in (*services.FORMS, "response")},
        queries=_placed(visible_queries(actor).filter(patient=patient).exclude(status="closed")),
    )
    return render(request, "crf/patient.html", context)


@page()
def crf_form(request: HttpRequest, patient_id: int, form: str) -> HttpResponse:
    return _form(request, patient_id, form, None)


@page()
def crf_row(request: HttpRequest, patient_id: int, form: str, row_id: int) -> HttpResponse:
    return _form(request, patient_id, form, row_id)


def _form(request: HttpRequest, patient_id: int, form: str, row_id: int | None) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    if form not in FORM_CLASSES:
        raise NotFound(_("No such form."))
    instance = None
    if row_id is not None:
        instance = services.get_row(patient, form, row_id)
    elif form == "baseline":
        instance = Baseline.objects.filter(patient=patient).first()
    editing = instance is not None
    initial = {}
    if form == "assessments" and not editing:
        initial = {
            "weight_kg": patient.weight_kg,
            "bilirubin_unit": "mg/dL",
            "skin_bsa_percent": 0,
            "skin_desquamation_percent": 0,
        }
    if form == "infusions" and instance is not None:
        initial = {"kit_numbers": instance.kit_numbers}
    status = 200
    cls = FORM_CLASSES[form]
    writable = may_write(actor, form)
    # A role that may not enter the form reads it: disabled fields, no reason, no save button.
    f = cls(request.POST or None, instance=instance, initial=initial, editing=editing,
            read_only=not writable)  # fmt: skip
    if request.method == "POST":
        require_write(actor, form)
        if f.is_valid():
            values = f.values()
            if form == "infusions" and editing:
                values.pop("kit_numbers", None)
            try:
                result = services.save_row(
                    actor, patient_id, form, values, row_id=instance.pk if instance else None,
                    reason=f.cleaned_data.get("reason", ""),
                )  # fmt: skip
            except (ServiceError, ReasonRequired, DatabaseLocked) as exc:
                # Shown at its field, the entered values kept (the page is not reloaded).
                status = at_field(f, exc)
            else:
                _saved(request, result, services.TITLES[form])
                return redirect("crf_patient", patient_id=patient_id)
    return render(
        request, "crf/form.html",
        {"patient": patient, "form": f, "slug": form, "title": services.TITLES[form],
         "editing": editing, "writable": writable,
         "fields": _annotated_fields(actor, f, instance, form),
         "can_raise": instance is not None and actor.role in QUERY_RAISE,
         "can_verify": instance is not None and actor.role in sdv.VERIFIERS,
         "row_sdv": sdv.row_state(instance, sdv.marks_of([patient.pk])) if instance else None},
        status=status,
    )  # fmt: skip


def _annotated_fields(actor: Any, f: Any, instance: Any, form: str) -> list[dict[str, Any]]:
    """Each field of the form with its history (who, when, old, new, reason: the audit trail's
    rows of this record) and its open queries, for the markers at the field."""
    history: dict[str, list[Any]] = {}
    queries: dict[str, list[Any]] = {}
    states: dict[str, str] = {}
    if instance is not None:
        marks = sdv.marks_of([instance.patient_id])
        states = {n: sdv.field_state(instance, n, marks) for n in sdv.data_fields(instance)}
        record = ref(instance)
        for e in AuditEntry.objects.filter(record=record).order_by("seq"):
            history.setdefault(e.field, []).append(e)
        for q in visible_queries(actor).filter(record=record).exclude(status="closed"):
            queries.setdefault(q.field, []).append(q)
    return [
        {
            "field": bf,
            "history": history.get(bf.name, []),
            "queries": queries.get(bf.name, []),
            "sdv": states.get(bf.name),
        }
        for bf in f
    ]


def at_field(f: Any, exc: Exception) -> int:
    """Add a service error to the form, at its field when it names one of the form's fields
    (else above the form); returns the HTTP status to answer with."""
    field = getattr(exc, "field", None)
    if isinstance(exc, ReasonRequired):
        field = "reason"
    message = getattr(exc, "message", str(exc))
    f.add_error(field if field in f.fields else None, message)
    return int(getattr(exc, "status", 423 if isinstance(exc, DatabaseLocked) else 422))


@page()
def crf_verify(request: HttpRequest, patient_id: int, form: str, row_id: int) -> HttpResponse:
    """The monitor's SDV mark of one stored row (no ``field``) or of one field of it (POST).
    The patient and the row are looked up first (404 for another site's patient or no such
    row), whatever the method."""
    patient = get_patient(request.actor, patient_id)  # type: ignore[attr-defined]
    if form not in services.FORMS:
        raise NotFound(_("No such form."))
    services.get_row(patient, form, row_id)
    if request.method != "POST":
        return redirect("crf_row", patient_id=patient_id, form=form, row_id=row_id)
    field = request.POST.get("field", "")
    sdv.verify(request.actor, patient_id, form, row_id, field)  # type: ignore[attr-defined]
    messages.success(request, _("Source data verified.") if not field else
                     _("Field verified against the source."))  # fmt: skip
    return redirect("crf_row", patient_id=patient_id, form=form, row_id=row_id)


@page()
def crf_response(request: HttpRequest, patient_id: int, visit: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    if visit not in trial_response_rule().visit_names:
        raise NotFound(_("No such response visit."))
    computed = compute_response(patient_record(patient), visit)
    existing = ResponseConfirmation.objects.filter(patient=patient, visit=visit).first()
    initial = {"confirmed": existing.confirmed if existing else computed.response or "NR"}
    f = ResponseForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_write(actor, "response")
        if f.is_valid():
            result = services.confirm_response(
                actor, patient_id, visit, f.cleaned_data["confirmed"], f.cleaned_data["reason"]
            )
            _saved(request, result, f"{visit} response")
            return redirect("crf_patient", patient_id=patient_id)
    return render(
        request, "crf/response.html",
        {"patient": patient, "visit": visit, "computed": computed, "existing": existing,
         "form": f, "writable": may_write(actor, "response")},
    )  # fmt: skip


@page()
def crf_calendar(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_patient(request.actor, patient_id)  # type: ignore[attr-defined]
    calendar = patient_calendar(patient_record(patient), dt.date.today())
    return render(request, "crf/calendar.html", {"patient": patient, "calendar": calendar})


@page()
def site_visits(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    today = dt.date.today()
    patients = (
        visible_patients(actor)
        .filter(allocation__isnull=False)
        .select_related("site", "allocation", "consent")
    )
    calendars = [c for p in patients if (c := patient_calendar(patient_record(p), today))]
    ids = {p.code: p.pk for p in patients}
    sites = sorted({c.site for c in calendars})
    worklists = [
        {
            "site": w.site,
            "overdue": [(i, ids[i.patient_id]) for i in w.overdue],
            "upcoming": [(i, ids[i.patient_id]) for i in w.upcoming],
        }
        for w in (site_worklist(s, calendars, today) for s in sites)
    ]
    return render(request, "crf/visits.html", {"worklists": worklists, "today": today})


@page()
def record_status(request: HttpRequest) -> HttpResponse:
    """The record status dashboard: patients x forms and key visits, 50 patients a page."""
    from django.core.paginator import Paginator

    from gvhdtrial.web.crf.status import STATUSES, columns, dashboard, summary

    actor = request.actor  # type: ignore[attr-defined]
    patients = visible_patients(actor).select_related("site", "allocation").order_by("code")
    q = request.GET.get("q", "").strip()
    if q:
        patients = patients.filter(code__icontains=q)
    randomized_only = request.GET.get("randomized") == "1"
    if randomized_only:
        patients = patients.filter(allocation__isnull=False)
    pager = Paginator(patients, 50)
    page_obj = pager.get_page(request.GET.get("page"))
    rows = dashboard(list(page_obj.object_list))
    return render(request, "crf/dashboard.html", {
        "rows": rows, "columns": columns(), "statuses": STATUSES, "summary": summary(rows),
        "page_obj": page_obj, "q": q, "randomized_only": randomized_only,
    })  # fmt: skip


class CasebookSignForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password (re-enter to sign)"), widget=forms.PasswordInput,
        max_length=200,
    )  # fmt: skip


@page()
def crf_casebook(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The casebook's e-signature: its state, the stated meaning and, for the patient's site
    investigator, the password to sign (POST)."""
    from gvhdtrial.web.crf import casebook

    actor = request.actor  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_id)
    f = CasebookSignForm(request.POST or None)
    if request.method == "POST" and f.is_valid():
        casebook.sign_casebook(actor, patient.pk, f.cleaned_data["password"], request)
        messages.success(request, _("Casebook signed."))
        return redirect("crf_casebook", patient_id=patient.pk)
    state, last = casebook.states([patient.pk])[patient.pk]
    return render(request, "crf/casebook.html", {
        "patient": patient, "state": state, "last": last, "form": f,
        "meaning": casebook.CASEBOOK_MEANING, "can_sign": actor.role in casebook.SIGNERS,
        "history": patient.signatures.select_related("signed_by").order_by("-signed_at"),
    })  # fmt: skip


@page()
def sae_log(request: HttpRequest) -> HttpResponse:
    """The SAE log: each serious adverse event's reporting clock (awareness, entry, the 24-hour
    deadline, overdue) for the actor's patients; ``?format=csv`` downloads it (UTF-8, coded
    values as stored, times in the trial's time zone; with ``excel=1`` a byte-order mark so
    that Excel reads UTF-8)."""
    import csv
    import io

    from django.utils import timezone

    from gvhdtrial.web.capture.views import EXCEL_BOM

    rows = list(services.sae_reports(request.actor))
    if request.GET.get("format") != "csv":
        return render(request, "crf/sae.html", {"reports": rows})
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["patient_id", "site", "ae_id", "term", "grade", "onset_date", "aware_at",
                "aware_from_onset", "reported_at", "reported_by", "due_at", "overdue"])  # fmt: skip
    tz = timezone.get_default_timezone()
    for r in rows:
        ae = r.adverse_event
        w.writerow([
            ae.patient.code, ae.patient.site.code, ae.ae_id, ae.term or "",
            ae.grade if ae.grade is not None else "",
            ae.onset_date.isoformat() if ae.onset_date else "",
            r.aware_at.astimezone(tz).isoformat(), str(r.aware_from_onset).lower(),
            r.reported_at.astimezone(tz).isoformat(), r.reported_by.username,
            r.due_at.astimezone(tz).isoformat(), str(r.overdue).lower(),
        ])  # fmt: skip
    body = out.getvalue().encode("utf-8")
    if request.GET.get("excel") == "1":
        body = EXCEL_BOM + body
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sae_reports.csv"'
    return response
