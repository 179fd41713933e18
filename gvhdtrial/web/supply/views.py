"""Supply pages: site stock with resupply alerts, kits (numbers only), chain of custody."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvhdtrial.supply import CustodyAction
from gvhdtrial.web.labels import LABELS, label
from gvhdtrial.web.pages import page
from gvhdtrial.web.supply import services


class CustodyForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[
            (a.value, LABELS[a.value]) for a in CustodyAction if a is not CustodyAction.DISPENSE
        ],
    )
    on_date = forms.DateField(label=gettext_lazy("Date"),
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              initial=lambda: timezone.now().date())  # fmt: skip
    site = forms.CharField(label=gettext_lazy("Site"), required=False, max_length=16,
                           help_text=gettext_lazy("destination (ship only)"))  # fmt: skip
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


@page()
def stock(request: HttpRequest) -> HttpResponse:
    levels = services.stock_levels(request.actor)  # type: ignore[attr-defined]
    return render(request, "web/stock.html", {"levels": levels})


@page()
def kit_list(request: HttpRequest) -> HttpResponse:
    kits = services.visible_kits(request.actor)  # type: ignore[attr-defined]
    status = request.GET.get("status")
    if status:
        kits = kits.filter(status=status)
    return render(request, "web/kits.html", {"kits": kits[:500], "status": status or ""})


@page()
def kit_detail(request: HttpRequest, tracking_number: str) -> HttpResponse:
    kit = services.get_kit(request.actor, tracking_number)  # type: ignore[attr-defined]
    form = CustodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.custody(
            request.actor, tracking_number, CustodyAction(form.cleaned_data["action"]),  # type: ignore[attr-defined]
            form.cleaned_data["on_date"], form.cleaned_data["site"] or None,
            form.cleaned_data["note"],
        )  # fmt: skip
        messages.success(
            request,
            _("Kit %(number)s: %(action)s recorded.")
            % {"number": tracking_number, "action": label(form.cleaned_data["action"])},
        )
        return redirect("kit", tracking_number=tracking_number)
    events = kit.custody.select_related("site", "patient", "by")
    return render(request, "web/kit.html", {"kit": kit, "events": events, "form": form})
