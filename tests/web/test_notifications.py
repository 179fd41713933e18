"""Notifications in the app and by e-mail (issue 11): each trigger reaches the right users and
nobody else, in each recipient's language, never with an arm; the SAE clock's deadline.

Recipients per trigger (gvhdtrial/web/notifications.py): a new query -> the patient's site's
investigator and pharmacist; an SAE -> the site's investigator, the data manager and the
monitor; an emergency unblinding -> the site's investigator, the data manager, the statistician
and the administrator; a resupply alert -> the administrator. The demo users each have one
e-mail address (``<username>@example.invalid``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from gvhdtrial.capture import SAE_REPORT_HOURS, sae_clock
from gvhdtrial.web.audit.reconcile import reconcile
from gvhdtrial.web.blinding import slot_arm
from gvhdtrial.web.crf.models import SaeReport
from gvhdtrial.web.crf.services import save_row
from gvhdtrial.web.queries.models import Query
from gvhdtrial.web.queries.services import raise_query
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.sites.models import set_user_language
from gvhdtrial.web.unblinding.models import Notification
from gvhdtrial.web.unblinding.services import emergency_unblind

from .conftest import PASSWORD, Trial, screen
from .test_blinding_crawl import ARM_WORDS
from .test_i18n import ARM_WORDS_ZH

EVERYONE = {"investigator", "pharmacist", "datamanager", "monitor", "statistician", "admin",
            "investigator2", "pharmacist2"}  # fmt: skip
UTC = dt.UTC


def _ae(**values: Any) -> dict[str, Any]:
    return {
        "term": "Fever", "soc": "General disorders and administration site conditions",
        "grade": 4, "serious": True, "related_to_study_agent": False, "infusion_related": False,
        "onset_date": dt.date.today(), "outcome": "recovering", **values,
    }  # fmt: skip


def _to(kind: str) -> dict[str, int]:
    """Recipient username -> number of notifications of ``kind``."""
    out: dict[str, int] = {}
    for name in Notification.objects.filter(kind=kind).values_list(
        "recipient__username", flat=True
    ):
        out[name] = out.get(name, 0) + 1
    return out


def _randomized(trial: Trial, who: str = "investigator") -> Any:
    patient = screen(trial, who=who)
    randomize(trial.actor(who), patient.pk)
    return patient


def _no_arm_anywhere() -> None:
    texts = [n.subject + "\n" + n.body for n in Notification.objects.all()]
    texts += [m.subject + "\n" + m.body for m in mail.outbox]
    leaks = [t for t in texts if ARM_WORDS.search(t) or ARM_WORDS_ZH.search(t)]
    assert not leaks, leaks[:2]


# ---------------------------------------------------------------- the SAE clock (pure)


def test_sae_clock_follows_eu_536_2014_article_41_24_hours_from_awareness() -> None:
    """Regulation (EU) 536/2014 Art. 41(2): reported "not later than within 24 hours of
    obtaining knowledge": aware 09:00 on 1 March, entered 09:00 on 2 March is in time, one
    minute later is overdue; without an awareness time the onset day's midnight starts it."""
    aware = dt.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    on_time = sae_clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), dt.date(2026, 3, 1), aware)
    late = sae_clock(dt.datetime(2026, 3, 2, 9, 1, tzinfo=UTC), dt.date(2026, 3, 1), aware)
    assert on_time.due_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC) and not on_time.overdue
    assert late.overdue and not late.from_onset
    onset = sae_clock(dt.datetime(2026, 3, 2, 0, 30, tzinfo=UTC), dt.date(2026, 3, 1))
    assert onset.from_onset and onset.aware_at == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert onset.overdue  # 24 h 30 min after the onset day began
    with pytest.raises(ValueError, match="aware datetime"):
        sae_clock(dt.datetime(2026, 3, 2), None)


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.integers(min_value=-10_000, max_value=10_000),
)
def test_sae_clock_due_is_24_hours_after_awareness_and_overdue_only_past_it(
    aware: dt.datetime, minutes_after: int
) -> None:
    aware = aware.replace(tzinfo=UTC)
    reported = aware + dt.timedelta(minutes=minutes_after)
    clock = sae_clock(reported, None, aware)
    assert clock.due_at - clock.aware_at == dt.timedelta(hours=SAE_REPORT_HOURS)
    assert clock.overdue == (minutes_after > SAE_REPORT_HOURS * 60)


# ---------------------------------------------------------------- the triggers


