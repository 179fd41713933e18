"""Issue 11: the report page opened in 80-93 s because every visit exported and analysed the
trial again. The report is now built once per data version (lock + unblinding) in the
background, its progress shown meanwhile, and then served from disk."""

from __future__ import annotations

import fcntl
import json

import pytest
from django.test import override_settings

from gvhdtrial.web.capture import report_build
from gvhdtrial.web.capture.models import ExportLog
from gvhdtrial.web.lock.services import lock_database
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.unblinding.services import trial_unblind

from .conftest import PASSWORD, Trial, screen

pytestmark = pytest.mark.django_db


def _locked_and_unblinded(trial: Trial) -> str:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    lock_database(trial.actor("admin"), "end of study", PASSWORD, confirmed=True)
    trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    version = report_build.data_version()
    assert version is not None
    return version


def test_the_report_is_built_once_per_data_version_and_then_served(trial: Trial) -> None:
    version = _locked_and_unblinded(trial)
    c = trial.client("statistician")
    first = c.get("/report/")
    assert first.status_code == 200
    html = b"".join(first.streaming_content).decode()
    assert "Randomized (n" in html and "SYNTHETIC" in html
    assert report_build.status(version)["state"] == "ready"
    again = c.get("/report/")
    assert again.status_code == 200
    assert b"".join(again.streaming_content).decode() == html
    # One unblinded export for the version: the second visit did not export or analyse again.
    assert ExportLog.objects.filter(blinded=False).count() == 1


def test_while_the_report_is_built_the_page_shows_its_progress(trial: Trial) -> None:
    version = _locked_and_unblinded(trial)
    # Another process is building this version: it holds the lock and writes its progress.
    with open(report_build._root() / f"v-{version}.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report_build._write_status(version, state="building", step=2,
                                   label="Analyse (populations, endpoints, tables, models)",
                                   started="2026-01-01T00:00:00+00:00")  # fmt: skip
        page = trial.client("statistician").get("/report/")
        text = page.content.decode()
        assert page.status_code == 202
        assert 'id="report-progress"' in text and 'http-equiv="refresh"' in text
        assert "Step 2 of 7" in text and "Analyse (populations" in text
        assert "Started 2026-01-01 00:00:00 (UTC)." in text  # to the second, not raw ISO
        # In Chinese the step is named in Chinese (the catalogue's words for BUILD_STEPS).
        zh = trial.client("statistician")
        zh.post("/language/", {"language": "zh-hans", "next": "/"})
        text = zh.get("/report/").content.decode()
        assert "分析（分析人群、终点、表格、模型）" in text and "Analyse" not in text
    assert ExportLog.objects.filter(blinded=False).count() == 0  # no second builder started


def test_a_failed_build_is_reported_and_built_again_on_request(trial: Trial) -> None:
    version = _locked_and_unblinded(trial)
    report_build._write_status(version, state="failed", step=0, label="Failed",
                               message="ValueError: example", started="")  # fmt: skip
    c = trial.client("statistician")
    page = c.get("/report/")
    assert page.status_code == 500 and "ValueError: example" in page.content.decode()
    assert 'id="report-retry"' in page.content.decode()
    retried = c.post("/report/")
    assert retried.status_code == 200
    assert json.loads(report_build._status_path(version).read_text())["state"] == "ready"


@override_settings(GVHDTRIAL_REPORT_BUILD="thread")
def test_unblinding_starts_the_build_after_its_transaction_commits(
    trial: Trial, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr(report_build, "ensure_build", lambda username: started.append(username))
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    lock_database(trial.actor("admin"), "end of study", PASSWORD, confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    assert started == ["statistician"]
