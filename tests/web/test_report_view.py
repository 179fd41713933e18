"""Data review, exports and the analysis report in the browser (issue 7).

The system shall: show every role a pooled, blinded data review; give blinded roles blinded
exports only; open the analysis report only to the unblinded statistician after database lock
and trial-level unblinding; never show an arm to a blinded role on these pages.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from django.conf import settings

from gvhdtrial.web.capture.imports import import_trial
from gvhdtrial.web.capture.models import ExportLog
from gvhdtrial.web.lock.services import lock_database
from gvhdtrial.web.unblinding.services import trial_unblind

from .conftest import PASSWORD, Trial

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin", "investigator2")
ARMS = re.compile(
    "|".join([rf"\b{re.escape(a)}\b" for a in settings.GVHDTRIAL["arms"]] + [r"\bcontrol"]),
    re.IGNORECASE,
)
ARM_CODES = {"MSC", "control", *settings.GVHDTRIAL["arms"]}


def _zip_tables(response: object) -> dict[str, list[list[str]]]:
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return {
            Path(n).name: list(csv.reader(io.StringIO(z.read(n).decode())))
            for n in z.namelist()
            if n.endswith(".csv")
        }


def test_review_exports_and_report_by_role(trial: Trial) -> None:
    import_trial(REFERENCE, "admin")
    # Every role: the pooled review, with counts, without an arm.
    for name in (*BLINDED, "statistician"):
        page = trial.client(name).get("/review/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Assessments by centre and visit" in text
        if name in BLINDED:
            assert not ARMS.search(text), name
    assert "Response (pooled)" in trial.client("datamanager").get("/review/").content.decode()
    assert "C02" not in trial.client("investigator").get("/review/").content.decode()

    # Exports: site roles and the (read-only) monitor refused; other blinded roles get a
    # blinded zip; logged.
    for name in ("investigator", "pharmacist", "monitor"):
        assert trial.client(name).post("/exports/").status_code == 403
    for name in ("datamanager", "admin", "statistician"):
        response = trial.client(name).post("/exports/", {"unblinded": "1"})
        assert response.status_code == 200
        tables = _zip_tables(response)
        assert "arm" not in tables["randomization.csv"][0]
        cells = {c for rows in tables.values() for row in rows for c in row}
        assert not cells & ARM_CODES, name
        page = trial.client(name).get("/exports/").content.decode()
        assert not ARMS.search(page)
    assert ExportLog.objects.filter(blinded=True).count() == 3

    # The report: refused before lock and unblinding, to everyone.
    for name in (*BLINDED, "statistician"):
        page = trial.client(name).get("/report/")
        assert page.status_code == 403 and not ARMS.search(page.content.decode())
    lock_database(trial.actor("admin"), "end of study", PASSWORD, confirmed=True)
    trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    for name in BLINDED:
        page = trial.client(name).get("/report/")
        assert page.status_code == 403 and not ARMS.search(page.content.decode())
    page = trial.client("statistician").get("/report/")
    assert page.status_code == 200
    html = b"".join(page.streaming_content).decode()
    assert "SYNTHETIC" in html and ARMS.search(html)
    log = ExportLog.objects.filter(blinded=False).get()
    assert log.by.username == "statistician"
    # After unblinding the statistician may download the allocations.
    tables = _zip_tables(trial.client("statistician").post("/exports/", {"unblinded": "1"}))
    assert tables["randomization.csv"][0][-1] == "arm"