def test_new_queries_reach_the_patients_site_answerers_only_in_their_language(
    trial: Trial, django_capture_on_commit_callbacks: Any
) -> None:
    """Edit checks raising several queries in one save: one notification each for the C01
    investigator and pharmacist (nobody else); a query raised by hand by the data manager: one
    more each, linked to the query; the investigator (Chinese) gets Chinese subjects."""
    set_user_language(trial.users["investigator"], "zh-hans")
    patient = _randomized(trial)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # Grade 5 with outcome "recovering", not serious and no death: three edit checks fail.
        save_row(trial.actor("investigator"), patient.pk, "adverse-events",
                 _ae(grade=5, serious=False))  # fmt: skip
    automatic = Query.objects.filter(patient=patient).count()
    assert automatic >= 3
    assert _to("query") == {"investigator": 1, "pharmacist": 1}
    note = Notification.objects.get(kind="query", recipient__username="pharmacist")
    assert note.subject == f"{automatic} new queries on patient {patient.code}"
    assert note.link == f"/patients/{patient.pk}/queries/" and not note.read
    zh = Notification.objects.get(kind="query", recipient__username="investigator")
    assert zh.subject == f"患者 {patient.code} 有 {automatic} 个新质疑"
    assert {tuple(m.to) for m in mail.outbox} == {
        ("investigator@example.invalid",),
        ("pharmacist@example.invalid",),
    }
    assert {m.subject for m in mail.outbox} == {note.subject, zh.subject}

    with django_capture_on_commit_callbacks(execute=True):
        query = raise_query(trial.actor("datamanager"), patient.pk, "Please check the source",
                            form="adverse-events", field="grade",
                            row_id=patient.adverse_events.get().pk)  # fmt: skip
    assert _to("query") == {"investigator": 2, "pharmacist": 2}
    manual = Notification.objects.filter(kind="query", link=f"/queries/{query.pk}/")
    assert manual.count() == 2
    en = manual.get(recipient__username="pharmacist")
    assert "Adverse event: CTCAE v5.0 grade." in en.body and "Please check the source" in en.body
    assert "不良事件" in manual.get(recipient__username="investigator").body
    assert len(mail.outbox) == 4
    _no_arm_anywhere()


def test_an_sae_reaches_the_site_investigator_data_manager_and_monitor_with_its_deadline(
    trial: Trial, django_capture_on_commit_callbacks: Any
) -> None:
    """An SAE entered one hour after the site learned of it: due 23 hours from now, not
    overdue; one notification each to the C01 investigator, the data manager and the monitor,
    none to the pharmacist, the statistician, the administrator or C02. Saving it again (a
    change) notifies nobody again. An SAE whose onset was three days ago and whose awareness is
    not given is overdue (clock from the onset date), flagged in the app and the e-mail."""
    set_user_language(trial.users["monitor"], "zh-hans")
    patient = _randomized(trial)
    aware = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        saved = save_row(trial.actor("investigator"), patient.pk, "adverse-events",
                         {**_ae(), "sae_awareness": aware})  # fmt: skip
    report = SaeReport.objects.get(adverse_event=saved.obj)
    assert (report.aware_at, report.due_at) == (aware, aware + dt.timedelta(hours=24))
    assert not report.overdue and not report.aware_from_onset
    assert _to("sae") == {"investigator": 1, "datamanager": 1, "monitor": 1}
    note = Notification.objects.get(kind="sae", recipient__username="datamanager")
    assert note.due_at == report.due_at and not note.overdue
    assert note.link == f"/patients/{patient.pk}/crf/adverse-events/{saved.obj.pk}/"
    assert note.subject.startswith(f"Serious adverse event: patient {patient.code}")
    assert "Fever, grade 4" in note.body
    zh = Notification.objects.get(kind="sae", recipient__username="monitor")
    assert zh.subject.startswith(f"严重不良事件：患者 {patient.code}") and "发热" in zh.body
    sae_mails = [m for m in mail.outbox if "monitor@example.invalid" in m.to]
    assert [m.subject for m in sae_mails] == [zh.subject]

    save_row(trial.actor("investigator"), patient.pk, "adverse-events",
             {**_ae(outcome="recovered", resolution_date=dt.date.today())},
             row_id=saved.obj.pk, reason="resolved")  # fmt: skip
    assert sum(_to("sae").values()) == 3

    three_days_ago = dt.date.today() - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        late = save_row(trial.actor("investigator"), patient.pk, "adverse-events",
                        _ae(term="Sepsis", soc="Infections and infestations",
                            onset_date=three_days_ago))  # fmt: skip
    report = SaeReport.objects.get(adverse_event=late.obj)
    assert report.overdue and report.aware_from_onset
    assert report.due_at == dt.datetime.combine(three_days_ago, dt.time(0), UTC) + dt.timedelta(
        hours=24
    )
    overdue = Notification.objects.filter(kind="sae", overdue=True)
    assert sorted(overdue.values_list("recipient__username", flat=True)) == [
        "datamanager", "investigator", "monitor"
    ]  # fmt: skip
    assert overdue.get(recipient__username="datamanager").subject.startswith("OVERDUE")
    assert overdue.get(recipient__username="monitor").subject.startswith("逾期")
    assert any("overdue" in m.body for m in mail.outbox if m.subject.startswith("OVERDUE"))
    _no_arm_anywhere()
    assert reconcile().ok  # every notification and SAE report is in the audit trail


