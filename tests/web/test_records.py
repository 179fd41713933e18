"""Issue 11, what sites expect: the record status dashboard (patients x forms and key visits,
each cell's status, linked) and the patient list with search, status filter and paging."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gvhdtrial.web.lock.services import lock_database
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.services import dispense

from .conftest import PASSWORD, Trial, screen
from .test_crf import assessment_post

pytestmark = pytest.mark.django_db


def _cells(html: str, code: str) -> dict[str, str]:
    row = re.search(rf"<tr><td><a [^>]*>{code}</a></td>(.*?)</tr>", html, re.S)
    assert row, code
    found = re.findall(r'<td class="cell (\w+)" data-key="([^"]+)"', row.group(1))
    return {key: status for status, key in found}


def test_the_dashboard_shows_each_cells_status_linked(trial: Trial) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    other = screen(trial, who="investigator2")
    c = trial.client("investigator")
    today = dt.date.today()
    # A baseline assessment whose desquamation exceeds the erythema: an edit check query.
    c.post(
        f"/patients/{patient.pk}/crf/assessments/",
        assessment_post(today, "baseline", skin_bsa_percent=0, skin_desquamation_percent=20),
    )
    kits = dispense(trial.actor("investigator"), patient.pk, 1, today).tracking_numbers
    trial.client("pharmacist").post(
        f"/patients/{patient.pk}/crf/infusions/",
        {"infusion_number": "1", "date": today.isoformat(), "kit_numbers": ";".join(kits)},
    )
    html = c.get("/records/").content.decode()
    cells = _cells(html, patient.code)
    assert cells["visit:baseline"] == "query"
    assert cells["visit:d28"] == "empty" and cells["baseline"] == "empty"
    assert cells["infusions"] == "incomplete"  # 1 of the plan's 8
    assert ">1/8<" in html
    assert other.code not in html  # another site's patient
    assert f'href="/patients/{patient.pk}/crf/assessments/' in html
    lock_database(trial.actor("admin"), "end of study", PASSWORD, confirmed=True)
    cells = _cells(trial.client("datamanager").get("/records/").content.decode(), patient.code)
    assert cells["infusions"] == "locked" and cells["visit:baseline"] == "query"
    assert cells["visit:d28"] == "empty"


def test_the_patient_list_searches_filters_and_pages(trial: Trial) -> None:
    first = screen(trial)
    number = randomize(trial.actor("investigator"), first.pk).randomization_number
    screen(trial, age_years=12)  # not eligible
    for _ in range(50):
        screen(trial)  # eligible, not randomized
    c = trial.client("investigator")
    page1 = c.get("/patients/").content.decode()
    assert "page 1 of 2 (52 patients)" in page1 and 'id="next-page"' in page1
    page2 = c.get("/patients/?page=2").content.decode()
    assert page2.count('<tr><td><a href="/patients/') == 2
    found = c.get(f"/patients/?q={number}").content.decode()
    assert found.count('<tr><td><a href="/patients/') == 1 and first.code in found
    randomized = c.get("/patients/?status=randomized").content.decode()
    assert "(1 patient)" in randomized and first.code in randomized
    assert "(1 patient)" in c.get("/patients/?status=ineligible").content.decode()
    assert "(50 patients)" in c.get("/patients/?status=eligible").content.decode()
