"""Issue 11, "Broken today" in the service: each test failed on the code before the fix.

Forms keep what was entered on a refusal and show it at the field with the data dictionary's
label; infusions and dispensing follow the treatment plan (paper, Methods); a blank assessment
is "not assessed" and the baseline is not compared with itself; the visit is chosen from the
schedule; a repeated AE is refused; no Randomize button for an ineligible patient.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from gvhdtrial.web.capture.models import AdverseEvent, Assessment, Infusion
from gvhdtrial.web.errors import Refused
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.services import dispense

from .conftest import Trial, screen
from .test_crf import assessment_post, randomized

pytestmark = pytest.mark.django_db


def _field_errors(html: str, name: str) -> str:
    """The text of the field's block on the CRF form (its label, input and error list)."""
    m = re.search(rf'<div class="field {name}[^"]*">(.*?)</div>', html, re.S)
    assert m, f"no field {name} on the page"
    return m.group(1)


def test_a_refused_infusion_keeps_the_entered_values_and_shows_the_error_at_the_field(
    trial: Trial,
) -> None:
    patient = randomized(trial)
    today = dt.date.today()
    dispense(trial.actor("investigator"), patient.pk, 1, today)
    c = trial.client("pharmacist")
    r = c.post(f"/patients/{patient.pk}/crf/infusions/",
               {"infusion_number": "1", "date": today.isoformat(),
                "kit_numbers": "0000-0000-00-00"})  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 409  # not a redirect that wipes the form
    kit = _field_errors(html, "kit_numbers")
    assert "Kit 0000-0000-00-00 is not dispensed to this patient." in kit
    assert "has-error" in html and 'value="0000-0000-00-00"' in kit
    assert f'value="{today.isoformat()}"' in _field_errors(html, "date")
    assert not Infusion.objects.filter(patient=patient).exists()


def test_a_duplicate_is_refused_with_the_data_dictionary_label(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    url = f"/patients/{patient.pk}/crf/assessments/"
    post = assessment_post(dt.date.today(), "baseline", skin_bsa_percent=60)
    assert c.post(url, post).status_code == 302
    r = c.post(url, {**post, "visit": "d0"})
    html = r.content.decode()
    assert r.status_code == 422
    text = re.sub(r'[a-z-]+="[^"]*"', "", html)  # attributes hold field names, the text none
    assert "assessment_date" not in text and "a infusion with" not in text
    assert "already has a record of this form with this date of the assessment" in (
        _field_errors(html, "assessment_date")
    )
    assert 'value="d0" selected' in _field_errors(html, "visit")  # the entered value is kept


def test_dispensing_follows_the_plan(trial: Trial) -> None:
    patient = randomized(trial)
    inv = trial.actor("investigator")
    start = dt.date.today()  # dispensing dates: not before randomization, not in the future
    with pytest.raises(Refused, match="cannot come before infusion 1"):
        dispense(inv, patient.pk, 2, start)
    dispense(inv, patient.pk, 1, start)
    # Twelve kits in one day: infusions 2, 3, 4 on the day of infusion 1.
    with pytest.raises(Refused, match="at least 3 days"):
        dispense(inv, patient.pk, 2, start)
    with pytest.raises(Refused, match="Infusion 5 cannot come before infusions 2, 3, 4"):
        dispense(inv, patient.pk, 5, start)
    with pytest.raises(Refused, match="Infusion 9 is not in the plan: it has 8 infusions"):
        dispense(inv, patient.pk, 9, start)


def _infuse(trial: Trial, patient: Any, number: int, on: dt.date, kits: str) -> Any:
    return trial.client("pharmacist").post(
        f"/patients/{patient.pk}/crf/infusions/",
        {"infusion_number": str(number), "date": on.isoformat(), "kit_numbers": kits},
    )


def test_an_infusion_needs_every_dispensed_bag_and_a_plausible_date(trial: Trial) -> None:
    patient = randomized(trial)
    today = dt.date.today()
    kits = dispense(trial.actor("investigator"), patient.pk, 1, today).tracking_numbers
    assert len(kits) == 3  # 55 kg -> 2.75 -> 3 bags
    r = _infuse(trial, patient, 1, today, ";".join(kits[:2]))
    assert r.status_code == 409
    assert f"Infusion 1 was dispensed 3 bags: enter every one (not entered: {kits[2]})." in (
        _field_errors(r.content.decode(), "kit_numbers")
    )
    r = _infuse(trial, patient, 1, today + dt.timedelta(days=2), ";".join(kits))
    assert "is in the future" in _field_errors(r.content.decode(), "date")
    r = _infuse(trial, patient, 1, today - dt.timedelta(days=2), ";".join(kits))
    assert "before randomization" in _field_errors(r.content.decode(), "date")
    assert not Infusion.objects.filter(patient=patient).exists()
    assert _infuse(trial, patient, 1, today, ";".join(kits)).status_code == 302


def test_a_blank_assessment_is_not_assessed_and_the_baseline_not_compared_with_itself(
    trial: Trial,
) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    # The fresh form: 0 % BSA, nothing else. It used to show MAGIC 0 and, with a baseline, CR.
    blank = c.post("/api/protocol/stage", json.dumps({"skin_bsa_percent": 0,
                   "patient_id": patient.pk}), "application/json").json()  # fmt: skip
    assert blank["assessed"] is False and blank["grade"] is None and blank["response"] is None
    assert blank["not_assessed"] == ["liver"]
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(dt.date.today(), "baseline", skin_bsa_percent=60))  # fmt: skip
    base = Assessment.objects.get(patient=patient)
    again = c.post("/api/protocol/stage", json.dumps({"skin_bsa_percent": 60, "bilirubin": 1.0,
                   "patient_id": patient.pk, "assessment_id": base.pk}),
                   "application/json").json()  # fmt: skip
    assert again["is_baseline"] is True and again["response"] is None  # was "NR"
    page = c.get(f"/patients/{patient.pk}/crf/assessments/{base.pk}/").content.decode()
    assert f'data-row="{base.pk}"' in page


