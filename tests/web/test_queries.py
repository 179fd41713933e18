"""The query workflow: open -> answered (site) -> closed (data manager only); manual queries by
the data manager or monitor; lists per site and per patient; every step audited."""

from __future__ import annotations

import pytest

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.queries.models import Query
from gvhdtrial.web.queries.services import answer_query, close_query, raise_query, reopen_query
from gvhdtrial.web.randomization.services import randomize

from .conftest import Trial, screen

pytestmark = pytest.mark.django_db


def _patient(trial: Trial, who: str = "investigator") -> object:
    p = screen(trial, who=who)
    randomize(trial.actor(who), p.pk)
    return p


def test_open_answered_closed_with_every_step_audited(trial: Trial) -> None:
    p = _patient(trial)
    q = raise_query(trial.actor("datamanager"), p.pk, "Source says 45 % BSA; CRF says 54 %.",
                    record="capture.assessment:1", field="skin_bsa_percent")  # fmt: skip
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
    q = raise_query(trial.actor("datamanager"), p.pk, "Please confirm the infusion date.")
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
        raise_query(trial.actor("investigator"), p.pk, "self query")
    with pytest.raises(Forbidden):  # the monitor is read-only (issue 10)
        raise_query(trial.actor("monitor"), p.pk, "monitor query")
    q = raise_query(trial.actor("datamanager"), p.pk, "Missing weight.")
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
    raise_query(trial.actor("datamanager"), mine.pk, "about C01")
    raise_query(trial.actor("datamanager"), other.pk, "about C02")
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


def test_manual_query_from_the_patient_page(trial: Trial) -> None:
    p = _patient(trial)
    r = trial.client("monitor").post(  # read-only (issue 10): refused, nothing stored
        f"/patients/{p.pk}/queries/", {"text": "Please attach the SAE report.", "field": "serious"}
    )
    assert not Query.objects.filter(patient=p).exists()
    r = trial.client("datamanager").post(
        f"/patients/{p.pk}/queries/", {"text": "Please attach the SAE report.", "field": "serious"}
    )
    assert r.status_code == 302
    assert Query.objects.filter(patient=p, check_id="manual", field="serious").exists()
    r = trial.client("investigator").post(f"/patients/{p.pk}/queries/", {"text": "x"})
    assert Query.objects.filter(patient=p).count() == 1
