"""The query workflow: open -> answered (site) -> closed (data manager only); manual queries by
the data manager or monitor; lists per site and per patient; every step audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.capture.models import Baseline
from gvhdtrial.web.crf.services import save_row
from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.queries.models import Query
from gvhdtrial.web.queries.services import (
    SYSTEM_USERNAME,
    answer_query,
    close_query,
    raise_query,
    reopen_query,
)
from gvhdtrial.web.randomization.services import randomize

from .conftest import Trial, screen

pytestmark = pytest.mark.django_db


BASELINE = {
    "screening_date": dt.date(2024, 1, 1), "sex": "female", "diagnosis": "AML",
    "hsct_date": dt.date(2023, 11, 1), "conditioning": "TBI-based", "donor_type": "sibling",
    "stem_cell_source": "PBSC", "cd34_dose_1e6_per_kg": 5.0, "cmv_donor": "positive",
    "cmv_recipient": "positive", "ebv_donor": "negative", "ebv_recipient": "negative",
    "gvhd_prophylaxis": "mtx_cni", "agvhd_onset_date": dt.date(2023, 12, 20),
}  # fmt: skip


def _patient(trial: Trial, who: str = "investigator") -> Any:
    """A randomized patient with a baseline form (the field queries are raised on)."""
    p = screen(trial, who=who)
    randomize(trial.actor(who), p.pk)
    save_row(trial.actor(who), p.pk, "baseline", BASELINE)
    return p


def _raise(trial: Trial, who: str, p: Any, text: str, field: str = "sex") -> Query:
    return raise_query(trial.actor(who), p.pk, text, form="baseline", field=field)


def test_open_answered_closed_with_every_step_audited(trial: Trial) -> None:
    p = _patient(trial)
    q = _raise(trial, "datamanager", p, "Source says AML; CRF says ALL.", field="diagnosis")
    assert q.status == "open" and q.check_id == "manual"
    c = trial.client("investigator")
    r = c.post(f"/queries/{q.pk}/", {"action": "answer", "text": "Corrected to 45 %."})
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.status == "answered"
    r = trial.client("datamanager").post(f"/queries/{q.pk}/", {"action": "close", "text": "ok"})
    q.refresh_from_db()
    assert q.status == "closed"
    assert [m.action for m in q.thread.all()] == ["raise", "answer", "close"]
    changes = AuditEntry.objects.filter(record=f"queries.query:{q.pk}", field="status")
    assert [(e.old, e.new) for e in changes.order_by("seq")] == [
        (None, "open"),
        ("open", "answered"),
        ("answered", "closed"),
    ]


@pytest.mark.parametrize("who", ["investigator", "pharmacist", "monitor", "admin"])
def test_only_the_data_manager_closes(trial: Trial, who: str) -> None:
    p = _patient(trial)
    q = _raise(trial, "datamanager", p, "Please confirm the transplant date.", "hsct_date")
    with pytest.raises(Forbidden):
        close_query(trial.actor(who), q.pk, "closing")
    r = trial.client(who).post(f"/queries/{q.pk}/", {"action": "close", "text": "x"}, follow=True)
    assert "Only the data manager closes a query." in r.content.decode()
    q.refresh_from_db()
    assert q.status == "open"
    page = trial.client(who).get(f"/queries/{q.pk}/").content.decode()
    assert 'id="close"' not in page


def test_site_users_cannot_raise_and_central_users_cannot_answer(trial: Trial) -> None:
    p = _patient(trial)
    with pytest.raises(Forbidden):
        _raise(trial, "investigator", p, "self query")
    with pytest.raises(Forbidden):  # the monitor is read-only (issue 10)
        _raise(trial, "monitor", p, "monitor query")
    q = _raise(trial, "datamanager", p, "Missing weight.")
    with pytest.raises(Forbidden):
        answer_query(trial.actor("datamanager"), q.pk, "answering for the site")
    answer_query(trial.actor("investigator"), q.pk, "Weight entered.")
    with pytest.raises(Forbidden):
        reopen_query(trial.actor("monitor"), q.pk, "Weight still missing on the form.")
    reopen_query(trial.actor("datamanager"), q.pk, "Weight still missing on the form.")
    q.refresh_from_db()
    assert q.status == "open"


def test_query_lists_per_site_and_per_patient(trial: Trial) -> None:
    mine, other = _patient(trial), _patient(trial, "investigator2")
    _raise(trial, "datamanager", mine, "about C01")
    _raise(trial, "datamanager", other, "about C02")
    text = trial.client("investigator").get("/queries/").content.decode()
    assert "C01-0001" in text and "C02-0001" not in text
    text = trial.client("datamanager").get("/queries/?site=C02").content.decode()
    assert "C02-0001" in text and "C01-0001" not in text
    text = trial.client("datamanager").get(f"/patients/{mine.pk}/queries/").content.decode()
    assert "about C01" in text and "about C02" not in text
    q = Query.objects.get(patient=other)
    assert trial.client("investigator").get(f"/queries/{q.pk}/").status_code == 404
    r = trial.client("investigator").post(f"/queries/{q.pk}/", {"action": "answer", "text": "x"})
    assert r.status_code in (302, 404)
    q.refresh_from_db()
    assert q.status == "open"


def test_manual_query_from_the_field_of_a_form(trial: Trial) -> None:
    """Issue 11: a manual query needed an internal id (capture.assessment:1992) and free text
    pointing at nothing was accepted. It is now raised from a field of a stored form."""
    p = _patient(trial)
    baseline = Baseline.objects.get(patient=p)
    monitor = trial.client("datamanager")  # the monitor is read-only (issue 10)
    form = monitor.get(f"/patients/{p.pk}/crf/baseline/").content.decode()
    link = f"/patients/{p.pk}/queries/?form=baseline&amp;row={baseline.pk}&amp;field=diagnosis"
    assert f'id="raise-diagnosis" href="{link}"' in form
    page = monitor.get(link.replace("&amp;", "&")).content.decode()
    assert "Baseline and transplant characteristics" in page and "Underlying disease" in page
    raise_it = {"form": "baseline", "row": baseline.pk, "field": "diagnosis",
                "text": "Please attach the pathology report."}  # fmt: skip
    r = monitor.post(f"/patients/{p.pk}/queries/", raise_it)
    assert r.status_code == 302
    q = Query.objects.get(patient=p, check_id="manual")
    assert (q.record, q.field) == (f"capture.baseline:{baseline.pk}", "diagnosis")
    # Free text without a field is refused and raises nothing.
    r = monitor.post(f"/patients/{p.pk}/queries/", {"text": "Something is wrong."})
    assert r.status_code == 422 and "Raise the query from a field of a form." in r.content.decode()
    r = monitor.post(f"/patients/{p.pk}/queries/", {"form": "baseline", "field": "no_such",
                     "text": "x"})  # fmt: skip
    assert r.status_code == 422
    trial.client("investigator").post(f"/patients/{p.pk}/queries/", {"text": "x"})
    assert Query.objects.filter(patient=p).count() == 1
    # The query marker sits at the field on the form.
    form = trial.client("investigator").get(f"/patients/{p.pk}/crf/baseline/").content.decode()
    assert 'id="queries-diagnosis"' in form and f'href="/queries/{q.pk}/"' in form


def test_query_pages_show_forms_and_labels_not_model_names(trial: Trial) -> None:
    p = _patient(trial)
    _raise(trial, "datamanager", p, "Check the sex against the source.")
    c = trial.client("datamanager")
    c.post(f"/patients/{p.pk}/crf/assessments/", {
        "assessment_date": "2024-01-05", "visit": "baseline", "skin_bsa_percent": "0",
        "skin_desquamation_percent": "20", "bilirubin": "1.0", "bilirubin_unit": "mg/dL",
        "weight_kg": "55"})  # fmt: skip
    trial.client("investigator").post(f"/patients/{p.pk}/crf/assessments/", {
        "assessment_date": "2024-01-05", "visit": "baseline", "skin_bsa_percent": "0",
        "skin_desquamation_percent": "20", "bilirubin": "1.0", "bilirubin_unit": "mg/dL",
        "weight_kg": "55"})  # fmt: skip
    assert Query.objects.exclude(check_id="manual").exists()
    for q in Query.objects.filter(patient=p):
        for url in (f"/queries/{q.pk}/", f"/patients/{p.pk}/queries/", "/queries/",
                    f"/patients/{p.pk}/crf/"):  # fmt: skip
            text = c.get(url).content.decode()
            for leak in ("capture.", "gvhdtrial/", ".py", "data model:", "queries.query"):
                assert leak not in text, (url, leak)


def test_automatic_queries_are_credited_to_the_system(trial: Trial) -> None:
    p = _patient(trial)
    trial.client("investigator").post(f"/patients/{p.pk}/crf/assessments/", {
        "assessment_date": "2024-01-05", "visit": "baseline", "skin_bsa_percent": "0",
        "skin_desquamation_percent": "20", "bilirubin": "1.0", "bilirubin_unit": "mg/dL",
        "weight_kg": "55"})  # fmt: skip
    auto = Query.objects.exclude(check_id="manual")
    assert auto.exists()
    for q in auto:
        assert q.created_by.username == SYSTEM_USERNAME and not q.created_by.is_active
        assert {m.by.username for m in q.thread.all()} == {SYSTEM_USERNAME}
        page = trial.client("investigator").get(f"/queries/{q.pk}/").content.decode()
        assert "raised by the system" in page
