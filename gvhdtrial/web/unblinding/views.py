"""Notifications, emergency unblinding records and trial-level unblinding."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.pages import page
from gvhdtrial.web.sites.roles import SITE_ROLES, Permission
from gvhdtrial.web.unblinding.models import EmergencyUnblinding, TrialUnblinding


@page()
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(request.user.notifications.all()[:200])
    return render(request, "web/notifications.html", {"items": items})


@page()
def unblinding_log(request: HttpRequest) -> HttpResponse:
    """Who unblinded which patient, when and why (never the arm)."""
    actor = request.actor  # type: ignore[attr-defined]
    records = EmergencyUnblinding.objects.select_related("patient__site", "by").order_by("-at")
    if actor.role in SITE_ROLES:
        records = records.filter(patient__site__code=actor.site_code)
    trial = TrialUnblinding.objects.select_related("by").first()
    return render(request, "web/unblinding_log.html", {"records": records, "trial": trial})


@page(Permission.TRIAL_UNBLIND)
def trial_unblinding(request: HttpRequest) -> HttpResponse:
    from gvhdtrial.web.lock.forms import SignatureForm
    from gvhdtrial.web.lock.services import MEANINGS
    from gvhdtrial.web.unblinding.services import trial_unblind

    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        trial_unblind(
            request.actor,  # type: ignore[attr-defined]
            form.cleaned_data["reason"],
            form.cleaned_data["password"],
            request,
        )
        messages.success(request, _("The trial is unblinded."))
        return redirect("unblinding_log")
    return render(
        request,
        "web/trial_unblinding.html",
        {"form": form, "meaning": MEANINGS["trial_unblind"]},
    )
