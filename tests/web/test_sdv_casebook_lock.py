"""Issue 11, what sites expect: source data verification by the monitor (cleared when the data
change), the investigator's e-signature of a patient's casebook (void when the data change), and
the lock checklist wired to the lock (refused with the open items listed unless confirmed)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.capture.models import Assessment, Baseline
from gvhdtrial.web.crf import casebook, sdv
from gvhdtrial.web.crf.models import CasebookSignature, Verification
from gvhdtrial.web.crf.services import save_row
from gvhdtrial.web.errors import Forbidden, NotFound
from gvhdtrial.web.gateway import write
from gvhdtrial.web.lock.checklist import lock_checklist
from gvhdtrial.web.lock.models import DatabaseLock, Signature
from gvhdtrial.web.lock.services import ChecklistOpen, lock_database
from gvhdtrial.web.randomization.services import randomize

from .conftest import PASSWORD, Trial, screen
from .test_crf import assessment_post

pytestmark = pytest.mark.django_db

ARM_WORDS = re.compile(r"\bMSC\b|placebo|\bcontrol", re.IGNORECASE)


def _randomized(trial: Trial, who: str = "investigator") -> Any:
    patient = screen(trial, who=who)
    randomize(trial.actor(who), patient.pk)
    return patient


def _with_assessment(trial: Trial) -> tuple[Any, Assessment]:
    patient = _randomized(trial)
    r = trial.client("investigator").post(
        f"/patients/{patient.pk}/crf/assessments/",
        assessment_post(dt.date.today(), "baseline", skin_bsa_percent=60),
    )
    assert r.status_code == 302, r.content[:2000]
    return patient, Assessment.objects.get(patient=patient)


def _cell(page: str, key: str) -> str:
    """The status class of the dashboard cell ``key`` (the one patient's row)."""
    found = re.search(rf'<td class="cell (\w+)" data-key="{re.escape(key)}"', page)
    assert found, key
    return found.group(1)


# ---------------------------------------------------------------- source data verification
def test_the_monitor_verifies_a_field_then_the_form_and_an_edit_clears_the_marks(
    trial: Trial,
) -> None:
    patient, a = _with_assessment(trial)
    monitor = trial.client("monitor")
    url = f"/patients/{patient.pk}/crf/assessments/{a.pk}/"
    r = monitor.post(f"{url}verify/", {"field": "skin_bsa_percent"})
    assert r.status_code == 302
    marks = sdv.marks_of([patient.pk])
    assert sdv.field_state(a, "skin_bsa_percent", marks) == sdv.VERIFIED
    assert sdv.field_state(a, "bilirubin", marks) == sdv.UNVERIFIED
    assert sdv.row_state(a, marks) == sdv.UNVERIFIED  # one field of many: the form is not
    page = monitor.get(url).content.decode()
    assert 'id="sdv-skin_bsa_percent"' in page and 'id="verify-bilirubin"' in page
    # The whole form row; the dashboard cell of the baseline visit shows "verified".
    assert monitor.post(f"{url}verify/", {}).status_code == 302
    assert sdv.row_state(a, sdv.marks_of([patient.pk])) == sdv.VERIFIED
    board = monitor.get("/records/").content.decode()
    assert _cell(board, "visit:baseline") == "verified"
    # Both marks are audited, made by the monitor, and are the monitor's only trail rows.
    made = AuditEntry.objects.filter(user="monitor", action="create")
    assert {e.record.partition(":")[0] for e in made} == {"crf.verification"}
    assert made.filter(field="field", new="skin_bsa_percent").exists()
    # The investigator corrects the verified value: both marks go stale, the form and the
    # dashboard show it as not verified.
    r = trial.client("investigator").post(url, {
        **assessment_post(dt.date.today(), "baseline", skin_bsa_percent=40),
        "reason": "transcription error"})  # fmt: skip
    assert r.status_code == 302
    a.refresh_from_db()
    marks = sdv.marks_of([patient.pk])
    assert sdv.field_state(a, "skin_bsa_percent", marks) == sdv.STALE
    assert sdv.row_state(a, marks) == sdv.STALE
    page = monitor.get(url).content.decode()
    assert "changed since verified" in page and 'id="verify-row"' in page
    board = monitor.get("/records/").content.decode()
    assert _cell(board, "visit:baseline") == "complete"
    # Verified again, it holds again.
    monitor.post(f"{url}verify/", {})
    assert sdv.row_state(a, sdv.marks_of([patient.pk])) == sdv.VERIFIED


def test_site_roles_and_the_data_manager_cannot_verify(trial: Trial) -> None:
    patient, a = _with_assessment(trial)
    url = f"/patients/{patient.pk}/crf/assessments/{a.pk}/verify/"
    for who in ("investigator", "pharmacist", "datamanager", "statistician"):
        with pytest.raises(Forbidden, match="Only the monitor"):
            sdv.verify(trial.actor(who), patient.pk, "assessments", a.pk)
        trial.client(who).post(url, {"field": "bilirubin"})
    assert not Verification.objects.exists()
    # A field the form does not have is refused at the field, nothing stored.
    with pytest.raises(Exception, match="no field nonsense"):
        sdv.verify(trial.actor("monitor"), patient.pk, "assessments", a.pk, "nonsense")
    assert not Verification.objects.exists()


def test_an_sdv_write_may_change_sdv_marks_only(trial: Trial) -> None:
    _patient, a = _with_assessment(trial)
    monitor = trial.actor("monitor")
    before = AuditEntry.objects.count()
    with pytest.raises(Forbidden, match="read-only"), write(monitor, reason="x") as audit:
        pass
    # The SDV exception: anything but an SDV mark recorded in it is refused, all rolled back.
    with (
        pytest.raises(Forbidden, match=r"crf\.verification"),
        write(monitor, reason="x", sdv=True) as audit,
    ):
        a.skin_bsa_percent = 99
        a.save()
        audit.created(a)
    a.refresh_from_db()
    assert a.skin_bsa_percent == 60 and AuditEntry.objects.count() == before


def test_the_monitors_sdv_pages_never_show_an_arm(trial: Trial) -> None:
    patient, a = _with_assessment(trial)
    monitor = trial.client("monitor")
    url = f"/patients/{patient.pk}/crf/assessments/{a.pk}/"
    monitor.post(f"{url}verify/", {})
    for page in (url, "/records/", f"/patients/{patient.pk}/casebook/", "/lock/"):
        text = monitor.get(page).content.decode()
        assert not ARM_WORDS.search(re.sub(r"<[^>]+>", " ", text)), page


class _Controls(HTMLParser):
    """The controls of the CRF form (``#crf-form``) and the ids of all buttons on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: dict[str, dict[str, str | None]] = {}
        self.buttons: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "crf-form"
        elif tag == "button":
            self.buttons[a.get("id") or ""] = a
        elif self.inside and tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields[a.get("name") or ""] = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def _controls(html: str) -> _Controls:
    parser = _Controls()
    parser.feed(html)
    return parser


def test_a_role_that_cannot_enter_the_form_reads_it_disabled_and_the_monitor_keeps_sdv(
    trial: Trial,
) -> None:
    patient, a = _with_assessment(trial)
    url = f"/patients/{patient.pk}/crf/assessments/{a.pk}/"
    # The investigator enters the form: live fields, the reason for a change, a save button.
    mine = _controls(trial.client("investigator").get(url).content.decode())
    assert "skin_bsa_percent" in mine.fields and "reason" in mine.fields
    assert not [n for n, f in mine.fields.items() if "disabled" in f]
    assert "save" in mine.buttons
    typing_note = "computed by the protocol engine as you type"
    assert typing_note in trial.client("investigator").get(url).content.decode()
    # The monitor, the data manager and the statistician read it: every field disabled, no
    # reason box, no save button; the monitor keeps the SDV buttons, the data manager the
    # "Query" links at the fields.
    for who in ("monitor", "datamanager", "statistician"):
        page = trial.client(who).get(url).content.decode()
        read = _controls(page)
        assert set(read.fields) == set(mine.fields) - {"reason"}, who
        assert all("disabled" in f for f in read.fields.values()), who
        assert "save" not in read.buttons, who
        assert typing_note not in page, who  # no entry instructions for a reader
        assert ("verify-row" in read.buttons) == (who == "monitor"), who
        assert ("verify-skin_bsa_percent" in read.buttons) == (who == "monitor"), who
        assert ('id="raise-skin_bsa_percent"' in page) == (who == "datamanager"), who
    # The page is a view only: the monitor's change posted anyway is refused by the server.
    r = trial.client("monitor").post(url, {
        **assessment_post(dt.date.today(), "baseline", skin_bsa_percent=10),
        "reason": "monitor edits"}, follow=True)  # fmt: skip
    assert "does not allow entering this form" in r.content.decode()
    a.refresh_from_db()
    assert a.skin_bsa_percent == 60
    assert not AuditEntry.objects.filter(user="monitor", record=f"capture.assessment:{a.pk}")


# ---------------------------------------------------------------- casebook e-signature
def test_the_investigator_signs_the_casebook_and_a_later_edit_voids_the_signature(
    trial: Trial,
) -> None:
    patient, a = _with_assessment(trial)
    inv = trial.client("investigator")
    url = f"/patients/{patient.pk}/casebook/"
    page = inv.get(url).content.decode()
    assert "I attest that the data in this casebook are complete and accurate" in page
    # A wrong password signs nothing and is counted by the login throttle (audited).
    inv.post(url, {"password": "not the password"})
    assert not CasebookSignature.objects.exists()
    failed = AuditEntry.objects.filter(user="investigator", action="login_failed", field="purpose")
    assert [e.new for e in failed] == ["e-signature: casebook"]
    assert inv.post(url, {"password": PASSWORD}).status_code == 302
    sig = CasebookSignature.objects.get(patient=patient)
    assert sig.signed_by.username == "investigator" and "complete and accurate" in sig.meaning
    assert AuditEntry.objects.filter(record=f"crf.casebooksignature:{sig.pk}").exists()
    assert casebook.states([patient.pk])[patient.pk][0] == casebook.SIGNED
    assert _cell(inv.get("/records/").content.decode(), "casebook") == "signed"
    # Any change of the patient's data afterwards voids it (here: a corrected assessment).
    r = inv.post(f"/patients/{patient.pk}/crf/assessments/{a.pk}/", {
        **assessment_post(dt.date.today(), "baseline", skin_bsa_percent=50),
        "reason": "source says 50 %"})  # fmt: skip
    assert r.status_code == 302
    assert casebook.states([patient.pk])[patient.pk][0] == casebook.CHANGED
    assert _cell(inv.get("/records/").content.decode(), "casebook") == "incomplete"
    assert "the signature no longer holds" in inv.get(url).content.decode()
    unsigned = {i.key: i for i in lock_checklist()}["unsigned_casebooks"]
    assert unsigned.count == 1 and "signed, then changed" in unsigned.entries[0][0]


def test_only_the_patients_own_site_investigator_signs(trial: Trial) -> None:
    patient, _a = _with_assessment(trial)  # a C01 patient
    with pytest.raises(NotFound):
        casebook.sign_casebook(trial.actor("investigator2"), patient.pk, PASSWORD)
    for who in ("pharmacist", "monitor", "datamanager", "statistician", "admin"):
        with pytest.raises(Forbidden, match="site investigator"):
            casebook.sign_casebook(trial.actor(who), patient.pk, PASSWORD)
    assert not CasebookSignature.objects.exists()


# ---------------------------------------------------------------- the lock checklist
def _items() -> dict[str, Any]:
    return {i.key: i for i in lock_checklist()}


def test_the_lock_is_refused_with_each_open_item_listed_unless_confirmed(trial: Trial) -> None:
    patient, a = _with_assessment(trial)  # randomized today, no baseline form, not signed
    items = _items()
    assert {k: i.count for k, i in items.items()} == {
        "open_queries": 0, "missing_forms": 1, "unsigned_casebooks": 1, "unverified_forms": 1,
    }  # fmt: skip
    assert items["missing_forms"].entries[0][1] == f"/patients/{patient.pk}/crf/baseline/"
    assert items["unverified_forms"].entries[0][1] == (
        f"/patients/{patient.pk}/crf/assessments/{a.pk}/"
    )
    dm = trial.actor("datamanager")
    with pytest.raises(ChecklistOpen) as refused:
        lock_database(dm, "final analysis", PASSWORD)
    assert "3 item(s) of the lock checklist are open" in refused.value.message
    assert not DatabaseLock.current().locked
    # The page lists each item with its count and links, and a confirmation box.
    page = trial.client("datamanager").get("/lock/").content.decode()
    assert re.search(r'id="checklist-missing_forms".*?<span class="count">1</span>', page, re.S)
    assert f'href="/patients/{patient.pk}/casebook/"' in page and 'id="id_confirmed"' in page
    r = trial.client("datamanager").post("/lock/", {"reason": "final", "password": PASSWORD,
                                                   "do": "lock"})  # fmt: skip
    assert r.status_code == 302 and not DatabaseLock.current().locked
    lock_database(dm, "final analysis", PASSWORD, confirmed=True)
    assert DatabaseLock.current().locked
    confirmation = ("final analysis [confirmed with open checklist items: open_queries 0, "
                    "missing_forms 1, unsigned_casebooks 1, unverified_forms 1]")  # fmt: skip
    assert Signature.objects.get(action="lock").reason == confirmation
    assert AuditEntry.objects.filter(record="lock.databaselock:1", field="locked",
                                     reason=confirmation).exists()  # fmt: skip
    # The lock page shows the recorded items by their titles, in the reader's language (the
    # record itself stays as signed).
    page = trial.client("datamanager").get("/lock/").content.decode()
    assert "Forms missing for randomized patients 1" in page and "missing_forms 1" not in page
    from gvhdtrial.web.sites.models import set_user_language

    set_user_language(trial.users["monitor"], "zh-hans")
    zh = trial.client("monitor").get("/lock/").content.decode()
    assert "missing_forms" not in zh and "open_queries" not in zh
    assert "final analysis" in zh  # the user's own words as written
    # Locked: the dashboard shows the cells locked (the empty ones stay empty).
    board = trial.client("monitor").get("/records/").content.decode()
    assert _cell(board, "visit:baseline") == "locked" and _cell(board, "baseline") == "empty"


def test_nothing_open_locks_without_confirmation(trial: Trial) -> None:
    patient, a = _with_assessment(trial)
    inv = trial.client("investigator")
    save_row(trial.actor("investigator"), patient.pk, "baseline", {
        "screening_date": dt.date(2024, 1, 1), "sex": "female", "diagnosis": "AML",
        "hsct_date": dt.date(2023, 11, 1), "conditioning": "TBI-based",
        "donor_type": "sibling", "stem_cell_source": "PBSC", "cd34_dose_1e6_per_kg": 5.0,
        "cmv_donor": "positive", "cmv_recipient": "positive", "ebv_donor": "negative",
        "ebv_recipient": "negative", "gvhd_prophylaxis": "mtx_cni",
        "agvhd_onset_date": dt.date(2023, 12, 20)})  # fmt: skip
    trial.client("monitor").post(f"/patients/{patient.pk}/crf/assessments/{a.pk}/verify/", {})
    baseline = Baseline.objects.get(patient=patient)
    trial.client("monitor").post(f"/patients/{patient.pk}/crf/baseline/{baseline.pk}/verify/", {})
    inv.post(f"/patients/{patient.pk}/casebook/", {"password": PASSWORD})
    assert {k: i.count for k, i in _items().items()} == dict.fromkeys(
        ("open_queries", "missing_forms", "unsigned_casebooks", "unverified_forms"), 0
    )
    lock_database(trial.actor("datamanager"), "final analysis", PASSWORD)
    assert DatabaseLock.current().locked
    assert Signature.objects.get(action="lock").reason == "final analysis"
    board = inv.get("/records/").content.decode()
    assert _cell(board, "casebook") == "signed" and _cell(board, "baseline") == "locked"


def test_a_due_day28_assessment_is_a_missing_form_per_the_trial_definition(trial: Trial) -> None:
    """The phase 2 definition's response visits are D28 and D56 with a 3-day window
    (trials/jiang2024-phase2.toml, [response]): D28 is missing from day 32 after randomization."""
    patient, a = _with_assessment(trial)
    today = dt.date.today()

    def missing(days: int) -> list[str]:
        items = {i.key: i for i in lock_checklist(today + dt.timedelta(days=days))}
        return [t for t, _u in items["missing_forms"].entries if "assessment" in t]

    assert missing(31) == []
    assert missing(32) == [f"{patient.code}: D28 assessment not entered"]
    assert len(missing(60)) == 2  # D28 and D56
    # A day-28 row (stored directly: the form refuses a day-28 date before day 25).
    a.pk, a.visit, a.assessment_date = None, "d28", today + dt.timedelta(days=28)
    a.save()
    assert missing(32) == []


def test_api_lock_answers_409_with_the_items_until_confirmed(trial: Trial) -> None:
    _with_assessment(trial)
    dm = trial.client("datamanager")
    body = {"reason": "final analysis", "password": PASSWORD}
    r = dm.post("/api/lock", json.dumps(body), "application/json")
    assert r.status_code == 409, r.content[:500]
    data = r.json()
    assert data["code"] == "checklist_open"
    assert {i["key"]: i["count"] for i in data["items"]}["missing_forms"] == 1
    assert not DatabaseLock.current().locked
    r = dm.post("/api/lock", json.dumps({**body, "confirmed": True}), "application/json")
    assert r.status_code == 200 and r.json()["locked"]


def test_sdv_through_the_api_marks_reports_and_clears_like_the_page(trial: Trial) -> None:
    """``GET/POST /api/patients/{id}/sdv``: the monitor verifies a field then the row; the
    states read back; an edit by the investigator makes them stale; other roles get 403 and
    another centre's site user 404 (the patient's existence is not revealed); nothing is marked
    by a refused request."""
    patient, a = _with_assessment(trial)
    api = f"/api/patients/{patient.pk}/sdv"
    monitor = trial.client("monitor")

    def states() -> dict[str, Any]:
        rows = monitor.get(api).json()
        (row,) = [r for r in rows if r["record"] == f"capture.assessment:{a.pk}"]
        return {"row": row["state"], **{f["field"]: f["state"] for f in row["fields"]}}

    assert states()["row"] == "unverified"
    r = monitor.post(api, {"form": "assessments", "row_id": a.pk, "field": "skin_bsa_percent"},
                     content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["verified_by"] == "monitor" and r.json()["field"] == "skin_bsa_percent"
    got = states()
    assert (got["skin_bsa_percent"], got["bilirubin"], got["row"]) == (
        "verified", "unverified", "unverified")  # fmt: skip
    body = {"form": "assessments", "row_id": a.pk}
    assert monitor.post(api, body, content_type="application/json").status_code == 201
    assert states()["row"] == "verified"
    for who in ("investigator", "datamanager", "statistician"):
        r = trial.client(who).post(api, body, content_type="application/json")
        assert r.status_code == 403 and "Only the monitor" in r.json()["detail"]
    assert trial.client("investigator2").get(api).status_code == 404
    assert (
        trial.client("investigator2").post(api, body, content_type="application/json").status_code
        == 404
    )
    r = monitor.post(api, {**body, "field": "nonsense"}, content_type="application/json")
    assert r.status_code == 422 and "nonsense" in r.json()["detail"]
    assert Verification.objects.count() == 2
    trial.client("investigator").post(
        f"/patients/{patient.pk}/crf/assessments/{a.pk}/",
        {**assessment_post(dt.date.today(), "baseline", skin_bsa_percent=40),
         "reason": "transcription error"},
    )  # fmt: skip
    got = states()
    assert (got["row"], got["skin_bsa_percent"]) == ("stale", "stale")
