"""Data review (pooled, blinded), exports and the analysis report: thin views over the core.

- ``/review/``: every role; counts by site and visit and the analysis's pooled tables computed
  from a blinded export (``gvhdtrial.analysis`` in blinded mode). Site roles see their own
  site's counts and tables only.
- ``/exports/``: the export log; a POST downloads a zip of a fresh export (blinded for every
  role but the statistician after trial-level unblinding). Site roles and the monitor may not
  export.
- ``/report/``: the analysis report (HTML from ``gvhdtrial.report``), for the statistician once
  the database is locked and the trial unblinded: built once per data version in the
  background (``report_build``), its progress shown until it is served from disk.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gvhdtrial import i18n
from gvhdtrial.data import TrialDataError, load_trial
from gvhdtrial.data.loader import readme_text
from gvhdtrial.web.capture.exports import export_trial, may_export_unblinded
from gvhdtrial.web.capture.models import Assessment, ExportLog
from gvhdtrial.web.capture.report_build import ensure_build, report_dir
from gvhdtrial.web.capture.review import pooled_review
from gvhdtrial.web.lock.models import database_is_locked
from gvhdtrial.web.pages import error_page, page
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.sites.roles import READ_ONLY_ROLES, SITE_ROLES, Actor, Role
from gvhdtrial.web.unblinding.models import trial_is_unblinded

log = logging.getLogger("gvhdtrial.capture")

#: The UTF-8 byte order mark: Excel opens a CSV as UTF-8 (Chinese text intact) only after it.
EXCEL_BOM = b"\xef\xbb\xbf"


def _counts(actor: Actor) -> dict[str, Any]:
    patients = Patient.objects.all()
    assessments = Assessment.objects.all()
    if actor.role in SITE_ROLES:
        patients = patients.filter(site__code=actor.site_code)
        assessments = assessments.filter(patient__site__code=actor.site_code)
    by_site = list(
        patients.values("site__code", "site__name", "site__name_zh")
        .annotate(screened=Count("id", distinct=True), randomized=Count("allocation"))
        .order_by("site__code")
    )
    zh = i18n.current() == "zh"
    for row in by_site:
        row["name"] = (zh and row["site__name_zh"]) or row["site__name"]
    cells = Counter(
        (row["patient__site__code"], row["visit"])
        for row in assessments.values("patient__site__code", "visit")
    )
    visits = sorted({v for _, v in cells}, key=_visit_order)
    sites = sorted({s for s, _ in cells})
    grid = [(s, [cells.get((s, v), 0) for v in visits]) for s in sites]
    return {"by_site": by_site, "visits": visits, "grid": grid}


def _visit_order(visit: str) -> tuple[int, int]:
    named = {"screening": 0, "steroid_start": 1, "baseline": 2}
    if visit in named:
        return (0, named[visit])
    if visit.startswith("d") and visit[1:].isdigit():
        return (1, int(visit[1:]))
    return (2, 0)


@page()
def data_review(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    # A site role's review is made from its own site's patients only (issue 10).
    review = pooled_review(actor.site_code if actor.role in SITE_ROLES else None)
    if actor.role in SITE_ROLES and review.get("problems"):
        # A value may belong to another site's patient: a site role sees where, not what.
        review = {**review, "problems": [{**p, "value": ""} for p in review["problems"]]}
    context = {**_counts(actor), "review": review}
    return render(request, "capture/review.html", context)


@page()
def exports(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if actor.role in SITE_ROLES:
        return error_page(
            request, 403, _("Exports hold every site's data: site roles may not export.")
        )
    if actor.role in READ_ONLY_ROLES:
        return error_page(
            request, 403, _("The monitor reviews data in the service and does not export it.")
        )
    unblinded_allowed = may_export_unblinded(actor)
    if request.method == "POST":
        blinded = not (unblinded_allowed and request.POST.get("unblinded") == "1")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
        kind = "blinded" if blinded else "unblinded"
        folder = Path(settings.HOME) / "exports" / f"{stamp}-{actor.username}-{kind}"
        try:
            log = export_trial(actor, folder, blinded=blinded)
        except TrialDataError as exc:  # the data break a rule: say which, not a server error
            problems = "; ".join(str(p) for p in exc.problems[:5])
            return error_page(
                request, 422, f"The data do not export ({len(exc.problems)}): {problems}"
            )
        excel = request.POST.get("excel") == "1"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(Path(log.destination).iterdir()):
                if excel and path.suffix == ".csv":  # Excel reads UTF-8 only after a BOM
                    z.writestr(f"{folder.name}/{path.name}", EXCEL_BOM + path.read_bytes())
                else:
                    z.write(path, f"{folder.name}/{path.name}")
            if i18n.current() == "zh":  # the README in the reader's language too
                info = load_trial(Path(log.destination)).info
                z.writestr(f"{folder.name}/README.zh-Hans.md", readme_text(info, "zh"))
        buf.seek(0)
        return FileResponse(buf, as_attachment=True, filename=f"{folder.name}.zip")
    logs = ExportLog.objects.select_related("by").order_by("-at")[:50]
    return render(
        request, "capture/exports.html", {"logs": logs, "unblinded_allowed": unblinded_allowed}
    )


@page()
def analysis_report(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    ready = database_is_locked() and trial_is_unblinded()
    if actor.role is not Role.STATISTICIAN or not ready:
        return error_page(
            request,
            403,
            _(
                "The analysis report opens to the unblinded statistician after the database is "
                "locked and the trial is unblinded. Until then, see the pooled data review."
            ),
        )
    st = ensure_build(actor.username, retry=request.method == "POST")
    if st["state"] == "ready":
        lang = i18n.current()
        folder = report_dir(st["version"])
        folder = folder / lang if lang != "en" and (folder / lang).exists() else folder
        return FileResponse(open(folder / "report.html", "rb"), content_type="text/html")
    status = 500 if st["state"] == "failed" else 202
    if st.get("started"):  # shown to the second, in the page's date format (UTC)
        st = {**st, "started": dt.datetime.fromisoformat(st["started"])}
    return render(request, "capture/report_progress.html", {"status": st}, status=status)
