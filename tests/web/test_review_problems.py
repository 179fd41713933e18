"""The pooled data review when the captured data break a rule of the data model (issue 7).

A date rule broken in the captured data makes the export fail validation (``TrialDataError``).
The review must still render for every role: the loader's problems listed (file, line, column,
expected), the counts that do not need the analysis, no arm to a blinded role, never a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.conf import settings

from gvhdtrial.web.capture.imports import import_trial
from gvhdtrial.web.capture.models import Assessment, Baseline
from gvhdtrial.web.crf.services import save_row

from .conftest import Trial

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin", "investigator2")
ARMS = re.compile(
    "|".join([rf"\b{re.escape(a)}\b" for a in settings.GVHDTRIAL["arms"]] + [r"\bcontrol"]),
    re.IGNORECASE,
)


def test_review_lists_the_data_problems_instead_of_failing(trial: Trial) -> None:
    import_trial(REFERENCE, "admin")
    # The investigator enters an assessment dated before the patient's HSCT: the CRF takes it
    # (edit checks raise queries), the data model's date rule does not.
    actor = trial.actor("investigator")
    baseline = Baseline.objects.filter(patient__site__code=actor.site_code).first()
    assert baseline is not None
    wrong = baseline.hsct_date - dt.timedelta(days=5)
    save_row(actor, baseline.patient_id, "assessments", {
        "assessment_date": wrong, "visit": "unscheduled", "skin_bsa_percent": 10.0,
        "bilirubin": 1.0, "bilirubin_unit": "mg/dL", "stool_ml_per_day": 200.0,
        "weight_kg": 60.0, "skin_bullae": False, "skin_desquamation_percent": 0.0,
        "upper_gi_persistent": False, "stool_mixed_with_urine": False,
        "severe_abdominal_pain": False, "ileus": False, "bloody_stool": False,
    })  # fmt: skip
    assert Assessment.objects.filter(patient=baseline.patient, assessment_date=wrong).exists()

    # Every role that sees C01 (the site roles see their own site's data only, issue 10).
    for name in (*[b for b in BLINDED if b != "investigator2"], "statistician"):
        page = trial.client(name).get("/review/")
        assert page.status_code == 200, name
        text = page.content.decode()
        assert 'id="data-problems"' in text, name
        assert "assessments.csv" in text and "assessment_date" in text, name
        assert "aGVHD assessments follow the HSCT" in text or "date_order" in text, name
        assert "Patients by centre" in text and "Assessments by centre and visit" in text
        assert "Response (pooled)" not in text  # no analysis of data that do not load
        if name in BLINDED:
            assert not ARMS.search(text), name
    # Monitors see the offending value; a site role sees where, not what.
    assert wrong.isoformat() in trial.client("monitor").get("/review/").content.decode()
    other_site = trial.client("investigator2").get("/review/").content.decode()
    assert 'id="data-problems"' not in other_site and wrong.isoformat() not in other_site