def test_an_awareness_time_in_the_future_is_refused_at_its_field(trial: Trial) -> None:
    patient = _randomized(trial)
    from gvhdtrial.web.errors import Invalid

    with pytest.raises(Invalid) as refused:
        save_row(trial.actor("investigator"), patient.pk, "adverse-events",
                 {**_ae(), "sae_awareness": timezone.now() + dt.timedelta(days=1)})  # fmt: skip
    assert refused.value.field == "sae_awareness"
    assert not patient.adverse_events.exists() and not Notification.objects.exists()


def test_emergency_unblinding_and_resupply_notify_their_roles_with_the_same_words_per_arm(
    trial: Trial, django_capture_on_commit_callbacks: Any
) -> None:
    """The attack a curious insider tries: compare the notifications about a patient in each
    arm. Emergency unblinding and SAE notifications of an MSC and a placebo patient are the
    same text once the patient's code, ids and times are replaced; the recipients are those of
    the trigger only (emergency: C01 investigator, data manager, statistician, administrator;
    resupply: administrator)."""
    by_arm: dict[str, Any] = {}
    while len(by_arm) < 2:
        p = _randomized(trial)
        by_arm.setdefault(slot_arm(Slot.objects.get(patient=p)), p)
    with django_capture_on_commit_callbacks(execute=True):
        for p in by_arm.values():
            emergency_unblind(trial.actor("investigator"), p.pk, "anaphylaxis: need it", PASSWORD)
            save_row(trial.actor("investigator"), p.pk, "adverse-events", _ae())
    assert _to("emergency_unblinding") == {
        "investigator": 2, "datamanager": 2, "statistician": 2, "admin": 2
    }  # fmt: skip
    assert _to("sae") == {"investigator": 2, "datamanager": 2, "monitor": 2}

    def normalised(p: Any, kind: str) -> set[str]:
        out = set()
        for n in Notification.objects.filter(kind=kind):
            text = n.subject + "|" + n.body + "|" + n.link
            if p.code not in text and f"/{p.pk}/" not in text:
                continue
            text = re.sub(r"adverse-events/\d+/", "adverse-events/AE/", text)
            text = text.replace(p.code, "CODE").replace(f"/{p.pk}/", "/ID/")
            text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", "TIME", text)
            out.add(f"{n.recipient.username}|{text}")
        return out

    for kind in ("emergency_unblinding", "sae"):
        msc, placebo = (normalised(by_arm[arm], kind) for arm in sorted(by_arm))
        assert msc and msc == placebo, kind

    from gvhdtrial.web.supply.services import _notify_short

    with django_capture_on_commit_callbacks(execute=True):
        _notify_short("C01")
    assert _to("resupply") == {"admin": 1}
    _no_arm_anywhere()


def test_a_user_sees_and_opens_only_their_own_notifications(
    trial: Trial, django_capture_on_commit_callbacks: Any
) -> None:
    """The page lists the user's notifications with the unread count in the navigation;
    opening one marks it read (an audited change) and goes to its link; another user's
    notification is not found and stays unread; "mark all read" clears the count."""
    patient = _randomized(trial)
    save_row(trial.actor("investigator"), patient.pk, "adverse-events", _ae())
    mine = Notification.objects.get(kind="sae", recipient__username="datamanager")
    theirs = Notification.objects.get(kind="sae", recipient__username="investigator")
    dm = trial.client("datamanager")
    page = dm.get("/notifications/").content.decode()
    assert (
        f'href="/notifications/{mine.pk}/"' in page and f"/notifications/{theirs.pk}/" not in page
    )
    assert re.search(r'Notifications <span class="badge">1</span>', page)
    assert dm.get(f"/notifications/{theirs.pk}/").status_code == 404
    r = dm.get(f"/notifications/{mine.pk}/")
    assert r.status_code == 302 and r.url == mine.link
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read and not theirs.read
    assert 'class="badge"' not in dm.get("/patients/").content.decode().split("</nav>")[0]
    api = dm.get("/api/notifications").json()
    assert [(n["kind"], n["read"], n["link"]) for n in api] == [("sae", True, mine.link)]
    inv = trial.client("investigator")
    assert inv.post(f"/api/notifications/{mine.pk}/read").status_code == 404
    assert inv.post(f"/api/notifications/{theirs.pk}/read").json()["read"] is True
    save_row(trial.actor("investigator"), patient.pk, "adverse-events",
             _ae(term="Sepsis", soc="Infections and infestations"))  # fmt: skip
    assert Notification.objects.filter(recipient__username="monitor", read=False).count() == 2
    monitor = trial.client("monitor")  # read-only role: marking its own notifications is allowed
    assert monitor.post("/notifications/", {"action": "read_all"}).status_code == 302
    assert not Notification.objects.filter(recipient__username="monitor", read=False).exists()
    assert reconcile().ok


