"""Supply pages: site stock with resupply alerts, kits (numbers only), chain of custody."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvhdtrial.supply import CustodyAction, KitStatus
from gvhdtrial.web.errors import Invalid
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


def kit_filter(query: QueryDict) -> services.KitFilter:
    """The kit list's filters from a query string (bad values give one clear error)."""
    within = query.get("expires_within", "").strip()
    if within and not (within.isdigit() and int(within) <= 3650):
        raise Invalid(f"expires_within: {within!r}; expected a number of days from 0 to 3650")
    return services.KitFilter(
        status=query.get("status", "").strip()[:16],
        site=query.get("site", "").strip()[:16],
        lot=query.get("lot", "").strip()[:32],
        expires_within_days=int(within) if within else None,
        search=query.get("q", "").strip()[:32],
    )


@page()
def kit_list(request: HttpRequest) -> HttpResponse:
    """Kits with paging, filters (status, site, lot, expiry window) and search by number;
    ``?expires_within=N`` lists the kits expiring within N days, soonest first."""
    f = kit_filter(request.GET)
    kits = services.filtered_kits(request.actor, f)  # type: ignore[attr-defined]
    paginator = Paginator(kits, services.KIT_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/kits.html",
        {
            "kits": page_obj,
            "page": page_obj,
            "f": f,
            "query": params.urlencode(),
            "statuses": [s.value for s in KitStatus],
            "total": paginator.count,
        },
    )


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
