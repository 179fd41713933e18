"""Schedule pages: for the unblinded statistician only (the sealed record is opened here)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gvhdtrial.randomization import read_schedule_csv
from gvhdtrial.web.pages import page
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.randomization.services import schedule_export
from gvhdtrial.web.sites.roles import Permission


@page(Permission.VIEW_SCHEDULE)
def schedule(request: HttpRequest) -> HttpResponse:
    stored, meta, csv = schedule_export(request.actor)  # type: ignore[attr-defined]
    taken = {
        (st, seq): code
        for st, seq, code in Slot.objects.filter(
            schedule=stored, patient__isnull=False
        ).values_list("stratum", "sequence", "patient__code")
    }
    rows = [(s, taken.get((s.stratum, s.sequence), "")) for s in read_schedule_csv(csv)[:2000]]
    params = {k: v for k, v in meta.items() if k not in ("sha256",)}
    return render(
        request,
        "web/schedule.html",
        {"schedule": stored, "meta": meta, "params": json.dumps(params, indent=2), "rows": rows},
    )


def _download(request: HttpRequest, which: str) -> HttpResponse:
    _, meta, csv = schedule_export(request.actor)  # type: ignore[attr-defined]
    stem = f"schedule-{meta['sha256'][:12]}"
    if which == "csv":
        response = HttpResponse(csv, content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    else:
        body = json.dumps(meta, indent=2, sort_keys=True) + "\n"
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{stem}.meta.json"'
    response["Cache-Control"] = "no-store"
    return response


@page(Permission.VIEW_SCHEDULE)
def schedule_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@page(Permission.VIEW_SCHEDULE)
def schedule_meta(request: HttpRequest) -> HttpResponse:
    """The schedule's seed, parameters and digest, for the trial master file."""
    return _download(request, "meta")
