"""Patient pages: list, screening, detail (consent, randomize, dispense, unblinding)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gvhdtrial.supply import bags_for_infusion
from gvhdtrial.web.pages import page
from gvhdtrial.web.patients import services
from gvhdtrial.web.patients.forms import ConsentForm, DispenseForm, ScreeningForm, UnblindForm
from gvhdtrial.web.sites.roles import Permission
from gvhdtrial.web.trialdef.services import definition_for

#: The patient list's status filter: value -> (label, queryset filter).
LIST_STATUSES: dict[str, tuple[Any, dict[str, Any]]] = {
    "randomized": (gettext_lazy("randomized"), {"allocation__isnull": False}),
    "eligible": (gettext_lazy("eligible, not randomized"),
                 {"screening__eligible": True, "allocation__isnull": True}),
    "ineligible": (gettext_lazy("not eligible"), {"screening__eligible": False}),
    "no-consent": (gettext_lazy("no consent yet"), {"consent__isnull": True}),
}  # fmt: skip


@page()
def patient_list(request: HttpRequest) -> HttpResponse:
    """Patients with search (patient or randomization number), a status filter and paging."""
    patients = (
        services.visible_patients(request.actor)
        .select_related(  # type: ignore[attr-defined]
            "site", "screening", "consent", "allocation", "emergency_unblinding"
        )
        .order_by("code")
    )
    q = request.GET.get("q", "").strip()
    if q:
        match = Q(code__icontains=q) | Q(site__code__iexact=q)
        number = re.fullmatch(r"(.+)-R(\d+)", q)  # a randomization number, e.g. C01-R0007
        if number:
            match |= Q(allocation__stratum=number[1], allocation__sequence=int(number[2]))
        patients = patients.filter(match)
    status = request.GET.get("status", "")
    if status in LIST_STATUSES:
        patients = patients.filter(**LIST_STATUSES[status][1])
    page_obj = Paginator(patients, 50).get_page(request.GET.get("page"))
    return render(request, "web/patients.html", {
        "patients": page_obj.object_list, "page_obj": page_obj, "q": q, "status": status,
        "statuses": [(k, v[0]) for k, v in LIST_STATUSES.items()],
    })  # fmt: skip


@page(Permission.SCREEN)
def patient_new(request: HttpRequest) -> HttpResponse:
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = services.screen_patient(
            request.actor,  # type: ignore[attr-defined]
            weight_kg=form.cleaned_data["weight_kg"],
            answers=form.answers(),
            consent_date=form.cleaned_data["consent_date"],
        )
        messages.success(request, _("Patient %(code)s screened.") % {"code": patient.code})
        return redirect("patient", patient_id=patient.pk)
    return render(request, "web/patient_new.html", {"form": form})


@page()
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = services.get_patient(request.actor, patient_id)  # type: ignore[attr-defined]
    from gvhdtrial.web.supply.models import Kit

    kits = Kit.objects.filter(patient=patient).order_by("infusion_number", "tracking_number")
    return render(
        request,
        "web/patient.html",
        {
            "patient": patient,
            "screening": getattr(patient, "screening", None),
            "consent": getattr(patient, "consent", None),
            "allocation": getattr(patient, "allocation", None),
            "unblinding": getattr(patient, "emergency_unblinding", None),
            "kits": kits,
            "bags": bags_for_infusion(float(patient.weight_kg), definition_for(patient).dosing),
            "consent_form": ConsentForm(),
            "dispense_form": DispenseForm(),
        },
    )


@require_POST
@page(Permission.CONSENT)
def patient_consent(request: HttpRequest, patient_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.record_consent(request.actor, patient_id, form.cleaned_data["consent_date"])  # type: ignore[attr-defined]
        messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _("Enter the date consent was signed."))
    return redirect("patient", patient_id=patient_id)


@page(Permission.RANDOMIZE)
def patient_randomize(request: HttpRequest, patient_id: int) -> HttpResponse:
    """GET: the confirmation page (stratum, eligibility, consent restated); POST: randomize."""
    from gvhdtrial.web.randomization.services import patient_stratum, randomize

    patient = services.get_patient(request.actor, patient_id)  # type: ignore[attr-defined]
    if request.method != "POST":
        screening = getattr(patient, "screening", None)
        consent = getattr(patient, "consent", None)
        factors = settings.GVHDTRIAL["stratification_factors"]  # type: ignore[attr-defined]
        return render(
            request, "web/randomize_confirm.html",
            {"patient": patient, "screening": screening, "consent": consent,
             "allocation": getattr(patient, "allocation", None),
             "stratum": patient_stratum(patient, factors) if screening else "",
             "ready": bool(screening and screening.eligible and consent)},
        )  # fmt: skip
    result = randomize(
        request.actor,
        patient_id,
        settings.GVHDTRIAL["stratification_factors"],  # type: ignore[attr-defined]
    )
    if result.already_randomized:
        messages.info(
            request, _("Already randomized: %(number)s.") % {"number": result.randomization_number}
        )
    else:
        messages.success(
            request,
            _("Randomized: randomization number %(number)s.")
            % {"number": result.randomization_number},
        )
    return redirect("patient", patient_id=patient_id)


@require_POST
@page(Permission.DISPENSE)
def patient_dispense(request: HttpRequest, patient_id: int) -> HttpResponse:
    from gvhdtrial.web.supply.services import dispense

    form = DispenseForm(request.POST)
    if form.is_valid():
        result = dispense(
            request.actor, patient_id, form.cleaned_data["infusion_number"],  # type: ignore[attr-defined]
            form.cleaned_data["on_date"],
        )  # fmt: skip
        kits = ", ".join(result.tracking_numbers)
        messages.success(
            request, _("Infusion %(number)s: dispense kit(s) %(kits)s (%(dose)s x 10^6 cells/kg).")
            % {"number": result.infusion_number, "kits": kits,
               "dose": f"{result.delivered_cells_per_kg / 1e6:.2f}"},
        )  # fmt: skip
    else:
        messages.error(request, _("Enter the infusion number (1-16) and date."))
    return redirect("patient", patient_id=patient_id)


@page(Permission.EMERGENCY_UNBLIND)
def patient_unblind(request: HttpRequest, patient_id: int) -> HttpResponse:
    from gvhdtrial.web.unblinding.services import emergency_unblind

    patient = services.get_patient(request.actor, patient_id)  # type: ignore[attr-defined]
    form = UnblindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = emergency_unblind(
            request.actor,
            patient_id,
            form.cleaned_data["reason"],
            form.cleaned_data["password"],  # type: ignore[attr-defined]
            request=request,
        )
        return render(request, "web/unblinded.html", {"patient": patient, "result": result})
    return render(request, "web/unblind.html", {"patient": patient, "form": form})