def test_the_sae_report_api_gives_awareness_deadline_and_overdue_per_site(trial: Trial) -> None:
    """``GET /api/sae-reports``: the clock of each SAE (EU 536/2014 Art. 41(2): due 24 h after
    awareness), newest first; a site role sees its own site's only (C02's investigator: none of
    C01's), the data manager and the monitor every site's."""
    patient = _randomized(trial)
    aware = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    save_row(trial.actor("investigator"), patient.pk, "adverse-events",
             {**_ae(), "sae_awareness": aware})  # fmt: skip
    onset = dt.date.today() - dt.timedelta(days=3)
    save_row(trial.actor("investigator"), patient.pk, "adverse-events",
             _ae(term="Sepsis", soc="Infections and infestations", onset_date=onset))  # fmt: skip
    for who in ("investigator", "datamanager", "monitor"):
        r = trial.client(who).get("/api/sae-reports")
        assert r.status_code == 200, r.content
        rows = r.json()
        assert [(x["term"], x["overdue"], x["aware_from_onset"]) for x in rows] == [
            ("Sepsis", True, True), ("Fever", False, False)]  # fmt: skip
        fever = rows[1]
        assert dt.datetime.fromisoformat(fever["aware_at"]) == aware
        assert dt.datetime.fromisoformat(fever["due_at"]) == aware + dt.timedelta(hours=24)
        assert fever["patient_code"] == patient.code and fever["site"] == "C01"
        assert fever["reported_by"] == "investigator"
        assert dt.datetime.fromisoformat(rows[0]["due_at"]) == dt.datetime.combine(
            onset, dt.time(0), UTC) + dt.timedelta(hours=24)  # fmt: skip
    assert trial.client("investigator2").get("/api/sae-reports").json() == []
    assert not ARM_WORDS.search(trial.client("monitor").get("/api/sae-reports").content.decode())


def test_the_sae_log_page_and_its_csv_show_the_clock_in_both_languages(trial: Trial) -> None:
    """The SAE log (``/safety/sae/``) lists each SAE with awareness, entry, deadline and status,
    in the user's language; its CSV (UTF-8, with a BOM for Excel on request) carries the same
    clock as the API; a C02 user sees none of C01's SAEs."""
    patient = _randomized(trial)
    onset = dt.date.today() - dt.timedelta(days=3)
    save_row(trial.actor("investigator"), patient.pk, "adverse-events",
             _ae(term="Sepsis", soc="Infections and infestations", onset_date=onset))  # fmt: skip
    page = trial.client("datamanager").get("/safety/sae/").content.decode()
    assert patient.code in page and "Sepsis" in page and "overdue" in page
    set_user_language(trial.users["monitor"], "zh-hans")
    zh = trial.client("monitor").get("/safety/sae/").content.decode()
    assert "严重不良事件" in zh and "脓毒症" in zh and "逾期" in zh
    csv_bytes = trial.client("datamanager").get("/safety/sae/?format=csv&excel=1").content
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    header, row = csv_bytes[3:].decode("utf-8").splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    api = trial.client("datamanager").get("/api/sae-reports").json()[0]
    assert values["patient_id"] == patient.code and values["term"] == "Sepsis"
    assert values["overdue"] == "true" and values["aware_from_onset"] == "true"
    assert dt.datetime.fromisoformat(values["due_at"]) == dt.datetime.fromisoformat(api["due_at"])
    plain = trial.client("datamanager").get("/safety/sae/?format=csv").content
    assert plain.startswith(b"patient_id,")
    other = trial.client("investigator2").get("/safety/sae/?format=csv").content.decode()
    assert other.splitlines() == [header]
