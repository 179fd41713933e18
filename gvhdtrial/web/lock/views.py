"""Database lock page: lock, unlock (with a reason)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.lock.models import DatabaseLock
from gvhdtrial.web.lock.services import lock_database, unlock_database
from gvhdtrial.web.pages import page
from gvhdtrial.web.patients.forms import ReasonForm


@page()
def lock_page(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("do") == "unlock":
            unlock_database(actor, form.cleaned_data["reason"])
            messages.success(request, _("Database unlocked."))
        else:
            lock_database(actor, form.cleaned_data["reason"])
            messages.success(request, _("Database locked: every write is now refused."))
        return redirect("lock")
    return render(request, "web/lock.html", {"lock": DatabaseLock.current(), "form": form})
