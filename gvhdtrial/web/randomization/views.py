"""Schedule pages: for the unblinded statistician only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gvhdtrial.web.pages import error_page, page
from gvhdtrial.web.randomization.models import Schedule, Slot
from gvhdtrial.web.sites.roles import Permission


def _active() -> Schedule | None:
    return Schedule.objects.filter(active=True).order_by("-id").first()


@page(Permission.VIEW_SCHEDULE)
def schedule(request: HttpRequest) -> HttpResponse:
    s = _active()
    if s is None:
        return error_page(request, 404, "No schedule is loaded.")
    slots = (
        Slot.objects.filter(schedule=s).select_related("patient").order_by("stratum", "sequence")
    )
    return render(request, "web/schedule.html", {"schedule": s, "slots": slots[:2000]})


@page(Permission.VIEW_SCHEDULE)
def schedule_csv(request: HttpRequest) -> HttpResponse:
    s = _active()
    if s is None:
        return error_page(request, 404, "No schedule is loaded.")
    response = HttpResponse(bytes(s.csv), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="schedule-{s.sha256[:12]}.csv"'
    return response
