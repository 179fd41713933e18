"""Database lock page: lock and unlock, each e-signed (reason, stated meaning, password)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.lock.checklist import lock_checklist, open_items
from gvhdtrial.web.lock.forms import SignatureForm
from gvhdtrial.web.lock.models import DatabaseLock, Signature
from gvhdtrial.web.lock.services import MEANINGS, lock_database, unlock_database
from gvhdtrial.web.pages import page
from gvhdtrial.web.unblinding.models import trial_is_unblinded


@page()
def lock_page(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason, password = form.cleaned_data["reason"], form.cleaned_data["password"]
        if request.POST.get("do") == "unlock":
            unlock_database(actor, reason, password, request)
            messages.success(request, _("Database unlocked."))
        else:
            lock_database(actor, reason, password, request,
                          confirmed=request.POST.get("confirmed") == "1")  # fmt: skip
            messages.success(request, _("Database locked: every write is now refused."))
        return redirect("lock")
    items = lock_checklist() if not DatabaseLock.current().locked else []
    return render(
        request,
        "web/lock.html",
        {
            "checklist": items,
            "open_items": open_items(items),
            "lock": DatabaseLock.current(),
            "form": form,
            "meanings": MEANINGS,
            "unblinded": trial_is_unblinded(),
            "signatures": Signature.objects.select_related("by").order_by("-at")[:20],
        },
    )
