"""Case report forms in the service: saving through the gateway (audited), the reason for a
change, edit checks raising queries on save, live staging, kit checks on infusions, response
confirmation and the plan switching to 16 infusions on PR at day 28."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.capture.models import Assessment, Infusion
from gvhdtrial.web.queries.models import Query
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.models import Kit
from gvhdtrial.web.supply.services import dispense

from .conftest import PASSWORD, Trial, screen

pytestmark = pytest.mark.django_db

ARM_WORDS = ("MSC", "placebo", "control")


def assessment_post(day: dt.date, visit: str, **values: Any) -> dict[str, Any]:
    data = {
        "assessment_date": day.isoformat(), "visit": visit, "skin_bsa_percent": "0",
        "skin_desquamation_percent": "0", "bilirubin": "1.0", "bilirubin_unit": "mg/dL",
        "weight_kg": "55",
    }  # fmt: skip
    data.update({k: str(v) for k, v in values.items()})
    return data


def randomized(trial: Trial, who: str = "investigator") -> Any:
    patient = screen(trial, who=who)
    randomize(trial.actor(who), patient.pk)
    return patient


def test_an_assessment_is_saved_audited_and_staged(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    today = dt.date.today()
    r = c.post(
        f"/patients/{patient.pk}/crf/assessments/",
        assessment_post(today, "baseline", skin_bsa_percent=60, stool_ml_per_day=800),
    )
    assert r.status_code == 302, r.content[:2000]
    a = Assessment.objects.get(patient=patient)
    assert a.skin_bsa_percent == 60
    assert AuditEntry.objects.filter(record=f"capture.assessment:{a.pk}", action="create").exists()
    page = c.get(f"/patients/{patient.pk}/crf/").content.decode()
    assert "GVHD assessments" in page and "<td>II</td>" in page  # skin 3 + lower GI 1: II


def test_live_staging_endpoint_runs_the_protocol_engine(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    body = {"skin_bsa_percent": 30, "bilirubin": 3.05, "stool_ml_per_day": 1600}
    r = c.post("/api/protocol/stage", json.dumps(body), "application/json")
    data = r.json()
    assert data["ok"] and data["stages"] == {"skin": 2, "liver": 2, "upper_gi": 0, "lower_gi": 3}
    assert data["grade_roman"] == "III"
    # 51.3 umol/L = 3.0 mg/dL: liver stage 1
    r = c.post("/api/protocol/stage", json.dumps({"bilirubin": 51.3, "bilirubin_unit": "umol/L",
               "skin_bsa_percent": 0}), "application/json")  # fmt: skip
    assert r.json()["stages"]["liver"] == 1
    bad = c.post("/api/protocol/stage", json.dumps({"skin_bsa_percent": 10,
                 "skin_desquamation_percent": 20}), "application/json").json()  # fmt: skip
    assert not bad["ok"] and "desquamation" in bad["error"]
    # Against the patient's baseline.
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(dt.date.today(), "baseline", skin_bsa_percent=60))  # fmt: skip
    r = c.post(
        "/api/protocol/stage",
        json.dumps({"skin_bsa_percent": 10, "bilirubin": 1.0, "patient_id": patient.pk}),
        "application/json",
    )
    assert r.json()["response"] == "PR" and r.json()["baseline_stages"]["skin"] == 3
    note = c.post("/api/protocol/stage", json.dumps({"stool_ml_per_day": 400,
                  "stool_episodes_per_day": 8, "skin_bsa_percent": 0, "bilirubin": 1.0}),
                  "application/json").json()  # fmt: skip
    assert "staged by volume" in note["lower_gi_note"]


def test_another_sites_patient_is_not_staged_against(trial: Trial) -> None:
    other = randomized(trial, "investigator2")
    r = trial.client("investigator").post(
        "/api/protocol/stage", json.dumps({"patient_id": other.pk}), "application/json"
    )
    assert r.status_code == 404


def test_a_change_after_first_save_needs_a_reason(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(dt.date.today(), "baseline", skin_bsa_percent=60))  # fmt: skip
    a = Assessment.objects.get(patient=patient)
    url = f"/patients/{patient.pk}/crf/assessments/{a.pk}/"
    page = c.get(url).content.decode()
    assert "Reason for the change" in page
    r = c.post(url, assessment_post(dt.date.today(), "baseline", skin_bsa_percent=40))
    assert r.status_code == 200 and "This field is required" in r.content.decode()
    a.refresh_from_db()
    assert a.skin_bsa_percent == 60
    r = c.post(url, {**assessment_post(dt.date.today(), "baseline", skin_bsa_percent=40),
                     "reason": "transcription error, source says 40 %"})  # fmt: skip
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.skin_bsa_percent == 40
    change = AuditEntry.objects.get(record=f"capture.assessment:{a.pk}", field="skin_bsa_percent",
                                    action="change")  # fmt: skip
    assert change.reason == "transcription error, source says 40 %"
    assert (change.old, change.new) == ("60.0", "40.0")


def test_the_service_refuses_a_change_without_a_reason(trial: Trial) -> None:
    from gvhdtrial.web.crf.services import save_row
    from gvhdtrial.web.gateway import ReasonRequired

    patient = randomized(trial)
    actor = trial.actor("investigator")
    values = {"date": dt.date(2024, 1, 5), "agent": "methylprednisolone", "dose_mg_per_day": 100}
    result = save_row(actor, patient.pk, "steroids", values)
    with pytest.raises(ReasonRequired):
        save_row(actor, patient.pk, "steroids", {**values, "dose_mg_per_day": 80},
                 row_id=result.obj.pk)  # fmt: skip


def test_an_edit_check_raises_a_query_on_save(trial: Trial) -> None:
    patient = randomized(trial)
    c = trial.client("investigator")
    r = c.post(f"/patients/{patient.pk}/crf/assessments/",
               assessment_post(dt.date.today(), "baseline", bilirubin=80))  # fmt: skip
    assert r.status_code == 302
    q = Query.objects.get(patient=patient, check_id="ASM-BILI-UNIT")
    a = Assessment.objects.get(patient=patient)
    assert q.status == "open" and q.record == f"capture.assessment:{a.pk}"
    assert q.field == "bilirubin_unit"
    # Saving again does not duplicate the query.
    c.post(f"/patients/{patient.pk}/crf/assessments/{a.pk}/",
           {**assessment_post(dt.date.today(), "baseline", bilirubin=80, weight_kg=56),
            "reason": "weight re-measured"})  # fmt: skip
    assert Query.objects.filter(patient=patient, check_id="ASM-BILI-UNIT").count() == 1
    # Correcting the data marks it answered; it stays for the data manager to close.
    c.post(f"/patients/{patient.pk}/crf/assessments/{a.pk}/",
           {**assessment_post(dt.date.today(), "baseline", bilirubin=80, bilirubin_unit="umol/L"),
            "reason": "unit was umol/L"})  # fmt: skip
    q.refresh_from_db()
    assert q.status == "answered"


def _dispensed(trial: Trial, patient: Any, number: int, on: dt.date) -> tuple[str, ...]:
    return dispense(trial.actor("investigator"), patient.pk, number, on).tracking_numbers


def test_an_infusion_checks_each_kit_against_the_patient(trial: Trial) -> None:
    patient = randomized(trial)
    other = randomized(trial)
    today = dt.date.today()
    kits = _dispensed(trial, patient, 1, today)
    other_kits = _dispensed(trial, other, 1, today)
    stocked = Kit.objects.filter(site__code="C01", status="received").first().tracking_number
    c = trial.client("pharmacist")
    url = f"/patients/{patient.pk}/crf/infusions/"
    post = {"infusion_number": "1", "date": today.isoformat()}
    for wrong in (other_kits[0], stocked, "9999-9999-99-99"):
        r = c.post(url, {**post, "kit_numbers": wrong}, follow=True)
        text = r.content.decode()
        assert f"Kit {wrong} is not dispensed to this patient." in text
        assert not any(w in text for w in ARM_WORDS)
    r = c.post(url, {**post, "infusion_number": "2", "kit_numbers": ";".join(kits)}, follow=True)
    assert "Infusion 2 cannot come before infusion 1." in r.content.decode()  # the plan first
    assert not Infusion.objects.filter(patient=patient).exists()
    r = c.post(url, {**post, "kit_numbers": ";".join(kits)}, follow=True)
    inf = Infusion.objects.get(patient=patient)
    assert inf.bags == len(kits) and inf.kit_numbers == ";".join(kits)
    assert inf.delivered_cells_1e6_per_kg == round(len(kits) * 2e7 / 55 / 1e6, 2)
    assert {k.status for k in Kit.objects.filter(tracking_number__in=kits)} == {"infused"}
    r = c.post(url, {**post, "infusion_number": "1", "kit_numbers": kits[0]}, follow=True)
    assert "is infused, not dispensed" in r.content.decode()


def test_pr_at_day_28_is_confirmed_and_plans_sixteen_infusions(trial: Trial) -> None:
    from gvhdtrial.capture import patient_calendar
    from gvhdtrial.web.crf.records import patient_record

    patient = randomized(trial)
    c = trial.client("investigator")
    start = dt.date.today()
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(start, "baseline", skin_bsa_percent=60))  # fmt: skip
    kits = _dispensed(trial, patient, 1, start)
    c.post(
        f"/patients/{patient.pk}/crf/infusions/",
        {"infusion_number": "1", "date": start.isoformat(), "kit_numbers": ";".join(kits)},
    )
    d28 = start + dt.timedelta(days=28)
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(d28, "d28", skin_bsa_percent=10))  # fmt: skip
    page = c.get(f"/patients/{patient.pk}/response/d28/").content.decode()
    assert "PR" in page and "against baseline" in page
    # Overriding without a reason is refused.
    r = c.post(f"/patients/{patient.pk}/response/d28/", {"confirmed": "CR"}, follow=True)
    assert "give a reason to record CR" in r.content.decode()
    r = c.post(f"/patients/{patient.pk}/response/d28/", {"confirmed": "PR"})
    assert r.status_code == 302
    cal = patient_calendar(patient_record(patient), start)
    assert cal is not None and cal.number_of_infusions == 16


def test_site_users_cannot_write_forms_of_another_role(trial: Trial) -> None:
    patient = randomized(trial)
    r = trial.client("pharmacist").post(
        f"/patients/{patient.pk}/crf/assessments/",
        assessment_post(dt.date.today(), "baseline"),
    )
    assert r.status_code in (302, 403)
    assert not Assessment.objects.filter(patient=patient).exists()
    r = trial.client("monitor").post(
        f"/patients/{patient.pk}/crf/assessments/", assessment_post(dt.date.today(), "baseline")
    )
    assert not Assessment.objects.filter(patient=patient).exists()


def test_a_locked_database_refuses_crf_writes(trial: Trial) -> None:
    from gvhdtrial.web.lock.services import lock_database

    patient = randomized(trial)
    lock_database(
        trial.actor("datamanager"), "database lock for analysis", PASSWORD, confirmed=True
    )
    r = trial.client("investigator").post(
        f"/patients/{patient.pk}/crf/assessments/",
        assessment_post(dt.date.today(), "baseline"),
        follow=True,
    )
    assert "The database is locked" in r.content.decode()
    assert not Assessment.objects.filter(patient=patient).exists()


def test_pages_render_for_every_role(trial: Trial) -> None:
    patient = randomized(trial)
    for role in ("investigator", "pharmacist", "datamanager", "monitor", "admin", "statistician"):
        c = trial.client(role)
        for url in (f"/patients/{patient.pk}/crf/", f"/patients/{patient.pk}/calendar/",
                    "/visits/", "/queries/", f"/patients/{patient.pk}/crf/assessments/",
                    f"/patients/{patient.pk}/response/d28/"):  # fmt: skip
            r = c.get(url)
            assert r.status_code == 200, (role, url, r.status_code)
