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
    """The user's own notifications, newest first (unread marked); "mark all read"."""
    from gvhdtrial.web.notifications import mark_read

    if request.method == "POST" and request.POST.get("action") == "read_all":
        n = mark_read(request.user)
        messages.success(request, _("%(n)d notifications marked read.") % {"n": n})
        return redirect("notifications")
    show = request.GET.get("show", "")
    qs = request.user.notifications.all()
    if show == "unread":
        qs = qs.filter(read=False)
    items = list(qs[:200])
    return render(request, "web/notifications.html", {"items": items, "show": show})


@page()
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open one of the user's notifications: marked read, then to the thing it is about
    (another user's notification is not found)."""
    from gvhdtrial.web.errors import NotFound
    from gvhdtrial.web.notifications import mark_read

    note = request.user.notifications.filter(pk=notification_id).first()
    if note is None:
        raise NotFound(_("No such notification."))
    mark_read(request.user, note.pk)
    link = note.link if note.link.startswith("/") and not note.link.startswith("//") else ""
    return redirect(link or "notifications")


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