def test_the_visit_is_chosen_from_the_schedule(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    page = c.get(f"/patients/{patient.pk}/crf/assessments/").content.decode()
    assert '<select name="visit"' in page and '<option value="d28">Day 28</option>' in page
    r = c.post(f"/patients/{patient.pk}/crf/assessments/",
               assessment_post(dt.date.today(), "Day 7"))  # fmt: skip
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()
    assert "\\A(?:" not in r.content.decode()  # the regular expression is not shown
    assert not Assessment.objects.filter(patient=patient).exists()


AE = {
    "term": "Fever", "soc": "General disorders and administration site conditions",
    "grade": "3", "serious": "on", "onset_date": "", "outcome": "recovering",
}  # fmt: skip


def test_a_repeated_adverse_event_is_refused(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    post = {**AE, "onset_date": dt.date.today().isoformat()}
    url = f"/patients/{patient.pk}/crf/adverse-events/"
    assert c.post(url, post).status_code == 302
    r = c.post(url, post)  # back button + save
    assert r.status_code == 409 and "already recorded (adverse event 1" in r.content.decode()
    assert AdverseEvent.objects.filter(patient=patient).count() == 1
    assert c.post(url, {**post, "grade": "4"}).status_code == 302  # a different AE is saved


def test_an_ineligible_patient_has_no_randomize_button(trial: Trial) -> None:
    patient = screen(trial, age_years=12)  # protocol inclusion: age 13-70 (MIN_AGE_YEARS)
    assert not patient.screening.eligible
    c = trial.client("investigator")
    page = c.get(f"/patients/{patient.pk}/").content.decode()
    assert 'id="randomize"' not in page and "not eligible" in page
    confirm = c.get(f"/patients/{patient.pk}/randomize/").content.decode()
    assert 'id="confirm-randomize"' not in confirm and 'id="not-ready"' in confirm


def test_randomizing_goes_through_a_confirmation_page(trial: Trial) -> None:
    patient = screen(trial)
    c = trial.client("investigator")
    page = c.get(f"/patients/{patient.pk}/").content.decode()
    assert f'href="/patients/{patient.pk}/randomize/"' in page
    assert "Kits are dispensed to the patient after randomization." in page  # no empty box
    confirm = c.get(f"/patients/{patient.pk}/randomize/").content.decode()
    assert 'id="stratum">C01<' in confirm and "Eligible" in confirm
    assert 'id="confirm-randomize"' in confirm
    assert not hasattr(type(patient).objects.get(pk=patient.pk), "allocation")
    assert c.post(f"/patients/{patient.pk}/randomize/").status_code == 302
    patient.refresh_from_db()
    assert patient.allocation.randomization_number.startswith("C01-R")
    assert "No kit dispensed yet." in c.get(f"/patients/{patient.pk}/").content.decode()
    randomize(trial.actor("investigator"), patient.pk)  # a repeat returns the same allocation
